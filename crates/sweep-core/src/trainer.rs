//! The interface of in-process trainers (`trainer:` in a spec).
//!
//! A trainer is a plugin: the binary registers the trainers it ships in a [`Trainers`]
//! registry, and the sweep loop runs whichever one a spec names without knowing any model
//! family. A trainer checks a run's config before anything runs ([`Trainer::check`]),
//! trains with a [`TrainContext`] that takes its history records, its stop flag and the
//! files it leaves in the run directory, and predicts from the files a finished run left
//! ([`Trainer::predict`]). Nothing here does I/O: the context and [`RunFiles`] are
//! implemented by whoever runs the trainer.

use crate::{MetricRecord, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// A trainer's name, as a spec's `trainer:` key writes it (`text-classifier`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrainerId(String);

impl TrainerId {
    pub fn new(name: impl Into<String>) -> Self {
        TrainerId(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One problem in a run's config, found before training: the dotted key it is at (empty
/// for the config as a whole) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

impl ConfigProblem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// Why training ended without a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainFailure {
    /// The stop flag was seen set; the supervisor knows why (cancelled, pruned, timed out).
    #[error("stopped before the end")]
    Stopped,
    /// The run failed, with the reason to record.
    #[error("{0}")]
    Failed(String),
}

/// What a trainer reports when it finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trained {
    /// A note recorded as the run's reason although it completed (a solver that did not
    /// converge).
    pub note: Option<String>,
}

/// What a trainer is given while it trains. Every method takes `&self`, so a trainer can
/// hold the stop flag and log at the same time.
pub trait TrainContext {
    /// Appends one history record to the run.
    fn log(&self, record: MetricRecord);
    /// Set when the run must stop (cancelled, pruned, timed out). Trainers check it inside
    /// their iterations and return [`TrainFailure::Stopped`] when they see it.
    fn stop_flag(&self) -> &AtomicBool;
    /// Adds text to the run's output log (`stdout.log`); each logged record is already
    /// written there as a JSON line.
    fn print(&self, text: &str);
    /// Writes a file into the run directory, at `path` relative to it (`artifacts/model.json`),
    /// whole or not at all (a crash mid-write leaves the file that was there).
    fn write_file(&self, path: &str, bytes: &[u8]) -> Result<(), String>;
    /// The file at `path` that the run's latest earlier attempt wrote (a retried run's
    /// earlier files are kept in `attempt-N/`): what a trainer resumes from. `None` on a
    /// first attempt or when no earlier attempt wrote it.
    fn earlier_file(&self, path: &str) -> Option<Vec<u8>>;
}

/// The files a run left, read by relative path.
pub trait RunFiles {
    /// The file's bytes; `None` when the run has no such file.
    fn read_file(&self, path: &str) -> Option<Vec<u8>>;
}

/// A trainer's config read from a run's resolved config into `T`; when it does not read,
/// the dotted key where it failed (`.` for the whole) and why.
pub fn read_config<T: serde::de::DeserializeOwned>(config: &Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(config)
        .map_err(|e| (e.path().to_string(), e.inner().to_string()))
}

/// The files every built-in trainer writes into a run directory under the same names, so
/// that `sweep show` and the report read any trainer's runs.
pub mod run_files {
    use super::Prediction;

    /// The data report (`sweep show` prints it).
    pub const DATA_REPORT: &str = "data_report.json";
    /// Full metric reports by split, confusion matrices included (the report's chart).
    pub const REPORTS: &str = "reports.json";

    /// Predictions on one split (`test`, or an eval set's name), one JSON object a line.
    pub fn predictions(split: &str) -> String {
        format!("predictions-{split}.jsonl")
    }

    /// Writes `value` as JSON at `path` of the run directory.
    pub fn write_json(
        ctx: &dyn super::TrainContext,
        path: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), super::TrainFailure> {
        serde_json::to_vec(value)
            .map_err(|e| e.to_string())
            .and_then(|bytes| ctx.write_file(path, &bytes))
            .map_err(|e| super::TrainFailure::Failed(format!("writing {path}: {e}")))
    }

    /// Writes what every trainer leaves for `sweep show` and the report: the data report
    /// ([`DATA_REPORT`]), the metric reports ([`REPORTS`]) and each split's predictions;
    /// then prints the data report on the run's output.
    pub fn write_evaluation(
        ctx: &dyn super::TrainContext,
        data_report: &(impl serde::Serialize + std::fmt::Display),
        reports: &impl serde::Serialize,
        predictions: &std::collections::BTreeMap<String, Vec<Prediction>>,
    ) -> Result<(), super::TrainFailure> {
        write_json(ctx, DATA_REPORT, data_report)?;
        write_json(ctx, REPORTS, reports)?;
        for (split, rows) in predictions {
            let path = self::predictions(split);
            predictions_jsonl(rows)
                .map_err(|e| e.to_string())
                .and_then(|bytes| ctx.write_file(&path, &bytes))
                .map_err(|e| super::TrainFailure::Failed(format!("writing {path}: {e}")))?;
        }
        ctx.print(&data_report.to_string());
        Ok(())
    }

    /// The bytes of a predictions file.
    pub fn predictions_jsonl(predictions: &[Prediction]) -> Result<Vec<u8>, serde_json::Error> {
        let mut lines = Vec::new();
        for p in predictions {
            serde_json::to_writer(&mut lines, p)?;
            lines.push(b'\n');
        }
        Ok(lines)
    }
}

/// One prediction, as saved with a run and printed by `sweep predict`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Prediction {
    pub index: usize,
    pub text: String,
    /// The true label, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub predicted: String,
    /// Class → probability, when the model has probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proba: Option<BTreeMap<String, f64>>,
    /// Class → decision value, for a model without probabilities (a linear SVM, SGD with
    /// hinge loss): higher ranks the class higher, as scikit-learn's `decision_function`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<BTreeMap<String, f64>>,
}

/// What a trained run predicts for some texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// The model's classes, in its order (the probability columns).
    pub classes: Vec<String>,
    pub predictions: Vec<Prediction>,
}

