//! The sentences that go with a ranked analysis, for the terminal and for reports alike:
//! what was grouped over, how a run's number and the statistics were taken, and whether
//! the best group beats the runner-up. Each sentence states the numbers it rests on.

use crate::analyze::{Ranked, beats_runner_up};
use crate::group::{Grouping, Reduce};
use sweep_core::{Goal, MetricSpec};

/// The sentences of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentences {
    /// `12 group(s) of 36 run(s) by model.c, model.kind; aggregated over seed`.
    pub scope: String,
    /// How each run's number, the interval and the p-values were taken.
    pub method: String,
    /// Whether the best group beats the runner-up (ranked analyses with two groups or
    /// more).
    pub verdict: Option<String>,
}

/// A p-value for people: three decimals, `<0.001` below that; empty when undefined.
pub fn p_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p.is_finite() => {
            if p < 0.001 {
                "<0.001".into()
            } else {
                format!("{p:.3}")
            }
        }
        _ => String::new(),
    }
}

/// The sentences for `runs` runs in `groups` groups of `grouping`, by `metric` and
/// `reduce`; `ranked` gives the verdict.
pub fn sentences(
    grouping: &Grouping,
    groups: usize,
    runs: usize,
    metric: &MetricSpec,
    reduce: &Reduce,
    ranked: Option<&[Ranked]>,
) -> Sentences {
    let mut scope = format!(
        "{groups} group(s) of {runs} run(s) by {}",
        if grouping.varying.is_empty() {
            "nothing (no key varies)".to_string()
        } else {
            grouping.varying.join(", ")
        }
    );
    if !grouping.ignored.is_empty() {
        scope.push_str(&format!(
            "; aggregated over {}",
            grouping.ignored.join(", ")
        ));
    }
    let goal = match metric.goal {
        Goal::Maximize => "higher",
        Goal::Minimize => "lower",
    };
    let how = match reduce {
        Reduce::Last => "last value".to_string(),
        Reduce::Best => "best value".to_string(),
        Reduce::MeanLast(k) => format!("mean of the last {k} values"),
        Reduce::AtBestOf(m) => format!("value where {m} was best"),
    };
    let method = format!(
        "{} per run: {how} ({goal} is better); interval: 95% percentile bootstrap of the mean; p: Welch's t-test against the best, Holm-adjusted.",
        metric.name
    );
    let verdict = ranked.filter(|r| r.len() > 1).map(|rows| {
        let p = p_text(rows[1].welch_p_vs_best);
        match beats_runner_up(rows) {
            Some(true) => format!("The best group beats the runner-up (Welch p = {p})."),
            Some(false) => format!(
                "The best group is not distinguishable from the runner-up (Welch p = {p}): more seeds, or call it a tie."
            ),
            None => "The best group cannot be tested against the runner-up (fewer than two values in a group).".to_string(),
        }
    });
    Sentences {
        scope,
        method,
        verdict,
    }
}
