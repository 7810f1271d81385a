//! The `command` list: its tokens and the W&B `${...}` macros they may hold.

use crate::ctx::Ctx;
use crate::suggest::closest;
use crate::yaml::{Kind, Node};
use sweep_core::{CommandToken, Macro, TokenError};

/// A token, or every problem with its `${...}` macros, with a hint for a misspelt one.
fn parse_token(token: &str) -> Result<CommandToken, Vec<String>> {
    CommandToken::parse(token).map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| match problem {
                TokenError::UnknownMacro(ref mac) => {
                    let known: Vec<&str> = Macro::ALL.iter().map(|m| m.token()).collect();
                    let hint = match closest(mac, &known) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("known macros: {}, ${{envvar:NAME}}", known.join(", ")),
                    };
                    format!("{problem}; {hint}")
                }
                other => other.to_string(),
            })
            .collect()
    })
}

pub(crate) fn parse_command(v: &Node, ctx: &mut Ctx<'_>) -> Option<Vec<CommandToken>> {
    let Kind::Seq(items) = &v.kind else {
        let hint = if v.as_str().is_some() {
            " (split it into a list, e.g. `[\"${env}\", python, train.py, \"${args}\"]`; Sweep never runs a shell)"
        } else {
            ""
        };
        ctx.err(
            v.pos,
            "command",
            format!(
                "`command` must be a list of strings, found {}{hint}",
                v.describe()
            ),
        );
        return None;
    };
    if items.is_empty() {
        ctx.err(
            v.pos,
            "command",
            "`command` is empty; leave it out for W&B's default `${env} ${interpreter} ${program} ${args}`",
        );
        return None;
    }
    let mut tokens = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let key = format!("command[{i}]");
        match &item.kind {
            // W&B turns scalars into their text; keep what was written.
            Kind::Str(_) | Kind::Int(_) | Kind::Float(_) | Kind::Bool(_) => {
                let text = match &item.kind {
                    Kind::Str(s) => s.as_str(),
                    _ => item.raw.as_str(),
                };
                match parse_token(text) {
                    Ok(token) => tokens.push(token),
                    Err(problems) => {
                        for problem in problems {
                            ctx.err(item.pos, &key, problem);
                        }
                        ok = false;
                    }
                }
            }
            _ => {
                ctx.err(
                    item.pos,
                    &key,
                    format!(
                        "a command token must be a string, found {}",
                        item.describe()
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(tokens)
}

#[cfg(test)]
mod tests {
    use crate::test_util::{assert_diag, errors, parse};

    #[test]
    fn command_must_be_a_list_with_known_macros() {
        let d = errors("method: grid\ncommand: python train.py\nparameters: {a: {values: [1]}}\n");
        assert_diag(&d, 2, "command", "must be a list of strings");
        let d = errors(
            "method: grid
command:
  - ${env}
  - python
  - ${progam}
  - --out=${envvar:HOME}/x
  - ${argz}
  - [nested]
  - ${args
parameters: {a: {values: [1]}}
",
        );
        assert_diag(
            &d,
            5,
            "command[2]",
            "unknown macro `${progam}`; did you mean `${program}`?",
        );
        assert_diag(&d, 7, "command[4]", "did you mean `${args}`?");
        assert_diag(&d, 8, "command[5]", "must be a string");
        assert_diag(&d, 9, "command[6]", "no closing");
        assert_eq!(d.len(), 4, "{d:?}");
        let spec = parse(
            "method: grid
command: [python, train.py, --epochs, 5, '${args_json_file}', '${envvar:DATA}']
parameters: {a: {values: [1]}}
",
        );
        assert_eq!(
            spec.command,
            Some(
                [
                    "python",
                    "train.py",
                    "--epochs",
                    "5",
                    "${args_json_file}",
                    "${envvar:DATA}"
                ]
                .map(|t| t.parse().unwrap())
                .to_vec()
            )
        );
        // W&B's default command is the same as no command.
        let spec = parse(
            "method: grid\ncommand: [\"${env}\", \"${interpreter}\", \"${program}\", \"${args}\"]\nparameters: {a: {values: [1]}}\n",
        );
        assert_eq!(spec.command, None);
        // Neither program nor command is fine.
        let spec = parse("method: grid\nparameters: {a: {values: [1]}}\n");
        assert_eq!((spec.program, spec.command), (None, None));
    }
}
