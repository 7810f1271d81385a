//! Expansion of W&B command macros into an argv (never a shell string).

use std::collections::BTreeMap;
use sweep_core::{CommandToken, Macro, ParamSpec, Params, Piece, Value};

/// Why a command could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("the command uses ${{program}} but the spec has no `program`")]
    NoProgram,
    #[error("the command uses ${{envvar:{0}}} but the environment variable {0} is not set")]
    MissingEnvVar(String),
    #[error("the command is empty after expanding its macros")]
    Empty,
}

/// What the macros expand from.
pub struct CommandContext<'a> {
    pub program: Option<&'a str>,
    /// The run's params (dotted names), with their specs for nesting.
    pub params: &'a Params,
    pub param_specs: &'a [ParamSpec],
    /// Path given to `${args_json_file}`.
    pub args_json_file: &'a str,
    /// Looks up environment variables (injectable for tests).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// The interpreter W&B's `${interpreter}` stands for, chosen by the program's extension;
/// an empty list means the program is executed directly.
pub fn interpreter_for(program: &str) -> Vec<String> {
    let ext = std::path::Path::new(program)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = match ext.as_str() {
        "py" => std::env::var("SWEEP_PYTHON").unwrap_or_else(|_| "python3".to_string()),
        "sh" => "sh".to_string(),
        "bash" => "bash".to_string(),
        "r" => "Rscript".to_string(),
        "jl" => "julia".to_string(),
        "rb" => "ruby".to_string(),
        "js" | "mjs" => "node".to_string(),
        "pl" => "perl".to_string(),
        _ => return Vec::new(),
    };
    vec![name]
}

/// The values passed as arguments: top-level params by name, nested params grouped under
/// their outermost key as an object (as W&B passes nested parameters).
pub fn arg_values(params: &Params, specs: &[ParamSpec]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (name, value) in params {
        let path = specs
            .iter()
            .find(|s| &s.name() == name)
            .map(|s| s.path.clone())
            .unwrap_or_else(|| vec![name.clone()]);
        if path.len() == 1 {
            out.insert(name.clone(), value.clone());
            continue;
        }
        let mut node = out
            .entry(path[0].clone())
            .or_insert_with(|| Value::Object(Default::default()));
        for part in &path[1..path.len() - 1] {
            if !node.is_object() {
                *node = Value::Object(Default::default());
            }
            let Value::Object(map) = node else { break };
            node = map
                .entry(part.clone())
                .or_insert_with(|| Value::Object(Default::default()));
        }
        if !node.is_object() {
            *node = Value::Object(Default::default());
        }
        if let (Value::Object(map), Some(last)) = (node, path.last()) {
            map.insert(last.clone(), value.clone());
        }
    }
    out
}

