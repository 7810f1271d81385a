//! Checkpoints in the run directory: after every epoch the last weights (safetensors), the
//! optimizer's state (burnpack) and the progress (epoch, step, best so far, the schedule's
//! state, every epoch's record); the best epoch's weights whenever it changes. A retried run
//! finds the checkpoint its earlier attempt left (moved into `attempt-N/`) and resumes from
//! it when the config and vocabulary are the same and every file matches the hashes the
//! progress recorded. Each file is written whole (the run directory writes through a
//! temporary file and a rename); a crash between two files of one checkpoint leaves files
//! that do not match, and the retry starts over.

use crate::model::Network;
use crate::schedule::PlateauState;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use serde::{Deserialize, Serialize};
use sweep_core::MetricRecord;

/// A run directory as training sees it.
pub trait RunIo {
    /// Writes `bytes` at `path` inside the run directory.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String>;
    /// The file at `path` that the run's latest earlier attempt wrote; `None` on a first
    /// attempt or when it has none.
    fn earlier(&self, path: &str) -> Option<Vec<u8>>;
}

/// The checkpoint's files, relative to the run directory.
pub mod files {
    /// The best epoch's weights: the run's model.
    pub const BEST: &str = "checkpoints/best.safetensors";
    pub const LAST: &str = "checkpoints/last.safetensors";
    pub const LAST_OPTIMIZER: &str = "checkpoints/last-optimizer.bpk";
    /// Written last: a checkpoint is complete when this matches its files.
    pub const PROGRESS: &str = "checkpoints/progress.json";
    /// The model summary: parameters and the layer structure (written before training).
    pub const SUMMARY: &str = "artifacts/model.txt";
}

/// Where training stands after an epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    /// The run's config: a checkpoint resumes only the same config.
    pub config: serde_json::Value,
    /// Epochs done, optimizer steps done.
    pub epoch: usize,
    pub step: usize,
    /// The best value of the early-stopping metric, its epoch, epochs since.
    pub best: Option<f64>,
    pub best_epoch: usize,
    pub since_best: usize,
    pub plateau: PlateauState,
    /// Every epoch's record so far (finite values).
    pub history: Vec<MetricRecord>,
    /// FNV-1a hashes of the last weights, the optimizer state and the best weights.
    pub hashes: [u64; 3],
}

impl Progress {
    pub fn new(config: serde_json::Value) -> Progress {
        Progress {
            config,
            epoch: 0,
            step: 0,
            best: None,
            best_epoch: 0,
            since_best: 0,
            plateau: PlateauState {
                scale: 1.0,
                ..PlateauState::default()
            },
            history: Vec::new(),
            hashes: [0; 3],
        }
    }
}

/// FNV-1a, 64 bits.
fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A complete checkpoint read back.
pub struct Checkpoint {
    pub progress: Progress,
    pub weights: Vec<u8>,
    pub optimizer: Vec<u8>,
    pub best: Vec<u8>,
}

impl Checkpoint {
    /// Writes the epoch's checkpoint; `best` when this epoch is the best so far.
    pub fn save(
        io: &dyn RunIo,
        progress: &mut Progress,
        weights: &[u8],
        optimizer: &[u8],
        best: Option<&[u8]>,
    ) -> Result<(), String> {
        progress.hashes[0] = hash(weights);
        progress.hashes[1] = hash(optimizer);
        if let Some(best) = best {
            progress.hashes[2] = hash(best);
            io.write(files::BEST, best)?;
        }
        io.write(files::LAST, weights)?;
        io.write(files::LAST_OPTIMIZER, optimizer)?;
        let mut saved = progress.clone();
        for record in &mut saved.history {
            record.retain(|_, v| v.is_finite());
        }
        let json = serde_json::to_vec(&saved).map_err(|e| e.to_string())?;
        io.write(files::PROGRESS, &json)
    }

    /// The checkpoint an earlier attempt left for this `config`, when complete.
    pub fn earlier(io: &dyn RunIo, config: &serde_json::Value) -> Option<Checkpoint> {
        let progress: Progress = serde_json::from_slice(&io.earlier(files::PROGRESS)?).ok()?;
        if &progress.config != config || progress.epoch == 0 {
            return None;
        }
        let weights = io.earlier(files::LAST)?;
        let optimizer = io.earlier(files::LAST_OPTIMIZER)?;
        let best = io.earlier(files::BEST)?;
        let hashes = [hash(&weights), hash(&optimizer), hash(&best)];
        (hashes == progress.hashes).then_some(Checkpoint {
            progress,
            weights,
            optimizer,
            best,
        })
    }
}

/// The network's weights in the safetensors format.
pub fn weights(network: &Network) -> Result<Vec<u8>, String> {
    let mut store = SafetensorsStore::from_bytes(None);
    network
        .save_into(&mut store)
        .map_err(|e| format!("saving the weights: {e}"))?;
    store
        .get_bytes()
        .map_err(|e| format!("saving the weights: {e}"))
}

/// `network` with the weights `bytes` (safetensors); every tensor must match.
pub fn load_weights(network: Network, bytes: &[u8]) -> Result<Network, String> {
    let mut network = network;
    let mut store = SafetensorsStore::from_bytes(Some(bytes.to_vec()));
    let result = network
        .load_from(&mut store)
        .map_err(|e| format!("reading the weights: {e}"))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(format!(
            "reading the weights: they do not fit the model ({} errors, missing: {})",
            result.errors.len(),
            result
                .missing
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(network)
}
