//! What commands read: the store (behind the `Store` trait: only opening it knows the
//! backend), runs selected by the shared filters, and W&B run files.

use crate::InvalidInput;
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use sweep_core::{RunRecord, RunStatus, Value};
use sweep_store::{PgStore, RunFilter, SqliteStore, Store, SweepRecord};

/// Where the store is: `--store` (or `SWEEP_STORE`) and, for PostgreSQL, `--runs-dir`.
#[derive(Debug, Clone)]
pub enum StoreAt {
    Dir(std::path::PathBuf),
    Postgres {
        url: String,
        runs_dir: Option<std::path::PathBuf>,
    },
}

impl StoreAt {
    pub fn new(store: &str, runs_dir: Option<&Path>) -> Result<StoreAt> {
        let is_url = store.starts_with("postgres://") || store.starts_with("postgresql://");
        match (is_url, runs_dir) {
            (true, runs_dir) => Ok(StoreAt::Postgres {
                url: store.to_string(),
                runs_dir: runs_dir.map(Path::to_path_buf),
            }),
            (false, None) => Ok(StoreAt::Dir(store.into())),
            (false, Some(_)) => Err(InvalidInput(format!(
                "--runs-dir is for a PostgreSQL store; the runs of the store directory {store} \
                 live in it"
            ))
            .into()),
        }
    }

    /// The store directory, for files kept beside the database (`names.yaml`); none for
    /// PostgreSQL.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            StoreAt::Dir(p) => Some(p),
            StoreAt::Postgres { .. } => None,
        }
    }
}

/// The store every command works on, behind the `Store` trait (only opening it knows the
/// backend).
pub fn open_store(at: &StoreAt) -> Result<Arc<dyn Store>> {
    match at {
        StoreAt::Dir(path) => {
            let store = SqliteStore::open(path)
                .with_context(|| format!("opening the store at {}", path.display()))?;
            Ok(Arc::new(store))
        }
        StoreAt::Postgres { url, runs_dir } => {
            let store = PgStore::open(url, runs_dir.as_deref(), Path::new("sweep-runs"))?;
            Ok(Arc::new(store))
        }
    }
}

/// For commands that only read or continue: a missing store is the user's mistake.
pub fn existing_store(at: &StoreAt) -> Result<Arc<dyn Store>> {
    match at {
        StoreAt::Dir(path) => {
            let store = user_lookup(SqliteStore::open_existing(path))?;
            Ok(Arc::new(store))
        }
        StoreAt::Postgres { .. } => open_store(at),
    }
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
    store: &StoreAt,
    explicit: Option<&Path>,
) -> Result<sweep_analysis::DisplayNames> {
    let default = store.dir().map(|d| d.join("names.yaml"));
    let path = match (explicit, default) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(d)) if d.is_file() => d,
        _ => return Ok(sweep_analysis::DisplayNames::default()),
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
