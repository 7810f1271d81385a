//! Seed groups as the commands show them: a sweep's runs grouped and aggregated by
//! sweep-analysis (loading the histories a reduction needs), and the tables that print
//! them. `sweep analyze`, and the tables at the end of `sweep run` and in `sweep ls`, use
//! this one path.

use crate::InvalidInput;
use crate::cli::{Format, SelectArgs};
use crate::load::{keep_where, user_lookup};
use crate::output::{new_table, num, value_text};
use anyhow::Result;
use comfy_table::{Cell, CellAlignment};
use std::io::Write;
use sweep_analysis::{
    DisplayNames, GroupResult, Grouping, NoiseRules, Ranked, Reduce, cell_text, group_results,
    group_runs, p_text, rank_groups, ranked_json, sentences,
};
use sweep_core::{MetricSpec, RunRecord};
use sweep_store::{RunFilter, Store, SweepRecord};

/// A sweep's runs grouped for one metric.
pub struct Analysis {
    pub metric: MetricSpec,
    pub reduce: Reduce,
    pub grouping: Grouping,
    /// Groups in run order.
    pub groups: Vec<GroupResult>,
    /// Each run's value (`values[i]` for the `i`-th run given), by `reduce`.
    pub values: Vec<Option<f64>>,
}

impl Analysis {
    /// Groups `runs` (of one sweep) for `metric` (default: the sweep's), each run's value
    /// taken by `reduce`.
    pub fn of(
        store: &dyn Store,
        sweep: &SweepRecord,
        runs: &[RunRecord],
        metric: Option<&str>,
        reduce: Reduce,
        rules: &NoiseRules,
    ) -> Result<Analysis> {
        let metric = match (metric, &sweep.spec.metric) {
            (Some(name), Some(m)) if m.name == name => m.clone(),
            (Some(name), _) => {
                // A metric the spec does not name: its goal as the runs recorded it.
                let goal = runs
                    .iter()
                    .find_map(|r| r.summary.get(name).map(|s| s.goal));
                let Some(goal) = goal else {
                    return Err(InvalidInput(format!(
                        "no run of sweep {} logged `{name}`",
                        sweep.id
                    ))
                    .into());
                };
                MetricSpec::new(name, goal)
            }
            (None, Some(m)) => m.clone(),
            (None, None) => {
                return Err(InvalidInput(format!(
                    "sweep {} has no metric: name one with --metric",
                    sweep.id
                ))
                .into());
            }
        };
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let mut values = Vec::with_capacity(runs.len());
        for run in runs {
            let history = if reduce.needs_history() {
                Some(store.history(&run.id)?)
            } else {
                None
            };
            values.push(reduce.value(run, history.as_deref(), &metric.name));
        }
        let grouping = group_runs(&refs, rules);
        let groups = group_results(&grouping, &refs, &values);
        Ok(Analysis {
            metric,
            reduce,
            grouping,
            groups,
            values,
        })
    }

    pub fn ranked(&self) -> Vec<Ranked> {
        rank_groups(self.groups.clone(), self.metric.goal)
    }
}

/// The sweep (`--sweep`, else the latest), its runs passing `--where`, and their analysis
/// as `args` asks: what `sweep analyze` and `sweep report` work on.
pub fn select(
    store: &dyn Store,
    args: &SelectArgs,
) -> Result<(SweepRecord, Vec<RunRecord>, Analysis)> {
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
    let mut runs = store.runs(&RunFilter {
        sweep_id: Some(sweep.id.clone()),
        statuses: vec![],
    })?;
    keep_where(&mut runs, args.filter.as_deref())?;
    let rules = args
        .noise
        .iter()
        .fold(NoiseRules::new(), |r, g| r.noise(g.clone()));
    let rules = args.keep.iter().fold(rules, |r, g| r.keep(g.clone()));
    let analysis = Analysis::of(store, &sweep, &runs, args.metric.as_deref(), reduce, &rules)?;
    Ok((sweep, runs, analysis))
}

/// Whether a run marked running has lost its process (decidable for this host only), as
/// the completeness of `analyze` and `report` asks.
pub fn process_gone(run: &RunRecord) -> bool {
    match (&run.host, run.pid) {
        (Some(host), Some(pid)) => sweep_exec::owner_is_dead(host, pid),
        _ => false,
    }
}

/// The sweep's runs grouped with the default rules, when a seed-like key varies (the
/// table at the end of `sweep run` and in `sweep ls` then shows groups); `None` otherwise.
pub fn seed_groups(
    store: &dyn Store,
    sweep: &SweepRecord,
    runs: &[RunRecord],
) -> Result<Option<Analysis>> {
    if sweep.spec.metric.is_none() || runs.is_empty() {
        return Ok(None);
    }
    let analysis = Analysis::of(store, sweep, runs, None, Reduce::Best, &NoiseRules::new())?;
    Ok(analysis.grouping.varies_seeds().then_some(analysis))
}

