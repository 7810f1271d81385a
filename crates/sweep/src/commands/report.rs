//! `sweep report`: a sweep's report files, rendered by sweep-report from its analysis.

use crate::cli::SelectArgs;
use crate::grouped::select;
use anyhow::Result;
use std::path::Path;
use sweep_analysis::{DisplayNames, completeness, importance, sentences};
use sweep_core::RunRecord;
use sweep_store::Store;

pub fn report(
    store: &dyn Store,
    args: &SelectArgs,
    out: &Path,
    names: &DisplayNames,
) -> Result<()> {
    let (sweep, runs, analysis) = select(store, args)?;
    let refs: Vec<&RunRecord> = runs.iter().collect();
    let ranked = analysis.ranked();
    let is_dead = |r: &RunRecord| match (&r.host, r.pid) {
        (Some(host), Some(pid)) => sweep_exec::owner_is_dead(host, pid),
        _ => false,
    };
    let report = sweep_report::Report {
        sweep_id: sweep.id.clone(),
        name: sweep.name.clone(),
        description: sweep.spec.description.clone(),
        spec_text: sweep.spec_text.clone(),
        metric: analysis.metric.clone(),
        runs: &runs,
        varying: analysis.grouping.varying.clone(),
        sentences: sentences(
            &analysis.grouping,
            analysis.groups.len(),
            runs.len(),
            &analysis.metric,
            &analysis.reduce,
            Some(&ranked),
        ),
        importance: importance(&analysis.grouping.varying, &refs, &analysis.values),
        completeness: completeness(&sweep.spec, &refs, &analysis.grouping, &is_dead),
        ranked,
    };
    for path in sweep_report::write(&report, names, out)? {
        println!("{}", path.display());
    }
    Ok(())
}
