//! `sweep analyze`: a sweep's runs grouped over seeds and noise keys, ranked with intervals
//! and tests, or two groups compared.

use crate::InvalidInput;
use crate::cli::{AnalyzeView, Format, SelectArgs};
use crate::grouped::{Analysis, print_groups, process_gone, select};
use crate::output::{new_table, num};
use anyhow::Result;
use std::io::Write;
use sweep_analysis::{
    Completeness, DisplayNames, GroupResult, Importance, Ranked, RunInsight, STABILITY_WINDOW,
    cell_text, compare_groups, comparison_json, completeness, group_json, importance,
    mean_insights, run_insight, train_counterpart,
};
use sweep_core::{MetricRecord, RunRecord};
use sweep_store::Store;

pub fn analyze(
    store: &dyn Store,
    view: AnalyzeView,
    groups: &[String],
    args: &SelectArgs,
    format: Format,
    names: &DisplayNames,
) -> Result<()> {
    let is_compare = view == AnalyzeView::Compare;
    if (is_compare && groups.len() != 2) || (!is_compare && !groups.is_empty()) {
        return Err(InvalidInput(
            "`sweep analyze compare A B` takes two groups (a rank or a run id each); the other views take none".into(),
        )
        .into());
    }
    let (sweep, runs, analysis) = select(store, args)?;
    let mut out = std::io::stdout().lock();
    match view {
        AnalyzeView::Rank => print_groups(&analysis, true, format, names, &mut out),
        AnalyzeView::Groups => print_groups(&analysis, false, format, names, &mut out),
        AnalyzeView::Compare => {
            let ranked = analysis.ranked();
            let a = find_group(&ranked, &groups[0])?;
            let b = find_group(&ranked, &groups[1])?;
            compare(&analysis, a, b, format, &mut out)
        }
        AnalyzeView::Importance => {
            let refs: Vec<&RunRecord> = runs.iter().collect();
            let rows = importance(&analysis.grouping.varying, &refs, &analysis.values);
            print_importance(&analysis, &rows, format, names, &mut out)
        }
        AnalyzeView::Completeness => {
            let refs: Vec<&RunRecord> = runs.iter().collect();
            let c = completeness(&sweep.spec, &refs, &analysis.grouping, &process_gone);
            print_completeness(&sweep.id, &c, format, &mut out)
        }
        AnalyzeView::Insights => {
            let histories: Vec<Vec<MetricRecord>> = runs
                .iter()
                .map(|r| store.history(&r.id))
                .collect::<Result<_, _>>()?;
            print_insights(&analysis, &runs, &histories, format, names, &mut out)
        }
    }
}

