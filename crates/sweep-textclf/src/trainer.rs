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
    pub use sweep_core::run_files::{DATA_REPORT, REPORTS, predictions};
    /// The trained pipeline (`sweep predict` loads it).
    pub const MODEL: &str = "artifacts/model.json";
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

/// Texts timed for the inference latency (the first ones of the test split).
const LATENCY_TEXTS: usize = 200;

/// What the model costs to keep and to use: `resources/model_mb` (its saved size) and,
/// on the test split (else the first evaluated split), `resources/latency_ms_batch` (per
/// text, predicting up to 200 texts at once) and `resources/latency_ms_single` (the median
/// of predicting them one at a time).
fn cost_record(
    pipeline: &TrainedPipeline,
    model_mb: f64,
    predictions: &std::collections::BTreeMap<String, Vec<sweep_core::Prediction>>,
) -> sweep_core::MetricRecord {
    let mut r = sweep_core::MetricRecord::new();
    r.insert("resources/model_mb".into(), model_mb);
    let texts: Vec<String> = predictions
        .get("test")
        .or_else(|| predictions.values().next())
        .map(|p| {
            p.iter()
                .take(LATENCY_TEXTS)
                .map(|p| p.text.clone())
                .collect()
        })
        .unwrap_or_default();
    if texts.is_empty() {
        return r;
    }
    let ms = |start: std::time::Instant| start.elapsed().as_secs_f64() * 1e3;
    let start = std::time::Instant::now();
    let _ = pipeline.predict(&texts, None);
    r.insert(
        "resources/latency_ms_batch".into(),
        ms(start) / texts.len() as f64,
    );
    let mut single: Vec<f64> = texts
        .iter()
        .map(|t| {
            let start = std::time::Instant::now();
            let _ = pipeline.predict(std::slice::from_ref(t), None);
            ms(start)
        })
        .collect();
    single.sort_by(f64::total_cmp);
    r.insert(
        "resources/latency_ms_single".into(),
        single[single.len() / 2],
    );
    r
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
            .check()
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
        let model_mb = serde_json::to_vec(&output.pipeline).map_or(0.0, |b| b.len() as f64 / 1e6);
        sweep_core::run_files::write_json(ctx, files::MODEL, &output.pipeline)?;
        ctx.log(cost_record(&output.pipeline, model_mb, &output.predictions));
        sweep_core::run_files::write_evaluation(
            ctx,
            &output.data_report,
            &output.reports,
            &output.predictions,
        )?;
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
