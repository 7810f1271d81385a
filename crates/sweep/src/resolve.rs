//! A spec resolved as this program runs it: with the trainers it ships, every check
//! `sweep validate` and `sweep run` share.

use crate::InvalidInput;
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use sweep_config::{Mode, load_spec};
use sweep_core::{RunRecord, SweepSpec, Trainer, Trainers};
use sweep_store::Store;

/// The in-process trainers this program ships, by the name a spec's `trainer:` gives.
pub fn trainers() -> Trainers {
    Trainers::new()
        .register(Arc::new(sweep_textclf::TextClassifier))
        .register(Arc::new(sweep_neural::NeuralTextClassifier))
}

/// The spec at `spec_path`, parsed and checked as `sweep run` will run it: every problem
/// (the spec's own, an unknown trainer, a missing program, a grid that cannot be
/// enumerated, trainer configs the runs would fail with) at once. `sweep validate` and
/// `sweep run` both use it, so they give the same verdict.
pub fn resolve(spec_path: &Path) -> Result<SweepSpec> {
    let spec = load_spec(spec_path, Mode::Run)?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let problems = sweep_exec::runnable_problems(&spec, &trainers(), &cwd, spec_dir(spec_path));
    if !problems.is_empty() {
        return Err(
            InvalidInput(format!("{}: {}", spec_path.display(), problems.join("\n"))).into(),
        );
    }
    Ok(spec)
}

/// The directory of a spec file (relative data paths are read from there).
pub fn spec_dir(spec_path: &Path) -> &Path {
    match spec_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The trainer of a run's sweep, when it has one this program ships.
pub fn run_trainer(store: &dyn Store, run: &RunRecord) -> Option<Arc<dyn Trainer>> {
    let sweep = store.sweep(&run.sweep_id).ok()?;
    let kind = sweep.spec.trainer?.kind;
    trainers().get(kind.as_str()).cloned()
}
