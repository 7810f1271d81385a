//! What a sweep's workers in one process share between claims: the runs read so far and
//! the sampler's memo. A claim lists every run's stamp; only runs whose stamp changed since
//! the last claim are read again, so a claim in a sweep of a thousand runs parses a few.
//!
//! The sampler runs outside the store's write lock: before claiming, a worker reads the
//! runs ([`Store::peek_runs`], no write lock) and computes the next proposal
//! ([`SearchDriver::prepare`]). The claim takes it as it is when it lists the same stamps
//! (a proposal is a function of the runs, so it is the one the claim would compute). When
//! other workers' claims or results came in between, the claim still takes it unless it
//! is the point of a run the prepare did not know of ([`sweep_search::near`] within
//! [`NEAR`] on every coordinate): it is then the proposal the sampler makes with one run
//! fewer pending or a result not yet in, as an asynchronous worker's always is, and no two
//! runs share a point. Only such a collision, or no prepared proposal, makes the claim
//! compute inside the lock, so the work that serialises agents is a few reads and an
//! insert, and the sampler's milliseconds run on each agent's own CPU.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use sweep_core::{Method, Params, RunStatus, SweepSpec, resolve_config};
use sweep_search::Searcher;
use sweep_store::{
    Claim, ClaimContext, ExistingRun, Owner, Proposal, RunStamp, Store, StoreError, SweepRecord,
};

/// How the workers of one process claim the runs of one sweep: what they share (the runs
/// read so far, the sampler's memo) and the claim itself, with a Bayesian sweep's sampler
/// run before the claim, outside the store's write lock. `sweep run`'s workers and `sweep
/// agent` claim through it; so does the claims benchmark.
#[derive(Debug, Default)]
pub struct Claimer {
    search: Mutex<SearchDriver>,
    /// Claims that computed their proposal inside the write lock (the prepared one was
    /// another run's point, or none was prepared).
    in_lock: AtomicU64,
    /// Claims that took a prepared proposal, and those of them that took it after other
    /// claims or results came in.
    taken: AtomicU64,
    taken_stale: AtomicU64,
    /// Prepared proposals no claim took (each is a sampler's work wasted).
    wasted: AtomicU64,
    /// How long the last prepare took, in nanoseconds (0 when the claim prepared nothing).
    last_prepare_ns: AtomicU64,
}

/// How close, on every coordinate of the sampler's unit cube, a prepared proposal may come
/// to a run its prepare did not know of before the claim computes a fresh one instead: a
/// millionth of each range (categorical params: the same value). Agents that prepared
/// from the same runs compute the same point, so the first claim takes it and the others
/// compute in the lock. A wider tolerance (a thousandth) also turned away proposals that
/// only converge near another run's, as a converging sweep's do: at 32 agents it made
/// claims compute in the lock twice as often (BENCHMARKS.md, "Many machines").
pub const NEAR: f64 = 1e-6;

impl Claimer {
    pub fn new() -> Claimer {
        Claimer::default()
    }

    /// Claims the next run of `sweep` for `owner`: a run to retry, else a new one from the
    /// sampler (or `rerun`'s params, which skip it), within `sweep`'s run cap.
    pub fn claim(
        &self,
        store: &dyn Store,
        sweep: &SweepRecord,
        owner: &Owner,
        rerun: Option<&Params>,
    ) -> Result<Claim, StoreError> {
        let spec = &sweep.spec;
        let prepared = rerun.is_none() && spec.method == Method::Bayes && self.worth_preparing();
        self.last_prepare_ns.store(0, Ordering::Relaxed);
        if prepared {
            // The Bayesian sampler (milliseconds, where grid and random take microseconds)
            // runs here, outside the store's write lock; the claim takes its answer unless
            // a run it did not know of took its point. An error here recurs in the claim,
            // which computes again and reports it.
            let start = std::time::Instant::now();
            let _ = SearchDriver::prepare(&self.search, store, &sweep.id, spec, sweep.seed);
            let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.last_prepare_ns.store(ns, Ordering::Relaxed);
        }
        let mut propose = |ctx: &ClaimContext| {
            if let Some(params) = rerun {
                return Ok(Proposal::New {
                    params: params.clone(),
                    config: resolve_config(&spec.config, params),
                });
            }
            // Claims are one at a time (the store's write lock), so this lock is not held
            // against another claim; a worker that panicked mid-proposal left a usable cache.
            let mut driver = self.search.lock().unwrap_or_else(|e| e.into_inner());
            let (computed, taken, stale) = (driver.computed, driver.taken, driver.taken_stale);
            let proposal = driver.propose(spec, sweep.seed, ctx);
            if driver.computed != computed {
                self.in_lock.fetch_add(1, Ordering::Relaxed);
                if prepared {
                    self.wasted.fetch_add(1, Ordering::Relaxed);
                }
            }
            if driver.taken != taken {
                self.taken.fetch_add(1, Ordering::Relaxed);
            }
            if driver.taken_stale != stale {
                self.taken_stale.fetch_add(1, Ordering::Relaxed);
            }
            proposal
        };
        store.claim_run(&sweep.id, owner, spec.run_cap, &mut propose)
    }

