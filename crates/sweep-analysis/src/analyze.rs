//! Seeds aggregated: each group's statistics for one metric, the groups ranked with their
//! intervals and tested against the best, and two groups compared.
//!
//! Only completed runs carry a value: a failed run has no result, a pruned one stopped
//! early, a running one is not done; they are counted as `missing` in their group.

use crate::group::Grouping;
use crate::listing::better_first;
use crate::stats::{self, BOOTSTRAP_RESAMPLES, Describe, Interval};
use rayon::prelude::*;
use std::collections::BTreeMap;
use sweep_core::{Goal, RunRecord, RunStatus, Value};

/// The confidence level of every interval.
pub const LEVEL: f64 = 0.95;
/// The seed of every bootstrap, so that the same runs give the same intervals.
pub const BOOTSTRAP_SEED: u64 = 0;

/// One group's result for a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupResult {
    /// The group's value of each varying key.
    pub params: BTreeMap<String, Value>,
    /// The ids of all its runs, whatever their status.
    pub runs: Vec<String>,
    /// The values of its completed runs that have one, in run order.
    pub values: Vec<f64>,
    /// Its runs without a value (not completed, or no value logged).
    pub missing: usize,
    /// Statistics of `values`; `None` when there are none.
    pub stats: Option<Describe>,
    /// Percentile bootstrap interval of the mean at [`LEVEL`].
    pub ci: Option<Interval>,
}

impl GroupResult {
    /// The number of values.
    pub fn n(&self) -> usize {
        self.values.len()
    }

    pub fn mean(&self) -> Option<f64> {
        self.stats.map(|s| s.mean)
    }
}

/// Each group's result, given each run's value (`values[i]` for `runs[i]`, as
/// [`crate::Reduce::value`] gives it).
pub fn group_results(
    grouping: &Grouping,
    runs: &[&RunRecord],
    values: &[Option<f64>],
) -> Vec<GroupResult> {
    // Groups in parallel: the bootstrap is most of the cost (100 groups of 100 runs are
    // 10^8 draws).
    grouping
        .groups
        .par_iter()
        .map(|g| {
            let mut kept = Vec::new();
            let mut missing = 0;
            for &i in &g.runs {
                let value = values.get(i).copied().flatten().filter(|v| v.is_finite());
                match (runs.get(i).map(|r| r.status), value) {
                    (Some(RunStatus::Completed), Some(v)) => kept.push(v),
                    _ => missing += 1,
                }
            }
            GroupResult {
                params: g.params.clone(),
                runs: g
                    .runs
                    .iter()
                    .filter_map(|&i| runs.get(i).map(|r| r.id.clone()))
                    .collect(),
                stats: stats::describe(&kept),
                ci: stats::bootstrap_mean_ci(&kept, LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED),
                values: kept,
                missing,
            }
        })
        .collect()
}

/// A group in a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// 1 for the best.
    pub rank: usize,
    pub group: GroupResult,
    /// Welch's t-test of this group against the best (two-sided), `None` for the best
    /// itself and where a group has no values.
    pub welch_p_vs_best: Option<f64>,
    /// That p-value Holm-adjusted over every group compared with the best.
    pub holm_p_vs_best: Option<f64>,
}

/// Each run's group rank, by run id.
pub fn rank_by_run(ranked: &[Ranked]) -> std::collections::HashMap<&str, usize> {
    ranked
        .iter()
        .flat_map(|g| g.group.runs.iter().map(move |id| (id.as_str(), g.rank)))
        .collect()
}

/// Groups best first by mean (by `goal`), groups without values last, ties in their
/// first run's order; each group tested against the best.
pub fn rank_groups(results: Vec<GroupResult>, goal: Goal) -> Vec<Ranked> {
    let mut order: Vec<usize> = (0..results.len()).collect();
    order
        .sort_by(|&a, &b| better_first(results[a].mean(), results[b].mean(), goal).then(a.cmp(&b)));
    let mut slots: Vec<Option<GroupResult>> = results.into_iter().map(Some).collect();
    let ranked: Vec<GroupResult> = order.iter().filter_map(|&i| slots[i].take()).collect();
    let best = ranked
        .first()
        .filter(|g| g.n() > 0)
        .map(|g| g.values.clone());
    let raw: Vec<Option<f64>> = ranked
        .iter()
        .enumerate()
        .map(|(i, g)| match &best {
            Some(best) if i > 0 && g.n() > 0 => Some(stats::welch_t(&g.values, best).p_value),
            _ => None,
        })
        .collect();
    // Holm over the p-values that exist (NaN ones, from groups of one, stay NaN).
    let present: Vec<f64> = raw.iter().flatten().copied().collect();
    let mut adjusted = stats::holm(&present).into_iter();
    let holm: Vec<Option<f64>> = raw
        .iter()
        .map(|p| p.and_then(|_| adjusted.next()))
        .collect();
    ranked
        .into_iter()
        .zip(raw.into_iter().zip(holm))
        .enumerate()
        .map(|(i, (group, (welch, holm)))| Ranked {
            rank: i + 1,
            group,
            welch_p_vs_best: welch,
            holm_p_vs_best: holm,
        })
        .collect()
}

