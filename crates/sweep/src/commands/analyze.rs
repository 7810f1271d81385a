//! `sweep analyze`: a sweep's runs grouped over seeds and noise keys, ranked with intervals
//! and tests, or two groups compared.

use crate::InvalidInput;
use crate::cli::{AnalyzeArgs, AnalyzeView, Format};
use crate::grouped::{Analysis, print_groups};
use crate::load::user_lookup;
use crate::output::{new_table, num};
use anyhow::Result;
use std::io::Write;
use sweep_analysis::{
    Completeness, GroupResult, Importance, NoiseRules, Ranked, Reduce, compare_groups,
    comparison_json, completeness, group_json, importance,
};
use sweep_core::RunRecord;
use sweep_store::{RunFilter, Store};

pub fn analyze(
    store: &dyn Store,
    view: AnalyzeView,
    groups: &[String],
    args: &AnalyzeArgs,
) -> Result<()> {
    let is_compare = view == AnalyzeView::Compare;
    if (is_compare && groups.len() != 2) || (!is_compare && !groups.is_empty()) {
        return Err(InvalidInput(
            "`sweep analyze compare A B` takes two groups (a rank or a run id each); the other views take none".into(),
        )
        .into());
    }
    let reduce = Reduce::parse(&args.reduce).map_err(InvalidInput)?;
    let sweep = match &args.sweep {
        Some(id) => user_lookup(store.sweep(id))?,
        None => {
            let mut sweeps = store.sweeps()?;
            sweeps.sort_by(|a, b| a.created_at.total_cmp(&b.created_at));
            sweeps
                .pop()
                .ok_or_else(|| InvalidInput("the store has no sweeps yet".into()))?
        }
    };
    let runs = store.runs(&RunFilter {
        sweep_id: Some(sweep.id.clone()),
        statuses: vec![],
    })?;
    let rules = args
        .noise
        .iter()
        .fold(NoiseRules::new(), |r, g| r.noise(g.clone()));
    let rules = args.keep.iter().fold(rules, |r, g| r.keep(g.clone()));
    let analysis = Analysis::of(store, &sweep, &runs, args.metric.as_deref(), reduce, &rules)?;
    let mut out = std::io::stdout().lock();
    match view {
        AnalyzeView::Rank => print_groups(&analysis, true, args.format, &mut out),
        AnalyzeView::Groups => print_groups(&analysis, false, args.format, &mut out),
        AnalyzeView::Compare => {
            let ranked = analysis.ranked();
            let a = find_group(&ranked, &groups[0])?;
            let b = find_group(&ranked, &groups[1])?;
            compare(&analysis, a, b, args.format, &mut out)
        }
        AnalyzeView::Importance => {
            let refs: Vec<&RunRecord> = runs.iter().collect();
            let rows = importance(&analysis.grouping.varying, &refs, &analysis.values);
            print_importance(&analysis, &rows, args.format, &mut out)
        }
        AnalyzeView::Completeness => {
            let refs: Vec<&RunRecord> = runs.iter().collect();
            let is_dead = |r: &RunRecord| match (&r.host, r.pid) {
                (Some(host), Some(pid)) => sweep_exec::owner_is_dead(host, pid),
                _ => false,
            };
            let c = completeness(&sweep.spec, &refs, &analysis.grouping, &is_dead);
            print_completeness(&sweep.id, &c, args.format, &mut out)
        }
    }
}

