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
    /// How failed runs count for model-based search: `worst` (default), `best` or `latest`.
    #[serde(default = "default_impute")]
    pub impute: String,
    /// How running runs count: `false` (pending, default), `worst`, `best` or `latest`.
    #[serde(default = "default_impute_while_running")]
    pub impute_while_running: String,
}

fn default_impute() -> String {
    "worst".to_string()
}

fn default_impute_while_running() -> String {
    "false".to_string()
}

impl MetricSpec {
    pub fn new(name: impl Into<String>, goal: Goal) -> Self {
        MetricSpec {
            name: name.into(),
            goal,
            target: None,
            impute: default_impute(),
            impute_while_running: default_impute_while_running(),
        }
    }
}

/// W&B's `early_terminate` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EarlyTerminate {
    /// Hyperband: bands from `min_iter·eta^k`, or from `max_iter/eta^k` for `k < s`.
    Hyperband {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_iter: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_iter: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        s: Option<u64>,
        eta: f64,
        strict: bool,
    },
}

/// A built-in trainer named by the spec's `trainer` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerSpec {
    pub kind: String,
}

/// One element of a `command` list, kept as written; macros such as `${args}` are expanded
/// when a trial starts.
pub type CommandToken = String;

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
    pub command: Option<Vec<CommandToken>>,
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
