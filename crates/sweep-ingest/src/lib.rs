//! Readers of foreign run logs: runs written by other tools (or by Sweep itself, copied
//! elsewhere) read into one shape, [`ForeignRun`], so that they can be compared and
//! imported as Sweep runs.
//!
//! [`scan`] walks files and directory trees in parallel. A directory is checked against the
//! rules below in this order; a directory recognised as a run is one run and is not
//! searched further, any other directory gives its `*.jsonl` files and is searched below.
//! Directory symlinks are never followed (the paths given to [`scan`] themselves are), and
//! `.trash` directories are skipped.
//!
//! | Format | Detected by | What is read |
//! |---|---|---|
//! | [`Format::Sweep`] | a directory with `config.json` and `history.jsonl` or `metrics.jsonl` | config from `config.json`; history from `history.jsonl`, else `metrics.jsonl` (lines read by [`sweep_core::parse_metric_line`]); status from `summary.json` (`status`), else completed when `history.jsonl` exists (written when a run ends), else interrupted |
//! | [`Format::Wandb`] | a directory named `run-<date>-<id>` or `offline-run-<date>-<id>` with a `files/` directory or a `.wandb` file | config from `files/config.yaml` (each key's `value`; `_wandb*` keys and `wandb_version` dropped), else from the log's run and config records; the history from the binary log `run-<id>.wandb` (`wandb_log`: checksummed LevelDB-style chunks of protobuf records), one record per `log` call with its numeric items (nested items as `a.b`, `_step` from the record's step), else one record from `files/wandb-summary.json` (its numeric fields, `_`-prefixed ones dropped except `_step` and `_runtime`); `started_at` from the log's run record, else the summary's `_timestamp` less `_runtime`; status from the log's exit record (0 completed, else failed), else completed when the summary exists, else interrupted. A log cut off mid-write keeps every record before the cut and is reported as a problem. |
//! | [`Format::Lightning`] | a directory with `metrics.csv` (PyTorch Lightning's `CSVLogger`), or a `version_<n>` directory with `hparams.yaml` | config from `hparams.yaml` (`{}` when absent); one history record per CSV row with its non-empty numeric cells, the `step` column as `_step`; always completed (the logger records no status) |
//! | [`Format::Mlflow`] | a directory with a `metrics/`, `params/` or `tags/` directory and a `meta.yaml` in it or in its parent (an `mlruns/<experiment_id>/<run_id>` directory) | status, `start_time`/`end_time` (ms) and `run_name` from the run's `meta.yaml`; the experiment name from the experiment's `meta.yaml`; params (flat keys, `/` for sub-directories; JSON numbers and booleans typed, other values strings), user tags as `key=value` (`mlflow.runName` names the run when `meta.yaml` does not), metric files (`timestamp value step` lines) merged into one history record per step, in step order. Runs whose `lifecycle_stage` is `deleted` are skipped. |
//! | [`Format::SeedLog`] | a `.jsonl` file whose first line is `{"type": "dict_config", "value": {…}}` (the seed log analyzer's format) | the config from that first line; each `{"title": "agg_<split>", "data_name": <split>, "agg_stats": {…}}` line as a record `{"<split>/<name>": value, …, "epoch": k}` (k counting that split's lines from 0); a `Training time H:MM:SS` message (`{"type": "str", "value": …}`) in the last 10 lines makes the run completed and is kept as the tag `training_time=H:MM:SS`, without it the run is interrupted |
//! | [`Format::Jsonl`] | any other `.jsonl` file | the config from a first line `{"config": {…}}`, else from a sibling `config.json`/`config.yaml`/`config.yml`, else `{}`; every other line's numeric top-level fields as a history record, with `_step` from `_step` or `step`; always completed |
//!
//! Numbers may be Python's `NaN`/`Infinity`/`-Infinity` (bare or as strings). Nothing in
//! the input stops a scan or panics: a malformed file or line becomes a [`Problem`] (with
//! its line where there is one) and the rest is read; a last line cut off mid-write (no
//! final newline, not parseable) is dropped silently. A run that cannot be read at all
//! (an unreadable log, an MLflow run without `meta.yaml`) is counted in [`Scan::failed`].

mod fastline;
mod jsonl;
mod lightning;
mod mlflow;
mod sweep_dir;
mod text;
mod walk;
mod wandb;
mod wandb_log;

