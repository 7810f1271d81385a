//! `sweep select`: model selection. Runs (or, with `--groups`, groups of runs that differ
//! only by seed-like keys) that meet every threshold (each a filter in the `--where`
//! language), ranked by one metric; every rejected one with the thresholds it failed.
//! The decisions are `sweep_analysis::select_runs` / `select_groups`.

use crate::InvalidInput;
use crate::cli::Format;
use crate::load::filtered_runs;
use crate::output::{new_table, num};
use anyhow::Result;
use std::io::Write;
use sweep_analysis::{NoiseRules, Requirement, Selection, group_runs, select_groups, select_runs};
use sweep_core::RunRecord;
use sweep_store::Store;

/// The thresholds parsed, every one that does not read reported at once.
pub fn requirements(texts: &[String]) -> Result<Vec<Requirement>> {
    Requirement::parse_all(texts).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("--require: {e}")).collect();
        InvalidInput(lines.join("\n")).into()
    })
}

pub fn select(
    store: &dyn Store,
    sweep: Option<String>,
    require: &[String],
    rank: Option<&str>,
    groups: bool,
    format: Format,
) -> Result<()> {
    let requirements = requirements(require)?;
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
    let refs: Vec<&RunRecord> = runs.iter().collect();
    let selection = if groups {
        let grouping = group_runs(&refs, &NoiseRules::new());
        select_groups(&grouping, &refs, &requirements, &metric)
    } else {
        select_runs(&refs, &requirements, &metric)
    };
    let mut out = std::io::stdout().lock();
    print(&selection, groups, &mut out, format)
}

fn print(s: &Selection, groups: bool, out: &mut dyn Write, format: Format) -> Result<()> {
    let unit = if groups { "group(s)" } else { "run(s)" };
    match format {
        Format::Json => {
            let candidate = |c: &sweep_analysis::Candidate| {
                if groups {
                    serde_json::json!({
                        "group": c.label, "params": c.params, "runs": c.runs, "n": c.runs.len(),
                        "value": c.value, "failed": c.failed,
                    })
                } else {
                    serde_json::json!({
                        "run": c.runs.first(), "name": c.label, "value": c.value, "failed": c.failed,
                    })
                }
            };
            let selected: Vec<serde_json::Value> = s
                .selected
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut v = candidate(c);
                    v["rank"] = (i + 1).into();
                    if let Some(o) = v.as_object_mut() {
                        o.remove("failed");
                    }
                    v
                })
                .collect();
            let v = serde_json::json!({
                "metric": s.metric,
                "goal": s.goal.as_str(),
                "requirements": s.requirements,
                "selected": selected,
                "rejected": s.rejected.iter().map(candidate).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            let who = if groups { "runs" } else { "run" };
            w.write_record([
                "rank",
                who,
                if groups { "group" } else { "name" },
                &s.metric,
                "failed",
            ])?;
            for (i, c) in s.selected.iter().enumerate() {
                let v = c.value.map(|v| v.to_string()).unwrap_or_default();
                w.write_record([&(i + 1).to_string(), &c.runs.join(" "), &c.label, &v, ""])?;
            }
            for c in &s.rejected {
                let v = c.value.map(|v| v.to_string()).unwrap_or_default();
                w.write_record(["", &c.runs.join(" "), &c.label, &v, &c.failed.join(" ; ")])?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = new_table();
            let first = |c: &sweep_analysis::Candidate| {
                if groups {
                    c.runs.len().to_string()
                } else {
                    c.runs.first().cloned().unwrap_or_default()
                }
            };
            let (who, label) = if groups {
                ("n", "group")
            } else {
                ("run", "name")
            };
            let value_head = if groups {
                format!("{} (mean)", s.metric)
            } else {
                s.metric.clone()
            };
            t.set_header(["rank", who, label, value_head.as_str()]);
            for (i, c) in s.selected.iter().enumerate() {
                t.add_row([
                    (i + 1).to_string(),
                    first(c),
                    c.label.clone(),
                    c.value.map(num).unwrap_or_default(),
                ]);
            }
            writeln!(
                out,
                "{} of {} {unit} meet every requirement, best {} first:",
                s.selected.len(),
                s.selected.len() + s.rejected.len(),
                s.metric
            )?;
            writeln!(out, "{t}")?;
            if !s.rejected.is_empty() {
                let mut t = new_table();
                if groups {
                    t.set_header(["n", "rejected group", "failed"]);
                } else {
                    t.set_header(["rejected run", "name", "failed"]);
                }
                for c in &s.rejected {
                    t.add_row([first(c), c.label.clone(), c.failed.join("; ")]);
                }
                writeln!(out, "{t}")?;
            }
        }
    }
    Ok(())
}
