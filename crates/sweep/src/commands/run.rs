//! `sweep run`, `sweep resume`, `sweep agent`: the sweep loop with a progress display.

use crate::cli::WorkArgs;
use crate::grouped::{print_groups, seed_groups};
use crate::load::user_lookup;
use crate::output;
use crate::resolve::{resolve, spec_dir, trainers};
use crate::{InvalidInput, Outcome};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use sweep_analysis::DisplayNames;
use sweep_core::{RunStatus, SweepSpec, hash8, slug};
use sweep_exec::{Event, StopReason, SweepOptions, run_sweep};
use sweep_store::{NewSweep, RunFilter, Store, SweepRecord, SweepStatus};

/// `sweep run`: the spec is validated before the store is opened, so a bad spec leaves
/// nothing behind.
pub fn run_spec(
    open_store: impl FnOnce() -> Result<Arc<dyn Store>>,
    spec_path: &Path,
    work: &WorkArgs,
    new: bool,
    names: &DisplayNames,
) -> Result<Outcome> {
    let spec = resolve(spec_path)?;
    let store = open_store()?;
    let spec_text = std::fs::read_to_string(spec_path)
        .with_context(|| format!("reading {}", spec_path.display()))?;
    let name = spec.name.clone().unwrap_or_else(|| {
        spec_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sweep".into())
    });
    let spec_value = canonical_spec(&spec);
    let base_id = format!("{}-{}", slug(&name), hash8(&spec_value));
    let mut id = base_id.clone();
    if new {
        let mut n = 1;
        while store.sweep(&id).is_ok() {
            n += 1;
            id = format!("{base_id}-{n}");
        }
    }
    let seed = spec.seed.unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        nanos
            ^ ((std::process::id() as u64) << 32)
            ^ u64::from_str_radix(&hash8(&spec_value), 16).unwrap_or(0)
    });
    let sweep = store.create_sweep(&NewSweep {
        id,
        name,
        spec_text,
        // Absolute, so that `resume` and `agent` find relative data paths from anywhere.
        spec_path: Some(
            std::fs::canonicalize(spec_path)
                .unwrap_or_else(|_| spec_path.to_path_buf())
                .to_string_lossy()
                .into_owned(),
        ),
        spec,
        seed,
    })?;
    execute(store, sweep, work, names)
}

pub fn run_existing(
    store: Arc<dyn Store>,
    sweep_id: &str,
    work: &WorkArgs,
    names: &DisplayNames,
) -> Result<Outcome> {
    let sweep = user_lookup(store.sweep(sweep_id))?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let problems =
        sweep_exec::runnable_problems(&sweep.spec, &trainers(), &cwd, &base_dir(&sweep, &cwd));
    if !problems.is_empty() {
        return Err(InvalidInput(format!("sweep {}: {}", sweep.id, problems.join("\n"))).into());
    }
    execute(store, sweep, work, names)
}

/// The version of the form sweep ids hash ([`canonical_spec`]). Changing the form changes
/// every sweep id, so `sweep run` would no longer continue the sweeps of earlier versions:
/// bump it only together with a note in the README.
const SWEEP_ID_FORM: u64 = 1;

/// What a sweep id hashes: the filled spec in W&B's key names (every default written) with
/// the form's version, not the in-memory `SweepSpec`, so that a field added to the type
/// changes no id.
fn canonical_spec(spec: &SweepSpec) -> serde_json::Value {
    serde_json::json!({"form": SWEEP_ID_FORM, "spec": sweep_config::filled_spec_json(spec)})
}

struct Tally {
    done: u64,
    failed: u64,
    other: u64,
    running: u64,
    best: Option<(f64, String)>,
}

