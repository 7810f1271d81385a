//! W&B's local run directories: `wandb/run-<date>-<id>/` (online) or
//! `wandb/offline-run-<date>-<id>/` (offline), holding `files/config.yaml`,
//! `files/wandb-summary.json` (online mode; wandb 0.31 writes neither offline) and the
//! binary transaction log `run-<id>.wandb` (both modes; read by [`crate::wandb_log`]).
//!
//! - Config: `files/config.yaml` (each key's `value`), else the log's run and config
//!   records; `_wandb*` keys and `wandb_version` dropped.
//! - History: one record per history record of the log (one W&B `log` call), its numeric
//!   items with `_step` from the record's step; nested items are named as W&B names them,
//!   `nested.a`. Without a log, or when the log cannot be read (a problem) or holds no
//!   history, the summary's numeric fields are the only record, as before. `_`-prefixed
//!   keys are dropped except `_step` and `_runtime`, in both.
//! - Status: the log's exit record says completed (exit code 0) or failed (any other);
//!   without one, completed when the summary file exists, else interrupted (killed, or cut
//!   off mid-write: the records before the cut are read and the cut is a problem).
//! - Times: `started_at` from the log's run record, else the summary's `_timestamp` less
//!   `_runtime`; `ended_at` from the summary's `_timestamp`, else, for a run with an exit
//!   record, the last history record's `_timestamp`.

use crate::text::{Outcome, file_name, kind, origin, parent_name, problem, read_json, read_yaml};
use crate::wandb_log::{self, RunLog};
use crate::{ForeignRun, Format};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use sweep_core::{History, RunStatus};

/// Reads one W&B run directory.
pub(crate) fn read(dir: &Path) -> Outcome {
    let mut problems = Vec::new();
    let files = dir.join("files");
    let config_path = files.join("config.yaml");
    let summary_path = files.join("wandb-summary.json");
    let (has_config, has_summary) = (config_path.is_file(), summary_path.is_file());
    let dir_name = file_name(dir);
    let id = dir_name.rsplit('-').next().unwrap_or_default().to_string();
    let log = find_log(dir, &id).and_then(|path| match wandb_log::read(&path) {
        Ok(log) => {
            problems.extend(log.problems.iter().map(|p| problem(&path, None, p.clone())));
            Some(log)
        }
        Err(reason) => {
            problems.push(problem(&path, None, reason));
            None
        }
    });
    // A log with no run, config, history or exit record (a run killed before wandb-core
    // wrote its first 32 KiB block) says nothing about the run.
    let log_is_empty = log
        .as_ref()
        .is_none_or(|l| l.history.is_empty() && l.config.is_none() && l.exit_code.is_none());
    if !has_config && !has_summary && log_is_empty {
        let reason = if log.is_some() {
            "a W&B run whose .wandb log holds no run, history or exit record (killed before its first block was written), without files/config.yaml or files/wandb-summary.json; not read"
        } else {
            "a W&B run without files/config.yaml, files/wandb-summary.json or a readable .wandb log; not read"
        };
        return Outcome::failed(problems, dir, reason.to_string());
    }
    let mut log = log.unwrap_or_default();
    let config = if has_config {
        read_wandb_config(&config_path, &mut problems)
    } else {
        Value::Object(log.config.take().unwrap_or_default())
    };
    let (mut started_at, mut ended_at) = (None, None);
    let mut summary_history = History::new();
    if has_summary {
        match read_json(&summary_path) {
            Ok(Value::Object(summary)) => {
                summary_history.begin();
                for (k, v) in &summary {
                    wandb_log::set_metric(&mut summary_history, k, v);
                }
                summary_history.end();
                let at = |key: &str| {
                    summary
                        .get(key)
                        .and_then(sweep_core::metric_number)
                        .filter(|v| v.is_finite())
                };
                ended_at = at("_timestamp");
                started_at = ended_at
                    .zip(at("_runtime"))
                    .map(|(end, runtime)| end - runtime);
            }
            Ok(other) => problems.push(problem(
                &summary_path,
                None,
                format!("the summary is {}, not an object", kind(&other)),
            )),
            Err(mut found) => problems.append(&mut found),
        }
    }
    let RunLog {
        history,
        exit_code,
        started_at: log_started_at,
        last_timestamp,
        ..
    } = log;
    let status = match exit_code {
        Some(0) => RunStatus::Completed,
        Some(_) => RunStatus::Failed,
        None if has_summary => RunStatus::Completed,
        None => RunStatus::Interrupted,
    };
    started_at = log_started_at.or(started_at);
    if ended_at.is_none() && exit_code.is_some() {
        ended_at = last_timestamp;
    }
    Outcome {
        run: Some(ForeignRun {
            origin: origin(Format::Wandb, dir),
            format: Format::Wandb,
            experiment: parent_name(dir),
            name: Some(id).filter(|i| !i.is_empty()),
            config,
            history: if history.is_empty() {
                summary_history
            } else {
                history
            },
            status,
            started_at,
            ended_at,
            tags: Vec::new(),
        }),
        problems,
        failed: false,
    }
}

/// The run's log: `run-<id>.wandb`, else the first `*.wandb` file in the directory.
fn find_log(dir: &Path, id: &str) -> Option<PathBuf> {
    let named = dir.join(format!("run-{id}.wandb"));
    if named.is_file() {
        return Some(named);
    }
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wandb") && p.is_file())
        .collect();
    logs.sort();
    logs.into_iter().next()
}

/// W&B's `config.yaml`: `key: {value: v, desc: …}` for each key; `_wandb*` keys and
/// `wandb_version` are W&B's own and dropped. A key not in that shape is kept as it is.
fn read_wandb_config(path: &Path, problems: &mut Vec<crate::Problem>) -> Value {
    let doc = match read_yaml(path) {
        Ok(Value::Object(doc)) => doc,
        Ok(Value::Null) => Map::new(),
        Ok(other) => {
            problems.push(problem(
                path,
                None,
                format!(
                    "the config is {}, not a mapping; read as {{}}",
                    kind(&other)
                ),
            ));
            Map::new()
        }
        Err(mut found) => {
            problems.append(&mut found);
            Map::new()
        }
    };
    let config = doc
        .into_iter()
        .filter(|(k, _)| !k.starts_with("_wandb") && k != "wandb_version")
        .map(|(k, v)| match v {
            Value::Object(mut entry) if entry.contains_key("value") => {
                (k, entry.remove("value").unwrap_or(Value::Null))
            }
            other => (k, other),
        })
        .collect();
    Value::Object(config)
}
