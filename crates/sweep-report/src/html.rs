//! `index.html`: the report as one self-contained page. Styles, charts (inline SVG) and
//! the few lines that sort the tables are in the file; it loads nothing, so it opens
//! anywhere, offline. Every text is escaped.

use crate::charts::{charts, group_colour};
use crate::{Report, esc, group_label, number, overview, strip_ansi};
use std::fmt::Write as _;
use sweep_analysis::InsightMeans;
use sweep_analysis::{DisplayNames, cell_text, flatten, p_text};
use sweep_core::{RunRecord, RunStatus, Value};

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;max-width:1120px;margin:0 auto;padding:16px 24px 48px;line-height:1.45}
h1{margin:8px 0 4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.overview{color:#555}.verdict{font-size:1.1em;font-weight:600}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[data-dir=asc]::after{content:' \\25B2'}table.sortable th[data-dir=desc]::after{content:' \\25BC'}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
figure{margin:16px 0}figcaption{color:#555;font-size:14px;max-width:760px}
svg{max-width:100%;height:auto}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:8px 10px;overflow:auto;font-size:13px}
nav a{margin-right:12px}.muted{color:#777}
";

/// Sorts a table by the clicked header: numbers as numbers (`data-v` where the cell has
/// one), the rest as text; a second click reverses.
const SCRIPT: &str = "
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('thead th').forEach(function(th){
    th.addEventListener('click',function(){
      var i=th.cellIndex,b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);
      var up=th.getAttribute('data-dir')!=='asc';
      t.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('data-dir');});
      th.setAttribute('data-dir',up?'asc':'desc');
      function key(r){var c=r.cells[i];if(!c)return '';var v=c.getAttribute('data-v');return v!==null?v:c.textContent.trim();}
      rows.sort(function(x,y){
        var a=key(x),b2=key(y),na=Number(a),nb=Number(b2),d;
        if(a===''||b2===''){d=(a==='')-(b2==='');return d;}
        d=(!isNaN(na)&&!isNaN(nb))?na-nb:a.localeCompare(b2,undefined,{numeric:true});
        return up?d:-d;
      });
      rows.forEach(function(r){b.appendChild(r);});
    });
  });
});
var m=/^#sort=(-?)(\\d+)$/.exec(location.hash);
var rt=document.querySelector('table.runs');
if(m&&rt){var th=rt.querySelectorAll('thead th')[Number(m[2])];if(th){th.click();if(m[1])th.click();}}
";

fn swatch(rank: usize) -> String {
    format!(
        "<span class=\"sw\" style=\"background:{}\" data-colour=\"{}\"></span>",
        group_colour(rank),
        group_colour(rank)
    )
}

/// A table: header cells and rows of ready HTML cells (`<td…>…</td>`).
fn table(out: &mut String, class: &str, header: &[String], rows: &[String]) {
    let _ = write!(out, "<table class=\"{class}\"><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        let _ = writeln!(out, "<tr>{r}</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn td(text: &str) -> String {
    format!("<td>{}</td>", esc(text))
}

/// A numeric cell: the number for people, the value itself to sort by.
fn td_num(v: Option<f64>) -> String {
    match v.filter(|v| v.is_finite()) {
        Some(v) => format!("<td class=\"num\" data-v=\"{v}\">{}</td>", esc(&number(v))),
        None => "<td class=\"num\" data-v=\"\"></td>".into(),
    }
}

/// Seconds for people: `4.2 s`, `3m 07s`, `2h 05m`.
fn duration_text(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return String::new();
    }
    if s < 10.0 {
        return format!("{s:.2} s");
    }
    if s < 60.0 {
        return format!("{s:.1} s");
    }
    let whole = s.round() as u64;
    if whole < 3600 {
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h {:02}m", whole / 3600, (whole % 3600) / 60)
    }
}

/// Markdown's `code` spans of an escaped text as `<code>` elements.
fn code_spans(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len().is_multiple_of(2) {
        // An odd number of backticks: not spans.
        return escaped.to_string();
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                format!("<code>{p}</code>")
            } else {
                p.to_string()
            }
        })
        .collect()
}

fn param_text(names: &DisplayNames, key: &str, v: &Value) -> String {
    match names.value(key, v) {
        Some(n) => n.to_string(),
        None if v.is_null() => String::new(),
        None => cell_text(v),
    }
}

