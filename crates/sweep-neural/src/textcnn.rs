//! TextCNN (Kim 2014, "Convolutional Neural Networks for Sentence Classification"): token
//! embeddings, one 1-d convolution per kernel width, ReLU, max over time (windows that run
//! into padding left out), dropout, a linear layer to the classes.
//!
//! The weights and the dropout masks come from the run's own generator, not burn's (one
//! global generator per process, which runs trained side by side would share): a run is
//! the same whatever else the process trains.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

/// Settings of `model: {kind: textcnn}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextCnnConfig {
    /// Size of the token embeddings.
    pub embed_dim: usize,
    /// Filters per kernel width.
    pub filters: usize,
    /// Kernel widths (tokens).
    pub widths: Vec<usize>,
    /// Dropout before the output layer.
    pub dropout: f64,
}

impl Default for TextCnnConfig {
    fn default() -> Self {
        TextCnnConfig {
            embed_dim: 128,
            filters: 100,
            widths: vec![3, 4, 5],
            dropout: 0.5,
        }
    }
}

impl TextCnnConfig {
    /// Every setting out of range: `(setting, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.embed_dim == 0 {
            out.push(("embed_dim", "must be at least 1".into()));
        }
        if self.filters == 0 {
            out.push(("filters", "must be at least 1".into()));
        }
        if self.widths.is_empty() || self.widths.contains(&0) {
            out.push(("widths", "must be one or more widths of at least 1".into()));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            out.push((
                "dropout",
                format!("must be in [0, 1), got {}", self.dropout),
            ));
        }
        out
    }
}

#[derive(Module, Debug)]
pub struct TextCnn {
    embedding: Embedding,
    convs: Vec<Conv1d>,
    output: Linear,
}

/// The run's generator: weights, then dropout masks.
pub struct Generator(Pcg64Mcg);

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator(Pcg64Mcg::seed_from_u64(seed ^ 0x0074_6578_7463_6e6e))
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    fn uniform(&mut self, n: usize, bound: f64) -> Vec<f32> {
        (0..n)
            .map(|_| ((self.unit() * 2.0 - 1.0) * bound) as f32)
            .collect()
    }

    /// A dropout mask `[rows, cols]`: each entry 0 with probability `p`, else `1 / (1 − p)`.
    pub fn dropout(&mut self, rows: usize, cols: usize, p: f64, device: &Device) -> Tensor<2> {
        let keep = (1.0 / (1.0 - p)) as f32;
        let mask: Vec<f32> = (0..rows * cols)
            .map(|_| if self.unit() < p { 0.0 } else { keep })
            .collect();
        Tensor::from_data(TensorData::new(mask, [rows, cols]), device)
    }
}

/// A parameter of `shape` drawn uniformly in `±bound`.
fn drawn<const D: usize>(
    g: &mut Generator,
    shape: [usize; D],
    bound: f64,
    device: &Device,
) -> Param<Tensor<D>> {
    let n = shape.iter().product();
    Param::from_data(TensorData::new(g.uniform(n, bound), shape), device)
}

/// A batch of encoded texts, padded to the longest (at least the widest kernel).
pub struct Batch {
    pub tokens: Tensor<2, Int>,
    /// True at the windows of each width that run past a text's tokens.
    pub padding: Vec<Tensor<3, Bool>>,
}

impl TextCnn {
    /// A network with weights from `g`: embeddings uniform in ±0.25 (Kim's; burn's default,
    /// N(0, 1), was 2.5 points worse on TREC), the other layers uniform in ±1/√fan-in
    /// (PyTorch's defaults).
    pub fn new(
        cfg: &TextCnnConfig,
        vocab: usize,
        classes: usize,
        device: &Device,
        g: &mut Generator,
    ) -> TextCnn {
        let mut embedding = EmbeddingConfig::new(vocab, cfg.embed_dim).init(device);
        embedding.weight = drawn(g, [vocab, cfg.embed_dim], 0.25, device);
        let convs = cfg
            .widths
            .iter()
            .map(|&k| {
                let mut conv = Conv1dConfig::new(cfg.embed_dim, cfg.filters, k).init(device);
                let bound = 1.0 / ((cfg.embed_dim * k) as f64).sqrt();
                conv.weight = drawn(g, [cfg.filters, cfg.embed_dim, k], bound, device);
                conv.bias = Some(drawn(g, [cfg.filters], bound, device));
                conv
            })
            .collect();
        let features = cfg.filters * cfg.widths.len();
        let mut output = LinearConfig::new(features, classes).init(device);
        let bound = 1.0 / (features as f64).sqrt();
        output.weight = drawn(g, [features, classes], bound, device);
        output.bias = Some(drawn(g, [classes], bound, device));
        TextCnn {
            embedding,
            convs,
            output,
        }
    }

    /// The pooled features `[batch, filters · widths]`.
    fn features(&self, batch: &Batch) -> Tensor<2> {
        let x = self.embedding.forward(batch.tokens.clone()).swap_dims(1, 2);
        let pooled: Vec<Tensor<2>> = self
            .convs
            .iter()
            .zip(&batch.padding)
            .map(|(conv, pad)| {
                // After the ReLU every value is >= 0, so zeroing the padded windows leaves
                // them out of the max.
                relu(conv.forward(x.clone()))
                    .mask_fill(pad.clone(), 0.0)
                    .max_dim(2)
                    .squeeze_dim::<2>(2)
            })
            .collect();
        Tensor::cat(pooled, 1)
    }

    /// Class scores `[batch, classes]`; in training, `dropout` is the mask applied to the
    /// pooled features (see [`Generator::dropout`]).
    pub fn forward(&self, batch: &Batch, dropout: Option<Tensor<2>>) -> Tensor<2> {
        let h = self.features(batch);
        let h = match dropout {
            Some(mask) => h * mask,
            None => h,
        };
        self.output.forward(h)
    }
}

/// The batch of `texts` (encoded ids) for a model of these kernel `widths` and `filters`.
pub fn batch(texts: &[&[i64]], widths: &[usize], filters: usize, device: &Device) -> Batch {
    let widest = widths.iter().copied().max().unwrap_or(1);
    let len = texts.iter().map(|t| t.len()).max().unwrap_or(1).max(widest);
    let b = texts.len();
    let mut flat = Vec::with_capacity(b * len);
    for t in texts {
        flat.extend_from_slice(t);
        flat.extend(std::iter::repeat_n(crate::vocab::PAD, len - t.len()));
    }
    let tokens = Tensor::<2, Int>::from_data(TensorData::new(flat, [b, len]), device);
    let padding = widths
        .iter()
        .map(|&k| {
            let windows = len - k + 1;
            let mut m = Vec::with_capacity(b * windows);
            for t in texts {
                // The first window is always kept, so a text shorter than `k` still counts.
                let valid = (t.len() + 1).saturating_sub(k).max(1);
                m.extend((0..windows).map(|w| w >= valid));
            }
            Tensor::<2, Bool>::from_data(TensorData::new(m, [b, windows]), device)
                .unsqueeze_dim::<3>(1)
                .expand([b, filters, windows])
        })
        .collect();
    Batch { tokens, padding }
}
