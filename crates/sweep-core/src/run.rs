//! A run as recorded: what every reader of runs (the store, analysis, reports) shares.

use crate::{Params, RunStatus, Summary, Value};
use serde::Serialize;

/// A run as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: String,
    /// A short name for people: given (`sweep name`, an ingested run's own), else
    /// `<sweep name>-<number>`.
    pub name: String,
    pub sweep_id: String,
    /// Position in its sweep, from 0.
    pub number: u64,
    pub status: RunStatus,
    pub params: Params,
    pub config: Value,
    pub config_hash: String,
    pub summary: Summary,
    pub history_len: u64,
    pub attempt: u32,
    /// Unix seconds.
    pub created_at: f64,
    pub started_at: Option<f64>,
    pub ended_at: Option<f64>,
    pub host: Option<String>,
    pub pid: Option<i64>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub stderr_tail: Option<String>,
    /// Labels the user gave the run (`sweep tag`), sorted, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The user's note on the run (`sweep note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where an ingested run came from (`<format>:<path>`); `None` for runs Sweep ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl RunRecord {
    /// Seconds between start and end, when both are known.
    pub fn duration(&self) -> Option<f64> {
        Some(self.ended_at? - self.started_at?)
    }
}
