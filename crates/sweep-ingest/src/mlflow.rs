//! MLflow's file store: `mlruns/<experiment_id>/meta.yaml` and
//! `mlruns/<experiment_id>/<run_id>/{meta.yaml, params/, tags/, metrics/}`.

use crate::text::{
    Outcome, file_name, files_under, is_real_dir, kind, lines, origin, problem, read_text,
    read_yaml,
};
use crate::{ForeignRun, Format, Problem};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use sweep_core::{MetricRecord, RunStatus};

/// Reads one MLflow run directory.
pub(crate) fn read(dir: &Path) -> Outcome {
    let mut problems = Vec::new();
    let meta_path = dir.join("meta.yaml");
    if !meta_path.is_file() {
        return Outcome::failed(
            problems,
            dir,
            "an MLflow run without meta.yaml (status, times and name unknown); not read"
                .to_string(),
        );
    }
    let meta = match read_yaml(&meta_path) {
        Ok(Value::Object(meta)) => meta,
        Ok(other) => {
            return Outcome::failed(
                problems,
                &meta_path,
                format!("meta.yaml is {}, not a mapping; run not read", kind(&other)),
            );
        }
        Err(found) => {
            return Outcome::failed(
                found,
                &meta_path,
                "meta.yaml cannot be read; run not read".to_string(),
            );
        }
    };
    if meta.get("lifecycle_stage").and_then(Value::as_str) == Some("deleted") {
        return Outcome::default();
    }
    let status = match meta.get("status").map(status_of) {
        Some(Some(status)) => status,
        found => {
            let what = match found {
                None => "no `status`".to_string(),
                Some(_) => format!(
                    "unknown status {}",
                    meta.get("status")
                        .map_or_else(String::new, Value::to_string)
                ),
            };
            problems.push(problem(
                &meta_path,
                None,
                format!("{what}; read as interrupted"),
            ));
            RunStatus::Interrupted
        }
    };
    let mut millis = |key: &str| match meta.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Number(ms)) => ms.as_f64().map(|ms| ms / 1000.0),
        Some(other) => {
            problems.push(problem(
                &meta_path,
                None,
                format!("`{key}` is {}, not milliseconds; ignored", kind(other)),
            ));
            None
        }
    };
    let (started_at, ended_at) = (millis("start_time"), millis("end_time"));

    let config = read_params(&dir.join("params"), &mut problems);
    let (tags, tag_name) = read_tags(&dir.join("tags"), &mut problems);
    let name = meta
        .get("run_name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or(tag_name);
    let history = read_metrics(&dir.join("metrics"), &mut problems);
    Outcome {
        run: Some(ForeignRun {
            origin: origin(Format::Mlflow, dir),
            format: Format::Mlflow,
            experiment: experiment_name(dir, &mut problems),
            name,
            config,
            history: sweep_core::History::from_records(&history),
            status,
            started_at,
            ended_at,
            tags,
        }),
        problems,
        failed: false,
    }
}

/// MLflow's run status, as its integer (`RunStatus` enum) or its name.
fn status_of(value: &Value) -> Option<RunStatus> {
    let code = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => match s.trim().to_ascii_uppercase().as_str() {
            "RUNNING" => 1,
            "SCHEDULED" => 2,
            "FINISHED" => 3,
            "FAILED" => 4,
            "KILLED" => 5,
            other => other.parse().ok()?,
        },
        _ => return None,
    };
    match code {
        1 | 2 => Some(RunStatus::Running),
        3 => Some(RunStatus::Completed),
        4 => Some(RunStatus::Failed),
        5 => Some(RunStatus::Interrupted),
        _ => None,
    }
}

/// The experiment's name from its `meta.yaml`, else its directory's name.
fn experiment_name(run_dir: &Path, problems: &mut Vec<Problem>) -> String {
    let Some(exp_dir) = run_dir.parent() else {
        return String::new();
    };
    let meta_path = exp_dir.join("meta.yaml");
    if meta_path.is_file() {
        match read_yaml(&meta_path) {
            Ok(meta) => {
                if let Some(name) = meta
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                {
                    return name.to_string();
                }
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    file_name(exp_dir)
}

/// `params/<key>` files: a flat object of key → value (numbers and booleans typed).
fn read_params(dir: &Path, problems: &mut Vec<Problem>) -> Value {
    let mut config = Map::new();
    if !is_real_dir(dir) {
        return Value::Object(config);
    }
    for (key, path) in files_under(dir, problems) {
        match read_text(&path) {
            Ok(text) => {
                config.insert(key, typed(text.trim()));
            }
            Err(p) => problems.push(p),
        }
    }
    Value::Object(config)
}

/// A param value: a JSON number or boolean when it spells one, else the string.
fn typed(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        _ => Value::String(text.to_string()),
    }
}

/// `tags/<key>` files: the user tags as sorted `key=value` strings, and the
/// `mlflow.runName` tag.
fn read_tags(dir: &Path, problems: &mut Vec<Problem>) -> (Vec<String>, Option<String>) {
    let mut tags = Vec::new();
    let mut run_name = None;
    if !is_real_dir(dir) {
        return (tags, run_name);
    }
    for (key, path) in files_under(dir, problems) {
        let value = match read_text(&path) {
            Ok(text) => text.trim().to_string(),
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        if key == "mlflow.runName" {
            run_name = Some(value).filter(|v| !v.is_empty());
        } else if !key.starts_with("mlflow.") {
            tags.push(format!("{key}={value}"));
        }
    }
    tags.sort();
    tags.dedup();
    (tags, run_name)
}

/// `metrics/<key>` files of `timestamp value [step]` lines, merged into one record per
/// step (the last value logged wins), in step order.
fn read_metrics(dir: &Path, problems: &mut Vec<Problem>) -> Vec<MetricRecord> {
    let mut by_step: BTreeMap<i64, MetricRecord> = BTreeMap::new();
    if !is_real_dir(dir) {
        return Vec::new();
    }
    for (key, path) in files_under(dir, problems) {
        let text = match read_text(&path) {
            Ok(text) => text,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        for line in lines(&text) {
            match metric_point(line.text) {
                Some((value, step)) => {
                    by_step.entry(step).or_default().insert(key.clone(), value);
                }
                None if line.unterminated_last => {}
                None => problems.push(problem(
                    &path,
                    Some(line.number),
                    "not a `timestamp value step` metric line",
                )),
            }
        }
    }
    by_step
        .into_iter()
        .map(|(step, mut record)| {
            record.insert("_step".to_string(), step as f64);
            record
        })
        .collect()
}

/// The value and step of a `timestamp value [step]` line (MLflow writes `nan`, `inf`).
fn metric_point(line: &str) -> Option<(f64, i64)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (ts, value, step) = match fields.as_slice() {
        [ts, value] => (*ts, *value, "0"),
        [ts, value, step] => (*ts, *value, *step),
        _ => return None,
    };
    ts.parse::<i64>().ok()?;
    Some((value.parse::<f64>().ok()?, step.parse::<i64>().ok()?))
}
