//! `sweep suggest` and `sweep prune`: Sweep's search and early termination for external
//! controllers, reading and writing runs in the W&B run format.

use crate::InvalidInput;
use anyhow::{Context, Result};
use std::path::Path;
use sweep_config::{Mode, load_spec};
use sweep_core::{Goal, Params, SweepSpec, Value};

/// A run in the W&B format, as far as Sweep reads it.
pub struct WandbRun {
    pub name: String,
    pub state: String,
    pub config: serde_json::Map<String, Value>,
    pub summary: serde_json::Map<String, Value>,
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

    /// The run's params: each spec param read from `config` (`{param: {value: v}}` or a plain
    /// value), nested params from the nested value.
    pub fn params(&self, spec: &SweepSpec) -> Params {
        let mut out = Params::new();
        for p in &spec.parameters {
            let Some(top) = self.config.get(&p.path[0]) else {
                continue;
            };
            let mut v = match top {
                Value::Object(m) if m.contains_key("value") => &m["value"],
                other => other,
            };
            let mut found = true;
            for part in &p.path[1..] {
                match v.get(part) {
                    Some(next) => v = next,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            if found {
                out.insert(p.name(), v.clone());
            }
        }
        out
    }

    /// The run's value for Bayesian search: its best valid logged value, else its summary.
    fn value(&self, metric: &str, goal: Goal) -> Option<f64> {
        let best = self
            .metric_history(metric)
            .into_iter()
            .filter(|v| v.is_finite())
            .reduce(|a, b| if goal.better(b, a) { b } else { a });
        best.or_else(|| {
            self.summary
                .get(metric)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
        })
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
        let object = |v: Option<Value>| match v {
            Some(Value::Object(o)) => o,
            _ => serde_json::Map::new(),
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
            config: object(m.remove("config")),
            summary: object(m.remove("summary_metrics")),
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

/// `sweep suggest --spec S --runs R --n N`: the next runs, in the W&B run format. N at
/// once equals N calls of one with each earlier suggestion counted as pending.
pub fn suggest(spec_path: &Path, runs_path: Option<&Path>, n: usize) -> Result<()> {
    let spec = load_spec(spec_path, Mode::Engine)?;
    let runs = match runs_path {
        Some(p) => read_runs(p)?,
        None => Vec::new(),
    };
    let seed = spec.seed.unwrap_or(0);
    let runs: Vec<sweep_search::RunMetric> = runs
        .iter()
        .map(|r| {
            let (best, latest) = match &spec.metric {
                Some(m) => (
                    r.value(&m.name, m.goal),
                    r.metric_history(&m.name)
                        .into_iter()
                        .rev()
                        .find(|v| v.is_finite()),
                ),
                None => (None, None),
            };
            sweep_search::RunMetric {
                params: r.params(&spec),
                state: if r.is_running() {
                    sweep_search::RunState::Running
                } else if r.state == "finished" {
                    sweep_search::RunState::Finished
                } else {
                    sweep_search::RunState::Failed
                },
                best,
                latest,
            }
        })
        .collect();
    let mut observations = sweep_search::observations(spec.metric.as_ref(), &runs);
    let mut out = Vec::new();
    // The n suggestions share their hyperparameter fits (they differ by pending runs only).
    let mut searcher = sweep_search::Searcher::new();
    for _ in 0..n {
        let Some(params) = searcher
            .suggest(&spec, &observations, seed)
            .map_err(|e| InvalidInput(e.to_string()))?
        else {
            break;
        };
        out.push(serde_json::json!({"state": "pending", "config": wandb_config(&spec, &params)}));
        observations.push(sweep_search::Observation {
            params,
            value: None,
        });
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// `{param: {value: v}}`, nested params under their outermost name.
fn wandb_config(spec: &SweepSpec, params: &Params) -> Value {
    let values = sweep_exec::arg_values(params, &spec.parameters);
    let map: serde_json::Map<String, Value> = values
        .into_iter()
        .map(|(k, v)| (k, serde_json::json!({ "value": v })))
        .collect();
    Value::Object(map)
}
