//! Recurrent classifiers: LSTM, BiLSTM and GRU (one or more layers, padding masked, the last
//! state or the tokens' mean or max as the text's vector), and CNN features feeding an LSTM.
//!
//! The cells are written here rather than taken from burn: each step is two matmuls, the
//! input and the state each against all gates at once (burn's LSTM does 8 matmuls a step;
//! the fused cell was 25 % faster when measured, `../shared/notes/dl-frameworks.md`). At padding a text's state is
//! carried unchanged, so the last state is the one after its last token, and the backward
//! direction starts at its last token.

use crate::nn::{
    Batch, Generator, WindowConv, dropout, embedding, linear, masked_max, masked_mean,
    pad_sequence, size_problems,
};
use burn::module::{Module, Param};
use burn::nn::{Embedding, Linear};
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// How a sequence's outputs become the text's vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The state after the last token (each direction's).
    #[default]
    Last,
    /// The mean of the outputs over the tokens.
    Mean,
    /// The maximum of the outputs over the tokens.
    Max,
}

/// Settings of `model: {kind: lstm | bilstm | gru}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RnnConfig {
    pub embed_dim: usize,
    /// State size of each direction.
    pub hidden: usize,
    pub layers: usize,
    /// Both directions (`bilstm` is `lstm` with this set).
    pub bidirectional: bool,
    /// Dropout on the embeddings, between layers and before the output layer.
    pub dropout: f64,
    pub pooling: Pooling,
}

impl Default for RnnConfig {
    fn default() -> Self {
        RnnConfig {
            embed_dim: 128,
            hidden: 128,
            layers: 1,
            bidirectional: false,
            dropout: 0.5,
            pooling: Pooling::Last,
        }
    }
}

/// Settings of `model: {kind: cnn_lstm}`: a convolution over the embeddings whose features
/// (one vector per token, same length) are the LSTM's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CnnLstmConfig {
    pub embed_dim: usize,
    pub filters: usize,
    /// Kernel width (odd, so each token has a feature vector).
    pub width: usize,
    pub hidden: usize,
    pub layers: usize,
    pub bidirectional: bool,
    pub dropout: f64,
    pub pooling: Pooling,
}

impl Default for CnnLstmConfig {
    fn default() -> Self {
        CnnLstmConfig {
            embed_dim: 128,
            filters: 100,
            width: 3,
            hidden: 128,
            layers: 1,
            bidirectional: false,
            dropout: 0.5,
            pooling: Pooling::Last,
        }
    }
}

impl RnnConfig {
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        size_problems(
            &[
                ("embed_dim", self.embed_dim),
                ("hidden", self.hidden),
                ("layers", self.layers),
            ],
            self.dropout,
        )
    }
}

impl CnnLstmConfig {
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = size_problems(
            &[
                ("filters", self.filters),
                ("embed_dim", self.embed_dim),
                ("hidden", self.hidden),
                ("layers", self.layers),
            ],
            self.dropout,
        );
        if self.width.is_multiple_of(2) {
            out.insert(
                usize::from(self.filters == 0),
                (
                    "width",
                    format!(
                        "must be odd (a feature vector per token), got {}",
                        self.width
                    ),
                ),
            );
        }
        out
    }

    /// The recurrent part's settings.
    fn recurrent(&self) -> RnnConfig {
        RnnConfig {
            embed_dim: self.embed_dim,
            hidden: self.hidden,
            layers: self.layers,
            bidirectional: self.bidirectional,
            dropout: self.dropout,
            pooling: self.pooling,
        }
    }
}

/// One direction of one recurrent layer. LSTM gates are `[input, forget, cell, output]`,
/// GRU gates `[reset, update, new]`, each `hidden` wide.
#[derive(Module, Debug)]
pub struct Recurrent {
    w_input: Param<Tensor<2>>,
    w_state: Param<Tensor<2>>,
    b_input: Param<Tensor<1>>,
    /// The GRU's bias inside the reset product (the LSTM has only `b_input`).
    b_state: Option<Param<Tensor<1>>>,
    hidden: usize,
    lstm: bool,
    reverse: bool,
}

