//! Groups of runs: what varies across runs, which of it is noise (seeds, paths, ids,
//! times), and the runs that are equal on everything else. Also how a run's curve becomes
//! the one number a group aggregates ([`Reduce`]).

use crate::compare::flatten;
use std::collections::BTreeMap;
use sweep_core::{MetricRecord, RunRecord, Value, value_key};

/// Which config keys are noise: keys whose variation is not an experimental factor (seeds,
/// paths, output directories, run ids, timestamps, checkpoint flags). Runs that differ only
/// in noise keys are one group.
///
/// The default rules look at a key's last dotted segment:
/// - seeds: `seed`, `random_state`, `*_seed`, `seed_*`;
/// - paths: `path`, `dir`, `root`, `*_path`, `*_dir`, `*_file`, `*_root`, `logdir`;
/// - ids and times: `id`, `run_id`, `run_name`, `timestamp`, `time`, `date`, `datetime`,
///   `*_id`, `*_time`, `*_timestamp`, `*_date`, `*_at`;
/// - checkpoints: `checkpoint*`, `ckpt*`, `save_*`, `resume*`.
///
/// Globs added with [`NoiseRules::noise`] match whole dotted keys (`*` is any run of
/// characters, dots included: `data.*`, `*.cache`); globs given to [`NoiseRules::keep`]
/// win over every other rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoiseRules {
    noise: Vec<String>,
    keep: Vec<String>,
}

impl NoiseRules {
    /// The default rules only.
    pub fn new() -> Self {
        NoiseRules::default()
    }

    /// Also treats keys matching `glob` as noise.
    pub fn noise(mut self, glob: impl Into<String>) -> Self {
        self.noise.push(glob.into());
        self
    }

    /// Never treats keys matching `glob` as noise.
    pub fn keep(mut self, glob: impl Into<String>) -> Self {
        self.keep.push(glob.into());
        self
    }

    /// Whether `key` is noise.
    pub fn is_noise(&self, key: &str) -> bool {
        if self.keep.iter().any(|g| glob_match(g, key)) {
            return false;
        }
        if self.noise.iter().any(|g| glob_match(g, key)) {
            return true;
        }
        let last = key.rsplit('.').next().unwrap_or(key);
        is_seed_segment(last) || default_noise_segment(last)
    }
}

/// Whether `key` names a seed (`seed`, `random_state`, `*_seed`, `seed_*` as its last
/// segment): the key whose variation makes runs repetitions of one experiment.
pub fn is_seed_key(key: &str) -> bool {
    is_seed_segment(key.rsplit('.').next().unwrap_or(key))
}

fn is_seed_segment(s: &str) -> bool {
    s == "seed" || s == "random_state" || s.ends_with("_seed") || s.starts_with("seed_")
}

fn default_noise_segment(s: &str) -> bool {
    const EXACT: [&str; 11] = [
        "path",
        "dir",
        "root",
        "logdir",
        "id",
        "run_id",
        "run_name",
        "timestamp",
        "time",
        "date",
        "datetime",
    ];
    const SUFFIXES: [&str; 9] = [
        "_at",
        "_path",
        "_dir",
        "_file",
        "_root",
        "_id",
        "_time",
        "_timestamp",
        "_date",
    ];
    const PREFIXES: [&str; 4] = ["checkpoint", "ckpt", "save_", "resume"];
    EXACT.contains(&s)
        || SUFFIXES.iter().any(|x| s.ends_with(x))
        || PREFIXES.iter().any(|x| s.starts_with(x))
}

/// `*` matches any run of characters (dots included); everything else matches itself.
fn glob_match(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text.ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    // Both ends matched whole, so these are character boundaries.
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Runs equal on every varying key that is not noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group's value of each varying key (`null` where its runs lack the key), in key
    /// order.
    pub params: BTreeMap<String, Value>,
    /// Indices of its runs in the input, in input order.
    pub runs: Vec<usize>,
}

/// Runs split into groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    /// Config keys whose value differs between runs and that are not noise: what the
    /// groups differ by (sorted).
    pub varying: Vec<String>,
    /// Config keys whose value differs between runs but that are noise (sorted).
    pub ignored: Vec<String>,
    /// The groups, in the order of their first run.
    pub groups: Vec<Group>,
}

impl Grouping {
    /// Whether a seed-like key varies: the groups hold repetitions of one experiment.
    pub fn varies_seeds(&self) -> bool {
        self.ignored.iter().any(|k| is_seed_key(k))
    }
}

