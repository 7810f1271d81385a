//! Sweep's vocabulary types, shared by every other crate.
//!
//! This crate does no I/O and depends on no other workspace crate. It defines what a
//! validated sweep spec is ([`SweepSpec`]), what a searched parameter is ([`ParamSpec`],
//! [`Distribution`]), run statuses, metric records and per-metric summaries, and the
//! canonical form of config values used for hashing and for comparing values by content.

mod command;
mod history;
pub mod num;
mod param;
mod record;
mod run;
mod spec;
mod status;
mod trainer;
mod value;

pub use command::{CommandToken, ENVVAR_MACRO_PREFIX, Macro, Piece, TokenError};
pub use history::{Column, History};
pub use param::{Distribution, ParamSpec, Params};
pub use record::{
    MetricRecord, MetricSummary, RecordError, Summary, fold_record, metric_goal, metric_line,
    metric_number, parse_lenient_json, parse_metric_line,
};
pub use run::RunRecord;
pub use spec::{
    EarlyTerminate, Goal, Impute, ImputeWhileRunning, Method, MetricSpec, SweepSpec, TrainerSpec,
};
pub use status::{RunStatus, UnknownStatus};
pub use trainer::{
    ConfigProblem, Prediction, Predictions, RunFiles, TrainContext, TrainFailure, Trained, Trainer,
    TrainerId, Trainers, read_config, run_files,
};
pub use value::{
    canonical_json, config_hash, hash8, json_kind, resolve_config, set_dotted, slug, value_key,
    values_equal,
};

/// A config value: a JSON-compatible tree. Object keys are kept sorted.
pub type Value = serde_json::Value;
