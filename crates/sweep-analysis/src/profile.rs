//! A group's profile over several metrics (what a radar chart draws): the metrics that sit
//! beside the sweep's metric, and each group's mean of them over its completed runs.

use sweep_core::{Goal, RunRecord, RunStatus};

/// Keys that count records rather than measure a model.
const STEP_KEYS: [&str; 7] = [
    "_step",
    "step",
    "epoch",
    "iteration",
    "_runtime",
    "_timestamp",
    "global_step",
];

/// At most this many metrics in a profile.
pub const PROFILE_MAX: usize = 8;

/// Several metrics of a few groups: `means[g][k]` is group `g`'s mean of `keys[k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub keys: Vec<String>,
    /// Each key's direction (the sweep metric's own goal for it, else the name's).
    pub goals: Vec<Goal>,
    /// `(group rank, mean of each key)`; `None` where no completed run has the key.
    pub means: Vec<(usize, Vec<Option<f64>>)>,
}

/// The metrics beside `metric` that a profile compares: `metric` first, then the other
/// keys with its prefix and no further `/` (`val/acc` brings `val/f1`, `val/loss`, not
/// `val/f1/cat` nor `train/acc`), by name, step counters left out, [`PROFILE_MAX`] at
/// most. Only keys that every completed run in `runs` has. Fewer than three: `None`
/// (two metrics make a line, not a profile).
pub fn profile_keys(runs: &[&RunRecord], metric: &str) -> Option<Vec<String>> {
    let prefix = metric.rfind('/').map_or("", |i| &metric[..=i]);
    let completed: Vec<&&RunRecord> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Completed)
        .collect();
    let first = completed.first()?;
    let mut keys = vec![metric.to_string()];
    keys.extend(
        first
            .summary
            .keys()
            .filter(|k| k.as_str() != metric)
            .filter(|k| {
                k.strip_prefix(prefix)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            })
            .filter(|k| !STEP_KEYS.contains(&&k[prefix.len()..]))
            .filter(|k| {
                completed
                    .iter()
                    .all(|r| r.summary.get(*k).and_then(|s| s.best).is_some())
            })
            .take(PROFILE_MAX - 1)
            .cloned(),
    );
    let has_metric = completed
        .iter()
        .all(|r| r.summary.get(metric).and_then(|s| s.best).is_some());
    (has_metric && keys.len() >= 3).then_some(keys)
}

/// Each group's mean of each key's best value (by its own goal) over its completed runs.
/// `groups` are `(rank, the group's runs)`.
pub fn profile(keys: &[String], groups: &[(usize, Vec<&RunRecord>)]) -> Profile {
    let goals = keys
        .iter()
        .map(|k| {
            groups
                .iter()
                .flat_map(|(_, runs)| runs.iter())
                .find_map(|r| r.summary.get(k).map(|s| s.goal))
                .unwrap_or(Goal::Maximize)
        })
        .collect();
    let means = groups
        .iter()
        .map(|(rank, runs)| {
            let row = keys
                .iter()
                .map(|k| {
                    let values: Vec<f64> = runs
                        .iter()
                        .filter(|r| r.status == RunStatus::Completed)
                        .filter_map(|r| r.summary.get(k)?.best)
                        .filter(|v| v.is_finite())
                        .collect();
                    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
                })
                .collect();
            (*rank, row)
        })
        .collect();
    Profile {
        keys: keys.to_vec(),
        goals,
        means,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sweep_core::{MetricSummary, Summary};

    fn run(status: RunStatus, metrics: &[(&str, f64)]) -> RunRecord {
        let mut r = crate::listing::tests::run(0, status, None);
        let mut s = Summary::new();
        for (k, v) in metrics {
            let goal = sweep_core::metric_goal(k, None);
            let mut m = MetricSummary::new(goal);
            m.push(*v, 0);
            s.insert(k.to_string(), m);
        }
        r.summary = s;
        r
    }

    #[test]
    fn the_profile_takes_the_metric_s_siblings_shared_by_every_completed_run() {
        let a = run(
            RunStatus::Completed,
            &[
                ("val/acc", 0.8),
                ("val/f1", 0.7),
                ("val/loss", 0.5),
                ("val/epoch", 3.0),
                ("val/f1/cat", 0.9),
                ("train/acc", 0.99),
                ("val/only_a", 1.0),
            ],
        );
        let b = run(
            RunStatus::Completed,
            &[("val/acc", 0.6), ("val/f1", 0.5), ("val/loss", 0.9)],
        );
        let failed = run(RunStatus::Failed, &[("val/acc", 0.1)]);
        let keys = profile_keys(&[&a, &b, &failed], "val/acc").unwrap();
        assert_eq!(keys, ["val/acc", "val/f1", "val/loss"]);
        let p = profile(&keys, &[(1, vec![&a]), (2, vec![&b, &failed])]);
        assert_eq!(p.goals, [Goal::Maximize, Goal::Maximize, Goal::Minimize]);
        assert_eq!(p.means[0], (1, vec![Some(0.8), Some(0.7), Some(0.5)]));
        assert_eq!(p.means[1], (2, vec![Some(0.6), Some(0.5), Some(0.9)]));
        // Two metrics are not a profile.
        assert_eq!(profile_keys(&[&b], "val/f1").map(|k| k.len()), Some(3));
        let two = run(RunStatus::Completed, &[("acc", 1.0), ("loss", 2.0)]);
        assert!(profile_keys(&[&two], "acc").is_none());
        assert!(profile_keys(&[&failed], "val/acc").is_none());
    }
}
