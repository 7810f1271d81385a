//! The whole spec: the top-level keys, `method`, Sweep's own keys (`config`, `trainer`,
//! `timeout`, `seed`) and the W&B keys kept as they are, with the checks across blocks.

use crate::command::parse_command;
use crate::ctx::{Ctx, check_keys, integer, number, one_of, string, to_json};
use crate::early_terminate::parse_early_terminate;
use crate::metric::parse_metric;
use crate::params::{ParsedParam, parse_parameters};
use crate::suggest::did_you_mean;
use crate::yaml::{Entry, Kind, Node, Pos, read_document};
use crate::{Diagnostic, Mode, SpecError};
use std::collections::BTreeMap;
use std::path::Path;
use sweep_core::{
    CommandToken, Distribution, EarlyTerminate, Method, MetricSpec, SweepSpec, TrainerSpec, Value,
};

/// Keys W&B's schema defines that Sweep keeps in `wandb_extra` without acting on them.
const WANDB_EXTRA_KEYS: &[&str] = &[
    "project",
    "entity",
    "controller",
    "image_uri",
    "imageuri",
    "job",
    "apiVersion",
    "kind",
];

/// Every top-level key a spec may hold.
const TOP_LEVEL_KEYS: &[&str] = &[
    "method",
    "metric",
    "parameters",
    "early_terminate",
    "command",
    "program",
    "run_cap",
    "name",
    "description",
    "project",
    "entity",
    "controller",
    "image_uri",
    "imageuri",
    "job",
    "apiVersion",
    "kind",
    "config",
    "trainer",
    "timeout",
    "seed",
];