fn groups_section(out: &mut String, r: &Report, names: &DisplayNames) {
    let header = crate::groups_header(r, names);
    let rows: Vec<String> = r
        .ranked
        .iter()
        .map(|g| {
            let mut row = format!(
                "<td data-v=\"{rank}\" data-rank=\"{rank}\">{}{rank}</td>",
                swatch(g.rank),
                rank = g.rank
            );
            for k in &r.varying {
                let v = g.group.params.get(k).unwrap_or(&Value::Null);
                row.push_str(&td(&param_text(names, k, v)));
            }
            let s = g.group.stats;
            let _ = write!(row, "<td class=\"num\">{}</td>", g.group.n());
            row.push_str(&td_num(s.map(|s| s.mean)));
            row.push_str(&match g.group.ci {
                Some(ci) if g.group.n() > 1 => format!(
                    "<td class=\"num\" data-v=\"{}\">[{}, {}]</td>",
                    ci.low,
                    esc(&number(ci.low)),
                    esc(&number(ci.high))
                ),
                _ => "<td class=\"num\" data-v=\"\"></td>".into(),
            });
            row.push_str(&td_num(s.map(|s| s.std)));
            let p = p_text(g.holm_p_vs_best);
            let _ = write!(
                row,
                "<td class=\"num\" data-v=\"{}\">{}</td>",
                g.holm_p_vs_best
                    .filter(|p| p.is_finite())
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                esc(&p)
            );
            let _ = write!(row, "<td class=\"num\">{}</td>", g.group.missing);
            row
        })
        .collect();
    table(out, "sortable groups", &header, &rows);
}

fn insights_section(out: &mut String, r: &Report, names: &DisplayNames) {
    let shown: Vec<&(usize, InsightMeans)> = r
        .insights
        .iter()
        .filter(|i| i.1.iterations.is_some_and(|n| n >= 2.0))
        .collect();
    if shown.is_empty() {
        return;
    }
    let _ = writeln!(out, "<section id=\"insights\"><h2>Training insights</h2>");
    let _ = writeln!(
        out,
        "<p>Means over each group's completed runs, on <code>{}</code>'s iterations: <em>best at</em> is the iteration of the best value (where early stopping keeps the model); <em>90% at</em> the first iteration with 90% of the improvement from the first value to the best; <em>stability</em> the standard deviation of the last values; <em>train gap</em> the train metric against it at the end (positive: train is better, overfitting).</p>",
        esc(&r.metric.name)
    );
    let header: Vec<String> = ["rank", "group"]
        .into_iter()
        .chain(sweep_analysis::INSIGHT_COLUMNS)
        .map(String::from)
        .collect();
    let rows: Vec<String> = shown
        .iter()
        .map(|(rank, i)| {
            let label = r
                .ranked
                .iter()
                .find(|g| g.rank == *rank)
                .map(|g| group_label(r, names, &g.group.params))
                .unwrap_or_default();
            format!(
                "<td data-v=\"{rank}\" data-rank=\"{rank}\">{}{rank}</td>{}<td class=\"num\">{}</td>{}{}{}{}{}",
                swatch(*rank),
                td(&label),
                i.n,
                td_num(i.iterations),
                td_num(i.best_at),
                td_num(i.to_90),
                td_num(i.stability),
                td_num(i.gap),
            )
        })
        .collect();
    table(out, "sortable", &header, &rows);
    out.push_str("</section>\n");
}

fn importance_section(out: &mut String, r: &Report, names: &DisplayNames) {
    if r.importance.is_empty() {
        return;
    }
    let header: Vec<String> = ["key", "variance share", "spearman", "levels", "n"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<String> = r
        .importance
        .iter()
        .map(|i| {
            format!(
                "{}{}{}<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                td(names.key(&i.key)),
                td_num(Some(i.variance_share)),
                td_num(i.spearman),
                i.levels,
                i.n
            )
        })
        .collect();
    table(out, "sortable", &header, &rows);
}

fn runs_section(out: &mut String, r: &Report, names: &DisplayNames) {
    let rank_of = sweep_analysis::rank_by_run(&r.ranked);
    let mut header: Vec<String> =
        vec!["group".into(), "run".into(), "name".into(), "status".into()];
    header.extend(r.varying.iter().map(|k| names.key(k).to_string()));
    header.push(r.metric.name.clone());
    header.push("duration".into());
    let rows: Vec<String> = r
        .runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let mut row = match rank_of.get(run.id.as_str()) {
                Some(&rank) => format!(
                    "<td data-v=\"{rank}\" data-rank=\"{rank}\">{}{rank}</td>",
                    swatch(rank)
                ),
                None => "<td data-v=\"\"></td>".into(),
            };
            row.push_str(&format!("<td><code>{}</code></td>", esc(&run.id)));
            row.push_str(&td(&run.name));
            row.push_str(&td(run.status.as_str()));
            let flat = flatten(&run.config);
            for k in &r.varying {
                let v = flat.get(k).unwrap_or(&Value::Null);
                match v {
                    Value::Number(n) => {
                        let _ = write!(
                            row,
                            "<td class=\"num\" data-v=\"{}\">{}</td>",
                            n,
                            esc(&param_text(names, k, v))
                        );
                    }
                    _ => row.push_str(&td(&param_text(names, k, v))),
                }
            }
            row.push_str(&td_num(r.values.get(i).copied().flatten()));
            let d = run.duration();
            let _ = write!(
                row,
                "<td class=\"num\" data-v=\"{}\">{}</td>",
                d.filter(|d| d.is_finite())
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                esc(&d.map(duration_text).unwrap_or_default())
            );
            row
        })
        .collect();
    table(out, "sortable runs", &header, &rows);
}