impl Recurrent {
    /// PyTorch's initialisation: every weight uniform in ±1/√hidden.
    fn new(
        g: &mut Generator,
        input: usize,
        hidden: usize,
        lstm: bool,
        reverse: bool,
        device: &Device,
    ) -> Recurrent {
        let gates = if lstm { 4 } else { 3 } * hidden;
        let bound = 1.0 / (hidden as f64).sqrt();
        Recurrent {
            w_input: g.uniform([input, gates], bound, device),
            w_state: g.uniform([hidden, gates], bound, device),
            b_input: g.uniform([gates], bound, device),
            b_state: (!lstm).then(|| g.uniform([gates], bound, device)),
            hidden,
            lstm,
            reverse,
        }
    }

    /// Runs over `x` (`[batch, len, input]`); returns every step's output (`[batch, len,
    /// hidden]`, zero at padding) and the last state (`[batch, hidden]`).
    fn forward(&self, x: Tensor<3>, masks: &[Option<Tensor<2>>]) -> (Tensor<3>, Tensor<2>) {
        let [b, len, input] = x.dims();
        let h_size = self.hidden;
        let device = x.device();
        // Each step's input is projected on its own: a slice's gradient is a tensor of the
        // whole sliced input (burn's slice backward), so slicing the inputs (`input` wide)
        // costs a quarter of slicing one projection of all steps (`gates` wide): LSTM
        // backward 183 -> 93 ms at 64 x 64 x 128 (BENCHMARKS.md).
        let w_input = self.w_input.val();
        let b_input = self.b_input.val().unsqueeze::<2>();
        let steps: Vec<Tensor<2>> = x
            .chunk(len, 1)
            .into_iter()
            .map(|t| t.reshape([b, input]).matmul(w_input.clone()) + b_input.clone())
            .collect();
        let w_state = self.w_state.val();
        let b_state = self.b_state.as_ref().map(|p| p.val().unsqueeze::<2>());
        let mut h = Tensor::<2>::zeros([b, h_size], &device);
        let mut c = Tensor::<2>::zeros([b, h_size], &device);
        let mut outputs: Vec<Option<Tensor<2>>> = vec![None; len];
        let order: Vec<usize> = if self.reverse {
            (0..len).rev().collect()
        } else {
            (0..len).collect()
        };
        let gate = |t: &Tensor<2>, i: usize| t.clone().slice([0..b, i * h_size..(i + 1) * h_size]);
        for t in order {
            let from_state = h.clone().matmul(w_state.clone());
            let (h_new, c_new) = if self.lstm {
                let z = steps[t].clone() + from_state;
                let i = sigmoid(gate(&z, 0));
                let f = sigmoid(gate(&z, 1));
                let cell = tanh(gate(&z, 2));
                let o = sigmoid(gate(&z, 3));
                let c_new = f * c.clone() + i * cell;
                (o * tanh(c_new.clone()), Some(c_new))
            } else {
                let zs = match &b_state {
                    Some(bias) => from_state + bias.clone(),
                    None => from_state,
                };
                let zx = &steps[t];
                let r = sigmoid(gate(zx, 0) + gate(&zs, 0));
                let u = sigmoid(gate(zx, 1) + gate(&zs, 1));
                let n = tanh(gate(zx, 2) + r * gate(&zs, 2));
                (n.clone() + u * (h.clone() - n), None)
            };
            match &masks[t] {
                Some(m) => {
                    outputs[t] = Some(h_new.clone() * m.clone());
                    h = h.clone() + (h_new - h) * m.clone();
                    if let Some(c_new) = c_new {
                        c = c.clone() + (c_new - c) * m.clone();
                    }
                }
                None => {
                    outputs[t] = Some(h_new.clone());
                    h = h_new;
                    if let Some(c_new) = c_new {
                        c = c_new;
                    }
                }
            }
        }
        let outputs: Vec<Tensor<2>> = outputs.into_iter().flatten().collect();
        (Tensor::stack(outputs, 1), h)
    }
}

/// Stacked recurrent layers, one or two directions each.
#[derive(Module, Debug)]
pub struct Encoder {
    forward: Vec<Recurrent>,
    backward: Vec<Recurrent>,
    dropout: f64,
    #[module(skip)]
    pooling: Pooling,
}

