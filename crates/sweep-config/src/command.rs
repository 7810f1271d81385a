//! The `command` list: its tokens and the W&B `${...}` macros they may hold.

use crate::ctx::Ctx;
use crate::suggest::closest;
use crate::yaml::{Kind, Node};
use crate::{ENVVAR_MACRO_PREFIX, KNOWN_MACROS};
use sweep_core::CommandToken;

/// Problems with the `${...}` macros of one command token.
fn macro_problems(token: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut rest = token;
    while let Some(start) = rest.find("${") {
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            problems.push(format!("`{after}` has no closing `}}`"));
            break;
        };
        let mac = &after[..=end];
        rest = &after[end + 1..];
        if KNOWN_MACROS.contains(&mac) {
            // The argument-list macros expand to several arguments: they must stand alone.
            let list = [
                "${args}",
                "${args_no_equals}",
                "${args_no_hyphens}",
                "${args_no_boolean_flags}",
            ];
            if list.contains(&mac) && token != mac {
                problems.push(format!(
                    "`{mac}` expands to several arguments, so it must be a whole command element, not part of `{token}`"
                ));
            }
            continue;
        }
        if let Some(var) = mac
            .strip_prefix(ENVVAR_MACRO_PREFIX)
            .and_then(|m| m.strip_suffix('}'))
        {
            let valid = var
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                problems.push(format!(
                    "`{mac}` needs an environment variable name, as in `${{envvar:HOME}}`"
                ));
            }
            continue;
        }
        let hint = match closest(mac, KNOWN_MACROS) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!(
                "known macros: {}, ${{envvar:NAME}}",
                KNOWN_MACROS.join(", ")
            ),
        };
        problems.push(format!("unknown macro `{mac}`; {hint}"));
    }
    problems
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
            Kind::Str(s) => {
                for problem in macro_problems(s) {
                    ctx.err(item.pos, &key, problem);
                    ok = false;
                }
                tokens.push(s.clone());
            }
            // W&B turns scalars into their text; keep what was written.
            Kind::Int(_) | Kind::Float(_) | Kind::Bool(_) => tokens.push(item.raw.clone()),
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
                .map(String::from)
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
