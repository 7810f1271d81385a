//! What a sweep's workers in one process share between claims: the runs read so far and
//! the sampler's memo. A claim lists every run's stamp; only runs whose stamp changed since
//! the last claim are read again, so a claim in a sweep of a thousand runs parses a few.
//!
//! The sampler runs outside the store's write lock: before claiming, a worker reads the
//! runs ([`Store::peek_runs`], no write lock) and computes the next proposal
//! ([`SearchDriver::prepare`]); the claim then takes it as it is when it lists the same
//! stamps (a proposal is a function of the runs, so it is the one the claim would compute),
//! and computes afresh inside the lock only when another worker's claim or result came
//! between.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// stale, or none was prepared).
    in_lock: AtomicU64,
    /// Set once a prepared proposal went stale (another process's claim came first):
    /// from then on this process's claims compute their proposal in the lock and do not
    /// prepare. Under such contention a prepare is mostly wasted, and on one machine its
    /// CPU is taken from the claim that holds the lock (BENCHMARKS.md, "Parallel search":
    /// retrying prepares after a pause measured worse tails).
    contended: AtomicBool,
}

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
        let prepared = rerun.is_none()
            && spec.method == Method::Bayes
            && !self.contended.load(Ordering::Relaxed);
        if prepared {
            // The Bayesian sampler (milliseconds, where grid and random take microseconds)
            // runs here, outside the store's write lock; the claim takes its answer when
            // nothing changed in between. An error here recurs in the claim, which
            // computes again and reports it.
            let _ = SearchDriver::prepare(&self.search, store, &sweep.id, spec, sweep.seed);
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
            let before = driver.computed;
            let proposal = driver.propose(spec, sweep.seed, ctx);
            if driver.computed != before {
                self.in_lock.fetch_add(1, Ordering::Relaxed);
                if prepared {
                    self.contended.store(true, Ordering::Relaxed);
                }
            }
            proposal
        };
        store.claim_run(&sweep.id, owner, spec.run_cap, &mut propose)
    }

    /// How many claims so far computed their proposal inside the store's write lock.
    pub fn computed_in_lock(&self) -> u64 {
        self.in_lock.load(Ordering::Relaxed)
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
    /// the claim lists the runs it was computed from, else computed now.
    pub(crate) fn propose(
        &mut self,
        spec: &SweepSpec,
        seed: u64,
        ctx: &ClaimContext,
    ) -> Result<Proposal, StoreError> {
        if let Some((stamps, proposal)) = self.ready.take()
            && stamps == ctx.runs
        {
            return Ok(proposal);
        }
        self.refresh(ctx)?;
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
        // Prepared, then another worker claims first: the stamps differ, so it computes.
        let shared = Mutex::new(driver);
        SearchDriver::prepare(&shared, &store, "s", &spec, 3).unwrap();
        let mut driver = shared.into_inner().unwrap();
        claim(&store, &mut other, &spec);
        claim(&store, &mut driver, &spec);
        assert_eq!(driver.computed, 3);
    }
}
