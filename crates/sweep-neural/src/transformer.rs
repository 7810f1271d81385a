//! A Transformer encoder classifier: token and learned position embeddings, pre-norm layers
//! of multi-head self-attention (padding masked) and a GELU feed-forward block, a final
//! layer norm, and the mean of the tokens (or a learned first token, BERT's `[CLS]`) into a
//! linear layer. Written from burn's tensor operations so that dropout (on the attention
//! weights and each residual branch) comes from the run's generator.

use crate::nn::{
    Batch, Generator, dropout, embedding, layer_norm, linear, masked_mean, size_problems,
};
use burn::module::{Module, Param};
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// How the encoder's outputs become the text's vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TransformerPooling {
    /// The mean over the tokens, padding left out.
    #[default]
    Mean,
    /// The output at a learned token put before the text (BERT's `[CLS]`).
    First,
}

/// Settings of `model: {kind: transformer}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransformerConfig {
    /// The model's width (embeddings and every layer).
    pub embed_dim: usize,
    pub heads: usize,
    pub layers: usize,
    /// Width of the feed-forward block.
    pub ff_dim: usize,
    pub dropout: f64,
    pub pooling: TransformerPooling,
}

impl Default for TransformerConfig {
    fn default() -> Self {
        TransformerConfig {
            embed_dim: 128,
            heads: 4,
            layers: 2,
            ff_dim: 256,
            dropout: 0.1,
            pooling: TransformerPooling::Mean,
        }
    }
}

impl TransformerConfig {
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = size_problems(
            &[
                ("embed_dim", self.embed_dim),
                ("heads", self.heads),
                ("layers", self.layers),
                ("ff_dim", self.ff_dim),
            ],
            self.dropout,
        );
        if self.heads > 0 && !self.embed_dim.is_multiple_of(self.heads) {
            out.insert(
                0,
                (
                    "heads",
                    format!(
                        "must divide embed_dim ({}), got {}",
                        self.embed_dim, self.heads
                    ),
                ),
            );
        }
        out
    }
}

#[derive(Module, Debug)]
pub struct Layer {
    norm_attention: LayerNorm,
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    norm_ff: LayerNorm,
    ff_in: Linear,
    ff_out: Linear,
}

impl Layer {
    fn new(g: &mut Generator, cfg: &TransformerConfig, device: &Device) -> Layer {
        let d = cfg.embed_dim;
        Layer {
            norm_attention: layer_norm(g, d, device),
            query: linear(g, d, d, device),
            key: linear(g, d, d, device),
            value: linear(g, d, d, device),
            out: linear(g, d, d, device),
            norm_ff: layer_norm(g, d, device),
            ff_in: linear(g, d, cfg.ff_dim, device),
            ff_out: linear(g, cfg.ff_dim, d, device),
        }
    }

    /// `x`: `[batch, len, d]`; `keys_masked`: `[batch, heads, len, len]`, true at padding keys.
    fn forward(
        &self,
        x: Tensor<3>,
        heads: usize,
        keys_masked: Option<&Tensor<4, burn::tensor::Bool>>,
        p: f64,
        g: Option<&mut Generator>,
    ) -> Tensor<3> {
        let mut g = g;
        let [b, len, d] = x.dims();
        let dh = d / heads;
        let h = self.norm_attention.forward(x.clone());
        let split = |t: Tensor<3>| t.reshape([b, len, heads, dh]).swap_dims(1, 2);
        let q = split(self.query.forward(h.clone()));
        let k = split(self.key.forward(h.clone()));
        let v = split(self.value.forward(h));
        let scores = q.matmul(k.swap_dims(2, 3)) / (dh as f64).sqrt();
        let scores = match keys_masked {
            Some(mask) => scores.mask_fill(mask.clone(), -1e9),
            None => scores,
        };
        let weights = dropout(softmax(scores, 3), p, g.as_deref_mut());
        let attended = weights.matmul(v).swap_dims(1, 2).reshape([b, len, d]);
        let x = x + dropout(self.out.forward(attended), p, g.as_deref_mut());
        let h = self.norm_ff.forward(x.clone());
        let h = self
            .ff_out
            .forward(dropout(gelu(self.ff_in.forward(h)), p, g.as_deref_mut()));
        x + dropout(h, p, g)
    }
}

