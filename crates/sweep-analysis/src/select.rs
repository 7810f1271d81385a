//! Model selection: the runs, or the groups, that meet every threshold (each a filter in
//! the `--where` language), ranked by one metric, and every rejected candidate with the
//! thresholds it failed.

use crate::filter::{Filter, FilterError};
use crate::group::Grouping;
use crate::listing::better_first;
use std::collections::BTreeMap;
use sweep_core::{Goal, MetricSummary, RunRecord, RunStatus, Summary, Value};

/// One threshold: its text as written and its parsed filter.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub text: String,
    filter: Filter,
}

impl Requirement {
    /// Every text parsed; every one that does not read, at once.
    pub fn parse_all(texts: &[String]) -> Result<Vec<Requirement>, Vec<FilterError>> {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for text in texts {
            match Filter::parse(text) {
                Ok(filter) => out.push(Requirement {
                    text: text.clone(),
                    filter,
                }),
                Err(e) => problems.push(e),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }
}

/// A run or a group, with its value of the ranking metric and the thresholds it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// A run's name, or a group's `key=value` label.
    pub label: String,
    /// A group's varying keys and values (empty for a run).
    pub params: BTreeMap<String, Value>,
    /// The run's id, or the ids of the group's runs.
    pub runs: Vec<String>,
    /// The run's best value of the metric, or the mean of its completed runs'.
    pub value: Option<f64>,
    /// The texts of the thresholds it failed (empty when selected).
    pub failed: Vec<String>,
}

/// The outcome: the selected candidates best first, the rejected in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub metric: String,
    pub goal: Goal,
    pub requirements: Vec<String>,
    pub selected: Vec<Candidate>,
    pub rejected: Vec<Candidate>,
}

/// The goal of `metric` as the runs recorded it (maximize when none has it).
fn goal_of(runs: &[&RunRecord], metric: &str) -> Goal {
    runs.iter()
        .find_map(|r| r.summary.get(metric).map(|s| s.goal))
        .unwrap_or(Goal::Maximize)
}

fn decide(
    metric: &str,
    goal: Goal,
    requirements: &[Requirement],
    candidates: Vec<(Candidate, RunRecord)>,
) -> Selection {
    let mut selected = Vec::new();
    let mut rejected = Vec::new();
    for (mut c, subject) in candidates {
        c.failed = requirements
            .iter()
            .filter(|q| !q.filter.matches(&subject, &subject.tags))
            .map(|q| q.text.clone())
            .collect();
        if c.failed.is_empty() {
            selected.push(c);
        } else {
            rejected.push(c);
        }
    }
    selected.sort_by(|a, b| better_first(a.value, b.value, goal));
    Selection {
        metric: metric.to_string(),
        goal,
        requirements: requirements.iter().map(|q| q.text.clone()).collect(),
        selected,
        rejected,
    }
}

/// Each run against the thresholds, ranked by its best value of `metric`.
pub fn select_runs(runs: &[&RunRecord], requirements: &[Requirement], metric: &str) -> Selection {
    let candidates = runs
        .iter()
        .map(|r| {
            let c = Candidate {
                label: r.name.clone(),
                params: BTreeMap::new(),
                runs: vec![r.id.clone()],
                value: r.summary.get(metric).and_then(|s| s.best),
                failed: Vec::new(),
            };
            (c, (*r).clone())
        })
        .collect();
    decide(metric, goal_of(runs, metric), requirements, candidates)
}

/// Each group against the thresholds, as one record: its config that of its first run
/// (the varying keys are the group's own), each metric statistic the mean over its
/// completed runs, its status completed when one of its runs is, its tags those all its
/// runs share. Ranked by the mean best value of `metric`.
pub fn select_groups(
    grouping: &Grouping,
    runs: &[&RunRecord],
    requirements: &[Requirement],
    metric: &str,
) -> Selection {
    let candidates = grouping
        .groups
        .iter()
        .filter_map(|g| {
            let members: Vec<&RunRecord> = g
                .runs
                .iter()
                .filter_map(|&i| runs.get(i).copied())
                .collect();
            let subject = group_record(&members)?;
            let c = Candidate {
                label: params_label(&g.params),
                params: g.params.clone(),
                runs: members.iter().map(|r| r.id.clone()).collect(),
                value: subject.summary.get(metric).and_then(|s| s.best),
                failed: Vec::new(),
            };
            Some((c, subject))
        })
        .collect();
    decide(metric, goal_of(runs, metric), requirements, candidates)
}

