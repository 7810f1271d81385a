//! The `neural-text-classifier` run: data, vocabulary, network, epochs of mini-batches
//! (bucketed by length) with the configured loss, optimizer, schedule, clipping and
//! accumulation, a history record per epoch, a checkpoint per epoch (resumed by a retried
//! run), early stopping keeping the best epoch, and that model evaluated on every held-out
//! split.

use crate::adadelta::Adadelta;
use crate::checkpoint::{Checkpoint, Progress, RunIo};
use crate::loss::{Loss, LossConfig};
use crate::model::{Network, NeuralModel};
use crate::nn::{Batch, Generator};
use crate::schedule::{Schedule, ScheduleConfig};
use crate::vocab::{VocabConfig, Vocabulary};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{
    AdamWConfig, GradientsAccumulator, GradientsParams, ModuleOptimizer, SgdConfig,
    decay::WeightDecayConfig, momentum::MomentumConfig,
};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use sweep_core::{Goal, MetricRecord, Prediction, Value};
use sweep_data::{DataError, DataPlan, DataReport, Dataset};
use sweep_metrics::{MetricsError, Report, Scores};

/// The config of a `trainer: neural-text-classifier` run.
///
/// ```yaml
/// data: {train: data/train.jsonl, test: data/test.jsonl, val_fraction: 0.1}
/// vocab: {min_freq: 1, max_length: 64}
/// model: {kind: lstm, embed_dim: 128, hidden: 128, layers: 1, dropout: 0.5}
/// train:
///   epochs: 10
///   batch_size: 50
///   optimizer: adamw          # or sgd (momentum, nesterov), adadelta (rho; lr 1.0)
///   lr: 0.001
///   schedule: {kind: cosine, warmup_fraction: 0.1}
///   clip_norm: 1.0
///   loss: {kind: focal, gamma: 2}
///   early_stopping: {metric: val/loss, patience: 3}
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

/// Which optimizer (`train.optimizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// AdamW (decoupled weight decay).
    #[default]
    Adamw,
    /// SGD with momentum (`momentum`, default 0.9; `nesterov`) and L2 weight decay.
    Sgd,
    /// Adadelta (`rho`, default 0.95; Kim 2014's optimizer, with `lr: 1.0` as in the
    /// paper) and L2 weight decay.
    Adadelta,
}

/// When to stop and which epoch to keep (`train.early_stopping`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct EarlyStopping {
    /// Any key of the epoch records (`val/macro_f1`, `val/loss`, `val/accuracy`,
    /// `train/loss`…). Default: `val/macro_f1` when there is a validation split; without
    /// one and without a metric, the last epoch is kept.
    pub metric: Option<String>,
    /// Default: `minimize` for a metric named like a loss or an error, else `maximize`.
    pub goal: Option<Goal>,
    /// Stop after this many epochs without an improvement; never when not given.
    pub patience: Option<usize>,
    /// An improvement must beat the best by more than this.
    pub min_delta: f64,
}

impl EarlyStopping {
    /// The metric's goal, given or inferred from its name.
    pub fn goal_of(&self, metric: &str) -> Goal {
        self.goal.unwrap_or_else(|| {
            let name = metric.rsplit('/').next().unwrap_or(metric);
            if name.contains("loss") || name.contains("error") {
                Goal::Minimize
            } else {
                Goal::Maximize
            }
        })
    }
}

/// Where a run trains (`train.device`): `cpu` (burn's `flex` backend, always built) or
/// `cuda` / `cuda:N` (a build with the `cuda` cargo feature). Runs are deterministic on the
/// CPU; GPU kernels need not be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceChoice {
    #[default]
    Cpu,
    Cuda(usize),
}

impl TryFrom<String> for DeviceChoice {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(|| format!("`{other}` is not a device: cpu, cuda or cuda:N")),
        }
    }
}

impl From<DeviceChoice> for String {
    fn from(d: DeviceChoice) -> String {
        match d {
            DeviceChoice::Cpu => "cpu".into(),
            DeviceChoice::Cuda(i) => format!("cuda:{i}"),
        }
    }
}

impl DeviceChoice {
    /// The device, or why this build has none.
    pub fn device(self) -> Result<Device, String> {
        match self {
            DeviceChoice::Cpu => Ok(Device::flex()),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda(i) => Ok(Device::cuda(i)),
            #[cfg(not(feature = "cuda"))]
            DeviceChoice::Cuda(_) => Err(
                "this build of Sweep has no CUDA backend: build it with `--features cuda`".into(),
            ),
        }
    }
}