    /// Whether this process's claims should prepare their proposal: while at least about a
    /// third of the prepared proposals are taken (at most four more wasted than twice those
    /// taken). Where they are not (claims keep finding another worker's run on their point),
    /// a prepare is the sampler's work done twice, and on a shared machine its CPU is taken from the claim
    /// that holds the lock; the first few are always tried (agents starting together all
    /// prepare the same first point, and all but one compute again).
    fn worth_preparing(&self) -> bool {
        let wasted = self.wasted.load(Ordering::Relaxed);
        wasted <= 4 + 2 * self.taken.load(Ordering::Relaxed)
    }

    /// How many claims so far computed their proposal inside the store's write lock.
    pub fn computed_in_lock(&self) -> u64 {
        self.in_lock.load(Ordering::Relaxed)
    }

    /// How many claims took a proposal prepared before other claims or results came in.
    pub fn taken_stale(&self) -> u64 {
        self.taken_stale.load(Ordering::Relaxed)
    }

    /// How long the last claim's prepare took (zero when it prepared nothing): the rest of
    /// the claim's time was the store's, under its write lock.
    pub fn last_prepare(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.last_prepare_ns.load(Ordering::Relaxed))
    }
}

/// The search side of a sweep in this process: it answers the store's `propose`.
#[derive(Debug, Default)]
pub(crate) struct SearchDriver {
    /// The stamps the runs in `runs` were read at, index for index.
    stamps: Vec<RunStamp>,
    runs: Vec<ExistingRun>,
    searcher: Searcher,
    /// A proposal computed outside the lock, with the stamps it was computed from.
    ready: Option<(Vec<RunStamp>, Proposal)>,
    /// How many proposals were computed (for tests: a prepared claim computes none).
    pub(crate) computed: usize,
    /// How many prepared proposals claims took, and how many of those after other claims
    /// or results came in.
    pub(crate) taken: usize,
    pub(crate) taken_stale: usize,
}

impl SearchDriver {
    /// Computes the next proposal for sweep `sweep_id` from the runs as they are now, read
    /// without the store's write lock, and keeps it for the next [`SearchDriver::propose`].
    /// The store is read while `shared` is not held, and `shared` is held while the store
    /// is not: a claim holds the store and then takes `shared`, so holding both the other
    /// way round would deadlock. An error here is the sampler's or the store's and recurs
    /// inside the claim, which reports it; the prepared proposal is then simply absent.
    pub(crate) fn prepare(
        shared: &Mutex<SearchDriver>,
        store: &dyn Store,
        sweep_id: &str,
        spec: &SweepSpec,
        seed: u64,
    ) -> Result<(), StoreError> {
        let known = {
            let mut d = shared.lock().unwrap_or_else(|e| e.into_inner());
            d.ready = None;
            d.stamps.clone()
        };
        let mut stamps = Vec::new();
        let mut loaded = Vec::new();
        store.peek_runs(sweep_id, &mut |ctx| {
            stamps = ctx.runs.to_vec();
            let changed = changed(&known, ctx.runs);
            let ids: Vec<&str> = changed.iter().map(|&k| ctx.runs[k].id.as_str()).collect();
            loaded = changed.into_iter().zip(ctx.load(&ids)?).collect();
            Ok(())
        })?;
        let mut d = shared.lock().unwrap_or_else(|e| e.into_inner());
        // Another claim may have read the runs meanwhile: prepare only from one view.
        if d.stamps != known {
            return Ok(());
        }
        d.apply(&stamps, loaded);
        let proposal = d.compute(spec, seed)?;
        d.ready = Some((stamps, proposal));
        Ok(())
    }