fn failed_section(out: &mut String, failed: &[&RunRecord]) {
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(out, "<section id=\"failed\"><h2>Failed runs</h2>");
    for f in failed {
        let _ = writeln!(
            out,
            "<h3><code>{}</code> ({})</h3>\n<p>{}</p>",
            esc(&f.id),
            esc(&f.name),
            esc(f.reason.as_deref().unwrap_or("no reason recorded"))
        );
        match f.stderr_tail.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(tail) => {
                let _ = writeln!(out, "<pre>{}</pre>", esc(strip_ansi(tail).trim_end()));
            }
            None => out.push_str("<p class=\"muted\">No stderr recorded.</p>\n"),
        }
    }
    out.push_str("</section>\n");
}

/// The report as one self-contained HTML page: the overview and the verdict, the ranked
/// groups with their intervals, the charts, training insights, importance,
/// completeness, every run (sortable), the failed runs' stderr tails and the spec.
pub fn html(r: &Report, names: &DisplayNames) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} — sweep report</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        esc(&r.name)
    );
    let _ = writeln!(out, "<header><h1>{}</h1>", esc(&r.name));
    if let Some(d) = &r.description {
        let _ = writeln!(out, "<p class=\"description\">{}</p>", esc(d));
    }
    let _ = writeln!(
        out,
        "<p class=\"overview\">{}</p>",
        code_spans(&esc(&overview(r)))
    );
    let failed: Vec<&RunRecord> = r
        .runs
        .iter()
        .filter(|x| x.status == RunStatus::Failed)
        .collect();
    let figures = charts(r, names);
    out.push_str("<nav><a href=\"#result\">Result</a>");
    if r.selection.is_some() {
        out.push_str("<a href=\"#selection\">Selection</a>");
    }
    if !figures.is_empty() {
        out.push_str("<a href=\"#charts\">Charts</a>");
    }
    if r.insights
        .iter()
        .any(|i| i.1.iterations.is_some_and(|n| n >= 2.0))
    {
        out.push_str("<a href=\"#insights\">Insights</a>");
    }
    if r.resources.is_some() {
        out.push_str("<a href=\"#resources\">Resources</a>");
    }
    if !r.importance.is_empty() {
        out.push_str("<a href=\"#importance\">What matters</a>");
    }
    out.push_str("<a href=\"#completeness\">Completeness</a><a href=\"#runs\">Runs</a>");
    if !failed.is_empty() {
        out.push_str("<a href=\"#failed\">Failed runs</a>");
    }
    if !r.spec_text.trim().is_empty() {
        out.push_str("<a href=\"#spec\">Spec</a>");
    }
    out.push_str("</nav></header>\n<main>\n");

    let _ = writeln!(out, "<section id=\"result\"><h2>Result</h2>");
    if let Some(v) = &r.sentences.verdict {
        let _ = writeln!(out, "<p class=\"verdict\">{}</p>", esc(v));
    }
    if !r.findings.is_empty() {
        let _ = writeln!(out, "<ul class=\"findings\">");
        for f in &r.findings {
            let _ = writeln!(out, "<li>{}</li>", esc(f));
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<p>{}. {}</p>",
        esc(&r.sentences.scope),
        esc(&r.sentences.method)
    );
    groups_section(&mut out, r, names);
    out.push_str("</section>\n");

    if let Some(s) = &r.selection {
        let _ = writeln!(out, "<section id=\"selection\"><h2>Model selection</h2>");
        let _ = writeln!(
            out,
            "<p>{}.</p>",
            code_spans(&esc(&crate::selection_sentence(s)))
        );
        let (selected, rejected) = crate::selection_rows(r, s, names);
        let cells = |row: &Vec<String>| row.iter().map(|c| td(c)).collect::<String>();
        if !selected.is_empty() {
            let head = [
                "rank".to_string(),
                "group".into(),
                "n".into(),
                format!("{} (mean)", s.metric),
            ];
            table(
                &mut out,
                "selected",
                &head,
                &selected.iter().map(cells).collect::<Vec<_>>(),
            );
        }
        if !rejected.is_empty() {
            let head = ["rejected group".to_string(), "n".into(), "failed".into()];
            table(
                &mut out,
                "rejected",
                &head,
                &rejected.iter().map(cells).collect::<Vec<_>>(),
            );
        }
        out.push_str("</section>\n");
    }

    if !figures.is_empty() {
        let _ = writeln!(out, "<section id=\"charts\"><h2>Charts</h2>");
        for c in &figures {
            let _ = writeln!(
                out,
                "<figure id=\"chart-{}\">\n{}\n<figcaption>{}</figcaption></figure>",
                esc(&c.file),
                c.inline(),
                esc(&c.caption)
            );
        }
        out.push_str("</section>\n");
    }

    insights_section(&mut out, r, names);

    if let Some((header, rows)) = crate::resource_rows(r, names) {
        let _ = writeln!(out, "<section id=\"resources\"><h2>Resources</h2>");
        let _ = writeln!(out, "<p>{}</p>", esc(crate::RESOURCES_SENTENCE));
        let cells: Vec<String> = rows
            .iter()
            .map(|row| {
                let rank = row[0].parse::<usize>().unwrap_or(0);
                let mut html = format!("<td>{}{}</td>", swatch(rank), esc(&row[0]));
                html.extend(row[1..].iter().map(|c| td(c)));
                html
            })
            .collect();
        table(&mut out, "resources", &header, &cells);
        out.push_str("</section>\n");
    }

    if !r.importance.is_empty() {
        let _ = writeln!(out, "<section id=\"importance\"><h2>What matters</h2>");
        let _ = writeln!(
            out,
            "<p>Estimates: the share of <code>{}</code>'s variance each key explains alone (first-order), and Spearman's correlation for numeric keys.</p>",
            esc(&r.metric.name)
        );
        importance_section(&mut out, r, names);
        out.push_str("</section>\n");
    }

    let _ = writeln!(out, "<section id=\"completeness\"><h2>Completeness</h2>");
    if r.completeness.expected.is_some() {
        let _ = writeln!(out, "<p>{}.</p>", esc(&r.completeness.cells_sentence()));
    }
    let findings = r.completeness.findings();
    if findings.is_empty() {
        out.push_str("<p>Nothing is missing.</p>\n");
    } else {
        let rows: Vec<String> = findings
            .iter()
            .map(|(a, b)| format!("{}{}", td(a), td(b)))
            .collect();
        table(&mut out, "", &["finding".into(), "detail".into()], &rows);
    }
    out.push_str("</section>\n");

    let _ = writeln!(
        out,
        "<section id=\"runs\"><h2>Runs</h2>\n<p class=\"muted\">Click a header to sort (a link to <code>index.html#sort=N</code> opens it sorted by column N from 0, <code>#sort=-N</code> descending).</p>"
    );
    runs_section(&mut out, r, names);
    out.push_str("</section>\n");

    failed_section(&mut out, &failed);

    if !r.spec_text.trim().is_empty() {
        let _ = writeln!(
            out,
            "<section id=\"spec\"><h2>Spec</h2>\n<pre>{}</pre></section>",
            esc(r.spec_text.trim_end())
        );
    }
    let _ = writeln!(
        out,
        "</main>\n<footer class=\"muted\"><p>Sweep <code>{}</code>.</p></footer>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        esc(&r.sweep_id)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_code_spans_read_well() {
        assert_eq!(duration_text(0.034), "0.03 s");
        assert_eq!(duration_text(12.34), "12.3 s");
        assert_eq!(duration_text(187.0), "3m 07s");
        assert_eq!(duration_text(7500.0), "2h 05m");
        assert_eq!(duration_text(f64::NAN), "");
        assert_eq!(code_spans("a `b` c"), "a <code>b</code> c");
        assert_eq!(code_spans("a `b c"), "a `b c");
    }
}
