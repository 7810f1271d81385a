//! Metrics computed from scores: ROC-AUC, average precision and log loss.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::error::{MetricsError, check_labels};

/// Probabilities below this are raised to it (and those above `1 - LOG_LOSS_EPS`
/// lowered to `1 - LOG_LOSS_EPS`) before taking logarithms in [`log_loss`].
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// A score matrix of `n_samples × n_classes` finite values, row-major: row `i`
/// holds the scores (usually probabilities) of sample `i` for each class.
///
/// Borrowed when built from a row-major slice, owned when built from rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores<'a> {
    data: Cow<'a, [f64]>,
    n_classes: usize,
}

fn check_finite(data: &[f64], n_classes: usize) -> Result<(), MetricsError> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(MetricsError::NonFiniteScore {
            row: i / n_classes,
            col: i % n_classes,
            value: data[i],
        }),
        None => Ok(()),
    }
}

impl<'a> Scores<'a> {
    /// Wraps a row-major slice of `n_samples * n_classes` values without copying.
    ///
    /// # Errors
    /// [`MetricsError::NoClasses`], [`MetricsError::Empty`],
    /// [`MetricsError::ScoreShape`] (length not a multiple of `n_classes`),
    /// [`MetricsError::NonFiniteScore`].
    pub fn from_row_major(data: &'a [f64], n_classes: usize) -> Result<Self, MetricsError> {
        if n_classes == 0 {
            return Err(MetricsError::NoClasses);
        }
        if data.is_empty() {
            return Err(MetricsError::Empty);
        }
        if !data.len().is_multiple_of(n_classes) {
            return Err(MetricsError::ScoreShape {
                len: data.len(),
                n_classes,
            });
        }
        check_finite(data, n_classes)?;
        Ok(Scores {
            data: Cow::Borrowed(data),
            n_classes,
        })
    }

    /// Copies rows (`&[Vec<f64>]`, `&[[f64; K]]`, …) into a matrix; every row must
    /// have the length of the first.
    ///
    /// # Errors
    /// [`MetricsError::Empty`] (no rows), [`MetricsError::NoClasses`] (empty first
    /// row), [`MetricsError::RaggedScores`], [`MetricsError::NonFiniteScore`].
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Scores<'static>, MetricsError> {
        let Some(first) = rows.first() else {
            return Err(MetricsError::Empty);
        };
        let n_classes = first.as_ref().len();
        if n_classes == 0 {
            return Err(MetricsError::NoClasses);
        }
        let mut data = Vec::with_capacity(rows.len() * n_classes);
        for (row, values) in rows.iter().enumerate() {
            let values = values.as_ref();
            if values.len() != n_classes {
                return Err(MetricsError::RaggedScores {
                    row,
                    expected: n_classes,
                    found: values.len(),
                });
            }
            data.extend_from_slice(values);
        }
        check_finite(&data, n_classes)?;
        Ok(Scores {
            data: Cow::Owned(data),
            n_classes,
        })
    }

    /// Number of classes (columns).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Number of samples (rows).
    pub fn n_samples(&self) -> usize {
        self.data.len() / self.n_classes
    }

    /// Row `i`, or `None` past the end.
    pub fn row(&self, i: usize) -> Option<&[f64]> {
        self.data.chunks_exact(self.n_classes).nth(i)
    }

    /// The rows in order.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.data.chunks_exact(self.n_classes)
    }

    /// Column `class` as a vector (one value per sample).
    fn column(&self, class: usize) -> Vec<f64> {
        self.rows().map(|r| r[class]).collect()
    }

    /// The predicted class of each sample: the index of its largest score, the
    /// lowest index among ties (like `numpy.argmax`).
    pub fn argmax(&self) -> Vec<usize> {
        self.rows()
            .map(|r| {
                let mut best = 0;
                for (k, &v) in r.iter().enumerate() {
                    if v > r[best] {
                        best = k;
                    }
                }
                best
            })
            .collect()
    }

    fn check_targets(&self, y_true: &[usize]) -> Result<(), MetricsError> {
        if y_true.len() != self.n_samples() {
            return Err(MetricsError::LengthMismatch {
                what: "y_true",
                expected: self.n_samples(),
                found: y_true.len(),
            });
        }
        check_labels("y_true", y_true, self.n_classes)
    }
}