/// How an argument value is written: strings as they are, everything else as JSON
/// (`true`, `0.01`, `[1, 2]`, `{"a": 1}`).
pub fn format_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Expands a command template into argv. A token that is one list macro (`${args}` and
/// its kin) expands to one argument per param; every other token is one argument, its
/// macros replaced by their text.
pub fn expand(
    template: &[CommandToken],
    ctx: &CommandContext<'_>,
) -> Result<Vec<String>, CommandError> {
    let args = arg_values(ctx.params, ctx.param_specs);
    let mut argv = Vec::new();
    for token in template {
        match token.pieces() {
            [Piece::Macro(Macro::Interpreter)] => {
                argv.extend(interpreter_for(ctx.program.ok_or(CommandError::NoProgram)?))
            }
            [Piece::Macro(Macro::Args)] => argv.extend(
                args.iter()
                    .map(|(k, v)| format!("--{k}={}", format_value(v))),
            ),
            [Piece::Macro(Macro::ArgsNoEquals)] => {
                for (k, v) in &args {
                    argv.push(format!("--{k}"));
                    argv.push(format_value(v));
                }
            }
            [Piece::Macro(Macro::ArgsNoHyphens)] => {
                argv.extend(args.iter().map(|(k, v)| format!("{k}={}", format_value(v))))
            }
            [Piece::Macro(Macro::ArgsNoBooleanFlags)] => {
                for (k, v) in &args {
                    match v {
                        Value::Bool(true) => argv.push(format!("--{k}")),
                        Value::Bool(false) => {}
                        other => argv.push(format!("--{k}={}", format_value(other))),
                    }
                }
            }
            pieces => argv.push(substitute(pieces, &args, ctx)?),
        }
    }
    if argv.is_empty() {
        return Err(CommandError::Empty);
    }
    Ok(argv)
}

/// One argument: the pieces' text joined (the config reader keeps list macros out of here).
fn substitute(
    pieces: &[Piece],
    args: &BTreeMap<String, Value>,
    ctx: &CommandContext<'_>,
) -> Result<String, CommandError> {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::EnvVar(var) => out.push_str(
                &(ctx.env)(var).ok_or_else(|| CommandError::MissingEnvVar(var.to_string()))?,
            ),
            Piece::Macro(mac) => match mac {
                Macro::Env => out.push_str("/usr/bin/env"),
                Macro::ArgsJsonFile => out.push_str(ctx.args_json_file),
                Macro::ArgsJson => {
                    let map: serde_json::Map<String, Value> = args.clone().into_iter().collect();
                    out.push_str(&Value::Object(map).to_string());
                }
                Macro::Program => out.push_str(ctx.program.ok_or(CommandError::NoProgram)?),
                Macro::Interpreter => out.push_str(
                    &interpreter_for(ctx.program.ok_or(CommandError::NoProgram)?).join(" "),
                ),
                // `CommandToken::parse` refuses a list macro inside a longer token, and a
                // token that is one is expanded by `expand`: none reaches here.
                Macro::Args
                | Macro::ArgsNoEquals
                | Macro::ArgsNoHyphens
                | Macro::ArgsNoBooleanFlags => out.push_str(mac.token()),
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sweep_core::Distribution;

    fn ctx<'a>(
        params: &'a Params,
        specs: &'a [ParamSpec],
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> CommandContext<'a> {
        CommandContext {
            program: Some("train.py"),
            params,
            param_specs: specs,
            args_json_file: "/runs/r1/args.json",
            env,
        }
    }

    fn t(tokens: &[&str]) -> Vec<String> {
        tokens.iter().map(|s| s.to_string()).collect()
    }

    fn cmd(tokens: &[&str]) -> Vec<CommandToken> {
        tokens.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn every_macro_expands_to_literal_arguments() {
        let params: Params = [
            ("lr".to_string(), json!(0.01)),
            ("name".to_string(), json!("a; rm -rf ~")),
            ("flag".to_string(), json!(true)),
            ("off".to_string(), json!(false)),
        ]
        .into();
        let env = |k: &str| (k == "HOME_DIR").then(|| "/home/u".to_string());
        let c = ctx(&params, &[], &env);
        assert_eq!(
            expand(&CommandToken::default_command(), &c).unwrap(),
            t(&[
                "/usr/bin/env",
                "python3",
                "train.py",
                "--flag=true",
                "--lr=0.01",
                "--name=a; rm -rf ~",
                "--off=false"
            ])
        );
        assert_eq!(
            expand(&cmd(&["${args_no_equals}"]), &c).unwrap()[..4],
            t(&["--flag", "true", "--lr", "0.01"])[..]
        );
        assert_eq!(
            expand(&cmd(&["${args_no_hyphens}"]), &c).unwrap()[1],
            "lr=0.01"
        );
        assert_eq!(
            expand(&cmd(&["${args_no_boolean_flags}"]), &c).unwrap(),
            t(&["--flag", "--lr=0.01", "--name=a; rm -rf ~"])
        );
        let json_arg = expand(&cmd(&["${args_json}"]), &c).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&json_arg[0]).unwrap()["name"],
            json!("a; rm -rf ~")
        );
        assert_eq!(
            expand(&cmd(&["${args_json_file}"]), &c).unwrap(),
            t(&["/runs/r1/args.json"])
        );
        assert_eq!(
            expand(&cmd(&["--params=${args_json_file}"]), &c).unwrap(),
            t(&["--params=/runs/r1/args.json"])
        );
        assert_eq!(
            expand(&cmd(&["--root=${envvar:HOME_DIR}/x", "${program}"]), &c).unwrap(),
            t(&["--root=/home/u/x", "train.py"])
        );
        assert_eq!(
            expand(&cmd(&["${envvar:NOPE}"]), &c),
            Err(CommandError::MissingEnvVar("NOPE".into()))
        );
    }

    #[test]
    fn nested_params_are_passed_as_one_object() {
        let specs = vec![
            ParamSpec {
                path: vec!["opt".into(), "lr".into()],
                dist: Distribution::Constant { value: json!(1) },
            },
            ParamSpec {
                path: vec!["opt".into(), "kind".into()],
                dist: Distribution::Constant {
                    value: json!("sgd"),
                },
            },
        ];
        let params: Params = [
            ("opt.kind".to_string(), json!("sgd")),
            ("opt.lr".to_string(), json!(0.1)),
        ]
        .into();
        let env = |_: &str| None;
        let argv = expand(&cmd(&["${args}"]), &ctx(&params, &specs, &env)).unwrap();
        assert_eq!(argv, t(&[r#"--opt={"kind":"sgd","lr":0.1}"#]));
    }

    #[test]
    fn interpreters_follow_the_extension() {
        assert_eq!(interpreter_for("a/b.sh"), t(&["sh"]));
        assert_eq!(interpreter_for("train.R"), t(&["Rscript"]));
        assert!(interpreter_for("./train").is_empty());
    }
}
