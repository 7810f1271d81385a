//! TextCNN (Kim 2014, "Convolutional Neural Networks for Sentence Classification"): token
//! embeddings, one 1-d convolution per kernel width, ReLU, max over time (windows that run
//! into padding left out), dropout, a linear layer to the classes. With `wide`, each text
//! is first given `widest − 1` zero vectors on both sides, as Kim's code pads sentences, so
//! every token is seen at every offset of every kernel and a short text has windows of its
//! own for every width.

use crate::nn::{
    Batch, Generator, WindowConv, dropout, embedding, linear, pad_sequence, size_problems,
};
use burn::module::Module;
use burn::nn::{Embedding, Linear};
use burn::tensor::activation::relu;
use burn::tensor::{Bool, Device, Tensor, TensorData};
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
    /// Kim's constraint: after every step, each class's output weights are scaled back to
    /// this L2 norm when longer (Kim: 3). None: unconstrained.
    pub max_norm: Option<f64>,
    /// Kim's wide convolution: `widest − 1` zero vectors before and after each text, the
    /// windows that hold at least one of its tokens kept. False: windows within the text
    /// only (a text shorter than a kernel keeps its first window).
    pub wide: bool,
}

impl Default for TextCnnConfig {
    fn default() -> Self {
        TextCnnConfig {
            embed_dim: 128,
            filters: 100,
            widths: vec![3, 4, 5],
            dropout: 0.5,
            max_norm: None,
            wide: false,
        }
    }
}

impl TextCnnConfig {
    /// Every setting out of range: `(setting, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = size_problems(
            &[("embed_dim", self.embed_dim), ("filters", self.filters)],
            self.dropout,
        );
        if self.widths.is_empty() || self.widths.contains(&0) {
            out.push(("widths", "must be one or more widths of at least 1".into()));
        }
        if let Some(m) = self.max_norm
            && !(m.is_finite() && m > 0.0)
        {
            out.push(("max_norm", format!("must be a positive number, got {m}")));
        }
        out
    }
}

#[derive(Module, Debug)]
pub struct TextCnn {
    embedding: Embedding,
    convs: Vec<WindowConv>,
    output: Linear,
    dropout: f64,
    #[module(skip)]
    max_norm: Option<f64>,
    #[module(skip)]
    wide: bool,
}

impl TextCnn {
    /// A network with weights from `g`: embeddings uniform in ±0.25 (Kim's; burn's default,
    /// N(0, 1), was 2.5 points worse on TREC), the other layers PyTorch's defaults.
    pub fn new(
        cfg: &TextCnnConfig,
        vocab: usize,
        classes: usize,
        device: &Device,
        g: &mut Generator,
    ) -> TextCnn {
        let embedding = embedding(g, vocab, cfg.embed_dim, 0.25, device);
        let convs = cfg
            .widths
            .iter()
            .map(|&k| WindowConv::new(g, cfg.embed_dim, cfg.filters, k, device))
            .collect();
        let output = linear(g, cfg.filters * cfg.widths.len(), classes, device);
        TextCnn {
            embedding,
            convs,
            output,
            dropout: cfg.dropout,
            max_norm: cfg.max_norm,
            wide: cfg.wide,
        }
    }

    /// The network after an optimizer step: with `max_norm`, each class's output weights
    /// (a column of the `[features, classes]` weight) scaled back to that L2 norm when
    /// longer. The new weights are a fresh leaf under the same parameter id, so training
    /// and the optimizer's state go on with them.
    pub fn constrained(mut self) -> TextCnn {
        if let Some(limit) = self.max_norm {
            self.output.weight = self.output.weight.map(|w| {
                // Computed outside autodiff, then a leaf again when training.
                let trained = w.is_autodiff();
                let w = if trained { w.inner() } else { w };
                let norms = w.clone().powi_scalar(2).sum_dim(0).sqrt();
                let scale = norms.recip().mul_scalar(limit).clamp_max(1.0);
                let w = w * scale;
                if trained {
                    Tensor::from_inner(w).require_grad()
                } else {
                    w
                }
            });
        }
        self
    }

    fn widest(&self) -> usize {
        self.convs.iter().map(WindowConv::width).max().unwrap_or(1)
    }