impl Encoder {
    #[allow(clippy::too_many_arguments)]
    fn new(
        g: &mut Generator,
        input: usize,
        hidden: usize,
        layers: usize,
        bidirectional: bool,
        lstm: bool,
        dropout: f64,
        pooling: Pooling,
        device: &Device,
    ) -> Encoder {
        let (mut forward, mut backward) = (Vec::new(), Vec::new());
        let width = if bidirectional { 2 * hidden } else { hidden };
        for layer in 0..layers {
            let input = if layer == 0 { input } else { width };
            forward.push(Recurrent::new(g, input, hidden, lstm, false, device));
            if bidirectional {
                backward.push(Recurrent::new(g, input, hidden, lstm, true, device));
            }
        }
        Encoder {
            forward,
            backward,
            dropout,
            pooling,
        }
    }

    /// The size of the text's vector.
    fn width(&self) -> usize {
        let h = self.forward.first().map_or(0, |r| r.hidden);
        if self.backward.is_empty() { h } else { 2 * h }
    }

    /// The text vectors `[batch, width]` of `x` (`[batch, len, input]`).
    fn forward(&self, x: Tensor<3>, batch: &Batch, g: Option<&mut Generator>) -> Tensor<2> {
        let mut g = g;
        let device = x.device();
        let b = batch.size();
        // One `[batch, 1]` mask a step, or none where every text still has tokens.
        let masks: Vec<Option<Tensor<2>>> = (0..batch.len)
            .map(|t| {
                batch.lengths.iter().any(|&l| t >= l).then(|| {
                    let m: Vec<f32> = batch
                        .lengths
                        .iter()
                        .map(|&l| if t < l { 1.0 } else { 0.0 })
                        .collect();
                    Tensor::<2>::from_data(TensorData::new(m, [b, 1]), &device)
                })
            })
            .collect();
        let mut x = x;
        let mut last: Vec<Tensor<2>> = Vec::new();
        for (layer, fwd) in self.forward.iter().enumerate() {
            if layer > 0 {
                x = dropout(x, self.dropout, g.as_deref_mut());
            }
            let (out_f, last_f) = fwd.forward(x.clone(), &masks);
            match self.backward.get(layer) {
                Some(bwd) => {
                    let (out_b, last_b) = bwd.forward(x, &masks);
                    x = Tensor::cat(vec![out_f, out_b], 2);
                    last = vec![last_f, last_b];
                }
                None => {
                    x = out_f;
                    last = vec![last_f];
                }
            }
        }
        match self.pooling {
            Pooling::Last => Tensor::cat(last, 1),
            Pooling::Mean => masked_mean(x, batch),
            Pooling::Max => masked_max(x, batch),
        }
    }
}

/// An LSTM, BiLSTM or GRU classifier: embeddings, the recurrent layers, a linear layer; with
/// a convolution in front (CNN+LSTM), the recurrent layers read its feature vectors.
#[derive(Module, Debug)]
pub struct RnnClassifier {
    embedding: Embedding,
    /// CNN+LSTM's same-length convolution (with ReLU) over the embeddings.
    conv: Option<WindowConv>,
    encoder: Encoder,
    output: Linear,
    dropout: f64,
}

impl RnnClassifier {
    /// An LSTM (`lstm`) or GRU classifier of `cfg`, reading `conv`'s features (`filters`
    /// wide, of the kernel `width`) when given.
    pub fn new(
        cfg: &RnnConfig,
        lstm: bool,
        conv: Option<(usize, usize)>,
        vocab: usize,
        classes: usize,
        device: &Device,
        g: &mut Generator,
    ) -> RnnClassifier {
        let embedding = embedding(g, vocab, cfg.embed_dim, 0.25, device);
        let conv =
            conv.map(|(filters, width)| WindowConv::new(g, cfg.embed_dim, filters, width, device));
        let input = conv.as_ref().map_or(cfg.embed_dim, WindowConv::output);
        let encoder = Encoder::new(
            g,
            input,
            cfg.hidden,
            cfg.layers,
            cfg.bidirectional,
            lstm,
            cfg.dropout,
            cfg.pooling,
            device,
        );
        let output = linear(g, encoder.width(), classes, device);
        RnnClassifier {
            embedding,
            conv,
            encoder,
            output,
            dropout: cfg.dropout,
        }
    }

    /// CNN features feeding an LSTM.
    pub fn cnn_lstm(
        cfg: &CnnLstmConfig,
        vocab: usize,
        classes: usize,
        device: &Device,
        g: &mut Generator,
    ) -> RnnClassifier {
        let conv = Some((cfg.filters, cfg.width));
        RnnClassifier::new(&cfg.recurrent(), true, conv, vocab, classes, device, g)
    }

