//! The `text-classifier` trainer: data → features → model → metrics, driven by a run's
//! resolved config.

use crate::models::{FitInfo, Model, ModelConfig, ModelError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use sweep_core::{MetricRecord, Prediction, Value};
use sweep_data::{DataError, DataPlan, DataReport, Dataset};
use sweep_features::{CsrMatrix, FeaturesError, Vectorizer, VectorizerConfig};
use sweep_metrics::{CostScore, CostScoreError, MetricsError, Report, Scores};

/// The config of a `trainer: text-classifier` run (the resolved config of the run).
///
/// ```yaml
/// data: {train: data/train.jsonl, test: data/test.jsonl, val_fraction: 0.2}
/// features: {kind: tfidf, ngram_max: 2, min_df: 2, sublinear_tf: true}
/// model: {kind: logistic_regression, c: 1.0}
/// seed: 0
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextClassifierConfig {
    pub data: DataPlan,
    #[serde(default)]
    pub features: VectorizerConfig,
    pub model: ModelConfig,
    /// Seeds the model (coordinate and sample order) and, unless `data.seed` is given,
    /// the held-out parts and folds, so that runs over seeds measure the variance of
    /// both.
    #[serde(default)]
    pub seed: u64,
    /// A cost-sensitive score computed on every evaluated split (`<split>/<name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<CostScore>,
}

/// Why a training run failed (a failed run, recorded with this message).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting that does not read: its dotted key (`.` for the config as a whole) and why.
    #[error("invalid text-classifier config: {key}: {message}")]
    Config { key: String, message: String },
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("features: {0}")]
    Features(#[from] FeaturesError),
    #[error("model: {0}")]
    Model(#[from] ModelError),
    #[error("metrics: {0}")]
    Metrics(#[from] MetricsError),
    #[error("score: {0}")]
    Score(#[from] CostScoreError),
    #[error("stopped before the end")]
    Stopped,
}

impl TextClassifierConfig {
    /// Reads the config from a run's resolved config; errors name the offending key.
    /// Relative data paths are taken from `base_dir`.
    pub fn from_value(config: &Value, base_dir: &Path) -> Result<Self, TrainError> {
        let mut cfg: TextClassifierConfig = sweep_core::read_config(config)
            .map_err(|(key, message)| TrainError::Config { key, message })?;
        cfg.data = cfg.data.for_run(config, cfg.seed, base_dir);
        Ok(cfg)
    }
}

/// A fitted vectorizer and model: what `sweep predict` loads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainedPipeline {
    pub vectorizer: Vectorizer,
    pub model: Model,
}

impl TrainedPipeline {
    /// Predicts labels for texts, with the class probabilities when the model has them and
    /// its decision values otherwise.
    pub fn predict(&self, texts: &[String], labels: Option<&[String]>) -> Vec<Prediction> {
        let x = self.vectorizer.transform(texts);
        let classes = self.model.classes();
        let k = classes.len();
        let predicted = self.model.predict(&x);
        let proba = self.model.predict_proba(&x);
        let decision = proba.is_none().then(|| self.model.decision(&x));
        let row = |m: &Vec<f64>, i: usize| -> std::collections::BTreeMap<String, f64> {
            classes
                .iter()
                .cloned()
                .zip(m[i * k..(i + 1) * k].iter().copied())
                .collect()
        };
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| Prediction {
                index: i,
                text: text.clone(),
                label: labels.and_then(|l| l.get(i).cloned()),
                predicted: classes[predicted[i]].clone(),
                proba: proba.as_ref().map(|p| row(p, i)),
                scores: decision.as_ref().map(|d| row(d, i)),
            })
            .collect()
    }
}

/// Everything a training run produced.
#[derive(Debug)]
pub struct TrainOutput {
    pub pipeline: TrainedPipeline,
    pub fit: FitInfo,
    pub data_report: DataReport,
    /// Predictions on the test part and on each extra evaluation set, by prefix.
    pub predictions: BTreeMap<String, Vec<Prediction>>,
    /// Full metric reports (confusion matrices included), by prefix.
    pub reports: BTreeMap<String, Report>,
}

fn check_stop(stop: &AtomicBool) -> Result<(), TrainError> {
    if stop.load(Ordering::SeqCst) {
        Err(TrainError::Stopped)
    } else {
        Ok(())
    }
}

fn indices(labels: &[String], classes: &[String]) -> Vec<usize> {
    labels
        .iter()
        .map(|l| classes.iter().position(|c| c == l).unwrap_or(0))
        .collect()
}

/// Fits a vectorizer and a model on `train`.
fn fit(
    cfg: &TextClassifierConfig,
    train: &Dataset,
    classes: &[String],
    stop: &AtomicBool,
) -> Result<(TrainedPipeline, CsrMatrix, FitInfo, f64, f64), TrainError> {
    let t0 = Instant::now();
    let (vectorizer, x) = Vectorizer::fit_transform(&cfg.features, &train.texts)?;
    let vec_s = t0.elapsed().as_secs_f64();
    let y = indices(&train.labels, classes);
    let t1 = Instant::now();
    let model_cfg = cfg.model.with_seed(cfg.seed);
    let (model, info) = model_cfg
        .fit_until(&x, &y, classes, stop)
        .map_err(|e| match e {
            ModelError::Stopped => TrainError::Stopped,
            e => e.into(),
        })?;
    let fit_s = t1.elapsed().as_secs_f64();
    Ok((TrainedPipeline { vectorizer, model }, x, info, vec_s, fit_s))
}

/// Scores a fitted pipeline on a dataset; returns its report.
fn evaluate(
    cfg: &TextClassifierConfig,
    pipeline: &TrainedPipeline,
    x: &CsrMatrix,
    labels: &[String],
    classes: &[String],
) -> Result<Report, TrainError> {
    let y = indices(labels, classes);
    let pred = pipeline.model.predict(x);
    // Ranking metrics (ROC-AUC, average precision) take probabilities, or the decision
    // values of a model without them, as scikit-learn's scorers do; log loss is computed
    // only from probabilities.
    let proba = pipeline.model.predict_proba(x);
    let decision = match proba {
        Some(_) => None,
        None => Some(pipeline.model.decision(x)),
    };
    let scores = match (&proba, &decision) {
        (Some(p), _) | (None, Some(p)) => Some(Scores::from_row_major(p, classes.len())?),
        (None, None) => None,
    };
    let mut report = Report::compute(&y, &pred, scores.as_ref(), classes)?;
    if proba.is_none() {
        // Decision values that happen to lie in [0, 1] are still not probabilities.
        report.log_loss = None;
    }
    if let Some(score) = &cfg.score {
        report.add_cost_score(score)?;
    }
    Ok(report)
}

/// Trains and evaluates. Each stage's metrics go to `log` as one history record:
/// the data report (`data/…`), each cross-validation fold (`cv/…`) and the folds'
/// mean and standard deviation, then the final fit with `train/…`, `val/…`, `test/…`,
/// each extra evaluation set's prefix, and timings (`time/…`). `stop` is checked between
/// stages and at every iteration of the model's solver.
pub fn train(
    cfg: &TextClassifierConfig,
    log: &mut dyn FnMut(MetricRecord),
    stop: &AtomicBool,
) -> Result<TrainOutput, TrainError> {
    let splits = cfg.data.materialize()?;
    let classes = splits.classes.clone();
    log(splits.report.to_metrics().into_iter().collect());
    check_stop(stop)?;

    if let Some(folds) = &splits.folds {
        let mut per_fold: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (k, fold) in folds.iter().enumerate() {
            check_stop(stop)?;
            let (train_idx, held_idx) = fold;
            let train = splits.train.subset(train_idx)?;
            let held = splits.train.subset(held_idx)?;
            let (pipeline, _, _, _, _) = fit(cfg, &train, &classes, stop)?;
            let x = pipeline.vectorizer.transform(&held.texts);
            let report = evaluate(cfg, &pipeline, &x, &held.labels, &classes)?;
            let mut record: MetricRecord = report.to_metrics("cv/val");
            record.insert("cv/fold".into(), k as f64);
            for (key, v) in &record {
                if key != "cv/fold" {
                    per_fold.entry(key.clone()).or_default().push(*v);
                }
            }
            log(record);
        }
        let mut summary = MetricRecord::new();
        for (key, values) in per_fold {
            let name = key.trim_start_matches("cv/val/");
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let var = if n > 1.0 {
                values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            summary.insert(format!("cv/{name}"), mean);
            summary.insert(format!("cv/{name}_std"), var.sqrt());
        }
        log(summary);
    }

    check_stop(stop)?;
    let (pipeline, x_train, info, vec_s, fit_s) = fit(cfg, &splits.train, &classes, stop)?;
    check_stop(stop)?;
    let t = Instant::now();
    let mut record = MetricRecord::new();
    let mut reports = BTreeMap::new();
    let mut predictions = BTreeMap::new();
    let train_report = evaluate(cfg, &pipeline, &x_train, &splits.train.labels, &classes)?;
    record.extend(train_report.to_metrics("train"));
    reports.insert("train".to_string(), train_report);
    for (prefix, data) in splits.held_out() {
        let x = pipeline.vectorizer.transform(&data.texts);
        let report = evaluate(cfg, &pipeline, &x, &data.labels, &classes)?;
        record.extend(report.to_metrics(prefix));
        reports.insert(prefix.to_string(), report);
        if prefix != "val" {
            predictions.insert(
                prefix.to_string(),
                pipeline.predict(&data.texts, Some(&data.labels)),
            );
        }
    }
    record.insert("time/vectorize_s".into(), vec_s);
    record.insert("time/fit_s".into(), fit_s);
    record.insert("time/evaluate_s".into(), t.elapsed().as_secs_f64());
    record.insert("fit/iterations".into(), info.iterations as f64);
    record.insert(
        "fit/converged".into(),
        if info.converged { 1.0 } else { 0.0 },
    );
    record.insert("features/n".into(), pipeline.vectorizer.n_features() as f64);
    log(record);
    Ok(TrainOutput {
        pipeline,
        fit: info,
        data_report: splits.report,
        predictions,
        reports,
    })
}
