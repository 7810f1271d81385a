//! The `neural-text-classifier` run: data, vocabulary, model, epochs of mini-batch AdamW on
//! the cross-entropy, the history of each epoch, early stopping on the validation macro-F1,
//! and the best epoch's model evaluated on every held-out split.

use crate::textcnn::{Batch, Generator, TextCnn, TextCnnConfig, batch};
use crate::vocab::{VocabConfig, Vocabulary};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::Device;
use burn::tensor::activation::softmax;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use sweep_core::{MetricRecord, Prediction, Value};
use sweep_data::{DataError, DataPlan, DataReport, Dataset};
use sweep_metrics::{MetricsError, Report, Scores};

/// The config of a `trainer: neural-text-classifier` run.
///
/// ```yaml
/// data: {train: data/train.jsonl, test: data/test.jsonl, val_fraction: 0.1}
/// vocab: {min_freq: 1, max_length: 64}
/// model: {kind: textcnn, embed_dim: 128, filters: 100, widths: [3, 4, 5], dropout: 0.5}
/// train: {epochs: 10, batch_size: 50, lr: 0.001, weight_decay: 0.01, patience: 3}
/// seed: 0
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuralConfig {
    pub data: DataPlan,
    #[serde(default)]
    pub vocab: VocabConfig,
    pub model: NeuralModel,
    #[serde(default)]
    pub train: TrainConfig,
    /// Seeds the weights, dropout and batch order and, unless `data.seed` is given, the
    /// held-out parts.
    #[serde(default)]
    pub seed: u64,
}

/// Which network (`model.kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NeuralModel {
    Textcnn(TextCnnConfig),
}

/// How to train (`train:` of the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    /// AdamW's learning rate.
    pub lr: f64,
    pub weight_decay: f64,
    /// Stop after this many epochs without a better validation macro-F1 (needs a
    /// validation split); the best epoch's model is the run's.
    pub patience: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 50,
            lr: 1e-3,
            weight_decay: 0.01,
            patience: None,
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting that does not read or is out of range: its dotted key and why.
    #[error("invalid neural-text-classifier config: {key}: {message}")]
    Config { key: String, message: String },
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("metrics: {0}")]
    Metrics(#[from] MetricsError),
    #[error("stopped before the end")]
    Stopped,
}

impl NeuralConfig {
    /// Reads a run's resolved config; relative data paths are taken from `base_dir`.
    pub fn from_value(config: &Value, base_dir: &Path) -> Result<Self, TrainError> {
        let mut cfg: NeuralConfig = sweep_core::read_config(config)
            .map_err(|(key, message)| TrainError::Config { key, message })?;
        cfg.data = cfg.data.for_run(config, cfg.seed, base_dir);
        Ok(cfg)
    }

    /// Every setting out of range, as `(dotted key, message)`, found without data.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let NeuralModel::Textcnn(m) = &self.model;
        out.extend(
            m.problems()
                .into_iter()
                .map(|(k, v)| (format!("model.{k}"), v)),
        );
        let t = &self.train;
        if t.epochs == 0 {
            out.push(("train.epochs".into(), "must be at least 1".into()));
        }
        if t.batch_size == 0 {
            out.push(("train.batch_size".into(), "must be at least 1".into()));
        }
        if !(t.lr.is_finite() && t.lr > 0.0) {
            out.push((
                "train.lr".into(),
                format!("must be a positive number, got {}", t.lr),
            ));
        }
        if !(t.weight_decay.is_finite() && t.weight_decay >= 0.0) {
            out.push((
                "train.weight_decay".into(),
                format!("must be zero or positive, got {}", t.weight_decay),
            ));
        }
        if t.patience == Some(0) {
            out.push(("train.patience".into(), "must be at least 1".into()));
        }
        if self.vocab.max_length == 0 {
            out.push(("vocab.max_length".into(), "must be at least 1".into()));
        }
        out
    }
}

/// A trained network with what it needs to read texts: what `sweep predict` loads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainedHead {
    pub classes: Vec<String>,
    pub vocab: Vocabulary,
    pub model: NeuralModel,
}

/// Everything a run produced.
pub struct TrainOutput {
    pub head: TrainedHead,
    pub network: TextCnn,
    pub data_report: DataReport,
    pub predictions: BTreeMap<String, Vec<Prediction>>,
    pub reports: BTreeMap<String, Report>,
    /// Epochs run, and the one whose model was kept.
    pub epochs: usize,
    pub best_epoch: usize,
}

