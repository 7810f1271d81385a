//! `sweep sweeps`: every sweep with its runs counted by status.

use crate::cli::Format;
use crate::output::new_table;
use anyhow::Result;
use std::io::Write;
use sweep_analysis::{SweepTally, tally, time_text};
use sweep_core::Value;
use sweep_store::{RunFilter, Store, SweepRecord};

const SWEEP_COLUMNS: [&str; 10] = [
    "sweep",
    "method",
    "status",
    "runs",
    "completed",
    "failed",
    "running",
    "interrupted",
    "created",
    "description",
];

pub fn sweeps(store: &dyn Store, format: Format) -> Result<()> {
    let sweeps = store.sweeps()?;
    let runs = store.runs(&RunFilter::default())?;
    let counts = tally(&runs);
    // One row per sweep, in the order of SWEEP_COLUMNS; counts stay numbers for JSON.
    let rows: Vec<(&SweepRecord, [usize; 5])> = sweeps
        .iter()
        .map(|s| {
            let t: SweepTally = counts.get(s.id.as_str()).copied().unwrap_or_default();
            (s, [t.runs, t.completed, t.failed, t.running, t.interrupted])
        })
        .collect();
    let text_row = |(s, n): &(&SweepRecord, [usize; 5])| -> Vec<String> {
        let mut row = vec![
            s.id.clone(),
            s.spec.method.as_str().to_string(),
            s.status.as_str().to_string(),
        ];
        row.extend(n.iter().map(|x| x.to_string()));
        row.push(time_text(Some(s.created_at)));
        row.push(s.spec.description.clone().unwrap_or_default());
        row
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table => {
            let mut t = new_table();
            t.set_header(SWEEP_COLUMNS);
            for r in &rows {
                t.add_row(text_row(r));
            }
            writeln!(out, "{t}")?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(SWEEP_COLUMNS)?;
            for r in &rows {
                w.write_record(text_row(r))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let json: Vec<Value> = rows
                .iter()
                .map(|(s, [n, c, f, r, i])| {
                    serde_json::json!({"sweep": s.id, "name": s.name, "method": s.spec.method.as_str(),
                        "status": s.status.as_str(), "runs": n, "completed": c, "failed": f,
                        "running": r, "interrupted": i, "created": time_text(Some(s.created_at)),
                        "spec_path": s.spec_path, "description": s.spec.description})
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
