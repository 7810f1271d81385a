//! `sweep select`: model selection. Runs that meet every threshold (each a filter in the
//! `--where` language), ranked by one metric; every rejected run with the thresholds it
//! failed.

use crate::InvalidInput;
use crate::cli::Format;
use crate::load::filtered_runs;
use crate::output::{new_table, num};
use anyhow::Result;
use std::io::Write;
use sweep_analysis::{Filter, better_first};
use sweep_core::{Goal, RunRecord};
use sweep_store::Store;

pub fn select(
    store: &dyn Store,
    sweep: Option<String>,
    require: &[String],
    rank: Option<&str>,
    format: Format,
) -> Result<()> {
    // Every threshold that does not read, at once.
    let mut filters = Vec::new();
    let mut problems = Vec::new();
    for text in require {
        match Filter::parse(text) {
            Ok(f) => filters.push((text.as_str(), f)),
            Err(e) => problems.push(format!("--require: {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(InvalidInput(problems.join("\n")).into());
    }
    let (sweeps, runs) = filtered_runs(store, sweep, Vec::new(), None)?;
    let metric = match rank {
        Some(m) => m.to_string(),
        None => sweeps
            .iter()
            .find_map(|s| s.spec.metric.as_ref().map(|m| m.name.clone()))
            .ok_or_else(|| {
                InvalidInput("the sweep has no metric: name the one to rank by with --rank".into())
            })?,
    };
    let goal = runs
        .iter()
        .find_map(|r| r.summary.get(&metric).map(|s| s.goal))
        .unwrap_or(Goal::Maximize);
    let value = |r: &RunRecord| r.summary.get(&metric).and_then(|s| s.best);
    let mut selected: Vec<(&RunRecord, Option<f64>)> = Vec::new();
    let mut rejected: Vec<(&RunRecord, Vec<&str>)> = Vec::new();
    for run in &runs {
        let failed: Vec<&str> = filters
            .iter()
            .filter(|(_, f)| !f.matches(run, &run.tags))
            .map(|(text, _)| *text)
            .collect();
        if failed.is_empty() {
            selected.push((run, value(run)));
        } else {
            rejected.push((run, failed));
        }
    }
    selected.sort_by(|a, b| better_first(a.1, b.1, goal));
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "metric": metric,
                "requirements": require,
                "selected": selected.iter().enumerate().map(|(i, (r, v))| serde_json::json!({
                    "rank": i + 1, "run": r.id, "name": r.name, "value": v,
                })).collect::<Vec<_>>(),
                "rejected": rejected.iter().map(|(r, failed)| serde_json::json!({
                    "run": r.id, "name": r.name, "failed": failed,
                })).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["rank", "run", "name", &metric, "failed"])?;
            for (i, (r, v)) in selected.iter().enumerate() {
                let v = v.map(|v| v.to_string()).unwrap_or_default();
                w.write_record([&(i + 1).to_string(), &r.id, &r.name, &v, ""])?;
            }
            for (r, failed) in &rejected {
                w.write_record(["", &r.id, &r.name, "", &failed.join(" ; ")])?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = new_table();
            t.set_header(["rank", "run", "name", metric.as_str()]);
            for (i, (r, v)) in selected.iter().enumerate() {
                t.add_row([
                    (i + 1).to_string(),
                    r.id.clone(),
                    r.name.clone(),
                    v.map(num).unwrap_or_default(),
                ]);
            }
            writeln!(
                out,
                "{} of {} run(s) meet every requirement, best {} first:",
                selected.len(),
                runs.len(),
                metric
            )?;
            writeln!(out, "{t}")?;
            if !rejected.is_empty() {
                let mut t = new_table();
                t.set_header(["rejected run", "name", "failed"]);
                for (r, failed) in &rejected {
                    t.add_row([r.id.clone(), r.name.clone(), failed.join("; ")]);
                }
                writeln!(out, "{t}")?;
            }
        }
    }
    Ok(())
}