use rayon::prelude::*;
use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use sweep_core::{History, RunStatus};
use walk::Unit;

/// A format of run logs [`scan`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// A Sweep run directory (`config.json`, `metrics.jsonl`, `history.jsonl`, `summary.json`).
    Sweep,
    /// A generic JSON-lines log: one JSON object of metrics per line.
    Jsonl,
    /// The seed log analyzer's JSON-lines log (`dict_config`, messages, `agg_<split>` stats).
    SeedLog,
    /// An MLflow file-store run (`mlruns/<experiment_id>/<run_id>/`).
    Mlflow,
    /// A PyTorch Lightning `CSVLogger` version directory (`metrics.csv`, `hparams.yaml`).
    Lightning,
    /// A W&B local run directory (`wandb/run-<date>-<id>/`).
    Wandb,
}

impl Format {
    /// Every format, in detection-table order of [`Format`]'s variants.
    pub const ALL: [Format; 6] = [
        Format::Sweep,
        Format::Jsonl,
        Format::SeedLog,
        Format::Mlflow,
        Format::Lightning,
        Format::Wandb,
    ];

    /// The format's name: `sweep`, `jsonl`, `seed-log`, `mlflow`, `lightning` or `wandb`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Sweep => "sweep",
            Format::Jsonl => "jsonl",
            Format::SeedLog => "seed-log",
            Format::Mlflow => "mlflow",
            Format::Lightning => "lightning",
            Format::Wandb => "wandb",
        }
    }
}

impl fmt::Display for Format {
    /// Writes [`Format::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// Reads a format's [`name`](Format::name), ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown run log format `{s}` (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// One run read from a foreign log.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignRun {
    /// Stable identity: `<format>:<canonical absolute path of the run's file or directory>`; ingesting the same files twice gives the same origins.
    pub origin: String,
    /// The format the run was read from.
    pub format: Format,
    /// The sweep it goes to: MLflow's experiment name (from its meta.yaml), else the name of the directory holding the run's directory/file.
    pub experiment: String,
    /// The run's own name when the source has one (MLflow run_name tag, W&B run id, directory name).
    pub name: Option<String>,
    /// The config, an object (nested where the source nests it; MLflow params are flat keys, dotted as written).
    pub config: serde_json::Value,
    /// Metric records in order; a record is `{metric: value}` (numbers only, NaN allowed), with `_step` when the source has steps.
    pub history: History,
    /// Completed, Failed, Running (never closed), Interrupted (killed or cut off); a Sweep run directory may also say Pruned or Pending.
    pub status: RunStatus,
    /// When the run started, in unix seconds, when the source says.
    pub started_at: Option<f64>,
    /// When the run ended, in unix seconds, when the source says.
    pub ended_at: Option<f64>,
    /// Labels of the run (`key=value` for MLflow user tags, `training_time=…` for seed logs), sorted, each once.
    pub tags: Vec<String>,
}

/// Something in the input that could not be read: a file, or one line of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file or directory.
    pub path: PathBuf,
    /// The 1-based line, when the problem is on one line.
    pub line: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    /// `path:line: reason`, or `path: reason` without a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.reason),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

/// What [`scan`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    /// The runs read, sorted by origin, each once.
    pub runs: Vec<ForeignRun>,
    /// Every problem, sorted by path then line.
    pub problems: Vec<Problem>,
    /// Runs that could not be read at all (their problems say why).
    pub failed: usize,
}

/// Walks the paths (files or directory trees) in parallel (rayon), detecting each run's format (or only `format`), reading every run it finds. A malformed file or line never stops the scan: it becomes a Problem (with its line where there is one) and the rest is read.
///
/// With `format`, runs of other formats are neither read nor reported (detection still
/// decides what a directory is, so a Sweep run directory's `metrics.jsonl` is never read
/// as a JSONL log). A path that does not exist, or a file of no known format given
/// directly, is a problem. Runs reached through overlapping paths are read once.
pub fn scan(paths: &[PathBuf], format: Option<Format>) -> Scan {
    let mut runs = Vec::new();
    let summary = scan_each(paths, format, &HashSet::new(), &mut |run| runs.push(run));
    runs.sort_by(|a: &ForeignRun, b: &ForeignRun| a.origin.cmp(&b.origin));
    runs.dedup_by(|a, b| a.origin == b.origin);
    Scan {
        runs,
        problems: summary.problems,
        failed: summary.failed,
    }
}