/// Each group's training insights: the mean over its completed runs.
fn print_insights(
    analysis: &Analysis,
    runs: &[RunRecord],
    histories: &[Vec<MetricRecord>],
    format: Format,
    names: &DisplayNames,
    out: &mut dyn Write,
) -> Result<()> {
    let metric = &analysis.metric;
    let index: std::collections::HashMap<&str, usize> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    struct Row {
        params: serde_json::Value,
        per_run: Vec<(String, RunInsight)>,
        gap: Option<f64>,
        to_90: Option<f64>,
        stability: Option<f64>,
        best_at: Option<f64>,
        iterations: Option<f64>,
    }
    let rows: Vec<Row> = analysis
        .groups
        .iter()
        .map(|g| {
            let per_run: Vec<(String, RunInsight)> = g
                .runs
                .iter()
                .filter_map(|id| index.get(id.as_str()).map(|&i| (id, i)))
                .filter(|(_, i)| runs[*i].status == sweep_core::RunStatus::Completed)
                .map(|(id, i)| (id.clone(), run_insight(&histories[i], metric)))
                .collect();
            let insights: Vec<RunInsight> = per_run.iter().map(|(_, r)| r.clone()).collect();
            let m = mean_insights(&insights);
            Row {
                params: serde_json::to_value(&g.params).unwrap_or_default(),
                gap: m.gap,
                to_90: m.to_90,
                stability: m.stability,
                best_at: m.best_at,
                iterations: m.iterations,
                per_run,
            }
        })
        .collect();
    let text = |v: Option<f64>| v.filter(|v| v.is_finite()).map(num).unwrap_or_default();
    match format {
        Format::Json => {
            let opt = |v: Option<f64>| v.map(json_number);
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "params": r.params,
                        "metric": metric.name,
                        "n": r.per_run.len(),
                        "gap": opt(r.gap),
                        "to_90": opt(r.to_90),
                        "stability": opt(r.stability),
                        "best_at": opt(r.best_at),
                        "iterations": opt(r.iterations),
                        "runs": r.per_run.iter().map(|(id, i)| serde_json::json!({
                            "run": id,
                            "iterations": i.iterations,
                            "gap": i.gap.map(json_number),
                            "to_90": i.to_90,
                            "stability": i.stability.map(json_number),
                            "best_at": i.best_at,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list)?;
            writeln!(out)?;
        }
        Format::Csv | Format::Table => {
            let keys = &analysis.grouping.varying;
            let mut header: Vec<String> = if format == Format::Table {
                keys.iter().map(|k| names.key(k).to_string()).collect()
            } else {
                keys.clone()
            };
            header.extend(sweep_analysis::INSIGHT_COLUMNS.map(String::from));
            let lines: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    let mut line: Vec<String> = keys
                        .iter()
                        .map(|k| r.params.get(k).map(cell_text).unwrap_or_default())
                        .collect();
                    line.extend([
                        r.per_run.len().to_string(),
                        text(r.iterations),
                        text(r.best_at),
                        text(r.to_90),
                        text(r.stability),
                        text(r.gap),
                    ]);
                    line
                })
                .collect();
            if format == Format::Csv {
                let mut w = csv::Writer::from_writer(&mut *out);
                w.write_record(&header)?;
                for l in &lines {
                    w.write_record(l)?;
                }
                w.flush()?;
            } else {
                let mut t = new_table();
                t.set_header(header);
                for l in lines {
                    t.add_row(l);
                }
                writeln!(out, "{t}")?;
                writeln!(
                    out,
                    "Means over each group's completed runs, on {}'s iterations (records with a finite value): best at = the iteration of the best value (where early stopping keeps the model); 90% at = the first iteration with 90% of the improvement from the first value to the best; stability = std of the last {STABILITY_WINDOW} values; train gap = {} minus {} at the end (positive: train is better, overfitting).",
                    metric.name,
                    match metric.goal {
                        sweep_core::Goal::Maximize =>
                            train_counterpart(&metric.name).unwrap_or_else(|| "train".into()),
                        sweep_core::Goal::Minimize => metric.name.clone(),
                    },
                    match metric.goal {
                        sweep_core::Goal::Maximize => metric.name.clone(),
                        sweep_core::Goal::Minimize =>
                            train_counterpart(&metric.name).unwrap_or_else(|| "train".into()),
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// A number for JSON: `null` when not finite.
fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn print_importance(
    analysis: &Analysis,
    rows: &[Importance],
    format: Format,
    names: &DisplayNames,
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
                .map(|r| r.to_json(&analysis.metric.name))
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
                    names.key(&r.key).to_string(),
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
    if format == Format::Json {
        let mut v = c.to_json();
        v["sweep"] = sweep.into();
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    // Table and CSV: one line per finding.
    let lines: Vec<[String; 2]> = c.findings().into_iter().map(|(a, b)| [a, b]).collect();
    if format == Format::Csv {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(["finding", "detail"])?;
        for l in &lines {
            w.write_record(l)?;
        }
        w.flush()?;
        return Ok(());
    }
    writeln!(out, "sweep {sweep}: {}", c.cells_sentence())?;
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
