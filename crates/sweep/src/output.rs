//! Tables and machine-readable output shared by the commands.

use crate::cli::Format;
use anyhow::Result;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use sweep_analysis::{Columns, DisplayNames, best_value, cell_text, rank};
use sweep_core::RunRecord;
use sweep_core::Value;
use sweep_store::SweepRecord;

/// A number for people: four significant digits, scientific when very large or small.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A config value for a table cell: strings as they are, the rest as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map(num).unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

pub fn duration_text(secs: Option<f64>) -> String {
    match secs {
        None => String::new(),
        Some(s) if s < 60.0 => format!("{s:.1}s"),
        Some(s) if s < 3600.0 => format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64),
        Some(s) => format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        ),
    }
}

pub fn new_table() -> Table {
    let mut t = Table::new();
    if std::io::stdout().is_terminal() {
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        t.load_preset(presets::NOTHING);
    }
    t
}

/// A run listing, in table, CSV and JSON forms: the columns sweep-analysis chose, with a
/// rank column when the runs are ranked.
pub struct Listing {
    pub columns: Columns,
    pub rank: bool,
    /// How the table names params and their values (CSV and JSON keep them as recorded).
    pub names: DisplayNames,
}

impl Listing {
    /// Columns for the runs of these sweeps: the params that vary and the sweep metrics.
    pub fn for_sweeps<'a>(sweeps: impl IntoIterator<Item = &'a SweepRecord>, rank: bool) -> Self {
        Listing {
            columns: Columns::for_specs(sweeps.into_iter().map(|s| &s.spec)),
            rank,
            names: DisplayNames::default(),
        }
    }

    /// The header; a `tags` column last when some run has tags.
    fn headers(&self, tags: bool) -> Vec<String> {
        let mut h = Vec::new();
        if self.rank {
            h.push("rank".to_string());
        }
        h.extend(["run".to_string(), "status".to_string()]);
        h.extend(self.columns.params.iter().cloned());
        h.extend(self.columns.metrics.iter().map(|m| m.name.clone()));
        h.push("duration".into());
        if tags {
            h.push("tags".into());
        }
        h
    }

    pub fn print(&self, runs: &[&RunRecord], format: Format, out: &mut dyn Write) -> Result<()> {
        let tags = runs.iter().any(|r| !r.tags.is_empty());
        // A column's value: the run's param, else its config at that key (ingested runs
        // have a config and no params).
        let flat: Vec<Option<BTreeMap<String, Value>>> = runs
            .iter()
            .map(|r| {
                let needs = self
                    .columns
                    .params
                    .iter()
                    .any(|p| !r.params.contains_key(p));
                needs.then(|| sweep_analysis::flatten(&r.config))
            })
            .collect();
        let param = |i: usize, p: &str| -> Option<&Value> {
            runs[i]
                .params
                .get(p)
                .or_else(|| flat[i].as_ref().and_then(|f| f.get(p)))
        };
        match format {
            Format::Table => {
                let mut t = new_table();
                let mut header = self.headers(tags);
                let offset = usize::from(self.rank) + 2;
                for (i, p) in self.columns.params.iter().enumerate() {
                    header[offset + i] = self.names.key(p).to_string();
                }
                t.set_header(header);
                for (i, r) in runs.iter().enumerate() {
                    let mut row: Vec<Cell> = Vec::new();
                    if self.rank {
                        row.push(Cell::new(i + 1));
                    }
                    row.push(Cell::new(&r.id));
                    row.push(Cell::new(r.status));
                    for p in &self.columns.params {
                        let text = param(i, p).map(|v| match self.names.value(p, v) {
                            Some(name) => name.to_string(),
                            None => value_text(v),
                        });
                        row.push(Cell::new(text.unwrap_or_default()));
                    }
                    for m in &self.columns.metrics {
                        row.push(
                            Cell::new(best_value(r, m).map(num).unwrap_or_default())
                                .set_alignment(CellAlignment::Right),
                        );
                    }
                    row.push(
                        Cell::new(duration_text(r.duration())).set_alignment(CellAlignment::Right),
                    );
                    if tags {
                        row.push(Cell::new(r.tags.join(", ")));
                    }
                    t.add_row(row);
                }
                writeln!(out, "{t}")?;
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(self.headers(tags))?;
                for (i, r) in runs.iter().enumerate() {
                    let mut row: Vec<String> = Vec::new();
                    if self.rank {
                        row.push((i + 1).to_string());
                    }
                    row.push(r.id.clone());
                    row.push(r.status.to_string());
                    for p in &self.columns.params {
                        row.push(param(i, p).map(cell_text).unwrap_or_default());
                    }
                    for m in &self.columns.metrics {
                        row.push(best_value(r, m).map(|v| v.to_string()).unwrap_or_default());
                    }
                    row.push(r.duration().map(|d| format!("{d:.3}")).unwrap_or_default());
                    if tags {
                        row.push(r.tags.join(","));
                    }
                    w.write_record(&row)?;
                }
                w.flush()?;
            }
            Format::Json => {
                let rows: Vec<Value> = runs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let metrics: BTreeMap<String, Option<f64>> = self
                            .columns
                            .metrics
                            .iter()
                            .map(|m| (m.name.clone(), best_value(r, m)))
                            .collect();
                        let mut o = serde_json::json!({
                            "run": r.id,
                            "sweep": r.sweep_id,
                            "status": r.status,
                            "params": r.params,
                            "metrics": metrics,
                            "duration_secs": r.duration(),
                            "tags": r.tags,
                        });
                        if self.rank {
                            o["rank"] = (i + 1).into();
                        }
                        o
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)?;
            }
        }
        Ok(())
    }
}

/// The ranked table printed at the end of `sweep run`.
pub fn print_ranked(
    sweep: &SweepRecord,
    runs: &[RunRecord],
    format: Format,
    names: &DisplayNames,
) -> Result<()> {
    let mut listing = Listing::for_sweeps([sweep], sweep.spec.metric.is_some());
    listing.names = names.clone();
    let mut refs: Vec<&RunRecord> = runs.iter().collect();
    rank(&mut refs, sweep.spec.metric.as_ref());
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    listing.print(&refs, format, &mut lock)
}

/// The last `n` lines of a text.
pub fn last_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// A value as pretty JSON on standard output. A closed stdout (`| head`) is an error the
/// caller returns, which `main` treats as the end of the output, never a panic.
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
