//! Which columns a run listing has, and the ranking of runs by a metric.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use sweep_core::{Goal, MetricSpec, RunRecord, RunStatus, SweepSpec};

/// The columns of a run listing: the params that vary in any of the sweeps, then each
/// distinct sweep metric (first one first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns {
    pub params: Vec<String>,
    pub metrics: Vec<MetricSpec>,
}

impl Columns {
    pub fn for_specs<'a>(specs: impl IntoIterator<Item = &'a SweepSpec>) -> Self {
        let mut params = BTreeSet::new();
        let mut metrics: Vec<MetricSpec> = Vec::new();
        for spec in specs {
            params.extend(spec.varying_params());
            if let Some(m) = &spec.metric
                && !metrics.iter().any(|x| x.name == m.name)
            {
                metrics.push(m.clone());
            }
        }
        Columns {
            params: params.into_iter().collect(),
            metrics,
        }
    }
}

/// Best first by `goal`, values that are missing last (they compare equal to each other,
/// so a stable sort keeps their order): the one ordering of results every ranking uses.
pub fn better_first(a: Option<f64>, b: Option<f64>, goal: Goal) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => {
            let o = x.total_cmp(&y);
            if goal == Goal::Maximize {
                o.reverse()
            } else {
                o
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Which of `(cost, value)` points are on the Pareto front: no other point costs at most
/// as much and has a value at least as good (by `goal`) with one of the two strictly
/// better. Points with a non-finite coordinate are never on it.
pub fn pareto_front(points: &[(f64, f64)], goal: Goal) -> Vec<bool> {
    let better = |a: f64, b: f64| match goal {
        Goal::Maximize => a > b,
        Goal::Minimize => a < b,
    };
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    points
        .iter()
        .map(|p| {
            finite(p)
                && !points.iter().any(|q| {
                    finite(q)
                        && q.0 <= p.0
                        && (q.1 == p.1 || better(q.1, p.1))
                        && (q.0 < p.0 || better(q.1, p.1))
                })
        })
        .collect()
}

/// A run's result for `metric`: the best value it logged.
pub fn best_value(run: &RunRecord, metric: &MetricSpec) -> Option<f64> {
    run.summary.get(&metric.name).and_then(|s| s.best)
}

/// Sorts runs best first by `metric`: completed runs first (a failed run's metric is not a
/// result), then by their best value in the metric's goal, runs without a value last, ties
/// and value-less runs by their number. Without a metric the order is kept.
pub fn rank(runs: &mut [&RunRecord], metric: Option<&MetricSpec>) {
    let Some(m) = metric else {
        return;
    };
    runs.sort_by(|a, b| {
        let unfinished = |r: &RunRecord| r.status != RunStatus::Completed;
        if unfinished(a) != unfinished(b) {
            return unfinished(a).cmp(&unfinished(b));
        }
        better_first(best_value(a, m), best_value(b, m), m.goal).then(a.number.cmp(&b.number))
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sweep_core::{MetricSummary, Params, Summary};

    pub(crate) fn run(number: u64, status: RunStatus, acc: Option<f64>) -> RunRecord {
        let mut summary = Summary::new();
        if let Some(v) = acc {
            let mut s = MetricSummary::new(Goal::Maximize);
            s.push(v, 0);
            summary.insert("acc".into(), s);
        }
        RunRecord {
            id: format!("r{number}"),
            name: format!("s-{number}"),
            sweep_id: "s".into(),
            number,
            status,
            params: Params::new(),
            config: serde_json::json!({}),
            config_hash: String::new(),
            summary,
            history_len: u64::from(acc.is_some()),
            attempt: 1,
            created_at: 0.0,
            started_at: Some(1.0),
            ended_at: Some(3.5),
            host: None,
            pid: None,
            exit_code: None,
            reason: None,
            stderr_tail: None,
            tags: Vec::new(),
            note: None,
            origin: None,
        }
    }

    #[test]
    fn the_pareto_front_keeps_the_points_nothing_beats_on_both() {
        let pts = [
            (1.0, 0.5),
            (2.0, 0.9),
            (3.0, 0.8),
            (0.5, 0.4),
            (2.0, 0.9),
            (f64::NAN, 1.0),
        ];
        assert_eq!(
            pareto_front(&pts, Goal::Maximize),
            [true, true, false, true, true, false]
        );
        let losses = [(1.0, 0.5), (2.0, 0.4), (3.0, 0.45)];
        assert_eq!(pareto_front(&losses, Goal::Minimize), [true, true, false]);
    }

    #[test]
    fn completed_runs_rank_first_best_value_first() {
        let runs = [
            run(0, RunStatus::Completed, Some(0.7)),
            run(1, RunStatus::Failed, Some(0.99)),
            run(2, RunStatus::Completed, None),
            run(3, RunStatus::Completed, Some(0.9)),
            run(4, RunStatus::Completed, Some(0.7)),
        ];
        let mut refs: Vec<&RunRecord> = runs.iter().collect();
        let metric = MetricSpec::new("acc", Goal::Maximize);
        rank(&mut refs, Some(&metric));
        let order: Vec<u64> = refs.iter().map(|r| r.number).collect();
        assert_eq!(order, [3, 0, 4, 2, 1]);
        let metric = MetricSpec::new("acc", Goal::Minimize);
        rank(&mut refs, Some(&metric));
        let order: Vec<u64> = refs.iter().map(|r| r.number).collect();
        assert_eq!(order, [0, 4, 3, 2, 1]);
        rank(&mut refs, None);
        assert_eq!(refs.iter().map(|r| r.number).collect::<Vec<_>>(), order);
    }
}
