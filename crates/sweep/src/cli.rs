//! The command line's shape: every command, its arguments and the argument types they
//! share. Nothing here runs anything.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use sweep_core::RunStatus;

/// Define, run, record and compare ML hyperparameter sweeps.
#[derive(Debug, Parser)]
#[command(name = "sweep", version, about, propagate_version = true)]
pub struct Cli {
    /// The store: a directory (SQLite database and run directories), or a PostgreSQL URL
    /// (`postgres://user@host/db`) that agents on many machines share.
    #[arg(long, global = true, env = "SWEEP_STORE", default_value = ".sweep")]
    pub store: String,
    /// With a PostgreSQL store: where run directories live (a filesystem every agent sees);
    /// recorded in the database, so later agents need not repeat it. Default: the
    /// recorded one, else `./sweep-runs`.
    #[arg(long, global = true, env = "SWEEP_RUNS_DIR")]
    pub runs_dir: Option<PathBuf>,
    /// Display names for config keys and values in tables (YAML: `keys: {optim.lr: LR}`,
    /// `values: {model.weights: {null: random}}`; default: `names.yaml` in the store).
    #[arg(long, global = true, env = "SWEEP_NAMES")]
    pub names: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a sweep from a spec; running the same spec again continues its sweep.
    Run {
        /// The spec file (YAML or JSON).
        spec: PathBuf,
        #[command(flatten)]
        work: WorkArgs,
        /// Start a new sweep even if this spec already has one.
        #[arg(long)]
        new: bool,
    },
    /// Continue a sweep: retry interrupted runs, then run what is left.
    Resume {
        /// Sweep id (or a unique prefix).
        sweep: String,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// Join a sweep that may be running elsewhere (another terminal or process).
    Agent {
        /// Sweep id (or a unique prefix).
        sweep: String,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// Start agents of a sweep as a Slurm job array: writes an sbatch script whose every
    /// task runs `sweep agent` (into ./sweep-slurm/, with the tasks' logs) and submits it.
    Slurm(SlurmArgs),
    /// Run a run's params again as a new run of its sweep; warns when the code (commit,
    /// uncommitted changes, lockfiles, interpreter) differs from what the run recorded.
    Rerun {
        /// The run (id or unique prefix).
        run: String,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// Check a spec and report every problem at once.
    Validate {
        spec: PathBuf,
        /// Print the filled spec (every default written, W&B key names) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List sweeps.
    Sweeps {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List runs, with the params that vary and the sweep metric.
    Ls {
        /// Only runs of this sweep (id or unique prefix).
        #[arg(long)]
        sweep: Option<String>,
        /// Only runs with these statuses (comma-separated or repeated).
        #[arg(long, value_delimiter = ',')]
        status: Vec<RunStatus>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// List each run; one sweep over seeds is otherwise shown as groups (runs equal
        /// but for seeds and noise keys, aggregated; `sweep analyze` has more).
        #[arg(long)]
        runs: bool,
        /// Only runs passing this filter: `params.lr > 1e-3 and status = completed or
        /// metrics.val/f1 >= 0.8` (README: Filters).
        #[arg(long = "where", value_name = "FILTER")]
        filter: Option<String>,
    },
    /// Show one run: status, config, summary, paths, stderr tail.
    Show {
        run: String,
        /// Print the run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare runs side by side: the config keys that differ, and their summaries.
    Compare {
        #[arg(required = true, num_args = 2..)]
        runs: Vec<String>,
    },
    /// Predict labels and class probabilities for new texts with a trained run's model.
    Predict {
        /// A run of a built-in trainer, the text classifier or a neural one (id or unique prefix).
        run: String,
        /// Texts: JSONL, JSON, CSV or TSV (a label column is optional: when every row has
        /// one, the accuracy is printed too).
        input: PathBuf,
        /// The text field (JSON key, or CSV/TSV header name or 0-based column).
        #[arg(long, default_value = "text")]
        text: String,
        /// The label field, if the input has labels.
        #[arg(long, default_value = "label")]
        label: String,
        #[arg(long, value_enum, default_value_t = PredictFormat::Csv)]
        format: PredictFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// The next run(s) a spec's search proposes (stateless: runs in the W&B run format).
    Suggest {
        /// The spec (YAML or JSON).
        #[arg(long)]
        spec: PathBuf,
        /// A JSON list of the runs so far (omit for none).
        #[arg(long)]
        runs: Option<PathBuf>,
        /// How many runs to propose.
        #[arg(long, short, default_value_t = 1)]
        n: usize,
    },
    /// Which running runs an early-termination rule stops now (stateless: runs in the W&B
    /// run format).
    Prune {
        /// The spec (YAML or JSON) with `early_terminate` and `metric`.
        #[arg(long)]
        spec: PathBuf,
        /// A JSON list of runs: `{name, state, config, summary_metrics, history}`.
        #[arg(long)]
        runs: PathBuf,
    },
    /// Seeds aggregated: runs that differ only in seeds and noise keys form a group; each
    /// group's mean with a 95% bootstrap interval, ranked and tested against the best, or
    /// two groups compared.
    Analyze {
        /// `rank` (groups best first, Welch's test against the best, Holm-adjusted),
        /// `groups` (in run order), `compare A B`, `importance` (what each varying key
        /// explains), `completeness` (missing cells and seeds, short curves, stale runs) or
        /// `insights` (train-validation gap, convergence, stability, best iteration).
        #[arg(value_enum, default_value_t = AnalyzeView::Rank)]
        view: AnalyzeView,
        /// For `compare`: two groups, each a rank (`1`, `2`) or a run id (prefix) in it.
        groups: Vec<String>,
        #[command(flatten)]
        args: SelectArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Model selection: the runs meeting every threshold, ranked by one metric, and each
    /// rejected run with the thresholds it failed.
    Select {
        /// Only runs of this sweep (id or prefix; default: every sweep).
        #[arg(long)]
        sweep: Option<String>,
        /// A threshold, in the --where language (`metrics.test/recall >= 0.95`,
        /// `last.resources/max_rss_mb < 2048`); repeatable, every one must hold.
        #[arg(long, required = true)]
        require: Vec<String>,
        /// The metric to rank by (its best value; default: the sweep's metric).
        #[arg(long)]
        rank: Option<String>,
        /// Judge groups instead of runs: runs that differ only by seed-like and other
        /// noise keys, each metric statistic the mean over the group's completed runs.
        #[arg(long)]
        groups: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write a sweep's report: index.html (self-contained, with SVG charts), report.md with
    /// charts/*.svg, runs.csv, groups.csv and report.json.
    Report {
        /// The directory to write into (created when missing).
        #[arg(long)]
        out: PathBuf,
        /// A model-selection threshold over the groups, in the --where language (each
        /// statistic the mean over a group's completed runs); repeatable. The report then
        /// has a selection section: the groups meeting every one, ranked by the metric,
        /// and each rejected group with the thresholds it failed.
        #[arg(long)]
        require: Vec<String>,
        #[command(flatten)]
        args: SelectArgs,
    },
    /// Bring runs written elsewhere into the store: Sweep run directories, JSONL logs,
    /// the seed log analyzer's format, MLflow `mlruns/`, Lightning CSVLogger and W&B
    /// local run directories (detected, or named with --format). Ingesting the same files
    /// again adds nothing.
    Ingest {
        /// Files or directory trees.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Read only this format: sweep, jsonl, seed-log, mlflow, lightning or wandb.
        #[arg(long)]
        format: Option<String>,
    },
    /// Add or remove a run's tags (any run, finished or not; `ls`, `show`, `export` show
    /// them).
    Tag {
        /// The run (id or unique prefix).
        run: String,
        /// Tags to add.
        tags: Vec<String>,
        /// Tags to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Name a run (runs are named `<sweep name>-<number>` until named).
    Name {
        /// The run (id or unique prefix).
        run: String,
        /// Its new name.
        name: String,
    },
    /// Set a run's note (`--clear` removes it).
    Note {
        /// The run (id or unique prefix).
        run: String,
        /// The note.
        #[arg(required_unless_present = "clear")]
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        clear: bool,
    },
    /// Export every run (params, summaries, status, times) as CSV, JSON or JSONL.
    Export {
        #[arg(long)]
        sweep: Option<String>,
        #[arg(long, value_delimiter = ',')]
        status: Vec<RunStatus>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Include full histories (CSV: one row per history record).
        #[arg(long)]
        history: bool,
        /// Only runs passing this filter: `params.lr > 1e-3 and status = completed or
        /// metrics.val/f1 >= 0.8` (README: Filters).
        #[arg(long = "where", value_name = "FILTER")]
        filter: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeView {
    Rank,
    Groups,
    Compare,
    Importance,
    Completeness,
    Insights,
}

/// What an analysis is over and how runs are grouped.
#[derive(Debug, Clone, Args)]
pub struct SelectArgs {
    /// The sweep (id or prefix; default: the latest).
    #[arg(long)]
    pub sweep: Option<String>,
    /// The metric (default: the sweep's).
    #[arg(long)]
    pub metric: Option<String>,
    /// A run's number: `best`, `last`, `mean-last:K`, or `at-best:METRIC` (the value where
    /// METRIC was best: select on validation, report test).
    #[arg(long, default_value = "best")]
    pub reduce: String,
    /// Also ignore config keys matching this glob when grouping (`data.*`; repeatable).
    #[arg(long)]
    pub noise: Vec<String>,
    /// Never ignore config keys matching this glob (`seed` to see each seed; repeatable).
    #[arg(long)]
    pub keep: Vec<String>,
    /// Only runs passing this filter (README: Filters).
    #[arg(long = "where", value_name = "FILTER")]
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct WorkArgs {
    /// Trials run at once.
    #[arg(long, short, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
    /// Run at most this many trials in this process.
    #[arg(long, short, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Seconds between SIGTERM and SIGKILL when a trial is stopped.
    #[arg(long, default_value_t = 5.0, value_parser = parse_grace)]
    pub kill_grace: f64,
    /// Seconds a claim on a trial lasts without a heartbeat (sent every third of it): a
    /// trial whose agent was killed or cut off is retried by another agent after this.
    #[arg(long, default_value_t = 60.0, value_parser = parse_lease)]
    pub lease: f64,
    /// Final table format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress display, even on a terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// List each run in the final table; a sweep over seeds is otherwise shown as groups
    /// (runs equal but for seeds and noise keys, aggregated).
    #[arg(long)]
    pub runs: bool,
}

/// `sweep slurm`'s arguments.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Sweep id (or a unique prefix).
    pub sweep: String,
    /// Tasks in the array: one agent each.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub array: u32,
    /// Time limit of each task (`--time` of sbatch: `HH:MM:SS`, `D-HH:MM`, minutes).
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per task.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub cpus: Option<u32>,
    /// Memory per node (`--mem` of sbatch: `4G`, `500M`).
    #[arg(long)]
    pub mem: Option<String>,
    /// The partition to run in.
    #[arg(long)]
    pub partition: Option<String>,
    /// GPUs per task (`--gpus-per-task` of sbatch: `1`, `a100:1`).
    #[arg(long)]
    pub gpus: Option<String>,
    /// Trials each agent runs at once.
    #[arg(long, short, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
    /// Seconds an agent's claim lasts without a heartbeat (see `sweep run --lease`).
    #[arg(long, default_value_t = 60.0, value_parser = parse_lease)]
    pub lease: f64,
    /// Print the script instead of submitting it.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait until every task has ended (`sbatch --wait`; exits non-zero if one failed).
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PredictFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Jsonl,
}

/// `--lease`: seconds, from 1 to a day.
fn parse_lease(s: &str) -> Result<f64, String> {
    parse_seconds(s, 1.0, 86_400.0)
}

/// `--kill-grace`: seconds, from 0 to an hour.
fn parse_grace(s: &str) -> Result<f64, String> {
    parse_seconds(s, 0.0, 3600.0)
}

/// A number of seconds from `min` to `max`.
fn parse_seconds(s: &str, min: f64, max: f64) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between {min} and {max} seconds, got {s}"))
    }
}
