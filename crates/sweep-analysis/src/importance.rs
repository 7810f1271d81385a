//! Which varying keys matter for a metric: estimates, labelled as such.
//!
//! - **Variance share** (η², the first-order effect of functional ANOVA): the share of the
//!   metric's variance over completed runs that the key's value explains on its own,
//!   `Σ_v n_v (mean_v − mean)² / Σ (y − mean)²` over the key's distinct values `v`. On a
//!   full grid it is exactly fANOVA's first-order importance; on random search it is an
//!   estimate that grows with the number of distinct values (a key with a value per run
//!   explains everything), so `levels` is reported beside it.
//! - **Spearman correlation** with the metric, for keys whose values are all numbers.

use crate::compare::flatten;
use crate::stats::spearman;
use std::collections::BTreeMap;
use sweep_core::{RunRecord, RunStatus, Value, value_key};

/// One key's importance for a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Importance {
    pub key: String,
    /// η²: the share of the metric's variance the key's value explains alone, in [0, 1];
    /// NaN when the metric does not vary.
    pub variance_share: f64,
    /// Spearman's rank correlation with the metric, for numeric keys (NaN when undefined).
    pub spearman: Option<f64>,
    /// The number of distinct values the key takes over the runs counted.
    pub levels: usize,
    /// The number of runs counted (completed, with a value).
    pub n: usize,
}

impl Importance {
    /// The JSON `sweep analyze importance --format json` prints (stable names); the
    /// metric is the caller's.
    pub fn to_json(&self, metric: &str) -> Value {
        let number = |v: f64| serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number);
        serde_json::json!({
            "key": self.key,
            "variance_share": number(self.variance_share),
            "spearman": self.spearman.map(number),
            "levels": self.levels,
            "n": self.n,
            "metric": metric,
        })
    }
}

/// The importance of each of `keys` (the varying keys of a grouping) for the metric,
/// `values[i]` being run `i`'s value, most important first (by variance share).
pub fn importance(keys: &[String], runs: &[&RunRecord], values: &[Option<f64>]) -> Vec<Importance> {
    let counted: Vec<(BTreeMap<String, Value>, f64)> = runs
        .iter()
        .zip(values)
        .filter(|(r, _)| r.status == RunStatus::Completed)
        .filter_map(|(r, v)| v.filter(|v| v.is_finite()).map(|v| (flatten(&r.config), v)))
        .collect();
    let n = counted.len();
    let ys: Vec<f64> = counted.iter().map(|c| c.1).collect();
    let mean = ys.iter().sum::<f64>() / n.max(1) as f64;
    let total: f64 = ys.iter().map(|y| (y - mean).powi(2)).sum();
    let mut out: Vec<Importance> = keys
        .iter()
        .map(|key| {
            let value_of =
                |c: &(BTreeMap<String, Value>, f64)| c.0.get(key).cloned().unwrap_or(Value::Null);
            let mut levels: BTreeMap<String, (usize, f64)> = BTreeMap::new();
            for c in &counted {
                let e = levels.entry(value_key(&value_of(c))).or_default();
                e.0 += 1;
                e.1 += c.1;
            }
            let between: f64 = levels
                .values()
                .map(|&(k, sum)| k as f64 * (sum / k as f64 - mean).powi(2))
                .sum();
            let variance_share = if total > 0.0 {
                (between / total).clamp(0.0, 1.0)
            } else {
                f64::NAN
            };
            let xs: Option<Vec<f64>> = counted.iter().map(|c| value_of(c).as_f64()).collect();
            Importance {
                key: key.clone(),
                variance_share,
                spearman: xs.map(|xs| spearman(&xs, &ys)),
                levels: levels.len(),
                n,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let share = |i: &Importance| {
            if i.variance_share.is_nan() {
                -1.0
            } else {
                i.variance_share
            }
        };
        share(b).total_cmp(&share(a)).then(a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_that_drives_the_metric_comes_first() {
        // y = 10·[model = b] + lr (lr in {0.1, 0.2}), no noise: model explains most.
        let mut runs = Vec::new();
        let mut values = Vec::new();
        for model in ["a", "b"] {
            for lr in [0.1, 0.2] {
                let mut r = crate::listing::tests::run(0, RunStatus::Completed, None);
                r.config = json!({"model": model, "lr": lr});
                runs.push(r);
                values.push(Some(if model == "b" { 10.0 } else { 0.0 } + lr));
            }
        }
        let mut failed = crate::listing::tests::run(0, RunStatus::Failed, None);
        failed.config = json!({"model": "a", "lr": 0.1});
        runs.push(failed);
        values.push(Some(1e9));
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let keys = vec!["lr".to_string(), "model".to_string()];
        let imp = importance(&keys, &refs, &values);
        assert_eq!(imp[0].key, "model");
        assert_eq!(imp[0].n, 4, "the failed run does not count");
        // Total SS = 4·25 + 4·0.0025 = 100.01; model's between SS = 100, lr's = 0.01.
        assert!((imp[0].variance_share - 100.0 / 100.01).abs() < 1e-12);
        assert!((imp[1].variance_share - 0.01 / 100.01).abs() < 1e-12);
        assert_eq!(imp[0].spearman, None, "model is not numeric");
        let rho = imp[1].spearman.unwrap_or(f64::NAN);
        assert!(rho > 0.0 && rho < 1.0, "{rho}");
        assert_eq!((imp[0].levels, imp[1].levels), (2, 2));
        // A metric that does not vary explains nothing.
        let flat = importance(&keys, &refs, &[Some(1.0); 5]);
        assert!(flat.iter().all(|i| i.variance_share.is_nan()));
    }
}
