//! The `neural-text-classifier` trainer: [`NeuralTextClassifier`] plugs the neural training
//! into Sweep's [`Trainer`] interface (config checks, training, saved files, prediction).

use crate::checkpoint::{RunIo, load_weights};
use crate::train::{NeuralConfig, TrainError, TrainedHead, predictions, probabilities, train};
use burn::tensor::Device;
use std::path::Path;
use sweep_core::{
    ConfigProblem, Predictions, RunFiles, TrainContext, TrainFailure, Trained, Trainer, TrainerId,
    Value,
};
use sweep_data::DataReport;
use sweep_textclf::TextClassifier;

/// Where a neural run keeps its files, relative to the run directory (the data report,
/// metric reports and predictions under every trainer's names, `sweep_core::run_files`).
pub mod files {
    pub use crate::checkpoint::files::{BEST, LAST, LAST_OPTIMIZER, PROGRESS};
    pub use sweep_core::run_files::{DATA_REPORT, REPORTS, predictions};
    /// The run's model: the best epoch's weights (safetensors).
    pub const NETWORK: &str = BEST;
    /// Classes, vocabulary and model settings: what reading new texts needs.
    pub const HEAD: &str = "artifacts/head.json";
    pub use crate::checkpoint::files::SUMMARY;
}

/// Neural text classification (`trainer: neural-text-classifier`): a network of any
/// `model.kind` trained with burn (CPU; CUDA in a build with the `cuda` feature), see
/// [`NeuralConfig`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NeuralTextClassifier;

impl NeuralTextClassifier {
    fn config(config: &Value, base_dir: &Path) -> Result<NeuralConfig, ConfigProblem> {
        NeuralConfig::from_value(config, base_dir).map_err(|e| match e {
            // The networks' kinds are listed by serde; fasttext is taken before parsing.
            TrainError::Config { key, message }
                if key == "model" && message.contains("unknown variant") =>
            {
                ConfigProblem::new(key, format!("{message}, or `fasttext`"))
            }
            TrainError::Config { key, message } => {
                ConfigProblem::new(if key == "." { String::new() } else { key }, message)
            }
            other => ConfigProblem::new("", other.to_string()),
        })
    }
}

/// `model.kind: fasttext` is the text classifier's fastText-style model (`sweep-textclf`:
/// sparse SGD over averaged feature embeddings), run on the same data plan and seed so that
/// one neural sweep compares it with the networks. The config it is given: `data`, `seed`,
/// `model.features` as `features` (the text classifier's, its defaults when absent) and the
/// rest of `model` as its model. `vocab` and `train` are the networks' and are left out, as
/// the text classifier leaves out the settings of another model kind.
fn as_fasttext(config: &Value) -> Option<Value> {
    let model = config.get("model")?.as_object()?;
    if model.get("kind")?.as_str()? != "fasttext" {
        return None;
    }
    let mut out = serde_json::Map::new();
    for (key, value) in config.as_object()? {
        match key.as_str() {
            "model" => {}
            // The networks' settings: a sweep over every family sets them for the networks.
            "vocab" | "train" => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    let mut model = model.clone();
    if let Some(features) = model.remove("features") {
        out.insert("features".into(), features);
    }
    out.insert("model".into(), Value::Object(model));
    Some(Value::Object(out))
}

/// A problem of the text classifier's config, under the key the neural config has for it.
fn from_fasttext(problem: ConfigProblem) -> ConfigProblem {
    let key = match problem.key.strip_prefix("features") {
        Some(rest) => format!("model.features{rest}"),
        None => problem.key,
    };
    ConfigProblem::new(key, problem.message)
}

/// The run directory of a trainer's context.
struct ContextIo<'a>(&'a dyn TrainContext);

impl RunIo for ContextIo<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        self.0.write_file(path, bytes)
    }
    fn earlier(&self, path: &str) -> Option<Vec<u8>> {
        self.0.earlier_file(path)
    }
}

impl Trainer for NeuralTextClassifier {
    fn id(&self) -> TrainerId {
        TrainerId::new("neural-text-classifier")
    }

    fn aliases(&self) -> &[&str] {
        &["neural_text_classifier"]
    }

    fn check(&self, config: &Value, base_dir: &Path) -> Vec<ConfigProblem> {
        if let Some(fasttext) = as_fasttext(config) {
            return TextClassifier
                .check(&fasttext, base_dir)
                .into_iter()
                .map(from_fasttext)
                .collect();
        }
        let cfg = match Self::config(config, base_dir) {
            Ok(cfg) => cfg,
            Err(problem) => return vec![problem],
        };
        let mut problems: Vec<ConfigProblem> = cfg
            .data
            .check()
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
        if let Some(fasttext) = as_fasttext(config) {
            return TextClassifier.resolved_config(&fasttext, base_dir);
        }
        serde_json::to_value(Self::config(config, base_dir).ok()?).ok()
    }