/// Whether the best group beats the runner-up: Welch's p-value of the runner-up against
/// the best below `1 - LEVEL`. `None` when there is no runner-up with values or the test
/// is undefined (a group of one run).
pub fn beats_runner_up(ranked: &[Ranked]) -> Option<bool> {
    let p = ranked.get(1)?.welch_p_vs_best?;
    (!p.is_nan()).then_some(p < 1.0 - LEVEL)
}

/// Two groups' values compared (`a` minus `b` for the difference).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupComparison {
    pub welch_t: f64,
    pub welch_p: f64,
    pub mann_whitney_u: f64,
    pub mann_whitney_p: f64,
    pub ks: f64,
    pub ks_p: f64,
    pub diff_mean: f64,
    /// Percentile bootstrap interval of the difference of the means at [`LEVEL`].
    pub diff_ci_low: f64,
    pub diff_ci_high: f64,
}

/// Welch's t-test, Mann–Whitney U, two-sample Kolmogorov–Smirnov (scipy's defaults) and a
/// bootstrap interval of the difference of the means; `None` when either has no values.
pub fn compare_groups(a: &[f64], b: &[f64]) -> Option<GroupComparison> {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let welch = stats::welch_t(a, b);
    let mwu = stats::mann_whitney_u(a, b);
    let ks = stats::ks_2samp(a, b);
    let ci = stats::bootstrap_diff_ci(a, b, LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)?;
    Some(GroupComparison {
        welch_t: welch.statistic,
        welch_p: welch.p_value,
        mann_whitney_u: mwu.statistic,
        mann_whitney_p: mwu.p_value,
        ks: ks.statistic,
        ks_p: ks.p_value,
        diff_mean: mean(a) - mean(b),
        diff_ci_low: ci.low,
        diff_ci_high: ci.high,
    })
}