fn check_binary(y_true: &[bool], scores: &[f64]) -> Result<(), MetricsError> {
    if scores.len() != y_true.len() {
        return Err(MetricsError::LengthMismatch {
            what: "scores",
            expected: y_true.len(),
            found: scores.len(),
        });
    }
    if y_true.is_empty() {
        return Err(MetricsError::Empty);
    }
    check_finite(scores, 1)
}

/// Indices of `scores` sorted by ascending score (finite values, so the order is
/// total; `-0.0` and `0.0` compare equal and so form one tie group).
fn ascending_order(scores: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].partial_cmp(&scores[b]).unwrap_or(Ordering::Equal));
    idx
}

/// Groups of tied scores in the given order, as `(positives, negatives)` counts.
fn tie_groups(y_true: &[bool], scores: &[f64], order: &[usize]) -> Vec<(u64, u64)> {
    let mut groups = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let value = scores[order[i]];
        let (mut pos, mut neg) = (0u64, 0u64);
        while i < order.len() && scores[order[i]] == value {
            if y_true[order[i]] {
                pos += 1;
            } else {
                neg += 1;
            }
            i += 1;
        }
        groups.push((pos, neg));
    }
    groups
}

/// ROC-AUC of a binary problem (`true` = positive) ranked by `scores` (higher =
/// more positive). Tied scores count one half, which equals the trapezoidal area
/// scikit-learn computes.
///
/// `None` when `y_true` has no positive or no negative (AUC is undefined).
///
/// # Errors
/// [`MetricsError::Empty`], [`MetricsError::LengthMismatch`],
/// [`MetricsError::NonFiniteScore`].
pub fn binary_roc_auc(y_true: &[bool], scores: &[f64]) -> Result<Option<f64>, MetricsError> {
    check_binary(y_true, scores)?;
    Ok(roc_auc_unchecked(y_true, scores))
}

fn roc_auc_unchecked(y_true: &[bool], scores: &[f64]) -> Option<f64> {
    let n_pos = y_true.iter().filter(|&&t| t).count() as f64;
    let n_neg = y_true.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    // Mann–Whitney U: for each positive, the negatives scored below it plus half
    // of those tied with it.
    let order = ascending_order(scores);
    let mut negatives_below = 0.0;
    let mut u = 0.0;
    for (pos, neg) in tie_groups(y_true, scores, &order) {
        u += pos as f64 * (negatives_below + 0.5 * neg as f64);
        negatives_below += neg as f64;
    }
    Some(u / (n_pos * n_neg))
}

/// Average precision of a binary problem, scikit-learn's step-wise definition
/// without interpolation: `AP = Σ_n (R_n − R_{n−1}) · P_n` over the distinct score
/// thresholds from high to low (tied scores enter together).
///
/// `None` when `y_true` has no positive (scikit-learn warns and returns 0).
///
/// # Errors
/// [`MetricsError::Empty`], [`MetricsError::LengthMismatch`],
/// [`MetricsError::NonFiniteScore`].
pub fn binary_average_precision(
    y_true: &[bool],
    scores: &[f64],
) -> Result<Option<f64>, MetricsError> {
    check_binary(y_true, scores)?;
    Ok(average_precision_unchecked(y_true, scores))
}

fn average_precision_unchecked(y_true: &[bool], scores: &[f64]) -> Option<f64> {
    let n_pos = y_true.iter().filter(|&&t| t).count() as f64;
    if n_pos == 0.0 {
        return None;
    }
    let mut order = ascending_order(scores);
    order.reverse();
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut prev_recall = 0.0;
    let mut ap = 0.0;
    for (pos, neg) in tie_groups(y_true, scores, &order) {
        tp += pos as f64;
        fp += neg as f64;
        let recall = tp / n_pos;
        ap += (recall - prev_recall) * (tp / (tp + fp));
        prev_recall = recall;
    }
    Some(ap)
}

/// One-vs-rest values of `metric` for each class `k`: positives are the samples of
/// class `k`, ranked by column `k`.
fn one_vs_rest(
    y_true: &[usize],
    scores: &Scores<'_>,
    metric: fn(&[bool], &[f64]) -> Option<f64>,
) -> Result<Vec<Option<f64>>, MetricsError> {
    scores.check_targets(y_true)?;
    Ok((0..scores.n_classes())
        .map(|k| {
            let positive: Vec<bool> = y_true.iter().map(|&t| t == k).collect();
            metric(&positive, &scores.column(k))
        })
        .collect())
}

