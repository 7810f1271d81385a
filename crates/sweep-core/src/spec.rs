use crate::{ParamSpec, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the next run's params are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Grid,
    Random,
    Bayes,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Grid => "grid",
            Method::Random => "random",
            Method::Bayes => "bayes",
        }
    }
}

/// Whether a metric is better low or high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    #[default]
    Minimize,
    Maximize,
}

impl Goal {
    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Minimize => "minimize",
            Goal::Maximize => "maximize",
        }
    }

    /// Whether `a` is strictly better than `b` under this goal. NaN is never better.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Goal::Minimize => a < b,
            Goal::Maximize => a > b,
        }
    }

    /// Whether `value` reaches `target` (≤ for minimize, ≥ for maximize).
    pub fn reaches(self, value: f64, target: f64) -> bool {
        match self {
            Goal::Minimize => value <= target,
            Goal::Maximize => value >= target,
        }
    }
}

/// The metric a sweep optimises (W&B's `metric`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSpec {
    pub name: String,
    #[serde(default)]
    pub goal: Goal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// How failed runs count for model-based search.
    #[serde(default)]
    pub impute: Impute,
    /// How running runs count for model-based search.
    #[serde(default)]
    pub impute_while_running: ImputeWhileRunning,
}

/// The value a run without a usable metric value counts with (W&B's `metric.impute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Impute {
    /// The worst value of the finished runs.
    #[default]
    Worst,
    /// The run's own best valid value (the worst when it has none).
    Best,
    /// The run's own last valid value (the worst when it has none).
    Latest,
}

/// How a running run counts for model-based search (W&B's `metric.impute_while_running`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImputeWhileRunning {
    /// `false`: a pending point, which the sampler handles itself.
    #[default]
    #[serde(rename = "false")]
    Pending,
    Worst,
    Best,
    Latest,
}

impl Impute {
    pub const NAMES: [&'static str; 3] = ["worst", "best", "latest"];

    pub fn as_str(self) -> &'static str {
        match self {
            Impute::Worst => "worst",
            Impute::Best => "best",
            Impute::Latest => "latest",
        }
    }

    /// The policy a spec names (one of [`Impute::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [Impute::Worst, Impute::Best, Impute::Latest]
            .into_iter()
            .find(|i| i.as_str() == name)
    }
}

impl ImputeWhileRunning {
    pub const NAMES: [&'static str; 4] = ["false", "worst", "best", "latest"];

    pub fn as_str(self) -> &'static str {
        match self {
            ImputeWhileRunning::Pending => "false",
            ImputeWhileRunning::Worst => "worst",
            ImputeWhileRunning::Best => "best",
            ImputeWhileRunning::Latest => "latest",
        }
    }

    /// The policy a spec names (one of [`ImputeWhileRunning::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ImputeWhileRunning::Pending,
            ImputeWhileRunning::Worst,
            ImputeWhileRunning::Best,
            ImputeWhileRunning::Latest,
        ]
        .into_iter()
        .find(|i| i.as_str() == name)
    }
}

impl MetricSpec {
    pub fn new(name: impl Into<String>, goal: Goal) -> Self {
        MetricSpec {
            name: name.into(),
            goal,
            target: None,
            impute: Impute::default(),
            impute_while_running: ImputeWhileRunning::default(),
        }
    }
}

/// The `early_terminate` block: W&B's `hyperband`, plus Sweep's own `asha` and `median`.
///
/// In every rule an *iteration* is the position of a valid (finite) value of the metric in
/// a run's history, as in W&B: a run whose metric is NaN on some rows simply has fewer
/// iterations. Only running runs are ever stopped, and ties survive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EarlyTerminate {
    /// W&B's hyperband: bands from `max_iter/eta^k` for `k = 1..=s` (when `max_iter` and `s`
    /// are given), otherwise `min_iter·eta^k` for `k = 0, 1, …`; at each band a running run
    /// must be in the top `1/eta` of the runs that reached it. `strict` compares the value at
    /// the band, otherwise the run's best value so far.
    Hyperband {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_iter: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_iter: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        s: Option<u64>,
        #[serde(default = "default_eta")]
        eta: f64,
        #[serde(default = "default_true")]
        strict: bool,
    },
    /// Asynchronous successive halving (Sweep's own): rungs at `floor(min_iter·eta^k)`,
    /// `k = 0, 1, …` (below `max_iter` when given). A running run is judged at the highest
    /// rung it has reached, by its value there: it survives if it is among the best
    /// `max(1, floor(n/eta))` of the `n` runs (any state, itself included) that reached the
    /// rung, ties included.
    Asha {
        #[serde(default = "default_one")]
        min_iter: u64,
        #[serde(default = "default_eta")]
        eta: f64,
        /// The iteration at which a run is complete; no rung is placed at or beyond it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_iter: Option<u64>,
    },
    /// The median stopping rule (Sweep's own, after Google Vizier): a running run with `t`
    /// iterations (`t ≥ min_iter`) is stopped when its best value so far is strictly worse
    /// than the median of the running averages over their first `t` iterations of the other
    /// runs (any state) that reached `t`, once at least `min_runs` of them have.
    Median {
        /// Warm-up: a run is not judged before it has this many iterations.
        #[serde(default = "default_one")]
        min_iter: u64,
        /// The number of other runs that must have reached the iteration.
        #[serde(default = "default_min_runs")]
        min_runs: u64,
    },
}

impl EarlyTerminate {
    /// The `type` name of the rule, as written in a spec.
    pub fn kind(&self) -> &'static str {
        match self {
            EarlyTerminate::Hyperband { .. } => "hyperband",
            EarlyTerminate::Asha { .. } => "asha",
            EarlyTerminate::Median { .. } => "median",
        }
    }
}

fn default_eta() -> f64 {
    3.0
}

fn default_true() -> bool {
    true
}

fn default_one() -> u64 {
    1
}

fn default_min_runs() -> u64 {
    3
}

/// A built-in trainer named by the spec's `trainer` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerSpec {
    pub kind: crate::TrainerId,
}

/// A validated sweep spec: W&B's sweep config plus Sweep's own keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub method: Method,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricSpec>,
    /// The searched params, nested parameters flattened; W&B's order (sorted by path).
    pub parameters: Vec<ParamSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_terminate: Option<EarlyTerminate>,
    /// The command template; `None` means W&B's default
    /// `${env} ${interpreter} ${program} ${args}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<crate::CommandToken>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_cap: Option<u64>,
    /// The base config (loaded when the spec gave a path).
    #[serde(default)]
    pub config: Value,
    /// The path the base config was loaded from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainer: Option<TrainerSpec>,
    /// Per-trial wall-clock limit in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<f64>,
    /// Seed of the sampler; random search is a pure function of it and the run position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// W&B keys Sweep accepts and keeps but does not act on (`project`, `entity`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub wandb_extra: BTreeMap<String, Value>,
}

impl SweepSpec {
    /// A minimal spec: the given method and params, everything else default.
    pub fn new(method: Method, parameters: Vec<ParamSpec>) -> Self {
        SweepSpec {
            name: None,
            description: None,
            method,
            metric: None,
            parameters,
            early_terminate: None,
            command: None,
            program: None,
            run_cap: None,
            config: Value::Object(Default::default()),
            config_path: None,
            trainer: None,
            timeout_secs: None,
            seed: None,
            wandb_extra: BTreeMap::new(),
        }
    }

    /// Names of the params whose value can differ between runs.
    pub fn varying_params(&self) -> Vec<String> {
        self.parameters
            .iter()
            .filter(|p| !p.dist.is_constant())
            .map(ParamSpec::name)
            .collect()
    }
}
