//! Neural text classifiers trained in Rust with burn (its `flex` CPU backend; CUDA with the
//! `cuda` feature), as a
//! [`sweep_core::Trainer`] beside the linear models: `trainer: neural-text-classifier`.
//! The same data plans, splits and metric reports as the text classifier, so one sweep's
//! runs compare with another's.
//!
//! - [`vocab`]: texts into token ids (words and punctuation, a vocabulary of the training
//!   split, truncation).
//! - [`nn`]: the run's generator (weights with stable parameter ids, dropout masks), layers,
//!   a padded batch and masked pooling.
//! - [`textcnn`], [`rnn`] (LSTM, BiLSTM, GRU, CNN+LSTM), [`transformer`]: the networks;
//!   [`model`]: `model.kind` and the one network type over them.
//! - [`loss`], [`schedule`]: the training loss and the learning rate of each step.
//! - [`train`]: the config, the epochs (optimizer, clipping, accumulation, bucketing), a
//!   history record per epoch, early stopping, evaluation.
//! - [`checkpoint`]: best and last weights (safetensors) and resuming a retried run.
//! - [`trainer`]: the `Trainer` (saved files, `sweep predict`).
//!
//! Runs are deterministic for a seed on the CPU (weights, dropout and batch order).

pub mod adadelta;
pub mod checkpoint;
pub mod loss;
pub mod model;
pub mod nn;
pub mod rnn;
pub mod schedule;
pub mod textcnn;
pub mod train;
pub mod trainer;
pub mod transformer;
pub mod vocab;

pub use trainer::NeuralTextClassifier;
