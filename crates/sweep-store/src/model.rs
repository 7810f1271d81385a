use serde::Serialize;
use sweep_core::{Params, RunRecord, RunStatus, Summary, SweepSpec, Value};

/// Whether a sweep still has work to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepStatus {
    /// Runs may still be claimed.
    Active,
    /// The search is exhausted, `run_cap` was reached, or `metric.target` was reached.
    Finished,
}

impl SweepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SweepStatus::Active => "active",
            SweepStatus::Finished => "finished",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(SweepStatus::Active),
            "finished" => Some(SweepStatus::Finished),
            _ => None,
        }
    }
}

/// What is needed to create a sweep.
#[derive(Debug, Clone)]
pub struct NewSweep {
    pub id: String,
    pub name: String,
    /// The spec file's text, as written.
    pub spec_text: String,
    pub spec_path: Option<String>,
    pub spec: SweepSpec,
    /// The sampler's seed (the spec's, or one chosen at creation).
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SweepRecord {
    pub id: String,
    pub name: String,
    pub spec_text: String,
    pub spec_path: Option<String>,
    pub spec: SweepSpec,
    pub seed: u64,
    pub status: SweepStatus,
    /// Unix seconds.
    pub created_at: f64,
}

/// Who holds a claim: the host and process of the worker, and the lease length.
#[derive(Debug, Clone)]
pub struct Owner {
    pub host: String,
    pub pid: i64,
    pub lease_secs: f64,
}

/// Identifies one attempt of a run; writes with a stale attempt are fenced off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    pub run_id: String,
    pub attempt: u32,
}

/// An existing run as the sampler sees it.
#[derive(Debug, Clone)]
pub struct ExistingRun {
    pub id: String,
    pub status: RunStatus,
    pub params: Params,
    pub summary: Summary,
}

/// One run of a sweep as a claim lists it, cheap to read: its id and what changes whenever
/// its params' outcome can (status, history length, attempt). A caller that remembers the
/// runs it read reloads only those whose stamp changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStamp {
    pub id: String,
    pub status: RunStatus,
    pub history_len: u64,
    pub attempt: u32,
}

/// Reads runs of the sweep being claimed, inside the claim's transaction.
pub type LoadRuns<'a> = dyn Fn(&[&str]) -> crate::Result<Vec<ExistingRun>> + 'a;

/// What `propose` gets: the sweep, the stamp of each of its runs in creation order, and a
/// way to read their params and summaries inside the claim's transaction.
pub struct ClaimContext<'a> {
    pub sweep: &'a SweepRecord,
    pub runs: &'a [RunStamp],
    load: &'a LoadRuns<'a>,
}

impl<'a> ClaimContext<'a> {
    /// For backends: `load` returns the runs with the given ids, in that order.
    pub fn new(sweep: &'a SweepRecord, runs: &'a [RunStamp], load: &'a LoadRuns<'a>) -> Self {
        ClaimContext { sweep, runs, load }
    }

    /// The runs with these ids, in this order.
    pub fn load(&self, ids: &[&str]) -> crate::Result<Vec<ExistingRun>> {
        (self.load)(ids)
    }

    /// Every run of the sweep, in creation order.
    pub fn existing(&self) -> crate::Result<Vec<ExistingRun>> {
        let ids: Vec<&str> = self.runs.iter().map(|r| r.id.as_str()).collect();
        self.load(&ids)
    }
}

impl std::fmt::Debug for ClaimContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimContext")
            .field("sweep", &self.sweep.id)
            .field("runs", &self.runs)
            .finish_non_exhaustive()
    }
}

/// The sampler's answer.
#[derive(Debug, Clone)]
pub enum Proposal {
    /// A new run with these params and this resolved config.
    New { params: Params, config: Value },
    /// Nothing left to try.
    Exhausted,
}

/// The result of a claim.
#[derive(Debug, Clone)]
pub enum Claim {
    /// A run now held by the caller. `retried` is true when an earlier attempt existed.
    Claimed { run: Box<RunRecord>, retried: bool },
    /// The search has nothing left.
    Exhausted,
    /// `run_cap` runs exist already.
    CapReached,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    /// Why it ended this way (timeout, signal, interrupted...), for people.
    pub reason: Option<String>,
    pub stderr_tail: Option<String>,
}

/// A run written elsewhere (another tool's logs, a copied run directory), brought into a
/// sweep by [`crate::Store::import_run`] as a finished record.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRun {
    /// Where it came from, unique across the store: importing the same origin again adds
    /// nothing.
    pub origin: String,
    pub params: sweep_core::Params,
    pub config: sweep_core::Value,
    pub history: sweep_core::History,
    pub status: RunStatus,
    /// Unix seconds, when the source knows them.
    pub started_at: Option<f64>,
    pub ended_at: Option<f64>,
    pub tags: Vec<String>,
    /// Why it ended this way, when the source says.
    pub reason: Option<String>,
    /// The run's name in its source (else the generated `<sweep name>-<number>`).
    pub name: Option<String>,
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub sweep_id: Option<String>,
    /// Empty means every status.
    pub statuses: Vec<RunStatus>,
}

impl RunKey {
    /// The key of a run's current attempt.
    pub fn of(run: &RunRecord) -> Self {
        RunKey {
            run_id: run.id.clone(),
            attempt: run.attempt,
        }
    }
}

/// One metric's values in one run, in history order.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricHistory {
    pub run_id: String,
    pub status: RunStatus,
    pub values: Vec<f64>,
}
