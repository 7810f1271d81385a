//! `sweep ls`: runs with the params that vary and the sweep metrics.

use crate::cli::Format;
use crate::grouped::{print_groups, seed_groups};
use crate::load::filtered_runs;
use crate::output::{Listing, last_lines};
use anyhow::Result;
use std::collections::BTreeSet;
use std::io::Write;
use sweep_analysis::DisplayNames;
use sweep_core::{RunRecord, RunStatus};
use sweep_store::Store;

pub fn ls(
    store: &dyn Store,
    sweep: Option<String>,
    status: Vec<RunStatus>,
    format: Format,
    each_run: bool,
    filter: Option<&str>,
    names: &DisplayNames,
) -> Result<()> {
    let grouped_ok = status.is_empty() && !each_run;
    let (sweeps, runs) = filtered_runs(store, sweep, status, filter)?;
    let used: BTreeSet<&str> = runs.iter().map(|r| r.sweep_id.as_str()).collect();
    // One sweep over seeds: its groups, aggregated (`--runs` lists the runs).
    if grouped_ok
        && let [only] = used.iter().collect::<Vec<_>>().as_slice()
        && let Some(sweep) = sweeps.iter().find(|s| s.id == **only)
        && let Some(analysis) = seed_groups(store, sweep, &runs)?
    {
        let mut out = std::io::stdout().lock();
        return print_groups(&analysis, true, format, names, &mut out);
    }
    let mut listing = Listing::for_sweeps(
        sweeps.iter().filter(|s| used.contains(s.id.as_str())),
        false,
    );
    listing.names = names.clone();
    // Sweeps whose spec searches nothing (ingested runs) list the config keys that vary.
    if listing.columns.params.is_empty() && !runs.is_empty() {
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let g = sweep_analysis::group_runs(&refs, &sweep_analysis::NoiseRules::new());
        let mut keys = g.varying;
        keys.extend(
            g.ignored
                .into_iter()
                .filter(|k| sweep_analysis::is_seed_key(k)),
        );
        keys.sort();
        listing.columns.params = keys;
    }
    let refs: Vec<&RunRecord> = runs.iter().collect();
    let mut out = std::io::stdout().lock();
    listing.print(&refs, format, &mut out)?;
    let problems: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Failed)
        .collect();
    if format == Format::Table && !problems.is_empty() && problems.len() <= 20 {
        writeln!(out)?;
        for r in problems {
            writeln!(
                out,
                "{} failed: {}",
                r.id,
                r.reason.clone().unwrap_or_default()
            )?;
            if let Some(tail) = &r.stderr_tail {
                for line in last_lines(tail, 3) {
                    writeln!(out, "    {line}")?;
                }
            }
        }
    }
    Ok(())
}