/// What [`scan_each`] found besides the runs it handed over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanSummary {
    /// Every problem, sorted by path then line.
    pub problems: Vec<Problem>,
    /// Runs that could not be read at all.
    pub failed: usize,
    /// Runs not read because their origin was among the `known` ones.
    pub known: usize,
}

/// How many runs are read in parallel before they are handed over, in order.
const BATCH: usize = 64;

/// [`scan`], handing each run to `on_run` as soon as its batch is read, in origin order,
/// so that memory holds a few batches of runs rather than all of them (a corpus of 10,000
/// runs of 1,000 records is gigabytes). The next batch is read on other threads while
/// `on_run` takes the last one, so a caller that stores runs overlaps with the reading.
///
/// A run whose origin is in `known` (already in the store) is not read at all, so that
/// ingesting the same files again costs a directory walk.
pub fn scan_each(
    paths: &[PathBuf],
    format: Option<Format>,
    known: &HashSet<String>,
    on_run: &mut dyn FnMut(ForeignRun),
) -> ScanSummary {
    let walked: Vec<(Vec<Unit>, Vec<Problem>)> =
        paths.par_iter().map(|p| walk::walk_root(p)).collect();
    let mut units = Vec::new();
    let mut problems = Vec::new();
    for (mut u, mut p) in walked {
        units.append(&mut u);
        problems.append(&mut p);
    }
    // The same run reached twice (overlapping paths) is read once.
    let mut keyed: Vec<(PathBuf, Unit)> = units
        .into_iter()
        .filter(|u| format.is_none_or(|f| u.may_be(f)))
        .map(|u| (text::canonical(unit_path(&u)), u))
        .collect();
    keyed.sort();
    keyed.dedup_by(|a, b| a.0 == b.0);
    let before = keyed.len();
    if !known.is_empty() {
        keyed.retain(|(path, unit)| {
            !Format::ALL
                .iter()
                .filter(|f| unit.may_be(**f))
                .any(|f| known.contains(&text::origin_of_canonical(*f, path)))
        });
    }

    let mut summary = ScanSummary {
        known: before - keyed.len(),
        ..ScanSummary::default()
    };
    // Two batches in flight: one being read, one waiting for `on_run`.
    let (send, receive) = std::sync::mpsc::sync_channel::<text::Outcome>(2 * BATCH);
    std::thread::scope(|scope| {
        let keyed = &keyed;
        scope.spawn(move || {
            for batch in keyed.chunks(BATCH) {
                let mut outcomes: Vec<text::Outcome> = batch
                    .par_iter()
                    .map(|(_, unit)| read_unit(unit, format))
                    .collect();
                outcomes.sort_by(|a, b| {
                    let origin = |o: &text::Outcome| o.run.as_ref().map(|r| r.origin.clone());
                    origin(a).cmp(&origin(b))
                });
                for outcome in outcomes {
                    if send.send(outcome).is_err() {
                        return;
                    }
                }
            }
        });
        for outcome in receive {
            problems.extend(outcome.problems);
            summary.failed += usize::from(outcome.failed);
            if let Some(run) = outcome.run {
                on_run(run);
            }
        }
    });
    problems.sort_by(|a, b| (&a.path, a.line, &a.reason).cmp(&(&b.path, b.line, &b.reason)));
    problems.dedup();
    summary.problems = problems;
    summary
}

fn unit_path(unit: &Unit) -> &std::path::Path {
    match unit {
        Unit::Sweep(p)
        | Unit::JsonlFile(p)
        | Unit::Mlflow(p)
        | Unit::Lightning(p)
        | Unit::Wandb(p) => p,
    }
}

fn read_unit(unit: &Unit, format: Option<Format>) -> text::Outcome {
    match unit {
        Unit::Sweep(dir) => sweep_dir::read(dir),
        Unit::JsonlFile(file) => jsonl::read(file, format),
        Unit::Mlflow(dir) => mlflow::read(dir),
        Unit::Lightning(dir) => lightning::read(dir),
        Unit::Wandb(dir) => wandb::read(dir),
    }
}
