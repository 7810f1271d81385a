//! How runs differ: their configs key by key, and their metrics side by side.

use std::collections::{BTreeMap, BTreeSet};
use sweep_core::{MetricSummary, RunRecord, Value, value_key};

/// A config flattened to dotted keys, leaves only (an empty object is a leaf).
pub fn flatten(config: &Value) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, child, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", config, &mut out);
    out
}

/// A config key whose value is not the same in every run: each run's value (`None` where
/// the run has no such key), in the order the runs were given.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDiff {
    pub key: String,
    pub values: Vec<Option<Value>>,
}

/// One statistic of one metric across the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub metric: String,
    /// `best` or `last`.
    pub stat: &'static str,
    pub values: Vec<Option<f64>>,
}

/// Runs side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The config keys that differ, sorted; keys equal in every run are left out (values
    /// compared by content, so `1` and `1.0` are equal).
    pub differing: Vec<ConfigDiff>,
    /// The best and last value of every metric any run logged, sorted by metric.
    pub metrics: Vec<MetricRow>,
}

pub fn compare(runs: &[RunRecord]) -> Comparison {
    let flat: Vec<BTreeMap<String, Value>> = runs.iter().map(|r| flatten(&r.config)).collect();
    let keys: BTreeSet<&String> = flat.iter().flat_map(|m| m.keys()).collect();
    let differing = keys
        .into_iter()
        .filter_map(|key| {
            let values: Vec<Option<Value>> = flat.iter().map(|m| m.get(key).cloned()).collect();
            let first = values[0].as_ref().map(value_key);
            let same = values.iter().all(|v| v.as_ref().map(value_key) == first);
            (!same).then(|| ConfigDiff {
                key: key.clone(),
                values,
            })
        })
        .collect();
    let names: BTreeSet<&String> = runs.iter().flat_map(|r| r.summary.keys()).collect();
    type Stat = fn(&MetricSummary) -> Option<f64>;
    let stats: [(&'static str, Stat); 2] = [("best", |s| s.best), ("last", |s| s.last)];
    let metrics = names
        .into_iter()
        .flat_map(|name| {
            stats.iter().map(move |(label, stat)| MetricRow {
                metric: name.clone(),
                stat: label,
                values: runs
                    .iter()
                    .map(|r| r.summary.get(name).and_then(stat))
                    .collect(),
            })
        })
        .collect();
    Comparison { differing, metrics }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::tests::run;
    use serde_json::json;
    use sweep_core::RunStatus;

    #[test]
    fn flatten_keeps_leaves_under_dotted_keys() {
        let flat = flatten(&json!({"model": {"c": 1, "kind": "svm"}, "empty": {}, "x": [1]}));
        let keys: Vec<&str> = flat.keys().map(String::as_str).collect();
        assert_eq!(keys, ["empty", "model.c", "model.kind", "x"]);
        assert_eq!(flat["empty"], json!({}));
    }

    #[test]
    fn only_differing_keys_are_listed_and_metrics_side_by_side() {
        let mut a = run(0, RunStatus::Completed, Some(0.8));
        let mut b = run(1, RunStatus::Completed, None);
        a.config = json!({"model": {"c": 1, "kind": "svm"}, "seed": 1});
        b.config = json!({"model": {"c": 1.0, "kind": "logreg"}});
        let cmp = compare(&[a, b]);
        let keys: Vec<&str> = cmp.differing.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["model.kind", "seed"]);
        assert_eq!(cmp.differing[1].values, vec![Some(json!(1)), None]);
        assert_eq!(cmp.metrics.len(), 2);
        assert_eq!((cmp.metrics[0].stat, cmp.metrics[1].stat), ("best", "last"));
        assert_eq!(cmp.metrics[0].values, vec![Some(0.8), None]);
    }
}