    /// The shortest batch the network reads: its widest kernel (1 with `wide`, whose zero
    /// vectors make room for every kernel).
    pub fn min_len(&self) -> usize {
        if self.wide { 1 } else { self.widest() }
    }

    /// Class scores `[batch, classes]`; dropout on the pooled features when `g` is given.
    pub fn forward(&self, batch: &Batch, g: Option<&mut Generator>) -> Tensor<2> {
        let device = batch.tokens.device();
        let mut x = self.embedding.forward(batch.tokens.clone());
        let margin = if self.wide { self.widest() - 1 } else { 0 };
        if self.wide {
            // Zero vectors in place of the batch's padding tokens, then on both sides.
            if batch.padded() {
                x = x * batch.valid(&device).unsqueeze_dim::<3>(2);
            }
            x = pad_sequence(x, margin);
        }
        let pooled: Vec<Tensor<2>> = self
            .convs
            .iter()
            .map(|conv| {
                let h = relu(conv.forward(x.clone()));
                // After the ReLU every value is >= 0, so zeroing the windows that run into
                // padding leaves them out of the max.
                let mask = if self.wide {
                    wide_window_padding(batch, conv.width(), margin, h.dims()[2], &device)
                } else {
                    window_padding(batch, conv.width(), h.dims()[2], &device)
                };
                let h = match mask {
                    Some(pad) => h.mask_fill(pad, 0.0),
                    None => h,
                };
                h.max_dim(1).squeeze_dim::<2>(1)
            })
            .collect();
        let h = dropout(Tensor::cat(pooled, 1), self.dropout, g);
        self.output.forward(h)
    }
}

/// `[batch, windows, filters]`: true at the windows of width `k` that run past a text's
/// tokens; `None` when no window does.
fn window_padding(
    batch: &Batch,
    k: usize,
    filters: usize,
    device: &Device,
) -> Option<Tensor<3, Bool>> {
    let windows = batch.len + 1 - k;
    // The first window is always kept, so a text shorter than `k` still counts.
    let valid = |l: usize| (l + 1).saturating_sub(k).max(1);
    if batch.lengths.iter().all(|&l| valid(l) >= windows) {
        return None;
    }
    let b = batch.size();
    let m: Vec<bool> = batch
        .lengths
        .iter()
        .flat_map(|&l| (0..windows).map(move |w| w >= valid(l)))
        .collect();
    Some(
        Tensor::<2, Bool>::from_data(TensorData::new(m, [b, windows]), device)
            .unsqueeze_dim::<3>(2)
            .expand([b, windows, filters]),
    )
}

/// The windows of width `k` a text keeps under the wide convolution, where each text
/// has `margin` zero vectors before it and the batch is `margin` vectors longer after it:
/// those holding at least one of the text's tokens, starts `margin + 1 − k` to
/// `margin + length − 1` (`length + k − 1` windows).
fn wide_windows(length: usize, k: usize, margin: usize) -> std::ops::Range<usize> {
    margin + 1 - k..margin + length.max(1)
}

