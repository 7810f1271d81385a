//! Reading helpers shared by the readers: files as text, JSON lines (with Python's
//! non-finite tokens), numbers, and config files.

use crate::Problem;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// What one reader found: at most one run, the problems met, and whether the run could
/// not be read at all.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) run: Option<crate::ForeignRun>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) failed: bool,
}

impl Outcome {
    /// An outcome with no run, counted as failed, for the reason given.
    pub(crate) fn failed(mut problems: Vec<Problem>, path: &Path, reason: String) -> Self {
        problems.push(problem(path, None, reason));
        Outcome {
            run: None,
            problems,
            failed: true,
        }
    }
}

pub(crate) fn problem(path: &Path, line: Option<usize>, reason: impl Into<String>) -> Problem {
    Problem {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

/// A file's whole text; a file that cannot be read or is not UTF-8 is a problem.
pub(crate) fn read_text(path: &Path) -> Result<String, Problem> {
    let bytes =
        std::fs::read(path).map_err(|e| problem(path, None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        problem(
            path,
            None,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// One non-blank line of a text: its 1-based number, its text (trimmed), and whether it is
/// the last line of a text that does not end with a newline (possibly cut off mid-write).
pub(crate) struct Line<'a> {
    pub(crate) number: usize,
    pub(crate) text: &'a str,
    pub(crate) unterminated_last: bool,
}

/// The non-blank lines of `text`.
pub(crate) fn lines(text: &str) -> Vec<Line<'_>> {
    let ends_with_newline = text.ends_with('\n');
    let raw: Vec<&str> = text.split('\n').collect();
    let last_index = raw.len().saturating_sub(1);
    raw.iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Line {
            number: i + 1,
            text: l.trim(),
            unterminated_last: i == last_index && !ends_with_newline,
        })
        .collect()
}

/// Parses one JSON document, accepting Python's bare `NaN`, `Infinity` and `-Infinity`
/// ([`sweep_core::parse_lenient_json`]).
pub(crate) fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    sweep_core::parse_lenient_json(text)
}

/// A JSON value as a metric ([`sweep_core::metric_number`]).
pub(crate) fn number(value: &Value) -> Option<f64> {
    sweep_core::metric_number(value)
}

/// The JSON kind of a value, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    sweep_core::json_kind(value)
}

/// Reads a YAML (or JSON) document with `sweep_config::parse_config_text`. An empty
/// document is `null`. Every diagnostic becomes a problem with its line.
pub(crate) fn read_yaml(path: &Path) -> Result<Value, Vec<Problem>> {
    let text = read_text(path).map_err(|p| vec![p])?;
    parse_yaml(&text, path)
}

/// [`read_yaml`] on text already read.
pub(crate) fn parse_yaml(text: &str, path: &Path) -> Result<Value, Vec<Problem>> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    match sweep_config::parse_config_text(text, &path.display().to_string()) {
        Ok(value) => Ok(value),
        Err(sweep_config::SpecError::Invalid { diagnostics, .. }) if !diagnostics.is_empty() => {
            Err(diagnostics
                .into_iter()
                .map(|d| {
                    let reason = if d.key.is_empty() {
                        d.message
                    } else {
                        format!("{}: {}", d.key, d.message)
                    };
                    problem(path, Some(d.line), reason)
                })
                .collect())
        }
        Err(e) => Err(vec![problem(
            path,
            None,
            format!("not a YAML document: {e}"),
        )]),
    }
}

/// Reads a whole JSON document (Python's non-finite tokens accepted); a syntax error is a
/// problem with its line.
pub(crate) fn read_json(path: &Path) -> Result<Value, Vec<Problem>> {
    let text = read_text(path).map_err(|p| vec![p])?;
    parse_json(&text).map_err(|e| vec![problem(path, Some(e.line()), format!("invalid JSON: {e}"))])
}

/// Reads a config file (`.json` as JSON, anything else as YAML) as an object: an empty
/// document is `{}`; anything else that is not an object is a problem and gives `{}`.
pub(crate) fn read_config(path: &Path, problems: &mut Vec<Problem>) -> Value {
    let value = if path.extension().is_some_and(|e| e == "json") {
        read_json(path)
    } else {
        read_yaml(path)
    };
    match value {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(Value::Null) => Value::Object(Map::new()),
        Ok(other) => {
            problems.push(problem(
                path,
                None,
                format!(
                    "the config is {}, not an object; read as {{}}",
                    kind(&other)
                ),
            ));
            Value::Object(Map::new())
        }
        Err(mut found) => {
            problems.append(&mut found);
            Value::Object(Map::new())
        }
    }
}

/// The name of a path's last component, or "".
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The name of the directory holding `path`, or "".
pub(crate) fn parent_name(path: &Path) -> String {
    path.parent().map(file_name).unwrap_or_default()
}

/// The canonical absolute path of `path` (its absolute form when it cannot be resolved).
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The origin of a run: `<format>:<canonical absolute path>`.
pub(crate) fn origin(format: crate::Format, path: &Path) -> String {
    origin_of_canonical(format, &canonical(path))
}

/// [`origin`] of a path already canonical.
pub(crate) fn origin_of_canonical(format: crate::Format, canonical: &Path) -> String {
    format!("{}:{}", format.name(), canonical.display())
}

/// Whether `path` is a regular file (following a file symlink).
pub(crate) fn is_file(path: &Path) -> bool {
    path.is_file()
}

/// Whether `path` is a real directory (not a symlink to one).
pub(crate) fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Every file under `dir` (recursively, not following directory symlinks), with its path
/// relative to `dir` written with `/`, sorted. Directories that cannot be listed are
/// problems.
pub(crate) fn files_under(dir: &Path, problems: &mut Vec<Problem>) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, current)) = stack.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(problem(&current, None, format!("cannot list: {e}")));
                continue;
            }
        };
        for entry in entries {
            let Ok(entry) = entry else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                stack.push((key, path));
            } else if file_type.is_file() || (file_type.is_symlink() && path.is_file()) {
                out.push((key, path));
            }
        }
    }
    out.sort();
    out
}