/// How to train (`train:` of the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    /// The peak learning rate (the schedule's base).
    pub lr: f64,
    pub weight_decay: f64,
    /// SGD's momentum (0.9 when not given).
    pub momentum: Option<f64>,
    /// SGD's Nesterov momentum.
    pub nesterov: bool,
    /// Adadelta's decay of its running means (0.95 when not given).
    pub rho: Option<f64>,
    pub schedule: ScheduleConfig,
    /// Clip the gradients' global L2 norm (all parameters together) to this.
    pub clip_norm: Option<f64>,
    /// Batches whose gradients are averaged into one optimizer step.
    pub accumulate: usize,
    pub loss: LossConfig,
    pub early_stopping: EarlyStopping,
    /// Batches of texts of similar length (shuffled pools sorted by length, batches in
    /// random order): less padding, the same data each epoch.
    pub bucketing: bool,
    pub device: DeviceChoice,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 50,
            optimizer: OptimizerKind::Adamw,
            lr: 1e-3,
            weight_decay: 0.01,
            momentum: None,
            nesterov: false,
            rho: None,
            schedule: ScheduleConfig::default(),
            clip_norm: None,
            accumulate: 1,
            loss: LossConfig::default(),
            early_stopping: EarlyStopping::default(),
            bucketing: true,
            device: DeviceChoice::Cpu,
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
    /// Writing or reading a checkpoint.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
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
        let mut nested = |prefix: &str, problems: Vec<(&'static str, String)>| {
            out.extend(
                problems
                    .into_iter()
                    .map(|(k, v)| (format!("{prefix}.{k}"), v)),
            )
        };
        nested("model", self.model.problems());
        nested("train.schedule", self.train.schedule.problems());
        nested("train.loss", self.train.loss.problems());
        let t = &self.train;
        let mut put = |key: &str, message: String| out.push((format!("train.{key}"), message));
        if t.epochs == 0 {
            put("epochs", "must be at least 1".into());
        }
        if t.batch_size == 0 {
            put("batch_size", "must be at least 1".into());
        }
        if !(t.lr.is_finite() && t.lr > 0.0) {
            put("lr", format!("must be a positive number, got {}", t.lr));
        }
        if !(t.weight_decay.is_finite() && t.weight_decay >= 0.0) {
            put(
                "weight_decay",
                format!("must be zero or positive, got {}", t.weight_decay),
            );
        }
        match (t.optimizer, t.momentum) {
            (OptimizerKind::Adamw | OptimizerKind::Adadelta, Some(_)) => {
                put("momentum", "is SGD's: set `optimizer: sgd`".into())
            }
            (_, Some(m)) if !(0.0..1.0).contains(&m) => {
                put("momentum", format!("must be in [0, 1), got {m}"))
            }
            _ => {}
        }
        if t.nesterov && t.optimizer != OptimizerKind::Sgd {
            put("nesterov", "is SGD's: set `optimizer: sgd`".into());
        }
        match (t.optimizer, t.rho) {
            (OptimizerKind::Adadelta, Some(r)) if !(r > 0.0 && r < 1.0) => {
                put("rho", format!("must be in (0, 1), got {r}"))
            }
            (OptimizerKind::Adamw | OptimizerKind::Sgd, Some(_)) => {
                put("rho", "is Adadelta's: set `optimizer: adadelta`".into())
            }
            _ => {}
        }
        if let Some(c) = t.clip_norm
            && !(c.is_finite() && c > 0.0)
        {
            put("clip_norm", format!("must be a positive number, got {c}"));
        }
        if t.accumulate == 0 {
            put("accumulate", "must be at least 1".into());
        }
        if let Err(message) = t.device.device() {
            put("device", message);
        }
        // What early stopping and reduce-on-plateau watch must exist in the epoch records.
        let has_val = self.data.val.is_some() || self.data.effective_val_fraction() > 0.0;
        let es = &t.early_stopping;
        let needs = "a validation split (data.val or data.val_fraction) or an \
                     early_stopping.metric such as train/loss";
        match es.metric.as_deref() {
            None if !has_val => {
                if es.patience.is_some() {
                    put(
                        "early_stopping.patience",
                        format!("watches nothing: it needs {needs}"),
                    );
                }
                if t.schedule.kind == crate::schedule::ScheduleKind::Plateau {
                    put(
                        "schedule.kind",
                        format!("plateau watches nothing: it needs {needs}"),
                    );
                }
            }
            None => {}
            Some(m) if m.starts_with("val/") && !has_val => {
                put(
                    "early_stopping.metric",
                    format!("`{m}` needs a validation split (data.val or data.val_fraction)"),
                );
            }
            Some(m) if m.starts_with("val/") => {}
            Some(m) => {
                let mut epoch_keys =
                    vec!["train/loss", "lr", "time/epoch_s", "train/examples_per_s"];
                if t.clip_norm.is_some() {
                    epoch_keys.push("train/grad_norm");
                }
                if !epoch_keys.contains(&m) {
                    put(
                        "early_stopping.metric",
                        format!(
                            "`{m}` is not in the epoch records: {} or a val/ metric \
                             (val/loss, val/accuracy, val/macro_f1…)",
                            epoch_keys.join(", ")
                        ),
                    );
                }
            }
        }
        if t.early_stopping.patience == Some(0) {
            put("early_stopping.patience", "must be at least 1".into());
        }
        if !(t.early_stopping.min_delta.is_finite() && t.early_stopping.min_delta >= 0.0) {
            put(
                "early_stopping.min_delta",
                format!(
                    "must be zero or positive, got {}",
                    t.early_stopping.min_delta
                ),
            );
        }
        out.extend(
            self.vocab
                .problems()
                .into_iter()
                .map(|(k, v)| (format!("vocab.{k}"), v)),
        );
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

impl TrainedHead {
    /// A network of this head's shape (weights from a fixed seed, to be replaced by a
    /// checkpoint's).
    pub fn network(&self, device: &Device) -> Network {
        Network::new(
            &self.model,
            self.vocab.len(),
            self.classes.len(),
            self.vocab.max_length,
            device,
            &mut Generator::new(0),
        )
    }
}

/// Everything a run produced.
pub struct TrainOutput {
    pub head: TrainedHead,
    pub network: Network,
    pub data_report: DataReport,
    pub predictions: BTreeMap<String, Vec<Prediction>>,
    pub reports: BTreeMap<String, Report>,
    /// The layer structure with parameter counts.
    pub summary: String,
    /// Epochs run, the one whose model was kept, and the epoch a resumed run started from.
    pub epochs: usize,
    pub best_epoch: usize,
    pub resumed_after: Option<usize>,
}

