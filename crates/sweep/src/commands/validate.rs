//! `sweep validate`: the verdict `sweep run` would give, every problem at once.

use anyhow::Result;
use std::path::Path;
use sweep_config::filled_spec_json;

pub fn validate(path: &Path, json: bool) -> Result<()> {
    let spec = crate::resolve::resolve(path)?;
    let mut verdict = format!(
        "{}: valid — method {}, {} parameter(s)",
        path.display(),
        spec.method.as_str(),
        spec.parameters.len()
    );
    if let Ok(n) = sweep_search::grid_size(&spec.parameters)
        && spec.method == sweep_core::Method::Grid
    {
        verdict.push_str(&format!(", {n} grid point(s)"));
    }
    eprintln!("{verdict}");
    if json {
        crate::output::print_json(&filled_spec_json(&spec))?;
    }
    Ok(())
}
