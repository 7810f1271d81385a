//! `sweep validate`, `sweeps`, `ls`, `show`, `compare`, `export`.

use crate::InvalidInput;
use crate::cli::{ExportFormat, Format, PredictFormat, user_lookup};
use crate::display::{Listing, csv_value, duration_text, new_table, num, value_text};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};
use sweep_config::filled_spec_json;
use sweep_core::{RunStatus, Value};
use sweep_store::{RunFilter, RunRecord, Store, SweepRecord};

pub fn validate(path: &Path, json: bool) -> Result<()> {
    let spec = crate::running::resolve(path)?;
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
        println!(
            "{}",
            serde_json::to_string_pretty(&filled_spec_json(&spec))?
        );
    }
    Ok(())
}

fn time_text(t: Option<f64>) -> String {
    t.map(|t| {
        humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_secs_f64(t.max(0.0)))
            .to_string()
    })
    .unwrap_or_default()
}

const SWEEP_COLUMNS: [&str; 9] = [
    "sweep",
    "method",
    "status",
    "runs",
    "completed",
    "failed",
    "running",
    "interrupted",
    "created",
];

pub fn sweeps(store: &dyn Store, format: Format) -> Result<()> {
    let sweeps = store.sweeps()?;
    let runs = store.runs(&RunFilter::default())?;
    let mut counts: BTreeMap<&str, BTreeMap<RunStatus, usize>> = BTreeMap::new();
    for r in &runs {
        *counts
            .entry(r.sweep_id.as_str())
            .or_default()
            .entry(r.status)
            .or_default() += 1;
    }
    // One row per sweep, in the order of SWEEP_COLUMNS; counts stay numbers for JSON.
    let rows: Vec<(&SweepRecord, [usize; 5])> = sweeps
        .iter()
        .map(|s| {
            let c = counts.get(s.id.as_str()).cloned().unwrap_or_default();
            let get = |st| c.get(&st).copied().unwrap_or(0);
            let n = [
                c.values().sum::<usize>(),
                get(RunStatus::Completed),
                get(RunStatus::Failed),
                get(RunStatus::Running),
                get(RunStatus::Interrupted) + get(RunStatus::Pending),
            ];
            (s, n)
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
                        "spec_path": s.spec_path})
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn filtered_runs(
    store: &dyn Store,
    sweep: Option<String>,
    status: Vec<RunStatus>,
) -> Result<(Vec<SweepRecord>, Vec<RunRecord>)> {
    let sweeps = match &sweep {
        Some(id) => vec![user_lookup(store.sweep(id))?],
        None => store.sweeps()?,
    };
    let runs = store.runs(&RunFilter {
        sweep_id: sweeps
            .first()
            .filter(|_| sweep.is_some())
            .map(|s| s.id.clone()),
        statuses: status,
    })?;
    Ok((sweeps, runs))
}

pub fn ls(
    store: &dyn Store,
    sweep: Option<String>,
    status: Vec<RunStatus>,
    format: Format,
) -> Result<()> {
    let (sweeps, runs) = filtered_runs(store, sweep, status)?;
    let used: BTreeSet<&str> = runs.iter().map(|r| r.sweep_id.as_str()).collect();
    let listing = Listing::for_sweeps(
        sweeps.iter().filter(|s| used.contains(s.id.as_str())),
        false,
    );
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

fn last_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

fn summary_table(run: &RunRecord) -> comfy_table::Table {
    let mut t = new_table();
    t.set_header([
        "metric",
        "last",
        "min",
        "max",
        "best",
        "best step",
        "count",
        "goal",
    ]);
    let f = |v: Option<f64>| v.map(num).unwrap_or_default();
    for (k, s) in &run.summary {
        t.add_row(vec![
            k.clone(),
            f(s.last),
            f(s.min),
            f(s.max),
            f(s.best),
            s.best_step.map(|x| x.to_string()).unwrap_or_default(),
            s.count.to_string(),
            s.goal.as_str().to_string(),
        ]);
    }
    t
}

pub fn show(store: &dyn Store, id: &str, json: bool) -> Result<()> {
    let run = user_lookup(store.run(id))?;
    let dir = store.run_dir(&run.id);
    let mut out = std::io::stdout().lock();
    if json {
        let mut v = serde_json::to_value(&run)?;
        v["dir"] = dir.path().to_string_lossy().into_owned().into();
        v["duration_secs"] = run.duration().into();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    let status = match &run.reason {
        Some(r) => format!("{} ({r})", run.status),
        None => run.status.to_string(),
    };
    writeln!(out, "run       {}", run.id)?;
    writeln!(
        out,
        "sweep     {} (run #{}, attempt {})",
        run.sweep_id, run.number, run.attempt
    )?;
    writeln!(out, "status    {status}")?;
    if let Some(code) = run.exit_code {
        writeln!(out, "exit code {code}")?;
    }
    writeln!(
        out,
        "host      {} (pid {})",
        run.host.clone().unwrap_or_default(),
        run.pid.unwrap_or_default()
    )?;
    writeln!(out, "started   {}", time_text(run.started_at))?;
    writeln!(out, "ended     {}", time_text(run.ended_at))?;
    writeln!(out, "duration  {}", duration_text(run.duration()))?;
    writeln!(out, "dir       {}", dir.path().display())?;
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .map(|rd| {
            let mut v: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        })
        .unwrap_or_default();
    writeln!(out, "files     {}", files.join(" "))?;
    writeln!(out, "\nparams")?;
    for (k, v) in &run.params {
        writeln!(out, "  {k} = {}", csv_value(v))?;
    }
    writeln!(out, "\nconfig")?;
    for line in serde_json::to_string_pretty(&run.config)?.lines() {
        writeln!(out, "  {line}")?;
    }
    writeln!(out, "\nsummary ({} history records)", run.history_len)?;
    if run.summary.is_empty() {
        writeln!(out, "  (no metrics logged)")?;
    } else {
        writeln!(out, "{}", summary_table(&run))?;
    }
    if let Some(report) = run_trainer(store, &run).and_then(|t| t.describe(&dir)) {
        writeln!(out, "\ndata")?;
        for line in report.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    if let Some(tail) = &run.stderr_tail {
        writeln!(out, "\nstderr (tail)")?;
        for line in last_lines(tail, 20) {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

/// A config flattened to dotted keys (leaves only).
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, child, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

pub fn compare(store: &dyn Store, ids: &[String]) -> Result<()> {
    let runs: Vec<RunRecord> = ids
        .iter()
        .map(|id| user_lookup(store.run(id)))
        .collect::<Result<_>>()?;
    let flat: Vec<BTreeMap<String, Value>> = runs
        .iter()
        .map(|r| {
            let mut m = BTreeMap::new();
            flatten("", &r.config, &mut m);
            m
        })
        .collect();
    let keys: BTreeSet<&String> = flat.iter().flat_map(|m| m.keys()).collect();
    let mut header = vec!["".to_string()];
    header.extend(runs.iter().map(|r| r.id.clone()));
    let mut t = new_table();
    t.set_header(header.clone());
    t.add_row(
        std::iter::once("status".to_string())
            .chain(runs.iter().map(|r| r.status.to_string()))
            .collect::<Vec<_>>(),
    );
    let mut differing = 0;
    for key in keys {
        let cells: Vec<Option<&Value>> = flat.iter().map(|m| m.get(key)).collect();
        let first = cells[0].map(sweep_core::value_key);
        if cells.iter().all(|c| c.map(sweep_core::value_key) == first) {
            continue;
        }
        differing += 1;
        let mut row = vec![key.clone()];
        row.extend(
            cells
                .iter()
                .map(|c| c.map(value_text).unwrap_or_else(|| "—".into())),
        );
        t.add_row(row);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "config ({differing} key(s) differ)")?;
    writeln!(out, "{t}")?;
    let metrics: BTreeSet<&String> = runs.iter().flat_map(|r| r.summary.keys()).collect();
    let mut s = new_table();
    s.set_header(header);
    for m in metrics {
        type Stat = fn(&sweep_core::MetricSummary) -> Option<f64>;
        let stats: [(&str, Stat); 2] = [("best", |x| x.best), ("last", |x| x.last)];
        for (label, stat) in stats {
            let mut row = vec![format!("{m} ({label})")];
            row.extend(runs.iter().map(|r| {
                r.summary
                    .get(m)
                    .and_then(stat)
                    .map(num)
                    .unwrap_or_else(|| "—".into())
            }));
            s.add_row(row);
        }
    }
    let mut row = vec!["duration".to_string()];
    row.extend(runs.iter().map(|r| duration_text(r.duration())));
    s.add_row(row);
    writeln!(out, "\nsummary")?;
    writeln!(out, "{s}")?;
    Ok(())
}

const SUMMARY_STATS: [&str; 6] = ["last", "min", "max", "best", "best_step", "count"];

fn run_json(run: &RunRecord, history: Option<Vec<sweep_core::MetricRecord>>) -> Value {
    let mut v = serde_json::json!({
        "run": run.id,
        "sweep": run.sweep_id,
        "number": run.number,
        "status": run.status,
        "attempt": run.attempt,
        "created_at": time_text(Some(run.created_at)),
        "started_at": time_text(run.started_at),
        "ended_at": time_text(run.ended_at),
        "duration_secs": run.duration(),
        "host": run.host,
        "exit_code": run.exit_code,
        "reason": run.reason,
        "params": run.params,
        "config": run.config,
        "config_hash": run.config_hash,
        "summary": run.summary,
    });
    if let Some(h) = history {
        let records: Vec<Value> = h
            .into_iter()
            .enumerate()
            .map(|(i, rec)| {
                let mut m = serde_json::Map::new();
                if !rec.contains_key("_step") {
                    m.insert("_step".into(), i.into());
                }
                for (k, x) in rec {
                    m.insert(
                        k,
                        serde_json::Number::from_f64(x)
                            .map(Value::Number)
                            .unwrap_or_else(|| Value::String(x.to_string())),
                    );
                }
                Value::Object(m)
            })
            .collect();
        v["history"] = Value::Array(records);
    }
    v
}

pub fn export(
    store: &dyn Store,
    sweep: Option<String>,
    status: Vec<RunStatus>,
    format: ExportFormat,
    history: bool,
    out_path: Option<&Path>,
) -> Result<()> {
    let (_, runs) = filtered_runs(store, sweep, status)?;
    let mut sink: Box<dyn Write> = match out_path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let load_history = |r: &RunRecord| -> Result<Option<Vec<sweep_core::MetricRecord>>> {
        Ok(if history {
            Some(store.history(&r.id)?)
        } else {
            None
        })
    };
    match format {
        ExportFormat::Json => {
            let rows: Vec<Value> = runs
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
        ExportFormat::Csv => export_csv(store, &runs, history, &mut sink)?,
    }
    sink.flush()?;
    Ok(())
}

fn export_csv(
    store: &dyn Store,
    runs: &[RunRecord],
    history: bool,
    sink: &mut dyn Write,
) -> Result<()> {
    let params: BTreeSet<&String> = runs.iter().flat_map(|r| r.params.keys()).collect();
    let metrics: BTreeSet<&String> = runs.iter().flat_map(|r| r.summary.keys()).collect();
    let mut w = csv::Writer::from_writer(sink);
    let mut header: Vec<String> = [
        "run",
        "sweep",
        "number",
        "status",
        "attempt",
        "created_at",
        "started_at",
        "ended_at",
        "duration_secs",
        "host",
        "exit_code",
        "reason",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(params.iter().map(|p| format!("params.{p}")));
    let base_cols = |r: &RunRecord| -> Vec<String> {
        let mut row = vec![
            r.id.clone(),
            r.sweep_id.clone(),
            r.number.to_string(),
            r.status.to_string(),
            r.attempt.to_string(),
            time_text(Some(r.created_at)),
            time_text(r.started_at),
            time_text(r.ended_at),
            r.duration().map(|d| format!("{d:.3}")).unwrap_or_default(),
            r.host.clone().unwrap_or_default(),
            r.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            r.reason.clone().unwrap_or_default(),
        ];
        row.extend(
            params
                .iter()
                .map(|p| r.params.get(*p).map(csv_value).unwrap_or_default()),
        );
        row
    };
    let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    if history {
        header.push("_step".into());
        let metrics: Vec<&String> = metrics
            .iter()
            .copied()
            .filter(|m| m.as_str() != "_step")
            .collect();
        header.extend(metrics.iter().map(|m| m.to_string()));
        w.write_record(&header)?;
        for r in runs {
            let base = base_cols(r);
            let history = store.history(&r.id)?;
            if history.is_empty() {
                // A run without history still has its row, with empty metric cells.
                let mut row = base.clone();
                row.push(String::new());
                row.extend(metrics.iter().map(|_| String::new()));
                w.write_record(&row)?;
            }
            for (step, rec) in history.into_iter().enumerate() {
                let mut row = base.clone();
                // A `_step` the program logged itself wins over the record's position.
                row.push(
                    rec.get("_step")
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| step.to_string()),
                );
                row.extend(
                    metrics
                        .iter()
                        .map(|m| rec.get(*m).map(|v| v.to_string()).unwrap_or_default()),
                );
                w.write_record(&row)?;
            }
        }
    } else {
        for m in &metrics {
            header.extend(SUMMARY_STATS.iter().map(|s| format!("summary.{m}.{s}")));
        }
        header.push("config".into());
        w.write_record(&header)?;
        for r in runs {
            let mut row = base_cols(r);
            for m in &metrics {
                match r.summary.get(*m) {
                    Some(s) => row.extend([
                        f(s.last),
                        f(s.min),
                        f(s.max),
                        f(s.best),
                        s.best_step.map(|x| x.to_string()).unwrap_or_default(),
                        s.count.to_string(),
                    ]),
                    None => row.extend(std::iter::repeat_n(String::new(), SUMMARY_STATS.len())),
                }
            }
            row.push(r.config.to_string());
            w.write_record(&row)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// The trainer of a run's sweep, when it has one this program ships.
fn run_trainer(
    store: &dyn Store,
    run: &sweep_store::RunRecord,
) -> Option<std::sync::Arc<dyn sweep_core::Trainer>> {
    let sweep = store.sweep(&run.sweep_id).ok()?;
    let kind = sweep.spec.trainer?.kind;
    crate::running::trainers().get(kind.as_str()).cloned()
}

pub fn predict(
    store: &dyn Store,
    run_id: &str,
    input: &Path,
    text: &str,
    label: &str,
    format: PredictFormat,
    out_path: Option<&Path>,
) -> Result<()> {
    let run = user_lookup(store.run(run_id))?;
    let Some(trainer) = run_trainer(store, &run) else {
        return Err(InvalidInput(format!(
            "run {} has no saved model: only runs of a built-in `trainer:` can predict",
            run.id
        ))
        .into());
    };
    let dir = store.run_dir(&run.id);
    let field = |f: &str| match f.parse::<usize>() {
        Ok(i) => sweep_data::FieldRef::Index(i),
        Err(_) => sweep_data::FieldRef::name(f),
    };
    let defaults = sweep_data::SourceDefaults {
        text: field(text),
        label: field(label),
        ..Default::default()
    };
    let data = sweep_data::load_unlabeled(&sweep_data::DataSource::new(input), &defaults)
        .map_err(|e| InvalidInput(e.to_string()))?;
    for p in &data.skipped {
        eprintln!("warning: skipped {p}");
    }
    let labelled = data.labels.iter().all(|l| !l.is_empty());
    let sweep_core::Predictions {
        classes,
        predictions,
    } = trainer
        .predict(&dir, &data.texts, labelled.then_some(&data.labels[..]))
        .map_err(|e| InvalidInput(format!("run {}: {e}", run.id)))?;
    let mut sink: Box<dyn Write> = match out_path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        PredictFormat::Jsonl => {
            for p in &predictions {
                serde_json::to_writer(&mut sink, p)?;
                writeln!(sink)?;
            }
        }
        PredictFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut sink);
            let mut header = vec!["index".to_string(), "text".into()];
            if labelled {
                header.push("label".into());
            }
            header.push("predicted".into());
            let has_proba = predictions.first().is_some_and(|p| p.proba.is_some());
            if has_proba {
                header.extend(classes.iter().map(|c| format!("p_{c}")));
            }
            w.write_record(&header)?;
            for p in &predictions {
                let mut row = vec![p.index.to_string(), p.text.clone()];
                if labelled {
                    row.push(p.label.clone().unwrap_or_default());
                }
                row.push(p.predicted.clone());
                if let Some(proba) = &p.proba {
                    row.extend(
                        classes
                            .iter()
                            .map(|c| proba.get(c).map(|v| v.to_string()).unwrap_or_default()),
                    );
                }
                w.write_record(&row)?;
            }
            w.flush()?;
        }
    }
    sink.flush()?;
    if labelled && !predictions.is_empty() {
        let correct = predictions
            .iter()
            .filter(|p| p.label.as_deref() == Some(p.predicted.as_str()))
            .count();
        eprintln!(
            "{} texts, accuracy {} ({correct} correct) with run {}",
            predictions.len(),
            num(correct as f64 / predictions.len() as f64),
            run.id
        );
    } else {
        eprintln!("{} texts predicted with run {}", predictions.len(), run.id);
    }
    Ok(())
}
