//! Classification metrics for Sweep, usable on their own.
//!
//! Labels are class indices `usize` in `0..n_classes`; callers map class names to
//! indices and pass the names where output needs them. Everything here is pure (no
//! I/O), returns typed errors for malformed input ([`MetricsError`]) and never
//! panics on it.
//!
//! - [`ConfusionMatrix`]: counts, and from it accuracy, balanced accuracy,
//!   per-class precision/recall/F1/support, macro/micro/weighted averages,
//!   Matthews correlation, Cohen's kappa.
//! - [`Scores`] (`n_samples × n_classes`, from rows or a row-major slice):
//!   [`roc_auc`], [`average_precision`] (binary, or one-vs-rest macro), [`log_loss`],
//!   and the binary forms [`binary_roc_auc`], [`binary_average_precision`].
//! - [`Report`]: everything at once, serializable, flattened by
//!   [`Report::to_metrics`] to keys such as `test/macro_f1` and `test/f1/<class>`.
//! - [`CostScore`]: a configurable cost-sensitive score (weighted per-class terms
//!   times an exponential penalty on chosen confusions, plus named rates).
//!
//! ```
//! use sweep_metrics::{Report, Scores};
//!
//! let y_true = [0, 0, 1, 1, 2, 2];
//! let y_pred = [0, 1, 1, 1, 2, 0];
//! let probs = Scores::from_rows(&[
//!     [0.8, 0.1, 0.1], [0.4, 0.5, 0.1], [0.2, 0.7, 0.1],
//!     [0.1, 0.6, 0.3], [0.1, 0.2, 0.7], [0.5, 0.2, 0.3],
//! ])?;
//! let report = Report::compute(&y_true, &y_pred, Some(&probs), &["ham", "spam", "phish"])?;
//! let metrics = report.to_metrics("test");
//! assert_eq!(metrics["test/accuracy"], 4.0 / 6.0);
//! assert!(metrics.contains_key("test/recall/phish"));
//! # Ok::<(), sweep_metrics::MetricsError>(())
//! ```
//!
//! # Conventions for degenerate cases
//!
//! Averages and per-class values follow scikit-learn with `labels = 0..n_classes`
//! and `zero_division = 0`; a value that is mathematically undefined is `None`,
//! never NaN.
//!
//! | case | behaviour |
//! |---|---|
//! | class never predicted | its precision is 0 (and its F1 0 if it also has no true positive) |
//! | class absent from `y_true` | recall and F1 0; it **counts with 0** in macro precision/recall/F1 (scikit-learn with `labels` given; it warns); weight 0 in weighted averages; **left out** of balanced accuracy (scikit-learn's mean over classes present) and of the one-vs-rest ROC-AUC / average-precision macro averages, where its value is `None` (scikit-learn raises or counts 0 there) |
//! | one class in `y_true` | ROC-AUC `None`; MCC 0 (as scikit-learn); kappa per scikit-learn (`None` only when predictions are that same single class too) |
//! | all predictions correct | every accuracy/F1 average 1, MCC 1, kappa 1 (if ≥ 2 classes occur) |
//! | no positive sample (binary AP) | `None` (scikit-learn warns and returns 0) |
//! | probabilities of 0 or 1 | log loss clips to `[1e-15, 1 − 1e-15]` and renormalises rows: large but finite |
//!
//! Micro-averaged precision, recall and F1 all equal the accuracy (single-label
//! classification over all classes).

mod confusion;
mod cost;
mod error;
#[cfg(test)]
mod fixtures;
mod report;
mod scores;

pub use confusion::{Averages, ClassMetrics, ConfusionMatrix, MAX_SAMPLES};
pub use cost::{
    ClassMetric, ClassRef, Confusion, CostScore, CostScoreError, CostScoreProblem, CostScoreResult,
    Penalty, RateBase, RateSpec, RateValue, Term, TermValue,
};
pub use error::MetricsError;
pub use report::{ClassReport, Report};
pub use scores::{
    LOG_LOSS_EPS, Scores, average_precision, average_precision_per_class, binary_average_precision,
    binary_roc_auc, log_loss, roc_auc, roc_auc_per_class,
};

/// `prefix/name`, or `name` when the prefix is empty.
pub(crate) fn metric_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::metric_key;

    #[test]
    fn metric_keys() {
        assert_eq!(metric_key("test", "accuracy"), "test/accuracy");
        assert_eq!(metric_key("", "accuracy"), "accuracy");
    }
}