/// A group's runs as one record (see [`select_groups`]); `None` for no run.
fn group_record(members: &[&RunRecord]) -> Option<RunRecord> {
    let first = members.first()?;
    let completed: Vec<&&RunRecord> = members
        .iter()
        .filter(|r| r.status == RunStatus::Completed)
        .collect();
    let mut summary = Summary::new();
    let keys: std::collections::BTreeSet<&String> =
        completed.iter().flat_map(|r| r.summary.keys()).collect();
    for key in keys {
        let stats: Vec<&MetricSummary> = completed
            .iter()
            .filter_map(|r| r.summary.get(key))
            .collect();
        let mean = |pick: fn(&MetricSummary) -> Option<f64>| {
            let v: Vec<f64> = stats.iter().filter_map(|s| pick(s)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let mut m = MetricSummary::new(stats[0].goal);
        m.last = mean(|s| s.last);
        m.best = mean(|s| s.best);
        m.min = mean(|s| s.min);
        m.max = mean(|s| s.max);
        m.count = stats.iter().map(|s| s.count).sum();
        summary.insert(key.clone(), m);
    }
    let mut record = (*first).clone();
    record.summary = summary;
    record.status = if completed.is_empty() {
        first.status
    } else {
        RunStatus::Completed
    };
    record
        .tags
        .retain(|t| members.iter().all(|r| r.tags.contains(t)));
    Some(record)
}

/// `key=value` for each key a group sets, `all runs` when none.
pub fn params_label(params: &BTreeMap<String, Value>) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    if parts.is_empty() {
        "all runs".to_string()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{NoiseRules, group_runs};
    use serde_json::json;

    fn run(id: &str, model: &str, seed: i64, recall: f64, latency: f64) -> RunRecord {
        let mut r = crate::listing::tests::run(0, RunStatus::Completed, None);
        r.id = id.into();
        r.name = format!("name-{id}");
        r.config = json!({"model": model, "seed": seed});
        for (k, v, goal) in [
            ("test/recall", recall, Goal::Maximize),
            ("latency_ms", latency, Goal::Minimize),
        ] {
            let mut m = MetricSummary::new(goal);
            m.push(v, 0);
            r.summary.insert(k.into(), m);
        }
        r
    }

    fn requirements() -> Vec<Requirement> {
        Requirement::parse_all(&[
            "metrics.test/recall >= 0.95".to_string(),
            "metrics.latency_ms < 100".to_string(),
        ])
        .unwrap()
    }

    #[test]
    fn runs_meeting_every_threshold_rank_and_the_rest_say_what_they_failed() {
        let runs = [
            run("a", "cnn", 0, 0.96, 80.0),
            run("b", "cnn", 1, 0.94, 120.0),
            run("c", "lstm", 0, 0.98, 90.0),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let s = select_runs(&refs, &requirements(), "test/recall");
        let ids: Vec<&str> = s.selected.iter().map(|c| c.runs[0].as_str()).collect();
        assert_eq!(ids, ["c", "a"], "best recall first");
        assert_eq!(s.rejected.len(), 1);
        assert_eq!(
            s.rejected[0].failed,
            ["metrics.test/recall >= 0.95", "metrics.latency_ms < 100"],
            "every failed threshold named"
        );
        assert_eq!(s.rejected[0].label, "name-b");
    }

    #[test]
    fn groups_are_judged_on_their_means() {
        // cnn: recall 0.96 and 0.94 (mean 0.95, passes), latency 80 and 120 (mean 100,
        // fails `< 100`); lstm passes both.
        let runs = [
            run("a", "cnn", 0, 0.96, 80.0),
            run("b", "cnn", 1, 0.94, 120.0),
            run("c", "lstm", 0, 0.98, 90.0),
            run("d", "lstm", 1, 0.97, 70.0),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let grouping = group_runs(&refs, &NoiseRules::new());
        let s = select_groups(&grouping, &refs, &requirements(), "test/recall");
        assert_eq!(s.selected.len(), 1);
        assert_eq!(s.selected[0].label, "model=lstm");
        assert_eq!(s.selected[0].runs, ["c", "d"]);
        assert!((s.selected[0].value.unwrap() - 0.975).abs() < 1e-12);
        assert_eq!(s.rejected[0].label, "model=cnn");
        assert_eq!(s.rejected[0].failed, ["metrics.latency_ms < 100"]);
        assert_eq!(s.goal, Goal::Maximize);
    }

    #[test]
    fn every_threshold_that_does_not_read_is_reported_at_once() {
        let errors = Requirement::parse_all(&[
            "metrics.x >=".to_string(),
            "status = completed".to_string(),
            "(status".to_string(),
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 2);
    }
}