/// SplitMix64, for the batch order (a function of the seed and the epoch alone).
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn shuffle<T>(items: &mut [T], rng: &mut u64) {
    for i in (1..items.len()).rev() {
        let j = (splitmix(rng) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The batches of one epoch (indices into the training texts). With `bucketing`, the
/// shuffled texts are cut into pools of 20 batches, each pool sorted by length and cut
/// into batches, and the batches shuffled.
pub fn epoch_batches(
    lengths: &[usize],
    batch_size: usize,
    bucketing: bool,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let mut rng = seed ^ 0x6e65_7572_616c_0000 ^ (epoch as u64).wrapping_mul(0xA24B_AED4_963E_E407);
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    shuffle(&mut order, &mut rng);
    if !bucketing {
        return order
            .chunks(batch_size.max(1))
            .map(<[usize]>::to_vec)
            .collect();
    }
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for pool in order.chunks_mut(batch_size.saturating_mul(20).max(1)) {
        pool.sort_by_key(|&i| lengths[i]);
        batches.extend(pool.chunks(batch_size).map(<[usize]>::to_vec));
    }
    shuffle(&mut batches, &mut rng);
    batches
}

fn label_ids(data: &Dataset, classes: &[String]) -> Vec<usize> {
    data.labels
        .iter()
        .map(|l| classes.iter().position(|c| c == l).unwrap_or(0))
        .collect()
}

/// Class probabilities of `texts` (row-major `n × classes`), in batches of similar length.
/// `stop` is read before every batch of 256: `None` when it is set.
pub fn probabilities(
    network: &Network,
    head: &TrainedHead,
    texts: &[String],
    device: &Device,
    stop: &AtomicBool,
) -> Option<Vec<f64>> {
    let k = head.classes.len();
    let encoded: Vec<Vec<i64>> = texts.iter().map(|t| head.vocab.encode(t)).collect();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| encoded[i].len());
    let mut out = vec![0.0; texts.len() * k];
    for chunk in order.chunks(256) {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        let refs: Vec<&[i64]> = chunk.iter().map(|&i| encoded[i].as_slice()).collect();
        let batch = Batch::new(&refs, network.min_len(), device);
        // Read as f32 (the network's type) and widened: nothing to fail on.
        let p: Vec<f32> = softmax(network.forward(&batch, None), 1)
            .into_data()
            .iter::<f32>()
            .collect();
        for (row, &i) in p.chunks(k).zip(chunk) {
            for (o, &v) in out[i * k..(i + 1) * k].iter_mut().zip(row) {
                *o = f64::from(v);
            }
        }
    }
    Some(out)
}

fn argmax(row: &[f64]) -> usize {
    (0..row.len())
        .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

/// Scores `network` on a split; also the mean cross-entropy.
fn evaluate(
    network: &Network,
    head: &TrainedHead,
    data: &Dataset,
    device: &Device,
    stop: &AtomicBool,
) -> Result<(Report, Vec<f64>, f64), TrainError> {
    let k = head.classes.len();
    let p = probabilities(network, head, &data.texts, device, stop).ok_or(TrainError::Stopped)?;
    let pred: Vec<usize> = p.chunks(k).map(argmax).collect();
    let y = label_ids(data, &head.classes);
    let loss = y
        .iter()
        .enumerate()
        .map(|(i, &c)| -p[i * k + c].max(1e-12).ln())
        .sum::<f64>()
        / y.len().max(1) as f64;
    let scores = Scores::from_row_major(&p, k)?;
    Ok((
        Report::compute(&y, &pred, Some(&scores), &head.classes)?,
        p,
        loss,
    ))
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
            Prediction {
                index: i,
                text: text.clone(),
                label: labels.and_then(|l| l.get(i).cloned()),
                predicted: head.classes[argmax(row)].clone(),
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

fn optimizer(t: &TrainConfig) -> ModuleOptimizer {
    match t.optimizer {
        OptimizerKind::Adamw => AdamWConfig::new()
            .with_weight_decay(t.weight_decay as f32)
            .init(),
        OptimizerKind::Sgd => {
            let momentum = t.momentum.unwrap_or(0.9);
            SgdConfig::new()
                .with_weight_decay(
                    (t.weight_decay > 0.0).then(|| WeightDecayConfig::new(t.weight_decay as f32)),
                )
                .with_momentum((momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(momentum)
                        .with_dampening(0.0)
                        .with_nesterov(t.nesterov)
                }))
                .init()
        }
        OptimizerKind::Adadelta => ModuleOptimizer::from(Adadelta {
            rho: t.rho.unwrap_or(0.95),
            weight_decay: t.weight_decay,
        }),
    }
}

/// Scales `grads` so that their global L2 norm (every parameter together) is at most
/// `max`; returns the norm before clipping.
fn clip_global_norm(network: &Network, grads: &mut GradientsParams, max: f64) -> f64 {
    struct SumSquares<'a>(&'a GradientsParams, f64);
    impl ModuleVisitor for SumSquares<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.0.get::<D>(param.id) {
                self.1 += f64::from(g.powi_scalar(2).sum().into_scalar::<f32>());
            }
        }
    }
    struct Scale<'a>(&'a mut GradientsParams, f64);
    impl ModuleVisitor for Scale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.0.remove::<D>(param.id) {
                self.0.register(param.id, g * self.1);
            }
        }
    }
    let mut sum = SumSquares(grads, 0.0);
    network.visit(&mut sum);
    let norm = sum.1.sqrt();
    if norm > max {
        network.visit(&mut Scale(grads, max / (norm + 1e-6)));
    }
    norm
}

/// Whether `value` improves on `best` by more than `min_delta`.
fn improves(value: f64, best: Option<f64>, goal: Goal, min_delta: f64) -> bool {
    match best {
        None => value.is_finite(),
        Some(b) => match goal {
            Goal::Maximize => value > b + min_delta,
            Goal::Minimize => value < b - min_delta,
        },
    }
}

