//! `sweep ingest`: runs written by other tools (or Sweep run directories copied from
//! another machine) brought into the store, one sweep per experiment.

use crate::InvalidInput;
use anyhow::Result;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use sweep_core::{Method, Params, SweepSpec, hash8, slug};
use sweep_ingest::{ForeignRun, Format};
use sweep_store::{ImportedRun, NewSweep, RunFilter, Store, SweepRecord};

/// The sweep that holds an experiment's runs: found again by its id on the next ingest.
fn experiment_sweep(store: &dyn Store, format: Format, experiment: &str) -> Result<SweepRecord> {
    let key = serde_json::json!({"ingest": format.name(), "experiment": experiment});
    let id = format!("{}-{}", slug(experiment), hash8(&key));
    if let Ok(sweep) = store.sweep(&id)
        && sweep.id == id
    {
        return Ok(sweep);
    }
    let mut spec = SweepSpec::new(Method::Grid, Vec::new());
    spec.name = Some(experiment.to_string());
    spec.description = Some(format!("runs ingested from {} logs", format.name()));
    Ok(store.create_sweep(&NewSweep {
        id,
        name: experiment.to_string(),
        spec_text: String::new(),
        spec_path: None,
        spec,
        seed: 0,
    })?)
}

fn imported(run: ForeignRun) -> ImportedRun {
    ImportedRun {
        origin: run.origin,
        params: Params::new(),
        config: run.config,
        history: run.history,
        status: run.status,
        started_at: run.started_at,
        ended_at: run.ended_at,
        tags: run.tags,
        reason: None,
        name: run.name,
    }
}

/// Reads every run under `paths` (each format detected, or only `format`) and adds the
/// new ones; every problem is reported with its file and line, and none stops the ingest.
pub fn ingest(store: &dyn Store, paths: &[PathBuf], format: Option<&str>) -> Result<()> {
    let format = format
        .map(|f| f.parse::<Format>())
        .transpose()
        .map_err(InvalidInput)?;
    let missing: Vec<String> = paths
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !missing.is_empty() {
        return Err(
            InvalidInput(format!("no such file or directory: {}", missing.join(", "))).into(),
        );
    }
    let mut sweeps: BTreeMap<(Format, String), SweepRecord> = BTreeMap::new();
    let (mut added, mut present) = (0usize, 0usize);
    let mut error: Option<anyhow::Error> = None;
    // Runs are imported as each batch is read, so memory holds a batch, not the corpus.
    // Runs already ingested (by origin) are not even read again.
    let known: HashSet<String> = store
        .runs(&RunFilter::default())?
        .into_iter()
        .filter_map(|r| r.origin)
        .collect();
    let scan = sweep_ingest::scan_each(paths, format, &known, &mut |run| {
        if error.is_some() {
            return;
        }
        let key = (run.format, run.experiment.clone());
        let sweep = match sweeps.get(&key) {
            Some(s) => s.clone(),
            None => match experiment_sweep(store, run.format, &run.experiment) {
                Ok(s) => {
                    sweeps.insert(key, s.clone());
                    s
                }
                Err(e) => {
                    error = Some(e);
                    return;
                }
            },
        };
        match store.import_run(&sweep.id, &imported(run)) {
            Ok(Some(_)) => added += 1,
            Ok(None) => present += 1,
            Err(e) => error = Some(e.into()),
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    for problem in &scan.problems {
        eprintln!("{problem}");
    }
    present += scan.known;
    let names: Vec<&str> = sweeps.values().map(|s| s.id.as_str()).collect();
    eprintln!(
        "ingested {added} run(s) into {} sweep(s){}; {present} already in the store; {} could not be read; {} problem(s)",
        sweeps.len(),
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", names.join(", "))
        },
        scan.failed,
        scan.problems.len()
    );
    Ok(())
}
