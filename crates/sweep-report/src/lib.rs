//! A sweep's report, rendered from what `sweep-analysis` computed: `report.md` (the
//! document people hand around), `index.html` (the same as one self-contained page, with
//! charts and a sortable runs table), `charts/*.svg` (the charts, linked from the
//! Markdown), `runs.csv` (one row per run), `groups.csv` (one row per group with its
//! statistics) and `report.json` (everything, for other tools). It computes no statistics
//! and never reads the store: the binary assembles a [`Report`].

mod charts;
mod html;

pub use charts::{Chart, PALETTE, charts, group_colour};
pub use html::html;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use sweep_analysis::{
    Completeness, CurvePoint, DisplayNames, ExportTable, Importance, InsightMeans, Profile, Ranked,
    Selection, Sentences, cell_text, p_text, ranked_json, run_json,
};
use sweep_core::{MetricSpec, RunRecord, RunStatus, Value};

/// Everything a report shows, computed by the caller.
pub struct Report<'a> {
    pub sweep_id: String,
    pub name: String,
    pub description: Option<String>,
    /// The spec as written.
    pub spec_text: String,
    pub metric: MetricSpec,
    pub runs: &'a [RunRecord],
    /// The config keys the groups differ by.
    pub varying: Vec<String>,
    /// Groups best first.
    pub ranked: Vec<Ranked>,
    pub sentences: Sentences,
    pub importance: Vec<Importance>,
    pub completeness: Completeness,
    /// Cost against quality, one chart per cost (`resources/wall_s`, and the inference
    /// latency of the built-in classifiers): each completed run's `(cost, value, group
    /// rank, on the Pareto front)`.
    pub cost: Vec<(String, CostPoints)>,
    /// The varying keys the spec searches on a log scale (`log_uniform_values`, …): their
    /// scatter has a log axis whatever their range.
    pub log_scaled: Vec<String>,
    /// Findings drawn from the analysis (`sweep_analysis::findings`), most important first.
    pub findings: Vec<String>,
    /// Each run's value of the metric (by the analysis' reduction): `values[i]` is
    /// `runs[i]`'s.
    pub values: Vec<Option<f64>>,
    /// The metric's curve of each ranked group's completed runs
    /// ([`sweep_analysis::group_curve`]).
    pub curves: Vec<GroupCurve>,
    /// For each numeric varying key: `(param value, run value, group rank)` of each
    /// completed run with a value.
    pub scatter: Vec<(String, ScatterPoints)>,
    /// Each ranked group's training insights (by rank): the means over its completed runs
    /// of what [`sweep_analysis::run_insight`] reads from each run's curve, as `sweep
    /// analyze insights` shows them.
    pub insights: Vec<GroupInsights>,
    /// The top groups over the metrics beside the sweep's ([`sweep_analysis::profile`]),
    /// for the radar chart; `None` with fewer than three such metrics.
    pub profile: Option<Profile>,
    /// What each ranked group's runs cost: the mean of each `resources/…` metric over its
    /// completed runs; `None` when no run recorded one.
    pub resources: Option<Profile>,
    /// The confusion matrix of the best run, when it is a built-in classifier's.
    pub confusion: Option<ConfusionView>,
    /// Model selection over the groups (`sweep report --require …`).
    pub selection: Option<Selection>,
}

/// A run's confusion matrix on one split: rows are the true classes, columns the
/// predicted ones.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionView {
    /// The run's id.
    pub run: String,
    /// The split it was counted on (`test`, `val`).
    pub split: String,
    pub classes: Vec<String>,
    /// `counts[t][p]`: examples of class `t` predicted as `p`.
    pub counts: Vec<Vec<u64>>,
}

/// A ranked group's training insights: `(rank, means over its completed runs)`.
pub type GroupInsights = (usize, InsightMeans);

/// A cost chart's points: `(cost, run value, group rank, on the Pareto front)`.
pub type CostPoints = Vec<(f64, f64, usize, bool)>;

/// A scatter's points: `(param value, run value, group rank)`.
pub type ScatterPoints = Vec<(f64, f64, usize)>;

/// A ranked group's learning curve.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCurve {
    /// The group's rank (from 1).
    pub rank: usize,
    pub points: Vec<CurvePoint>,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
}

/// Markdown's table cells: `|` escaped, line breaks as spaces.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Text for HTML and SVG (text and double- or single-quoted attributes alike): `&`, `<`,
/// `>`, `"` and `'` escaped, control characters other than tabs and line breaks dropped
/// (XML forbids them).
fn esc(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    html_escape::encode_quoted_attribute(&clean).into_owned()
}

/// Terminal colour and cursor sequences (`ESC [ … letter`) removed, as in a stderr tail.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The groups table's header: rank, each varying key (display names), then the statistics.
fn groups_header(r: &Report, names: &DisplayNames) -> Vec<String> {
    std::iter::once("rank".to_string())
        .chain(r.varying.iter().map(|k| names.key(k).to_string()))
        .chain(
            ["n", "mean", "95% CI", "std", "p vs best", "missing"]
                .into_iter()
                .map(String::from),
        )
        .collect()
}

/// What the resources table shows.
const RESOURCES_SENTENCE: &str = "What each group's runs cost, the mean over its completed runs: wall and CPU seconds of the trial, its peak memory (RSS), and for the built-in classifiers the model's size on disk and the inference latency per text (median; in a batch, and alone).";

