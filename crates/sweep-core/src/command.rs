//! The elements of a spec's `command` list and the W&B `${...}` macros inside them, parsed
//! once: the config reader reports a token's problems, the executor expands its pieces.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A W&B command macro other than `${envvar:NAME}` (which is [`Piece::EnvVar`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Macro {
    /// `${env}`: `/usr/bin/env`.
    Env,
    /// `${interpreter}`: the interpreter the program's extension names.
    Interpreter,
    /// `${program}`: the spec's `program`.
    Program,
    /// `${args}`: `--name=value` for each param.
    Args,
    /// `${args_no_equals}`: `--name value`.
    ArgsNoEquals,
    /// `${args_no_hyphens}`: `name=value`.
    ArgsNoHyphens,
    /// `${args_no_boolean_flags}`: `--name` for true, nothing for false.
    ArgsNoBooleanFlags,
    /// `${args_json}`: the params as one JSON argument.
    ArgsJson,
    /// `${args_json_file}`: the path of a JSON file holding the params.
    ArgsJsonFile,
}

impl Macro {
    pub const ALL: [Macro; 9] = [
        Macro::Env,
        Macro::Interpreter,
        Macro::Program,
        Macro::Args,
        Macro::ArgsNoEquals,
        Macro::ArgsNoHyphens,
        Macro::ArgsNoBooleanFlags,
        Macro::ArgsJson,
        Macro::ArgsJsonFile,
    ];

    /// The macro as written, `${args}`.
    pub fn token(self) -> &'static str {
        match self {
            Macro::Env => "${env}",
            Macro::Interpreter => "${interpreter}",
            Macro::Program => "${program}",
            Macro::Args => "${args}",
            Macro::ArgsNoEquals => "${args_no_equals}",
            Macro::ArgsNoHyphens => "${args_no_hyphens}",
            Macro::ArgsNoBooleanFlags => "${args_no_boolean_flags}",
            Macro::ArgsJson => "${args_json}",
            Macro::ArgsJsonFile => "${args_json_file}",
        }
    }

    /// Expands to one argument per param, so it must be a whole command element.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Macro::Args | Macro::ArgsNoEquals | Macro::ArgsNoHyphens | Macro::ArgsNoBooleanFlags
        )
    }
}

/// The prefix of the `${envvar:NAME}` macro.
pub const ENVVAR_MACRO_PREFIX: &str = "${envvar:";

/// One part of a command token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Macro(Macro),
    /// `${envvar:NAME}`: the value of an environment variable.
    EnvVar(String),
}

/// Why a command token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("`{0}` has no closing `}}`")]
    Unclosed(String),
    #[error("unknown macro `{0}`")]
    UnknownMacro(String),
    #[error(
        "`{mac}` expands to several arguments, so it must be a whole command element, not part of `{token}`"
    )]
    ListInsideToken { mac: &'static str, token: String },
    #[error("`{0}` needs an environment variable name, as in `${{envvar:HOME}}`")]
    BadEnvVar(String),
}

/// One element of a `command` list: text and macros, kept with the text as written (its
/// serde form is that text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandToken {
    raw: String,
    pieces: Vec<Piece>,
}

impl CommandToken {
    /// Parses a token, listing every problem in it.
    pub fn parse(raw: &str) -> Result<Self, Vec<TokenError>> {
        let mut pieces = Vec::new();
        let mut problems = Vec::new();
        let mut rest = raw;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_string()));
            }
            let after = &rest[start..];
            let Some(end) = after.find('}') else {
                problems.push(TokenError::Unclosed(after.to_string()));
                rest = "";
                break;
            };
            let mac = &after[..=end];
            rest = &after[end + 1..];
            if let Some(known) = Macro::ALL.into_iter().find(|m| m.token() == mac) {
                if known.is_list() && raw != mac {
                    problems.push(TokenError::ListInsideToken {
                        mac: known.token(),
                        token: raw.to_string(),
                    });
                }
                pieces.push(Piece::Macro(known));
            } else if let Some(var) = mac
                .strip_prefix(ENVVAR_MACRO_PREFIX)
                .and_then(|m| m.strip_suffix('}'))
            {
                let valid = var
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if valid {
                    pieces.push(Piece::EnvVar(var.to_string()));
                } else {
                    problems.push(TokenError::BadEnvVar(mac.to_string()));
                }
            } else {
                problems.push(TokenError::UnknownMacro(mac.to_string()));
            }
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        if problems.is_empty() {
            Ok(CommandToken {
                raw: raw.to_string(),
                pieces,
            })
        } else {
            Err(problems)
        }
    }

    /// A token that is one macro.
    pub fn of(mac: Macro) -> Self {
        CommandToken {
            raw: mac.token().to_string(),
            pieces: vec![Piece::Macro(mac)],
        }
    }

    /// W&B's default command, `${env} ${interpreter} ${program} ${args}`.
    pub fn default_command() -> Vec<CommandToken> {
        [Macro::Env, Macro::Interpreter, Macro::Program, Macro::Args]
            .into_iter()
            .map(CommandToken::of)
            .collect()
    }

    /// The token as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Whether the token holds `mac`.
    pub fn uses(&self, mac: Macro) -> bool {
        self.pieces.contains(&Piece::Macro(mac))
    }
}

impl std::fmt::Display for CommandToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for CommandToken {
    type Err = TokenError;
    /// The first problem of [`CommandToken::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CommandToken::parse(s).map_err(|mut problems| problems.swap_remove(0))
    }
}

impl Serialize for CommandToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for CommandToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(raw: &str) -> Vec<Piece> {
        CommandToken::parse(raw)
            .map(|t| t.pieces().to_vec())
            .unwrap_or_default()
    }

    #[test]
    fn a_token_splits_into_text_and_macros() {
        assert_eq!(pieces("${args}"), vec![Piece::Macro(Macro::Args)]);
        assert_eq!(
            pieces("--root=${envvar:HOME_DIR}/x${program}"),
            vec![
                Piece::Text("--root=".into()),
                Piece::EnvVar("HOME_DIR".into()),
                Piece::Text("/x".into()),
                Piece::Macro(Macro::Program),
            ]
        );
        assert_eq!(pieces("python"), vec![Piece::Text("python".into())]);
        let token = CommandToken::parse("--params=${args_json_file}").unwrap_or_else(|e| {
            panic!("{e:?}");
        });
        assert!(token.uses(Macro::ArgsJsonFile) && !token.uses(Macro::Program));
        assert_eq!(token.as_str(), "--params=${args_json_file}");
    }

    #[test]
    fn every_problem_of_a_token_is_listed() {
        let problems = CommandToken::parse("a${progam}b${envvar:1X}-${args}-${env").err();
        assert_eq!(
            problems,
            Some(vec![
                TokenError::UnknownMacro("${progam}".into()),
                TokenError::BadEnvVar("${envvar:1X}".into()),
                TokenError::ListInsideToken {
                    mac: "${args}",
                    token: "a${progam}b${envvar:1X}-${args}-${env".into()
                },
                TokenError::Unclosed("${env".into()),
            ])
        );
    }

    #[test]
    fn the_serde_form_is_the_text_as_written() {
        let tokens = CommandToken::default_command();
        let json = serde_json::to_string(&tokens).unwrap_or_default();
        assert_eq!(
            json,
            r#"["${env}","${interpreter}","${program}","${args}"]"#
        );
        let back: Vec<CommandToken> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, tokens);
        let bad = serde_json::from_str::<CommandToken>(r#""${argz}""#);
        assert!(bad.is_err_and(|e| e.to_string().contains("unknown macro `${argz}`")));
    }
}
