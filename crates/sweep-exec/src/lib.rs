//! The sweep loop: workers claim trials from the store, run them as subprocesses (W&B
//! command macros, never a shell), stream their metrics into the store, and stop cleanly on
//! cancellation. This is the only crate that spawns trial processes.

pub mod code;
mod command;
mod driver;
mod inprocess;
mod resources;
mod supervisor;
mod trial;

pub use command::{
    CommandContext, CommandError, arg_values, expand, format_value, interpreter_for,
};
pub use driver::{Claimer, observations};
pub use inprocess::check_configs;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use sweep_core::{
    CommandToken, Macro, Method, Params, Piece, RunStatus, Summary, SweepSpec, Trainers,
};
use sweep_store::{
    Claim, Owner, RunDir, RunKey, RunRecord, Store, StoreError, SweepRecord, SweepStatus,
};

/// Environment variables a trial receives.
pub mod env {
    pub const RUN_ID: &str = "SWEEP_RUN_ID";
    /// Which attempt of the run this is (1, then 2, … when an interrupted run is retried).
    pub const RUN_ATTEMPT: &str = "SWEEP_RUN_ATTEMPT";
    pub const RUN_DIR: &str = "SWEEP_RUN_DIR";
    pub const SWEEP_ID: &str = "SWEEP_SWEEP_ID";
    pub const CONFIG: &str = "SWEEP_CONFIG";
    pub const METRICS: &str = "SWEEP_METRICS";
}

/// Errors that stop the sweep loop (trial failures are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("this spec cannot be run: {0}")]
    NotRunnable(String),
    #[error("run {run}: {source}")]
    Command {
        run: String,
        #[source]
        source: CommandError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a worker thread panicked")]
    WorkerPanicked,
}

/// What the loop reports as it goes; the binary turns these into a progress display.
#[derive(Debug, Clone)]
pub enum Event {
    /// Runs left `running` by a dead controller were marked interrupted.
    Recovered {
        run_ids: Vec<String>,
    },
    Started {
        run_id: String,
        number: u64,
        params: Params,
        retried: bool,
    },
    /// New history arrived; the run's summary so far.
    Progress {
        run_id: String,
        summary: Summary,
    },
    /// A metric line could not be read (the run goes on).
    BadLine {
        run_id: String,
        source: String,
        line: u64,
        message: String,
    },
    Finished {
        run: Box<RunRecord>,
    },
    /// This process lost its claim on a run (its lease expired and another controller
    /// re-claimed it); the trial was stopped and the run left to its new owner.
    LostClaim {
        run_id: String,
        attempt: u32,
    },
    /// `metric.target` was reached: no new trials start.
    TargetReached {
        run_id: String,
        value: f64,
    },
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub workers: usize,
    /// At most this many trials in this process (`--count`).
    pub count: Option<u64>,
    /// Working directory of the trials (where `program` is resolved).
    pub cwd: PathBuf,
    pub lease_secs: f64,
    /// Time between SIGTERM and SIGKILL when a trial is stopped.
    pub kill_grace: Duration,
    /// Set (for example by a second Ctrl-C) to SIGKILL stopping trials without the grace.
    pub kill_now: Arc<AtomicBool>,
    /// The in-process trainers a spec's `trainer:` may name.
    pub trainers: Trainers,
    /// Run these params (again) instead of asking the search (`sweep rerun`).
    pub rerun: Option<Params>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            workers: 1,
            count: None,
            cwd: PathBuf::from("."),
            lease_secs: 60.0,
            kill_grace: Duration::from_secs(5),
            kill_now: Arc::new(AtomicBool::new(false)),
            trainers: Trainers::new(),
            rerun: None,
        }
    }
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Every trial of the search was handed out.
    Exhausted,
    /// `run_cap` runs exist.
    RunCap,
    /// `--count` trials ran in this process.
    Count,
    /// `metric.target` was reached.
    Target,
    /// Cancelled (Ctrl-C, SIGTERM).
    Cancelled,
    /// [`MAX_FAILURES_BEFORE_SUCCESS`] trials failed in a row and none completed.
    Failing,
}