/// An in-process trainer.
pub trait Trainer: Send + Sync {
    /// The name a spec's `trainer:` uses.
    fn id(&self) -> TrainerId;

    /// Other spellings `trainer:` accepts for it.
    fn aliases(&self) -> &[&str] {
        &[]
    }

    /// Every problem of a run's resolved config that would fail the run, found without
    /// training (relative data paths are read from `base_dir`).
    fn check(&self, config: &Value, base_dir: &Path) -> Vec<ConfigProblem>;

    /// The run's config as this trainer runs it, every default written: saved as the run's
    /// `config.json` and shown by `sweep show`, so a run records every setting it used.
    /// `None` (the default) keeps the config as resolved from the spec.
    fn resolved_config(&self, config: &Value, base_dir: &Path) -> Option<Value> {
        let _ = (config, base_dir);
        None
    }

    /// Trains one run. History goes to `ctx.log`, files to `ctx.write_file`; the stop flag
    /// is checked inside iterations.
    fn train(
        &self,
        config: &Value,
        base_dir: &Path,
        ctx: &dyn TrainContext,
    ) -> Result<Trained, TrainFailure>;

    /// Predicts labels for `texts` with the model a finished run saved.
    fn predict(
        &self,
        files: &dyn RunFiles,
        texts: &[String],
        labels: Option<&[String]>,
    ) -> Result<Predictions, String>;

    /// Text `sweep show` adds for a run of this trainer (its data report), if any.
    fn describe(&self, files: &dyn RunFiles) -> Option<String> {
        let _ = files;
        None
    }
}

/// The trainers a program ships, looked up by the name a spec gives.
#[derive(Clone, Default)]
pub struct Trainers {
    all: Vec<Arc<dyn Trainer>>,
}

impl Trainers {
    pub fn new() -> Self {
        Trainers::default()
    }

    /// Adds a trainer.
    pub fn register(mut self, trainer: Arc<dyn Trainer>) -> Self {
        self.all.push(trainer);
        self
    }

    /// The trainer `name` names (its id or an alias).
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Trainer>> {
        self.all
            .iter()
            .find(|t| t.id().as_str() == name || t.aliases().contains(&name))
    }

    /// The registered trainers' ids, in registration order.
    pub fn ids(&self) -> Vec<TrainerId> {
        self.all.iter().map(|t| t.id()).collect()
    }

    /// The error text for a name no trainer answers to.
    pub fn unknown(&self, name: &str) -> String {
        let known: Vec<String> = self.ids().iter().map(|i| format!("`{i}`")).collect();
        let known = if known.is_empty() {
            "this program has no built-in trainer".to_string()
        } else {
            format!("the built-in trainers are {}", known.join(", "))
        };
        format!(
            "unknown trainer `{name}`: {known}; for your own program use `program:` (and `command:`)"
        )
    }
}

impl fmt::Debug for Trainers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;

    impl Trainer for Fake {
        fn id(&self) -> TrainerId {
            TrainerId::new("fake")
        }
        fn aliases(&self) -> &[&str] {
            &["fake_trainer"]
        }
        fn check(&self, _: &Value, _: &Path) -> Vec<ConfigProblem> {
            vec![ConfigProblem::new("model.c", "must be positive")]
        }
        fn train(
            &self,
            _: &Value,
            _: &Path,
            _: &dyn TrainContext,
        ) -> Result<Trained, TrainFailure> {
            Err(TrainFailure::Stopped)
        }
        fn predict(
            &self,
            _: &dyn RunFiles,
            _: &[String],
            _: Option<&[String]>,
        ) -> Result<Predictions, String> {
            Err("no model".into())
        }
    }

    #[test]
    fn trainers_are_found_by_id_and_alias_and_unknown_names_list_them() {
        let trainers = Trainers::new().register(Arc::new(Fake));
        assert!(trainers.get("fake").is_some());
        assert!(trainers.get("fake_trainer").is_some());
        assert!(trainers.get("other").is_none());
        assert_eq!(
            trainers.unknown("other"),
            "unknown trainer `other`: the built-in trainers are `fake`; for your own program \
             use `program:` (and `command:`)"
        );
        assert_eq!(
            ConfigProblem::new("model.c", "must be positive").to_string(),
            "model.c: must be positive"
        );
        assert_eq!(ConfigProblem::new("", "bad").to_string(), "bad");
    }
}
