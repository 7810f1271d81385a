//! What a sweep is missing: the grid cells its spec expects against the runs it has
//! (missing, failed only, run more than once), groups with fewer seeds than the others,
//! curves shorter than the sweep's longest, and runs still marked running whose process
//! is gone.

use crate::group::{Grouping, is_seed_key};
use std::collections::{BTreeMap, BTreeSet};
use sweep_core::{Method, Params, RunRecord, RunStatus, SweepSpec, Value, value_key};

/// Grids larger than this are not enumerated cell by cell.
pub const MAX_CELLS: usize = 100_000;

/// A sweep's completeness.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Completeness {
    /// Grid cells the spec defines (`None` for random and Bayesian search, or a grid
    /// larger than [`MAX_CELLS`]).
    pub expected: Option<usize>,
    /// Cells (grid) with a completed run.
    pub done: usize,
    /// Cells no run has tried.
    pub missing: Vec<Params>,
    /// Cells whose runs all failed (or were pruned or interrupted): no result.
    pub without_result: Vec<Params>,
    /// Cells with more than one completed run, and how many.
    pub duplicated: Vec<(Params, usize)>,
    /// Groups with fewer seeds than the group with the most, and the seed values they lack
    /// (the seed values seen anywhere in the sweep).
    pub missing_seeds: Vec<(BTreeMap<String, Value>, Vec<Value>)>,
    /// Completed runs whose history is shorter than the longest completed run's, with
    /// their length and the longest.
    pub short_curves: Vec<(String, u64, u64)>,
    /// Runs marked running whose process is gone (by the caller's check).
    pub stale_running: Vec<String>,
}

impl Completeness {
    /// Whether nothing is missing.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
            && self.without_result.is_empty()
            && self.duplicated.is_empty()
            && self.missing_seeds.is_empty()
            && self.short_curves.is_empty()
            && self.stale_running.is_empty()
    }
}

impl Completeness {
    /// The JSON `sweep analyze completeness --format json` prints (stable names).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "complete": self.is_complete(),
            "expected_cells": self.expected,
            "done_cells": self.done,
            "missing": self.missing,
            "without_result": self.without_result,
            "duplicated": self.duplicated.iter().map(|(p, n)| serde_json::json!({"params": p, "completed": n})).collect::<Vec<_>>(),
            "missing_seeds": self.missing_seeds.iter().map(|(p, s)| serde_json::json!({"params": p, "seeds": s})).collect::<Vec<_>>(),
            "short_curves": self.short_curves.iter().map(|(id, n, longest)| serde_json::json!({"run": id, "history_len": n, "longest": longest})).collect::<Vec<_>>(),
            "stale_running": self.stale_running,
        })
    }

    /// How many grid cells have a result, as a sentence (no trailing period); for random
    /// and Bayesian search, that there is no fixed set of cells.
    pub fn cells_sentence(&self) -> String {
        match self.expected {
            Some(n) => format!("{} of {n} grid cell(s) have a completed run", self.done),
            None => "random or Bayesian search has no fixed set of cells".to_string(),
        }
    }

    /// One `(finding, detail)` line per problem, for tables.
    pub fn findings(&self) -> Vec<(String, String)> {
        let params = |p: &Params| serde_json::to_string(p).unwrap_or_default();
        let mut lines = Vec::new();
        for p in &self.missing {
            lines.push(("missing cell".to_string(), params(p)));
        }
        for p in &self.without_result {
            lines.push((
                "no result (failed, pruned or interrupted)".to_string(),
                params(p),
            ));
        }
        for (p, n) in &self.duplicated {
            lines.push((
                "completed more than once".to_string(),
                format!("{} ({n} runs)", params(p)),
            ));
        }
        for (p, seeds) in &self.missing_seeds {
            lines.push((
                "missing seeds".to_string(),
                format!(
                    "{}: {}",
                    serde_json::to_string(p).unwrap_or_default(),
                    serde_json::to_string(seeds).unwrap_or_default()
                ),
            ));
        }
        for (id, n, longest) in &self.short_curves {
            lines.push((
                "short curve".to_string(),
                format!("{id}: {n} of {longest} records"),
            ));
        }
        for id in &self.stale_running {
            lines.push((
                "running, but its process is gone".to_string(),
                format!("{id} (`sweep resume` marks it interrupted and runs it again)"),
            ));
        }
        lines
    }
}

/// The cell a run's params fall in: its values of the grid's non-constant params.
fn cell_key(spec: &SweepSpec, params: &Params) -> Option<Vec<String>> {
    spec.parameters
        .iter()
        .filter(|p| !p.dist.is_constant())
        .map(|p| params.get(&p.name()).map(value_key))
        .collect()
}