/// A number for JSON: `null` when not finite.
fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn print_importance(
    analysis: &Analysis,
    rows: &[Importance],
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let share = |v: f64| {
        if v.is_nan() {
            String::new()
        } else {
            format!("{v:.3}")
        }
    };
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "key": r.key,
                        "variance_share": json_number(r.variance_share),
                        "spearman": r.spearman.map(json_number),
                        "levels": r.levels,
                        "n": r.n,
                        "metric": analysis.metric.name,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(["key", "variance_share", "spearman", "levels", "n"])?;
            for r in rows {
                w.write_record([
                    r.key.clone(),
                    share(r.variance_share),
                    r.spearman.map(share).unwrap_or_default(),
                    r.levels.to_string(),
                    r.n.to_string(),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = new_table();
            t.set_header(["key", "variance share (η²)", "spearman", "levels", "n"]);
            for r in rows {
                t.add_row([
                    r.key.clone(),
                    share(r.variance_share),
                    r.spearman.map(share).unwrap_or_default(),
                    r.levels.to_string(),
                    r.n.to_string(),
                ]);
            }
            writeln!(out, "{t}")?;
            writeln!(
                out,
                "Estimates over the completed runs' {}: the share of its variance each key explains alone (first-order, as fANOVA on a full grid; a key with many levels on few runs explains more by chance), and Spearman's rank correlation for numeric keys.",
                analysis.metric.name
            )?;
        }
    }
    Ok(())
}

fn print_completeness(
    sweep: &str,
    c: &Completeness,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let params = |p: &sweep_core::Params| serde_json::to_string(p).unwrap_or_default();
    if format == Format::Json {
        let v = serde_json::json!({
            "sweep": sweep,
            "complete": c.is_complete(),
            "expected_cells": c.expected,
            "done_cells": c.done,
            "missing": c.missing,
            "without_result": c.without_result,
            "duplicated": c.duplicated.iter().map(|(p, n)| serde_json::json!({"params": p, "completed": n})).collect::<Vec<_>>(),
            "missing_seeds": c.missing_seeds.iter().map(|(p, s)| serde_json::json!({"params": p, "seeds": s})).collect::<Vec<_>>(),
            "short_curves": c.short_curves.iter().map(|(id, n, longest)| serde_json::json!({"run": id, "history_len": n, "longest": longest})).collect::<Vec<_>>(),
            "stale_running": c.stale_running,
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    // Table and CSV: one line per finding.
    let mut lines: Vec<[String; 2]> = Vec::new();
    for p in &c.missing {
        lines.push(["missing cell".into(), params(p)]);
    }
    for p in &c.without_result {
        lines.push([
            "no result (failed, pruned or interrupted)".into(),
            params(p),
        ]);
    }
    for (p, n) in &c.duplicated {
        lines.push([
            "completed more than once".into(),
            format!("{} ({n} runs)", params(p)),
        ]);
    }
    for (p, seeds) in &c.missing_seeds {
        lines.push([
            "missing seeds".into(),
            format!(
                "{}: {}",
                serde_json::to_string(p).unwrap_or_default(),
                serde_json::to_string(seeds).unwrap_or_default()
            ),
        ]);
    }
    for (id, n, longest) in &c.short_curves {
        lines.push([
            "short curve".into(),
            format!("{id}: {n} of {longest} records"),
        ]);
    }
    for id in &c.stale_running {
        lines.push([
            "running, but its process is gone".into(),
            format!("{id} (`sweep resume` marks it interrupted and runs it again)"),
        ]);
    }
    if format == Format::Csv {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(["finding", "detail"])?;
        for l in &lines {
            w.write_record(l)?;
        }
        w.flush()?;
        return Ok(());
    }
    match c.expected {
        Some(n) => writeln!(
            out,
            "sweep {sweep}: {} of {n} grid cell(s) have a completed run",
            c.done
        )?,
        None => writeln!(
            out,
            "sweep {sweep}: random or Bayesian search has no fixed set of cells"
        )?,
    }
    if lines.is_empty() {
        writeln!(out, "complete: nothing missing")?;
    } else {
        let mut t = new_table();
        t.set_header(["finding", "detail"]);
        for l in lines {
            t.add_row(l);
        }
        writeln!(out, "{t}")?;
    }
    Ok(())
}

/// A group by its rank (`1` is the best) or by a run id (or unique prefix) in it.
fn find_group<'a>(ranked: &'a [Ranked], which: &str) -> Result<&'a Ranked> {
    if let Ok(rank) = which.parse::<usize>()
        && let Some(r) = ranked.iter().find(|r| r.rank == rank)
    {
        return Ok(r);
    }
    let matching: Vec<&Ranked> = ranked
        .iter()
        .filter(|r| r.group.runs.iter().any(|id| id.starts_with(which)))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(InvalidInput(format!(
            "no group has rank or run `{which}` ({} group(s); `sweep analyze rank` lists them)",
            ranked.len()
        ))
        .into()),
        _ => Err(InvalidInput(format!(
            "`{which}` matches runs of {} groups: give more of the run id",
            matching.len()
        ))
        .into()),
    }
}

fn compare(
    analysis: &Analysis,
    a: &Ranked,
    b: &Ranked,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let metric = &analysis.metric.name;
    let c = compare_groups(&a.group.values, &b.group.values);
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(
                &mut *out,
                &comparison_json(&a.group, &b.group, c.as_ref(), metric),
            )?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(["statistic", "value"])?;
            let v = comparison_json(&a.group, &b.group, c.as_ref(), metric);
            for key in [
                "diff_mean",
                "diff_ci_low",
                "diff_ci_high",
                "welch_t",
                "welch_p",
                "mann_whitney_u",
                "mann_whitney_p",
                "ks",
                "ks_p",
            ] {
                w.write_record([key.to_string(), v[key].to_string()])?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = new_table();
            t.set_header(["group", "rank", "params", "n", "mean", "std"]);
            for (label, r) in [("A", a), ("B", b)] {
                let g: &GroupResult = &r.group;
                let params = group_json(g, metric)["params"].to_string();
                let s = g.stats;
                t.add_row([
                    label.to_string(),
                    r.rank.to_string(),
                    params,
                    g.n().to_string(),
                    s.map(|s| num(s.mean)).unwrap_or_default(),
                    s.map(|s| s.std)
                        .filter(|v| v.is_finite())
                        .map(num)
                        .unwrap_or_default(),
                ]);
            }
            writeln!(out, "{t}")?;
            match c {
                None => writeln!(out, "A or B has no values of {metric}: nothing to compare")?,
                Some(c) => {
                    let p = |p: f64| {
                        if p.is_nan() {
                            "undefined".to_string()
                        } else {
                            format!("{p:.4}")
                        }
                    };
                    writeln!(
                        out,
                        "{metric}: mean A - B = {} (95% bootstrap interval [{}, {}])",
                        num(c.diff_mean),
                        num(c.diff_ci_low),
                        num(c.diff_ci_high)
                    )?;
                    writeln!(
                        out,
                        "Welch's t-test:        t = {}, p = {}",
                        num(c.welch_t),
                        p(c.welch_p)
                    )?;
                    writeln!(
                        out,
                        "Mann-Whitney U:        U = {}, p = {}",
                        num(c.mann_whitney_u),
                        p(c.mann_whitney_p)
                    )?;
                    writeln!(
                        out,
                        "Kolmogorov-Smirnov:    D = {}, p = {}",
                        num(c.ks),
                        p(c.ks_p)
                    )?;
                }
            }
        }
    }
    Ok(())
}