fn interval_text(g: &GroupResult) -> String {
    match g.ci {
        Some(ci) if g.n() > 1 => format!("[{}, {}]", num(ci.low), num(ci.high)),
        _ => String::new(),
    }
}

/// Prints groups ranked (`ranked: true`, best first, with the test against the best) or
/// in run order, as a table, CSV or JSON.
pub fn print_groups(
    analysis: &Analysis,
    ranked: bool,
    format: Format,
    names: &DisplayNames,
    out: &mut dyn Write,
) -> Result<()> {
    let rows: Vec<Ranked> = if ranked {
        analysis.ranked()
    } else {
        analysis
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| Ranked {
                rank: i + 1,
                group: g.clone(),
                welch_p_vs_best: None,
                holm_p_vs_best: None,
            })
            .collect()
    };
    let metric = &analysis.metric.name;
    let keys = &analysis.grouping.varying;
    let mut header: Vec<String> = Vec::new();
    if ranked {
        header.push("rank".into());
    }
    header.extend(keys.iter().cloned());
    header.extend([
        "n".into(),
        format!("{metric} mean"),
        "95% CI".into(),
        "std".into(),
    ]);
    if ranked {
        header.push("p vs best".into());
    }
    header.push("missing".into());
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut v = ranked_json(r, metric);
                    if !ranked {
                        for k in ["rank", "welch_p_vs_best", "holm_p_vs_best"] {
                            if let Some(o) = v.as_object_mut() {
                                o.remove(k);
                            }
                        }
                    }
                    v
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            let mut header = header.clone();
            let ci = header.iter().position(|h| h == "95% CI").unwrap_or(0);
            header.splice(ci..=ci, ["ci_low".to_string(), "ci_high".to_string()]);
            w.write_record(&header)?;
            for r in &rows {
                let g = &r.group;
                let s = g.stats;
                let mut row: Vec<String> = Vec::new();
                if ranked {
                    row.push(r.rank.to_string());
                }
                row.extend(
                    keys.iter()
                        .map(|k| g.params.get(k).map(cell_text).unwrap_or_default()),
                );
                let f = |v: Option<f64>| {
                    v.filter(|v| v.is_finite())
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                };
                row.push(g.n().to_string());
                row.push(f(s.map(|s| s.mean)));
                row.push(f(g.ci.map(|c| c.low)));
                row.push(f(g.ci.map(|c| c.high)));
                row.push(f(s.map(|s| s.std)));
                if ranked {
                    row.push(f(r.holm_p_vs_best));
                }
                row.push(g.missing.to_string());
                w.write_record(&row)?;
            }
            w.flush()?;
        }
        Format::Table => {
            // People read the table: keys and values by their display names.
            let mut header = header;
            let offset = usize::from(ranked);
            for (i, k) in keys.iter().enumerate() {
                header[offset + i] = names.key(k).to_string();
            }
            let mut t = new_table();
            t.set_header(header);
            for r in &rows {
                let g = &r.group;
                let s = g.stats;
                let mut row: Vec<Cell> = Vec::new();
                if ranked {
                    row.push(Cell::new(r.rank));
                }
                // A key a group's runs lack (a model setting another model reads) is blank.
                row.extend(keys.iter().map(|k| {
                    let value = g.params.get(k).unwrap_or(&serde_json::Value::Null);
                    let text = match names.value(k, value) {
                        Some(name) => name.to_string(),
                        None if value.is_null() => String::new(),
                        None => value_text(value),
                    };
                    Cell::new(text)
                }));
                let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
                row.push(right(g.n().to_string()));
                row.push(right(s.map(|s| num(s.mean)).unwrap_or_default()));
                row.push(right(interval_text(g)));
                row.push(right(
                    s.map(|s| s.std)
                        .filter(|v| v.is_finite())
                        .map(num)
                        .unwrap_or_default(),
                ));
                if ranked {
                    row.push(right(p_text(r.holm_p_vs_best)));
                }
                row.push(right(g.missing.to_string()));
                t.add_row(row);
            }
            writeln!(out, "{t}")?;
            writeln!(out, "{}", conclusion(analysis, &rows, ranked))?;
        }
    }
    Ok(())
}

/// The sentence under a grouped table: what was grouped over, and (ranked) whether the
/// best group is distinguishable from the runner-up.
fn conclusion(analysis: &Analysis, rows: &[Ranked], ranked: bool) -> String {
    let runs: usize = analysis.groups.iter().map(|g| g.runs.len()).sum();
    let s = sentences(
        &analysis.grouping,
        analysis.groups.len(),
        runs,
        &analysis.metric,
        &analysis.reduce,
        ranked.then_some(rows),
    );
    let hint = if analysis.grouping.ignored.is_empty() {
        ""
    } else {
        " (--keep KEY to split by one)"
    };
    let mut text = format!("{}{hint}.\n{}", s.scope, s.method);
    if let Some(verdict) = s.verdict {
        text.push('\n');
        text.push_str(&verdict);
    }
    text
}
