//! The `text-classifier` trainer: [`TextClassifier`] plugs the pipeline into Sweep's
//! [`Trainer`] interface (config checks, training, saved files, prediction).

use crate::models::ModelError;
use crate::pipeline::{TextClassifierConfig, TrainError, TrainedPipeline, train};
use std::path::Path;
use sweep_core::{
    ConfigProblem, Predictions, RunFiles, TrainContext, TrainFailure, Trained, Trainer, TrainerId,
    Value,
};
use sweep_data::DataReport;

/// Where a text-classifier run keeps its files, relative to the run directory.
pub mod files {
    /// The trained pipeline (`sweep predict` loads it).
    pub const MODEL: &str = "artifacts/model.json";
    /// The data report (`sweep show` prints it).
    pub const DATA_REPORT: &str = "data_report.json";
    /// Full metric reports, confusion matrices included.
    pub const REPORTS: &str = "reports.json";

    /// Predictions on one split (`test`, or an eval set's name), one JSON object a line.
    pub fn predictions(split: &str) -> String {
        format!("predictions-{split}.jsonl")
    }
}

/// Built-in text classification (`trainer: text-classifier`): TF-IDF/count/hashing
/// features and linear models, see [`TextClassifierConfig`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TextClassifier;

impl TextClassifier {
    fn config(config: &Value, base_dir: &Path) -> Result<TextClassifierConfig, ConfigProblem> {
        TextClassifierConfig::from_value(config, base_dir).map_err(|e| match e {
            TrainError::Config { key, message } => {
                ConfigProblem::new(if key == "." { String::new() } else { key }, message)
            }
            other => ConfigProblem::new("", other.to_string()),
        })
    }
}

impl Trainer for TextClassifier {
    fn id(&self) -> TrainerId {
        TrainerId::new("text-classifier")
    }

    fn aliases(&self) -> &[&str] {
        &["text_classifier"]
    }

    fn check(&self, config: &Value, base_dir: &Path) -> Vec<ConfigProblem> {
        let cfg = match Self::config(config, base_dir) {
            Ok(cfg) => cfg,
            Err(problem) => return vec![problem],
        };
        let mut problems: Vec<ConfigProblem> = cfg
            .data
            .problems()
            .into_iter()
            .map(|m| ConfigProblem::new("data", m))
            .collect();
        problems.extend(cfg.model.problems().into_iter().map(|e| match e {
            ModelError::InvalidParam { param, message } => {
                ConfigProblem::new(format!("model.{param}"), message)
            }
            other => ConfigProblem::new("model", other.to_string()),
        }));
        problems
    }

    fn resolved_config(&self, config: &Value, base_dir: &Path) -> Option<Value> {
        serde_json::to_value(Self::config(config, base_dir).ok()?).ok()
    }

    fn train(
        &self,
        config: &Value,
        base_dir: &Path,
        ctx: &dyn TrainContext,
    ) -> Result<Trained, TrainFailure> {
        let cfg = Self::config(config, base_dir)
            .map_err(|p| TrainFailure::Failed(format!("invalid text-classifier config: {p}")))?;
        let output = match train(&cfg, &mut |record| ctx.log(record), ctx.stop_flag()) {
            Ok(output) => output,
            Err(TrainError::Stopped) => return Err(TrainFailure::Stopped),
            Err(e) => return Err(TrainFailure::Failed(e.to_string())),
        };
        let write = |path: &str, bytes: Result<Vec<u8>, serde_json::Error>| {
            bytes
                .map_err(|e| e.to_string())
                .and_then(|b| ctx.write_file(path, &b))
                .map_err(|e| TrainFailure::Failed(format!("writing {path}: {e}")))
        };
        write(files::MODEL, serde_json::to_vec(&output.pipeline))?;
        write(files::DATA_REPORT, serde_json::to_vec(&output.data_report))?;
        write(files::REPORTS, serde_json::to_vec(&output.reports))?;
        for (split, predictions) in &output.predictions {
            let lines = predictions.iter().try_fold(Vec::new(), |mut lines, p| {
                serde_json::to_writer(&mut lines, p)?;
                lines.push(b'\n');
                Ok(lines)
            });
            write(&files::predictions(split), lines)?;
        }
        ctx.print(&output.data_report.to_string());
        let note = (!output.fit.converged).then(|| {
            format!(
                "the solver did not converge in {} iterations",
                output.fit.iterations
            )
        });
        Ok(Trained { note })
    }

    fn predict(
        &self,
        files: &dyn RunFiles,
        texts: &[String],
        labels: Option<&[String]>,
    ) -> Result<Predictions, String> {
        let bytes = files.read_file(files::MODEL).ok_or_else(|| {
            format!(
                "no saved model ({} is missing): only completed runs of `trainer: text-classifier` have one",
                files::MODEL
            )
        })?;
        let pipeline: TrainedPipeline = serde_json::from_slice(&bytes)
            .map_err(|e| format!("reading the model in {}: {e}", files::MODEL))?;
        Ok(Predictions {
            classes: pipeline.model.classes().to_vec(),
            predictions: pipeline.predict(texts, labels),
        })
    }

    fn describe(&self, files: &dyn RunFiles) -> Option<String> {
        let bytes = files.read_file(files::DATA_REPORT)?;
        let report: DataReport = serde_json::from_slice(&bytes).ok()?;
        Some(report.to_string())
    }
}
