//! The `neural-text-classifier` trainer: [`NeuralTextClassifier`] plugs the neural training
//! into Sweep's [`Trainer`] interface (config checks, training, saved files, prediction).

use crate::textcnn::TextCnn;
use crate::train::{
    NeuralConfig, NeuralModel, TrainError, TrainedHead, predictions, probabilities, train,
};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use std::path::Path;
use sweep_core::{
    ConfigProblem, Predictions, RunFiles, TrainContext, TrainFailure, Trained, Trainer, TrainerId,
    Value,
};
use sweep_data::DataReport;

/// Where a neural run keeps its files, relative to the run directory (the data report,
/// metric reports and predictions under every trainer's names, `sweep_core::run_files`).
pub mod files {
    pub use sweep_core::run_files::{DATA_REPORT, REPORTS, predictions};
    /// The network's weights (burn's burnpack format).
    pub const NETWORK: &str = "artifacts/network.bpk";
    /// Classes, vocabulary and model settings: what reading new texts needs.
    pub const HEAD: &str = "artifacts/head.json";
}

/// Neural text classification (`trainer: neural-text-classifier`): a TextCNN trained with
/// burn on the CPU, see [`NeuralConfig`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NeuralTextClassifier;

impl NeuralTextClassifier {
    fn config(config: &Value, base_dir: &Path) -> Result<NeuralConfig, ConfigProblem> {
        NeuralConfig::from_value(config, base_dir).map_err(|e| match e {
            TrainError::Config { key, message } => {
                ConfigProblem::new(if key == "." { String::new() } else { key }, message)
            }
            other => ConfigProblem::new("", other.to_string()),
        })
    }
}

/// The network's weights as bytes (burn's burnpack format).
fn network_bytes(network: &TextCnn) -> Result<Vec<u8>, String> {
    let bytes = network
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| format!("saving the network: {e:?}"))?;
    Ok(bytes.to_vec())
}

/// The network of `head` with the weights `bytes`.
fn load_network(head: &TrainedHead, bytes: Vec<u8>, device: &Device) -> Result<TextCnn, String> {
    let NeuralModel::Textcnn(cfg) = &head.model;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| format!("reading the network: {e:?}"))?;
    // The weights drawn here are replaced by the record's.
    let mut g = crate::textcnn::Generator::new(0);
    TextCnn::new(cfg, head.vocab.len(), head.classes.len(), device, &mut g)
        .try_load_record(record)
        .map_err(|e| format!("reading the network: {e:?}"))
}

impl Trainer for NeuralTextClassifier {
    fn id(&self) -> TrainerId {
        TrainerId::new("neural-text-classifier")
    }

    fn aliases(&self) -> &[&str] {
        &["neural_text_classifier"]
    }

    fn check(&self, config: &Value, base_dir: &Path) -> Vec<ConfigProblem> {
        let cfg = match Self::config(config, base_dir) {
            Ok(cfg) => cfg,
            Err(problem) => return vec![problem],
        };
        let mut problems: Vec<ConfigProblem> = cfg
            .data
            .problems()
            .into_iter()
            .map(|m| ConfigProblem::new("data", m))
            .collect();
        problems.extend(
            cfg.problems()
                .into_iter()
                .map(|(key, message)| ConfigProblem::new(key, message)),
        );
        problems
    }

    fn resolved_config(&self, config: &Value, base_dir: &Path) -> Option<Value> {
        serde_json::to_value(Self::config(config, base_dir).ok()?).ok()
    }

