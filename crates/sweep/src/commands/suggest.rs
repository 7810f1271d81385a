//! `sweep suggest`: the search for an external controller, over W&B runs.

use crate::InvalidInput;
use crate::load::wandb_runs;
use anyhow::Result;
use std::path::Path;
use sweep_config::{Mode, load_spec};
use sweep_core::{Method, Params, SweepSpec, Value, hash8, slug};

/// `sweep suggest --spec S --runs R --n N`: the next runs, in the W&B run format. N at
/// once equals N calls of one with each earlier suggestion counted as pending.
///
/// Each run is named `<sweep name>-<position>-<hash8 of its config>` (`sweep` when the
/// spec has no name), its position being the number of runs before it: names are unique
/// within a sweep, and the same whether the runs are asked for at once or one by one.
pub fn suggest(spec_path: &Path, runs_path: Option<&Path>, n: usize) -> Result<()> {
    let spec = load_spec(spec_path, Mode::Engine)?;
    let runs = match runs_path {
        Some(p) => wandb_runs(p)?,
        None => Vec::new(),
    };
    if spec.method == Method::Bayes {
        let problems = sweep_analysis::foreign_categorical_values(&spec, &runs);
        if !problems.is_empty() {
            return Err(InvalidInput(format!(
                "{}: Bayesian search cannot place {} against the spec (as W&B refuses them):\n  {}",
                runs_path.map_or_else(String::new, |p| p.display().to_string()),
                if problems.len() == 1 {
                    "this run"
                } else {
                    "these runs"
                },
                problems.join("\n  ")
            ))
            .into());
        }
    }
    let seed = spec.seed.unwrap_or(0);
    let runs: Vec<sweep_search::RunMetric> = runs.iter().map(|r| r.run_metric(&spec)).collect();
    let mut observations = sweep_search::observations(spec.metric.as_ref(), &runs);
    let mut out = Vec::new();
    // The n suggestions share their hyperparameter fits (they differ by pending runs only).
    let mut searcher = sweep_search::Searcher::new();
    let prefix = slug(spec.name.as_deref().unwrap_or("sweep"));
    for _ in 0..n {
        let Some(params) = searcher
            .suggest(&spec, &observations, seed)
            .map_err(|e| InvalidInput(e.to_string()))?
        else {
            break;
        };
        let config = wandb_config(&spec, &params);
        let name = format!("{prefix}-{}-{}", observations.len(), hash8(&config));
        out.push(serde_json::json!({"name": name, "state": "pending", "config": config}));
        observations.push(sweep_search::Observation {
            params,
            value: None,
        });
    }
    crate::output::print_json(&out)?;
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