    fn train(
        &self,
        config: &Value,
        base_dir: &Path,
        ctx: &dyn TrainContext,
    ) -> Result<Trained, TrainFailure> {
        if let Some(fasttext) = as_fasttext(config) {
            return TextClassifier.train(&fasttext, base_dir, ctx);
        }
        let cfg = Self::config(config, base_dir).map_err(|p| {
            TrainFailure::Failed(format!("invalid neural-text-classifier config: {p}"))
        })?;
        let io = ContextIo(ctx);
        let output = match train(&cfg, &mut |record| ctx.log(record), ctx.stop_flag(), &io) {
            Ok(output) => output,
            Err(TrainError::Stopped) => return Err(TrainFailure::Stopped),
            Err(e) => return Err(TrainFailure::Failed(e.to_string())),
        };
        let model_mb =
            crate::checkpoint::weights(&output.network).map_or(0.0, |b| b.len() as f64 / 1e6);
        sweep_core::run_files::write_json(ctx, files::HEAD, &output.head)?;
        ctx.log([("resources/model_mb".to_string(), model_mb)].into());
        sweep_core::run_files::write_evaluation(
            ctx,
            &output.data_report,
            &output.reports,
            &output.predictions,
        )?;
        ctx.print(&output.summary);
        let mut notes = Vec::new();
        if let Some(epoch) = output.resumed_after {
            notes.push(format!("resumed from the checkpoint of epoch {epoch}"));
        }
        if output.best_epoch < output.epochs {
            notes.push(format!(
                "the model of epoch {} of {} was kept (the best {})",
                output.best_epoch,
                output.epochs,
                cfg.train
                    .early_stopping
                    .metric
                    .as_deref()
                    .unwrap_or("val/macro_f1")
            ));
        }
        let note = (!notes.is_empty()).then(|| notes.join("; "));
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
        if files.read_file(files::HEAD).is_none()
            && files.read_file(sweep_textclf::files::MODEL).is_some()
        {
            // A `model.kind: fasttext` run: the text classifier's model.
            return TextClassifier.predict(files, texts, labels);
        }
        let head = files
            .read_file(files::HEAD)
            .ok_or_else(|| missing(files::HEAD))?;
        let head: TrainedHead =
            serde_json::from_slice(&head).map_err(|e| format!("reading {}: {e}", files::HEAD))?;
        let head = TrainedHead {
            vocab: head.vocab.indexed()?,
            ..head
        };
        let weights = files
            .read_file(files::NETWORK)
            .ok_or_else(|| missing(files::NETWORK))?;
        let device = Device::flex();
        let network = load_weights(head.network(&device), &weights)?;
        let never = std::sync::atomic::AtomicBool::new(false);
        let p = probabilities(&network, &head, texts, &device, &never)
            .ok_or_else(|| "prediction was stopped".to_string())?;
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
    use crate::checkpoint::weights;
    use crate::model::{Network, NeuralModel};
    use crate::nn::Generator;
    use crate::rnn::RnnConfig;
    use crate::textcnn::TextCnnConfig;
    use crate::transformer::TransformerConfig;
    use crate::vocab::{VocabConfig, Vocabulary};

    /// Saved weights of every kind load back to a network that predicts exactly the same.
    #[test]
    fn a_saved_network_of_every_kind_loads_back_bit_for_bit() {
        let texts: Vec<String> = ["a good thing", "a bad thing", "good", "so bad !"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let rnn = RnnConfig {
            embed_dim: 6,
            hidden: 3,
            ..RnnConfig::default()
        };
        let models = [
            NeuralModel::Textcnn(TextCnnConfig {
                embed_dim: 6,
                filters: 3,
                widths: vec![1, 2],
                dropout: 0.0,
                max_norm: None,
                wide: false,
            }),
            NeuralModel::Textcnn(TextCnnConfig {
                embed_dim: 6,
                filters: 3,
                widths: vec![2, 3],
                dropout: 0.0,
                max_norm: None,
                wide: true,
            }),
            NeuralModel::Lstm(rnn.clone()),
            NeuralModel::Bilstm(rnn.clone()),
            NeuralModel::Gru(rnn),
            NeuralModel::Transformer(TransformerConfig {
                embed_dim: 6,
                heads: 2,
                layers: 1,
                ff_dim: 8,
                ..TransformerConfig::default()
            }),
            NeuralModel::CnnLstm(crate::rnn::CnnLstmConfig {
                embed_dim: 6,
                filters: 4,
                hidden: 3,
                ..crate::rnn::CnnLstmConfig::default()
            }),
        ];
        for model in models {
            let head = TrainedHead {
                classes: vec!["neg".into(), "pos".into()],
                vocab: Vocabulary::build(&texts, &VocabConfig::default()).unwrap(),
                model: model.clone(),
            };
            let device = Device::flex();
            let network = Network::new(
                &model,
                head.vocab.len(),
                2,
                64,
                &device,
                &mut Generator::new(5),
            );
            let bytes = weights(&network).unwrap();
            let loaded = load_weights(head.network(&device), &bytes).unwrap();
            let never = std::sync::atomic::AtomicBool::new(false);
            let before = probabilities(&network, &head, &texts, &device, &never).unwrap();
            let after = probabilities(&loaded, &head, &texts, &device, &never).unwrap();
            assert_eq!(before.len(), 8);
            assert_eq!(
                before.iter().map(|p| p.to_bits()).collect::<Vec<_>>(),
                after.iter().map(|p| p.to_bits()).collect::<Vec<_>>(),
                "{}",
                model.kind()
            );
            assert!(load_weights(head.network(&device), &[1, 2, 3]).is_err());
        }
    }
}
