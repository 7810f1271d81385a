//! `sweep export`: every run as CSV, JSON or JSONL.

use crate::cli::ExportFormat;
use crate::load::filtered_runs;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use sweep_analysis::{ExportTable, run_json};
use sweep_core::{MetricRecord, RunRecord, RunStatus};
use sweep_store::Store;

pub fn export(
    store: &dyn Store,
    sweep: Option<String>,
    status: Vec<RunStatus>,
    filter: Option<&str>,
    format: ExportFormat,
    history: bool,
    out_path: Option<&Path>,
) -> Result<()> {
    let (_, runs) = filtered_runs(store, sweep, status, filter)?;
    let mut sink: Box<dyn Write> = match out_path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let load_history = |r: &RunRecord| -> Result<Option<Vec<MetricRecord>>> {
        Ok(if history {
            Some(store.history(&r.id)?)
        } else {
            None
        })
    };
    match format {
        ExportFormat::Json => {
            let rows: Vec<serde_json::Value> = runs
                .iter()
                .map(|r| Ok(run_json(r, load_history(r)?)))
                .collect::<Result<_>>()?;
            serde_json::to_writer_pretty(&mut sink, &rows)?;
            writeln!(sink)?;
        }
        ExportFormat::Jsonl => {
            for r in &runs {
                serde_json::to_writer(&mut sink, &run_json(r, load_history(r)?))?;
                writeln!(sink)?;
            }
        }
        ExportFormat::Csv => {
            // One run's history at a time, so that a large export streams.
            let table = ExportTable::new(&runs, history);
            let mut w = csv::Writer::from_writer(&mut sink);
            w.write_record(table.header())?;
            for r in &runs {
                let records = load_history(r)?.unwrap_or_default();
                for row in table.rows(r, &records) {
                    w.write_record(&row)?;
                }
            }
            w.flush()?;
        }
    }
    sink.flush()?;
    Ok(())
}
