//! A sweep's report, rendered from what `sweep-analysis` computed: `report.md` (the
//! document people hand around), `runs.csv` (one row per run), `groups.csv` (one row per
//! group with its statistics) and `report.json` (everything, for other tools). It
//! computes no statistics and never reads the store: the binary assembles a [`Report`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use sweep_analysis::{
    Completeness, DisplayNames, ExportTable, Importance, Ranked, Sentences, cell_text, p_text,
    ranked_json, run_json,
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
    let count = |s: RunStatus| r.runs.iter().filter(|x| x.status == s).count();
    let _ = writeln!(
        out,
        "Sweep `{}`: {} run(s): {} completed, {} failed, {} pruned, {} interrupted, {} running. Metric: `{}` ({}).\n",
        r.sweep_id,
        r.runs.len(),
        count(RunStatus::Completed),
        count(RunStatus::Failed),
        count(RunStatus::Pruned),
        count(RunStatus::Interrupted),
        count(RunStatus::Running),
        r.metric.name,
        r.metric.goal.as_str()
    );
    let _ = writeln!(out, "## Result\n");
    if let Some(v) = &r.sentences.verdict {
        let _ = writeln!(out, "**{v}**\n");
    }
    let _ = writeln!(out, "{}. {}\n", r.sentences.scope, r.sentences.method);
    let mut header: Vec<String> = vec!["rank".into()];
    header.extend(r.varying.iter().map(|k| names.key(k).to_string()));
    header.extend(
        ["n", "mean", "95% CI", "std", "p vs best", "missing"]
            .iter()
            .map(|s| s.to_string()),
    );
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
    let _ = writeln!(out, "## Completeness\n");
    if let Some(n) = r.completeness.expected {
        let _ = writeln!(
            out,
            "{} of {n} grid cell(s) have a completed run.\n",
            r.completeness.done
        );
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
        "runs": r.runs.iter().map(|x| run_json(x, None)).collect::<Vec<_>>(),
    })
}

fn write_file(path: PathBuf, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    std::fs::write(&path, bytes).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Writes `report.md`, `runs.csv`, `groups.csv` and `report.json` into `dir` (created when
/// missing); returns their paths.
pub fn write(r: &Report, names: &DisplayNames, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = vec![write_file(
        dir.join("report.md"),
        markdown(r, names).as_bytes(),
    )?];
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
