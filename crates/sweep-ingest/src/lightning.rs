//! PyTorch Lightning's `CSVLogger`: `<save_dir>/<name>/version_<n>/{metrics.csv,
//! hparams.yaml}`.

use crate::text::{Outcome, file_name, origin, parent_name, problem, read_config, read_text};
use crate::{ForeignRun, Format};
use serde_json::{Map, Value};
use std::path::Path;
use sweep_core::{MetricRecord, RunStatus};

/// Reads one Lightning version directory.
pub(crate) fn read(dir: &Path) -> Outcome {
    let mut problems = Vec::new();
    let csv_path = dir.join("metrics.csv");
    if !csv_path.is_file() {
        return Outcome::failed(
            problems,
            dir,
            "a Lightning version directory without metrics.csv; not read".to_string(),
        );
    }
    let text = match read_text(&csv_path) {
        Ok(text) => text,
        Err(p) => {
            return Outcome::failed(Vec::new(), &csv_path, format!("{}; run not read", p.reason));
        }
    };
    let hparams = dir.join("hparams.yaml");
    let config = if hparams.is_file() {
        read_config(&hparams, &mut problems)
    } else {
        Value::Object(Map::new())
    };

    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => {
            return Outcome::failed(problems, &csv_path, format!("no CSV header: {e}"));
        }
    };
    let unterminated = !text.ends_with('\n');
    let mut rows = reader.records().peekable();
    let mut history = Vec::new();
    while let Some(row) = rows.next() {
        let is_last = rows.peek().is_none();
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.push(problem(&csv_path, line, format!("invalid CSV: {e}")));
                continue;
            }
        };
        let line = row.position().map(|p| p.line() as usize);
        if row.len() != header.len() {
            if !(is_last && unterminated) {
                problems.push(problem(
                    &csv_path,
                    line,
                    format!("{} cells, the header has {}", row.len(), header.len()),
                ));
            }
            continue;
        }
        let record: MetricRecord = header
            .iter()
            .zip(row.iter())
            .filter_map(|(column, cell)| {
                let cell = cell.trim();
                if cell.is_empty() {
                    return None;
                }
                let value = cell.parse::<f64>().ok()?;
                let key = if column == "step" { "_step" } else { column };
                Some((key.to_string(), value))
            })
            .collect();
        if !record.is_empty() {
            history.push(record);
        }
    }
    Outcome {
        run: Some(ForeignRun {
            origin: origin(Format::Lightning, dir),
            format: Format::Lightning,
            experiment: parent_name(dir),
            name: Some(file_name(dir)),
            config,
            history: sweep_core::History::from_records(&history),
            status: RunStatus::Completed,
            started_at: None,
            ended_at: None,
            tags: Vec::new(),
        }),
        problems,
        failed: false,
    }
}
