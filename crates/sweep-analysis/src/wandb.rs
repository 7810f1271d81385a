//! W&B runs (the JSON W&B's public API gives for a sweep's runs) read as runs Sweep's
//! search and early termination understand.

use sweep_core::{Distribution, Goal, Params, SweepSpec, Value, values_equal};
use sweep_search::{RunMetric, RunState};

/// A run in the W&B format, as far as Sweep reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct WandbRun {
    pub name: String,
    /// Lower case.
    pub state: String,
    pub config: serde_json::Map<String, Value>,
    pub summary: serde_json::Map<String, Value>,
    pub history: Vec<serde_json::Map<String, Value>>,
}

/// Reads a JSON list of W&B runs (`name`, `state`, `config`, `summary_metrics`,
/// `history`); every problem at once, each naming the run. A run without a `state` is
/// pending, as W&B's engine takes it.
pub fn parse_wandb_runs(value: Value) -> Result<Vec<WandbRun>, Vec<String>> {
    let Value::Array(items) = value else {
        return Err(vec!["expected a JSON list of runs".into()]);
    };
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(mut m) = item else {
            problems.push(format!("run {i}: not an object"));
            continue;
        };
        let object = |v: Option<Value>| match v {
            Some(Value::Object(o)) => o,
            _ => serde_json::Map::new(),
        };
        let history = match m.remove("history") {
            Some(Value::Array(h)) => h
                .into_iter()
                .filter_map(|r| match r {
                    Value::Object(o) => Some(o),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let name = match m.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("run-{i}"),
        };
        // W&B's engine takes a run without a state as pending.
        let state = match m.get("state") {
            Some(Value::String(s)) => s.to_ascii_lowercase(),
            None | Some(Value::Null) => "pending".to_string(),
            Some(other) => {
                problems.push(format!(
                    "run {i} ({name}): `state` must be a string, found {}",
                    sweep_core::json_kind(other)
                ));
                continue;
            }
        };
        runs.push(WandbRun {
            name,
            state,
            config: object(m.remove("config")),
            summary: object(m.remove("summary_metrics")),
            history,
        });
    }
    if problems.is_empty() {
        Ok(runs)
    } else {
        Err(problems)
    }
}

impl WandbRun {
    /// Running, or about to run again: counts as pending for search.
    pub fn is_running(&self) -> bool {
        matches!(
            self.state.as_str(),
            "running" | "pending" | "preempting" | "preempted"
        )
    }

    /// The run's params: each spec param read from `config` (`{param: {value: v}}` or a plain
    /// value), nested params from the nested value.
    pub fn params(&self, spec: &SweepSpec) -> Params {
        let mut out = Params::new();
        for p in &spec.parameters {
            let Some(top) = self.config.get(&p.path[0]) else {
                continue;
            };
            let mut v = match top {
                Value::Object(m) if m.contains_key("value") => &m["value"],
                other => other,
            };
            let mut found = true;
            for part in &p.path[1..] {
                match v.get(part) {
                    Some(next) => v = next,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            if found {
                out.insert(p.name(), v.clone());
            }
        }
        out
    }

    /// The run's value for Bayesian search: its best valid logged value, else its summary.
    pub fn best(&self, metric: &str, goal: Goal) -> Option<f64> {
        let best = self
            .metric_history(metric)
            .into_iter()
            .filter(|v| v.is_finite())
            .reduce(|a, b| if goal.better(b, a) { b } else { a });
        best.or_else(|| {
            self.summary
                .get(metric)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
        })
    }

    /// The metric's valid values in history order; W&B ignores strings and booleans.
    pub fn metric_history(&self, metric: &str) -> Vec<f64> {
        self.history
            .iter()
            .filter_map(|rec| rec.get(metric))
            .map(|v| match v {
                Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                _ => f64::NAN,
            })
            .collect()
    }

    /// The run as the search sees it: its params, state (`finished`, running or pending,
    /// anything else failed) and the spec metric's best and latest valid values.
    pub fn run_metric(&self, spec: &SweepSpec) -> RunMetric {
        let (best, latest) = match &spec.metric {
            Some(m) => (
                self.best(&m.name, m.goal),
                self.metric_history(&m.name)
                    .into_iter()
                    .rev()
                    .find(|v| v.is_finite()),
            ),
            None => (None, None),
        };
        RunMetric {
            params: self.params(spec),
            state: if self.is_running() {
                RunState::Running
            } else if self.state == "finished" {
                RunState::Finished
            } else {
                RunState::Failed
            },
            best,
            latest,
        }
    }
}

/// The runs W&B's Bayesian search refuses: one line for each run and categorical param
/// whose value is not among the param's `values` (a run from an older spec). W&B raises
/// on the first (`… is not a permitted value of the categorical hyperparameter …`);
/// Sweep lists them all. A missing or `null` value is not a problem (W&B skips it).
pub fn foreign_categorical_values(spec: &SweepSpec, runs: &[WandbRun]) -> Vec<String> {
    let categorical: Vec<(String, &[Value])> = spec
        .parameters
        .iter()
        .filter_map(|p| match &p.dist {
            Distribution::Categorical { values }
            | Distribution::CategoricalWProbabilities { values, .. } => {
                Some((p.name(), values.as_slice()))
            }
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    for run in runs {
        let params = run.params(spec);
        for (name, values) in &categorical {
            let Some(value) = params.get(name).filter(|v| !v.is_null()) else {
                continue;
            };
            if !values.iter().any(|v| values_equal(v, value)) {
                problems.push(format!(
                    "run `{}`: `{name}` is {value}, which is not one of its values {}",
                    run.name,
                    Value::from(values.to_vec())
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sweep_core::{Distribution, Method, MetricSpec, ParamSpec};

    #[test]
    fn every_bad_run_is_reported_at_once() {
        let problems =
            parse_wandb_runs(json!([1, {"name": "a", "state": 3}, {"state": "x"}])).err();
        assert_eq!(
            problems,
            Some(vec![
                "run 0: not an object".to_string(),
                "run 1 (a): `state` must be a string, found a number".to_string()
            ])
        );
        assert!(parse_wandb_runs(json!({})).is_err());
        // No state: pending, as in W&B's engine.
        let runs = parse_wandb_runs(json!([{"name": "p"}])).unwrap_or_default();
        assert!(runs[0].is_running(), "{runs:?}");
    }

    #[test]
    fn a_run_reads_as_params_state_and_metric() {
        let runs = parse_wandb_runs(json!([{
            "name": "r", "state": "Finished",
            "config": {"lr": {"value": 0.1}, "opt": {"value": {"kind": "sgd"}}},
            "summary_metrics": {"loss": 9.0},
            "history": [{"loss": 3.0}, {"loss": "nan"}, {"loss": 2.0}, {"loss": 4.0}]
        }]))
        .unwrap_or_default();
        let mut spec = SweepSpec::new(
            Method::Bayes,
            vec![
                ParamSpec::new("lr", Distribution::Uniform { min: 0.0, max: 1.0 }),
                ParamSpec {
                    path: vec!["opt".into(), "kind".into()],
                    dist: Distribution::Constant {
                        value: json!("sgd"),
                    },
                },
            ],
        );
        spec.metric = Some(MetricSpec::new("loss", Goal::Minimize));
        let m = runs[0].run_metric(&spec);
        assert_eq!(m.state, RunState::Finished);
        assert_eq!((m.best, m.latest), (Some(2.0), Some(4.0)));
        assert_eq!(m.params["lr"], json!(0.1));
        assert_eq!(m.params["opt.kind"], json!("sgd"));
    }
}