    fn train(
        &self,
        config: &Value,
        base_dir: &Path,
        ctx: &dyn TrainContext,
    ) -> Result<Trained, TrainFailure> {
        let cfg = Self::config(config, base_dir).map_err(|p| {
            TrainFailure::Failed(format!("invalid neural-text-classifier config: {p}"))
        })?;
        let output = match train(&cfg, &mut |record| ctx.log(record), ctx.stop_flag()) {
            Ok(output) => output,
            Err(TrainError::Stopped) => return Err(TrainFailure::Stopped),
            Err(e) => return Err(TrainFailure::Failed(e.to_string())),
        };
        let write = |path: &str, bytes: Result<Vec<u8>, String>| {
            bytes
                .and_then(|b| ctx.write_file(path, &b))
                .map_err(|e| TrainFailure::Failed(format!("writing {path}: {e}")))
        };
        let json = |v: Result<Vec<u8>, serde_json::Error>| v.map_err(|e| e.to_string());
        let weights = network_bytes(&output.network);
        let model_mb = weights.as_ref().map_or(0.0, |b| b.len() as f64 / 1e6);
        write(files::NETWORK, weights)?;
        write(files::HEAD, json(serde_json::to_vec(&output.head)))?;
        ctx.log([("resources/model_mb".to_string(), model_mb)].into());
        write(
            files::DATA_REPORT,
            json(serde_json::to_vec(&output.data_report)),
        )?;
        write(files::REPORTS, json(serde_json::to_vec(&output.reports)))?;
        for (split, predictions) in &output.predictions {
            write(
                &files::predictions(split),
                json(sweep_core::run_files::predictions_jsonl(predictions)),
            )?;
        }
        ctx.print(&output.data_report.to_string());
        let note = (output.best_epoch < output.epochs).then(|| {
            format!(
                "the model of epoch {} of {} was kept (the best validation macro-F1)",
                output.best_epoch, output.epochs
            )
        });
        Ok(Trained { note })
    }

    fn predict(
        &self,
        files: &dyn RunFiles,
        texts: &[String],
        labels: Option<&[String]>,
    ) -> Result<Predictions, String> {
        let missing = |path: &str| {
            format!(
                "no saved model ({path} is missing): only completed runs of `trainer: neural-text-classifier` have one"
            )
        };
        let head = files
            .read_file(files::HEAD)
            .ok_or_else(|| missing(files::HEAD))?;
        let head: TrainedHead =
            serde_json::from_slice(&head).map_err(|e| format!("reading {}: {e}", files::HEAD))?;
        let head = TrainedHead {
            vocab: head.vocab.indexed(),
            ..head
        };
        let weights = files
            .read_file(files::NETWORK)
            .ok_or_else(|| missing(files::NETWORK))?;
        let device = Device::flex();
        let network = load_network(&head, weights, &device)?;
        let p = probabilities(&network, &head, texts, &device);
        Ok(Predictions {
            classes: head.classes.clone(),
            predictions: predictions(&head, texts, labels, &p),
        })
    }

    fn describe(&self, files: &dyn RunFiles) -> Option<String> {
        let bytes = files.read_file(files::DATA_REPORT)?;
        let report: DataReport = serde_json::from_slice(&bytes).ok()?;
        Some(report.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::textcnn::{Generator, TextCnnConfig};
    use crate::vocab::{VocabConfig, Vocabulary};

    /// Saved weights load back to a network that predicts exactly the same.
    #[test]
    fn a_saved_network_loads_back_bit_for_bit() {
        let texts: Vec<String> = ["a good thing", "a bad thing", "good", "so bad !"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let cfg = TextCnnConfig {
            embed_dim: 6,
            filters: 3,
            widths: vec![1, 2],
            dropout: 0.0,
        };
        let head = TrainedHead {
            classes: vec!["neg".into(), "pos".into()],
            vocab: Vocabulary::build(&texts, &VocabConfig::default()),
            model: NeuralModel::Textcnn(cfg.clone()),
        };
        let device = Device::flex();
        let network = TextCnn::new(&cfg, head.vocab.len(), 2, &device, &mut Generator::new(5));
        let bytes = network_bytes(&network).unwrap();
        let loaded = load_network(&head, bytes, &device).unwrap();
        let before = probabilities(&network, &head, &texts, &device);
        let after = probabilities(&loaded, &head, &texts, &device);
        assert_eq!(before.len(), 8);
        assert_eq!(
            before.iter().map(|p| p.to_bits()).collect::<Vec<_>>(),
            after.iter().map(|p| p.to_bits()).collect::<Vec<_>>()
        );
        assert!(load_network(&head, vec![1, 2, 3], &device).is_err());
    }
}