/// `sweep rerun RUN`: the run's params again, as a new run of its sweep, after saying how
/// the code differs from what the run ran.
pub fn rerun(
    store: Arc<dyn Store>,
    run_id: &str,
    work: &WorkArgs,
    names: &DisplayNames,
) -> Result<Outcome> {
    let run = user_lookup(store.run(run_id))?;
    let sweep = user_lookup(store.sweep(&run.sweep_id))?;
    if run.origin.is_some() {
        return Err(InvalidInput(format!(
            "run {} was ingested (from {}): Sweep cannot run it again",
            run.id,
            run.origin.as_deref().unwrap_or_default()
        ))
        .into());
    }
    let waiting = store.runs(&RunFilter {
        sweep_id: Some(sweep.id.clone()),
        statuses: vec![RunStatus::Pending, RunStatus::Interrupted],
    })?;
    if !waiting.is_empty() {
        return Err(InvalidInput(format!(
            "sweep {} has {} interrupted or pending run(s), which a new run would retry first: `sweep resume {}` runs them",
            sweep.id,
            waiting.len(),
            sweep.id
        ))
        .into());
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let problems =
        sweep_exec::runnable_problems(&sweep.spec, &trainers(), &cwd, &base_dir(&sweep, &cwd));
    if !problems.is_empty() {
        return Err(InvalidInput(format!("sweep {}: {}", sweep.id, problems.join("\n"))).into());
    }
    if let Some(recorded) = sweep_exec::code::read(store.run_dir(&run.id).path()) {
        let now = sweep_exec::code::capture(&recorded.program, &cwd, recorded.launcher.as_deref());
        let differences = recorded.differences(&now);
        if !differences.is_empty() {
            eprintln!(
                "warning: the code differs from what run {} ran: {}",
                run.id,
                differences.join("; ")
            );
        }
    }
    let mut work = work.clone();
    work.count = Some(1);
    // A finished sweep takes no new runs: open it for this one, then close it again.
    let was = sweep.status;
    if was == SweepStatus::Finished {
        store.set_sweep_status(&sweep.id, SweepStatus::Active)?;
    }
    let id = sweep.id.clone();
    let outcome = execute_with(Arc::clone(&store), sweep, &work, Some(run.params), names);
    if was == SweepStatus::Finished {
        store.set_sweep_status(&id, SweepStatus::Finished)?;
    }
    outcome
}

/// The directory relative paths of a stored sweep's spec are read from.
fn base_dir(sweep: &SweepRecord, cwd: &Path) -> std::path::PathBuf {
    sweep
        .spec_path
        .as_deref()
        .map(|p| spec_dir(Path::new(p)).to_path_buf())
        .unwrap_or_else(|| cwd.to_path_buf())
}

fn execute(
    store: Arc<dyn Store>,
    sweep: SweepRecord,
    work: &WorkArgs,
    names: &DisplayNames,
) -> Result<Outcome> {
    execute_with(store, sweep, work, None, names)
}

fn execute_with(
    store: Arc<dyn Store>,
    sweep: SweepRecord,
    work: &WorkArgs,
    rerun: Option<sweep_core::Params>,
    names: &DisplayNames,
) -> Result<Outcome> {
    let cancel = Arc::new(AtomicBool::new(false));
    // First SIGINT/SIGTERM: stop starting trials and end the running ones (SIGTERM, then
    // SIGKILL after the grace). A second one: SIGKILL them at once.
    let kill_now = Arc::new(AtomicBool::new(false));
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])
    .context("installing the signal handler")?;
    {
        let cancel = Arc::clone(&cancel);
        let kill_now = Arc::clone(&kill_now);
        std::thread::spawn(move || {
            for _ in signals.forever() {
                if cancel.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    kill_now.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
        });
    }
    let interactive = !work.quiet && std::io::stderr().is_terminal();
    let before = store.runs(&RunFilter {
        sweep_id: Some(sweep.id.clone()),
        statuses: vec![],
    })?;
    let retryable = before
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Pending | RunStatus::Interrupted))
        .count() as u64;
    let total = planned_total(&sweep, before.len() as u64, work.count).map(|n| n + retryable);
    let bar = if interactive {
        let bar = match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let template = if total.is_some() {
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg}"
        } else {
            "{spinner} {elapsed_precise} {pos} trials {msg}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };
    if interactive {
        bar.println(format!(
            "sweep {} · {} · {} worker(s)",
            sweep.id,
            sweep.spec.method.as_str(),
            work.workers
        ));
    } else {
        eprintln!("sweep {}", sweep.id);
    }
    let metric = sweep.spec.metric.clone();
    let tally = Mutex::new(Tally {
        done: 0,
        failed: 0,
        other: 0,
        running: 0,
        best: None,
    });
    let message = |t: &Tally| {
        let mut m = format!(
            "done {} · failed {} · running {}",
            t.done, t.failed, t.running
        );
        if t.other > 0 {
            m.push_str(&format!(" · other {}", t.other));
        }
        if let (Some(metric), Some((v, _))) = (&metric, &t.best) {
            m.push_str(&format!(" · best {} {}", metric.name, output::num(*v)));
        }
        m
    };
    let on_event = |event: Event| {
        let Ok(mut t) = tally.lock() else { return };
        match event {
            Event::Recovered { run_ids } => {
                let line = format!(
                    "marked {} run(s) of a stopped controller interrupted; they will be retried",
                    run_ids.len()
                );
                if interactive {
                    bar.println(line)
                } else {
                    eprintln!("{line}")
                }
            }
            Event::Started { .. } => t.running += 1,
            Event::Progress { .. } => {}
            Event::BadLine {
                run_id,
                source,
                line,
                message,
            } => {
                let text = format!("warning: run {run_id}: {source} line {line}: {message}");
                if interactive {
                    bar.println(text)
                } else {
                    eprintln!("{text}")
                }
            }
            Event::LostClaim { run_id, attempt } => {
                t.running = t.running.saturating_sub(1);
                let text = format!(
                    "warning: run {run_id} attempt {attempt}: this process lost its claim (lease expired); another controller owns it now"
                );
                if interactive {
                    bar.println(text)
                } else {
                    eprintln!("{text}")
                }
            }
            Event::TargetReached { run_id, value } => {
                let text = format!(
                    "target reached by run {run_id} ({}); no new trials will start",
                    output::num(value)
                );
                if interactive {
                    bar.println(text)
                } else {
                    eprintln!("{text}")
                }
            }
            Event::Finished { run } => {
                t.running = t.running.saturating_sub(1);
                match run.status {
                    RunStatus::Completed => t.done += 1,
                    RunStatus::Failed => {
                        t.failed += 1;
                        if interactive {
                            bar.println(format!(
                                "run {} failed: {}",
                                run.id,
                                run.reason.clone().unwrap_or_default()
                            ));
                        }
                    }
                    _ => t.other += 1,
                }
                if let Some(m) = &metric
                    && run.status == RunStatus::Completed
                    && let Some(v) = run.summary.get(&m.name).and_then(|s| s.best)
                    && t.best.as_ref().is_none_or(|(b, _)| m.goal.better(v, *b))
                {
                    t.best = Some((v, run.id.clone()));
                }
                bar.inc(1);
            }
        }
        bar.set_message(message(&t));
    };
    let opts = SweepOptions {
        workers: work.workers as usize,
        count: work.count,
        cwd: std::env::current_dir().context("reading the current directory")?,
        lease_secs: work.lease,
        kill_grace: Duration::try_from_secs_f64(work.kill_grace).unwrap_or(Duration::from_secs(5)),
        kill_now,
        trainers: trainers(),
        rerun,
    };
    let store_dyn: Arc<dyn Store> = store.clone();
    let report = run_sweep(store_dyn, &sweep, &opts, Arc::clone(&cancel), &on_event);
    bar.finish_and_clear();
    let report = report?;

    let runs = store.runs(&RunFilter {
        sweep_id: Some(sweep.id.clone()),
        statuses: vec![],
    })?;
    match seed_groups(store.as_ref(), &sweep, &runs)?.filter(|_| !work.runs) {
        Some(analysis) => {
            let mut out = std::io::stdout().lock();
            print_groups(&analysis, true, work.format, names, &mut out)?;
        }
        None => output::print_ranked(&sweep, &runs, work.format, names)?,
    }
    let count = |s: RunStatus| runs.iter().filter(|r| r.status == s).count();
    let stop = match report.stop {
        StopReason::Exhausted => "the search is exhausted",
        StopReason::RunCap => "run_cap reached",
        StopReason::Count => "--count reached",
        StopReason::Target => "metric target reached",
        StopReason::Cancelled => "interrupted",
        StopReason::Failing => "stopped: every trial so far failed; see `sweep ls --status failed`",
    };
    eprintln!(
        "sweep {}: {} trial(s) this time; {} completed, {} failed, {} pruned, {} interrupted in all ({stop})",
        sweep.id,
        report.trials,
        count(RunStatus::Completed),
        count(RunStatus::Failed),
        count(RunStatus::Pruned),
        count(RunStatus::Interrupted)
    );
    let finished = store
        .sweep(&sweep.id)
        .map(|s| s.status == SweepStatus::Finished)
        .unwrap_or(false);
    if report.stop == StopReason::Cancelled || (!finished && report.stop == StopReason::Count) {
        eprintln!("continue with: sweep resume {}", sweep.id);
    }
    Ok(if report.stop == StopReason::Cancelled {
        Outcome::Interrupted
    } else {
        Outcome::Ok
    })
}

