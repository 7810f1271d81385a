//! `sweep report`: a sweep's report files, rendered by sweep-report from its analysis.

use crate::cli::SelectArgs;
use crate::grouped::{Analysis, process_gone, select};
use anyhow::Result;
use std::collections::HashMap;
use std::path::Path;
use sweep_analysis::{
    DisplayNames, FindingsInput, Profile, Ranked, RunInsight, better_first, completeness, findings,
    flatten, group_curve, importance, mean_insights, pareto_front, profile_keys, run_insight,
    select_groups, sentences,
};
use sweep_core::{MetricRecord, RunRecord, RunStatus, Value};
use sweep_report::{ConfusionView, CostPoints, GroupCurve, GroupInsights, ScatterPoints};
use sweep_store::Store;

pub fn report(
    store: &dyn Store,
    args: &SelectArgs,
    require: &[String],
    out: &Path,
    names: &DisplayNames,
) -> Result<()> {
    // Thresholds that do not read are reported before anything is loaded.
    let requirements = super::select::requirements(require)?;
    let (sweep, runs, analysis) = select(store, args)?;
    let refs: Vec<&RunRecord> = runs.iter().collect();
    let ranked = analysis.ranked();
    let (curves, insights) = curves_and_insights(store, &runs, &ranked, &analysis)?;
    let importance = importance(&analysis.grouping.varying, &refs, &analysis.values);
    let completeness = completeness(&sweep.spec, &refs, &analysis.grouping, &process_gone);
    // Each group's mean wall time per completed run, for "cheapest within the interval".
    let by_id: HashMap<&str, &RunRecord> = runs.iter().map(|r| (r.id.as_str(), r)).collect();
    let cost: Vec<(usize, f64)> = ranked
        .iter()
        .filter_map(|g| {
            let walls: Vec<f64> = g
                .group
                .runs
                .iter()
                .filter_map(|id| by_id.get(id.as_str()))
                .filter(|r| r.status == RunStatus::Completed)
                .filter_map(|r| r.summary.get("resources/wall_s")?.last)
                .collect();
            (!walls.is_empty()).then(|| (g.rank, walls.iter().sum::<f64>() / walls.len() as f64))
        })
        .collect();
    let findings = findings(&FindingsInput {
        metric: &analysis.metric,
        ranked: &ranked,
        importance: &importance,
        completeness: &completeness,
        insights: &insights,
        cost: &cost,
    });
    let cost_points = cost_quality(&runs, &ranked, &analysis);
    let report = sweep_report::Report {
        sweep_id: sweep.id.clone(),
        name: sweep.name.clone(),
        description: sweep.spec.description.clone(),
        spec_text: sweep.spec_text.clone(),
        metric: analysis.metric.clone(),
        runs: &runs,
        varying: analysis.grouping.varying.clone(),
        sentences: sentences(
            &analysis.grouping,
            analysis.groups.len(),
            runs.len(),
            &analysis.metric,
            &analysis.reduce,
            Some(&ranked),
        ),
        importance,
        completeness,
        findings,
        cost: cost_points,
        log_scaled: sweep
            .spec
            .parameters
            .iter()
            .filter(|p| p.dist.is_log_scaled())
            .map(|p| p.name())
            .collect(),
        values: analysis.values.clone(),
        curves,
        scatter: scatter(&runs, &ranked, &analysis),
        insights,
        profile: profile(&runs, &ranked, &analysis),
        resources: resources(&runs, &ranked),
        confusion: best_confusion(store, &runs, &ranked, &analysis),
        selection: (!requirements.is_empty()).then(|| {
            select_groups(
                &analysis.grouping,
                &refs,
                &requirements,
                &analysis.metric.name,
            )
        }),
        ranked,
    };
    for path in sweep_report::write(&report, names, out)? {
        println!("{}", path.display());
    }
    Ok(())
}

/// Each ranked group's runs, by rank.
fn members<'a>(runs: &'a [RunRecord], ranked: &[Ranked]) -> Vec<(usize, Vec<&'a RunRecord>)> {
    let by_id: HashMap<&str, &RunRecord> = runs.iter().map(|r| (r.id.as_str(), r)).collect();
    ranked
        .iter()
        .map(|g| {
            let members = g
                .group
                .runs
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).copied())
                .collect();
            (g.rank, members)
        })
        .collect()
}

/// The ranked groups over the metrics beside the sweep's, when there are three or more.
fn profile(runs: &[RunRecord], ranked: &[Ranked], analysis: &Analysis) -> Option<Profile> {
    let refs: Vec<&RunRecord> = runs.iter().collect();
    let keys = profile_keys(&refs, &analysis.metric.name)?;
    Some(sweep_analysis::profile(&keys, &members(runs, ranked)))
}

/// What each ranked group's runs cost: the mean of every `resources/…` metric a completed
/// run recorded (one value per run), in a fixed order.
fn resources(runs: &[RunRecord], ranked: &[Ranked]) -> Option<Profile> {
    let mut keys: Vec<String> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Completed)
        .flat_map(|r| r.summary.keys())
        .filter(|k| k.starts_with("resources/"))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    const ORDER: [&str; 6] = [
        "resources/wall_s",
        "resources/cpu_s",
        "resources/max_rss_mb",
        "resources/model_mb",
        "resources/latency_ms_batch",
        "resources/latency_ms_single",
    ];
    keys.sort_by_key(|k| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
    (!keys.is_empty()).then(|| sweep_analysis::profile(&keys, &members(runs, ranked)))
}

