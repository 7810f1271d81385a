//! Sweep's own run directories (`config.json`, `metrics.jsonl`, `history.jsonl`,
//! `summary.json`), for instance copied from another machine.

use crate::text::{
    Outcome, file_name, lines, origin, parent_name, problem, read_config, read_json, read_text,
};
use crate::{ForeignRun, Format};
use serde_json::Value;
use std::path::Path;
use sweep_core::{RecordError, RunStatus, parse_metric_line};

/// Reads one Sweep run directory.
pub(crate) fn read(dir: &Path) -> Outcome {
    let mut problems = Vec::new();
    let config = read_config(&dir.join("config.json"), &mut problems);
    let history_file = dir.join("history.jsonl");
    let has_history = history_file.is_file();
    let log = if has_history {
        history_file
    } else {
        dir.join("metrics.jsonl")
    };
    let text = match read_text(&log) {
        Ok(text) => text,
        Err(p) => {
            problems.push(p);
            return Outcome {
                run: None,
                problems,
                failed: true,
            };
        }
    };
    let mut history = Vec::new();
    for line in lines(&text) {
        match parse_metric_line(line.text) {
            Ok((record, _)) => history.push(record),
            Err(RecordError::Empty) => {}
            Err(RecordError::Json(_)) if line.unterminated_last => {}
            Err(e) => problems.push(problem(&log, Some(line.number), e.to_string())),
        }
    }
    let fallback = if has_history {
        RunStatus::Completed
    } else {
        RunStatus::Interrupted
    };
    let status = summary_status(&dir.join("summary.json"), &mut problems).unwrap_or(fallback);
    Outcome {
        run: Some(ForeignRun {
            origin: origin(Format::Sweep, dir),
            format: Format::Sweep,
            experiment: parent_name(dir),
            name: Some(file_name(dir)),
            config,
            history: sweep_core::History::from_records(&history),
            status,
            started_at: None,
            ended_at: None,
            tags: Vec::new(),
        }),
        problems,
        failed: false,
    }
}

/// The `status` of `summary.json`, when the file exists and says one.
fn summary_status(path: &Path, problems: &mut Vec<crate::Problem>) -> Option<RunStatus> {
    if !path.is_file() {
        return None;
    }
    let doc = match read_json(path) {
        Ok(doc) => doc,
        Err(mut found) => {
            problems.append(&mut found);
            return None;
        }
    };
    match doc.get("status") {
        Some(Value::String(s)) => match s.parse::<RunStatus>() {
            Ok(status) => Some(status),
            Err(e) => {
                problems.push(problem(path, None, e.to_string()));
                None
            }
        },
        _ => {
            problems.push(problem(path, None, "no `status` string"));
            None
        }
    }
}