    /// The next run of `spec`, given the runs the claim lists: the prepared proposal when
    /// the claim lists the runs it was computed from, or when it is no run's point that its
    /// prepare did not know of; else computed now.
    pub(crate) fn propose(
        &mut self,
        spec: &SweepSpec,
        seed: u64,
        ctx: &ClaimContext,
    ) -> Result<Proposal, StoreError> {
        let ready = match self.ready.take() {
            Some((stamps, proposal)) if stamps == ctx.runs => {
                self.taken += 1;
                return Ok(proposal);
            }
            ready => ready,
        };
        self.refresh(ctx)?;
        if let Some((stamps, proposal)) = ready
            && let Proposal::New { params, .. } = &proposal
        {
            // Runs are listed in creation order and never removed: those past the end of
            // the prepare's list (or with another id at a place) are new to it.
            let mut unknown = (0..ctx.runs.len())
                .filter(|&k| stamps.get(k).is_none_or(|s| s.id != ctx.runs[k].id));
            if !unknown.any(|k| sweep_search::near(spec, params, &self.runs[k].params, NEAR)) {
                self.taken += 1;
                self.taken_stale += 1;
                return Ok(proposal);
            }
        }
        self.compute(spec, seed)
    }

    /// The sampler's answer for the runs read last.
    fn compute(&mut self, spec: &SweepSpec, seed: u64) -> Result<Proposal, StoreError> {
        self.computed += 1;
        let runs = &self.runs;
        let suggestion = if spec.method == Method::Bayes {
            let observations = observations(spec, runs);
            self.searcher.suggest(spec, &observations, seed)
        } else {
            let existing: Vec<Params> = runs.iter().map(|r| r.params.clone()).collect();
            sweep_search::suggest(spec, &existing, seed)
        };
        match suggestion.map_err(|e| StoreError::Propose(Box::new(e)))? {
            Some(params) => {
                let config = resolve_config(&spec.config, &params);
                Ok(Proposal::New { params, config })
            }
            None => Ok(Proposal::Exhausted),
        }
    }

    /// Every run the claim lists, reading again only those whose stamp changed.
    fn refresh(&mut self, ctx: &ClaimContext) -> Result<(), StoreError> {
        let changed = changed(&self.stamps, ctx.runs);
        let ids: Vec<&str> = changed.iter().map(|&k| ctx.runs[k].id.as_str()).collect();
        let loaded = changed.into_iter().zip(ctx.load(&ids)?).collect();
        self.apply(ctx.runs, loaded);
        Ok(())
    }

    /// Brings the runs read to `stamps`: `loaded` holds each changed run by its index.
    fn apply(&mut self, stamps: &[RunStamp], loaded: Vec<(usize, ExistingRun)>) {
        let n = stamps.len();
        self.stamps.truncate(n);
        self.runs.truncate(n);
        // The indices are ascending, so the runs past the old end arrive in order.
        for (k, run) in loaded {
            if k < self.runs.len() {
                self.stamps[k] = stamps[k].clone();
                self.runs[k] = run;
            } else {
                self.stamps.push(stamps[k].clone());
                self.runs.push(run);
            }
        }
    }
}

/// The indices of the runs in `now` whose stamp differs from the one `known` holds.
fn changed(known: &[RunStamp], now: &[RunStamp]) -> Vec<usize> {
    (0..now.len())
        .filter(|&k| known.get(k) != Some(&now[k]))
        .collect()
}

