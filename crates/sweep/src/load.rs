//! What commands read: the store (behind the `Store` trait: only opening it knows the
//! backend), runs selected by the shared filters, and W&B run files.

use crate::InvalidInput;
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use sweep_core::{RunRecord, RunStatus, Value};
use sweep_store::{RunFilter, SqliteStore, Store, SweepRecord};

/// The store every command works on, behind the `Store` trait (only opening it knows the
/// backend).
pub fn open_store(path: &std::path::Path) -> Result<Arc<dyn Store>> {
    let store = SqliteStore::open(path)
        .with_context(|| format!("opening the store at {}", path.display()))?;
    Ok(Arc::new(store))
}

/// For commands that only read or continue: a missing store is the user's mistake.
pub fn existing_store(path: &std::path::Path) -> Result<Arc<dyn Store>> {
    let store = user_lookup(SqliteStore::open_existing(path))?;
    Ok(Arc::new(store))
}

/// Turns a store "not found"/"ambiguous" into a user error.
pub fn user_lookup<T>(r: Result<T, sweep_store::StoreError>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(
            e @ (sweep_store::StoreError::NotFound { .. }
            | sweep_store::StoreError::Ambiguous { .. }
            | sweep_store::StoreError::NoStore { .. }),
        ) => Err(InvalidInput(e.to_string()).into()),
        Err(e) => Err(e.into()),
    }
}

/// The display names for tables: `explicit` (`--names`), else the store's `names.yaml`
/// when there is one, else none.
pub fn display_names(
    store: &Path,
    explicit: Option<&Path>,
) -> Result<sweep_analysis::DisplayNames> {
    let default = store.join("names.yaml");
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if default.is_file() => default,
        None => return Ok(sweep_analysis::DisplayNames::default()),
    };
    let value = sweep_config::load_config_file(&path).map_err(|e| InvalidInput(e.to_string()))?;
    sweep_analysis::DisplayNames::from_value(&value).map_err(|problems| {
        InvalidInput(format!("{}: {}", path.display(), problems.join("\n  "))).into()
    })
}

/// Keeps the runs that pass `filter` (the `--where` language of
/// [`sweep_analysis::Filter`]); a filter that does not read is the user's error, shown with
/// a caret under the offending column.
pub fn keep_where(runs: &mut Vec<RunRecord>, filter: Option<&str>) -> Result<()> {
    if let Some(text) = filter {
        let filter = sweep_analysis::Filter::parse(text)
            .map_err(|e| InvalidInput(format!("--where: {e}")))?;
        runs.retain(|r| filter.matches(r, &r.tags));
    }
    Ok(())
}

/// The sweeps (one, by id or prefix, or all) and their runs with one of `status` (any
/// when empty) that pass `filter` (`--where`).
pub fn filtered_runs(
    store: &dyn Store,
    sweep: Option<String>,
    status: Vec<RunStatus>,
    filter: Option<&str>,
) -> Result<(Vec<SweepRecord>, Vec<RunRecord>)> {
    let sweeps = match &sweep {
        Some(id) => vec![user_lookup(store.sweep(id))?],
        None => store.sweeps()?,
    };
    let runs = store.runs(&RunFilter {
        sweep_id: sweeps
            .first()
            .filter(|_| sweep.is_some())
            .map(|s| s.id.clone()),
        statuses: status,
    })?;
    let mut runs = runs;
    keep_where(&mut runs, filter)?;
    Ok((sweeps, runs))
}

/// A JSON list of W&B runs; every bad run reported at once.
pub fn wandb_runs(path: &Path) -> Result<Vec<sweep_analysis::WandbRun>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| InvalidInput(format!("{}: not valid JSON: {e}", path.display())))?;
    sweep_analysis::parse_wandb_runs(value).map_err(|problems| {
        InvalidInput(format!("{}: {}", path.display(), problems.join("; "))).into()
    })
}