/// How many trials this invocation expects to run, when that is known.
fn planned_total(sweep: &SweepRecord, existing: u64, count: Option<u64>) -> Option<u64> {
    let mut bound: Option<u64> = count;
    let mut cap = |b: u64| bound = Some(bound.map_or(b, |x| x.min(b)));
    if let Some(run_cap) = sweep.spec.run_cap {
        cap(run_cap.saturating_sub(existing));
    }
    if sweep.spec.method == sweep_core::Method::Grid
        && let Ok(size) = sweep_search::grid_size(&sweep.spec.parameters)
    {
        cap(u64::try_from(size)
            .unwrap_or(u64::MAX)
            .saturating_sub(existing));
    }
    bound
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sweep ids are pinned: an upgrade that changes them would stop `sweep run` from
    /// continuing the sweeps users already have.
    #[test]
    fn sweep_ids_are_pinned() {
        let specs = [
            "method: grid\nprogram: train.py\nparameters:\n  x: {values: [1, 2, 3]}\n",
            "method: bayes\nmetric: {name: val/loss, goal: minimize}\nprogram: train.py\n\
             parameters:\n  lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-1}\n\
             early_terminate: {type: hyperband, min_iter: 3}\n",
            "method: random\nseed: 7\ntrainer: text-classifier\nconfig:\n  data: {train: t.jsonl}\n\
             \x20 model: {kind: logistic_regression}\nparameters:\n  model.c: {values: [0.1, 1]}\n",
        ];
        let ids: Vec<String> = specs
            .iter()
            .map(|text| {
                let spec = sweep_config::parse_spec(
                    text,
                    "spec.yaml",
                    Path::new("."),
                    sweep_config::Mode::Run,
                )
                .unwrap_or_else(|e| panic!("{e}"));
                hash8(&canonical_spec(&spec))
            })
            .collect();
        assert_eq!(ids, ["192c8b32", "92c3d94b", "5bbd1b2b"]);
    }
}