#[derive(Module, Debug)]
pub struct Transformer {
    embedding: Embedding,
    positions: Param<Tensor<2>>,
    /// The learned first token of `pooling: first`.
    first: Option<Param<Tensor<1>>>,
    layers: Vec<Layer>,
    norm: LayerNorm,
    output: Linear,
    heads: usize,
    dropout: f64,
}

impl Transformer {
    /// Embeddings and positions uniform in ±0.05 (≈ BERT's N(0, 0.02) spread), the rest
    /// PyTorch's defaults. `max_length` is the longest text the vocabulary produces.
    pub fn new(
        cfg: &TransformerConfig,
        vocab: usize,
        classes: usize,
        max_length: usize,
        device: &Device,
        g: &mut Generator,
    ) -> Transformer {
        let d = cfg.embed_dim;
        let first = cfg.pooling == TransformerPooling::First;
        let embedding = embedding(g, vocab, d, 0.05, device);
        let positions = g.uniform([max_length + usize::from(first), d], 0.05, device);
        let first = first.then(|| g.uniform([d], 0.05, device));
        let layers = (0..cfg.layers)
            .map(|_| Layer::new(g, cfg, device))
            .collect();
        Transformer {
            embedding,
            positions,
            first,
            layers,
            norm: layer_norm(g, d, device),
            output: linear(g, d, classes, device),
            heads: cfg.heads,
            dropout: cfg.dropout,
        }
    }

    pub fn forward(&self, batch: &Batch, g: Option<&mut Generator>) -> Tensor<2> {
        let mut g = g;
        let device = batch.tokens.device();
        let b = batch.size();
        let mut x = self.embedding.forward(batch.tokens.clone());
        let mut lengths = batch.lengths.clone();
        if let Some(first) = &self.first {
            let d = first.dims()[0];
            let token = first.val().reshape([1, 1, d]).expand([b, 1, d]);
            x = Tensor::cat(vec![token, x], 1);
            lengths.iter_mut().for_each(|l| *l += 1);
        }
        let [_, len, d] = x.dims();
        // Texts are at most `max_length` long; a longer batch (never built by the trainer)
        // reuses the last position.
        let rows = self.positions.dims()[0];
        let index: Vec<i64> = (0..len).map(|t| t.min(rows - 1) as i64).collect();
        let index = Tensor::<1, Int>::from_data(TensorData::new(index, [len]), &device);
        let pos = self.positions.val().select(0, index).unsqueeze::<3>();
        x = dropout(x + pos, self.dropout, g.as_deref_mut());
        let padded = Batch {
            tokens: batch.tokens.clone(),
            lengths,
            len,
        };
        let keys_masked = padded.padded().then(|| {
            padded
                .padding(&device)
                .reshape([b, 1, 1, len])
                .expand([b, self.heads, len, len])
        });
        for layer in &self.layers {
            x = layer.forward(
                x,
                self.heads,
                keys_masked.as_ref(),
                self.dropout,
                g.as_deref_mut(),
            );
        }
        let x = self.norm.forward(x);
        let pooled = match self.first {
            Some(_) => x.slice([0..b, 0..1, 0..d]).reshape([b, d]),
            None => masked_mean(x, &padded),
        };
        self.output.forward(pooled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
    }

    /// A text's scores are the same alone and padded beside a longer text: padding keys are
    /// masked out of the attention and out of the pooling.
    #[test]
    fn padding_is_masked_out_of_attention_and_pooling() {
        let device = Device::flex();
        for pooling in [TransformerPooling::Mean, TransformerPooling::First] {
            let cfg = TransformerConfig {
                embed_dim: 8,
                heads: 2,
                layers: 2,
                ff_dim: 16,
                dropout: 0.0,
                pooling,
            };
            let net = Transformer::new(&cfg, 12, 3, 6, &device, &mut Generator::new(4));
            let short: &[i64] = &[4, 5];
            let long: &[i64] = &[6, 7, 8, 9, 3, 2];
            let alone = values(net.forward(&Batch::new(&[short], 1, &device), None));
            let both = values(net.forward(&Batch::new(&[short, long], 1, &device), None));
            for (a, b) in alone.iter().zip(&both[..3]) {
                assert!((a - b).abs() < 1e-5, "{pooling:?}: {alone:?} vs {both:?}");
            }
        }
        let bad = TransformerConfig {
            embed_dim: 10,
            heads: 4,
            ..TransformerConfig::default()
        };
        assert_eq!(bad.problems()[0].0, "heads");
    }
}