/// What happened in this process.
#[derive(Debug, Clone)]
pub struct SweepReport {
    pub stop: StopReason,
    pub trials: u64,
    pub recovered: Vec<String>,
}

/// Checks what `sweep run` cannot do with this spec, with a message that says why.
pub fn check_runnable(spec: &SweepSpec, trainers: &Trainers) -> Result<(), ExecError> {
    if spec.method == Method::Bayes && spec.metric.is_none() {
        return Err(ExecError::NotRunnable(
            "`method: bayes` needs a `metric` to optimise".into(),
        ));
    }
    if let Some(trainer) = &spec.trainer {
        if trainers.get(trainer.kind.as_str()).is_none() {
            return Err(ExecError::NotRunnable(
                trainers.unknown(trainer.kind.as_str()),
            ));
        }
        return Ok(());
    }
    let uses_program = spec.command.as_ref().is_none_or(|c| {
        c.iter()
            .any(|t| t.uses(Macro::Program) || t.uses(Macro::Interpreter))
    });
    if uses_program && spec.program.is_none() {
        return Err(ExecError::NotRunnable(
            "the spec has no `program` (and its command needs one): add `program: path/to/train.py`, or a `command:` list".into(),
        ));
    }
    Ok(())
}

/// Every reason this spec cannot run here, all at once, for `sweep validate` and
/// `sweep run` alike: a bayes search without a metric, an unknown trainer, a missing program
/// (`cwd` is where trials run), a grid that cannot be enumerated, and trainer configs that
/// runs would fail with (relative data paths are read from `base_dir`). Empty when the spec
/// can run.
pub fn runnable_problems(
    spec: &SweepSpec,
    trainers: &Trainers,
    cwd: &std::path::Path,
    base_dir: &std::path::Path,
) -> Vec<String> {
    let mut problems = Vec::new();
    let reason = |e: ExecError| match e {
        ExecError::NotRunnable(m) => m,
        other => other.to_string(),
    };
    if let Err(e) = check_runnable(spec, trainers) {
        problems.push(reason(e));
    } else if let Err(e) = preflight(spec, cwd, base_dir) {
        problems.push(reason(e));
    }
    if spec.method == Method::Grid {
        if let Err(e) = sweep_search::grid_size(&spec.parameters) {
            problems.push(e.to_string());
        }
        for p in &spec.parameters {
            if let Err(e) = sweep_search::grid_values(p) {
                problems.push(e.to_string());
            }
        }
    }
    let configs = check_configs(spec, trainers, base_dir);
    if !configs.is_empty() {
        problems.push(format!(
            "the runs' configs are invalid for the trainer:\n  {}",
            configs.join("\n  ")
        ));
    }
    problems.dedup();
    problems
}