/// The confusion matrix of the best group's best run, from the `reports.json` a built-in
/// classifier writes: on the split the metric names (`val/…`), else `test`, else `val`.
/// `None` for runs of other trainers (or a file that does not read).
fn best_confusion(
    store: &dyn Store,
    runs: &[RunRecord],
    ranked: &[Ranked],
    analysis: &Analysis,
) -> Option<ConfusionView> {
    let best = ranked.first()?;
    let goal = analysis.metric.goal;
    let (run, _) = runs
        .iter()
        .zip(&analysis.values)
        .filter(|(r, _)| r.status == RunStatus::Completed && best.group.runs.contains(&r.id))
        .filter_map(|(r, v)| Some((r, v.filter(|v| v.is_finite())?)))
        .min_by(|a, b| better_first(Some(a.1), Some(b.1), goal))?;
    let path = store
        .run_dir(&run.id)
        .path()
        .join(sweep_core::run_files::REPORTS);
    let reports: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let prefix = analysis.metric.name.split('/').next().unwrap_or("");
    let split = [prefix, "test", "val"]
        .into_iter()
        .find(|s| reports.get(*s).is_some())?;
    let report = reports.get(split)?;
    let classes: Vec<String> = report
        .get("class_names")?
        .as_array()?
        .iter()
        .map(|c| c.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    let counts: Vec<Vec<u64>> = report
        .get("confusion_matrix")?
        .get("counts")?
        .as_array()?
        .iter()
        .map(|row| row.as_array()?.iter().map(Value::as_u64).collect())
        .collect::<Option<_>>()?;
    Some(ConfusionView {
        run: run.id.clone(),
        split: split.to_string(),
        classes,
        counts,
    })
}

/// Each ranked group's curve of the metric and its training insights, from the histories
/// of its completed runs (loaded a group at a time).
fn curves_and_insights(
    store: &dyn Store,
    runs: &[RunRecord],
    ranked: &[Ranked],
    analysis: &Analysis,
) -> Result<(Vec<GroupCurve>, Vec<GroupInsights>)> {
    let by_id: HashMap<&str, &RunRecord> = runs.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut curves = Vec::with_capacity(ranked.len());
    let mut insights = Vec::with_capacity(ranked.len());
    for g in ranked {
        let histories: Vec<Vec<MetricRecord>> = g
            .group
            .runs
            .iter()
            .filter_map(|id| by_id.get(id.as_str()))
            .filter(|r| r.status == RunStatus::Completed)
            .map(|r| store.history(&r.id))
            .collect::<Result<_, _>>()?;
        let slices: Vec<&[MetricRecord]> = histories.iter().map(Vec::as_slice).collect();
        curves.push(GroupCurve {
            rank: g.rank,
            points: group_curve(&slices, &analysis.metric.name),
        });
        let per_run: Vec<RunInsight> = histories
            .iter()
            .map(|h| run_insight(h, &analysis.metric))
            .collect();
        insights.push((g.rank, mean_insights(&per_run)));
    }
    Ok((curves, insights))
}

/// For wall time and, where the runs recorded it, the inference latency of one text: each
/// completed run's `(cost, value, group rank, on the Pareto front)`.
fn cost_quality(
    runs: &[RunRecord],
    ranked: &[Ranked],
    analysis: &Analysis,
) -> Vec<(String, CostPoints)> {
    ["resources/wall_s", "resources/latency_ms_single"]
        .into_iter()
        .map(|key| (key.to_string(), cost_points(runs, ranked, analysis, key)))
        .filter(|(_, points)| !points.is_empty())
        .collect()
}

/// Each completed run's `(its last value of key, value, group rank, on the Pareto front)`.
fn cost_points(
    runs: &[RunRecord],
    ranked: &[Ranked],
    analysis: &Analysis,
    key: &str,
) -> CostPoints {
    let rank_of = sweep_analysis::rank_by_run(ranked);
    let points: Vec<(f64, f64, usize)> = runs
        .iter()
        .zip(&analysis.values)
        .filter(|(r, _)| r.status == RunStatus::Completed)
        .filter_map(|(r, v)| {
            let wall = r.summary.get(key)?.last?;
            Some((
                wall,
                v.filter(|v| v.is_finite())?,
                *rank_of.get(r.id.as_str())?,
            ))
        })
        .collect();
    let pairs: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
    let front = pareto_front(&pairs, analysis.metric.goal);
    points
        .into_iter()
        .zip(front)
        .map(|((w, v, r), f)| (w, v, r, f))
        .collect()
}

/// For each varying key whose values are all numbers (where a completed run with a value
/// has it) and take two values or more: `(param value, run value, group rank)` per such
/// run.
fn scatter(
    runs: &[RunRecord],
    ranked: &[Ranked],
    analysis: &Analysis,
) -> Vec<(String, ScatterPoints)> {
    let rank_of = sweep_analysis::rank_by_run(ranked);
    let counted: Vec<(std::collections::BTreeMap<String, Value>, f64, usize)> = runs
        .iter()
        .zip(&analysis.values)
        .filter(|(r, _)| r.status == RunStatus::Completed)
        .filter_map(|(r, v)| {
            let v = v.filter(|v| v.is_finite())?;
            let rank = *rank_of.get(r.id.as_str())?;
            Some((flatten(&r.config), v, rank))
        })
        .collect();
    analysis
        .grouping
        .varying
        .iter()
        .filter_map(|key| {
            let mut points = Vec::new();
            for (flat, v, rank) in &counted {
                match flat.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::Number(n)) => points.push((n.as_f64()?, *v, *rank)),
                    Some(_) => return None,
                }
            }
            let first = points.first().map(|p| p.0);
            points
                .iter()
                .any(|p| Some(p.0) != first)
                .then(|| (key.clone(), points))
        })
        .collect()
}