/// Trains and evaluates. Each epoch's record goes to `log` (`epoch`, `train/loss`,
/// `val/loss` and `val/…` when there is a validation split, `lr`, `train/grad_norm` when
/// clipping, `time/epoch_s`, `train/examples_per_s`), then the kept model's `train/…`,
/// `val/…`, `test/…` and each extra evaluation set's metrics. `stop` is checked before every
/// batch. A checkpoint is written through `io` after every epoch; a checkpoint an earlier
/// attempt of the run left (same config) is resumed from, its epochs' records logged again.
pub fn train(
    cfg: &NeuralConfig,
    log: &mut dyn FnMut(MetricRecord),
    stop: &AtomicBool,
    io: &dyn RunIo,
) -> Result<TrainOutput, TrainError> {
    if let Some((key, message)) = cfg.problems().into_iter().next() {
        return Err(TrainError::Config { key, message });
    }
    crate::nn::keep_freed_memory();
    let splits = cfg.data.materialize()?;
    let mut first = splits.report.to_metrics();
    let classes = splits.classes.clone();
    let head = TrainedHead {
        classes: classes.clone(),
        vocab: Vocabulary::build(&splits.train.texts, &cfg.vocab).map_err(|message| {
            TrainError::Config {
                key: "vocab.tokenizer".into(),
                message,
            }
        })?,
        model: cfg.model.clone(),
    };
    let base = cfg
        .train
        .device
        .device()
        .map_err(|message| TrainError::Config {
            key: "train.device".into(),
            message,
        })?;
    let device = base.clone().autodiff();
    let mut network = Network::new(
        &cfg.model,
        head.vocab.len(),
        classes.len(),
        head.vocab.max_length,
        &device,
        &mut Generator::new(cfg.seed),
    );
    let (parameters, trainable) = network.parameters();
    let summary = format!(
        "model: {} with {parameters} parameters ({trainable} trainable)\n{}",
        cfg.model.kind(),
        network.structure()
    );
    // The summary goes with every run, however it ends.
    io.write(crate::checkpoint::files::SUMMARY, summary.as_bytes())
        .map_err(TrainError::Checkpoint)?;
    first.insert("model/parameters".into(), parameters as f64);
    first.insert("model/trainable_parameters".into(), trainable as f64);
    log(first.into_iter().collect());
    let t = &cfg.train;
    let y = label_ids(&splits.train, &classes);
    let loss_fn =
        Loss::new(&t.loss, &classes, &y).map_err(|(key, message)| TrainError::Config {
            key: format!("train.loss.{key}"),
            message,
        })?;
    let encoded: Vec<Vec<i64>> = splits
        .train
        .texts
        .iter()
        .map(|text| head.vocab.encode(text))
        .collect();
    let lengths: Vec<usize> = encoded.iter().map(Vec::len).collect();
    let batches_per_epoch = encoded.len().div_ceil(t.batch_size).max(1);
    let steps_per_epoch = batches_per_epoch.div_ceil(t.accumulate);
    let mut schedule = Schedule::new(&t.schedule, t.lr, steps_per_epoch, t.epochs);
    let mut optim = optimizer(t);
    let metric = t
        .early_stopping
        .metric
        .clone()
        .or_else(|| splits.val.as_ref().map(|_| "val/macro_f1".to_string()));
    let goal = metric
        .as_deref()
        .map_or(Goal::Maximize, |m| t.early_stopping.goal_of(m));
    // A checkpoint resumes only the same config over the same vocabulary (the data it was
    // built from may have changed between attempts).
    let config_value = serde_json::json!({
        "config": serde_json::to_value(cfg).unwrap_or_default(),
        "vocab": serde_json::to_value(&head.vocab).unwrap_or_default(),
    });
    let mut progress = Progress::new(config_value);
    let mut best_weights: Option<Vec<u8>> = None;
    let mut resumed_after = None;
    if let Some(earlier) = Checkpoint::earlier(io, &progress.config) {
        network = crate::checkpoint::load_weights(network, &earlier.weights)
            .map_err(TrainError::Checkpoint)?;
        optim = optim
            .from_bytes(burn::tensor::Bytes::from_bytes_vec(earlier.optimizer))
            .map_err(|e| TrainError::Checkpoint(format!("reading the optimizer state: {e}")))?;
        for record in &earlier.progress.history {
            log(record.clone());
        }
        io.write(crate::checkpoint::files::BEST, &earlier.best)
            .map_err(TrainError::Checkpoint)?;
        best_weights = Some(earlier.best);
        schedule.plateau = earlier.progress.plateau.clone();
        resumed_after = Some(earlier.progress.epoch);
        progress = earlier.progress;
    }
    let mut epochs = progress.epoch;
    // An attempt that had already stopped early (and died before its end) does not train on.
    let stopped_early = t
        .early_stopping
        .patience
        .is_some_and(|p| progress.since_best >= p);
    let last_epoch = if stopped_early { epochs } else { t.epochs };
    for epoch in progress.epoch + 1..=last_epoch {
        let start = Instant::now();
        let mut dropout = Generator::for_epoch(cfg.seed, epoch);
        let batches = epoch_batches(&lengths, t.batch_size, t.bucketing, cfg.seed, epoch);
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        let (mut norm_sum, mut norms) = (0.0f64, 0usize);
        let mut lr = schedule.lr(progress.step);
        let mut accumulator = GradientsAccumulator::<Network>::new();
        for group in batches.chunks(t.accumulate) {
            for chunk in group {
                if stop.load(Ordering::SeqCst) {
                    return Err(TrainError::Stopped);
                }
                let texts: Vec<&[i64]> = chunk.iter().map(|&i| encoded[i].as_slice()).collect();
                let batch = Batch::new(&texts, network.min_len(), &device);
                let targets: Vec<usize> = chunk.iter().map(|&i| y[i]).collect();
                let logits = network.forward(&batch, Some(&mut dropout));
                let loss = loss_fn.forward(logits, &targets);
                loss_sum += f64::from(loss.clone().into_scalar::<f32>()) * chunk.len() as f64;
                seen += chunk.len();
                // The step's gradient is the mean of its batches' gradients.
                let loss = if group.len() > 1 {
                    loss / group.len() as f64
                } else {
                    loss
                };
                let grads = GradientsParams::from_grads(loss.backward(), &network);
                accumulator.accumulate(&network, grads);
            }
            let mut grads = accumulator.grads();
            if let Some(max) = t.clip_norm {
                norm_sum += clip_global_norm(&network, &mut grads, max);
                norms += 1;
            }
            lr = schedule.lr(progress.step);
            network = optim.step(lr, network, grads).constrained();
            progress.step += 1;
        }
        epochs = epoch;
        let seconds = start.elapsed().as_secs_f64();
        let mut record = MetricRecord::new();
        record.insert("epoch".into(), epoch as f64);
        record.insert("train/loss".into(), loss_sum / seen.max(1) as f64);
        record.insert("lr".into(), lr);
        if norms > 0 {
            record.insert("train/grad_norm".into(), norm_sum / norms as f64);
        }
        record.insert("time/epoch_s".into(), seconds);
        record.insert(
            "train/examples_per_s".into(),
            seen as f64 / seconds.max(1e-9),
        );
        let valid = network.valid();
        if let Some(val) = &splits.val {
            let (report, _, loss) = evaluate(&valid, &head, val, &base, stop)?;
            record.insert("val/loss".into(), loss);
            record.extend(report.to_metrics("val"));
        }
        let value = match &metric {
            Some(m) => Some(record.get(m).copied().ok_or_else(|| {
                let known: Vec<&str> = record.keys().map(String::as_str).collect();
                TrainError::Config {
                    key: "train.early_stopping.metric".into(),
                    message: format!(
                        "no metric `{m}` in the epoch records (they have {})",
                        known.join(", ")
                    ),
                }
            })?),
            None => None,
        };
        log(record.clone());
        progress.history.push(record);
        progress.epoch = epoch;
        // Without a metric the last epoch is the one kept; while the metric has never been
        // finite, the latest epoch stands in, so a run always has a best model.
        let better = match value {
            Some(v) => {
                improves(v, progress.best, goal, t.early_stopping.min_delta)
                    || progress.best.is_none()
            }
            None => true,
        };
        schedule.end_epoch(value, goal);
        progress.plateau = schedule.plateau.clone();
        let weights = crate::checkpoint::weights(&network).map_err(TrainError::Checkpoint)?;
        if better {
            progress.best = value.filter(|v| v.is_finite()).or(progress.best);
            progress.best_epoch = epoch;
            progress.since_best = 0;
            best_weights = Some(weights.clone());
        } else {
            progress.since_best += 1;
        }
        let optimizer_state = optim
            .into_bytes()
            .map_err(|e| TrainError::Checkpoint(format!("saving the optimizer state: {e}")))?;
        Checkpoint::save(
            io,
            &mut progress,
            &weights,
            &optimizer_state,
            better.then_some(weights.as_slice()),
        )
        .map_err(TrainError::Checkpoint)?;
        if t.early_stopping
            .patience
            .is_some_and(|p| progress.since_best >= p)
        {
            break;
        }
    }
    let network = match best_weights {
        Some(bytes) if progress.best_epoch != epochs => {
            crate::checkpoint::load_weights(head.network(&base), &bytes)
                .map_err(TrainError::Checkpoint)?
        }
        _ => network.valid(),
    };
    let mut record = MetricRecord::new();
    let mut reports = BTreeMap::new();
    let mut predictions = BTreeMap::new();
    let (train_report, _, _) = evaluate(&network, &head, &splits.train, &base, stop)?;
    record.extend(train_report.to_metrics("train"));
    reports.insert("train".to_string(), train_report);
    for (prefix, data) in splits.held_out() {
        let (report, p, loss) = evaluate(&network, &head, data, &base, stop)?;
        record.insert(format!("{prefix}/loss"), loss);
        record.extend(report.to_metrics(prefix));
        reports.insert(prefix.to_string(), report);
        if prefix != "val" {
            predictions.insert(
                prefix.to_string(),
                crate::train::predictions(&head, &data.texts, Some(&data.labels), &p),
            );
        }
    }
    record.insert("fit/epochs".into(), epochs as f64);
    record.insert("fit/best_epoch".into(), progress.best_epoch as f64);
    log(record);
    Ok(TrainOutput {
        head,
        network,
        data_report: splits.report,
        predictions,
        reports,
        summary,
        epochs,
        best_epoch: progress.best_epoch,
        resumed_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rnn::RnnConfig;
    use crate::schedule::ScheduleKind;
    use crate::textcnn::TextCnnConfig;
    use crate::transformer::TransformerConfig;
    use crate::vocab::TokenizerKind;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// A run directory in memory: what this attempt writes, and what an earlier one left.
    #[derive(Default)]
    struct MemIo {
        written: RefCell<HashMap<String, Vec<u8>>>,
        earlier: HashMap<String, Vec<u8>>,
    }

    impl RunIo for MemIo {
        fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
            self.written
                .borrow_mut()
                .insert(path.to_string(), bytes.to_vec());
            Ok(())
        }
        fn earlier(&self, path: &str) -> Option<Vec<u8>> {
            self.earlier.get(path).cloned()
        }
    }

    /// A plan over two small files: texts that say "good" or "bad" among neutral words.
    fn toy(dir: &Path, val_fraction: Option<f64>) -> DataPlan {
        let line = |i: usize| {
            let (word, label) = if i.is_multiple_of(2) {
                ("good", "pos")
            } else {
                ("bad", "neg")
            };
            let filler = ["", " so", " so very much", " and then some more"][i % 4];
            format!(
                "{{\"text\": \"the {word} thing{filler} number {}\", \"label\": \"{label}\"}}\n",
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

    fn textcnn(dropout: f64) -> NeuralModel {
        NeuralModel::Textcnn(TextCnnConfig {
            embed_dim: 8,
            filters: 4,
            widths: vec![1, 2],
            dropout,
            max_norm: None,
            wide: false,
        })
    }

    fn config(data: DataPlan, train: TrainConfig) -> NeuralConfig {
        NeuralConfig {
            data,
            vocab: VocabConfig::default(),
            model: textcnn(0.0),
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

    fn run(cfg: &NeuralConfig, io: &MemIo) -> (Result<TrainOutput, TrainError>, Vec<MetricRecord>) {
        let mut records = Vec::new();
        let out = train(cfg, &mut |r| records.push(r), &AtomicBool::new(false), io);
        (out, records)
    }

    fn epochs_of(records: &[MetricRecord]) -> Vec<&MetricRecord> {
        records.iter().filter(|r| r.contains_key("epoch")).collect()
    }

    #[test]
    fn a_tiny_network_of_every_kind_learns_a_separable_task_and_logs_every_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let small_rnn = RnnConfig {
            embed_dim: 8,
            hidden: 8,
            dropout: 0.1,
            ..RnnConfig::default()
        };
        let models = [
            textcnn(0.2),
            NeuralModel::Lstm(small_rnn.clone()),
            NeuralModel::Bilstm(RnnConfig {
                pooling: crate::rnn::Pooling::Max,
                ..small_rnn.clone()
            }),
            NeuralModel::Gru(RnnConfig {
                layers: 2,
                pooling: crate::rnn::Pooling::Mean,
                ..small_rnn.clone()
            }),
            NeuralModel::Transformer(TransformerConfig {
                embed_dim: 8,
                heads: 2,
                layers: 1,
                ff_dim: 16,
                dropout: 0.1,
                pooling: crate::transformer::TransformerPooling::First,
            }),
            NeuralModel::CnnLstm(crate::rnn::CnnLstmConfig {
                embed_dim: 8,
                filters: 6,
                hidden: 6,
                dropout: 0.1,
                pooling: crate::rnn::Pooling::Max,
                ..crate::rnn::CnnLstmConfig::default()
            }),
        ];
        for model in models {
            let kind = model.kind();
            let mut cfg = config(toy(dir.path(), None), quick(20));
            // The kept epoch is the one of the lowest training loss (the toy's validation
            // part, four texts, reaches its best F1 in a few epochs).
            cfg.train.early_stopping.metric = Some("train/loss".into());
            if kind == "transformer" {
                cfg.train.lr = 0.005;
            }
            cfg.model = model;
            let (out, records) = run(&cfg, &MemIo::default());
            let out = out.unwrap();
            let epochs = epochs_of(&records);
            assert_eq!(epochs.len(), 20, "{kind}");
            for key in ["train/loss", "lr", "time/epoch_s", "train/examples_per_s"] {
                assert!(epochs.iter().all(|r| r.contains_key(key)), "{kind}: {key}");
            }
            let (first, last) = (epochs[0]["train/loss"], epochs[19]["train/loss"]);
            assert!(
                last < first / 2.0,
                "{kind}: the loss falls: {first} -> {last}"
            );
            assert_eq!(out.reports["test"].accuracy, 1.0, "{kind}");
            let end = records.last().unwrap();
            assert_eq!(end["test/accuracy"], 1.0, "{kind}");
            // The parameters are in the first record, before any epoch.
            let start = &records[0];
            assert!(start["model/parameters"] > 0.0);
            assert_eq!(
                start["model/parameters"],
                start["model/trainable_parameters"]
            );
            assert!(
                out.summary.starts_with(&format!("model: {kind} with ")),
                "{}",
                out.summary
            );
            assert_eq!(out.predictions["test"].len(), 12);
        }
    }

    #[test]
    fn the_device_reads_cpu_and_cuda_and_a_build_without_cuda_says_so() {
        let read = |v: &str| serde_json::from_value::<DeviceChoice>(serde_json::json!(v));
        assert_eq!(read("cpu").unwrap(), DeviceChoice::Cpu);
        assert_eq!(read("cuda").unwrap(), DeviceChoice::Cuda(0));
        assert_eq!(read("cuda:2").unwrap(), DeviceChoice::Cuda(2));
        let err = read("gpu").unwrap_err().to_string();
        assert!(err.contains("cpu, cuda or cuda:N"), "{err}");
        assert_eq!(
            serde_json::to_value(DeviceChoice::Cuda(1)).unwrap(),
            serde_json::json!("cuda:1")
        );
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(toy(dir.path(), None), quick(1));
        cfg.train.device = DeviceChoice::Cuda(0);
        let keys: Vec<String> = cfg.problems().into_iter().map(|(k, _)| k).collect();
        if cfg!(feature = "cuda") {
            assert!(keys.is_empty(), "{keys:?}");
        } else {
            assert_eq!(keys, ["train.device"]);
        }
    }

    /// With Kim's max-norm the constrained weights stay parameters the optimizer trains: the
    /// loss still falls and the task is learned.
    #[test]
    fn a_textcnn_with_max_norm_still_learns() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(toy(dir.path(), None), quick(10));
        cfg.train.early_stopping.metric = Some("train/loss".into());
        cfg.model = NeuralModel::Textcnn(TextCnnConfig {
            embed_dim: 8,
            filters: 4,
            widths: vec![1, 2],
            dropout: 0.0,
            max_norm: Some(0.5),
            wide: false,
        });
        let (out, records) = run(&cfg, &MemIo::default());
        let out = out.unwrap();
        let epochs = epochs_of(&records);
        let (first, last) = (epochs[0]["train/loss"], epochs[9]["train/loss"]);
        assert!(last < first / 2.0, "{first} -> {last}");
        assert_eq!(out.reports["test"].accuracy, 1.0);
    }

    #[test]
    fn a_network_learns_from_subword_tokens() {
        let dir = tempfile::tempdir().unwrap();
        for tokenizer in [TokenizerKind::Bpe, TokenizerKind::Wordpiece] {
            let mut cfg = config(toy(dir.path(), None), quick(10));
            cfg.vocab = VocabConfig {
                tokenizer,
                vocab_size: 60,
                ..VocabConfig::default()
            };
            let (out, _) = run(&cfg, &MemIo::default());
            let out = out.unwrap();
            assert!(out.head.vocab.subword.is_some());
            assert_eq!(out.reports["test"].accuracy, 1.0, "{tokenizer:?}");
        }
    }

    /// The bits of each epoch's training loss of a run of `cfg`.
    fn losses(cfg: &NeuralConfig) -> Vec<u64> {
        let (out, records) = run(cfg, &MemIo::default());
        out.unwrap();
        epochs_of(&records)
            .iter()
            .map(|r| r["train/loss"].to_bits())
            .collect()
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
        cfg.model = NeuralModel::Lstm(RnnConfig {
            embed_dim: 8,
            hidden: 4,
            dropout: 0.3,
            ..RnnConfig::default()
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
        let mut train_cfg = quick(40);
        train_cfg.early_stopping.patience = Some(2);
        let cfg = config(toy(dir.path(), Some(0.25)), train_cfg);
        let (out, records) = run(&cfg, &MemIo::default());
        let out = out.unwrap();
        let val: Vec<f64> = epochs_of(&records)
            .iter()
            .map(|r| r["val/macro_f1"])
            .collect();
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
        assert!(
            val[..out.best_epoch - 1].iter().all(|&v| v < best),
            "{val:?}"
        );
    }

    #[test]
    fn early_stopping_reads_any_epoch_metric_with_its_goal() {
        let dir = tempfile::tempdir().unwrap();
        let mut train_cfg = quick(12);
        train_cfg.early_stopping = EarlyStopping {
            metric: Some("val/loss".into()),
            patience: Some(1),
            min_delta: 0.05,
            ..EarlyStopping::default()
        };
        let cfg = config(toy(dir.path(), Some(0.25)), train_cfg);
        let (out, records) = run(&cfg, &MemIo::default());
        let out = out.unwrap();
        let val: Vec<f64> = epochs_of(&records).iter().map(|r| r["val/loss"]).collect();
        // The kept epoch lowered the loss by more than 0.05; the next one did not.
        let best = val[out.best_epoch - 1];
        assert_eq!(out.epochs, out.best_epoch + 1, "{val:?}");
        assert!(val[out.epochs - 1] > best - 0.05, "{val:?}");
        let mut bad = cfg.clone();
        bad.train.early_stopping.metric = Some("val/nope".into());
        let (err, _) = run(&bad, &MemIo::default());
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("train.early_stopping.metric") && message.contains("val/loss"),
            "{message}"
        );
    }

    /// A run stopped after its second epoch and run again (a retried attempt, which finds
    /// the checkpoint) ends exactly as a run that was never stopped.
    #[test]
    fn a_stopped_run_resumes_from_its_checkpoint_to_the_same_end() {
        resumes_to_the_same_end(OptimizerKind::Adamw);
        // Adadelta's running means are saved and read back as burn's own optimizers' are.
        resumes_to_the_same_end(OptimizerKind::Adadelta);
    }

    fn resumes_to_the_same_end(optimizer: OptimizerKind) {
        let dir = tempfile::tempdir().unwrap();
        let mut train_cfg = quick(4);
        train_cfg.optimizer = optimizer;
        if optimizer == OptimizerKind::Adadelta {
            train_cfg.lr = 1.0;
            train_cfg.weight_decay = 0.0;
        }
        train_cfg.schedule = ScheduleConfig {
            kind: ScheduleKind::Plateau,
            patience: 0,
            gamma: 0.5,
            ..ScheduleConfig::default()
        };
        let mut cfg = config(toy(dir.path(), Some(0.25)), train_cfg);
        cfg.model = textcnn(0.3);
        let whole = MemIo::default();
        let (out, all) = run(&cfg, &whole);
        let out = out.unwrap();
        let first = MemIo::default();
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        let stopped = train(
            &cfg,
            &mut |r| {
                if r.get("epoch") == Some(&2.0) {
                    stop.store(true, Ordering::SeqCst);
                }
                seen.push(r);
            },
            &stop,
            &first,
        );
        assert!(matches!(stopped, Err(TrainError::Stopped)));
        let retry = MemIo {
            earlier: first.written.borrow().clone(),
            ..MemIo::default()
        };
        let (resumed, again) = run(&cfg, &retry);
        let resumed = resumed.unwrap();
        assert_eq!(resumed.resumed_after, Some(2));
        let strip = |rs: &[MetricRecord]| -> Vec<MetricRecord> {
            rs.iter()
                .map(|r| {
                    let mut r = r.clone();
                    r.retain(|k, _| !k.starts_with("time/") && !k.ends_with("_per_s"));
                    r
                })
                .collect()
        };
        assert_eq!(strip(&again), strip(&all), "the same history, bit for bit");
        assert_eq!(resumed.best_epoch, out.best_epoch);
        // The same best weights (the files' metadata order may differ).
        assert_eq!(
            safetensors_values(&retry.written.borrow()[crate::checkpoint::files::BEST]),
            safetensors_values(&whole.written.borrow()[crate::checkpoint::files::BEST])
        );
        // Another config does not resume from it.
        let mut other = cfg.clone();
        other.seed = 9;
        let (o, _) = run(&other, &retry);
        assert_eq!(o.unwrap().resumed_after, None);
    }

    /// Two batches of 4 accumulated are one batch of 8 (same order, no dropout), with plain
    /// SGD, whose step is proportional to the gradient (Adam's would hide a wrong scale).
    #[test]
    fn accumulated_batches_step_like_one_large_batch() {
        let dir = tempfile::tempdir().unwrap();
        let losses_of = |batch_size: usize, accumulate: usize| {
            let mut t = quick(3);
            t.optimizer = OptimizerKind::Sgd;
            t.momentum = Some(0.0);
            t.weight_decay = 0.0;
            t.lr = 0.5;
            t.batch_size = batch_size;
            t.accumulate = accumulate;
            t.bucketing = false;
            let (out, records) = run(&config(toy(dir.path(), None), t), &MemIo::default());
            out.unwrap();
            epochs_of(&records)
                .iter()
                .map(|r| r["train/loss"])
                .collect::<Vec<f64>>()
        };
        let (small, large) = (losses_of(4, 2), losses_of(8, 1));
        for (a, b) in small.iter().zip(&large) {
            assert!((a - b).abs() < 1e-5, "{small:?} vs {large:?}");
        }
        assert_ne!(losses_of(4, 1), large);
    }

    /// Clipping bounds one SGD step's change of all the weights together by lr · clip_norm.
    #[test]
    fn clipping_bounds_the_global_norm_of_a_step() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = quick(1);
        t.optimizer = OptimizerKind::Sgd;
        t.momentum = Some(0.0);
        t.weight_decay = 0.0;
        t.lr = 1.0;
        t.batch_size = 64;
        t.clip_norm = Some(0.01);
        let cfg = config(toy(dir.path(), None), t);
        let (out, records) = run(&cfg, &MemIo::default());
        let out = out.unwrap();
        assert!(epochs_of(&records)[0]["train/grad_norm"] > 0.01);
        let device = Device::flex();
        let before = Network::new(
            &cfg.model,
            out.head.vocab.len(),
            2,
            out.head.vocab.max_length,
            &device,
            &mut Generator::new(cfg.seed),
        );
        let flat = |n: &Network| -> Vec<f32> {
            safetensors_values(&crate::checkpoint::weights(n).unwrap())
        };
        let (a, b) = (flat(&before), flat(&out.network));
        let change: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| f64::from(x - y).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(change > 0.005 && change <= 0.0101, "{change}");
    }

    /// SGD's momentum follows PyTorch's rule (dampening 0): the first step is plain SGD's
    /// (`v = g`), Nesterov's first is `(1 + m)` times it, and the second with momentum is
    /// plain SGD's second less `lr · m · g1`. One batch an epoch, no dropout, no validation
    /// part (the last epoch is kept), so each epoch is one step on the same texts.
    #[test]
    fn sgd_momentum_and_nesterov_follow_the_update_rule() {
        let dir = tempfile::tempdir().unwrap();
        let m = 0.9;
        let weights_after = |epochs: usize, momentum: f64, nesterov: bool| -> Vec<f64> {
            let mut t = quick(epochs);
            t.optimizer = OptimizerKind::Sgd;
            t.momentum = Some(momentum);
            t.nesterov = nesterov;
            t.weight_decay = 0.0;
            t.lr = 0.5;
            t.batch_size = 64;
            let cfg = config(toy(dir.path(), Some(0.0)), t);
            let (out, _) = run(&cfg, &MemIo::default());
            let network = out.unwrap().network;
            safetensors_values(&crate::checkpoint::weights(&network).unwrap())
                .into_iter()
                .map(f64::from)
                .collect()
        };
        let start = {
            let mut t = quick(1);
            t.batch_size = 64;
            let cfg = config(toy(dir.path(), Some(0.0)), t);
            let (out, _) = run(&cfg, &MemIo::default());
            let head = out.unwrap().head;
            let network = Network::new(
                &cfg.model,
                head.vocab.len(),
                2,
                head.vocab.max_length,
                &Device::flex(),
                &mut Generator::new(cfg.seed),
            );
            safetensors_values(&crate::checkpoint::weights(&network).unwrap())
        };
        let start: Vec<f64> = start.into_iter().map(f64::from).collect();
        let close = |what: &str, got: &[f64], want: &[f64]| {
            assert_eq!(got.len(), want.len());
            let worst = got
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
                .fold(0.0, f64::max);
            assert!(worst < 1e-5, "{what}: off by {worst}");
        };
        let plain1 = weights_after(1, 0.0, false);
        let step1: Vec<f64> = plain1.iter().zip(&start).map(|(a, b)| a - b).collect();
        assert!(
            step1.iter().any(|d| d.abs() > 1e-3),
            "the first step moved nothing"
        );
        close("momentum, step 1", &weights_after(1, m, false), &plain1);
        let nesterov1: Vec<f64> = start
            .iter()
            .zip(&step1)
            .map(|(p, d)| p + (1.0 + m) * d)
            .collect();
        close("nesterov, step 1", &weights_after(1, m, true), &nesterov1);
        let plain2 = weights_after(2, 0.0, false);
        let momentum2: Vec<f64> = plain2.iter().zip(&step1).map(|(p, d)| p + m * d).collect();
        close("momentum, step 2", &weights_after(2, m, false), &momentum2);
    }

    /// Every f32 of a safetensors file, tensors in name order.
    fn safetensors_values(bytes: &[u8]) -> Vec<f32> {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes[8..8 + n]).unwrap();
        let data = &bytes[8 + n..];
        let mut out = Vec::new();
        for (name, t) in &header {
            if name == "__metadata__" {
                continue;
            }
            let off = &t["data_offsets"];
            let (s, e) = (
                off[0].as_u64().unwrap() as usize,
                off[1].as_u64().unwrap() as usize,
            );
            out.extend(
                data[s..e]
                    .chunks(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap())),
            );
        }
        out
    }

    #[test]
    fn bucketed_batches_hold_every_text_once_with_less_padding() {
        let lengths: Vec<usize> = (0..300).map(|i| 1 + (i * 37) % 60).collect();
        let padding = |batches: &[Vec<usize>]| -> usize {
            batches
                .iter()
                .map(|b| {
                    let max = b.iter().map(|&i| lengths[i]).max().unwrap();
                    b.iter().map(|&i| max - lengths[i]).sum::<usize>()
                })
                .sum()
        };
        let plain = epoch_batches(&lengths, 10, false, 1, 1);
        let bucketed = epoch_batches(&lengths, 10, true, 1, 1);
        for batches in [&plain, &bucketed] {
            let mut all: Vec<usize> = batches.iter().flatten().copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..300).collect::<Vec<_>>());
        }
        assert!(padding(&bucketed) * 4 < padding(&plain));
        assert_ne!(epoch_batches(&lengths, 10, true, 1, 2), bucketed);
        assert_eq!(epoch_batches(&lengths, 10, true, 1, 1), bucketed);
    }

    #[test]
    fn a_set_stop_flag_stops_training_and_bad_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(toy(dir.path(), None), quick(3));
        let stopped = train(&cfg, &mut |_| {}, &AtomicBool::new(true), &MemIo::default());
        assert!(matches!(stopped, Err(TrainError::Stopped)));
        let mut bad = cfg.clone();
        bad.train.lr = 0.0;
        bad.train.epochs = 0;
        bad.train.momentum = Some(0.9);
        bad.train.rho = Some(0.9);
        bad.train.schedule.warmup_fraction = Some(1.5);
        bad.train.loss.label_smoothing = -0.1;
        bad.model = NeuralModel::Textcnn(TextCnnConfig {
            widths: vec![],
            ..TextCnnConfig::default()
        });
        let keys: Vec<String> = bad.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "model.widths",
                "train.schedule.warmup_fraction",
                "train.loss.label_smoothing",
                "train.epochs",
                "train.lr",
                "train.momentum",
                "train.rho"
            ]
        );
        // What early stopping watches must exist: no validation part held out here.
        let mut blind = cfg.clone();
        blind.data.val_fraction = Some(0.0);
        blind.train.early_stopping.patience = Some(2);
        blind.train.schedule.kind = ScheduleKind::Plateau;
        let keys: Vec<String> = blind.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["train.early_stopping.patience", "train.schedule.kind"]
        );
        blind.train.early_stopping.metric = Some("val/loss".into());
        let keys: Vec<String> = blind.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["train.early_stopping.metric"]);
        blind.train.early_stopping.metric = Some("trian/loss".into());
        let problems = blind.problems();
        assert!(problems[0].1.contains("train/loss"), "{problems:?}");
        blind.train.early_stopping.metric = Some("train/loss".into());
        assert!(blind.problems().is_empty(), "{:?}", blind.problems());
    }
}