/// The host name recorded with each claim.
pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Whether the process `pid` on `host` is gone (only decidable for this host).
pub fn owner_is_dead(host: &str, pid: i64) -> bool {
    if host != host_name() || pid <= 0 || pid == std::process::id() as i64 {
        return false;
    }
    matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

/// Marks runs of dead controllers interrupted (so they are retried) and ends what is left
/// of their trials' processes.
fn recover(
    store: &dyn Store,
    sweep_id: &str,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Vec<String>, ExecError> {
    let recovered = store.recover_stale(Some(sweep_id), &owner_is_dead)?;
    let run_ids: Vec<String> = recovered.iter().map(|k| k.run_id.clone()).collect();
    if !recovered.is_empty() {
        kill_orphans(store, &recovered);
        on_event(Event::Recovered {
            run_ids: run_ids.clone(),
        });
    }
    Ok(run_ids)
}

/// Ends the processes still running for these attempts of runs: a trial's direct child
/// dies with its controller, but its own children may not. They are found by the
/// `SWEEP_RUN_ID`, `SWEEP_RUN_ATTEMPT` and `SWEEP_RUN_DIR` in their environment, so no
/// unrelated process is touched: not the trial of a retry that another agent may already
/// have started under the same run id, nor a trial of another store whose run has the same
/// id (ids are a second, the sweep's name and the config's hash: two stores running one spec
/// in the same second share them; seen as a test's trial killed by another test's
/// recovery).
pub fn kill_orphans(store: &dyn Store, attempts: &[sweep_store::RunKey]) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let needles: Vec<[Vec<u8>; 3]> = attempts
        .iter()
        .map(|k| {
            let dir = store.run_dir(&k.run_id);
            [
                format!("{}={}\0", env::RUN_ID, k.run_id).into_bytes(),
                format!("{}={}\0", env::RUN_ATTEMPT, k.attempt).into_bytes(),
                format!("{}={}\0", env::RUN_DIR, dir.path().to_string_lossy()).into_bytes(),
            ]
        })
        .collect();
    let has = |environ: &[u8], n: &[u8]| environ.windows(n.len()).any(|w| w == n);
    let me = std::process::id();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if needles
            .iter()
            .any(|needle| needle.iter().all(|n| has(&environ, n)))
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// How a command uses the spec's `program`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramRole {
    /// The command never names `${program}`.
    Unused,
    /// `${program}` is what runs (the first element after `${env}`, or after an
    /// `${interpreter}` that the program's extension leaves empty): it must be an
    /// executable file, named with a path (`./train`), since a bare name is looked up on
    /// `PATH`.
    Executed,
    /// `${interpreter}` runs it: it must be a file.
    Interpreted,
    /// Something else runs and is given the program as an argument (`python3 ${program}`,
    /// `torchrun ${program}`, `accelerate launch ${program}`): it must be a file, unless it
    /// follows `-m` (a module name).
    Argument { module: bool },
}

/// The role of `program` in `command` (W&B's default command when `None`).
pub fn program_role(command: Option<&[CommandToken]>, program: &str) -> ProgramRole {
    let default = CommandToken::default_command();
    let tokens = command.unwrap_or(&default);
    let is = |t: &CommandToken, m: Macro| matches!(t.pieces(), [Piece::Macro(x)] if *x == m);
    let Some(at) = tokens.iter().position(|t| t.uses(Macro::Program)) else {
        return ProgramRole::Unused;
    };
    let mut lead = tokens
        .iter()
        .enumerate()
        .skip_while(|(_, t)| is(t, Macro::Env));
    match lead.next() {
        Some((i, t)) if i == at && is(t, Macro::Program) => ProgramRole::Executed,
        Some((_, t)) if is(t, Macro::Interpreter) => {
            let next_is_program = lead
                .next()
                .is_some_and(|(i, t)| i == at && is(t, Macro::Program));
            if interpreter_for(program).is_empty() && next_is_program {
                ProgramRole::Executed
            } else {
                ProgramRole::Interpreted
            }
        }
        _ => ProgramRole::Argument {
            module: at > 0 && tokens[at - 1].as_str() == "-m",
        },
    }
}

/// Where the spec's `program` is, by Sweep's one path rule: every relative path in a spec
/// is found from the spec's directory, except `program`, which keeps W&B's meaning and is
/// found first from the directory where sweep runs (`cwd`, where trials run), then from
/// the spec's directory (`spec_dir`), so a spec runs from anywhere.
///
/// Returns the text `${program}` expands to: the program as written when it is found where
/// sweep runs (or is absolute, or is a module name after `-m`, or the command does not use
/// it), else its path beside the spec. `Err` names both places looked at.
pub fn locate_program(
    spec: &SweepSpec,
    cwd: &std::path::Path,
    spec_dir: &std::path::Path,
) -> Result<Option<String>, ExecError> {
    let Some(program) = spec.program.as_deref() else {
        return Ok(None);
    };
    let role = program_role(spec.command.as_deref(), program);
    let must_exist = match role {
        ProgramRole::Unused | ProgramRole::Argument { module: true } => false,
        ProgramRole::Executed
        | ProgramRole::Interpreted
        | ProgramRole::Argument { module: false } => true,
    };
    let here = cwd.join(program);
    if !must_exist || here.is_file() {
        return Ok(Some(program.to_string()));
    }
    let beside = spec_dir.join(program);
    if beside.is_file() {
        let absolute = if beside.is_absolute() {
            beside
        } else {
            cwd.join(beside)
        };
        return Ok(Some(absolute.to_string_lossy().into_owned()));
    }
    Err(ExecError::NotRunnable(format!(
        "the program `{program}` does not exist: looked where sweep runs ({}, W&B's rule) and beside the spec ({})",
        here.display(),
        beside.display()
    )))
}

/// Checks what would make every trial fail the same way (a missing program, one that is
/// executed but is not executable or is a bare name `PATH` would be searched for), before
/// any trial starts; `cwd` is where trials run, `spec_dir` the spec's directory (see
/// [`locate_program`]).
pub fn preflight(
    spec: &SweepSpec,
    cwd: &std::path::Path,
    spec_dir: &std::path::Path,
) -> Result<(), ExecError> {
    if spec.trainer.is_some() {
        return Ok(());
    }
    let (Some(program), Some(located)) = (
        spec.program.as_deref(),
        locate_program(spec, cwd, spec_dir)?,
    ) else {
        return Ok(());
    };
    if program_role(spec.command.as_deref(), program) == ProgramRole::Executed {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cwd.join(&located))
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        if mode & 0o111 == 0 {
            return Err(ExecError::NotRunnable(format!(
                "the program `{program}` is executed directly (it is the command's first element) but is not executable: `chmod +x {located}`, or run it with an interpreter (`command: [\"${{env}}\", python3, \"${{program}}\", \"${{args}}\"]`)"
            )));
        }
        if !located.contains('/') {
            return Err(ExecError::NotRunnable(format!(
                "the program `{program}` is executed directly, and a bare name is looked up on PATH, not in the directory where sweep runs: write `program: ./{program}`"
            )));
        }
    }
    Ok(())
}

