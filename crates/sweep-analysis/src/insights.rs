//! What a run's curves say about training: the gap between its train and validation
//! values (overfitting), how fast it got most of its improvement (convergence), how much
//! the metric still moves at the end (stability), and where it peaked (the early-stopping
//! point). Also curves aggregated over a group's runs, step by step.
//!
//! A metric's *iterations* are the records that carry a finite value of it, in history
//! order, numbered from 1; curves of different runs are aligned on that number exactly,
//! never interpolated.

use sweep_core::{Goal, MetricRecord, MetricSpec};

/// The window of [`RunInsight::stability`].
pub const STABILITY_WINDOW: usize = 5;

/// One run's training insights for a metric.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunInsight {
    /// Iterations of the metric.
    pub iterations: usize,
    /// The train counterpart's last value against the metric's last value, signed so that
    /// a positive gap means train is better (overfitting): `train − val` when maximising,
    /// `val − train` when minimising. `None` without a `train/` counterpart.
    pub gap: Option<f64>,
    /// The first iteration at which the metric had made 90% of its improvement from its
    /// first value to its best. `None` with fewer than two iterations.
    pub to_90: Option<usize>,
    /// Sample standard deviation of the metric's last [`STABILITY_WINDOW`] values (fewer
    /// when the run has fewer): how much it still moves. `None` with fewer than two.
    pub stability: Option<f64>,
    /// The iteration of the best value: where early stopping would have kept the model.
    pub best_at: Option<usize>,
}

/// The train metric that goes with `metric`: its split prefix (`val/`, `valid/`,
/// `validation/`, `eval/`, `dev/`, `test/`) replaced by `train/`.
pub fn train_counterpart(metric: &str) -> Option<String> {
    let (split, name) = metric.split_once('/')?;
    ["val", "valid", "validation", "eval", "dev", "test"]
        .contains(&split)
        .then(|| format!("train/{name}"))
}

fn values_of(history: &[MetricRecord], key: &str) -> Vec<f64> {
    history
        .iter()
        .filter_map(|r| r.get(key).copied())
        .filter(|v| v.is_finite())
        .collect()
}

/// A run's insights for `metric` from its history.
pub fn run_insight(history: &[MetricRecord], metric: &MetricSpec) -> RunInsight {
    let values = values_of(history, &metric.name);
    let better = |a: f64, b: f64| match metric.goal {
        Goal::Maximize => a > b,
        Goal::Minimize => a < b,
    };
    let mut insight = RunInsight {
        iterations: values.len(),
        ..RunInsight::default()
    };
    let Some(&first) = values.first() else {
        return insight;
    };
    let (best_i, best) = values
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, first),
            |acc, (i, v)| if better(v, acc.1) { (i, v) } else { acc },
        );
    insight.best_at = Some(best_i + 1);
    if values.len() >= 2 {
        let target = first + 0.9 * (best - first);
        let reached = |v: f64| match metric.goal {
            Goal::Maximize => v >= target,
            Goal::Minimize => v <= target,
        };
        insight.to_90 = values.iter().position(|&v| reached(v)).map(|i| i + 1);
        let tail = &values[values.len().saturating_sub(STABILITY_WINDOW)..];
        let mean = tail.iter().sum::<f64>() / tail.len() as f64;
        let var = tail.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (tail.len() - 1) as f64;
        insight.stability = Some(var.sqrt());
    }
    if let Some(train) = train_counterpart(&metric.name)
        && let (Some(&t), Some(&v)) = (values_of(history, &train).last(), values.last())
    {
        insight.gap = Some(match metric.goal {
            Goal::Maximize => t - v,
            Goal::Minimize => v - t,
        });
    }
    insight
}

/// The column names of [`InsightMeans`] in tables, in field order (`n` first).
pub const INSIGHT_COLUMNS: [&str; 6] = [
    "n",
    "iterations",
    "best at",
    "90% at",
    "stability",
    "train gap",
];

/// The mean of each insight over a group's runs (`None` where no run has one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InsightMeans {
    /// The runs averaged.
    pub n: usize,
    pub iterations: Option<f64>,
    pub best_at: Option<f64>,
    pub to_90: Option<f64>,
    pub stability: Option<f64>,
    pub gap: Option<f64>,
}

/// Averages runs' insights, each over the runs that have it.
pub fn mean_insights(per_run: &[RunInsight]) -> InsightMeans {
    let mean = |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    let col = |f: fn(&RunInsight) -> Option<f64>| mean(per_run.iter().filter_map(f).collect());
    InsightMeans {
        n: per_run.len(),
        iterations: col(|r| Some(r.iterations as f64)),
        best_at: col(|r| r.best_at.map(|v| v as f64)),
        to_90: col(|r| r.to_90.map(|v| v as f64)),
        stability: col(|r| r.stability),
        gap: col(|r| r.gap),
    }
}