/// The resources table: a row per ranked group (rank, group, then each metric's mean);
/// `None` without resources.
fn resource_rows(r: &Report, names: &DisplayNames) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let p = r.resources.as_ref()?;
    let mut header = vec!["rank".to_string(), "group".to_string()];
    header.extend(
        p.keys
            .iter()
            .map(|k| k.trim_start_matches("resources/").to_string()),
    );
    let rows = p
        .means
        .iter()
        .filter_map(|(rank, means)| {
            let g = r.ranked.iter().find(|g| g.rank == *rank)?;
            let mut row = vec![rank.to_string(), group_label(r, names, &g.group.params)];
            row.extend(means.iter().map(|m| m.map(number).unwrap_or_default()));
            Some(row)
        })
        .collect();
    Some((header, rows))
}

/// The sentence over a selection: how many groups meet which thresholds.
fn selection_sentence(s: &Selection) -> String {
    let quoted: Vec<String> = s.requirements.iter().map(|q| format!("`{q}`")).collect();
    format!(
        "{} of {} group(s) meet every requirement ({}), ranked by their mean {} ({}); a group's statistic of a metric is the mean over its completed runs",
        s.selected.len(),
        s.selected.len() + s.rejected.len(),
        quoted.join(", "),
        s.metric,
        match s.goal {
            sweep_core::Goal::Maximize => "higher is better",
            sweep_core::Goal::Minimize => "lower is better",
        }
    )
}

/// The selection's rows as text cells: `(rank, group, n, value)` for each selected group,
/// `(group, n, failed)` for each rejected one.
fn selection_rows(
    r: &Report,
    s: &Selection,
    names: &DisplayNames,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let selected = s
        .selected
        .iter()
        .enumerate()
        .map(|(i, c)| {
            vec![
                (i + 1).to_string(),
                group_label(r, names, &c.params),
                c.runs.len().to_string(),
                c.value.map(number).unwrap_or_default(),
            ]
        })
        .collect();
    let rejected = s
        .rejected
        .iter()
        .map(|c| {
            vec![
                group_label(r, names, &c.params),
                c.runs.len().to_string(),
                c.failed.join("; "),
            ]
        })
        .collect();
    (selected, rejected)
}

/// A value for people: its display name, else its cell text.
fn value_text(names: &DisplayNames, key: &str, v: &Value) -> String {
    names
        .value(key, v)
        .map_or_else(|| cell_text(v), str::to_string)
}

/// A group for people: `key=value` for each varying key the group sets (display names),
/// `all runs` when none.
fn group_label(r: &Report, names: &DisplayNames, params: &BTreeMap<String, Value>) -> String {
    let parts: Vec<String> = r
        .varying
        .iter()
        .filter_map(|k| {
            let v = params.get(k).unwrap_or(&Value::Null);
            // A key the group does not set says nothing, unless it has a display name.
            if v.is_null() && names.value(k, v).is_none() {
                return None;
            }
            Some(format!("{}={}", names.key(k), value_text(names, k, v)))
        })
        .collect();
    if parts.is_empty() {
        "all runs".into()
    } else {
        parts.join(", ")
    }
}

/// The overview sentence: the sweep, its runs by status and the metric.
fn overview(r: &Report) -> String {
    let count = |s: RunStatus| r.runs.iter().filter(|x| x.status == s).count();
    format!(
        "Sweep `{}`: {} run(s): {} completed, {} failed, {} pruned, {} interrupted, {} running. Metric: `{}` ({}).",
        r.sweep_id,
        r.runs.len(),
        count(RunStatus::Completed),
        count(RunStatus::Failed),
        count(RunStatus::Pruned),
        count(RunStatus::Interrupted),
        count(RunStatus::Running),
        r.metric.name,
        r.metric.goal.as_str()
    )
}

/// A Markdown image of a chart file beside the report.
fn chart_link(out: &mut String, c: &Chart) {
    let alt = c.title.replace(['[', ']', '\n'], " ");
    let _ = writeln!(out, "![{alt}](charts/{}.svg)\n", c.file);
}

fn number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

fn table(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(header));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for r in rows {
        out.push_str(&line(r));
    }
    out.push('\n');
}

