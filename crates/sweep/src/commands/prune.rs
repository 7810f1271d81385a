//! `sweep prune`: early termination for an external controller, over W&B runs.

use crate::InvalidInput;
use crate::load::wandb_runs;
use anyhow::Result;
use std::path::Path;
use sweep_config::{Mode, load_spec};

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
    let runs = wandb_runs(runs_path)?;
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
    crate::output::print_json(&decisions)?;
    Ok(())
}
