//! What model-based search learns from each run: W&B's imputation rules, written once for
//! every caller (the sweep loop over the store, `sweep suggest` over W&B runs).

use crate::Observation;
use sweep_core::{Goal, Impute, ImputeWhileRunning, MetricSpec, Params};

/// Where a run stands, as imputation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Ended with a result (completed, or stopped early by the pruner).
    Finished,
    /// Ended without one (failed, crashed, killed).
    Failed,
    /// Still running, or waiting to run again (pending, interrupted, preempted).
    Running,
}

/// One run's metric, as imputation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetric {
    pub params: Params,
    pub state: RunState,
    /// The run's best valid value of the metric (by its goal), if it logged one.
    pub best: Option<f64>,
    /// The run's last valid value of the metric, if it logged one.
    pub latest: Option<f64>,
}

/// The observations Bayesian search conditions on, one per run, in order, as W&B's
/// `_construct_gp_data` builds them:
/// - a finished run counts with its best value; one that logged none is imputed by
///   `metric.impute`;
/// - a failed run is imputed by `metric.impute`;
/// - a running run is pending (`None`, the sampler's own business) unless
///   `metric.impute_while_running` names a rule; then it counts with its own best value so
///   far, and is imputed by that rule while it has logged none.
///
/// The rules: `worst` is the worst of the finished runs' best values (`None` while there
/// are none); `best` is the run's own best value (W&B's `metric_extremum`) and `latest` its
/// own last valid value, each falling back to `worst` when the run logged none (W&B falls
/// back to `0.0`, which for a loss would be the best value there is and would draw the
/// search to failing points). Values that are not finite count as not logged. Without a
/// metric every run is pending.
pub fn observations(metric: Option<&MetricSpec>, runs: &[RunMetric]) -> Vec<Observation> {
    let Some(metric) = metric else {
        return runs
            .iter()
            .map(|r| Observation {
                params: r.params.clone(),
                value: None,
            })
            .collect();
    };
    let valid = |v: Option<f64>| v.filter(|v| v.is_finite());
    let finished = runs
        .iter()
        .filter(|r| r.state == RunState::Finished)
        .filter_map(|r| valid(r.best));
    let worst = match metric.goal {
        Goal::Minimize => finished.reduce(f64::max),
        Goal::Maximize => finished.reduce(f64::min),
    };
    let imputed = |rule: Impute, r: &RunMetric| match rule {
        Impute::Worst => worst,
        Impute::Best => valid(r.best).or(worst),
        Impute::Latest => valid(r.latest).or(worst),
    };
    runs.iter()
        .map(|r| {
            let value = match r.state {
                RunState::Finished => valid(r.best).or_else(|| imputed(metric.impute, r)),
                RunState::Failed => imputed(metric.impute, r),
                RunState::Running => {
                    let rule = match metric.impute_while_running {
                        ImputeWhileRunning::Pending => None,
                        ImputeWhileRunning::Worst => Some(Impute::Worst),
                        ImputeWhileRunning::Best => Some(Impute::Best),
                        ImputeWhileRunning::Latest => Some(Impute::Latest),
                    };
                    rule.and_then(|rule| valid(r.best).or_else(|| imputed(rule, r)))
                }
            };
            Observation {
                params: r.params.clone(),
                value,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: RunState, best: Option<f64>, latest: Option<f64>) -> RunMetric {
        RunMetric {
            params: Params::new(),
            state,
            best,
            latest,
        }
    }

    fn values(metric: &MetricSpec, runs: &[RunMetric]) -> Vec<Option<f64>> {
        observations(Some(metric), runs)
            .into_iter()
            .map(|o| o.value)
            .collect()
    }

    #[test]
    fn every_state_under_every_policy() {
        let runs = [
            run(RunState::Finished, Some(0.2), Some(0.3)),
            run(RunState::Finished, Some(0.9), Some(0.9)),
            run(RunState::Finished, None, None),
            run(RunState::Failed, Some(0.35), Some(0.5)),
            run(RunState::Failed, None, Some(f64::NAN)),
            run(RunState::Running, Some(0.1), Some(0.4)),
            run(RunState::Running, None, Some(f64::NAN)),
        ];
        let mut m = MetricSpec::new("loss", Goal::Minimize);
        // Defaults: worst for finished-without-value and failed, pending while running.
        assert_eq!(
            values(&m, &runs),
            [
                Some(0.2),
                Some(0.9),
                Some(0.9),
                Some(0.9),
                Some(0.9),
                None,
                None
            ]
        );
        // `best` is the run's own best (W&B's metric_extremum), else the worst; a running
        // run that logged values counts with its own best whatever the rule.
        m.impute = Impute::Best;
        m.impute_while_running = ImputeWhileRunning::Latest;
        assert_eq!(
            values(&m, &runs),
            [
                Some(0.2),
                Some(0.9),
                Some(0.9),
                Some(0.35),
                Some(0.9),
                Some(0.1),
                Some(0.9)
            ],
            "latest falls back to the worst when the last value is NaN"
        );
        m.impute = Impute::Latest;
        m.impute_while_running = ImputeWhileRunning::Best;
        assert_eq!(
            values(&m, &runs),
            [
                Some(0.2),
                Some(0.9),
                Some(0.9),
                Some(0.5),
                Some(0.9),
                Some(0.1),
                Some(0.9)
            ]
        );
        // Maximising: the worst finished best is the smallest.
        m.goal = Goal::Maximize;
        m.impute = Impute::Worst;
        m.impute_while_running = ImputeWhileRunning::Worst;
        assert_eq!(
            values(&m, &runs)[3..7],
            [Some(0.2), Some(0.2), Some(0.1), Some(0.2)]
        );
    }

    #[test]
    fn nothing_finished_means_nothing_to_impute_and_no_metric_means_pending() {
        let runs = [
            run(RunState::Failed, None, None),
            run(RunState::Running, None, Some(1.0)),
        ];
        let mut m = MetricSpec::new("loss", Goal::Minimize);
        m.impute_while_running = ImputeWhileRunning::Worst;
        assert_eq!(values(&m, &runs), [None, None]);
        let pending = observations(None, &runs);
        assert!(pending.iter().all(|o| o.value.is_none()));
    }
}
