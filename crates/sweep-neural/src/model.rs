//! `model.kind` and the network it builds: one type over every neural family, so training,
//! checkpoints and prediction are written once.

use crate::nn::{Batch, Generator};
use crate::rnn::{CnnLstmConfig, RnnClassifier, RnnConfig};
use crate::textcnn::{TextCnn, TextCnnConfig};
use crate::transformer::{Transformer, TransformerConfig};
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Which network (`model.kind`), with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NeuralModel {
    Textcnn(TextCnnConfig),
    Lstm(RnnConfig),
    /// An LSTM with `bidirectional` set.
    Bilstm(RnnConfig),
    Gru(RnnConfig),
    Transformer(TransformerConfig),
    CnnLstm(CnnLstmConfig),
}

impl NeuralModel {
    /// The kind as written in configs.
    pub fn kind(&self) -> &'static str {
        match self {
            NeuralModel::Textcnn(_) => "textcnn",
            NeuralModel::Lstm(_) => "lstm",
            NeuralModel::Bilstm(_) => "bilstm",
            NeuralModel::Gru(_) => "gru",
            NeuralModel::Transformer(_) => "transformer",
            NeuralModel::CnnLstm(_) => "cnn_lstm",
        }
    }

    /// Every setting out of range: `(setting, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        match self {
            NeuralModel::Textcnn(c) => c.problems(),
            NeuralModel::Lstm(c) | NeuralModel::Bilstm(c) | NeuralModel::Gru(c) => c.problems(),
            NeuralModel::Transformer(c) => c.problems(),
            NeuralModel::CnnLstm(c) => c.problems(),
        }
    }
}

/// A built network of any kind.
#[derive(Module, Debug)]
pub enum Network {
    TextCnn(TextCnn),
    Rnn(RnnClassifier),
    Transformer(Transformer),
}

impl Network {
    /// The network of `model` with weights drawn from `g`, for texts of at most
    /// `max_length` tokens.
    pub fn new(
        model: &NeuralModel,
        vocab: usize,
        classes: usize,
        max_length: usize,
        device: &Device,
        g: &mut Generator,
    ) -> Network {
        match model {
            NeuralModel::Textcnn(c) => Network::TextCnn(TextCnn::new(c, vocab, classes, device, g)),
            NeuralModel::Lstm(c) => {
                Network::Rnn(RnnClassifier::new(c, true, None, vocab, classes, device, g))
            }
            NeuralModel::Bilstm(c) => {
                let c = RnnConfig {
                    bidirectional: true,
                    ..c.clone()
                };
                Network::Rnn(RnnClassifier::new(
                    &c, true, None, vocab, classes, device, g,
                ))
            }
            NeuralModel::Gru(c) => Network::Rnn(RnnClassifier::new(
                c, false, None, vocab, classes, device, g,
            )),
            NeuralModel::Transformer(c) => {
                Network::Transformer(Transformer::new(c, vocab, classes, max_length, device, g))
            }
            NeuralModel::CnnLstm(c) => {
                Network::Rnn(RnnClassifier::cnn_lstm(c, vocab, classes, device, g))
            }
        }
    }

    /// The network after an optimizer step, with its weight constraints applied (TextCNN's
    /// `max_norm`).
    pub fn constrained(self) -> Network {
        match self {
            Network::TextCnn(n) => Network::TextCnn(n.constrained()),
            other => other,
        }
    }

    /// The shortest padded batch the network reads.
    pub fn min_len(&self) -> usize {
        match self {
            Network::TextCnn(n) => n.min_len(),
            _ => 1,
        }
    }

    /// Class scores `[batch, classes]`; in training `g` draws the dropout masks.
    pub fn forward(&self, batch: &Batch, g: Option<&mut Generator>) -> Tensor<2> {
        match self {
            Network::TextCnn(n) => n.forward(batch, g),
            Network::Rnn(n) => n.forward(batch, g),
            Network::Transformer(n) => n.forward(batch, g),
        }
    }

    /// Parameters: `(total, trainable)`.
    pub fn parameters(&self) -> (usize, usize) {
        struct Count(usize, usize);
        impl ModuleVisitor for Count {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let n = param.shape().num_elements();
                self.0 += n;
                if param.is_require_grad() {
                    self.1 += n;
                }
            }
        }
        let mut count = Count(0, 0);
        self.visit(&mut count);
        (count.0, count.1)
    }

    /// The layer structure with each layer's parameter count, as burn prints a module.
    pub fn structure(&self) -> String {
        format!("{self}")
    }
}
