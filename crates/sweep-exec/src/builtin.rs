//! Built-in trainers, run in-process by the worker thread.

use crate::{Event, ExecError, Shared};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use sweep_core::{MetricRecord, RunStatus, SweepSpec, resolve_config};
use sweep_store::{RunDir, RunOutcome, RunRecord, StoreError};
use sweep_textclf::{TextClassifierConfig, TrainError};

/// The names `trainer:` accepts for the text classifier.
pub const TEXT_CLASSIFIER: [&str; 2] = ["text-classifier", "text_classifier"];

/// Whether `kind` names a built-in trainer.
pub fn is_builtin(kind: &str) -> bool {
    TEXT_CLASSIFIER.contains(&kind)
}

/// Checks the resolved configs a sweep will produce (every grid point, or a sample of
/// random ones) against the trainer's config schema; returns one message per distinct
/// problem.
pub fn check_configs(spec: &SweepSpec, base_dir: &Path) -> Vec<String> {
    let mut points: Vec<sweep_core::Params> = Vec::new();
    match spec.method {
        sweep_core::Method::Grid => {
            while points.len() < 5000 {
                match sweep_search::next_grid_point(&spec.parameters, &points) {
                    Ok(Some(p)) => points.push(p),
                    _ => break,
                }
            }
        }
        _ => {
            let seed = spec.seed.unwrap_or(0);
            points.extend((0..32).map(|i| sweep_search::sample_random(&spec.parameters, seed, i)));
        }
    }
    if points.is_empty() {
        points.push(Default::default());
    }
    let mut problems: Vec<String> = Vec::new();
    for params in &points {
        let config = resolve_config(&spec.config, params);
        let message = match TextClassifierConfig::from_value(&config, base_dir) {
            Err(e) => Some(e.to_string()),
            Ok(cfg) => {
                let plan = cfg.data.problems();
                (!plan.is_empty()).then(|| format!("data: {}", plan.join("; ")))
            }
        };
        if let Some(m) = message {
            let shown = if params.is_empty() {
                m
            } else {
                format!("{m} (with {})", describe(params))
            };
            if !problems
                .iter()
                .any(|p| p.starts_with(&shown[..shown.find(" (with").unwrap_or(shown.len())]))
            {
                problems.push(shown);
            }
        }
    }
    problems
}

fn describe(params: &sweep_core::Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the text classifier for one run; records history as it goes and writes the model,
/// predictions and reports into the run directory.
pub(crate) fn run_text_classifier(
    sh: &Shared<'_>,
    run: &RunRecord,
    dir: &RunDir,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<RunOutcome, ExecError> {
    let io = |path: std::path::PathBuf| move |source| ExecError::Io { path, source };
    let mut out = std::fs::File::create(dir.stdout()).map_err(io(dir.stdout()))?;
    let failed = |reason: String| -> Result<RunOutcome, ExecError> {
        std::fs::write(dir.stderr(), format!("{reason}\n")).map_err(io(dir.stderr()))?;
        Ok(RunOutcome {
            status: RunStatus::Failed,
            exit_code: None,
            reason: Some(reason.clone()),
            stderr_tail: Some(reason),
        })
    };
    std::fs::File::create(dir.stderr()).map_err(io(dir.stderr()))?;
    let cfg = match TextClassifierConfig::from_value(&run.config, &data_base_dir(sh)) {
        Ok(cfg) => cfg,
        Err(e) => return failed(e.to_string()),
    };
    let key = run.key();
    let metric = sh.sweep.spec.metric.as_ref();
    let store = sh.store.as_ref();
    let done = AtomicBool::new(false);
    // Stops the trainer at its next check: the sweep was cancelled, or the run pruned.
    let run_stop = AtomicBool::new(false);
    let pruned: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
    let mut store_error: Option<StoreError> = None;
    let result = std::thread::scope(|s| {
        // The lease must outlive a long fit: renew it from a second thread.
        s.spawn(|| {
            let every = Duration::from_secs_f64((sh.opts.lease_secs / 3.0).max(0.5));
            let mut waited = Duration::ZERO;
            while !done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
                if sh.cancel.load(Ordering::SeqCst) {
                    run_stop.store(true, Ordering::SeqCst);
                }
                if let Some(reason) = sh.prune.take(&run.id) {
                    if let Ok(mut p) = pruned.lock() {
                        *p = Some(reason);
                    }
                    run_stop.store(true, Ordering::SeqCst);
                }
                waited += Duration::from_millis(100);
                if waited >= every {
                    waited = Duration::ZERO;
                    if store.heartbeat(&key, sh.opts.lease_secs).is_err() {
                        break;
                    }
                }
            }
        });
        let mut log = |record: MetricRecord| {
            if store_error.is_some() {
                return;
            }
            let _ = writeln!(out, "{}", record_line(&record));
            match store.append_history(&key, std::slice::from_ref(&record), metric) {
                Ok(summary) => on_event(Event::Progress {
                    run_id: run.id.clone(),
                    summary,
                }),
                Err(e) => store_error = Some(e),
            }
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sweep_textclf::train(&cfg, &mut log, &run_stop)
        }));
        done.store(true, Ordering::SeqCst);
        r
    });
    if let Some(e) = store_error {
        return Err(e.into());
    }
    let output = match result {
        Ok(Ok(output)) => output,
        Ok(Err(TrainError::Stopped)) => {
            if let Some(reason) = pruned.lock().ok().and_then(|mut p| p.take()) {
                return Ok(RunOutcome {
                    status: RunStatus::Pruned,
                    exit_code: None,
                    reason: Some(reason),
                    stderr_tail: None,
                });
            }
            return Ok(RunOutcome {
                status: RunStatus::Interrupted,
                exit_code: None,
                reason: Some("interrupted: the sweep was stopped (SIGINT/SIGTERM)".into()),
                stderr_tail: None,
            });
        }
        Ok(Err(e)) => return failed(e.to_string()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            return failed(format!("internal error in the text classifier: {what}"));
        }
    };
    std::fs::create_dir_all(dir.artifacts()).map_err(io(dir.artifacts()))?;
    write_json(&dir.model(), &output.pipeline)?;
    write_json(&dir.data_report(), &output.data_report)?;
    write_json(&dir.reports(), &output.reports)?;
    for (split, predictions) in &output.predictions {
        let path = dir.predictions(split);
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(&path).map_err(io(path.clone()))?);
        for p in predictions {
            let line = serde_json::to_string(p).map_err(|e| ExecError::Io {
                path: path.clone(),
                source: e.into(),
            })?;
            writeln!(f, "{line}").map_err(io(path.clone()))?;
        }
        f.flush().map_err(io(path.clone()))?;
    }
    let _ = writeln!(out, "{}", output.data_report);
    let reason = (!output.fit.converged).then(|| {
        format!(
            "the solver did not converge in {} iterations",
            output.fit.iterations
        )
    });
    Ok(RunOutcome {
        status: RunStatus::Completed,
        exit_code: None,
        reason,
        stderr_tail: None,
    })
}

/// Relative data paths are read from the spec file's directory (the working directory when
/// the sweep has no spec file).
fn data_base_dir(sh: &Shared<'_>) -> std::path::PathBuf {
    sh.sweep
        .spec_path
        .as_deref()
        .map(|p| sh.opts.cwd.join(p))
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| sh.opts.cwd.clone())
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), ExecError> {
    let text = serde_json::to_string(value).map_err(|e| ExecError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    std::fs::write(path, text).map_err(|source| ExecError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn record_line(record: &MetricRecord) -> String {
    let map: serde_json::Map<String, serde_json::Value> = record
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::Number::from_f64(*v)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}