/// A number for JSON: `null` when not finite.
fn number(v: Option<f64>) -> Value {
    v.filter(|v| v.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A group as `sweep analyze groups --format json` prints it. The names are a stable
/// interface: `params`, `n`, `mean`, `std` (sample, n − 1), `ci_low`, `ci_high`, `runs`,
/// `metric`, and `sem`, `median`, `min`, `max`, `missing`.
pub fn group_json(group: &GroupResult, metric: &str) -> Value {
    let s = group.stats;
    serde_json::json!({
        "params": group.params,
        "metric": metric,
        "n": group.n(),
        "missing": group.missing,
        "mean": number(s.map(|s| s.mean)),
        "std": number(s.map(|s| s.std)),
        "sem": number(s.map(|s| s.sem)),
        "median": number(s.map(|s| s.median)),
        "min": number(s.map(|s| s.min)),
        "max": number(s.map(|s| s.max)),
        "ci_low": number(group.ci.map(|c| c.low)),
        "ci_high": number(group.ci.map(|c| c.high)),
        "runs": group.runs,
    })
}

/// A ranked group as `sweep analyze rank --format json` prints it: [`group_json`] with
/// `rank`, `welch_p_vs_best` and `holm_p_vs_best`.
pub fn ranked_json(ranked: &Ranked, metric: &str) -> Value {
    let mut v = group_json(&ranked.group, metric);
    v["rank"] = ranked.rank.into();
    v["welch_p_vs_best"] = number(ranked.welch_p_vs_best);
    v["holm_p_vs_best"] = number(ranked.holm_p_vs_best);
    v
}

/// A comparison as `sweep analyze compare --format json` prints it: `welch_t`, `welch_p`,
/// `mann_whitney_u`, `mann_whitney_p`, `ks`, `ks_p`, `diff_mean`, `diff_ci_low`,
/// `diff_ci_high`, with the two groups as `a` and `b`.
pub fn comparison_json(
    a: &GroupResult,
    b: &GroupResult,
    c: Option<&GroupComparison>,
    metric: &str,
) -> Value {
    let f = |get: fn(&GroupComparison) -> f64| number(c.map(get));
    serde_json::json!({
        "metric": metric,
        "a": group_json(a, metric),
        "b": group_json(b, metric),
        "welch_t": f(|c| c.welch_t),
        "welch_p": f(|c| c.welch_p),
        "mann_whitney_u": f(|c| c.mann_whitney_u),
        "mann_whitney_p": f(|c| c.mann_whitney_p),
        "ks": f(|c| c.ks),
        "ks_p": f(|c| c.ks_p),
        "diff_mean": f(|c| c.diff_mean),
        "diff_ci_low": f(|c| c.diff_ci_low),
        "diff_ci_high": f(|c| c.diff_ci_high),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{NoiseRules, group_runs};
    use serde_json::json;

    fn run(id: &str, config: Value, status: RunStatus) -> RunRecord {
        let mut r = crate::listing::tests::run(0, status, None);
        r.id = id.into();
        r.config = config;
        r
    }

    /// Three models over three seeds; `c` is clearly best, `a` and `b` are close.
    fn three_models() -> (Vec<RunRecord>, Vec<Option<f64>>) {
        let mut runs = Vec::new();
        let mut values = Vec::new();
        for (model, vals) in [
            ("a", [0.80, 0.82, 0.81]),
            ("b", [0.81, 0.80, 0.83]),
            ("c", [0.90, 0.91, 0.92]),
        ] {
            for (seed, v) in vals.into_iter().enumerate() {
                runs.push(run(
                    &format!("{model}{seed}"),
                    json!({"model": model, "seed": seed}),
                    RunStatus::Completed,
                ));
                values.push(Some(v));
            }
        }
        runs.push(run(
            "c-failed",
            json!({"model": "c", "seed": 3}),
            RunStatus::Failed,
        ));
        values.push(None);
        (runs, values)
    }

    #[test]
    fn groups_aggregate_seeds_and_rank_with_tests_against_the_best() {
        let (runs, values) = three_models();
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let grouping = group_runs(&refs, &NoiseRules::new());
        let results = group_results(&grouping, &refs, &values);
        assert_eq!(results.len(), 3);
        let c = &results[2];
        assert_eq!((c.n(), c.missing), (3, 1));
        assert_eq!(c.runs, ["c0", "c1", "c2", "c-failed"]);
        assert!((c.mean().unwrap_or(0.0) - 0.91).abs() < 1e-12);
        let ci = c.ci.unwrap_or(Interval {
            low: 0.0,
            high: 0.0,
        });
        assert!(ci.low <= 0.91 && 0.91 <= ci.high && ci.low >= 0.9 && ci.high <= 0.92);
        let ranked = rank_groups(results, Goal::Maximize);
        let order: Vec<&Value> = ranked.iter().map(|r| &r.group.params["model"]).collect();
        assert_eq!(order, [&json!("c"), &json!("b"), &json!("a")]);
        assert_eq!(ranked[0].welch_p_vs_best, None);
        let p_b = ranked[1].welch_p_vs_best.unwrap_or(1.0);
        let p_a = ranked[2].welch_p_vs_best.unwrap_or(1.0);
        assert!(p_b < 0.01 && p_a < 0.01, "{p_b} {p_a}");
        // Holm: the smaller p is doubled, the larger kept (and never below the smaller).
        let (h_b, h_a) = (
            ranked[1].holm_p_vs_best.unwrap_or(0.0),
            ranked[2].holm_p_vs_best.unwrap_or(0.0),
        );
        assert!(h_b >= p_b && h_a >= p_a);
        assert_eq!(beats_runner_up(&ranked), Some(true));
        // Minimising reverses the order.
        let (runs, values) = three_models();
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let results = group_results(&group_runs(&refs, &NoiseRules::new()), &refs, &values);
        assert_eq!(
            rank_groups(results, Goal::Minimize)[0].group.params["model"],
            "a"
        );
    }

    #[test]
    fn close_groups_are_not_called_different_and_json_names_are_stable() {
        let (runs, values) = three_models();
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let results = group_results(&group_runs(&refs, &NoiseRules::new()), &refs, &values);
        let (a, b) = (&results[0], &results[1]);
        let c = compare_groups(&a.values, &b.values);
        let c = c.unwrap_or(GroupComparison {
            welch_t: 0.0,
            welch_p: 0.0,
            mann_whitney_u: 0.0,
            mann_whitney_p: 0.0,
            ks: 0.0,
            ks_p: 0.0,
            diff_mean: 0.0,
            diff_ci_low: 0.0,
            diff_ci_high: 0.0,
        });
        assert!(
            c.welch_p > 0.05 && c.mann_whitney_p > 0.05 && c.ks_p > 0.05,
            "{c:?}"
        );
        assert!(c.diff_ci_low < 0.0 && c.diff_ci_high > 0.0, "{c:?}");
        assert!((c.diff_mean - (-0.01 / 3.0)).abs() < 1e-12);
        let v = comparison_json(a, b, Some(&c), "acc");
        for key in [
            "welch_t",
            "welch_p",
            "mann_whitney_p",
            "ks_p",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
        ] {
            assert!(v[key].is_number(), "{key} in {v}");
        }
        let g = group_json(a, "acc");
        for key in [
            "params", "n", "mean", "std", "ci_low", "ci_high", "runs", "metric",
        ] {
            assert!(g.get(key).is_some(), "{key} in {g}");
        }
        assert_eq!(g["n"], 3);
        // A group of one has no std and no test against it: null, not NaN.
        let one = GroupResult {
            params: BTreeMap::new(),
            runs: vec!["x".into()],
            values: vec![0.5],
            missing: 0,
            stats: stats::describe(&[0.5]),
            ci: stats::bootstrap_mean_ci(&[0.5], LEVEL, 100, 0),
        };
        assert_eq!(group_json(&one, "acc")["std"], Value::Null);
        assert!(compare_groups(&[], &a.values).is_none());
    }
}