/// `[batch, windows, filters]`: true at the windows of width `k` that hold none of a
/// text's tokens under the wide convolution (see [`wide_windows`]); `None` when none do.
fn wide_window_padding(
    batch: &Batch,
    k: usize,
    margin: usize,
    filters: usize,
    device: &Device,
) -> Option<Tensor<3, Bool>> {
    let windows = batch.len + 2 * margin + 1 - k;
    let b = batch.size();
    let m: Vec<bool> = batch
        .lengths
        .iter()
        .flat_map(|&l| {
            let keep = wide_windows(l, k, margin);
            (0..windows).map(move |w| !keep.contains(&w))
        })
        .collect();
    if !m.iter().any(|&pad| pad) {
        return None;
    }
    Some(
        Tensor::<2, Bool>::from_data(TensorData::new(m, [b, windows]), device)
            .unsqueeze_dim::<3>(2)
            .expand([b, windows, filters]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
    }

    /// Windows that run into padding are left out of the max: a text scores the same alone
    /// (padded to the widest kernel) and beside a longer text.
    #[test]
    fn padded_windows_are_left_out_of_the_max() {
        let device = Device::flex();
        let net = TextCnn::new(&toy(false), 12, 3, &device, &mut Generator::new(6));
        assert_eq!(net.min_len(), 3);
        scores_ignore_the_batch(&net, &[&[4, 5, 6, 7], &[4, 5]]);
    }

    /// Widths 2 and 3 over 5-wide embeddings, no dropout.
    fn toy(wide: bool) -> TextCnnConfig {
        TextCnnConfig {
            embed_dim: 5,
            filters: 4,
            widths: vec![2, 3],
            dropout: 0.0,
            max_norm: None,
            wide,
        }
    }

    /// Each of `texts` scores the same alone and in a batch beside a longer text.
    fn scores_ignore_the_batch(net: &TextCnn, texts: &[&[i64]]) {
        let device = Device::flex();
        let long: &[i64] = &[8, 9, 10, 11, 2, 3, 4];
        for &short in texts {
            let alone = values(net.forward(&Batch::new(&[short], net.min_len(), &device), None));
            let both =
                values(net.forward(&Batch::new(&[short, long], net.min_len(), &device), None));
            for (a, b) in alone.iter().zip(&both[..3]) {
                assert!((a - b).abs() < 1e-5, "{short:?}: {alone:?} vs {both:?}");
            }
        }
    }

    /// Every width sees a text in `length + k − 1` windows, one per offset of each token,
    /// and none of them lies wholly in the zero vectors.
    #[test]
    fn a_wide_window_holds_a_token_at_every_offset() {
        for margin in [2usize, 4] {
            for k in 1..=margin + 1 {
                for length in 1..6 {
                    let keep = wide_windows(length, k, margin);
                    assert_eq!(keep.len(), length + k - 1, "k {k} length {length}");
                    // The first window ends on the first token, the last starts on the
                    // last one.
                    assert_eq!(keep.start + k - 1, margin);
                    assert_eq!(keep.end - 1, margin + length - 1);
                }
            }
        }
    }

    /// With the wide convolution a text scores the same alone and beside a longer one
    /// (padding tokens are zero vectors like the margins), and a one-token text reads
    /// differently than without it (every offset of a kernel sees the token).
    #[test]
    fn wide_scores_ignore_the_batch_and_differ_from_narrow() {
        let device = Device::flex();
        let wide = TextCnn::new(&toy(true), 12, 3, &device, &mut Generator::new(6));
        assert_eq!(wide.min_len(), 1);
        scores_ignore_the_batch(&wide, &[&[4, 5, 6, 7], &[4, 5], &[6]]);
        let narrow = TextCnn::new(&toy(false), 12, 3, &device, &mut Generator::new(6));
        let one: &[i64] = &[6];
        let w = values(wide.forward(&Batch::new(&[one], 1, &device), None));
        let n = values(narrow.forward(&Batch::new(&[one], 3, &device), None));
        assert!(
            w.iter().zip(&n).any(|(a, b)| (a - b).abs() > 1e-4),
            "{w:?} vs {n:?}"
        );
    }
}

#[cfg(test)]
mod constraint_tests {
    use super::*;

    fn column_norms(net: &TextCnn) -> Vec<f32> {
        net.output
            .weight
            .val()
            .powi_scalar(2)
            .sum_dim(0)
            .sqrt()
            .into_data()
            .iter::<f32>()
            .collect()
    }

    #[test]
    fn max_norm_scales_long_class_weights_back_and_leaves_short_ones() {
        let device = Device::flex();
        let cfg = TextCnnConfig {
            embed_dim: 4,
            filters: 50,
            widths: vec![1],
            dropout: 0.0,
            max_norm: Some(0.5),
            wide: false,
        };
        let net = TextCnn::new(&cfg, 10, 3, &device, &mut Generator::new(2));
        let before = column_norms(&net);
        let after = column_norms(&net.constrained());
        for (b, a) in before.iter().zip(&after) {
            assert!(*a <= 0.5 + 1e-5, "{before:?} -> {after:?}");
            if *b <= 0.5 {
                assert!((a - b).abs() < 1e-6);
            }
        }
        assert!(
            before.iter().any(|&b| b > 0.5),
            "the test needs a long column: {before:?}"
        );
    }
}