/// The report as Markdown: overview, the verdict, ranked groups with intervals, what
/// matters, what is missing, failed runs with their stderr tails, and the spec.
pub fn markdown(r: &Report, names: &DisplayNames) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", cell(&r.name));
    if let Some(d) = &r.description {
        let _ = writeln!(out, "{d}\n");
    }
    let _ = writeln!(out, "{}\n", overview(r));
    let figures = charts(r, names);
    let figure = |file: &str| figures.iter().find(|c| c.file == file);
    let _ = writeln!(out, "## Result\n");
    if let Some(v) = &r.sentences.verdict {
        let _ = writeln!(out, "**{v}**\n");
    }
    for f in &r.findings {
        let _ = writeln!(out, "- {f}");
    }
    if !r.findings.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}. {}\n", r.sentences.scope, r.sentences.method);
    let header = groups_header(r, names);
    let rows: Vec<Vec<String>> = r
        .ranked
        .iter()
        .map(|g| {
            let mut row = vec![g.rank.to_string()];
            row.extend(r.varying.iter().map(|k| {
                let v = g.group.params.get(k).unwrap_or(&Value::Null);
                match names.value(k, v) {
                    Some(n) => n.to_string(),
                    None if v.is_null() => String::new(),
                    None => cell_text(v),
                }
            }));
            let s = g.group.stats;
            row.push(g.group.n().to_string());
            row.push(s.map(|s| number(s.mean)).unwrap_or_default());
            row.push(match g.group.ci {
                Some(ci) if g.group.n() > 1 => format!("[{}, {}]", number(ci.low), number(ci.high)),
                _ => String::new(),
            });
            row.push(s.map(|s| number(s.std)).unwrap_or_default());
            row.push(p_text(g.holm_p_vs_best));
            row.push(g.group.missing.to_string());
            row
        })
        .collect();
    table(&mut out, &header, &rows);
    for c in [
        "comparison",
        "curves",
        "radar",
        "parallel",
        "cost-quality",
        "confusion",
    ]
    .into_iter()
    .filter_map(figure)
    {
        chart_link(&mut out, c);
    }
    if let Some(s) = &r.selection {
        let _ = writeln!(out, "## Model selection\n");
        let (selected, rejected) = selection_rows(r, s, names);
        let _ = writeln!(out, "{}\n", selection_sentence(s));
        if !selected.is_empty() {
            table(
                &mut out,
                &[
                    "rank".into(),
                    "group".into(),
                    "n".into(),
                    format!("{} (mean)", s.metric),
                ],
                &selected,
            );
        }
        if !rejected.is_empty() {
            table(
                &mut out,
                &["rejected group".into(), "n".into(), "failed".into()],
                &rejected,
            );
        }
    }
    if let Some((header, rows)) = resource_rows(r, names) {
        let _ = writeln!(out, "## Resources\n");
        let _ = writeln!(out, "{RESOURCES_SENTENCE}\n");
        table(&mut out, &header, &rows);
    }
    if !r.importance.is_empty() {
        let _ = writeln!(out, "## What matters\n");
        let _ = writeln!(
            out,
            "Estimates: the share of `{}`'s variance each key explains alone (first-order), and Spearman's correlation for numeric keys.\n",
            r.metric.name
        );
        let header: Vec<String> = ["key", "variance share", "spearman", "levels", "n"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rows: Vec<Vec<String>> = r
            .importance
            .iter()
            .map(|i| {
                vec![
                    names.key(&i.key).to_string(),
                    number(i.variance_share),
                    i.spearman.map(number).unwrap_or_default(),
                    i.levels.to_string(),
                    i.n.to_string(),
                ]
            })
            .collect();
        table(&mut out, &header, &rows);
    }
    for c in figures
        .iter()
        .filter(|c| c.file == "importance" || c.file.starts_with("scatter-"))
    {
        chart_link(&mut out, c);
    }
    let _ = writeln!(out, "## Completeness\n");
    if r.completeness.expected.is_some() {
        let _ = writeln!(out, "{}.\n", r.completeness.cells_sentence());
    }
    let findings = r.completeness.findings();
    if findings.is_empty() {
        let _ = writeln!(out, "Nothing is missing.\n");
    } else {
        let rows: Vec<Vec<String>> = findings.into_iter().map(|(a, b)| vec![a, b]).collect();
        table(&mut out, &["finding".into(), "detail".into()], &rows);
    }
    let failed: Vec<&RunRecord> = r
        .runs
        .iter()
        .filter(|x| x.status == RunStatus::Failed)
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "## Failed runs\n");
        for f in failed {
            let _ = writeln!(
                out,
                "- `{}` ({}): {}",
                f.id,
                f.name,
                f.reason.as_deref().unwrap_or("no reason recorded")
            );
            if let Some(tail) = f.stderr_tail.as_deref().filter(|t| !t.trim().is_empty()) {
                let lines: Vec<&str> = tail.lines().collect();
                let last = &lines[lines.len().saturating_sub(5)..];
                let _ = writeln!(out, "\n  ```\n  {}\n  ```", last.join("\n  "));
            }
        }
        out.push('\n');
    }
    if !r.spec_text.trim().is_empty() {
        let _ = writeln!(out, "## Spec\n\n```yaml\n{}\n```", r.spec_text.trim_end());
    }
    out
}