/// How many trials in a row may fail, before any completes in this process, before the
/// sweep stops: the same mistake would otherwise fail every run of an endless search.
pub const MAX_FAILURES_BEFORE_SUCCESS: u64 = 10;

/// Runs a sweep until its search is exhausted, `run_cap` or `--count` is reached, the target
/// is reached, or `cancel` is set. Runs left by a dead controller are first marked
/// interrupted; interrupted runs are retried before new ones are created.
pub fn run_sweep(
    store: Arc<dyn Store>,
    sweep: &SweepRecord,
    opts: &SweepOptions,
    cancel: Arc<AtomicBool>,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<SweepReport, ExecError> {
    check_runnable(&sweep.spec, &opts.trainers)?;
    preflight(&sweep.spec, &opts.cwd, &spec_dir(sweep, &opts.cwd))?;
    let recovered = recover(store.as_ref(), &sweep.id, on_event)?;
    let shared = Shared {
        store,
        sweep,
        opts,
        cancel,
        stop: AtomicBool::new(false),
        started: AtomicU64::new(0),
        prune: PruneBoard::default(),
        failed_in_a_row: AtomicU64::new(0),
        succeeded: AtomicBool::new(false),
        reason: Mutex::new(None),
        owner: Owner {
            host: host_name(),
            pid: std::process::id() as i64,
            lease_secs: opts.lease_secs,
        },
        claimer: driver::Claimer::new(),
        code: program_code(&sweep.spec, &opts.cwd, &spec_dir(sweep, &opts.cwd)),
    };
    let workers_done = AtomicBool::new(false);
    let results: Vec<Result<(), ExecError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..opts.workers.max(1))
            .map(|_| s.spawn(|| worker(&shared, on_event)))
            .collect();
        if let (Some(et), Some(metric)) = (&sweep.spec.early_terminate, &sweep.spec.metric) {
            s.spawn(|| pruner(&shared, et, metric, &workers_done));
        }
        let results = handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(ExecError::WorkerPanicked)))
            .collect();
        workers_done.store(true, Ordering::SeqCst);
        results
    });
    for r in results {
        r?;
    }
    let stop = if shared.cancel.load(Ordering::SeqCst) {
        StopReason::Cancelled
    } else {
        shared
            .reason
            .lock()
            .map(|r| r.unwrap_or(StopReason::Exhausted))
            .unwrap_or(StopReason::Exhausted)
    };
    if matches!(
        stop,
        StopReason::Exhausted | StopReason::RunCap | StopReason::Target
    ) {
        shared
            .store
            .set_sweep_status(&sweep.id, SweepStatus::Finished)?;
    }
    Ok(SweepReport {
        stop,
        trials: shared.started.load(Ordering::SeqCst),
        recovered,
    })
}

