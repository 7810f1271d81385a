//! What a sweep's workers in one process share between claims: the runs read so far and
//! the sampler's memo. A claim lists every run's stamp; only runs whose stamp changed since
//! the last claim are read again, so a claim in a sweep of a thousand runs parses a few.

use sweep_core::{Method, Params, RunStatus, SweepSpec, resolve_config};
use sweep_search::Searcher;
use sweep_store::{ClaimContext, ExistingRun, Proposal, RunStamp, StoreError};

/// The search side of a sweep in this process: it answers the store's `propose`.
#[derive(Debug, Default)]
pub(crate) struct SearchDriver {
    /// The stamps the runs in `runs` were read at, index for index.
    stamps: Vec<RunStamp>,
    runs: Vec<ExistingRun>,
    searcher: Searcher,
}

impl SearchDriver {
    /// The next run of `spec`, given the runs the claim lists.
    pub(crate) fn propose(
        &mut self,
        spec: &SweepSpec,
        seed: u64,
        ctx: &ClaimContext,
    ) -> Result<Proposal, StoreError> {
        let runs = self.refresh(ctx)?;
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
    fn refresh(&mut self, ctx: &ClaimContext) -> Result<&[ExistingRun], StoreError> {
        let n = ctx.runs.len();
        self.stamps.truncate(n);
        self.runs.truncate(n);
        let changed: Vec<usize> = (0..n)
            .filter(|&k| self.stamps.get(k) != Some(&ctx.runs[k]))
            .collect();
        let ids: Vec<&str> = changed.iter().map(|&k| ctx.runs[k].id.as_str()).collect();
        let loaded = ctx.load(&ids)?;
        // `changed` is ascending, so the runs past the old end arrive in order.
        for (k, run) in changed.into_iter().zip(loaded) {
            if k < self.runs.len() {
                self.stamps[k] = ctx.runs[k].clone();
                self.runs[k] = run;
            } else {
                self.stamps.push(ctx.runs[k].clone());
                self.runs.push(run);
            }
        }
        Ok(&self.runs)
    }
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
