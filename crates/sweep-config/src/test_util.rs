//! Helpers shared by the unit tests of the spec modules: parse a whole spec through the
//! crate's entry point and check its diagnostics.

use crate::{Diagnostic, Mode, SpecError, SweepSpec};
use std::path::Path;
use sweep_core::Distribution;

pub(crate) fn parse_mode(text: &str, mode: Mode) -> Result<SweepSpec, SpecError> {
    crate::parse_spec(text, "spec.yaml", Path::new("."), mode)
}

pub(crate) fn parse(text: &str) -> SweepSpec {
    match parse_mode(text, Mode::Run) {
        Ok(spec) => spec,
        Err(e) => panic!("expected a valid spec, got:\n{e}"),
    }
}

pub(crate) fn errors_in(text: &str, mode: Mode) -> Vec<Diagnostic> {
    match parse_mode(text, mode) {
        Ok(spec) => panic!("expected errors, got {spec:?}"),
        Err(SpecError::Invalid { diagnostics, .. }) => diagnostics,
        Err(e) => panic!("expected diagnostics, got {e}"),
    }
}

pub(crate) fn errors(text: &str) -> Vec<Diagnostic> {
    errors_in(text, Mode::Run)
}

/// Asserts that one diagnostic is at `line` with `key` and mentions `needle`.
#[track_caller]
pub(crate) fn assert_diag(diags: &[Diagnostic], line: usize, key: &str, needle: &str) {
    assert!(
        diags
            .iter()
            .any(|d| d.line == line && d.key == key && d.message.contains(needle)),
        "no diagnostic at line {line} for `{key}` mentioning {needle:?} in:\n{}",
        diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A spec with one param given by `param` (indented under `parameters.p`).
pub(crate) fn one_param(method: &str, param: &str) -> String {
    format!("method: {method}\nparameters:\n  p:\n{param}")
}

pub(crate) fn dist_of(spec: &SweepSpec, name: &str) -> Distribution {
    spec.parameters
        .iter()
        .find(|p| p.name() == name)
        .map(|p| p.dist.clone())
        .unwrap_or_else(|| panic!("no param {name} in {:?}", spec.parameters))
}
