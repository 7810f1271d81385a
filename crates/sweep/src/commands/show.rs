//! `sweep show`: one run in full.

use crate::load::user_lookup;
use crate::output::{duration_text, last_lines, new_table, num};
use crate::resolve::run_trainer;
use anyhow::Result;
use std::io::Write;
use sweep_analysis::{cell_text, summary_cells, time_text};
use sweep_core::RunRecord;
use sweep_store::Store;

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
    for (k, s) in run
        .summary
        .iter()
        .filter(|(k, _)| !k.starts_with("resources/"))
    {
        let mut row = vec![k.clone()];
        row.extend(summary_cells(s, num));
        row.push(s.goal.as_str().to_string());
        t.add_row(row);
    }
    t
}

/// The config a run's trainer ran it with, every default written (its `config.json`),
/// when the run has a trainer and that file is there.
fn trainer_config(store: &dyn Store, run: &RunRecord) -> Option<serde_json::Value> {
    run_trainer(store, run)?;
    let text = std::fs::read_to_string(store.run_dir(&run.id).config()).ok()?;
    serde_json::from_str(&text).ok()
}

/// The code a run ran, on one line: program, commit (and whether the tree was dirty),
/// repository, lockfiles, interpreter.
fn code_text(code: &sweep_exec::code::CodeState) -> String {
    let mut parts = vec![code.program.clone()];
    match (&code.commit, code.dirty) {
        (Some(c), Some(true)) => parts.push(format!(
            "at {} with uncommitted changes (code.diff{})",
            &c[..c.len().min(12)],
            if code.diff_truncated { ", cut" } else { "" }
        )),
        (Some(c), _) => parts.push(format!("at {}", &c[..c.len().min(12)])),
        (None, _) => parts.push("(not in a git repository)".into()),
    }
    if let Some(repo) = &code.repo {
        parts.push(format!("in {repo}"));
    }
    if !code.lockfiles.is_empty() {
        let files: Vec<&str> = code.lockfiles.keys().map(String::as_str).collect();
        parts.push(format!("lockfiles {}", files.join(", ")));
    }
    if let Some(i) = &code.interpreter {
        parts.push(i.clone());
    }
    parts.join("; ")
}

pub fn show(store: &dyn Store, id: &str, json: bool) -> Result<()> {
    let run = user_lookup(store.run(id))?;
    let dir = store.run_dir(&run.id);
    let resolved = trainer_config(store, &run);
    let mut out = std::io::stdout().lock();
    if json {
        let mut v = serde_json::to_value(&run)?;
        v["dir"] = dir.path().to_string_lossy().into_owned().into();
        v["duration_secs"] = run.duration().into();
        if let Some(resolved) = &resolved {
            v["trainer_config"] = resolved.clone();
        }
        if let Some(code) = sweep_exec::code::read(dir.path()) {
            v["code"] = serde_json::to_value(&code)?;
        }
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    let status = match &run.reason {
        Some(r) => format!("{} ({r})", run.status),
        None => run.status.to_string(),
    };
    writeln!(out, "run       {} ({})", run.id, run.name)?;
    writeln!(
        out,
        "sweep     {} (run #{}, attempt {})",
        run.sweep_id, run.number, run.attempt
    )?;
    if let Some(description) = store
        .sweep(&run.sweep_id)
        .ok()
        .and_then(|s| s.spec.description)
    {
        writeln!(out, "          {description}")?;
    }
    writeln!(out, "status    {status}")?;
    if !run.tags.is_empty() {
        writeln!(out, "tags      {}", run.tags.join(", "))?;
    }
    if let Some(note) = &run.note {
        writeln!(out, "note      {note}")?;
    }
    if let Some(origin) = &run.origin {
        writeln!(out, "from      {origin}")?;
    }
    if let Some(code) = sweep_exec::code::read(dir.path()) {
        writeln!(out, "code      {}", code_text(&code))?;
    }
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
        writeln!(out, "  {k} = {}", cell_text(v))?;
    }
    let config = match &resolved {
        Some(resolved) => {
            writeln!(out, "\nconfig (as the trainer ran it, defaults included)")?;
            resolved
        }
        None => {
            writeln!(out, "\nconfig")?;
            &run.config
        }
    };
    for line in serde_json::to_string_pretty(config)?.lines() {
        writeln!(out, "  {line}")?;
    }
    let cost = |key: &str| run.summary.get(key).and_then(|s| s.last);
    if let Some(wall) = cost("resources/wall_s") {
        let mut parts = vec![format!("wall {}", duration_text(Some(wall)))];
        if let Some(cpu) = cost("resources/cpu_s") {
            parts.push(format!("CPU {}", duration_text(Some(cpu))));
        }
        if let Some(rss) = cost("resources/max_rss_mb") {
            parts.push(format!("peak memory {} MB", num(rss)));
        }
        if let Some(mb) = cost("resources/model_mb") {
            parts.push(format!("model {} MB", num(mb)));
        }
        if let (Some(b), Some(s)) = (
            cost("resources/latency_ms_batch"),
            cost("resources/latency_ms_single"),
        ) {
            parts.push(format!(
                "inference {} ms per text in a batch, {} ms alone",
                num(b),
                num(s)
            ));
        }
        writeln!(out, "resources {}", parts.join(", "))?;
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
