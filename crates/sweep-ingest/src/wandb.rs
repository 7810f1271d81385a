//! W&B's local run directories: `wandb/run-<date>-<id>/files/{config.yaml,
//! wandb-summary.json}`. The binary `run-<id>.wandb` log is not read.

use crate::text::{
    Outcome, file_name, kind, number, origin, parent_name, problem, read_json, read_yaml,
};
use crate::{ForeignRun, Format};
use serde_json::{Map, Value};
use std::path::Path;
use sweep_core::{MetricRecord, RunStatus};

/// Reads one W&B run directory.
pub(crate) fn read(dir: &Path) -> Outcome {
    let mut problems = Vec::new();
    let files = dir.join("files");
    let config_path = files.join("config.yaml");
    let summary_path = files.join("wandb-summary.json");
    let (has_config, has_summary) = (config_path.is_file(), summary_path.is_file());
    if !has_config && !has_summary {
        return Outcome::failed(
            problems,
            dir,
            "a W&B run without files/config.yaml or files/wandb-summary.json (the binary .wandb log is not read); not read"
                .to_string(),
        );
    }
    let config = if has_config {
        read_wandb_config(&config_path, &mut problems)
    } else {
        Value::Object(Map::new())
    };
    let mut history = Vec::new();
    let (mut started_at, mut ended_at) = (None, None);
    if has_summary {
        match read_json(&summary_path) {
            Ok(Value::Object(summary)) => {
                let record: MetricRecord = summary
                    .iter()
                    .filter(|(k, _)| {
                        !k.starts_with('_') || matches!(k.as_str(), "_step" | "_runtime")
                    })
                    .filter_map(|(k, v)| number(v).map(|n| (k.clone(), n)))
                    .collect();
                if !record.is_empty() {
                    history.push(record);
                }
                let at = |key: &str| summary.get(key).and_then(number).filter(|v| v.is_finite());
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
    let dir_name = file_name(dir);
    let id = dir_name.rsplit('-').next().unwrap_or_default().to_string();
    Outcome {
        run: Some(ForeignRun {
            origin: origin(Format::Wandb, dir),
            format: Format::Wandb,
            experiment: parent_name(dir),
            name: Some(id).filter(|i| !i.is_empty()),
            config,
            history: sweep_core::History::from_records(&history),
            status: if has_summary {
                RunStatus::Completed
            } else {
                RunStatus::Interrupted
            },
            started_at,
            ended_at,
            tags: Vec::new(),
        }),
        problems,
        failed: false,
    }
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