/// The report as JSON: the sweep, the metric, the sentences, the ranked groups (as
/// `sweep analyze rank --format json` prints them), importance, completeness and every
/// run (as `sweep export --format json` prints them).
pub fn json(r: &Report) -> Value {
    serde_json::json!({
        "sweep": r.sweep_id,
        "name": r.name,
        "description": r.description,
        "metric": {"name": r.metric.name, "goal": r.metric.goal.as_str()},
        "sentences": {
            "scope": r.sentences.scope,
            "method": r.sentences.method,
            "verdict": r.sentences.verdict,
        },
        "groups": r.ranked.iter().map(|g| ranked_json(g, &r.metric.name)).collect::<Vec<_>>(),
        "importance": r.importance.iter().map(|i| i.to_json(&r.metric.name)).collect::<Vec<_>>(),
        "completeness": r.completeness.to_json(),
        "findings": r.findings,
        "curves": r.curves.iter().map(|c| serde_json::json!({
            "rank": c.rank,
            "points": c.points.iter().map(|p| serde_json::json!({
                "iteration": p.iteration, "n": p.n, "mean": finite(p.mean),
                "std": finite(p.std), "ci_half": finite(p.ci_half),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "insights": r.insights.iter().map(|i| serde_json::json!({
            "rank": i.0, "n": i.1.n, "iterations": i.1.iterations, "best_at": i.1.best_at,
            "to_90": i.1.to_90, "stability": i.1.stability, "gap": i.1.gap,
        })).collect::<Vec<_>>(),
        "profile": r.profile.as_ref().map(|p| serde_json::json!({
            "metrics": p.keys,
            "goals": p.goals.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
            "groups": p.means.iter().map(|(rank, means)| serde_json::json!({
                "rank": rank, "means": means,
            })).collect::<Vec<_>>(),
        })),
        "selection": r.selection.as_ref().map(|s| serde_json::json!({
            "metric": s.metric,
            "requirements": s.requirements,
            "selected": s.selected.iter().map(|c| serde_json::json!({
                "params": c.params, "runs": c.runs, "value": c.value,
            })).collect::<Vec<_>>(),
            "rejected": s.rejected.iter().map(|c| serde_json::json!({
                "params": c.params, "runs": c.runs, "value": c.value, "failed": c.failed,
            })).collect::<Vec<_>>(),
        })),
        "resources": r.resources.as_ref().map(|p| serde_json::json!({
            "metrics": p.keys,
            "groups": p.means.iter().map(|(rank, means)| serde_json::json!({
                "rank": rank, "means": means,
            })).collect::<Vec<_>>(),
        })),
        "confusion": r.confusion.as_ref().map(|c| serde_json::json!({
            "run": c.run, "split": c.split, "classes": c.classes, "counts": c.counts,
        })),
        "runs": r.runs.iter().map(|x| run_json(x, None)).collect::<Vec<_>>(),
    })
}

/// A number for JSON: `null` where it is not finite (JSON has no NaN).
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn write_file(path: PathBuf, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    std::fs::write(&path, bytes).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Writes `report.md`, `index.html`, `charts/<chart>.svg` (each chart, linked from the
/// Markdown), `runs.csv`, `groups.csv` and `report.json` into `dir` (created when
/// missing); returns their paths.
pub fn write(r: &Report, names: &DisplayNames, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mkdir = |d: &Path| {
        std::fs::create_dir_all(d).map_err(|source| ReportError::Io {
            path: d.to_path_buf(),
            source,
        })
    };
    mkdir(dir)?;
    let mut written = vec![write_file(
        dir.join("report.md"),
        markdown(r, names).as_bytes(),
    )?];
    written.push(write_file(
        dir.join("index.html"),
        html(r, names).as_bytes(),
    )?);
    let figures = charts(r, names);
    if !figures.is_empty() {
        let chart_dir = dir.join("charts");
        mkdir(&chart_dir)?;
        for c in &figures {
            written.push(write_file(
                chart_dir.join(format!("{}.svg", c.file)),
                c.svg().as_bytes(),
            )?);
        }
    }
    let csv_file = |name: &str, header: Vec<String>, rows: Vec<Vec<String>>| {
        let path = dir.join(name);
        let err = |source| ReportError::Csv {
            path: path.clone(),
            source,
        };
        let mut w = csv::Writer::from_path(&path).map_err(err)?;
        w.write_record(&header).map_err(err)?;
        for row in rows {
            w.write_record(&row).map_err(err)?;
        }
        w.flush().map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
        Ok::<PathBuf, ReportError>(path)
    };
    let refs: Vec<&RunRecord> = r.runs.iter().collect();
    let export = ExportTable::new(r.runs, false);
    let rows: Vec<Vec<String>> = refs.iter().flat_map(|run| export.rows(run, &[])).collect();
    written.push(csv_file("runs.csv", export.header(), rows)?);
    let mut header = vec!["rank".to_string()];
    header.extend(r.varying.iter().cloned());
    header.extend(
        [
            "n",
            "mean",
            "std",
            "sem",
            "ci_low",
            "ci_high",
            "holm_p_vs_best",
            "missing",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let f = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let rows: Vec<Vec<String>> = r
        .ranked
        .iter()
        .map(|g| {
            let s = g.group.stats;
            let mut row = vec![g.rank.to_string()];
            row.extend(
                r.varying
                    .iter()
                    .map(|k| g.group.params.get(k).map(cell_text).unwrap_or_default()),
            );
            row.extend([
                g.group.n().to_string(),
                f(s.map(|s| s.mean)),
                f(s.map(|s| s.std)),
                f(s.map(|s| s.sem)),
                f(g.group.ci.map(|c| c.low)),
                f(g.group.ci.map(|c| c.high)),
                f(g.holm_p_vs_best),
                g.group.missing.to_string(),
            ]);
            row
        })
        .collect();
    written.push(csv_file("groups.csv", header, rows)?);
    let text = serde_json::to_string_pretty(&json(r)).unwrap_or_else(|_| "{}".into());
    written.push(write_file(dir.join("report.json"), text.as_bytes())?);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    use sweep_analysis::{NoiseRules, group_curve, group_results, group_runs, rank_groups};
    use sweep_core::{Goal, MetricRecord};

    const LRS: [f64; 4] = [1e-4, 1e-3, 1e-2, 1e-1];

    fn run(i: usize, lr: f64, seed: u64, status: RunStatus) -> RunRecord {
        RunRecord {
            id: format!("run{i}"),
            name: if i == 0 {
                "<script>alert(1)</script>".into()
            } else {
                format!("demo-{i}")
            },
            sweep_id: "demo-1234".into(),
            number: i as u64,
            status,
            params: Default::default(),
            config: serde_json::json!({"lr": lr, "seed": seed}),
            config_hash: String::new(),
            summary: Default::default(),
            history_len: 5,
            attempt: 1,
            created_at: 0.0,
            started_at: Some(100.0),
            ended_at: Some(104.5 + 70.0 * i as f64),
            host: None,
            pid: None,
            exit_code: (status == RunStatus::Failed).then_some(3),
            reason: (status == RunStatus::Failed).then(|| "exited with code 3".into()),
            stderr_tail: (status == RunStatus::Failed)
                .then(|| "step 1\n\u{1b}[31mout of <memory> & 'more'\u{1b}[0m\n".into()),
            tags: vec![],
            note: None,
            origin: None,
        }
    }

    /// A run's loss curve: down from 1 towards its lr's floor.
    fn history(lr: f64, seed: u64) -> Vec<MetricRecord> {
        (0..5)
            .map(|e| {
                let floor = 0.2 + (lr.log10() + 2.0).abs() * 0.1 + seed as f64 * 0.01;
                let v = floor + (1.0 - floor) * 0.5f64.powi(e);
                [("loss".to_string(), v)].into_iter().collect()
            })
            .collect()
    }

    /// Four learning rates over two seeds, one run failed; names that need escaping.
    fn fixture() -> (Vec<RunRecord>, Vec<Vec<MetricRecord>>) {
        let mut runs = Vec::new();
        let mut histories = Vec::new();
        for (j, lr) in LRS.iter().enumerate() {
            for seed in 0..2 {
                let i = runs.len();
                let status = if j == 3 && seed == 1 {
                    RunStatus::Failed
                } else {
                    RunStatus::Completed
                };
                let mut r = run(i, *lr, seed, status);
                let h = history(*lr, seed);
                let spec = MetricSpec::new("loss", Goal::Minimize);
                sweep_core::History::from_records(&h).fold_into(&mut r.summary, 0, Some(&spec));
                runs.push(r);
                histories.push(h);
            }
        }
        (runs, histories)
    }

    fn report<'a>(runs: &'a [RunRecord], histories: &[Vec<MetricRecord>]) -> Report<'a> {
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let values: Vec<Option<f64>> = runs
            .iter()
            .zip(histories)
            .map(|(r, h)| {
                (r.status == RunStatus::Completed)
                    .then(|| h.last().and_then(|x| x.get("loss").copied()))
                    .flatten()
            })
            .collect();
        let grouping = group_runs(&refs, &NoiseRules::new());
        let ranked = rank_groups(group_results(&grouping, &refs, &values), Goal::Minimize);
        let index = |id: &str| runs.iter().position(|r| r.id == id);
        let curves = ranked
            .iter()
            .map(|g| {
                let hs: Vec<&[MetricRecord]> = g
                    .group
                    .runs
                    .iter()
                    .filter_map(|id| index(id))
                    .filter(|&i| runs[i].status == RunStatus::Completed)
                    .map(|i| histories[i].as_slice())
                    .collect();
                GroupCurve {
                    rank: g.rank,
                    points: group_curve(&hs, "loss"),
                }
            })
            .collect();
        let rank_of = |id: &str| {
            ranked
                .iter()
                .find(|g| g.group.runs.iter().any(|r| r == id))
                .map(|g| g.rank)
                .unwrap_or(0)
        };
        let points = runs
            .iter()
            .zip(&values)
            .filter_map(|(r, v)| Some((r.config["lr"].as_f64()?, (*v)?, rank_of(&r.id))))
            .collect();
        Report {
            sweep_id: "demo-1234".into(),
            name: "demo & <friends>".into(),
            description: Some("<script>alert('description')</script>".into()),
            spec_text: "name: demo\nparameters: {lr: {values: [1e-4, 1e-1]}}\n".into(),
            metric: MetricSpec::new("loss", Goal::Minimize),
            runs,
            varying: grouping.varying.clone(),
            insights: ranked
                .iter()
                .map(|g| {
                    let means = InsightMeans {
                        n: g.group.n(),
                        iterations: Some(5.0),
                        best_at: Some(5.0),
                        ..InsightMeans::default()
                    };
                    (g.rank, means)
                })
                .collect(),
            importance: sweep_analysis::importance(&grouping.varying, &refs, &values),
            sentences: Sentences {
                scope: "4 group(s) of 8 run(s) by lr; aggregated over seed".into(),
                method: "loss per run: last value".into(),
                verdict: Some("The best group beats the runner-up.".into()),
            },
            completeness: Completeness::default(),
            findings: vec!["Best: lr=<0.1> with loss 1.0 (n = 2).".into()],
            cost: vec![(
                "resources/wall_s".into(),
                vec![(1.0, 1.0, 1, true), (2.0, 1.2, 2, false)],
            )],
            log_scaled: Vec::new(),
            values,
            curves,
            scatter: vec![("lr".into(), points)],
            // Three metrics of the top groups; `loss` is better low, the others high.
            profile: Some(Profile {
                keys: vec!["loss".into(), "acc".into(), "f1".into()],
                goals: vec![Goal::Minimize, Goal::Maximize, Goal::Maximize],
                means: ranked
                    .iter()
                    .map(|g| {
                        let k = g.rank as f64;
                        (g.rank, vec![Some(k), Some(1.0 - k / 10.0), Some(0.5)])
                    })
                    .collect(),
            }),
            confusion: Some(ConfusionView {
                run: "run-0".into(),
                split: "test".into(),
                classes: vec!["<cat>".into(), "dog".into(), "bird".into()],
                counts: vec![vec![8, 2, 0], vec![1, 9, 0], vec![0, 0, 10]],
            }),
            resources: Some(Profile {
                keys: vec!["resources/wall_s".into(), "resources/max_rss_mb".into()],
                goals: vec![Goal::Minimize, Goal::Minimize],
                means: ranked
                    .iter()
                    .map(|g| (g.rank, vec![Some(1.5 * g.rank as f64), None]))
                    .collect(),
            }),
            selection: Some(sweep_analysis::select_groups(
                &grouping,
                &refs,
                &sweep_analysis::Requirement::parse_all(&["metrics.loss < 0.3".to_string()])
                    .unwrap(),
                "loss",
            )),
            ranked,
        }
    }

    /// The inline SVG of the chart whose file stem is `file` (a panic naming it if none).
    fn inline_chart(figures: &[Chart], file: &str) -> String {
        figures
            .iter()
            .find(|c| c.file == file)
            .map(|c| c.inline())
            .unwrap_or_else(|| panic!("no {file} chart"))
    }

    /// Tags balance: every opened element closed in order (void and self-closed ones
    /// aside; scripts and styles skipped whole). `Err` names the first problem.
    fn balanced(text: &str) -> Result<usize, String> {
        const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link", "wbr"];
        let mut stack: Vec<String> = Vec::new();
        let mut rest = text;
        let mut count = 0;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let end = rest
                .find('>')
                .ok_or_else(|| format!("unclosed tag at {:?}", &rest[..rest.len().min(40)]))?;
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if tag.starts_with('!') || tag.starts_with('?') {
                continue;
            }
            if tag.contains('<') {
                return Err(format!("`<` inside a tag: {tag:?}"));
            }
            if let Some(name) = tag.strip_prefix('/') {
                match stack.pop() {
                    Some(open) if open == name.trim() => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
                continue;
            }
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if name.is_empty() {
                return Err(format!("a bare `<` before {tag:?}"));
            }
            count += 1;
            if tag.ends_with('/') || VOID.contains(&name.as_str()) {
                continue;
            }
            if name == "script" || name == "style" {
                let close = format!("</{name}>");
                let skip = rest.find(&close).ok_or(format!("{name} not closed"))?;
                rest = &rest[skip + close.len()..];
                continue;
            }
            stack.push(name);
        }
        if stack.is_empty() {
            Ok(count)
        } else {
            Err(format!("left open: {stack:?}"))
        }
    }

    /// The colour (`#rrggbb`) first following `marker` in `text`.
    fn colour_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
        let at = text.find(marker)? + marker.len();
        let rest = &text[at..];
        let hash = rest.find('#')?;
        rest.get(hash..hash + 7)
    }

    #[test]
    fn the_balance_checker_catches_what_it_should() {
        assert_eq!(
            balanced("<p>a<br><b>b</b></p><svg><path d=\"M0 0\"/></svg>"),
            Ok(5)
        );
        assert!(balanced("<p><b>a</p></b>").is_err());
        assert!(balanced("<p>a < b</p>").is_err());
        assert!(balanced("<p>").is_err());
    }

    #[test]
    fn html_is_one_balanced_page_with_nothing_external() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let page = html(&r, &DisplayNames::default());
        assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..40]);
        balanced(&page).unwrap();
        for bad in [
            "http", "src=", "@import", "<link", "url(", "<img", "<iframe",
        ] {
            assert!(!page.contains(bad), "{bad} in the page");
        }
        // Every section is there.
        for id in [
            "result",
            "charts",
            "insights",
            "importance",
            "completeness",
            "runs",
            "failed",
            "spec",
        ] {
            assert!(page.contains(&format!("<section id=\"{id}\">")), "{id}");
        }
        for chart in ["curves", "comparison", "importance", "scatter-lr"] {
            assert!(
                page.contains(&format!("<figure id=\"chart-{chart}\">")),
                "{chart}"
            );
        }
        assert!(page.contains("The best group beats the runner-up."));
        assert!(page.contains("<table class=\"sortable runs\">"));
        assert!(page.contains("addEventListener('click'"));
        // The failed run's stderr tail, escaped, without terminal colours.
        assert!(
            page.contains("<pre>step 1\nout of &lt;memory&gt; &amp; &#x27;more&#x27;</pre>"),
            "{page}"
        );
    }

    #[test]
    fn user_text_is_escaped_everywhere() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let page = html(&r, &DisplayNames::default());
        // One script: the page's own.
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;script&gt;alert(&#x27;description&#x27;)&lt;/script&gt;"));
        assert!(page.contains("<h1>demo &amp; &lt;friends&gt;</h1>"));
        assert!(
            page.contains("<li>Best: lr=&lt;0.1&gt; with loss 1.0 (n = 2).</li>"),
            "findings listed, escaped"
        );
        assert!(markdown(&r, &DisplayNames::default()).contains("- Best: lr=<0.1> with loss 1.0"));
        assert_eq!(esc("a\u{7}b\"c'"), "ab&quot;c&#x27;");
        // A key and a metric that need escaping, in the charts too.
        let names: DisplayNames =
            DisplayNames::from_value(&serde_json::json!({"keys": {"lr": "<lr & co>"}})).unwrap();
        for c in charts(&r, &names) {
            let svg = c.svg();
            balanced(&svg).unwrap_or_else(|e| panic!("{}: {e}", c.file));
            assert!(!svg.contains("<lr"), "{}", c.file);
        }
        let page = html(&r, &names);
        balanced(&page).unwrap();
        assert!(page.contains("&lt;lr &amp; co&gt;"));
    }

    #[test]
    fn a_group_has_one_colour_in_the_table_and_every_chart() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let names = DisplayNames::default();
        let page = html(&r, &names);
        let figures = charts(&r, &names);
        let chart = |file: &str| inline_chart(&figures, file);
        let (curves, comparison, scatter) =
            (chart("curves"), chart("comparison"), chart("scatter-lr"));
        let mut seen = Vec::new();
        for g in &r.ranked {
            let colour = group_colour(g.rank);
            let marker = format!("data-rank=\"{}\"", g.rank);
            // The groups table comes first in the page.
            assert_eq!(
                colour_after(&page, &marker),
                Some(colour),
                "table {}",
                g.rank
            );
            assert_eq!(colour_after(&comparison, &marker), Some(colour));
            assert_eq!(colour_after(&curves, &marker), Some(colour));
            if g.group.n() > 0 {
                assert_eq!(colour_after(&scatter, &marker), Some(colour));
            }
            // The legends name the group beside its colour.
            assert!(curves.contains(&format!("fill=\"{colour}\"")));
            seen.push(colour);
        }
        seen.dedup();
        assert_eq!(seen.len(), r.ranked.len(), "one colour per group");
    }

    #[test]
    fn charts_label_axes_show_n_on_hover_and_use_a_log_axis_over_decades() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let figures = charts(&r, &DisplayNames::default());
        let files: Vec<&str> = figures.iter().map(|c| c.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "curves",
                "comparison",
                "radar",
                "parallel",
                "importance",
                "cost-quality",
                "confusion",
                "scatter-lr"
            ]
        );
        // Cost against quality: the Pareto front is joined and ringed.
        let cost = figures
            .iter()
            .find(|c| c.file == "cost-quality")
            .map(|c| c.svg());
        let cost = cost.unwrap_or_default();
        assert!(
            cost.contains("class=\"pareto\"") && cost.contains("on the Pareto front: 1 s"),
            "{cost}"
        );
        let curves = figures[0].inline();
        assert!(curves.contains(">iteration</text>"), "x axis label");
        assert!(
            curves.contains(">loss (lower is better)</text>"),
            "y axis label"
        );
        assert!(curves.contains("(n = 2)</title>") && curves.contains("(n = 1)</title>"));
        assert!(curves.contains("<polygon"), "a band where n > 1");
        assert!(curves.contains("lr=0.0001"), "legend");
        let scatter = figures[7].inline();
        assert!(scatter.contains(">lr (log scale)</text>"));
        // Ticks at powers of ten, one of them 0.001.
        assert!(scatter.contains(">0.001</text>"));
        for c in &figures {
            let svg = c.svg();
            assert!(svg.starts_with("<?xml"));
            // The namespace is the only address, and it is a name.
            assert_eq!(svg.matches("http").count(), 1, "{}", c.file);
            assert!(!svg.contains("href") && !svg.contains("src="));
            assert!(!c.inline().contains("http"));
        }
        // A single-iteration sweep has no curves chart.
        let flat: Vec<Vec<MetricRecord>> = histories.iter().map(|h| h[..1].to_vec()).collect();
        let r = report(&runs, &flat);
        assert!(
            charts(&r, &DisplayNames::default())
                .iter()
                .all(|c| c.file != "curves")
        );
    }

    /// The radar puts every group's best metric on the outer ring whichever way the
    /// metric is better; parallel coordinates draw a line per completed run with a value
    /// through every axis; the heatmap shades by the row's share and names the classes.
    #[test]
    fn radar_parallel_coordinates_and_confusion_draw_what_they_say() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let names = DisplayNames::default();
        let figures = charts(&r, &names);
        let chart = |file: &str| inline_chart(&figures, file);
        // Radar: rank 1 has the lowest loss and the highest acc: both on the outer ring
        // (radius 140 around (285, 225)); the last group's at the inner ring (0.15).
        let radar = chart("radar");
        let radius_of = |rank: usize, key: &str| {
            let label = group_label(&r, &names, &r.ranked[rank - 1].group.params);
            let at = radar
                .find(&format!("{label}: {key} mean"))
                .unwrap_or_else(|| panic!("rank {rank} {key}: {radar}"));
            let circle = radar[..at].rfind("<circle").unwrap();
            let attr = |name: &str| -> f64 {
                let s = &radar[circle..];
                let start = s.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                s[start..start + s[start..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            };
            ((attr("cx") - 285.0).powi(2) + (attr("cy") - 225.0).powi(2)).sqrt() / 140.0
        };
        let last = r.ranked.len();
        // loss (not a rate): the groups' range, the best outside.
        assert!((radius_of(1, "loss") - 1.0).abs() < 0.01);
        assert!((radius_of(last, "loss") - 0.15).abs() < 0.01);
        // acc (a rate, 0.9 down to 0.6): from 0.5, the tenth below the lowest, to 1.
        assert!((radius_of(1, "acc") - 0.8).abs() < 0.01);
        assert!((radius_of(last, "acc") - 0.2).abs() < 0.01);
        assert!(radar.contains("acc (higher is better, scale 0.5 to 1)"));
        assert!(radar.contains("loss (lower is better, scale 1 to 4 over the groups)"));
        // Parallel coordinates: one line per completed run, through lr and loss.
        let parallel = chart("parallel");
        let completed = r
            .runs
            .iter()
            .zip(&r.values)
            .filter(|(run, v)| run.status == RunStatus::Completed && v.is_some())
            .count();
        assert_eq!(parallel.matches("<path data-rank=").count(), completed);
        assert!(parallel.contains(">lr</text>") && parallel.contains(">loss</text>"));
        assert!(parallel.contains("lr = 0.0001, loss = "), "{parallel}");
        // Confusion: the escaped class name, a count and its share of the row.
        let confusion = chart("confusion");
        assert!(confusion.contains("true &lt;cat&gt;, predicted dog: 2 (0.2 of the row)"));
        assert!(confusion.contains(">9</text>"));
        assert!(!confusion.contains("<cat>"));
        // Without the data, no chart.
        let mut bare = report(&runs, &histories);
        bare.profile = None;
        bare.confusion = None;
        let files: Vec<String> = charts(&bare, &names).into_iter().map(|c| c.file).collect();
        assert!(
            !files.iter().any(|f| f == "radar" || f == "confusion"),
            "{files:?}"
        );
    }

    /// The selection section names every threshold, ranks the groups that meet them and
    /// says which threshold each rejected group failed, in Markdown and HTML alike.
    #[test]
    fn the_selection_section_ranks_and_explains() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let s = r.selection.as_ref().unwrap();
        assert!(!s.selected.is_empty() && !s.rejected.is_empty(), "{s:?}");
        let md = markdown(&r, &DisplayNames::default());
        let section = &md[md.find("## Model selection").unwrap()..];
        assert!(
            section.contains("meet every requirement (`metrics.loss < 0.3`)"),
            "{section}"
        );
        assert!(
            section.contains("| rejected group | n | failed |"),
            "{section}"
        );
        assert!(section.contains("| metrics.loss < 0.3 |"), "{section}");
        let page = html(&r, &DisplayNames::default());
        assert!(page.contains("<a href=\"#selection\">Selection</a>"));
        assert!(page.contains("<section id=\"selection\">"));
        assert!(
            page.contains("<code>metrics.loss &lt; 0.3</code>"),
            "escaped code span"
        );
        balanced(&page).unwrap();
        let v = json(&r);
        assert_eq!(v["selection"]["requirements"][0], "metrics.loss < 0.3");
    }

    /// A key the spec searches on a log scale gets a log axis even over a short range;
    /// the inference latency gets its own cost chart; report.json carries the curves.
    #[test]
    fn log_scaled_keys_latency_cost_and_curves_in_json() {
        let (runs, histories) = fixture();
        let mut r = report(&runs, &histories);
        r.scatter = vec![("x".into(), vec![(1.0, 1.0, 1), (5.0, 2.0, 2)])];
        r.cost.push((
            "resources/latency_ms_single".into(),
            vec![(0.5, 1.0, 1, true), (0.7, 1.2, 2, false)],
        ));
        let names = DisplayNames::default();
        let scatter_x = |r: &Report| {
            charts(r, &names)
                .into_iter()
                .find(|c| c.file == "scatter-x")
                .map(|c| c.inline())
                .unwrap_or_default()
        };
        assert!(
            !scatter_x(&r).contains("x (log scale)"),
            "within a decade: linear"
        );
        r.log_scaled = vec!["x".into()];
        assert!(scatter_x(&r).contains("x (log scale)"), "the spec says log");
        let latency = charts(&r, &names)
            .into_iter()
            .find(|c| c.file == "cost-latency")
            .map(|c| c.inline())
            .unwrap_or_default();
        assert!(
            latency.contains("loss against inference latency"),
            "{latency}"
        );
        assert!(latency.contains("on the Pareto front: 0.5 ms"), "{latency}");
        let v = json(&r);
        assert_eq!(v["curves"][0]["rank"], 1);
        assert!(
            v["curves"][0]["points"][0]["n"].as_u64().is_some(),
            "{}",
            v["curves"]
        );
        assert_eq!(v["insights"].as_array().map(Vec::len), Some(r.ranked.len()));
    }

    /// The resources panel: a row per group with the mean of each `resources/…` metric,
    /// the group's colour in HTML, empty where no run recorded one.
    #[test]
    fn resources_are_a_table_per_group() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let md = markdown(&r, &DisplayNames::default());
        let section = &md[md.find("## Resources").unwrap()..];
        assert!(
            section.contains("| rank | group | wall_s | max_rss_mb |"),
            "{section}"
        );
        let first = &r.ranked[0];
        let label = group_label(&r, &DisplayNames::default(), &first.group.params);
        assert!(
            section.contains(&format!("| 1 | {label} | 1.5 |  |")),
            "{section}"
        );
        let page = html(&r, &DisplayNames::default());
        assert!(page.contains("<a href=\"#resources\">Resources</a>"));
        let table = &page[page.find("<table class=\"resources\">").unwrap()..];
        assert!(table.contains(&format!("data-colour=\"{}\"", group_colour(1))));
        assert_eq!(json(&r)["resources"]["metrics"][0], "resources/wall_s");
    }

    #[test]
    fn write_puts_the_page_and_the_charts_beside_the_markdown_that_links_them() {
        let (runs, histories) = fixture();
        let r = report(&runs, &histories);
        let dir = tempfile::tempdir().unwrap();
        let written = write(&r, &DisplayNames::default(), dir.path()).unwrap();
        for f in [
            "report.md",
            "index.html",
            "charts/curves.svg",
            "charts/comparison.svg",
            "charts/importance.svg",
            "charts/scatter-lr.svg",
            "runs.csv",
            "groups.csv",
            "report.json",
        ] {
            assert!(dir.path().join(f).is_file(), "{f}");
            assert!(written.contains(&dir.path().join(f)), "{f}");
        }
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(md.contains("![learning curves](charts/curves.svg)"), "{md}");
        for link in md.split("](").skip(1) {
            let target = &link[..link.find(')').unwrap()];
            assert!(dir.path().join(target).is_file(), "{target}");
        }
        assert_eq!(md.matches("](charts/").count(), 8);
    }

    #[test]
    fn markdown_cells_escape_pipes_and_numbers_read_well() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(number(0.93842), "0.9384");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(1e-5), "1.000e-5");
        assert_eq!(number(f64::NAN), "");
        let mut out = String::new();
        table(
            &mut out,
            &["a".into(), "b".into()],
            &[vec!["1".into(), "x|y".into()]],
        );
        assert_eq!(out, "| a | b |\n|---|---|\n| 1 | x\\|y |\n\n");
    }
}
