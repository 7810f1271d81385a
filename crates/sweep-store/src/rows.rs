//! What both SQL backends share: a run row as read (before its JSON columns are parsed),
//! a sweep's, the run-id format and the errors of a corrupt row.

use crate::{Result, RunRecord, StoreError, SweepRecord};
use sweep_core::{RunStatus, hash8};

/// The columns of a sweep row, in [`SweepRecord`]'s order.
pub(crate) const SWEEP_COLS: &str =
    "id, name, spec_text, spec_path, spec_json, seed, status, created_at";

pub(crate) fn corrupt(what: impl Into<String>, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        detail: detail.to_string(),
    }
}

pub(crate) fn status_of(s: &str) -> Result<RunStatus> {
    s.parse().map_err(|e| corrupt("run status", e))
}

/// A sweep row (its spec still JSON text) made a [`SweepRecord`].
pub(crate) fn finish_sweep(pair: (SweepRecord, String)) -> Result<SweepRecord> {
    let (mut sweep, spec_json) = pair;
    sweep.spec = serde_json::from_str(&spec_json)
        .map_err(|e| corrupt(format!("spec of sweep {}", sweep.id), e))?;
    Ok(sweep)
}

/// A run row as the backends read it (`RUN_COLS` of each), before its JSON is parsed.
pub(crate) struct RawRun {
    pub id: String,
    pub sweep_id: String,
    pub number: i64,
    pub status: String,
    pub params_json: String,
    pub config_json: String,
    pub config_hash: String,
    pub summary_json: String,
    pub history_len: i64,
    pub attempt: i64,
    pub created_at: f64,
    pub started_at: Option<f64>,
    pub ended_at: Option<f64>,
    pub host: Option<String>,
    pub pid: Option<i64>,
    pub exit_code: Option<i64>,
    pub reason: Option<String>,
    pub stderr_tail: Option<String>,
    pub note: Option<String>,
    pub tags: Option<String>,
    pub origin: Option<String>,
    pub name: String,
}

impl RawRun {
    pub fn into_record(self) -> Result<RunRecord> {
        let ctx = |what: &str| format!("{what} of run {}", self.id);
        Ok(RunRecord {
            status: status_of(&self.status)?,
            params: serde_json::from_str(&self.params_json)
                .map_err(|e| corrupt(ctx("params"), e))?,
            config: serde_json::from_str(&self.config_json)
                .map_err(|e| corrupt(ctx("config"), e))?,
            summary: serde_json::from_str(&self.summary_json)
                .map_err(|e| corrupt(ctx("summary"), e))?,
            id: self.id,
            sweep_id: self.sweep_id,
            number: self.number as u64,
            config_hash: self.config_hash,
            history_len: self.history_len as u64,
            attempt: self.attempt as u32,
            created_at: self.created_at,
            started_at: self.started_at,
            ended_at: self.ended_at,
            host: self.host,
            pid: self.pid,
            exit_code: self.exit_code.map(|c| c as i32),
            reason: self.reason,
            stderr_tail: self.stderr_tail,
            note: self.note,
            origin: self.origin,
            name: self.name,
            tags: {
                let mut tags: Vec<String> = self
                    .tags
                    .as_deref()
                    .map(|t| t.split('\u{1f}').map(str::to_string).collect())
                    .unwrap_or_default();
                tags.sort();
                tags
            },
        })
    }
}

/// The id of a new run: `<stamp>_<sweep name>_<hash8 of the config>`, `stamp` being the
/// database's `YYYYMMDD_HHMMSS` (UTC); the backend appends `-2`, `-3`, … when taken.
pub(crate) fn run_id_base(stamp: &str, sweep_name: &str, config: &sweep_core::Value) -> String {
    format!("{stamp}_{}_{}", sanitize_name(sweep_name), hash8(config))
}

fn sanitize_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    let short: String = trimmed.chars().take(40).collect();
    if short.is_empty() {
        "run".to_string()
    } else {
        short
    }
}