/// Early-termination decisions waiting for the worker that runs the trial.
#[derive(Default)]
pub struct PruneBoard {
    requests: Mutex<std::collections::HashMap<String, String>>,
    /// Runs executing in this process (only those are stopped by it).
    active: Mutex<std::collections::HashSet<String>>,
}

impl PruneBoard {
    /// Asks for a run of this process to be stopped, with the reason to record.
    pub fn request(&self, run_id: &str, reason: String) {
        let active = self
            .active
            .lock()
            .map(|a| a.contains(run_id))
            .unwrap_or(false);
        if active && let Ok(mut r) = self.requests.lock() {
            r.entry(run_id.to_string()).or_insert(reason);
        }
    }

    /// The pending request for a run, if any (taken once).
    pub fn take(&self, run_id: &str) -> Option<String> {
        self.requests.lock().ok().and_then(|mut r| r.remove(run_id))
    }

    fn start(&self, run_id: &str) {
        if let Ok(mut a) = self.active.lock() {
            a.insert(run_id.to_string());
        }
    }

    fn end(&self, run_id: &str) {
        if let Ok(mut a) = self.active.lock() {
            a.remove(run_id);
        }
        let _ = self.take(run_id);
    }
}

/// Evaluates the sweep's early-termination rule over every run of the sweep, twice a
/// second, and asks this process's workers to stop the runs it condemns.
fn pruner(
    sh: &Shared<'_>,
    et: &sweep_core::EarlyTerminate,
    metric: &sweep_core::MetricSpec,
    done: &AtomicBool,
) {
    while !done.load(Ordering::SeqCst) && !sh.cancel.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(500));
        let Ok(histories) = sh.store.metric_histories(&sh.sweep.id, &metric.name) else {
            continue;
        };
        let views: Vec<sweep_search::RunView> = histories
            .iter()
            .map(|h| sweep_search::RunView {
                name: &h.run_id,
                running: h.status == RunStatus::Running,
                history: &h.values,
            })
            .collect();
        for d in sweep_search::prune(et, metric.goal, &views) {
            let bands: Vec<String> = d.bands.iter().map(|b| b.to_string()).collect();
            let reason = format!(
                "pruned by {} at iteration {}: {} = {} is worse than the threshold {} (bands [{}])",
                d.rule,
                d.iteration,
                metric.name,
                d.value,
                d.threshold,
                bands.join(", ")
            );
            sh.prune.request(&d.name, reason);
        }
    }
}

struct Shared<'a> {
    store: Arc<dyn Store>,
    /// Early-termination requests for this process's trials.
    prune: PruneBoard,
    sweep: &'a SweepRecord,
    opts: &'a SweepOptions,
    cancel: Arc<AtomicBool>,
    /// Set when no new trial may start (count, target, exhaustion).
    stop: AtomicBool,
    started: AtomicU64,
    /// Failed trials since the last completed one, and whether any completed.
    failed_in_a_row: AtomicU64,
    succeeded: AtomicBool,
    reason: Mutex<Option<StopReason>>,
    owner: Owner,
    claimer: driver::Claimer,
    /// The code external trials run, captured once ([`code`]).
    code: Option<code::CodeState>,
}

/// The state of an external program's code, for sweeps that run one.
fn program_code(
    spec: &SweepSpec,
    cwd: &std::path::Path,
    spec_dir: &std::path::Path,
) -> Option<code::CodeState> {
    if spec.trainer.is_some() {
        return None;
    }
    let program = locate_program(spec, cwd, spec_dir).ok().flatten()?;
    let template = spec
        .command
        .clone()
        .unwrap_or_else(CommandToken::default_command);
    let is = |t: &CommandToken, m: Macro| matches!(t.pieces(), [Piece::Macro(x)] if *x == m);
    let launcher = template.iter().find(|t| !is(t, Macro::Env)).and_then(|t| {
        if is(t, Macro::Interpreter) {
            interpreter_for(&program).into_iter().next()
        } else if t.uses(Macro::Program) {
            None
        } else {
            Some(t.as_str().to_string())
        }
    });
    Some(code::capture(&program, cwd, launcher.as_deref()))
}