/// Groups runs by their flattened configs ([`flatten`]): the keys whose value is not the
/// same in every run (a missing key counts as `null`), less the noise keys, and the runs
/// equal on all of those (values compared by content: `1 == 1.0`).
pub fn group_runs(runs: &[&RunRecord], rules: &NoiseRules) -> Grouping {
    let flat: Vec<BTreeMap<String, Value>> = runs.iter().map(|r| flatten(&r.config)).collect();
    let mut keys: Vec<&String> = flat.iter().flat_map(|f| f.keys()).collect();
    keys.sort();
    keys.dedup();
    let value_of = |f: &BTreeMap<String, Value>, k: &str| f.get(k).cloned().unwrap_or(Value::Null);
    let (mut varying, mut ignored) = (Vec::new(), Vec::new());
    for key in keys {
        let first = flat.first().map(|f| value_key(&value_of(f, key)));
        let varies = flat
            .iter()
            .any(|f| Some(value_key(&value_of(f, key))) != first);
        if varies {
            if rules.is_noise(key) {
                ignored.push(key.clone());
            } else {
                varying.push(key.clone());
            }
        }
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for (i, f) in flat.iter().enumerate() {
        let identity: Vec<String> = varying.iter().map(|k| value_key(&value_of(f, k))).collect();
        match index.get(&identity) {
            Some(&g) => groups[g].runs.push(i),
            None => {
                index.insert(identity, groups.len());
                groups.push(Group {
                    params: varying
                        .iter()
                        .map(|k| (k.clone(), value_of(f, k)))
                        .collect(),
                    runs: vec![i],
                });
            }
        }
    }
    Grouping {
        varying,
        ignored,
        groups,
    }
}

/// How a run's curve of a metric becomes one number.
#[derive(Debug, Clone, PartialEq)]
pub enum Reduce {
    /// The last finite value logged.
    Last,
    /// The best value by the metric's goal.
    Best,
    /// The mean of the last `k` finite values.
    MeanLast(usize),
    /// The metric's value in the history record where another metric (its name) was best:
    /// select on validation, report test.
    AtBestOf(String),
}

impl Reduce {
    /// Reads `last`, `best`, `mean-last:K` or `at-best:METRIC`.
    pub fn parse(text: &str) -> Result<Reduce, String> {
        match text.split_once(':') {
            None if text == "last" => Ok(Reduce::Last),
            None if text == "best" => Ok(Reduce::Best),
            Some(("mean-last", k)) => match k.parse::<usize>() {
                Ok(k) if k > 0 => Ok(Reduce::MeanLast(k)),
                _ => Err(format!(
                    "`{text}`: `mean-last:K` needs a whole number K ≥ 1"
                )),
            },
            Some(("at-best", metric)) if !metric.is_empty() => {
                Ok(Reduce::AtBestOf(metric.to_string()))
            }
            _ => Err(format!(
                "unknown reduction `{text}`: use last, best, mean-last:K or at-best:METRIC"
            )),
        }
    }

    /// Whether the reduction reads the run's history (the others read its summary).
    pub fn needs_history(&self) -> bool {
        matches!(self, Reduce::MeanLast(_) | Reduce::AtBestOf(_))
    }

    /// The run's number for `metric`; `history` is the run's history, needed when
    /// [`Reduce::needs_history`]. `None` when the run has no such value.
    pub fn value(
        &self,
        run: &RunRecord,
        history: Option<&[MetricRecord]>,
        metric: &str,
    ) -> Option<f64> {
        match self {
            Reduce::Last => run.summary.get(metric)?.last,
            Reduce::Best => run.summary.get(metric)?.best,
            Reduce::MeanLast(k) => {
                let values: Vec<f64> = history?
                    .iter()
                    .filter_map(|r| r.get(metric).copied())
                    .filter(|v| v.is_finite())
                    .collect();
                let tail = &values[values.len().saturating_sub(*k)..];
                (!tail.is_empty()).then(|| tail.iter().sum::<f64>() / tail.len() as f64)
            }
            Reduce::AtBestOf(selector) => {
                let step = run.summary.get(selector)?.best_step?;
                let record = history?.get(usize::try_from(step).ok()?)?;
                record.get(metric).copied().filter(|v| v.is_finite())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sweep_core::{Goal, MetricSpec, RunStatus};

    fn run(config: Value) -> RunRecord {
        let mut r = crate::listing::tests::run(0, RunStatus::Completed, None);
        r.config = config;
        r
    }

    #[test]
    fn seeds_paths_ids_and_times_are_noise_by_default() {
        let rules = NoiseRules::new();
        for key in [
            "seed",
            "data.seed",
            "model.random_state",
            "init_seed",
            "seed_offset",
            "data.train.path",
            "output_dir",
            "trainer.log_dir",
            "run_id",
            "wandb.run_name",
            "started_at",
            "checkpoint_every",
            "ckpt",
            "save_best",
            "resume_from",
        ] {
            assert!(rules.is_noise(key), "{key}");
        }
        for key in [
            "model.c",
            "lr",
            "optimizer.kind",
            "dropout",
            "seq_len",
            "hidden",
        ] {
            assert!(!rules.is_noise(key), "{key}");
        }
        let rules = NoiseRules::new().noise("data.*").keep("*.seed_offset");
        assert!(rules.is_noise("data.max_len"));
        assert!(!rules.is_noise("model.seed_offset"));
        assert!(is_seed_key("a.b.seed") && !is_seed_key("a.seeds"));
    }

    #[test]
    fn globs_match_whole_keys() {
        assert!(glob_match("data.*", "data.a.b"));
        assert!(glob_match("*.cache", "x.y.cache"));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("a*c*e", "abde"));
        assert!(!glob_match("data.*", "mydata.x"));
        assert!(glob_match("exact", "exact") && !glob_match("exact", "exact2"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn runs_equal_but_for_seeds_form_one_group() {
        let runs: Vec<RunRecord> = [
            json!({"model": {"kind": "lr", "c": 1}, "seed": 0, "out_dir": "/a"}),
            json!({"model": {"kind": "lr", "c": 1.0}, "seed": 1, "out_dir": "/b"}),
            json!({"model": {"kind": "nb", "alpha": 0.1}, "seed": 0, "out_dir": "/c"}),
            json!({"model": {"kind": "lr", "c": 10}, "seed": 0, "out_dir": "/d"}),
            json!({"model": {"kind": "nb", "alpha": 0.1}, "seed": 1, "out_dir": "/e"}),
            json!({"model": {"kind": "lr", "c": 1}, "seed": 2, "out_dir": "/f", "fixed": 1}),
        ]
        .into_iter()
        .map(run)
        .collect();
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let g = group_runs(&refs, &NoiseRules::new());
        assert_eq!(g.varying, ["fixed", "model.alpha", "model.c", "model.kind"]);
        assert_eq!(g.ignored, ["out_dir", "seed"]);
        assert!(g.varies_seeds());
        // `fixed` appears in one run only: it varies (absent is null), so that run is apart.
        let sizes: Vec<Vec<usize>> = g.groups.iter().map(|g| g.runs.clone()).collect();
        assert_eq!(sizes, [vec![0, 1], vec![2, 4], vec![3], vec![5]]);
        assert_eq!(g.groups[1].params["model.c"], Value::Null);
        assert_eq!(g.groups[1].params["model.kind"], "nb");
        // Keeping `seed` makes every run its own group.
        let kept = group_runs(&refs, &NoiseRules::new().keep("seed"));
        assert_eq!(kept.groups.len(), 6);
        assert!(!kept.varies_seeds());
    }

    #[test]
    fn reductions_read_the_summary_or_the_history() {
        let spec = MetricSpec::new("val/loss", Goal::Minimize);
        let test = MetricSpec::new("test/acc", Goal::Maximize);
        let history: Vec<MetricRecord> = [(0.9, 0.5), (0.4, 0.7), (0.6, 0.8), (f64::NAN, 0.6)]
            .into_iter()
            .map(|(loss, acc)| {
                [
                    ("val/loss".to_string(), loss),
                    ("test/acc".to_string(), acc),
                ]
                .into()
            })
            .collect();
        let mut r = run(json!({}));
        for (i, rec) in history.iter().enumerate() {
            spec.fold(&mut r.summary, rec, i as u64);
            test.fold(&mut r.summary, rec, i as u64);
        }
        assert_eq!(Reduce::Last.value(&r, None, "test/acc"), Some(0.6));
        assert_eq!(Reduce::Best.value(&r, None, "val/loss"), Some(0.4));
        let mean = Reduce::MeanLast(2).value(&r, Some(&history), "val/loss");
        assert_eq!(mean, Some(0.5), "NaN is not a value");
        let at = Reduce::parse("at-best:val/loss").unwrap_or(Reduce::Last);
        assert_eq!(at.value(&r, Some(&history), "test/acc"), Some(0.7));
        assert_eq!(at.value(&r, None, "test/acc"), None);
        assert_eq!(Reduce::Best.value(&r, None, "missing"), None);
        assert_eq!(Reduce::parse("mean-last:3"), Ok(Reduce::MeanLast(3)));
        assert!(Reduce::parse("mean-last:0").is_err());
        assert!(Reduce::parse("median").is_err());
        assert!(Reduce::MeanLast(1).needs_history() && !Reduce::Best.needs_history());
    }
}
