//! `sweep suggest` and `sweep prune`: Sweep's search and early termination for external
//! controllers, reading and writing runs in the W&B run format.

use crate::InvalidInput;
use anyhow::{Context, Result};
use std::path::Path;
use sweep_config::{Mode, load_spec};
use sweep_core::Value;

/// A run in the W&B format, as far as early termination reads it (`config` and
/// `summary_metrics` are accepted and not needed).
pub struct WandbRun {
    pub name: String,
    pub state: String,
    pub history: Vec<serde_json::Map<String, Value>>,
}

impl WandbRun {
    /// Running, or about to run again: counts as pending for search.
    pub fn is_running(&self) -> bool {
        matches!(
            self.state.as_str(),
            "running" | "pending" | "preempting" | "preempted"
        )
    }

    /// The metric's valid values in history order; W&B ignores strings and booleans.
    pub fn metric_history(&self, metric: &str) -> Vec<f64> {
        self.history
            .iter()
            .filter_map(|rec| rec.get(metric))
            .map(|v| match v {
                Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                _ => f64::NAN,
            })
            .collect()
    }
}

fn read_runs(path: &Path) -> Result<Vec<WandbRun>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| InvalidInput(format!("{}: not valid JSON: {e}", path.display())))?;
    let Value::Array(items) = value else {
        return Err(
            InvalidInput(format!("{}: expected a JSON list of runs", path.display())).into(),
        );
    };
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(mut m) = item else {
            problems.push(format!("run {i}: not an object"));
            continue;
        };
        let history = match m.remove("history") {
            Some(Value::Array(h)) => h
                .into_iter()
                .filter_map(|r| match r {
                    Value::Object(o) => Some(o),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let name = match m.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("run-{i}"),
        };
        let state = match m.get("state") {
            Some(Value::String(s)) => s.to_ascii_lowercase(),
            _ => {
                problems.push(format!("run {i} ({name}): no `state`"));
                continue;
            }
        };
        runs.push(WandbRun {
            name,
            state,
            history,
        });
    }
    if !problems.is_empty() {
        return Err(InvalidInput(format!("{}: {}", path.display(), problems.join("; "))).into());
    }
    Ok(runs)
}

/// `sweep prune --spec S --runs R`: the running runs to stop now, as JSON.
pub fn prune(spec_path: &Path, runs_path: &Path) -> Result<()> {
    let spec = load_spec(spec_path, Mode::Engine)?;
    let Some(et) = &spec.early_terminate else {
        return Err(InvalidInput(format!(
            "{}: the spec has no `early_terminate`",
            spec_path.display()
        ))
        .into());
    };
    let Some(metric) = &spec.metric else {
        return Err(InvalidInput(format!(
            "{}: early termination needs a `metric`",
            spec_path.display()
        ))
        .into());
    };
    let runs = read_runs(runs_path)?;
    let histories: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.metric_history(&metric.name))
        .collect();
    let views: Vec<sweep_search::RunView> = runs
        .iter()
        .zip(&histories)
        .map(|(r, h)| sweep_search::RunView {
            name: &r.name,
            running: r.is_running(),
            history: h,
        })
        .collect();
    let decisions = sweep_search::prune(et, metric.goal, &views);
    println!("{}", serde_json::to_string_pretty(&decisions)?);
    Ok(())
}
