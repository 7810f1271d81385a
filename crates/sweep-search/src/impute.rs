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

/// The observations Bayesian search conditions on, one per run, in order:
/// - a finished run counts with its best value; one that logged none is imputed by
///   `metric.impute`;
/// - a failed run is imputed by `metric.impute`;
/// - a running run is pending (`None`, the sampler's own business) unless
///   `metric.impute_while_running` names a value.
///
/// `worst` and `best` are the worst and best best-values of the finished runs (`None` while
/// there are none); `latest` is the run's own last valid value, else the worst. Values that
/// are not finite count as not logged. Without a metric every run is pending.
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
    let (lo, hi) = finished
        .fold(None, |acc: Option<(f64, f64)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
        .map_or((None, None), |(lo, hi)| (Some(lo), Some(hi)));
    let (best, worst) = match metric.goal {
        Goal::Minimize => (lo, hi),
        Goal::Maximize => (hi, lo),
    };
    let imputed = |rule: Impute, r: &RunMetric| match rule {
        Impute::Worst => worst,
        Impute::Best => best,
        Impute::Latest => valid(r.latest).or(worst),
    };
    runs.iter()
        .map(|r| {
            let value = match r.state {
                RunState::Finished => valid(r.best).or_else(|| imputed(metric.impute, r)),
                RunState::Failed => imputed(metric.impute, r),
                RunState::Running => match metric.impute_while_running {
                    ImputeWhileRunning::Pending => None,
                    ImputeWhileRunning::Worst => imputed(Impute::Worst, r),
                    ImputeWhileRunning::Best => imputed(Impute::Best, r),
                    ImputeWhileRunning::Latest => imputed(Impute::Latest, r),
                },
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
            run(RunState::Failed, None, Some(0.5)),
            run(RunState::Failed, None, Some(f64::NAN)),
            run(RunState::Running, None, Some(0.4)),
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
        m.impute = Impute::Best;
        m.impute_while_running = ImputeWhileRunning::Latest;
        assert_eq!(
            values(&m, &runs),
            [
                Some(0.2),
                Some(0.9),
                Some(0.2),
                Some(0.2),
                Some(0.2),
                Some(0.4),
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
                Some(0.2),
                Some(0.2)
            ]
        );
        // Maximising flips worst and best.
        m.goal = Goal::Maximize;
        m.impute = Impute::Worst;
        m.impute_while_running = ImputeWhileRunning::Worst;
        assert_eq!(values(&m, &runs)[3..6], [Some(0.2), Some(0.2), Some(0.2)]);
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