impl Shared<'_> {
    fn halt(&self, reason: StopReason) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(mut r) = self.reason.lock() {
            r.get_or_insert(reason);
        }
    }

    fn should_stop(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.cancel.load(Ordering::SeqCst)
    }
}

fn worker(sh: &Shared<'_>, on_event: &(dyn Fn(Event) + Sync)) -> Result<(), ExecError> {
    let spec = &sh.sweep.spec;
    loop {
        if sh.should_stop() {
            return Ok(());
        }
        // Reserve a slot under --count before claiming.
        let slot = sh.started.fetch_add(1, Ordering::SeqCst);
        if sh.opts.count.is_some_and(|c| slot >= c) {
            sh.started.fetch_sub(1, Ordering::SeqCst);
            sh.halt(StopReason::Count);
            return Ok(());
        }
        let claim = sh.claimer.claim(
            sh.store.as_ref(),
            sh.sweep,
            &sh.owner,
            sh.opts.rerun.as_ref(),
        )?;
        let (run, retried) = match claim {
            Claim::Claimed { run, retried } => (*run, retried),
            Claim::Exhausted | Claim::CapReached => {
                sh.started.fetch_sub(1, Ordering::SeqCst);
                // A peer that died may have left runs to retry.
                if !recover(sh.store.as_ref(), &sh.sweep.id, on_event)?.is_empty() {
                    continue;
                }
                sh.halt(if matches!(claim, Claim::CapReached) {
                    StopReason::RunCap
                } else {
                    StopReason::Exhausted
                });
                return Ok(());
            }
        };
        on_event(Event::Started {
            run_id: run.id.clone(),
            number: run.number,
            params: run.params.clone(),
            retried,
        });
        sh.prune.start(&run.id);
        let result = execute(sh, &run, retried, on_event);
        sh.prune.end(&run.id);
        let finished = match result {
            Ok(finished) => finished,
            // Another controller took this run over (our lease expired): it is theirs now.
            Err(ExecError::Store(StoreError::Fenced { run, attempt })) => {
                on_event(Event::LostClaim {
                    run_id: run,
                    attempt,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let best = spec.metric.as_ref().and_then(|m| {
            let target = m.target?;
            let best = finished.summary.get(&m.name)?.best?;
            (m.goal.reaches(best, target) && finished.status == RunStatus::Completed)
                .then_some(best)
        });
        if let Some(value) = best {
            sh.halt(StopReason::Target);
            on_event(Event::TargetReached {
                run_id: finished.id.clone(),
                value,
            });
        }
        match finished.status {
            RunStatus::Completed => {
                sh.succeeded.store(true, Ordering::SeqCst);
                sh.failed_in_a_row.store(0, Ordering::SeqCst);
            }
            RunStatus::Failed => {
                let failed = sh.failed_in_a_row.fetch_add(1, Ordering::SeqCst) + 1;
                if failed >= MAX_FAILURES_BEFORE_SUCCESS && !sh.succeeded.load(Ordering::SeqCst) {
                    sh.halt(StopReason::Failing);
                }
            }
            _ => {}
        }
        on_event(Event::Finished {
            run: Box::new(finished),
        });
    }
}

/// Prepares the run directory, runs the trial and records its end.
fn execute(
    sh: &Shared<'_>,
    run: &RunRecord,
    retried: bool,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<RunRecord, ExecError> {
    let spec = &sh.sweep.spec;
    let dir = sh.store.run_dir(&run.id);
    let io = |path: PathBuf| move |source| ExecError::Io { path, source };
    dir.prepare(if retried {
        run.attempt.saturating_sub(1)
    } else {
        0
    })
    .map_err(io(dir.path().to_path_buf()))?;
    // `config.json`: the config as the run uses it (a trainer's, defaults written).
    let trainer = match &spec.trainer {
        Some(t) => match sh.opts.trainers.get(t.kind.as_str()) {
            Some(trainer) => Some(trainer),
            None => {
                return Err(ExecError::NotRunnable(
                    sh.opts.trainers.unknown(t.kind.as_str()),
                ));
            }
        },
        None => None,
    };
    let saved = trainer
        .and_then(|t| t.resolved_config(&run.config, &data_base_dir(sh)))
        .unwrap_or_else(|| run.config.clone());
    let config_text = serde_json::to_string_pretty(&saved).unwrap_or_else(|_| "{}".into());
    std::fs::write(dir.config(), config_text).map_err(io(dir.config()))?;
    let sup = supervisor::Supervision {
        key: &RunKey::of(run),
        metric: spec.metric.as_ref(),
        lease_secs: sh.opts.lease_secs,
        timeout: spec
            .timeout_secs
            .and_then(|t| Duration::try_from_secs_f64(t).ok()),
        kill_grace: sh.opts.kill_grace,
        kill_now: &sh.opts.kill_now,
        cancel: &sh.cancel,
        prune: &sh.prune,
    };
    let started = std::time::Instant::now();
    if let Some(trainer) = trainer {
        let (outcome, usage) = inprocess::run_in_process(
            sh.store.as_ref(),
            trainer.as_ref(),
            &run.config,
            &data_base_dir(sh),
            &dir,
            &sup,
            on_event,
        )?;
        record_resources(sh, run, started, usage)?;
        return finish(sh, run, &dir, &outcome);
    }
    if let Some(state) = &sh.code {
        code::write(state, dir.path()).map_err(io(dir.path().to_path_buf()))?;
    }
    let template = spec
        .command
        .clone()
        .unwrap_or_else(CommandToken::default_command);
    if template.iter().any(|t| t.uses(Macro::ArgsJsonFile)) {
        let args = arg_values(&run.params, &spec.parameters);
        let args_text = serde_json::to_string_pretty(&args).unwrap_or_else(|_| "{}".into());
        std::fs::write(dir.args_json(), &args_text).map_err(io(dir.args_json()))?;
    }
    let args_file = dir.args_json().to_string_lossy().into_owned();
    let env_lookup = |k: &str| std::env::var(k).ok();
    let program = locate_program(spec, &sh.opts.cwd, &data_base_dir(sh))
        .ok()
        .flatten();
    let ctx = CommandContext {
        program: program.as_deref(),
        params: &run.params,
        param_specs: &spec.parameters,
        args_json_file: &args_file,
        env: &env_lookup,
    };
    let argv = match expand(&template, &ctx) {
        Ok(argv) => argv,
        Err(source) => {
            // A command that cannot be built fails this run with the reason, as data.
            let outcome = sweep_store::RunOutcome {
                status: RunStatus::Failed,
                exit_code: None,
                reason: Some(source.to_string()),
                stderr_tail: None,
            };
            return finish(sh, run, &dir, &outcome);
        }
    };
    let path_str = |p: PathBuf| p.to_string_lossy().into_owned();
    let env = vec![
        (env::RUN_ID.to_string(), run.id.clone()),
        (env::RUN_ATTEMPT.to_string(), run.attempt.to_string()),
        (env::RUN_DIR.to_string(), path_str(dir.path().to_path_buf())),
        (env::SWEEP_ID.to_string(), sh.sweep.id.clone()),
        (env::CONFIG.to_string(), path_str(dir.config())),
        (env::METRICS.to_string(), path_str(dir.metrics())),
    ];
    let plan = trial::Subprocess {
        argv,
        env,
        cwd: &sh.opts.cwd,
        dir: &dir,
    };
    let (outcome, usage) = trial::run_subprocess(sh.store.as_ref(), &plan, &sup, on_event)?;
    record_resources(sh, run, started, usage)?;
    finish(sh, run, &dir, &outcome)
}

/// Appends the trial's `resources/…` record (wall time from `started`, and what `usage`
/// measured) to its history, before it is finished.
fn record_resources(
    sh: &Shared<'_>,
    run: &RunRecord,
    started: std::time::Instant,
    usage: Option<resources::Usage>,
) -> Result<(), ExecError> {
    let record = resources::record(started.elapsed().as_secs_f64(), usage);
    sh.store
        .append_history(&RunKey::of(run), &[record], sh.sweep.spec.metric.as_ref())?;
    Ok(())
}

/// Records how a run ended, then leaves its summary and history in its directory.
fn finish(
    sh: &Shared<'_>,
    run: &RunRecord,
    dir: &RunDir,
    outcome: &sweep_store::RunOutcome,
) -> Result<RunRecord, ExecError> {
    let record = sh.store.finish_run(&RunKey::of(run), outcome)?;
    let history = if record.history_len > 0 {
        sh.store.history(&record.id)?
    } else {
        Vec::new()
    };
    dir.write_ending(&record, &history)
        .map_err(|source| ExecError::Io {
            path: dir.path().to_path_buf(),
            source,
        })?;
    Ok(record)
}

/// Relative data paths of a trainer's config are read from the spec file's directory (the
/// working directory when the sweep has no spec file).
fn data_base_dir(sh: &Shared<'_>) -> PathBuf {
    spec_dir(sh.sweep, &sh.opts.cwd)
}

/// The directory of the sweep's spec file (relative paths in the spec are found from
/// there), or `cwd` for a sweep created without one.
fn spec_dir(sweep: &SweepRecord, cwd: &std::path::Path) -> PathBuf {
    sweep
        .spec_path
        .as_deref()
        .map(|p| cwd.join(p))
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| cwd.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(command: &[&str], program: &str) -> ProgramRole {
        let tokens: Vec<CommandToken> = command
            .iter()
            .map(|t| t.parse().unwrap_or_else(|e| panic!("{t}: {e}")))
            .collect();
        let command = (!command.is_empty()).then_some(&tokens[..]);
        program_role(command, program)
    }

    #[test]
    fn the_program_is_executed_only_when_it_comes_first() {
        use ProgramRole::*;
        // W&B's default: the interpreter runs a known extension, else the program runs.
        assert_eq!(role(&[], "train.py"), Interpreted);
        assert_eq!(role(&[], "./train"), Executed);
        assert_eq!(
            role(&["${env}", "${program}", "${args}"], "train.py"),
            Executed
        );
        assert_eq!(role(&["${program}"], "train.py"), Executed);
        // W&B's documented form and the launchers: the program is an argument.
        let documented = ["${env}", "python3", "${program}", "${args}"];
        assert_eq!(role(&documented, "train.py"), Argument { module: false });
        assert_eq!(
            role(
                &["accelerate", "launch", "${program}", "${args}"],
                "train.py"
            ),
            Argument { module: false }
        );
        assert_eq!(
            role(&["${env}", "python", "-m", "${program}"], "pkg.train"),
            Argument { module: true }
        );
        assert_eq!(
            role(&["${env}", "${interpreter}", "${program}"], "train.sh"),
            Interpreted
        );
        assert_eq!(role(&["python3", "train.py", "${args}"], "x.py"), Unused);
    }

    /// Recovery ends only its own store's orphans: a process of another store's run with
    /// the same id and attempt (the same spec started in the same second) is left alone.
    #[test]
    fn orphans_are_matched_by_their_run_directory_too() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let store_a = sweep_store::SqliteStore::open(a.path()).unwrap();
        let store_b = sweep_store::SqliteStore::open(b.path()).unwrap();
        let key = RunKey {
            run_id: "20261206_220259_spec_5041bf1f".into(),
            attempt: 1,
        };
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env(env::RUN_ID, &key.run_id)
            .env(env::RUN_ATTEMPT, "1")
            .env(env::RUN_DIR, store_a.run_dir(&key.run_id).path())
            .spawn()
            .unwrap();
        // `environ` is readable once the child has exec'd.
        std::thread::sleep(std::time::Duration::from_millis(200));
        kill_orphans(&store_b, std::slice::from_ref(&key));
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            child.try_wait().unwrap().is_none(),
            "another store's trial lives"
        );
        // Its own store's orphan is killed (tried again while the machine is slow to exec).
        let start = std::time::Instant::now();
        let status = loop {
            kill_orphans(&store_a, std::slice::from_ref(&key));
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed().as_secs() < 10, "the orphan was not killed");
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        assert!(!status.success(), "{status:?}");
    }
}