/// What the Bayesian sampler learns from the runs so far: each run's state and metric
/// values, imputed by [`sweep_search::observations`] (W&B's rules).
pub fn observations(spec: &SweepSpec, runs: &[ExistingRun]) -> Vec<sweep_search::Observation> {
    let name = spec.metric.as_ref().map(|m| m.name.as_str());
    let runs: Vec<sweep_search::RunMetric> = runs
        .iter()
        .map(|r| {
            let summary = name.and_then(|n| r.summary.get(n));
            sweep_search::RunMetric {
                params: r.params.clone(),
                state: match r.status {
                    RunStatus::Completed | RunStatus::Pruned => sweep_search::RunState::Finished,
                    RunStatus::Failed => sweep_search::RunState::Failed,
                    RunStatus::Running | RunStatus::Pending | RunStatus::Interrupted => {
                        sweep_search::RunState::Running
                    }
                },
                best: summary.and_then(|s| s.best),
                latest: summary.and_then(|s| s.last),
            }
        })
        .collect();
    sweep_search::observations(spec.metric.as_ref(), &runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sweep_core::{Distribution, Goal, MetricSpec, ParamSpec};
    use sweep_store::{Claim, NewSweep, Owner, RunKey, RunOutcome, SqliteStore};

    fn claim(store: &dyn Store, driver: &mut SearchDriver, spec: &SweepSpec) -> Params {
        let owner = Owner {
            host: "h".into(),
            pid: 1,
            lease_secs: 3600.0,
        };
        let mut propose = |ctx: &ClaimContext| driver.propose(spec, 3, ctx);
        match store.claim_run("s", &owner, None, &mut propose) {
            Ok(Claim::Claimed { run, .. }) => {
                let x = run.params["x"].as_f64().unwrap_or(0.0);
                let key = RunKey::of(&run);
                let record = [("loss".to_string(), (x - 0.3).powi(2))].into();
                store
                    .append_history(&key, &[record], spec.metric.as_ref())
                    .unwrap();
                let done = RunOutcome {
                    status: RunStatus::Completed,
                    exit_code: Some(0),
                    reason: None,
                    stderr_tail: None,
                };
                store.finish_run(&key, &done).unwrap();
                run.params
            }
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    /// A proposal prepared outside the lock is taken by the claim without computing again,
    /// and it is the proposal the claim would have computed; once another claim came in
    /// between, the claim computes afresh.
    #[test]
    fn a_prepared_proposal_is_the_one_the_claim_would_compute() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let mut spec = SweepSpec::new(
            Method::Bayes,
            vec![ParamSpec::new(
                "x",
                Distribution::Uniform {
                    min: -1.0,
                    max: 1.0,
                },
            )],
        );
        spec.metric = Some(MetricSpec::new("loss", Goal::Minimize));
        store
            .create_sweep(&NewSweep {
                id: "s".into(),
                name: "s".into(),
                spec_text: String::new(),
                spec_path: None,
                spec: spec.clone(),
                seed: 3,
            })
            .unwrap();
        let mut other = SearchDriver::default();
        for _ in 0..6 {
            claim(&store, &mut other, &spec);
        }
        // What a claim made now would compute, by a driver that prepared nothing.
        let mut fresh = SearchDriver::default();
        let mut expected = None;
        store
            .peek_runs("s", &mut |ctx| {
                expected = Some(fresh.propose(&spec, 3, ctx)?);
                Ok(())
            })
            .unwrap();
        let Some(Proposal::New {
            params: expected, ..
        }) = expected
        else {
            panic!("no proposal");
        };
        let shared = Mutex::new(SearchDriver::default());
        SearchDriver::prepare(&shared, &store, "s", &spec, 3).unwrap();
        let mut driver = shared.into_inner().unwrap();
        assert_eq!(driver.computed, 1);
        let claimed = claim(&store, &mut driver, &spec);
        assert_eq!(driver.computed, 1, "the claim took the prepared proposal");
        assert_eq!(claimed, expected);
        // Prepared, then another worker claims first from the same runs: its run is on the
        // prepared point, so the claim computes afresh, and the two runs differ.
        let shared = Mutex::new(driver);
        SearchDriver::prepare(&shared, &store, "s", &spec, 3).unwrap();
        let mut driver = shared.into_inner().unwrap();
        let theirs = claim(&store, &mut other, &spec);
        let ours = claim(&store, &mut driver, &spec);
        assert_eq!(driver.computed, 3);
        assert_eq!(driver.taken_stale, 0);
        assert_ne!(theirs, ours);
        // Prepared, then another worker claims a point elsewhere and finishes it: the claim
        // takes the prepared proposal (what the sampler proposes with that run pending).
        let shared = Mutex::new(driver);
        SearchDriver::prepare(&shared, &store, "s", &spec, 3).unwrap();
        let mut driver = shared.into_inner().unwrap();
        let Some((
            _,
            Proposal::New {
                params: prepared, ..
            },
        )) = driver.ready.clone()
        else {
            panic!("nothing prepared");
        };
        let far = if prepared["x"].as_f64().unwrap_or(0.0) > 0.0 {
            -0.9
        } else {
            0.9
        };
        let far: Params = [("x".to_string(), far.into())].into();
        let mut elsewhere = SearchDriver::default();
        let mut propose = |_: &ClaimContext| {
            elsewhere.computed += 1;
            Ok(Proposal::New {
                params: far.clone(),
                config: resolve_config(&spec.config, &far),
            })
        };
        let owner = Owner {
            host: "h".into(),
            pid: 2,
            lease_secs: 3600.0,
        };
        assert!(matches!(
            store.claim_run("s", &owner, None, &mut propose),
            Ok(Claim::Claimed { .. })
        ));
        let ours = claim(&store, &mut driver, &spec);
        assert_eq!(ours, prepared, "the prepared proposal was taken");
        assert_eq!((driver.computed, driver.taken_stale), (4, 1));
    }
}