/// The binary value (positive class = 1, ranked by column 1) when there are two
/// classes, else the mean of the defined one-vs-rest values.
fn binary_or_macro(
    y_true: &[usize],
    scores: &Scores<'_>,
    metric: fn(&[bool], &[f64]) -> Option<f64>,
) -> Result<Option<f64>, MetricsError> {
    scores.check_targets(y_true)?;
    if scores.n_classes() == 2 {
        let positive: Vec<bool> = y_true.iter().map(|&t| t == 1).collect();
        return Ok(metric(&positive, &scores.column(1)));
    }
    let defined: Vec<f64> = one_vs_rest(y_true, scores, metric)?
        .into_iter()
        .flatten()
        .collect();
    if defined.is_empty() {
        Ok(None)
    } else {
        Ok(Some(defined.iter().sum::<f64>() / defined.len() as f64))
    }
}

/// One-vs-rest ROC-AUC of each class (class `k` against the rest, ranked by column
/// `k`); `None` for a class absent from `y_true` or present in every sample.
///
/// # Errors
/// [`MetricsError::LengthMismatch`], [`MetricsError::LabelOutOfRange`].
pub fn roc_auc_per_class(
    y_true: &[usize],
    scores: &Scores<'_>,
) -> Result<Vec<Option<f64>>, MetricsError> {
    one_vs_rest(y_true, scores, roc_auc_unchecked)
}

/// ROC-AUC: with two classes, the binary AUC of class 1 ranked by column 1 (as
/// scikit-learn's `roc_auc_score(y, p[:, 1])`); with more, the one-vs-rest macro
/// average (`multi_class="ovr", average="macro"`) over the classes whose AUC is
/// defined, i.e. those present in `y_true` (scikit-learn raises an error instead
/// when a class is absent). Scores are used as given: rows need not sum to 1.
///
/// `None` when no class has a defined AUC (one class in `y_true`, or one column).
///
/// # Errors
/// [`MetricsError::LengthMismatch`], [`MetricsError::LabelOutOfRange`].
pub fn roc_auc(y_true: &[usize], scores: &Scores<'_>) -> Result<Option<f64>, MetricsError> {
    binary_or_macro(y_true, scores, roc_auc_unchecked)
}

/// One-vs-rest average precision of each class; `None` for a class absent from
/// `y_true`.
///
/// # Errors
/// [`MetricsError::LengthMismatch`], [`MetricsError::LabelOutOfRange`].
pub fn average_precision_per_class(
    y_true: &[usize],
    scores: &Scores<'_>,
) -> Result<Vec<Option<f64>>, MetricsError> {
    one_vs_rest(y_true, scores, average_precision_unchecked)
}

/// Average precision ([`binary_average_precision`]): with two classes, that of
/// class 1 ranked by column 1; with more, the one-vs-rest macro average over the
/// classes present in `y_true` (scikit-learn counts an absent class as 0 with a
/// warning; here it is left out).
///
/// `None` when no class has a defined value (binary: no sample of class 1).
///
/// # Errors
/// [`MetricsError::LengthMismatch`], [`MetricsError::LabelOutOfRange`].
pub fn average_precision(
    y_true: &[usize],
    scores: &Scores<'_>,
) -> Result<Option<f64>, MetricsError> {
    binary_or_macro(y_true, scores, average_precision_unchecked)
}

