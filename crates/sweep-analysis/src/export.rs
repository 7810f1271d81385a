//! The rows of an export: one per run with its summary, or one per history record.

use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};
use sweep_core::{MetricRecord, MetricSummary, RunRecord, Value};

/// The statistics of each metric in a summary export, in column order.
pub const SUMMARY_STATS: [&str; 6] = ["last", "min", "max", "best", "best_step", "count"];

/// A metric's summary statistics in [`SUMMARY_STATS`] order, numbers written by `num`
/// (empty where a statistic is unknown).
pub fn summary_cells(s: &MetricSummary, num: impl Fn(f64) -> String) -> [String; 6] {
    let f = |v: Option<f64>| v.map(&num).unwrap_or_default();
    [
        f(s.last),
        f(s.min),
        f(s.max),
        f(s.best),
        s.best_step.map(|x| x.to_string()).unwrap_or_default(),
        s.count.to_string(),
    ]
}

/// The columns every export row starts with.
const RUN_COLUMNS: [&str; 15] = [
    "run",
    "name",
    "sweep",
    "number",
    "status",
    "attempt",
    "created_at",
    "started_at",
    "ended_at",
    "duration_secs",
    "host",
    "exit_code",
    "reason",
    "tags",
    "note",
];

/// Unix seconds as RFC 3339 in UTC with milliseconds; empty when unknown.
pub fn time_text(t: Option<f64>) -> String {
    t.map(|t| {
        humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_secs_f64(t.max(0.0)))
            .to_string()
    })
    .unwrap_or_default()
}

/// A value in a text cell: strings as they are, the rest as JSON.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A run as one JSON object: identity, times, outcome, params, config and summary, and
/// its history when given (each record with a `_step`: its own, else its position;
/// non-finite values as strings).
pub fn run_json(run: &RunRecord, history: Option<Vec<MetricRecord>>) -> Value {
    let mut v = serde_json::json!({
        "run": run.id,
        "name": run.name,
        "sweep": run.sweep_id,
        "number": run.number,
        "status": run.status,
        "attempt": run.attempt,
        "created_at": time_text(Some(run.created_at)),
        "started_at": time_text(run.started_at),
        "ended_at": time_text(run.ended_at),
        "duration_secs": run.duration(),
        "host": run.host,
        "exit_code": run.exit_code,
        "reason": run.reason,
        "tags": run.tags,
        "note": run.note,
        "origin": run.origin,
        "params": run.params,
        "config": run.config,
        "config_hash": run.config_hash,
        "summary": run.summary,
    });
    if let Some(h) = history {
        let records: Vec<Value> = h
            .into_iter()
            .enumerate()
            .map(|(i, rec)| {
                let mut m = serde_json::Map::new();
                if !rec.contains_key("_step") {
                    m.insert("_step".into(), i.into());
                }
                for (k, x) in rec {
                    m.insert(
                        k,
                        serde_json::Number::from_f64(x)
                            .map(Value::Number)
                            .unwrap_or_else(|| Value::String(x.to_string())),
                    );
                }
                Value::Object(m)
            })
            .collect();
        v["history"] = Value::Array(records);
    }
    v
}

/// The columns of a CSV export of some runs: the run columns, `params.<name>` for every
/// param any run has, then either each metric's summary statistics and the config
/// (`history: false`), or `_step` and each metric (`history: true`, one row per record).
#[derive(Debug, Clone)]
pub struct ExportTable {
    params: Vec<String>,
    metrics: Vec<String>,
    history: bool,
}

impl ExportTable {
    pub fn new(runs: &[RunRecord], history: bool) -> Self {
        let params: BTreeSet<&String> = runs.iter().flat_map(|r| r.params.keys()).collect();
        let metrics: BTreeSet<&String> = runs.iter().flat_map(|r| r.summary.keys()).collect();
        ExportTable {
            params: params.into_iter().cloned().collect(),
            metrics: metrics
                .into_iter()
                .filter(|m| !history || m.as_str() != "_step")
                .cloned()
                .collect(),
            history,
        }
    }

