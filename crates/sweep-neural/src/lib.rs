//! Neural text classifiers trained in Rust on the CPU with burn (its `flex` backend), as a
//! [`sweep_core::Trainer`] beside the linear models: `trainer: neural-text-classifier`.
//! The same data plans, splits and metric reports as the text classifier, so one sweep's
//! runs compare with another's.
//!
//! - [`vocab`]: texts into token ids (words and punctuation, a vocabulary of the training
//!   split, truncation).
//! - [`textcnn`]: the TextCNN of Kim (2014).
//! - [`train`]: the config, the epochs of AdamW on the cross-entropy with a history record
//!   per epoch, early stopping on the validation macro-F1, evaluation.
//! - [`trainer`]: the `Trainer` (saved files, `sweep predict`).
//!
//! Runs are deterministic for a seed on the CPU (weights, dropout and batch order).

pub mod textcnn;
pub mod train;
pub mod trainer;
pub mod vocab;

pub use trainer::NeuralTextClassifier;