/// Mean negative log-likelihood of the true classes (natural log).
///
/// Each probability is clipped to `[LOG_LOSS_EPS, 1 − LOG_LOSS_EPS]`
/// (`1e-15`, scikit-learn's long-standing default), then each row is divided by its
/// sum, so a 0 or 1 gives a large finite loss, never infinity, and rows that do not
/// quite sum to 1 are renormalised. (scikit-learn 1.9 clips at machine epsilon and
/// only warns about rows not summing to 1; on normalised rows without 0/1 entries
/// both agree.)
///
/// # Errors
/// [`MetricsError::LengthMismatch`], [`MetricsError::LabelOutOfRange`],
/// [`MetricsError::ProbabilityOutOfRange`] for a value outside `[0, 1]` (not a
/// probability; scikit-learn raises as well).
pub fn log_loss(y_true: &[usize], probs: &Scores<'_>) -> Result<f64, MetricsError> {
    probs.check_targets(y_true)?;
    let mut total = 0.0;
    for (row, (values, &label)) in probs.rows().zip(y_true).enumerate() {
        if let Some(col) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(MetricsError::ProbabilityOutOfRange {
                row,
                col,
                value: values[col],
            });
        }
        let clip = |v: f64| v.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        let sum: f64 = values.iter().map(|&v| clip(v)).sum();
        total -= (clip(values[label]) / sum).ln();
    }
    Ok(total / y_true.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{BIN_POS, BIN_Y_TRUE, MULTI_PROBS, MULTI_Y_TRUE, bin_probs};

    #[track_caller]
    fn assert_close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9, "{a} != {b}");
    }

    #[track_caller]
    fn assert_some_close(a: Option<f64>, b: f64) {
        match a {
            Some(a) => assert_close(a, b),
            None => panic!("expected Some({b}), got None"),
        }
    }

    fn bools(y: &[usize]) -> Vec<bool> {
        y.iter().map(|&t| t == 1).collect()
    }

    #[test]
    fn multiclass_matches_sklearn() {
        let s = Scores::from_rows(&MULTI_PROBS).unwrap();
        // roc_auc_score(y, P, multi_class="ovr", average="macro")
        assert_some_close(roc_auc(&MULTI_Y_TRUE, &s).unwrap(), 0.8930996472663139);
        let per = roc_auc_per_class(&MULTI_Y_TRUE, &s).unwrap();
        assert_some_close(per[0], 0.8714285714285714);
        assert_some_close(per[1], 0.8703703703703703);
        assert_some_close(per[2], 0.9375);
        // average_precision_score(y, P, average="macro")
        assert_some_close(
            average_precision(&MULTI_Y_TRUE, &s).unwrap(),
            0.8424603174603175,
        );
        let per = average_precision_per_class(&MULTI_Y_TRUE, &s).unwrap();
        assert_some_close(per[0], 0.8357142857142856);
        assert_some_close(per[1], 0.7916666666666666);
        assert_some_close(per[2], 0.9);
        assert_close(log_loss(&MULTI_Y_TRUE, &s).unwrap(), 0.7762927421086495);
    }

    #[test]
    fn binary_matches_sklearn_with_ties() {
        // BIN_POS has ties across classes (0.4 and 0.6).
        let s = Scores::from_rows(&bin_probs()).unwrap();
        assert_some_close(roc_auc(&BIN_Y_TRUE, &s).unwrap(), 0.7916666666666667);
        assert_some_close(
            average_precision(&BIN_Y_TRUE, &s).unwrap(),
            0.7095238095238094,
        );
        assert_close(log_loss(&BIN_Y_TRUE, &s).unwrap(), 0.561088509422172);
        let y = bools(&BIN_Y_TRUE);
        assert_some_close(binary_roc_auc(&y, &BIN_POS).unwrap(), 0.7916666666666667);
        assert_some_close(
            binary_average_precision(&y, &BIN_POS).unwrap(),
            0.7095238095238094,
        );
    }

    #[test]
    fn roc_auc_ties() {
        // sklearn: roc_auc_score([0,1,0,1,1,0],[.5,.5,.5,.5,.9,.1]) = 0.7777777777777778
        // (by hand: U = 3 + 2·(1 + ½·2) = 7 of 3·3 pairs).
        let y = [false, true, false, true, true, false];
        let s = [0.5, 0.5, 0.5, 0.5, 0.9, 0.1];
        assert_some_close(binary_roc_auc(&y, &s).unwrap(), 0.7777777777777778);
        // All scores tied: 0.5.
        assert_some_close(binary_roc_auc(&y, &[0.3; 6]).unwrap(), 0.5);
        // -0.0 and 0.0 are one tie group.
        assert_some_close(binary_roc_auc(&[true, false], &[0.0, -0.0]).unwrap(), 0.5);
    }

    #[test]
    fn average_precision_ties() {
        // sklearn: average_precision_score([0,1,0,1,1,0],[.5,.5,.5,.5,.9,.1]) = 0.7333333333333334
        // (by hand: threshold 0.9 → R 1/3, P 1; threshold 0.5 → R 1, P 3/5;
        // AP = 1/3 · 1 + 2/3 · 3/5 = 11/15).
        let y = [false, true, false, true, true, false];
        let s = [0.5, 0.5, 0.5, 0.5, 0.9, 0.1];
        assert_some_close(
            binary_average_precision(&y, &s).unwrap(),
            0.7333333333333334,
        );
        // All scores tied: one threshold, AP = prevalence (sklearn: 0.5).
        assert_some_close(binary_average_precision(&y, &[0.3; 6]).unwrap(), 0.5);
        // Every sample positive: precision is always 1 (sklearn: 1.0).
        assert_some_close(
            binary_average_precision(&[true; 4], &[0.2, 0.3, 0.3, 0.9]).unwrap(),
            1.0,
        );
    }

    #[test]
    fn perfect_scores() {
        let probs = [
            [0.8, 0.1, 0.1],
            [0.1, 0.8, 0.1],
            [0.1, 0.1, 0.8],
            [0.2, 0.2, 0.6],
            [0.3, 0.6, 0.1],
            [0.5, 0.4, 0.1],
        ];
        let y = [0, 1, 2, 2, 1, 0];
        let s = Scores::from_rows(&probs).unwrap();
        assert_eq!(s.argmax(), y.to_vec());
        assert_some_close(roc_auc(&y, &s).unwrap(), 1.0);
        assert_some_close(average_precision(&y, &s).unwrap(), 1.0);
        assert_close(log_loss(&y, &s).unwrap(), 0.397371513672426);
    }

    #[test]
    fn single_class_is_undefined_not_nan() {
        let s = Scores::from_rows(&[[0.2, 0.8], [0.4, 0.6], [0.9, 0.1]]).unwrap();
        assert_eq!(roc_auc(&[1, 1, 1], &s), Ok(None));
        // AP is defined when every sample is positive, undefined with none.
        assert_some_close(average_precision(&[1, 1, 1], &s).unwrap(), 1.0);
        assert_eq!(average_precision(&[0, 0, 0], &s), Ok(None));
        assert_eq!(binary_roc_auc(&[false, false], &[0.1, 0.2]), Ok(None));
        let s3 = Scores::from_rows(&[[0.2, 0.5, 0.3], [0.4, 0.3, 0.3]]).unwrap();
        assert_eq!(roc_auc(&[2, 2], &s3), Ok(None));
        assert_eq!(roc_auc_per_class(&[2, 2], &s3), Ok(vec![None, None, None]));
        assert_some_close(average_precision(&[2, 2], &s3).unwrap(), 1.0);
        // A single column.
        let s1 = Scores::from_rows(&[[1.0], [1.0]]).unwrap();
        assert_eq!(roc_auc(&[0, 0], &s1), Ok(None));
        assert_close(log_loss(&[0, 0], &s1).unwrap(), 0.0);
    }

    #[test]
    fn class_absent_from_y_true_is_left_out_of_macro() {
        let y = [0, 0, 1, 1, 0, 1];
        let probs = [
            [0.6, 0.1, 0.3],
            [0.3, 0.3, 0.4],
            [0.2, 0.7, 0.1],
            [0.1, 0.8, 0.1],
            [0.8, 0.1, 0.1],
            [0.5, 0.4, 0.1],
        ];
        let s = Scores::from_rows(&probs).unwrap();
        let per = roc_auc_per_class(&y, &s).unwrap();
        assert_some_close(per[0], 0.888888888888889);
        assert_some_close(per[1], 1.0);
        assert_eq!(per[2], None);
        assert_some_close(roc_auc(&y, &s).unwrap(), 0.9444444444444444);
        let per = average_precision_per_class(&y, &s).unwrap();
        assert_some_close(per[0], 0.9166666666666665);
        assert_eq!(per[2], None);
        assert_some_close(average_precision(&y, &s).unwrap(), 0.9583333333333333);
        assert_close(log_loss(&y, &s).unwrap(), 0.572341867755539);
    }

    #[test]
    fn log_loss_clips_zero_and_one() {
        // Sample 0: true 0, p = 1 → clipped to 1 − 1e-15; sample 1: true 1, p = 0 →
        // 1e-15. Rows stay normalised after clipping ((1 − ε) + ε = 1), so
        // loss = (−ln(1 − 1e-15) − ln(1e-15)) / 2 ≈ 17.269388197455342.
        let s = Scores::from_rows(&[[1.0, 0.0], [1.0, 0.0]]).unwrap();
        let expected = (-(1.0f64 - 1e-15).ln() - 1e-15f64.ln()) / 2.0;
        let got = log_loss(&[0, 1], &s).unwrap();
        assert!(got.is_finite());
        assert_close(got, expected);
        assert_close(got, 17.269388197455342);
        // Perfect certain predictions: ≈ 1e-15, not 0 and not NaN.
        let got = log_loss(&[0, 0], &s).unwrap();
        assert!((0.0..1e-14).contains(&got));
        // Rows are renormalised: [2/10, 3/10] counts as [0.4, 0.6].
        let s = Scores::from_rows(&[[0.2, 0.3]]).unwrap();
        assert_close(log_loss(&[1], &s).unwrap(), -(0.6f64.ln()));
    }

    #[test]
    fn row_major_slices_are_borrowed() {
        let flat: Vec<f64> = MULTI_PROBS.iter().flatten().copied().collect();
        let s = Scores::from_row_major(&flat, 3).unwrap();
        assert_eq!(s.n_samples(), 12);
        assert_eq!(s.n_classes(), 3);
        assert_eq!(s.row(1), Some(&[0.6, 0.3, 0.1][..]));
        assert_eq!(s.row(12), None);
        assert_eq!(s, Scores::from_rows(&MULTI_PROBS).unwrap());
        assert_eq!(s.argmax(), vec![0, 0, 0, 1, 2, 1, 1, 0, 2, 2, 1, 0]);
        // Ties go to the lowest index.
        let t = Scores::from_rows(&[[0.4, 0.4, 0.2]]).unwrap();
        assert_eq!(t.argmax(), vec![0]);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(
            Scores::from_row_major(&[0.1, 0.2, 0.3], 2),
            Err(MetricsError::ScoreShape {
                len: 3,
                n_classes: 2
            })
        );
        assert_eq!(Scores::from_row_major(&[], 2), Err(MetricsError::Empty));
        assert_eq!(
            Scores::from_row_major(&[1.0], 0),
            Err(MetricsError::NoClasses)
        );
        let empty: [Vec<f64>; 0] = [];
        assert_eq!(Scores::from_rows(&empty), Err(MetricsError::Empty));
        assert_eq!(
            Scores::from_rows(&[Vec::<f64>::new()]),
            Err(MetricsError::NoClasses)
        );
        assert_eq!(
            Scores::from_rows(&[vec![0.5, 0.5], vec![1.0]]),
            Err(MetricsError::RaggedScores {
                row: 1,
                expected: 2,
                found: 1
            })
        );
        assert!(matches!(
            Scores::from_rows(&[[0.5, 0.5], [f64::NAN, 1.0]]),
            Err(MetricsError::NonFiniteScore { row: 1, col: 0, .. })
        ));
        assert!(matches!(
            Scores::from_row_major(&[0.5, f64::INFINITY], 2),
            Err(MetricsError::NonFiniteScore { row: 0, col: 1, .. })
        ));

        let s = Scores::from_rows(&[[0.5, 0.5], [0.1, 0.9]]).unwrap();
        assert_eq!(
            roc_auc(&[0], &s),
            Err(MetricsError::LengthMismatch {
                what: "y_true",
                expected: 2,
                found: 1
            })
        );
        assert!(matches!(
            average_precision(&[0, 2], &s),
            Err(MetricsError::LabelOutOfRange { label: 2, .. })
        ));
        assert!(log_loss(&[0, 3], &s).is_err());
        let bad = Scores::from_rows(&[[1.5, -0.5]]).unwrap();
        assert_eq!(
            log_loss(&[0], &bad),
            Err(MetricsError::ProbabilityOutOfRange {
                row: 0,
                col: 0,
                value: 1.5
            })
        );

        assert_eq!(binary_roc_auc(&[], &[]), Err(MetricsError::Empty));
        assert!(binary_roc_auc(&[true], &[0.1, 0.2]).is_err());
        assert!(matches!(
            binary_average_precision(&[true, false], &[0.1, f64::NAN]),
            Err(MetricsError::NonFiniteScore { row: 1, col: 0, .. })
        ));
    }
}
