//! Sweep spec parsing and validation.
//!
//! A spec is a W&B sweep config (YAML or JSON, any extension) plus Sweep's own keys
//! (`config`, `trainer`, `timeout`, `seed`). [`load_spec`] and [`parse_spec`] read it into a
//! validated [`SweepSpec`], or fail with every problem at once, each naming the file, the
//! line, the column and the dotted key ([`Diagnostic`]).
//!
//! YAML follows YAML 1.2: `1e-5` is a number and `yes`/`on` are strings. This is the only
//! crate of the workspace that knows YAML.

mod command;
mod ctx;
mod early_terminate;
mod filled;
mod metric;
mod params;
mod spec;
mod suggest;
#[cfg(test)]
mod test_util;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};

pub use filled::filled_spec_json;
pub use sweep_core::SweepSpec;

/// Who reads the spec, which decides how the deprecated W&B v1 log kinds are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `sweep run` / `sweep validate`: `log_uniform`, `q_log_uniform` and `inv_log_uniform`
    /// (whose bounds are natural-log exponents) are rejected with the equivalent
    /// `*_values` bounds.
    Run,
    /// The stateless engine (`sweep suggest`, `sweep prune`): the v1 kinds are accepted and
    /// sampled as W&B's engine does.
    Engine,
}

/// One problem in a spec: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The dotted key path (`parameters.lr.min`), empty for the document itself.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a spec or config file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_invalid(file, diagnostics))]
    Invalid {
        file: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl SpecError {
    /// The diagnostics of an invalid spec (empty for an I/O error).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            SpecError::Io { .. } => &[],
            SpecError::Invalid { diagnostics, .. } => diagnostics,
        }
    }
}

fn render_invalid(file: &str, diagnostics: &[Diagnostic]) -> String {
    let n = diagnostics.len();
    let mut out = format!("{file}: {n} problem{}:", if n == 1 { "" } else { "s" });
    for d in diagnostics {
        out.push_str("\n  ");
        out.push_str(&d.to_string());
    }
    out
}

/// Reads and validates a spec file (YAML or JSON by content, whatever the extension).
/// A `config:` given as a string is a path relative to the spec file's directory.
pub fn load_spec(path: &Path, mode: Mode) -> Result<SweepSpec, SpecError> {
    let text = read_text(path)?;
    let base_dir = path.parent().unwrap_or(Path::new(""));
    parse_spec(&text, &path.display().to_string(), base_dir, mode)
}

/// Validates spec text. `file_label` names the file in diagnostics; a `config:` path is
/// resolved against `base_dir`.
pub fn parse_spec(
    text: &str,
    file_label: &str,
    base_dir: &Path,
    mode: Mode,
) -> Result<SweepSpec, SpecError> {
    spec::parse_spec(text, file_label, base_dir, mode)
}

/// Reads a base config file (YAML or JSON by content) into a JSON value.
pub fn load_config_file(path: &Path) -> Result<serde_json::Value, SpecError> {
    let text = read_text(path)?;
    parse_config_text(&text, &path.display().to_string())
}

/// Reads YAML or JSON text (a config, or a foreign tool's YAML file) into a JSON value, as
/// specs read YAML (YAML 1.2 scalars; every problem with its line, labelled `file_label`).
pub fn parse_config_text(text: &str, file_label: &str) -> Result<serde_json::Value, SpecError> {
    let file = file_label.to_string();
    let mut diags = Vec::new();
    let value = spec::parse_config_text(text, &file, &mut diags);
    match value {
        Some(value) if diags.is_empty() => Ok(value),
        _ => Err(SpecError::Invalid {
            file,
            diagnostics: diags,
        }),
    }
}

fn read_text(path: &Path) -> Result<String, SpecError> {
    std::fs::read_to_string(path).map_err(|source| SpecError::Io {
        path: path.to_path_buf(),
        source,
    })
}