    pub fn header(&self) -> Vec<String> {
        let mut header: Vec<String> = RUN_COLUMNS.iter().map(|s| s.to_string()).collect();
        header.extend(self.params.iter().map(|p| format!("params.{p}")));
        if self.history {
            header.push("_step".into());
            header.extend(self.metrics.iter().cloned());
        } else {
            for m in &self.metrics {
                header.extend(SUMMARY_STATS.iter().map(|s| format!("summary.{m}.{s}")));
            }
            header.push("config".into());
        }
        header
    }

    fn run_cells(&self, r: &RunRecord) -> Vec<String> {
        let mut row = vec![
            r.id.clone(),
            r.name.clone(),
            r.sweep_id.clone(),
            r.number.to_string(),
            r.status.to_string(),
            r.attempt.to_string(),
            time_text(Some(r.created_at)),
            time_text(r.started_at),
            time_text(r.ended_at),
            r.duration().map(|d| format!("{d:.3}")).unwrap_or_default(),
            r.host.clone().unwrap_or_default(),
            r.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            r.reason.clone().unwrap_or_default(),
            r.tags.join(","),
            r.note.clone().unwrap_or_default(),
        ];
        row.extend(
            self.params
                .iter()
                .map(|p| r.params.get(p).map(cell_text).unwrap_or_default()),
        );
        row
    }

    /// The rows of one run: its summary row, or one row per history record (one row with
    /// empty metric cells when it has none, so that every run appears). A `_step` the
    /// program logged itself wins over the record's position.
    pub fn rows(&self, run: &RunRecord, history: &[MetricRecord]) -> Vec<Vec<String>> {
        let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let base = self.run_cells(run);
        if !self.history {
            let mut row = base;
            for m in &self.metrics {
                match run.summary.get(m) {
                    Some(s) => row.extend(summary_cells(s, |x| x.to_string())),
                    None => row.extend(std::iter::repeat_n(String::new(), SUMMARY_STATS.len())),
                }
            }
            row.push(run.config.to_string());
            return vec![row];
        }
        if history.is_empty() {
            let mut row = base;
            row.extend(std::iter::repeat_n(String::new(), 1 + self.metrics.len()));
            return vec![row];
        }
        history
            .iter()
            .enumerate()
            .map(|(step, rec)| {
                let mut row = base.clone();
                row.push(
                    rec.get("_step")
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| step.to_string()),
                );
                row.extend(self.metrics.iter().map(|m| f(rec.get(m).copied())));
                row
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::tests::run;
    use sweep_core::RunStatus;

    #[test]
    fn summary_rows_line_up_with_the_header() {
        let runs = [
            run(0, RunStatus::Completed, Some(0.5)),
            run(1, RunStatus::Failed, None),
        ];
        let table = ExportTable::new(&runs, false);
        let header = table.header();
        let n = RUN_COLUMNS.len();
        assert_eq!(header.len(), n + 6 + 1);
        assert_eq!(header[n], "summary.acc.last");
        for r in &runs {
            let rows = table.rows(r, &[]);
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].len(), header.len());
        }
        assert_eq!(table.rows(&runs[0], &[])[0][n + 3], "0.5", "best");
        let duration = header
            .iter()
            .position(|h| h == "duration_secs")
            .unwrap_or(0);
        assert_eq!(table.rows(&runs[0], &[])[0][duration], "2.500", "duration");
    }

    #[test]
    fn history_rows_take_the_logged_step_and_keep_runs_without_history() {
        let runs = [run(0, RunStatus::Completed, Some(0.5))];
        let table = ExportTable::new(&runs, true);
        let header = table.header();
        let n = RUN_COLUMNS.len();
        assert_eq!(&header[n..], ["_step", "acc"]);
        let history: Vec<MetricRecord> = vec![
            [("acc".to_string(), 0.1)].into(),
            [("acc".to_string(), f64::NAN), ("_step".to_string(), 10.0)].into(),
        ];
        let rows = table.rows(&runs[0], &history);
        assert_eq!((rows[0][n].as_str(), rows[0][n + 1].as_str()), ("0", "0.1"));
        assert_eq!(
            (rows[1][n].as_str(), rows[1][n + 1].as_str()),
            ("10", "NaN")
        );
        let empty = table.rows(&runs[0], &[]);
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].len(), header.len());
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(time_text(Some(1.5)), "1970-01-01T00:00:01.500Z");
        assert_eq!(time_text(None), "");
    }
}