    pub fn forward(&self, batch: &Batch, g: Option<&mut Generator>) -> Tensor<2> {
        let mut g = g;
        let mut x = self.embedding.forward(batch.tokens.clone());
        if self.conv.is_some() && batch.padded() {
            // Padding reads as zeros, as beyond a text's ends, so a window near the end of
            // a short text sees the same whatever it is batched with.
            x = x * batch.valid(&batch.tokens.device()).unsqueeze_dim::<3>(2);
        }
        x = dropout(x, self.dropout, g.as_deref_mut());
        if let Some(conv) = &self.conv {
            x = relu(conv.forward(pad_sequence(x, conv.width() / 2)));
        }
        let h = self.encoder.forward(x, batch, g.as_deref_mut());
        self.output.forward(dropout(h, self.dropout, g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
    }

    /// Padding changes nothing: a text's last state and output are the same alone and
    /// padded in a batch with a longer one, in both directions, for LSTM and GRU.
    #[test]
    fn padding_is_masked_in_both_directions() {
        let device = Device::flex();
        for lstm in [true, false] {
            for pooling in [Pooling::Last, Pooling::Mean, Pooling::Max] {
                let cfg = RnnConfig {
                    embed_dim: 4,
                    hidden: 3,
                    layers: 2,
                    bidirectional: true,
                    dropout: 0.0,
                    pooling,
                };
                let net =
                    RnnClassifier::new(&cfg, lstm, None, 10, 2, &device, &mut Generator::new(1));
                let short: &[i64] = &[4, 5];
                let long: &[i64] = &[6, 7, 8, 9, 3];
                let alone = values(net.forward(&Batch::new(&[short], 1, &device), None));
                let both = values(net.forward(&Batch::new(&[short, long], 1, &device), None));
                assert!(
                    close(&alone, &both[..2]),
                    "lstm={lstm} {pooling:?}: {alone:?} vs {both:?}"
                );
                let long_alone = values(net.forward(&Batch::new(&[long], 1, &device), None));
                assert!(close(&long_alone, &both[2..]), "lstm={lstm} {pooling:?}");
            }
        }
    }

    /// One LSTM step against the equations computed by hand.
    #[test]
    fn an_lstm_step_follows_the_equations() {
        let device = Device::flex();
        let mut g = Generator::new(3);
        let cell = Recurrent::new(&mut g, 2, 1, true, false, &device);
        let w_in = values(cell.w_input.val()); // [2, 4]
        let w_st = values(cell.w_state.val()); // [1, 4]
        let bias = values(cell.b_input.val());
        let x = [0.5f32, -1.0];
        let z: Vec<f32> = (0..4)
            .map(|j| x[0] * w_in[j] + x[1] * w_in[4 + j] + bias[j] + 0.0 * w_st[j])
            .collect();
        let s = |v: f32| 1.0 / (1.0 + (-v).exp());
        let c = s(z[0]) * z[2].tanh();
        let h = s(z[3]) * c.tanh();
        let input = Tensor::<3>::from_data(TensorData::new(x.to_vec(), [1, 1, 2]), &device);
        let (out, last) = cell.forward(input, &[None]);
        assert!(close(&values(last), &[h]));
        assert!(close(&values(out), &[h]));
    }

    #[test]
    fn cnn_lstm_reads_texts_shorter_than_its_kernel() {
        let device = Device::flex();
        let cfg = CnnLstmConfig {
            embed_dim: 4,
            filters: 3,
            width: 5,
            hidden: 2,
            dropout: 0.0,
            ..CnnLstmConfig::default()
        };
        let net = RnnClassifier::cnn_lstm(&cfg, 10, 3, &device, &mut Generator::new(2));
        let out = net.forward(&Batch::new(&[&[4], &[5, 6, 7, 8, 9, 2]], 1, &device), None);
        assert_eq!(out.dims(), [2, 3]);
        assert!(values(out.clone()).iter().all(|v| v.is_finite()));
        // Padding is masked: a short text scores the same alone and beside a long one.
        let alone = values(net.forward(&Batch::new(&[&[4]], 1, &device), None));
        assert!(close(&alone, &values(out)[..3]), "{alone:?}");
        let bad = CnnLstmConfig {
            width: 4,
            ..CnnLstmConfig::default()
        };
        assert_eq!(bad.problems()[0].0, "width");
    }
}