/// The completeness of a sweep's `runs` against its `spec`; `is_dead(run)` tells whether a
/// run marked running has lost its process (the caller looks at the process table).
pub fn completeness(
    spec: &SweepSpec,
    runs: &[&RunRecord],
    grouping: &Grouping,
    is_dead: &dyn Fn(&RunRecord) -> bool,
) -> Completeness {
    let mut out = Completeness::default();
    if spec.method == Method::Grid {
        let size = sweep_search::grid_size(&spec.parameters).ok();
        if let Some(size) = size
            .and_then(|s| usize::try_from(s).ok())
            .filter(|&s| s <= MAX_CELLS)
            && let Ok(cells) = sweep_search::next_grid_points(&spec.parameters, &[], size)
        {
            out.expected = Some(cells.len());
            let mut tally: BTreeMap<Vec<String>, (usize, usize)> = BTreeMap::new();
            for run in runs {
                if let Some(key) = cell_key(spec, &run.params) {
                    let entry = tally.entry(key).or_default();
                    entry.0 += 1;
                    if run.status == RunStatus::Completed {
                        entry.1 += 1;
                    }
                }
            }
            for cell in cells {
                let Some(key) = cell_key(spec, &cell) else {
                    continue;
                };
                match tally.get(&key) {
                    None => out.missing.push(cell),
                    Some(&(_, 0)) => out.without_result.push(cell),
                    Some(&(_, completed)) => {
                        out.done += 1;
                        if completed > 1 {
                            out.duplicated.push((cell, completed));
                        }
                    }
                }
            }
        }
    }
    // Seeds: every group should have run every seed value the sweep has seen.
    let seed_keys: Vec<&String> = grouping.ignored.iter().filter(|k| is_seed_key(k)).collect();
    if !seed_keys.is_empty() {
        let seed_of = |run: &RunRecord| -> Value {
            let flat = crate::compare::flatten(&run.config);
            Value::from(
                seed_keys
                    .iter()
                    .map(|k| flat.get(*k).cloned().unwrap_or(Value::Null))
                    .collect::<Vec<_>>(),
            )
        };
        let all: BTreeMap<String, Value> = runs
            .iter()
            .map(|r| {
                let s = seed_of(r);
                (value_key(&s), s)
            })
            .collect();
        for group in &grouping.groups {
            let have: BTreeSet<String> = group
                .runs
                .iter()
                .filter_map(|&i| runs.get(i))
                .filter(|r| r.status == RunStatus::Completed)
                .map(|r| value_key(&seed_of(r)))
                .collect();
            let lacking: Vec<Value> = all
                .iter()
                .filter(|(k, _)| !have.contains(*k))
                .map(|(_, v)| match v {
                    Value::Array(items) if items.len() == 1 => items[0].clone(),
                    other => other.clone(),
                })
                .collect();
            if !lacking.is_empty() {
                out.missing_seeds.push((group.params.clone(), lacking));
            }
        }
    }
    let longest = runs
        .iter()
        .filter(|r| r.status == RunStatus::Completed)
        .map(|r| r.history_len)
        .max()
        .unwrap_or(0);
    for run in runs {
        if run.status == RunStatus::Completed && run.history_len < longest {
            out.short_curves
                .push((run.id.clone(), run.history_len, longest));
        }
        if run.status == RunStatus::Running && is_dead(run) {
            out.stale_running.push(run.id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{NoiseRules, group_runs};
    use serde_json::json;
    use sweep_core::{Distribution, ParamSpec};

    fn grid() -> SweepSpec {
        SweepSpec::new(
            Method::Grid,
            vec![
                ParamSpec::new(
                    "model",
                    Distribution::Categorical {
                        values: vec![json!("a"), json!("b")],
                    },
                ),
                ParamSpec::new(
                    "seed",
                    Distribution::Categorical {
                        values: vec![json!(0), json!(1)],
                    },
                ),
            ],
        )
    }

    fn run(id: &str, model: &str, seed: i64, status: RunStatus, steps: u64) -> RunRecord {
        let mut r = crate::listing::tests::run(0, status, None);
        r.id = id.into();
        r.params = Params::from([
            ("model".to_string(), json!(model)),
            ("seed".to_string(), json!(seed)),
        ]);
        r.config = json!({"model": model, "seed": seed});
        r.history_len = steps;
        r
    }

    #[test]
    fn a_grid_with_holes_names_each_hole() {
        let runs = [
            run("a0", "a", 0, RunStatus::Completed, 10),
            run("a0-again", "a", 0, RunStatus::Completed, 10),
            run("a1", "a", 1, RunStatus::Failed, 2),
            run("b0", "b", 0, RunStatus::Completed, 7),
            run("b9", "b", 9, RunStatus::Running, 1),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let grouping = group_runs(&refs, &NoiseRules::new());
        let c = completeness(&grid(), &refs, &grouping, &|r| r.id == "b9");
        assert_eq!(c.expected, Some(4));
        assert_eq!(c.done, 2);
        let b1 = Params::from([
            ("model".to_string(), json!("b")),
            ("seed".to_string(), json!(1)),
        ]);
        assert_eq!(c.missing, [b1]);
        assert_eq!(c.without_result.len(), 1);
        assert_eq!(c.without_result[0]["seed"], 1);
        assert_eq!(c.duplicated.len(), 1);
        assert_eq!(c.duplicated[0].1, 2);
        // Seeds seen: 0, 1, 9; a lacks 1 (failed) and 9, b lacks 1 and 9 (running).
        assert_eq!(c.missing_seeds.len(), 2);
        assert_eq!(c.missing_seeds[0].1, [json!(1), json!(9)]);
        assert_eq!(c.short_curves, [("b0".to_string(), 7, 10)]);
        assert_eq!(c.stale_running, ["b9"]);
        assert!(!c.is_complete());
    }

    #[test]
    fn a_full_grid_is_complete_and_random_search_has_no_cells() {
        let runs = [
            run("a0", "a", 0, RunStatus::Completed, 3),
            run("a1", "a", 1, RunStatus::Completed, 3),
            run("b0", "b", 0, RunStatus::Completed, 3),
            run("b1", "b", 1, RunStatus::Completed, 3),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let grouping = group_runs(&refs, &NoiseRules::new());
        let c = completeness(&grid(), &refs, &grouping, &|_| false);
        assert!(c.is_complete(), "{c:?}");
        assert_eq!((c.expected, c.done), (Some(4), 4));
        let mut random = grid();
        random.method = Method::Random;
        let c = completeness(&random, &refs, &grouping, &|_| false);
        assert_eq!(c.expected, None);
        assert!(c.is_complete());
    }
}
