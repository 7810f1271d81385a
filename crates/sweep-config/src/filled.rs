//! The filled spec: every default written, in W&B's key names.

use serde_json::{Map, Value, json};
use sweep_core::{CommandToken, EarlyTerminate, ParamSpec, SweepSpec};

/// The filled spec as JSON: W&B's keys with every default written (`distribution` on every
/// parameter, nested parameters nested back under `parameters`, `metric.goal`/`impute`,
/// every `early_terminate` default, the default `command`), plus Sweep's own keys (`config`,
/// `trainer`, `timeout` in seconds, `seed`) when present. Parsing it again gives the same
/// spec, except that a config loaded from a file comes back inline.
pub fn filled_spec_json(spec: &SweepSpec) -> Value {
    let mut out = Map::new();
    if let Some(name) = &spec.name {
        out.insert("name".into(), json!(name));
    }
    if let Some(description) = &spec.description {
        out.insert("description".into(), json!(description));
    }
    out.insert("method".into(), json!(spec.method.as_str()));
    if let Some(metric) = &spec.metric {
        let mut m = Map::new();
        m.insert("name".into(), json!(metric.name));
        m.insert("goal".into(), json!(metric.goal.as_str()));
        if let Some(target) = metric.target {
            m.insert("target".into(), float(target));
        }
        m.insert("impute".into(), json!(metric.impute));
        m.insert(
            "impute_while_running".into(),
            json!(metric.impute_while_running),
        );
        out.insert("metric".into(), Value::Object(m));
    }
    out.insert("parameters".into(), parameters_json(&spec.parameters));
    if let Some(et) = &spec.early_terminate {
        out.insert("early_terminate".into(), early_terminate_json(et));
    }
    let command = spec
        .command
        .clone()
        .unwrap_or_else(CommandToken::default_command);
    out.insert("command".into(), json!(command));
    if let Some(program) = &spec.program {
        out.insert("program".into(), json!(program));
    }
    if let Some(run_cap) = spec.run_cap {
        out.insert("run_cap".into(), json!(run_cap));
    }
    for (key, value) in &spec.wandb_extra {
        out.insert(key.clone(), value.clone());
    }
    let config_is_empty = spec.config.as_object().is_some_and(Map::is_empty);
    if !config_is_empty || spec.config_path.is_some() {
        out.insert("config".into(), spec.config.clone());
    }
    if let Some(trainer) = &spec.trainer {
        out.insert("trainer".into(), json!(trainer.kind));
    }
    if let Some(timeout) = spec.timeout_secs {
        out.insert("timeout".into(), float(timeout));
    }
    if let Some(seed) = spec.seed {
        out.insert("seed".into(), json!(seed));
    }
    Value::Object(out)
}

/// The `early_terminate` block with every default written: hyperband's `eta`/`strict`
/// (W&B's), ASHA's `min_iter`/`eta` (and `max_iter` when given), the median rule's
/// `min_iter`/`min_runs`.
fn early_terminate_json(et: &EarlyTerminate) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(et.kind()));
    match et {
        EarlyTerminate::Hyperband {
            min_iter,
            max_iter,
            s,
            eta,
            strict,
        } => {
            for (key, value) in [("min_iter", min_iter), ("max_iter", max_iter), ("s", s)] {
                if let Some(v) = value {
                    out.insert(key.into(), json!(v));
                }
            }
            out.insert("eta".into(), float(*eta));
            out.insert("strict".into(), json!(strict));
        }
        EarlyTerminate::Asha {
            min_iter,
            eta,
            max_iter,
        } => {
            out.insert("min_iter".into(), json!(min_iter));
            out.insert("eta".into(), float(*eta));
            if let Some(max) = max_iter {
                out.insert("max_iter".into(), json!(max));
            }
        }
        EarlyTerminate::Median { min_iter, min_runs } => {
            out.insert("min_iter".into(), json!(min_iter));
            out.insert("min_runs".into(), json!(min_runs));
        }
    }
    Value::Object(out)
}

fn float(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The params nested back as W&B writes them: `["opt", "lr"]` under
/// `opt: {parameters: {lr: ...}}`.
fn parameters_json(params: &[ParamSpec]) -> Value {
    let mut root = Map::new();
    for p in params {
        let dist = serde_json::to_value(&p.dist).unwrap_or(Value::Null);
        insert_at(&mut root, &p.path, dist);
    }
    Value::Object(root)
}

fn insert_at(level: &mut Map<String, Value>, path: &[String], dist: Value) {
    match path {
        [] => {}
        [last] => {
            level.insert(last.clone(), dist);
        }
        [first, rest @ ..] => {
            let slot = level
                .entry(first.clone())
                .or_insert_with(|| json!({"parameters": {}}));
            if !slot.get("parameters").is_some_and(Value::is_object) {
                *slot = json!({"parameters": {}});
            }
            if let Some(Value::Object(inner)) = slot.get_mut("parameters") {
                insert_at(inner, rest, dist);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sweep_core::{Distribution, Method};

    #[test]
    fn nested_paths_are_written_nested() {
        let mut spec = SweepSpec::new(
            Method::Random,
            vec![
                ParamSpec {
                    path: vec!["opt".into(), "inner".into(), "lr".into()],
                    dist: Distribution::Uniform { min: 0.0, max: 1.0 },
                },
                ParamSpec::new(
                    "training.epochs",
                    Distribution::IntUniform { min: 1, max: 3 },
                ),
            ],
        );
        spec.seed = Some(7);
        let v = filled_spec_json(&spec);
        assert_eq!(
            v["parameters"]["opt"]["parameters"]["inner"]["parameters"]["lr"],
            json!({"distribution": "uniform", "min": 0.0, "max": 1.0})
        );
        assert_eq!(
            v["parameters"]["training.epochs"],
            json!({"distribution": "int_uniform", "min": 1, "max": 3})
        );
        assert_eq!(
            v["command"],
            json!(["${env}", "${interpreter}", "${program}", "${args}"])
        );
        assert_eq!(v["seed"], json!(7));
        assert!(v.get("config").is_none());
        assert!(v.get("metric").is_none());
    }
}
