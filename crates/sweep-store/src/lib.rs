//! Where sweeps and runs live.
//!
//! [`Store`] is the storage API every caller uses; [`SqliteStore`] is the embedded default:
//! a store directory holding `sweep.db` (SQLite in WAL mode) and one directory per run
//! under `runs/` (see [`RunDir`]). Several processes may share one store: claiming or
//! creating a run is one `BEGIN IMMEDIATE` transaction, so two workers never take the same
//! trial. [`PgStore`] keeps the same tables in PostgreSQL, for agents on many machines
//! (claims by `SELECT … FOR UPDATE SKIP LOCKED` and the sweep's row lock; see its module).
//! This crate is the only one that knows SQL and the run-directory layout.

mod chunk;
mod layout;
mod model;
#[cfg(any(test, feature = "testing"))]
mod pg_server;
mod postgres;
mod rows;
mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use layout::RunDir;
pub use model::{
    Claim, ClaimContext, ExistingRun, ImportedRun, LoadRuns, MetricHistory, NewSweep, Owner,
    Proposal, RunFilter, RunKey, RunOutcome, RunStamp, SweepRecord, SweepStatus,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use sweep_core::RunRecord;

use std::path::PathBuf;
use sweep_core::{MetricRecord, MetricSpec, Summary};

/// Errors of the store. A failed trial is not an error; these are storage problems.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("PostgreSQL store: {0}")]
    Pg(#[from] ::postgres::Error),
    #[error("cannot use the PostgreSQL store at {location}: {detail}")]
    PgConnect { location: String, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "there is no store at {path}: run a sweep first, or point --store (or SWEEP_STORE) at one"
    )]
    NoStore { path: PathBuf },
    #[error("no {what} matches `{id}`")]
    NotFound { what: &'static str, id: String },
    #[error("`{id}` is ambiguous: it matches {matches}")]
    Ambiguous { id: String, matches: String },
    #[error("run {run} is {status}: a finished run cannot be changed")]
    Finished { run: String, status: String },
    #[error(
        "run {run} attempt {attempt} no longer holds its claim (its lease expired or it was re-claimed)"
    )]
    Fenced { run: String, attempt: u32 },
    #[error("corrupt record in the store ({what}): {detail}")]
    Corrupt { what: String, detail: String },
    #[error(
        "the store at {location} was written by a newer sweep (schema {found}, this build knows {known}): upgrade sweep"
    )]
    SchemaTooNew {
        location: String,
        found: i64,
        known: i64,
    },
    /// The sampler a claim asked for new params failed; the claim created nothing.
    #[error("choosing the next run failed: {0}")]
    Propose(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The storage API. Implementations must make `claim_run` atomic across processes.
pub trait Store: Send + Sync {
    /// Creates the sweep, or returns the existing one with the same id.
    fn create_sweep(&self, new: &NewSweep) -> Result<SweepRecord>;
    /// A sweep by id or unique id prefix.
    fn sweep(&self, id: &str) -> Result<SweepRecord>;
    /// Every sweep, newest first.
    fn sweeps(&self) -> Result<Vec<SweepRecord>>;
    fn set_sweep_status(&self, id: &str, status: SweepStatus) -> Result<()>;

    /// Claims the next trial of a sweep in one transaction: a pending or interrupted run is
    /// retried first (its attempt counter incremented); otherwise, unless `run_cap` runs
    /// exist, `propose` is asked for new params given every existing run, and the new run
    /// is inserted already claimed by `owner`. An error from `propose` (a sampler's is
    /// [`StoreError::Propose`]) ends the claim with nothing created. `propose` runs inside
    /// the claim's transaction: it reads runs through its [`ClaimContext`], never through
    /// the store.
    fn claim_run(
        &self,
        sweep_id: &str,
        owner: &Owner,
        run_cap: Option<u64>,
        propose: &mut dyn FnMut(&ClaimContext) -> Result<Proposal>,
    ) -> Result<Claim>;
    /// Calls `read` with what a claim of sweep `sweep_id` would hand `propose` now (the
    /// run stamps and a loader, in one consistent read), without claiming and without
    /// the write lock. A driver reads here, computes its proposal outside any lock, and
    /// answers the claim with it when the claim lists the same stamps (the proposal is a
    /// function of the runs, so it is the one the claim would compute).
    fn peek_runs(
        &self,
        sweep_id: &str,
        read: &mut dyn FnMut(&ClaimContext) -> Result<()>,
    ) -> Result<()>;
    /// Extends the lease of a claimed run.
    fn heartbeat(&self, run: &RunKey, lease_secs: f64) -> Result<()>;
    /// Appends history records (in order) and updates the summary; returns the summary.
    fn append_history(
        &self,
        run: &RunKey,
        records: &[MetricRecord],
        metric: Option<&MetricSpec>,
    ) -> Result<Summary>;
    /// Ends a claimed run. A finished run cannot be changed.
    fn finish_run(&self, run: &RunKey, outcome: &RunOutcome) -> Result<RunRecord>;
    /// Marks as interrupted every running run (of one sweep, or all) whose lease expired or
    /// whose owner `is_dead(host, pid)` says is gone. Returns the claims it ended (each
    /// run's id and the attempt that lost it, so that only that attempt's processes are
    /// ended: a retry may already be running under the same id).
    fn recover_stale(
        &self,
        sweep_id: Option<&str>,
        is_dead: &dyn Fn(&str, i64) -> bool,
    ) -> Result<Vec<RunKey>>;

    /// Runs matching a filter, in sweep then creation order.
    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>>;
    /// A run by id or unique id prefix.
    fn run(&self, id: &str) -> Result<RunRecord>;
    /// Adds a run written elsewhere to sweep `sweep_id` as it ended (its history, and the
    /// summary folded from it by the sweep's metric, in one transaction), unless a run with
    /// the same `origin` is in the store already: then nothing changes and it returns
    /// `None`.
    fn import_run(&self, sweep_id: &str, run: &ImportedRun) -> Result<Option<RunRecord>>;
    /// Adds and removes a run's tags (a run by id or unique prefix, whatever its status:
    /// tags and notes annotate a run, they never change its result); returns the run.
    fn tag_run(&self, id: &str, add: &[String], remove: &[String]) -> Result<RunRecord>;
    /// Names a run (runs are named `<sweep name>-<number>` until then); returns it.
    fn rename_run(&self, id: &str, name: &str) -> Result<RunRecord>;
    /// Sets a run's note, or clears it with `None`; returns the run.
    fn note_run(&self, id: &str, note: Option<&str>) -> Result<RunRecord>;
    /// A run's full history, in order.
    fn history(&self, run_id: &str) -> Result<Vec<MetricRecord>>;
    /// One metric's values in every run of a sweep, in history order, for early
    /// termination: records without the metric are left out; a value that is not a number
    /// is NaN.
    fn metric_histories(&self, sweep_id: &str, metric: &str) -> Result<Vec<MetricHistory>>;
    /// The run's directory (files written by the trial).
    fn run_dir(&self, run_id: &str) -> RunDir;
}