/// SplitMix64, for the batch order (a function of the seed alone).
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn label_ids(data: &Dataset, classes: &[String]) -> Vec<i64> {
    data.labels
        .iter()
        .map(|l| classes.iter().position(|c| c == l).unwrap_or(0) as i64)
        .collect()
}

/// Class probabilities of `texts` (row-major `n × classes`), in batches.
pub fn probabilities(
    network: &TextCnn,
    head: &TrainedHead,
    texts: &[String],
    device: &Device,
) -> Vec<f64> {
    let NeuralModel::Textcnn(cfg) = &head.model;
    let encoded: Vec<Vec<i64>> = texts.iter().map(|t| head.vocab.encode(t)).collect();
    let mut out = Vec::with_capacity(texts.len() * head.classes.len());
    for chunk in encoded.chunks(256) {
        let refs: Vec<&[i64]> = chunk.iter().map(Vec::as_slice).collect();
        let b = batch(&refs, &cfg.widths, cfg.filters, device);
        let p = softmax(network.forward(&b, None), 1);
        let values = p
            .into_data()
            .convert::<f64>()
            .try_to_vec::<f64>()
            .unwrap_or_default();
        out.extend(values);
    }
    out
}

/// Scores `network` on a split.
fn evaluate(
    network: &TextCnn,
    head: &TrainedHead,
    data: &Dataset,
    device: &Device,
) -> Result<(Report, Vec<f64>), TrainError> {
    let k = head.classes.len();
    let p = probabilities(network, head, &data.texts, device);
    let pred: Vec<usize> = p
        .chunks(k)
        .map(|row| {
            (0..k)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                .unwrap_or(0)
        })
        .collect();
    let y: Vec<usize> = label_ids(data, &head.classes)
        .into_iter()
        .map(|v| v as usize)
        .collect();
    let scores = Scores::from_row_major(&p, k)?;
    Ok((Report::compute(&y, &pred, Some(&scores), &head.classes)?, p))
}

/// Predictions of a split, for its file and `sweep predict`.
pub fn predictions(
    head: &TrainedHead,
    texts: &[String],
    labels: Option<&[String]>,
    p: &[f64],
) -> Vec<Prediction> {
    let k = head.classes.len();
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let row = &p[i * k..(i + 1) * k];
            let best = (0..k)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                .unwrap_or(0);
            Prediction {
                index: i,
                text: text.clone(),
                label: labels.and_then(|l| l.get(i).cloned()),
                predicted: head.classes[best].clone(),
                proba: Some(
                    head.classes
                        .iter()
                        .cloned()
                        .zip(row.iter().copied())
                        .collect(),
                ),
                scores: None,
            }
        })
        .collect()
}