/// What to say about a top-level key Sweep does not take.
fn unknown_top_level(key: &str) -> String {
    match key {
        "scheduler" => {
            "`scheduler` (custom schedulers of W&B Launch) is not supported by Sweep; use `method: grid`, `random` or `bayes`".to_string()
        }
        "metrics" => {
            "`metrics` (multi-objective optimization of W&B Launch) is not supported by Sweep; give one `metric: {name: ..., goal: ...}`".to_string()
        }
        "count" | "max_runs" | "num_runs" | "n_runs" | "runs" | "max_trials" | "n_trials" => format!(
            "unknown key `{key}`: to limit the number of runs use `run_cap: N` in the spec (or `--count N` on the command line)"
        ),
        "args" | "arguments" => format!(
            "unknown key `{key}`: pass params through `command`, e.g. `command: [\"${{env}}\", python, train.py, \"${{args}}\"]`"
        ),
        "params" | "hyperparameters" | "search_space" => {
            format!("unknown key `{key}`; did you mean `parameters`?")
        }
        "early_stopping" | "pruner" | "pruning" => {
            format!("unknown key `{key}`; did you mean `early_terminate`?")
        }
        "goal" | "target" => format!(
            "unknown key `{key}`: it belongs inside `metric` (`metric: {{name: ..., {key}: ...}}`)"
        ),
        _ => {
            let hint = did_you_mean(key, TOP_LEVEL_KEYS);
            if hint.is_empty() {
                format!(
                    "unknown key `{key}` (a spec takes {})",
                    TOP_LEVEL_KEYS
                        .iter()
                        .filter(|k| !matches!(**k, "imageuri" | "apiVersion" | "kind"))
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!("unknown key `{key}`{hint}")
            }
        }
    }
}

/// Parses and validates a spec.
pub(crate) fn parse_spec(
    text: &str,
    file: &str,
    base_dir: &Path,
    mode: Mode,
) -> Result<SweepSpec, SpecError> {
    let doc = read_document(text);
    let mut ctx = Ctx {
        file,
        mode,
        diags: Vec::new(),
    };
    for p in doc.problems {
        ctx.err(p.pos, &p.key, p.message);
    }
    let spec = doc
        .root
        .as_ref()
        .and_then(|root| build_spec(root, base_dir, &mut ctx));
    match spec {
        Some(spec) if ctx.diags.is_empty() => Ok(spec),
        _ => {
            let mut diags = ctx.diags;
            if diags.is_empty() {
                diags.push(Diagnostic {
                    file: file.to_string(),
                    line: 1,
                    column: 1,
                    key: String::new(),
                    message: "the spec could not be read".to_string(),
                });
            }
            diags.sort_by_key(|d| (d.file != file, d.line, d.column));
            Err(SpecError::Invalid {
                file: file.to_string(),
                diagnostics: diags,
            })
        }
    }
}

/// Reads a base config document into JSON, diagnostics going to `diags`.
pub(crate) fn parse_config_text(
    text: &str,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let doc = read_document(text);
    let mut ctx = Ctx {
        file,
        mode: Mode::Run,
        diags: Vec::new(),
    };
    for p in doc.problems {
        ctx.err(p.pos, &p.key, p.message);
    }
    let value = doc
        .root
        .as_ref()
        .and_then(|root| to_json(root, "", &mut ctx));
    diags.append(&mut ctx.diags);
    value
}

#[derive(Default)]
struct Fields {
    method: Option<(Method, Pos)>,
    metric: Option<MetricSpec>,
    params: Option<Vec<ParsedParam>>,
    early_terminate: Option<(EarlyTerminate, Pos)>,
    command: Option<Vec<CommandToken>>,
    program: Option<String>,
    run_cap: Option<u64>,
    name: Option<String>,
    description: Option<String>,
    config: Option<Value>,
    config_path: Option<String>,
    trainer: Option<TrainerSpec>,
    timeout_secs: Option<f64>,
    seed: Option<u64>,
    wandb_extra: BTreeMap<String, Value>,
}

fn build_spec(root: &Node, base_dir: &Path, ctx: &mut Ctx<'_>) -> Option<SweepSpec> {
    let entries = match &root.kind {
        Kind::Map(entries) => entries,
        Kind::Null => {
            ctx.err(
                Pos::START,
                "",
                "the spec is empty; it needs at least `method` and `parameters`",
            );
            return None;
        }
        _ => {
            ctx.err(
                root.pos,
                "",
                format!(
                    "a sweep spec must be a mapping with keys such as `method` and `parameters`, found {}",
                    root.describe()
                ),
            );
            return None;
        }
    };
    let mut f = Fields::default();
    let mut saw_method = false;
    let mut saw_parameters = false;
    for e in entries {
        let v = &e.value;
        let key = e.key.as_str();
        match key {
            "method" => {
                saw_method = true;
                f.method = parse_method(v, ctx).map(|m| (m, v.pos));
            }
            "metric" => f.metric = parse_metric(v, e.key_pos, ctx),
            "parameters" => {
                saw_parameters = true;
                let mut params = Vec::new();
                parse_parameters(v, &[], "parameters", ctx, &mut params);
                // Keep the valid parameters even when others have problems, so that the
                // checks over all of them (grid, duplicates) still report everything.
                f.params = Some(params);
            }
            "early_terminate" => {
                f.early_terminate =
                    parse_early_terminate(v, e.key_pos, ctx).map(|et| (et, e.key_pos));
            }
            "command" => f.command = parse_command(v, ctx),
            "program" => f.program = string(v, key, ctx),
            "name" => f.name = string(v, key, ctx),
            "description" => f.description = string(v, key, ctx),
            "run_cap" => f.run_cap = integer(v, key, key, 1, ctx),
            "seed" => f.seed = integer(v, key, key, 0, ctx),
            "timeout" => f.timeout_secs = parse_timeout(v, ctx),
            "trainer" => {
                f.trainer = string(v, key, ctx).and_then(|kind| {
                    if kind.trim().is_empty() {
                        ctx.err(v.pos, key, "`trainer` is empty; name a built-in trainer");
                        None
                    } else {
                        Some(TrainerSpec {
                            kind: sweep_core::TrainerId::new(kind),
                        })
                    }
                });
            }
            "config" => {
                if let Some((config, path)) = parse_config(v, base_dir, ctx) {
                    f.config = Some(config);
                    f.config_path = path;
                }
            }
            _ if WANDB_EXTRA_KEYS.contains(&key) => {
                if let Some(value) = parse_wandb_extra(e, ctx) {
                    f.wandb_extra.insert(key.to_string(), value);
                }
            }
            _ => ctx.err(e.key_pos, key, unknown_top_level(key)),
        }
    }
    if !saw_method {
        ctx.err(
            root.pos,
            "method",
            "missing required key `method` (grid, random or bayes)",
        );
    }
    if !saw_parameters {
        ctx.err(
            root.pos,
            "parameters",
            "missing required key `parameters` (the values to search)",
        );
    }
    let no_metric = f.metric.is_none() && entries.iter().all(|e| e.key != "metric");
    if let Some((Method::Bayes, pos)) = f.method
        && no_metric
    {
        ctx.err(
            pos,
            "method",
            "`method: bayes` needs a `metric` to optimize, e.g. `metric: {name: val/loss, goal: minimize}`",
        );
    }
    if let Some((_, pos)) = &f.early_terminate
        && no_metric
    {
        ctx.err(
            *pos,
            "early_terminate",
            "`early_terminate` needs a `metric` to compare runs by",
        );
    }
    let mut params = f.params.unwrap_or_default();
    params.sort_by_key(|p| p.spec.name());
    for pair in params.windows(2) {
        if pair[0].spec.name() == pair[1].spec.name() {
            let later = if pair[1].pos > pair[0].pos {
                &pair[1]
            } else {
                &pair[0]
            };
            let earlier = if later.pos == pair[1].pos {
                &pair[0]
            } else {
                &pair[1]
            };
            ctx.err(
                later.pos,
                &later.key,
                format!(
                    "parameter `{}` is defined twice (also at line {})",
                    later.spec.name(),
                    earlier.pos.line
                ),
            );
        }
    }
    if let Some((Method::Grid, _)) = f.method {
        for p in params.iter().filter(|p| !p.spec.dist.is_grid_enumerable()) {
            if let Distribution::CategoricalWProbabilities { .. } = p.spec.dist {
                ctx.err(
                    p.pos,
                    &format!("{}.probabilities", p.key),
                    format!(
                        "a grid runs each of `{}`'s values once, so `probabilities` has no meaning there (W&B refuses it too); remove `probabilities` or use `method: random` or `bayes`",
                        p.spec.name()
                    ),
                );
                continue;
            }
            ctx.err(
                p.pos,
                &p.key,
                format!(
                    "grid search cannot enumerate `{}` (a `{}` parameter); give it `values`, make it `int_uniform` or `q_uniform`, or use `method: random` or `bayes`",
                    p.spec.name(),
                    p.spec.dist.name()
                ),
            );
        }
    }
    let (method, _) = f.method?;
    let command = f.command.filter(|c| *c != CommandToken::default_command());
    Some(SweepSpec {
        name: f.name,
        description: f.description,
        method,
        metric: f.metric,
        parameters: params.into_iter().map(|p| p.spec).collect(),
        early_terminate: f.early_terminate.map(|(et, _)| et),
        command,
        program: f.program,
        run_cap: f.run_cap,
        config: f
            .config
            .unwrap_or_else(|| Value::Object(serde_json::Map::new())),
        config_path: f.config_path,
        trainer: f.trainer,
        timeout_secs: f.timeout_secs,
        seed: f.seed,
        wandb_extra: f.wandb_extra,
    })
}

fn parse_method(v: &Node, ctx: &mut Ctx<'_>) -> Option<Method> {
    let Some(s) = v.as_str() else {
        ctx.err(
            v.pos,
            "method",
            format!(
                "`method` must be grid, random or bayes, found {}",
                v.describe()
            ),
        );
        return None;
    };
    match s {
        "grid" => Some(Method::Grid),
        "random" => Some(Method::Random),
        "bayes" => Some(Method::Bayes),
        "custom" => {
            ctx.err(
                v.pos,
                "method",
                "`method: custom` (custom schedulers of W&B Launch) is not supported by Sweep; use grid, random or bayes",
            );
            None
        }
        _ => {
            let hint = if s.eq_ignore_ascii_case("bayesian") {
                "; did you mean `bayes`?".to_string()
            } else {
                did_you_mean(s, &["grid", "random", "bayes"])
            };
            ctx.err(
                v.pos,
                "method",
                format!("unknown method `{s}` (grid, random or bayes){hint}"),
            );
            None
        }
    }
}

/// The longest per-trial timeout accepted: a year.
const MAX_TIMEOUT_SECS: f64 = 31_536_000.0;

fn parse_timeout(v: &Node, ctx: &mut Ctx<'_>) -> Option<f64> {
    let secs = match &v.kind {
        Kind::Int(_) | Kind::Float(_) => number(v, "timeout", "timeout", ctx)?,
        Kind::Str(s) if s.trim().parse::<f64>().is_ok() => s.trim().parse::<f64>().unwrap_or(0.0),
        Kind::Str(s) => match humantime::parse_duration(s.trim()) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => {
                ctx.err(
                    v.pos,
                    "timeout",
                    format!(
                        "`timeout` must be seconds or a duration such as `30s`, `5m`, `2h 30m`; cannot read {s:?}: {e}"
                    ),
                );
                return None;
            }
        },
        _ => {
            ctx.err(
                v.pos,
                "timeout",
                format!(
                    "`timeout` must be seconds or a duration such as `30s`, `5m`, found {}",
                    v.describe()
                ),
            );
            return None;
        }
    };
    if !(secs.is_finite() && secs > 0.0) {
        ctx.err(
            v.pos,
            "timeout",
            format!("`timeout` must be positive (found {})", v.raw),
        );
        return None;
    }
    if secs > MAX_TIMEOUT_SECS {
        ctx.err(
            v.pos,
            "timeout",
            format!(
                "`timeout` is at most a year ({MAX_TIMEOUT_SECS} s); found {}",
                v.raw
            ),
        );
        return None;
    }
    Some(secs)
}

