//! In-process trials: a registered [`Trainer`] trains on a thread of its own while the
//! supervisor (`supervisor.rs`) owns the trial's lifecycle, exactly as for a subprocess.
//! This file names no trainer: the binary registers them ([`sweep_core::Trainers`]).

use crate::Event;
use crate::supervisor::{Msg, Running, Supervision, supervise};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use sweep_core::{
    MetricRecord, Params, RunStatus, SweepSpec, TrainContext, TrainFailure, Trained, Trainer,
    Trainers, Value, resolve_config,
};
use sweep_store::{RunDir, RunOutcome, Store, StoreError};

type TrainEnd = (
    Result<Result<Trained, TrainFailure>, String>,
    Option<crate::resources::Usage>,
);

/// Checks the resolved configs a sweep will produce (every grid point, or a sample of
/// random ones) with its trainer; returns one message per distinct problem. A problem every
/// checked config has is named without params; one that only some reach names the first
/// params that reach it (those runs will fail, as data).
pub fn check_configs(spec: &SweepSpec, trainers: &Trainers, base_dir: &Path) -> Vec<String> {
    let Some(trainer) = spec
        .trainer
        .as_ref()
        .and_then(|t| trainers.get(t.kind.as_str()))
    else {
        return Vec::new();
    };
    let mut points: Vec<Params> = Vec::new();
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
        points.push(Params::new());
    }
    let mut problems: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for params in &points {
        let config = resolve_config(&spec.config, params);
        for problem in trainer.check(&config, base_dir) {
            let text = problem.to_string();
            if seen.contains(&text) {
                continue;
            }
            seen.push(text.clone());
            problems.push(if params.is_empty() {
                text
            } else {
                format!("{text} (with {})", describe(params))
            });
        }
    }
    problems
}

fn describe(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a trainer is given: records go to the supervisor and to `stdout.log`, files into
/// the run directory.
struct Context<'a> {
    tx: Sender<Msg<TrainEnd>>,
    stop: &'a AtomicBool,
    out: Mutex<std::fs::File>,
    dir: &'a RunDir,
}

impl TrainContext for Context<'_> {
    fn log(&self, record: MetricRecord) {
        self.print(&record_line(&record));
        let _ = self.tx.send(Msg::Record(record));
    }

    fn stop_flag(&self) -> &AtomicBool {
        self.stop
    }

    fn print(&self, text: &str) {
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{text}");
        }
    }

    fn write_file(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let target = self.dir.file(path).map_err(|e| e.to_string())?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        // Whole or not at all: a crash mid-write leaves the previous file (a checkpoint
        // that is being replaced) rather than half of the new one.
        let mut partial = target.clone().into_os_string();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        std::fs::write(&partial, bytes)
            .and_then(|()| std::fs::rename(&partial, &target))
            .map_err(|e| format!("{}: {e}", target.display()))
    }

    fn earlier_file(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.earlier_file(path)?).ok()
    }
}

/// The supervisor's handle on a training thread: stopping sets the trainer's stop flag,
/// which it checks inside its iterations (a thread cannot be killed).
struct Flag<'a>(&'a AtomicBool);

impl Running for Flag<'_> {
    fn poll(
        &mut self,
        _: &mut Vec<MetricRecord>,
        _: &mut dyn FnMut(&'static str, u64, String),
        _: bool,
    ) {
    }

    fn stop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn kill(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn stopped_how(&self) -> &'static str {
        "the trainer was stopped"
    }
}

/// Trains one run in-process under the supervisor; the outcome is data, only storage
/// failures are errors.
pub(crate) fn run_in_process(
    store: &dyn Store,
    trainer: &dyn Trainer,
    config: &Value,
    base_dir: &Path,
    dir: &RunDir,
    sup: &Supervision<'_>,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<(RunOutcome, Option<crate::resources::Usage>), StoreError> {
    let io_err = |path: std::path::PathBuf| move |source| StoreError::Io { path, source };
    let out = std::fs::File::create(dir.stdout()).map_err(io_err(dir.stdout()))?;
    std::fs::File::create(dir.stderr()).map_err(io_err(dir.stderr()))?;
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Msg<TrainEnd>>();
    let supervised = std::thread::scope(|s| {
        let ctx = Context {
            tx: tx.clone(),
            stop: &stop,
            out: Mutex::new(out),
            dir,
        };
        s.spawn(move || {
            let cpu_before = crate::resources::thread_cpu_s();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                trainer.train(config, base_dir, &ctx)
            }))
            .map_err(|panic| {
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into())
            });
            drop(ctx);
            let usage = cpu_before
                .zip(crate::resources::thread_cpu_s())
                .map(|(before, after)| crate::resources::Usage {
                    cpu_s: after - before,
                    max_rss_mb: None,
                });
            let _ = tx.send(Msg::Ended((result, usage)));
        });
        supervise(store, sup, &mut Flag(&stop), &rx, on_event)
    })?;
    let failed = |reason: String| -> Result<RunOutcome, StoreError> {
        std::fs::write(dir.stderr(), format!("{reason}\n")).map_err(io_err(dir.stderr()))?;
        Ok(RunOutcome {
            status: RunStatus::Failed,
            exit_code: None,
            reason: Some(reason.clone()),
            stderr_tail: Some(reason),
        })
    };
    let (end, usage) = match supervised.end {
        Some((end, usage)) => (Some(end), usage),
        None => (None, None),
    };
    if let Some((status, reason)) = supervised.stopped {
        let outcome = RunOutcome {
            status,
            exit_code: None,
            reason: Some(reason),
            stderr_tail: None,
        };
        return Ok((outcome, usage));
    }
    let outcome = match end {
        Some(Ok(Ok(trained))) => Ok(RunOutcome {
            status: RunStatus::Completed,
            exit_code: None,
            reason: trained.note,
            stderr_tail: None,
        }),
        Some(Ok(Err(TrainFailure::Failed(reason)))) => failed(reason),
        Some(Ok(Err(TrainFailure::Stopped))) => {
            failed(format!("the trainer `{}` stopped on its own", trainer.id()))
        }
        Some(Err(panic)) => failed(format!(
            "internal error in the trainer `{}`: {panic}",
            trainer.id()
        )),
        None => failed(format!(
            "the trainer `{}` ended without a result",
            trainer.id()
        )),
    }?;
    Ok((outcome, usage))
}

/// A history record as one JSON line.
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
