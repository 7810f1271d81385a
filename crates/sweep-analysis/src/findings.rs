//! Short findings about a ranked analysis, each stating the numbers it rests on: the best
//! setting and its margin, which groups the best's interval cannot tell apart, what
//! matters, which groups overfit or were still improving, what is missing, and the
//! cheapest group within the best's interval.

use crate::analyze::{GroupResult, Ranked};
use crate::completeness::Completeness;
use crate::importance::Importance;
use crate::insights::InsightMeans;
use sweep_core::MetricSpec;

/// What the findings are drawn from.
pub struct FindingsInput<'a> {
    pub metric: &'a MetricSpec,
    /// Groups best first.
    pub ranked: &'a [Ranked],
    pub importance: &'a [Importance],
    pub completeness: &'a Completeness,
    /// Each group's mean training insights, by rank.
    pub insights: &'a [(usize, InsightMeans)],
    /// Each group's mean wall seconds per run (`resources/wall_s`), by rank.
    pub cost: &'a [(usize, f64)],
}

fn number(v: f64) -> String {
    if v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A group by its params (`model.kind=svm, model.c=0.1`), or `rank N` when none vary.
pub fn group_label(g: &GroupResult) -> String {
    crate::select::params_label(&g.params)
}

/// The findings, most important first.
pub fn findings(input: &FindingsInput) -> Vec<String> {
    let mut out = Vec::new();
    let m = &input.metric.name;
    let Some(best) = input.ranked.first().filter(|b| b.group.n() > 0) else {
        return out;
    };
    let best_mean = best.group.mean().unwrap_or(f64::NAN);
    let mut sentence = format!(
        "Best: {} with {m} {} (n = {}",
        group_label(&best.group),
        number(best_mean),
        best.group.n()
    );
    if let Some(ci) = best.group.ci.filter(|_| best.group.n() > 1) {
        sentence.push_str(&format!(
            ", 95% CI [{}, {}]",
            number(ci.low),
            number(ci.high)
        ));
    }
    sentence.push(')');
    if let Some(second) = input.ranked.get(1).and_then(|r| Some((r, r.group.mean()?))) {
        sentence.push_str(&format!(
            ", {} ahead of {} ({}).",
            number((best_mean - second.1).abs()),
            group_label(&second.0.group),
            number(second.1)
        ));
    } else {
        sentence.push('.');
    }
    out.push(sentence);
    // Groups whose mean lies inside the best's interval: the data cannot rank them.
    let tied: Vec<&Ranked> = match best.group.ci.filter(|_| best.group.n() > 1) {
        Some(ci) => input.ranked[1..]
            .iter()
            .filter(|r| r.group.mean().is_some_and(|v| ci.low <= v && v <= ci.high))
            .collect(),
        None => Vec::new(),
    };
    if !tied.is_empty() {
        out.push(format!(
            "{} other group(s) have a mean inside the best's 95% interval: the data cannot rank them against it.",
            tied.len()
        ));
    }
    let mattering: Vec<String> = input
        .importance
        .iter()
        .filter(|i| i.variance_share >= 0.1)
        .take(3)
        .map(|i| format!("{} explains {:.0}%", i.key, 100.0 * i.variance_share))
        .collect();
    if !mattering.is_empty() {
        out.push(format!(
            "Of {m}'s variance, {} (first-order estimates).",
            mattering.join(", ")
        ));
    }
    let label_of = |rank: usize| {
        input
            .ranked
            .iter()
            .find(|r| r.rank == rank)
            .map(|r| group_label(&r.group))
            .unwrap_or_default()
    };
    if let Some((rank, gap)) = input
        .insights
        .iter()
        .filter_map(|(r, i)| Some((*r, i.gap?)))
        .filter(|(_, g)| *g > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        out.push(format!(
            "Largest train-validation gap: {} ({} in train's favour): a sign of overfitting.",
            label_of(rank),
            number(gap)
        ));
    }
    let improving: Vec<String> = input
        .insights
        .iter()
        .filter(|(_, i)| {
            i.iterations.is_some_and(|n| n >= 2.0)
                && i.best_at.zip(i.iterations).is_some_and(|(b, n)| b >= n)
        })
        .map(|(r, _)| label_of(*r))
        .collect();
    if !improving.is_empty() {
        out.push(format!(
            "Still improving at the last iteration (best value there): {}; more iterations may help.",
            improving.join("; ")
        ));
    }
    let c = input.completeness;
    if !c.missing.is_empty() || !c.without_result.is_empty() {
        out.push(format!(
            "{} grid cell(s) never ran and {} have no result (failed, pruned or interrupted).",
            c.missing.len(),
            c.without_result.len()
        ));
    }
    if let Some(ci) = best.group.ci.filter(|_| best.group.n() > 1) {
        let cost_of = |rank: usize| input.cost.iter().find(|(r, _)| *r == rank).map(|c| c.1);
        let cheapest = input
            .ranked
            .iter()
            .filter(|r| r.group.mean().is_some_and(|v| ci.low <= v && v <= ci.high))
            .filter_map(|r| Some((r, cost_of(r.rank)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some((r, c)), Some(best_cost)) = (cheapest, cost_of(best.rank))
            && r.rank != best.rank
            && c < best_cost
        {
            out.push(format!(
                "Cheapest within the best's interval: {} ({}: {} s per run against {} s for the best).",
                group_label(&r.group),
                number(r.group.mean().unwrap_or(f64::NAN)),
                number(c),
                number(best_cost)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{LEVEL, rank_groups};
    use crate::stats::{bootstrap_mean_ci, describe};
    use serde_json::json;
    use std::collections::BTreeMap;
    use sweep_core::Goal;

    fn group(model: &str, values: &[f64]) -> GroupResult {
        GroupResult {
            params: BTreeMap::from([("model".to_string(), json!(model))]),
            runs: (0..values.len()).map(|i| format!("{model}{i}")).collect(),
            values: values.to_vec(),
            missing: 0,
            stats: describe(values),
            ci: bootstrap_mean_ci(values, LEVEL, 2000, 0),
        }
    }

    #[test]
    fn findings_name_the_best_the_ties_what_matters_and_the_cheapest() {
        let ranked = rank_groups(
            vec![
                group("a", &[0.91, 0.93, 0.95]),
                group("b", &[0.90, 0.92, 0.94]),
                group("c", &[0.50, 0.52, 0.51]),
            ],
            Goal::Maximize,
        );
        let metric = MetricSpec::new("acc", Goal::Maximize);
        let importance = vec![Importance {
            key: "model".into(),
            variance_share: 0.97,
            spearman: None,
            levels: 3,
            n: 9,
        }];
        let mut completeness = Completeness::default();
        completeness.missing.push(Default::default());
        let rank_of = |m: &str| {
            ranked
                .iter()
                .find(|r| r.group.params["model"] == m)
                .map_or(0, |r| r.rank)
        };
        let insights = vec![
            (
                rank_of("a"),
                InsightMeans {
                    n: 3,
                    iterations: Some(10.0),
                    best_at: Some(10.0),
                    gap: Some(0.2),
                    ..InsightMeans::default()
                },
            ),
            (
                rank_of("b"),
                InsightMeans {
                    n: 3,
                    iterations: Some(10.0),
                    best_at: Some(4.0),
                    gap: Some(0.05),
                    ..InsightMeans::default()
                },
            ),
        ];
        let cost = vec![
            (rank_of("a"), 10.0),
            (rank_of("b"), 2.0),
            (rank_of("c"), 1.0),
        ];
        let f = findings(&FindingsInput {
            metric: &metric,
            ranked: &ranked,
            importance: &importance,
            completeness: &completeness,
            insights: &insights,
            cost: &cost,
        });
        assert!(
            f[0].starts_with("Best: model=a with acc 0.93 (n = 3, 95% CI ["),
            "{f:?}"
        );
        assert!(f[0].ends_with("0.01 ahead of model=b (0.92)."), "{f:?}");
        assert!(
            f.iter()
                .any(|s| s.starts_with("1 other group(s) have a mean inside")),
            "{f:?}"
        );
        assert!(f.iter().any(|s| s.contains("model explains 97%")), "{f:?}");
        assert!(
            f.iter()
                .any(|s| s.contains("gap: model=a (0.2 in train's favour)")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|s| s.starts_with("Still improving")
                && s.contains("model=a")
                && !s.contains("model=b")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|s| s.starts_with("1 grid cell(s) never ran")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|s| s.starts_with(
                "Cheapest within the best's interval: model=b (0.92: 2 s per run against 10 s"
            )),
            "{f:?}"
        );
        // Nothing to say about an empty analysis.
        let none = findings(&FindingsInput {
            metric: &metric,
            ranked: &[],
            importance: &[],
            completeness: &Completeness::default(),
            insights: &[],
            cost: &[],
        });
        assert!(none.is_empty());
    }
}