/// The base config: an inline mapping, or a path (relative to the spec's directory) to a
/// YAML/JSON file. Returns the config and the path it was loaded from.
fn parse_config(v: &Node, base_dir: &Path, ctx: &mut Ctx<'_>) -> Option<(Value, Option<String>)> {
    match &v.kind {
        Kind::Map(_) => to_json(v, "config", ctx).map(|c| (c, None)),
        Kind::Str(rel) => {
            let path = base_dir.join(rel);
            let shown = path.display().to_string();
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    ctx.err(
                        v.pos,
                        "config",
                        format!("cannot read the config file {shown}: {e}"),
                    );
                    return None;
                }
            };
            let before = ctx.diags.len();
            let value = parse_config_text(&text, &shown, &mut ctx.diags);
            if ctx.diags.len() > before {
                ctx.err(
                    v.pos,
                    "config",
                    format!("the config file {shown} is invalid (see below)"),
                );
                return None;
            }
            match value {
                Some(value @ Value::Object(_)) => Some((value, Some(shown))),
                Some(other) => {
                    ctx.err(
                        v.pos,
                        "config",
                        format!(
                            "the config file {shown} must hold a mapping, found {}",
                            json_kind(&other)
                        ),
                    );
                    None
                }
                None => None,
            }
        }
        _ => {
            ctx.err(
                v.pos,
                "config",
                format!(
                    "`config` must be a mapping or the path of a YAML/JSON file, found {}",
                    v.describe()
                ),
            );
            None
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn parse_wandb_extra(e: &Entry, ctx: &mut Ctx<'_>) -> Option<Value> {
    let v = &e.value;
    match e.key.as_str() {
        "controller" => {
            let Some(entries) = v.as_map() else {
                ctx.err(
                    v.pos,
                    "controller",
                    format!(
                        "`controller` must be a mapping such as `{{type: local}}`, found {}",
                        v.describe()
                    ),
                );
                return None;
            };
            check_keys(entries, &["type"], "controller", "`controller`", ctx);
            if let Some(t) = v.get("type") {
                one_of(t, "controller.type", &["local", "cloud"], ctx)?;
            }
            to_json(v, "controller", ctx)
        }
        "kind" => {
            one_of(v, "kind", &["sweep"], ctx)?;
            to_json(v, "kind", ctx)
        }
        key => string(v, key, ctx).map(Value::String),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filled_spec_json;
    use crate::test_util::{assert_diag, dist_of, errors, parse, parse_mode};
    use serde_json::json;
    use sweep_core::{Distribution, Goal};

    #[test]
    fn defaults_are_filled_as_wandb_does() {
        let spec = parse(
            "method: random
parameters:
  n: {distribution: normal}
  qn: {distribution: q_normal, mu: 2}
  ln: {distribution: log_normal, sigma: 0.5}
  qln: {distribution: q_log_normal}
  b: {distribution: beta}
  qb: {distribution: q_beta, a: 2, q: 0.1}
  qu: {distribution: q_uniform, min: 0, max: 10}
  qlv: {distribution: q_log_uniform_values, min: 1, max: 1000}
  u: {distribution: uniform, min: 1, max: 2}
",
        );
        assert_eq!(
            dist_of(&spec, "n"),
            Distribution::Normal {
                mu: 0.0,
                sigma: 1.0
            }
        );
        assert_eq!(
            dist_of(&spec, "qn"),
            Distribution::QNormal {
                mu: 2.0,
                sigma: 1.0,
                q: 1.0
            }
        );
        assert_eq!(
            dist_of(&spec, "ln"),
            Distribution::LogNormal {
                mu: 0.0,
                sigma: 0.5
            }
        );
        assert_eq!(
            dist_of(&spec, "qln"),
            Distribution::QLogNormal {
                mu: 0.0,
                sigma: 1.0,
                q: 1.0
            }
        );
        assert_eq!(dist_of(&spec, "b"), Distribution::Beta { a: 1.0, b: 1.0 });
        assert_eq!(
            dist_of(&spec, "qb"),
            Distribution::QBeta {
                a: 2.0,
                b: 1.0,
                q: 0.1
            }
        );
        assert_eq!(
            dist_of(&spec, "qu"),
            Distribution::QUniform {
                min: 0.0,
                max: 10.0,
                q: 1.0
            }
        );
        assert_eq!(
            dist_of(&spec, "qlv"),
            Distribution::QLogUniformValues {
                min: 1.0,
                max: 1000.0,
                q: 1.0
            }
        );
        // An explicit `uniform` with integer bounds stays uniform.
        assert_eq!(
            dist_of(&spec, "u"),
            Distribution::Uniform { min: 1.0, max: 2.0 }
        );
        let spec = parse(
            "method: grid\nparameters: {a: {values: [1]}}\nmetric: {name: loss}\nearly_terminate: {type: hyperband, min_iter: 3}\n",
        );
        let metric = spec
            .metric
            .clone()
            .unwrap_or_else(|| MetricSpec::new("", Goal::Maximize));
        assert_eq!(metric, MetricSpec::new("loss", Goal::Minimize));
        assert_eq!(metric.impute.as_str(), "worst");
        assert_eq!(metric.impute_while_running.as_str(), "false");
        assert_eq!(
            spec.early_terminate,
            Some(EarlyTerminate::Hyperband {
                min_iter: Some(3),
                max_iter: None,
                s: None,
                eta: 3.0,
                strict: true
            })
        );
        assert_eq!(spec.command, None);
        assert_eq!(spec.config, json!({}));
    }

    #[test]
    fn a_param_defined_twice_by_nesting_is_an_error() {
        let d = errors(
            "method: grid
parameters:
  opt.lr: {values: [1]}
  opt:
    parameters:
      lr: {values: [2]}
",
        );
        assert_diag(
            &d,
            6,
            "parameters.opt.parameters.lr",
            "defined twice (also at line 3)",
        );
    }

    #[test]
    fn run_cap_must_be_a_positive_integer() {
        for (value, found) in [
            ("0", "found 0"),
            ("-1", "found -1"),
            ("2.5", "found 2.5"),
            ("ten", "found the string \"ten\""),
        ] {
            let d = errors(&format!(
                "method: random\nrun_cap: {value}\nparameters: {{a: {{values: [1]}}}}\n"
            ));
            assert_diag(&d, 2, "run_cap", found);
            assert_diag(&d, 2, "run_cap", "positive integer");
        }
        let spec = parse("method: random\nrun_cap: 20\nparameters: {a: {values: [1]}}\n");
        assert_eq!(spec.run_cap, Some(20));
    }

    #[test]
    fn specs_that_are_not_mappings_or_empty_are_errors() {
        let d = errors("- method: grid\n");
        assert_diag(&d, 1, "", "must be a mapping");
        let d = errors("");
        assert_diag(&d, 1, "", "empty");
        let d = errors("# just a comment\n");
        assert_diag(&d, 1, "", "empty");
        let d = errors("---\n");
        assert_diag(&d, 1, "", "empty");
        let d = errors("method: grid\nparameters: [1\n");
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("invalid YAML"), "{d:?}");
        let d =
            errors("method: grid\ncommand: [${env}, ${args}]\nparameters: {a: {values: [1]}}\n");
        assert_eq!(d.len(), 1);
        assert_diag(&d, 2, "", "quote");
        let d = errors("{}");
        assert_diag(&d, 1, "method", "missing required key `method`");
        assert_diag(&d, 1, "parameters", "missing required key `parameters`");
        let d = errors("method: grid\nparameters: {}\n");
        assert_diag(&d, 2, "parameters", "empty");
        let d = errors("method: grid\nparameters:\n");
        assert_diag(&d, 2, "parameters", "must be a mapping");
    }

    #[test]
    fn unknown_top_level_keys_are_named_with_suggestions() {
        let d = errors(
            "methd: grid
parameters: {a: {values: [1]}}
count: 10
max_runs: 5
args: [--x]
foo: 1
",
        );
        assert_diag(
            &d,
            1,
            "methd",
            "unknown key `methd`; did you mean `method`?",
        );
        assert_diag(&d, 3, "count", "use `run_cap: N`");
        assert_diag(&d, 3, "count", "--count");
        assert_diag(&d, 4, "max_runs", "run_cap");
        assert_diag(&d, 5, "args", "`command`");
        assert_diag(&d, 5, "args", "${args}");
        assert_diag(&d, 6, "foo", "unknown key `foo` (a spec takes");
        assert_diag(&d, 1, "method", "missing required key");
    }

    #[test]
    fn launch_features_are_not_supported() {
        let d = errors(
            "method: custom
scheduler: {engine: optuna}
metrics: [{name: a}, {name: b}]
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 1, "method", "not supported by Sweep");
        assert_diag(&d, 2, "scheduler", "not supported by Sweep");
        assert_diag(&d, 3, "metrics", "not supported by Sweep");
        let d = errors("method: Bayesian\nparameters: {a: {values: [1]}}\n");
        assert_diag(&d, 1, "method", "did you mean `bayes`?");
    }

    #[test]
    fn bayes_requires_a_metric() {
        let d = errors("name: x\nmethod: bayes\nparameters: {a: {min: 0.0, max: 1.0}}\n");
        assert_diag(&d, 2, "method", "needs a `metric`");
        parse("method: bayes\nmetric: {name: loss}\nparameters: {a: {min: 0.0, max: 1.0}}\n");
    }

    #[test]
    fn grid_rejects_continuous_params_by_name() {
        let d = errors(
            "method: grid
parameters:
  ok1: {values: [1, 2]}
  ok2: {min: 1, max: 3}
  ok3: {distribution: q_uniform, min: 0, max: 1, q: 0.25}
  weighted: {values: [a, b], probabilities: [0.5, 0.5]}
  lr: {min: 0.0, max: 1.0}
  noise: {distribution: normal}
",
        );
        assert_diag(
            &d,
            6,
            "parameters.weighted.probabilities",
            "a grid runs each of `weighted`'s values once",
        );
        assert_diag(
            &d,
            7,
            "parameters.lr",
            "grid search cannot enumerate `lr` (a `uniform` parameter)",
        );
        assert_diag(&d, 8, "parameters.noise", "`normal`");
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn sweep_keys_timeout_seed_trainer() {
        let spec = parse(
            "method: grid
trainer: text-classifier
timeout: 5m
seed: 0
parameters: {a: {values: [1]}}
project: p
entity: e
controller: {type: local}
",
        );
        assert_eq!(spec.timeout_secs, Some(300.0));
        assert_eq!(spec.seed, Some(0));
        assert_eq!(
            spec.trainer,
            Some(TrainerSpec {
                kind: sweep_core::TrainerId::new("text-classifier")
            })
        );
        assert_eq!(spec.wandb_extra.get("project"), Some(&json!("p")));
        assert_eq!(
            spec.wandb_extra.get("controller"),
            Some(&json!({"type": "local"}))
        );
        let spec = parse("method: grid\ntimeout: 2.5\nparameters: {a: {values: [1]}}\n");
        assert_eq!(spec.timeout_secs, Some(2.5));
        let d = errors(
            "method: grid
timeout: soon
seed: -3
trainer: 5
parameters: {a: {values: [1]}}
",
        );
        assert_diag(&d, 2, "timeout", "duration such as `30s`");
        assert_diag(&d, 3, "seed", "non-negative integer, found -3");
        assert_diag(&d, 4, "trainer", "must be a string");
        let d = errors("method: grid\ntimeout: 0\nparameters: {a: {values: [1]}}\n");
        assert_diag(&d, 2, "timeout", "positive");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let d = errors(
            "method: grid
parameters:
  a: {values: [1]}
  a: {values: [2]}
method: random
",
        );
        assert_diag(
            &d,
            4,
            "parameters.a",
            "duplicate key `a` (first given on line 3)",
        );
        assert_diag(&d, 5, "method", "duplicate key `method`");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = "method: grid
run_cap: 0
parameters:
  lr: {min: 0.1, max: 0.01}
  bs: {vales: [1, 2]}
  drop: {values: []}
command: ['${nope}']
";
        let err = match parse_mode(text, Mode::Run) {
            Err(e) => e,
            Ok(spec) => panic!("valid: {spec:?}"),
        };
        let d = err.diagnostics().to_vec();
        assert_eq!(d.len(), 5, "{err}");
        let lines: Vec<usize> = d.iter().map(|d| d.line).collect();
        assert_eq!(lines, [2, 4, 5, 6, 7]);
        let shown = err.to_string();
        let mut shown_lines = shown.lines();
        assert_eq!(shown_lines.next(), Some("spec.yaml: 5 problems:"));
        assert_eq!(shown_lines.count(), 5);
        assert!(
            shown.contains("spec.yaml:5:8: parameters.bs.vales: unknown field `vales`"),
            "{shown}"
        );
        let one = errors("method: grid\nparameters: {a: {values: []}}\n");
        let shown = SpecError::Invalid {
            file: "spec.yaml".into(),
            diagnostics: one,
        }
        .to_string();
        assert!(
            shown.starts_with("spec.yaml: 1 problem:\n  spec.yaml:2:"),
            "{shown}"
        );
    }

    #[test]
    fn json_specs_parse_with_positions() {
        let text = r#"{
  "method": "random",
  "metric": {"name": "loss", "goal": "minimize"},
  "parameters": {
    "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1},
    "bs": {"values": [16, 32]}
  }
}"#;
        let spec = parse(text);
        assert_eq!(spec.method, Method::Random);
        assert_eq!(
            dist_of(&spec, "bs"),
            Distribution::Categorical {
                values: vec![json!(16), json!(32)]
            }
        );
        let bad = text.replace("\"max\": 0.1", "\"max\": 1e-6");
        let d = errors(&bad);
        assert_diag(&d, 5, "parameters.lr.min", "must be less than max");
        // JSON the YAML parser rejects (tab after a colon with no space) still parses.
        let spec = parse("{\"method\":\"grid\",\"parameters\":{\"a\":{\"values\":[1,\t2]}}}");
        assert_eq!(spec.parameters.len(), 1);
    }

    #[test]
    fn anchors_and_aliases_resolve() {
        let spec = parse(
            "method: grid
parameters:
  a: &choices {values: [1, 2, 3]}
  b: *choices
",
        );
        assert_eq!(dist_of(&spec, "a"), dist_of(&spec, "b"));
    }

    #[test]
    fn config_inline_and_from_files() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        };
        let write = |name: &str, text: &str| {
            if let Err(e) = std::fs::write(dir.path().join(name), text) {
                panic!("write {name}: {e}");
            }
        };
        write(
            "base.yaml",
            "model: {kind: lr, c: 1.0}\ndata:\n  train: t.jsonl\n",
        );
        write("base.json", "{\"model\": {\"c\": 2}}");
        write("bad.yaml", "model:\n  c: 1\n  c: 2\n");
        write("list.yaml", "- 1\n");
        write(
            "spec.txt",
            "method: grid\nconfig: base.yaml\nparameters: {model.c: {values: [0.1, 1]}}\n",
        );
        let spec = match crate::load_spec(&dir.path().join("spec.txt"), Mode::Run) {
            Ok(spec) => spec,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            spec.config,
            json!({"model": {"kind": "lr", "c": 1.0}, "data": {"train": "t.jsonl"}})
        );
        let expected = dir.path().join("base.yaml").display().to_string();
        assert_eq!(spec.config_path.as_deref(), Some(expected.as_str()));

        let spec = parse_spec(
            "method: grid\nconfig: base.json\nparameters: {a: {values: [1]}}\n",
            "s.yaml",
            dir.path(),
            Mode::Run,
        );
        assert_eq!(
            spec.map(|s| s.config).ok(),
            Some(json!({"model": {"c": 2}}))
        );

        let err = parse_spec(
            "method: grid\nconfig: bad.yaml\nparameters: {a: {values: [1]}}\n",
            "s.yaml",
            dir.path(),
            Mode::Run,
        );
        let diags = err
            .err()
            .map(|e| e.diagnostics().to_vec())
            .unwrap_or_default();
        let bad = dir.path().join("bad.yaml").display().to_string();
        assert!(
            diags
                .iter()
                .any(|d| d.file == bad && d.line == 3 && d.key == "model.c"),
            "{diags:?}"
        );
        assert!(
            diags
                .iter()
                .any(|d| d.file == "s.yaml" && d.line == 2 && d.key == "config")
        );

        for (name, needle) in [
            ("missing.yaml", "cannot read"),
            ("list.yaml", "must hold a mapping"),
        ] {
            let text =
                format!("method: grid\nconfig: {name}\nparameters: {{a: {{values: [1]}}}}\n");
            let diags = parse_spec(&text, "s.yaml", dir.path(), Mode::Run)
                .err()
                .map(|e| e.diagnostics().to_vec())
                .unwrap_or_default();
            assert_diag(&diags, 2, "config", needle);
        }

        let spec =
            parse("method: grid\nconfig: {a: {b: [1, x]}}\nparameters: {a.b: {values: [1]}}\n");
        assert_eq!(spec.config, json!({"a": {"b": [1, "x"]}}));
        assert_eq!(spec.config_path, None);
        let d = errors("method: grid\nconfig: 3\nparameters: {a: {values: [1]}}\n");
        assert_diag(&d, 2, "config", "mapping or the path");

        assert_eq!(
            crate::load_config_file(&dir.path().join("base.json")).ok(),
            Some(json!({"model": {"c": 2}}))
        );
        assert!(matches!(
            crate::load_config_file(&dir.path().join("nope.yaml")),
            Err(SpecError::Io { .. })
        ));
        assert!(matches!(
            crate::load_config_file(&dir.path().join("bad.yaml")),
            Err(SpecError::Invalid { .. })
        ));
        assert!(matches!(
            crate::load_spec(&dir.path().join("nope.yaml"), Mode::Run),
            Err(SpecError::Io { .. })
        ));
    }

    #[test]
    fn filled_spec_round_trips() {
        let text = "name: full
description: every feature
method: bayes
metric: {name: val/f1, goal: maximize, target: 0.9}
run_cap: 12
program: train.py
command: ['${env}', python, '${program}', --cfg, c.yaml, '${args_no_hyphens}']
early_terminate: {type: hyperband, min_iter: 3, eta: 2}
trainer: text-classifier
timeout: 90s
seed: 42
project: proj
config: {model: {kind: lr}, list: [1, 2.5, x]}
parameters:
  lr: {distribution: log_uniform_values, min: 1e-5, max: 0.1}
  c: {value: {a: 1}}
  cat: {values: [1, 2.0, three, null, [4]]}
  catp: {values: [a, b], probabilities: [0.2, 0.8]}
  layers: {min: 1, max: 4}
  drop: {min: 0, max: 0.5}
  qu: {distribution: q_uniform, min: 0, max: 1, q: 0.25}
  n: {distribution: normal}
  qn: {distribution: q_normal, mu: 1, sigma: 2, q: 0.5}
  ln: {distribution: log_normal}
  qln: {distribution: q_log_normal}
  b: {distribution: beta, a: 2}
  qb: {distribution: q_beta}
  qlv: {distribution: q_log_uniform_values, min: 1, max: 100, q: 5}
  ilv: {distribution: inv_log_uniform_values, min: 0.1, max: 10}
  opt:
    parameters:
      kind: {values: [adam, sgd]}
      beta:
        parameters:
          one: {min: 0.8, max: 0.99}
";
        let spec = parse(text);
        let filled = filled_spec_json(&spec);
        assert_eq!(
            filled["parameters"]["opt"]["parameters"]["beta"]["parameters"]["one"],
            json!({"distribution": "uniform", "min": 0.8, "max": 0.99})
        );
        assert_eq!(
            filled["parameters"]["layers"]["distribution"],
            json!("int_uniform")
        );
        assert_eq!(
            filled["parameters"]["qb"],
            json!({"distribution": "q_beta", "a": 1.0, "b": 1.0, "q": 1.0})
        );
        assert_eq!(
            filled["metric"],
            json!({"name": "val/f1", "goal": "maximize", "target": 0.9, "impute": "worst", "impute_while_running": "false"})
        );
        assert_eq!(
            filled["early_terminate"],
            json!({"type": "hyperband", "min_iter": 3, "eta": 2.0, "strict": true})
        );
        for (block, want) in [
            (
                "{type: asha}",
                json!({"type": "asha", "min_iter": 1, "eta": 3.0}),
            ),
            (
                "{type: asha, min_iter: 2, eta: 2, max_iter: 81}",
                json!({"type": "asha", "min_iter": 2, "eta": 2.0, "max_iter": 81}),
            ),
            (
                "{type: median}",
                json!({"type": "median", "min_iter": 1, "min_runs": 3}),
            ),
            (
                "{type: hyperband, max_iter: 27, s: 2, strict: false}",
                json!({"type": "hyperband", "max_iter": 27, "s": 2, "eta": 3.0, "strict": false}),
            ),
        ] {
            let spec = parse(&format!(
                "method: random\nmetric: {{name: loss}}\nearly_terminate: {block}\nparameters: {{a: {{values: [1]}}}}\n"
            ));
            let filled = filled_spec_json(&spec);
            assert_eq!(filled["early_terminate"], want, "{block}");
            assert_eq!(parse(&filled.to_string()), spec, "{block}");
        }
        assert_eq!(filled["timeout"], json!(90.0));
        assert_eq!(filled["trainer"], json!("text-classifier"));
        assert_eq!(filled["project"], json!("proj"));
        let again = parse(&filled.to_string());
        assert_eq!(again, spec);
        // The filled spec of a minimal spec writes W&B's default command and the metric
        // defaults, and reads back the same.
        let spec =
            parse("method: random\nmetric: {name: loss}\nparameters: {x: {min: 0.0, max: 1.0}}\n");
        let filled = filled_spec_json(&spec);
        assert_eq!(
            filled["command"],
            json!(["${env}", "${interpreter}", "${program}", "${args}"])
        );
        assert_eq!(filled["metric"]["goal"], json!("minimize"));
        assert_eq!(filled["parameters"]["x"]["distribution"], json!("uniform"));
        assert_eq!(parse(&filled.to_string()), spec);
    }

    #[test]
    fn engine_filled_spec_round_trips_v1_kinds() {
        let text =
            "method: random\nparameters: {lr: {distribution: log_uniform, min: -9, max: -2}}\n";
        let spec = match parse_mode(text, Mode::Engine) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let filled = filled_spec_json(&spec);
        assert_eq!(
            filled["parameters"]["lr"],
            json!({"distribution": "log_uniform", "min": -9.0, "max": -2.0})
        );
        assert_eq!(
            parse_mode(&filled.to_string(), Mode::Engine).ok(),
            Some(spec)
        );
    }

    /// The DETR sweep of seed 002, verbatim.
    const DETR_SWEEP: &str = r#"# configs/sweep_config.yaml
