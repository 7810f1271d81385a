use crate::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A run's searched values, by dotted param name, in name order.
pub type Params = BTreeMap<String, Value>;

/// One W&B parameter distribution, validated: bounds are ordered, probabilities sum to one,
/// `q` and `sigma` are positive. The names and meanings are W&B's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Distribution {
    /// Always the same value.
    Constant { value: Value },
    /// One of `values`, uniformly.
    Categorical { values: Vec<Value> },
    /// One of `values` with the given probabilities (which sum to 1).
    CategoricalWProbabilities {
        values: Vec<Value>,
        probabilities: Vec<f64>,
    },
    /// An integer in `[min, max]`, both ends included.
    IntUniform { min: i64, max: i64 },
    /// A real in `[min, max]`.
    Uniform { min: f64, max: f64 },
    /// `round(uniform(min, max) / q) * q`.
    QUniform { min: f64, max: f64, q: f64 },
    /// Deprecated v1: `exp(uniform(min, max))`, bounds are natural-log exponents.
    LogUniform { min: f64, max: f64 },
    /// Deprecated v1: `round(exp(uniform(min, max)) / q) * q`.
    QLogUniform { min: f64, max: f64, q: f64 },
    /// Deprecated v1: `exp(-uniform(min, max))`.
    InvLogUniform { min: f64, max: f64 },
    /// Log-uniform between the values `min` and `max` (both > 0).
    LogUniformValues { min: f64, max: f64 },
    /// `round(log_uniform_values(min, max) / q) * q`.
    QLogUniformValues { min: f64, max: f64, q: f64 },
    /// `1 / x` where `x` is log-uniform between `1/max` and `1/min` (W&B's definition).
    InvLogUniformValues { min: f64, max: f64 },
    /// Normal with mean `mu` and standard deviation `sigma`.
    Normal { mu: f64, sigma: f64 },
    /// `round(normal(mu, sigma) / q) * q`.
    QNormal { mu: f64, sigma: f64, q: f64 },
    /// `exp(normal(mu, sigma))`.
    LogNormal { mu: f64, sigma: f64 },
    /// `round(log_normal(mu, sigma) / q) * q`.
    QLogNormal { mu: f64, sigma: f64, q: f64 },
    /// Beta with shape parameters `a` and `b`.
    Beta { a: f64, b: f64 },
    /// `round(beta(a, b) / q) * q`.
    QBeta { a: f64, b: f64, q: f64 },
}

impl Distribution {
    /// Whether values are drawn on a log scale (the `log_*`, `inv_log_*` and `*log_normal`
    /// families): what a chart over this parameter should use.
    pub fn is_log_scaled(&self) -> bool {
        matches!(
            self,
            Distribution::LogUniform { .. }
                | Distribution::QLogUniform { .. }
                | Distribution::InvLogUniform { .. }
                | Distribution::LogUniformValues { .. }
                | Distribution::QLogUniformValues { .. }
                | Distribution::InvLogUniformValues { .. }
                | Distribution::LogNormal { .. }
                | Distribution::QLogNormal { .. }
        )
    }

    /// W&B's name for this distribution.
    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Constant { .. } => "constant",
            Distribution::Categorical { .. } => "categorical",
            Distribution::CategoricalWProbabilities { .. } => "categorical_w_probabilities",
            Distribution::IntUniform { .. } => "int_uniform",
            Distribution::Uniform { .. } => "uniform",
            Distribution::QUniform { .. } => "q_uniform",
            Distribution::LogUniform { .. } => "log_uniform",
            Distribution::QLogUniform { .. } => "q_log_uniform",
            Distribution::InvLogUniform { .. } => "inv_log_uniform",
            Distribution::LogUniformValues { .. } => "log_uniform_values",
            Distribution::QLogUniformValues { .. } => "q_log_uniform_values",
            Distribution::InvLogUniformValues { .. } => "inv_log_uniform_values",
            Distribution::Normal { .. } => "normal",
            Distribution::QNormal { .. } => "q_normal",
            Distribution::LogNormal { .. } => "log_normal",
            Distribution::QLogNormal { .. } => "q_log_normal",
            Distribution::Beta { .. } => "beta",
            Distribution::QBeta { .. } => "q_beta",
        }
    }

    /// Whether a grid can enumerate this distribution (constant, categorical, int_uniform,
    /// q_uniform; as in W&B, not values with probabilities).
    pub fn is_grid_enumerable(&self) -> bool {
        matches!(
            self,
            Distribution::Constant { .. }
                | Distribution::Categorical { .. }
                | Distribution::IntUniform { .. }
                | Distribution::QUniform { .. }
        )
    }

    /// Whether the value is fixed (a constant never "varies" in tables).
    pub fn is_constant(&self) -> bool {
        match self {
            Distribution::Constant { .. } => true,
            Distribution::Categorical { values } => values.len() == 1,
            _ => false,
        }
    }
}

/// A searched parameter: its dotted name and its distribution.
///
/// `path` holds the nesting of W&B's nested `parameters`: a top-level `training.lr` has the
/// path `["training.lr"]`, while `optimizer: {parameters: {lr: ...}}` has
/// `["optimizer", "lr"]`. Both are written at their dotted name in the resolved config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    pub path: Vec<String>,
    #[serde(flatten)]
    pub dist: Distribution,
}

impl ParamSpec {
    pub fn new(name: impl Into<String>, dist: Distribution) -> Self {
        ParamSpec {
            path: vec![name.into()],
            dist,
        }
    }

    /// The dotted name: the path joined with `.`.
    pub fn name(&self) -> String {
        self.path.join(".")
    }
}
