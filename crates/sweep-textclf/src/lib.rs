//! Built-in text classification: linear models over sparse text features, and the
//! training pipeline behind `trainer: text-classifier` (with `sweep-data`,
//! `sweep-features`, `sweep-metrics`). Pure apart from reading the data files: the same
//! config and seed give the same model.

pub mod models;
mod pipeline;
mod trainer;

pub use pipeline::{TextClassifierConfig, TrainError, TrainOutput, TrainedPipeline, train};
pub use sweep_core::Prediction;
pub use trainer::{TextClassifier, files};