# W&B Sweep Configuration
name: "detr_hyperparam_tuning_v1"
program: scripts/train_detector.py
method: bayes  # Bayesian optimization for efficiency
metric:
  name: val/f1
  goal: maximize

# Explicit command to load the base config and then override with sweep params
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - "--config"
  - "configs/detector_config.yaml"
  - "--project-root"
  - "."
  - "--sweep"
  - ${args}

parameters:
  # Training Dynamics
  training.lr:
    distribution: log_uniform_values
    min: 1e-5
    max: 1e-3
  
  training.weight_decay:
    distribution: log_uniform_values
    min: 1e-5
    max: 1e-3
  
  training.warmup_epochs:
    values: [3, 5]
    
  training.gradient_accumulation_steps:
    values: [4, 8, 16]

  # DETR Architecture (Constrained to avoid OOM)
  model.detr.hidden_dim:
    values: [128, 256]
  
  model.detr.num_encoder_layers:
    values: [4, 6]
    
  model.detr.num_decoder_layers:
    values: [4, 6]
    
  model.detr.dropout:
    values: [0.1, 0.2, 0.3]

  # Loss Weights (Crucial for DETR convergence)
  model.loss.lambda_cls:
    min: 0.5
    max: 2.0
  
  model.loss.lambda_l1:
    min: 2.0
    max: 10.0
  
  model.loss.lambda_iou:
    min: 1.0
    max: 5.0