/// Trains and evaluates. Each epoch's record goes to `log` (`epoch`, `train/loss`,
/// `val/…` when there is a validation split, `lr`, `time/epoch_s`,
/// `train/examples_per_s`), then the kept model's `train/…`, `val/…`, `test/…` and each
/// extra evaluation set's metrics. `stop` is checked before every batch.
pub fn train(
    cfg: &NeuralConfig,
    log: &mut dyn FnMut(MetricRecord),
    stop: &AtomicBool,
) -> Result<TrainOutput, TrainError> {
    if let Some((key, message)) = cfg.problems().into_iter().next() {
        return Err(TrainError::Config { key, message });
    }
    let splits = cfg.data.materialize()?;
    log(splits.report.to_metrics().into_iter().collect());
    let classes = splits.classes.clone();
    let vocab = Vocabulary::build(&splits.train.texts, &cfg.vocab);
    let NeuralModel::Textcnn(mcfg) = &cfg.model;
    let head = TrainedHead {
        classes: classes.clone(),
        vocab,
        model: cfg.model.clone(),
    };
    let base = Device::flex();
    let device = base.clone().autodiff();
    let mut generator = Generator::new(cfg.seed);
    let mut network = TextCnn::new(
        mcfg,
        head.vocab.len(),
        classes.len(),
        &device,
        &mut generator,
    );
    let features = mcfg.filters * mcfg.widths.len();
    let mut optim = AdamWConfig::new()
        .with_weight_decay(cfg.train.weight_decay as f32)
        .init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let encoded: Vec<Vec<i64>> = splits
        .train
        .texts
        .iter()
        .map(|t| head.vocab.encode(t))
        .collect();
    let y = label_ids(&splits.train, &classes);
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    let mut rng = cfg.seed ^ 0x6e65_7572_616c_0000;
    let (mut best, mut best_epoch, mut since_best) = (f64::NEG_INFINITY, 0, 0);
    let mut kept: Option<TextCnn> = None;
    let mut epochs = 0;
    for epoch in 1..=cfg.train.epochs {
        let start = Instant::now();
        for i in (1..order.len()).rev() {
            let j = (splitmix(&mut rng) % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for chunk in order.chunks(cfg.train.batch_size) {
            if stop.load(Ordering::SeqCst) {
                return Err(TrainError::Stopped);
            }
            let texts: Vec<&[i64]> = chunk.iter().map(|&i| encoded[i].as_slice()).collect();
            let b: Batch = batch(&texts, &mcfg.widths, mcfg.filters, &device);
            let targets = burn::tensor::Tensor::<1, burn::tensor::Int>::from_data(
                burn::tensor::TensorData::new(
                    chunk.iter().map(|&i| y[i]).collect::<Vec<i64>>(),
                    [chunk.len()],
                ),
                &device,
            );
            let dropout = (mcfg.dropout > 0.0)
                .then(|| generator.dropout(chunk.len(), features, mcfg.dropout, &device));
            let loss = loss_fn.forward(network.forward(&b, dropout), targets);
            loss_sum += f64::from(loss.clone().into_scalar::<f32>()) * chunk.len() as f64;
            seen += chunk.len();
            let grads = GradientsParams::from_grads(loss.backward(), &network);
            network = optim.step(cfg.train.lr, network, grads);
        }
        epochs = epoch;
        let seconds = start.elapsed().as_secs_f64();
        let mut record = MetricRecord::new();
        record.insert("epoch".into(), epoch as f64);
        record.insert("train/loss".into(), loss_sum / seen.max(1) as f64);
        record.insert("lr".into(), cfg.train.lr);
        record.insert("time/epoch_s".into(), seconds);
        record.insert(
            "train/examples_per_s".into(),
            seen as f64 / seconds.max(1e-9),
        );
        let valid = network.valid();
        let mut score = epoch as f64; // without a validation split, the last epoch is kept
        if let Some(val) = &splits.val {
            let (report, _) = evaluate(&valid, &head, val, &base)?;
            score = report.macro_avg.f1;
            record.extend(report.to_metrics("val"));
        }
        log(record);
        if score > best {
            (best, best_epoch, since_best) = (score, epoch, 0);
            kept = Some(valid);
        } else {
            since_best += 1;
        }
        if cfg.train.patience.is_some_and(|p| since_best >= p) {
            break;
        }
    }
    let network = kept.unwrap_or_else(|| network.valid());
    let mut record = MetricRecord::new();
    let mut reports = BTreeMap::new();
    let mut predictions = BTreeMap::new();
    let (train_report, _) = evaluate(&network, &head, &splits.train, &base)?;
    record.extend(train_report.to_metrics("train"));
    reports.insert("train".to_string(), train_report);
    let mut held_out: Vec<(String, &Dataset)> = Vec::new();
    if let Some(val) = &splits.val {
        held_out.push(("val".into(), val));
    }
    if let Some(test) = &splits.test {
        held_out.push(("test".into(), test));
    }
    for (name, data) in &splits.eval {
        held_out.push((name.clone(), data));
    }
    for (prefix, data) in held_out {
        let (report, p) = evaluate(&network, &head, data, &base)?;
        record.extend(report.to_metrics(&prefix));
        reports.insert(prefix.clone(), report);
        if prefix != "val" {
            predictions.insert(
                prefix.clone(),
                crate::train::predictions(&head, &data.texts, Some(&data.labels), &p),
            );
        }
    }
    record.insert("fit/epochs".into(), epochs as f64);
    record.insert("fit/best_epoch".into(), best_epoch as f64);
    record.insert("model/parameters".into(), network.num_params() as f64);
    log(record);
    Ok(TrainOutput {
        head,
        network,
        data_report: splits.report,
        predictions,
        reports,
        epochs,
        best_epoch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan over two small files: texts that say "good" or "bad" among neutral words.
    fn toy(dir: &Path, val_fraction: Option<f64>) -> DataPlan {
        let line = |i: usize| {
            let (word, label) = if i.is_multiple_of(2) {
                ("good", "pos")
            } else {
                ("bad", "neg")
            };
            format!(
                "{{\"text\": \"the {word} thing number {}\", \"label\": \"{label}\"}}\n",
                i % 5
            )
        };
        let train: String = (0..40).map(line).collect();
        let test: String = (40..52).map(line).collect();
        std::fs::write(dir.join("train.jsonl"), train).unwrap();
        std::fs::write(dir.join("test.jsonl"), test).unwrap();
        let mut plan: DataPlan = serde_json::from_value(serde_json::json!({
            "train": "train.jsonl", "test": "test.jsonl"
        }))
        .unwrap();
        plan.val_fraction = val_fraction;
        plan.rebased(dir)
    }

    fn config(data: DataPlan, train: TrainConfig) -> NeuralConfig {
        NeuralConfig {
            data,
            vocab: VocabConfig::default(),
            model: NeuralModel::Textcnn(TextCnnConfig {
                embed_dim: 8,
                filters: 4,
                widths: vec![1, 2],
                dropout: 0.0,
            }),
            train,
            seed: 3,
        }
    }

    fn quick(epochs: usize) -> TrainConfig {
        TrainConfig {
            epochs,
            batch_size: 8,
            lr: 0.05,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn a_tiny_textcnn_learns_a_separable_task_and_logs_every_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(toy(dir.path(), None), quick(8));
        let mut records = Vec::new();
        let out = train(&cfg, &mut |r| records.push(r), &AtomicBool::new(false)).unwrap();
        let epochs: Vec<&MetricRecord> =
            records.iter().filter(|r| r.contains_key("epoch")).collect();
        assert_eq!(epochs.len(), 8);
        for key in ["train/loss", "lr", "time/epoch_s", "train/examples_per_s"] {
            assert!(epochs.iter().all(|r| r.contains_key(key)), "{key}");
        }
        let first = epochs[0]["train/loss"];
        let last = epochs[7]["train/loss"];
        assert!(last < first / 4.0, "the loss falls: {first} -> {last}");
        assert_eq!(out.reports["test"].accuracy, 1.0);
        let last_record = records.last().unwrap();
        assert_eq!(last_record["test/accuracy"], 1.0);
        assert!(last_record["model/parameters"] > 0.0);
        assert_eq!(out.predictions["test"].len(), 12);
    }

    /// The bits of each epoch's training loss of a run of `cfg`.
    fn losses(cfg: &NeuralConfig) -> Vec<u64> {
        let mut out = Vec::new();
        let mut keep = |r: MetricRecord| out.extend(r.get("train/loss").map(|l| l.to_bits()));
        train(cfg, &mut keep, &AtomicBool::new(false)).unwrap();
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_run_and_another_seed_another() {
        let dir = tempfile::tempdir().unwrap();
        let seeded = |seed: u64| {
            let mut cfg = config(toy(dir.path(), None), quick(3));
            cfg.seed = seed;
            losses(&cfg)
        };
        assert_eq!(seeded(3), seeded(3));
        assert_ne!(seeded(3), seeded(4));
    }

    /// The weights and dropout masks come from the run's own generator: two runs of one
    /// seed trained at the same time on two threads (sharing burn's global generator) give
    /// the same losses, dropout included.
    #[test]
    fn runs_side_by_side_are_each_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(toy(dir.path(), None), quick(3));
        cfg.model = NeuralModel::Textcnn(TextCnnConfig {
            embed_dim: 8,
            filters: 4,
            widths: vec![1, 2],
            dropout: 0.3,
        });
        let run = || losses(&cfg);
        let alone = run();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(run);
            let b = s.spawn(run);
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!(a, alone);
        assert_eq!(b, alone);
    }

    #[test]
    fn patience_stops_training_and_keeps_the_best_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let train_cfg = TrainConfig {
            patience: Some(2),
            ..quick(40)
        };
        let cfg = config(toy(dir.path(), Some(0.25)), train_cfg);
        let mut val = Vec::new();
        let out = train(
            &cfg,
            &mut |r| {
                if r.contains_key("epoch") {
                    val.push(r["val/macro_f1"]);
                }
            },
            &AtomicBool::new(false),
        )
        .unwrap();
        assert!(out.epochs < 40, "stopped early after {} epochs", out.epochs);
        assert_eq!(
            out.epochs,
            out.best_epoch + 2,
            "two epochs without a better one"
        );
        let best = val.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(
            val[out.best_epoch - 1],
            best,
            "the kept epoch is the best: {val:?}"
        );
    }

    #[test]
    fn a_set_stop_flag_stops_training_and_bad_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(toy(dir.path(), None), quick(3));
        let stopped = train(&cfg, &mut |_| {}, &AtomicBool::new(true));
        assert!(matches!(stopped, Err(TrainError::Stopped)));
        let mut bad = cfg.clone();
        bad.train.lr = 0.0;
        bad.train.epochs = 0;
        bad.model = NeuralModel::Textcnn(TextCnnConfig {
            widths: vec![],
            ..TextCnnConfig::default()
        });
        let keys: Vec<String> = bad.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["model.widths", "train.epochs", "train.lr"]);
    }
}