/// One iteration of a group's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// The metric's iteration, from 1.
    pub iteration: usize,
    /// How many runs reached it.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (NaN when `n` is 1).
    pub std: f64,
    /// Half the width of the 95% Student-t interval of the mean (NaN when `n` is 1).
    pub ci_half: f64,
    pub min: f64,
    pub max: f64,
}

/// The metric's curve over several runs, iteration by iteration: at each iteration the
/// runs that reached it, and nothing filled in for the runs that did not.
pub fn group_curve(histories: &[&[MetricRecord]], metric: &str) -> Vec<CurvePoint> {
    let curves: Vec<Vec<f64>> = histories.iter().map(|h| values_of(h, metric)).collect();
    let longest = curves.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .map(|i| {
            let at: Vec<f64> = curves.iter().filter_map(|c| c.get(i).copied()).collect();
            let n = at.len();
            let mean = at.iter().sum::<f64>() / n as f64;
            let std = if n > 1 {
                (at.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
            } else {
                f64::NAN
            };
            CurvePoint {
                iteration: i + 1,
                n,
                mean,
                std,
                ci_half: crate::stats::t_interval_half_width(std, n, 0.95),
                min: at.iter().copied().fold(f64::INFINITY, f64::min),
                max: at.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(rows: &[(&str, f64)]) -> Vec<MetricRecord> {
        rows.iter()
            .map(|(k, v)| MetricRecord::from([(k.to_string(), *v)]))
            .collect()
    }

    #[test]
    fn a_run_that_overfits_converges_and_peaks_early() {
        // val/acc rises 0.5 → 0.9 by iteration 3, then slips; train/acc ends at 0.99.
        let mut h = history(&[
            ("val/acc", 0.5),
            ("val/acc", 0.8),
            ("val/acc", 0.9),
            ("val/acc", 0.88),
            ("val/acc", f64::NAN),
            ("val/acc", 0.86),
        ]);
        h.push(MetricRecord::from([("train/acc".to_string(), 0.99)]));
        let i = run_insight(&h, &MetricSpec::new("val/acc", Goal::Maximize));
        assert_eq!(i.iterations, 5, "NaN is not an iteration");
        assert_eq!(i.best_at, Some(3));
        // 90% of 0.5 → 0.9 is 0.86: first reached at iteration 3 (0.8 < 0.86).
        assert_eq!(i.to_90, Some(3));
        assert!((i.gap.unwrap_or(0.0) - (0.99 - 0.86)).abs() < 1e-12);
        // The last five: 0.5, 0.8, 0.9, 0.88, 0.86.
        let tail = [0.5, 0.8, 0.9, 0.88, 0.86];
        let m = tail.iter().sum::<f64>() / 5.0;
        let sd = (tail.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 4.0).sqrt();
        assert!((i.stability.unwrap_or(0.0) - sd).abs() < 1e-12);
        // A loss: lower is better, the gap is val − train.
        let h = history(&[("val/loss", 1.0), ("val/loss", 0.4), ("train/loss", 0.1)]);
        let i = run_insight(&h, &MetricSpec::new("val/loss", Goal::Minimize));
        assert_eq!((i.best_at, i.to_90), (Some(2), Some(2)));
        assert!((i.gap.unwrap_or(0.0) - 0.3).abs() < 1e-12);
        // No values, one value, no train counterpart.
        let none = run_insight(&[], &MetricSpec::new("val/loss", Goal::Minimize));
        assert_eq!(none, RunInsight::default());
        let one = run_insight(
            &history(&[("loss", 2.0)]),
            &MetricSpec::new("loss", Goal::Minimize),
        );
        assert_eq!(
            (one.best_at, one.to_90, one.stability, one.gap),
            (Some(1), None, None, None)
        );
        assert_eq!(
            train_counterpart("validation/f1").as_deref(),
            Some("train/f1")
        );
        assert_eq!(train_counterpart("loss"), None);
    }

    #[test]
    fn curves_align_on_iterations_and_say_how_many_runs_are_behind_each() {
        let a = history(&[("m", 1.0), ("m", 2.0), ("m", 3.0)]);
        let b = history(&[("m", 3.0), ("other", 9.0), ("m", 4.0)]);
        let c = group_curve(&[&a, &b], "m");
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].n, c[0].mean, c[0].min, c[0].max), (2, 2.0, 1.0, 3.0));
        assert_eq!((c[1].n, c[1].mean), (2, 3.0));
        assert_eq!((c[2].n, c[2].mean), (1, 3.0));
        assert!(c[2].std.is_nan());
        assert!((c[0].std - 2f64.sqrt()).abs() < 1e-12);
        // n = 2: t(0.975, 1) · sd / √2.
        assert!((c[0].ci_half - 12.706204736174694 * 2f64.sqrt() / 2f64.sqrt()).abs() < 1e-6);
        assert!(c[2].ci_half.is_nan());
    }
}