# Early termination to prune bad runs, respecting warmup
early_terminate:
  type: hyperband
  min_iter: 6  # > max(warmup_epochs) to allow convergence start
  eta: 2
"#;

    #[test]
    fn the_detr_sweep_of_the_seeds_parses() {
        let spec = parse(DETR_SWEEP);
        assert_eq!(spec.name.as_deref(), Some("detr_hyperparam_tuning_v1"));
        assert_eq!(spec.method, Method::Bayes);
        assert_eq!(spec.metric.as_ref().map(|m| m.goal), Some(Goal::Maximize));
        assert_eq!(spec.parameters.len(), 11);
        assert_eq!(spec.parameters[0].name(), "model.detr.dropout");
        assert_eq!(
            dist_of(&spec, "training.lr"),
            Distribution::LogUniformValues {
                min: 1e-5,
                max: 1e-3
            }
        );
        assert_eq!(
            dist_of(&spec, "model.loss.lambda_l1"),
            Distribution::Uniform {
                min: 2.0,
                max: 10.0
            }
        );
        assert_eq!(spec.command.as_ref().map(Vec::len), Some(9));
        assert_eq!(
            spec.early_terminate,
            Some(EarlyTerminate::Hyperband {
                min_iter: Some(6),
                max_iter: None,
                s: None,
                eta: 2.0,
                strict: true
            })
        );
        assert_eq!(parse(&filled_spec_json(&spec).to_string()), spec);
    }

    #[test]
    fn malformed_input_never_panics() {
        // Every truncation and a few single-character corruptions of real specs.
        let json = filled_spec_json(&parse(DETR_SWEEP)).to_string();
        for text in [DETR_SWEEP, json.as_str()] {
            let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            for &cut in &cuts {
                let _ = parse_mode(&text[..cut], Mode::Run);
            }
            for &at in cuts.iter().step_by(4) {
                for replacement in [
                    "", ":", "-", "[", "{", "\"", "'", "&a", "*a", "!!int", "\t", "\n  ",
                ] {
                    let mut mutated = String::with_capacity(text.len() + 8);
                    mutated.push_str(&text[..at]);
                    mutated.push_str(replacement);
                    let rest = &text[at..];
                    let skip = rest.chars().next().map_or(0, char::len_utf8);
                    mutated.push_str(&rest[skip..]);
                    let _ = parse_mode(&mutated, Mode::Run);
                    let _ = parse_mode(&mutated, Mode::Engine);
                }
            }
        }
        // Deep nesting is an error or a value, not a stack overflow.
        let deep = format!(
            "method: grid\nparameters: {{a: {{value: {}1{}}}}}\n",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        let _ = parse_mode(&deep, Mode::Run);
        for (n, key) in [(200_000, ""), (126, "config.x[0][0]")] {
            let deep_block = format!(
                "method: grid\nparameters: {{a: {{value: 1}}}}\nconfig:\n  x:\n    {}1\n",
                "- ".repeat(n)
            );
            let d = errors(&deep_block);
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!(d[0].line, 5);
            assert!(d[0].key.starts_with(key), "{}", d[0].key);
            assert!(
                d[0].message.contains("nested too deeply"),
                "{}",
                d[0].message
            );
        }
        // Aliases that expand exponentially are stopped.
        let mut laughs = String::from(
            "method: grid\nparameters: {a: {value: 1}}\nconfig:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n",
        );
        for i in 1..10 {
            let refs = vec![format!("*l{}", i - 1); 10].join(", ");
            laughs.push_str(&format!("  l{i}: &l{i} [{refs}]\n"));
        }
        let d = errors(&laughs);
        assert!(
            d.iter().any(|d| d.message.contains("aliases expand")),
            "{d:?}"
        );
        let deep_params = format!(
            "method: grid\nparameters:\n{}",
            (0..200)
                .map(|i| format!(
                    "{}p{i}:\n{}  parameters:\n",
                    "    ".repeat(i),
                    "    ".repeat(i)
                ))
                .collect::<String>()
        );
        let _ = parse_mode(&deep_params, Mode::Run);
    }

    #[test]
    fn errors_in_several_params_are_all_reported() {
        let d = errors(
            "method: grid
parameters:
  a: {value: 1}
  a.b: {values: [1, 2]}
  bad: {min: 5, max: 1}
  lr: {min: 0.001, max: 0.1}
",
        );
        assert_diag(&d, 5, "parameters.bad.min", "must be less than max");
        assert_diag(&d, 6, "parameters.lr", "grid search cannot enumerate `lr`");
        assert_eq!(d.len(), 2, "{d:?}");
    }

    #[test]
    fn overlapping_dotted_names_are_separate_params_as_in_w_and_b() {
        // Hydra's override style with ${args_no_hyphens}: W&B passes both.
        let spec = parse(
            "method: grid
command: [\"${env}\", python, train.py, \"${args_no_hyphens}\"]
parameters:
  model: {value: v0}
  model.base_model.activation: {values: [mish, relu]}
",
        );
        let names: Vec<String> = spec.parameters.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["model", "model.base_model.activation"]);
    }

    #[test]
    fn timeouts_are_bounded_and_accept_numeric_strings() {
        let spec = parse("method: grid\ntimeout: \"90\"\nparameters: {a: {values: [1]}}\n");
        assert_eq!(spec.timeout_secs, Some(90.0));
        let d = errors("method: grid\ntimeout: 1e300\nparameters: {a: {values: [1]}}\n");
        assert_diag(&d, 2, "timeout", "at most a year");
    }
}
