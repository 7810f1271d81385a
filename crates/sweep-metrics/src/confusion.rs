//! The confusion matrix and every metric computed from it.

use serde::{Deserialize, Serialize};

use crate::error::{MetricsError, check_labels};

/// Counts of (true class, predicted class) pairs: `n_classes × n_classes`, rows are
/// true classes, columns predicted classes.
///
/// Serialized as `{"n_classes": k, "counts": [[…], …]}` (one inner list per true
/// class); deserializing checks that the matrix is square and not empty.
///
/// All metrics follow scikit-learn with `labels = 0..n_classes` and
/// `zero_division = 0`; see the crate documentation for the degenerate cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ConfusionMatrixRepr", into = "ConfusionMatrixRepr")]
pub struct ConfusionMatrix {
    n_classes: usize,
    /// Row-major, `n_classes * n_classes`.
    counts: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfusionMatrixRepr {
    n_classes: usize,
    counts: Vec<Vec<u64>>,
}

impl TryFrom<ConfusionMatrixRepr> for ConfusionMatrix {
    type Error = MetricsError;

    fn try_from(repr: ConfusionMatrixRepr) -> Result<Self, Self::Error> {
        if repr.counts.len() != repr.n_classes {
            return Err(MetricsError::LengthMismatch {
                what: "counts",
                expected: repr.n_classes,
                found: repr.counts.len(),
            });
        }
        ConfusionMatrix::from_counts(repr.counts)
    }
}

impl From<ConfusionMatrix> for ConfusionMatrixRepr {
    fn from(cm: ConfusionMatrix) -> Self {
        ConfusionMatrixRepr {
            n_classes: cm.n_classes,
            counts: cm.to_rows(),
        }
    }
}

/// Precision, recall and F1 of one class, with its support (number of true samples).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// `tp / (tp + fp)`, 0 when the class is never predicted.
    pub precision: f64,
    /// `tp / (tp + fn)`, 0 when the class is absent from `y_true`.
    pub recall: f64,
    /// `2 tp / (2 tp + fp + fn)`, 0 when the class is neither present nor predicted.
    pub f1: f64,
    /// Number of samples whose true class is this one.
    pub support: u64,
}

/// Precision, recall and F1 averaged over classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Averages {
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// Averaged F1 (for macro and weighted: the average of per-class F1, as in
    /// scikit-learn, not the F1 of the averaged precision and recall).
    pub f1: f64,
}

/// Largest total count accepted by [`ConfusionMatrix::from_counts`]: every count
/// and sum is then exact as an `f64`, and no intermediate sum overflows.
pub const MAX_SAMPLES: u64 = 1 << 53;

/// `num / den`, or 0 when `den` is 0 (scikit-learn's `zero_division=0`).
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

impl ConfusionMatrix {
    /// Counts `(y_true[i], y_pred[i])` pairs.
    ///
    /// # Errors
    /// [`MetricsError::NoClasses`] if `n_classes == 0`, [`MetricsError::Empty`] if
    /// there are no samples, [`MetricsError::LengthMismatch`] if the slices differ in
    /// length, [`MetricsError::LabelOutOfRange`] if a label is `>= n_classes`.
    pub fn new(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Self, MetricsError> {
        if n_classes == 0 {
            return Err(MetricsError::NoClasses);
        }
        if y_pred.len() != y_true.len() {
            return Err(MetricsError::LengthMismatch {
                what: "y_pred",
                expected: y_true.len(),
                found: y_pred.len(),
            });
        }
        if y_true.is_empty() {
            return Err(MetricsError::Empty);
        }
        check_labels("y_true", y_true, n_classes)?;
        check_labels("y_pred", y_pred, n_classes)?;
        let mut counts = vec![0u64; n_classes * n_classes];
        for (&t, &p) in y_true.iter().zip(y_pred) {
            counts[t * n_classes + p] += 1;
        }
        Ok(ConfusionMatrix { n_classes, counts })
    }

    /// Builds a matrix from counts, one row per true class.
    ///
    /// # Errors
    /// [`MetricsError::NoClasses`] for no rows, [`MetricsError::NotSquare`] for a row
    /// of the wrong length, [`MetricsError::Empty`] if every count is 0,
    /// [`MetricsError::TooManySamples`] if the counts add up to more than 2^53.
    pub fn from_counts(rows: Vec<Vec<u64>>) -> Result<Self, MetricsError> {
        let n_classes = rows.len();
        if n_classes == 0 {
            return Err(MetricsError::NoClasses);
        }
        let mut counts = Vec::with_capacity(n_classes * n_classes);
        for (row, values) in rows.into_iter().enumerate() {
            if values.len() != n_classes {
                return Err(MetricsError::NotSquare {
                    row,
                    expected: n_classes,
                    found: values.len(),
                });
            }
            counts.extend(values);
        }
        let total = counts
            .iter()
            .try_fold(0u64, |acc, &c| acc.checked_add(c))
            .filter(|&t| t <= MAX_SAMPLES);
        match total {
            Some(0) => Err(MetricsError::Empty),
            Some(_) => Ok(ConfusionMatrix { n_classes, counts }),
            None => Err(MetricsError::TooManySamples { max: MAX_SAMPLES }),
        }
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Total number of samples.
    pub fn n_samples(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Number of samples of true class `true_class` predicted as `predicted`, or
    /// `None` if either index is out of range.
    pub fn get(&self, true_class: usize, predicted: usize) -> Option<u64> {
        if true_class < self.n_classes && predicted < self.n_classes {
            Some(self.counts[true_class * self.n_classes + predicted])
        } else {
            None
        }
    }

    /// The counts, one row per true class.
    pub fn to_rows(&self) -> Vec<Vec<u64>> {
        self.counts
            .chunks(self.n_classes)
            .map(<[u64]>::to_vec)
            .collect()
    }

    fn at(&self, t: usize, p: usize) -> u64 {
        self.counts[t * self.n_classes + p]
    }

    fn row_sum(&self, t: usize) -> u64 {
        (0..self.n_classes).map(|p| self.at(t, p)).sum()
    }

    fn col_sum(&self, p: usize) -> u64 {
        (0..self.n_classes).map(|t| self.at(t, p)).sum()
    }

    fn trace(&self) -> u64 {
        (0..self.n_classes).map(|c| self.at(c, c)).sum()
    }

    fn check_class(&self, class: usize) -> Result<(), MetricsError> {
        if class < self.n_classes {
            Ok(())
        } else {
            Err(MetricsError::ClassOutOfRange {
                class,
                n_classes: self.n_classes,
            })
        }
    }

    /// Number of samples whose true class is `class` (row sum).
    ///
    /// # Errors
    /// [`MetricsError::ClassOutOfRange`].
    pub fn support(&self, class: usize) -> Result<u64, MetricsError> {
        self.check_class(class)?;
        Ok(self.row_sum(class))
    }

    /// Number of samples predicted as `class` (column sum).
    ///
    /// # Errors
    /// [`MetricsError::ClassOutOfRange`].
    pub fn predicted_count(&self, class: usize) -> Result<u64, MetricsError> {
        self.check_class(class)?;
        Ok(self.col_sum(class))
    }

    fn class_metrics_unchecked(&self, c: usize) -> ClassMetrics {
        let tp = self.at(c, c);
        let support = self.row_sum(c);
        let predicted = self.col_sum(c);
        let fp = predicted - tp;
        let fn_ = support - tp;
        ClassMetrics {
            precision: ratio(tp, predicted),
            recall: ratio(tp, support),
            f1: ratio(2 * tp, 2 * tp + fp + fn_),
            support,
        }
    }

    /// Precision, recall, F1 and support of one class.
    ///
    /// # Errors
    /// [`MetricsError::ClassOutOfRange`].
    pub fn class_metrics(&self, class: usize) -> Result<ClassMetrics, MetricsError> {
        self.check_class(class)?;
        Ok(self.class_metrics_unchecked(class))
    }

    /// Precision of one class (0 if it is never predicted).
    ///
    /// # Errors
    /// [`MetricsError::ClassOutOfRange`].
    pub fn precision(&self, class: usize) -> Result<f64, MetricsError> {
        Ok(self.class_metrics(class)?.precision)
    }

    /// Recall of one class (0 if it is absent from `y_true`).
    ///
    /// # Errors
    /// [`MetricsError::ClassOutOfRange`].
    pub fn recall(&self, class: usize) -> Result<f64, MetricsError> {
        Ok(self.class_metrics(class)?.recall)
    }

    /// F1 of one class (0 if it is neither present nor predicted).
    ///
    /// # Errors
    /// [`MetricsError::ClassOutOfRange`].
    pub fn f1(&self, class: usize) -> Result<f64, MetricsError> {
        Ok(self.class_metrics(class)?.f1)
    }

    /// Metrics of every class, in class order.
    pub fn per_class(&self) -> Vec<ClassMetrics> {
        (0..self.n_classes)
            .map(|c| self.class_metrics_unchecked(c))
            .collect()
    }

    /// Fraction of samples predicted correctly.
    pub fn accuracy(&self) -> f64 {
        ratio(self.trace(), self.n_samples())
    }

    /// scikit-learn's balanced accuracy: the mean recall over the classes present in
    /// `y_true` (classes with support 0 are left out, not counted as 0).
    pub fn balanced_accuracy(&self) -> f64 {
        let recalls: Vec<f64> = self
            .per_class()
            .iter()
            .filter(|m| m.support > 0)
            .map(|m| m.recall)
            .collect();
        if recalls.is_empty() {
            0.0
        } else {
            recalls.iter().sum::<f64>() / recalls.len() as f64
        }
    }

    /// Unweighted mean over **all** `n_classes` classes, classes absent from both
    /// `y_true` and `y_pred` included with 0 (scikit-learn with `labels` given).
    pub fn macro_avg(&self) -> Averages {
        let per = self.per_class();
        let k = per.len() as f64;
        Averages {
            precision: per.iter().map(|m| m.precision).sum::<f64>() / k,
            recall: per.iter().map(|m| m.recall).sum::<f64>() / k,
            f1: per.iter().map(|m| m.f1).sum::<f64>() / k,
        }
    }

    /// Global counts: for single-label classification over all classes, precision,
    /// recall and F1 all equal the accuracy.
    pub fn micro_avg(&self) -> Averages {
        let tp = self.trace();
        let n = self.n_samples();
        // Every wrong prediction is one false positive (for the predicted class)
        // and one false negative (for the true class).
        let wrong = n - tp;
        Averages {
            precision: ratio(tp, tp + wrong),
            recall: ratio(tp, tp + wrong),
            f1: ratio(2 * tp, 2 * tp + 2 * wrong),
        }
    }

    /// Mean weighted by support (classes absent from `y_true` weigh 0).
    pub fn weighted_avg(&self) -> Averages {
        let per = self.per_class();
        let n = self.n_samples() as f64;
        let weighted = |f: fn(&ClassMetrics) -> f64| {
            per.iter().map(|m| m.support as f64 * f(m)).sum::<f64>() / n
        };
        Averages {
            precision: weighted(|m| m.precision),
            recall: weighted(|m| m.recall),
            f1: weighted(|m| m.f1),
        }
    }

    /// Multiclass Matthews correlation coefficient (Gorodkin's R_K, scikit-learn's
    /// formula). 0 when it is undefined (every true or every predicted label the
    /// same), as in scikit-learn.
    pub fn mcc(&self) -> f64 {
        let s = self.n_samples() as f64;
        let c = self.trace() as f64;
        let t: Vec<f64> = (0..self.n_classes)
            .map(|k| self.row_sum(k) as f64)
            .collect();
        let p: Vec<f64> = (0..self.n_classes)
            .map(|k| self.col_sum(k) as f64)
            .collect();
        let tp_dot: f64 = t.iter().zip(&p).map(|(a, b)| a * b).sum();
        let cov_ytyp = c * s - tp_dot;
        let cov_ypyp = s * s - p.iter().map(|x| x * x).sum::<f64>();
        let cov_ytyt = s * s - t.iter().map(|x| x * x).sum::<f64>();
        let den = cov_ytyt * cov_ypyp;
        if den == 0.0 {
            0.0
        } else {
            cov_ytyp / den.sqrt()
        }
    }

    /// Cohen's kappa (unweighted), scikit-learn's formula:
    /// `1 - observed disagreement / expected disagreement`.
    ///
    /// `None` when the expected disagreement is 0, i.e. when `y_true` and `y_pred`
    /// both use one and the same single class (scikit-learn returns NaN there).
    pub fn kappa(&self) -> Option<f64> {
        let n = u128::from(self.n_samples());
        let agree_expected: u128 = (0..self.n_classes)
            .map(|k| u128::from(self.row_sum(k)) * u128::from(self.col_sum(k)))
            .sum();
        // Σ_{a≠b} pred[a]·true[b] = n² − Σ_a pred[a]·true[a]; exact in integers.
        let expected_disagreement = n * n - agree_expected;
        if expected_disagreement == 0 {
            return None;
        }
        let observed = (self.n_samples() - self.trace()) as f64;
        Some(1.0 - observed * n as f64 / expected_disagreement as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{BIN_Y_PRED, BIN_Y_TRUE, MULTI_Y_PRED as Y_PRED, MULTI_Y_TRUE as Y_TRUE};

    const TOL: f64 = 1e-9;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOL
    }

    #[track_caller]
    fn assert_close(a: f64, b: f64) {
        assert!(close(a, b), "{a} != {b}");
    }

    #[track_caller]
    fn assert_all_close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_close(*x, *y);
        }
    }

    fn column(cm: &ConfusionMatrix, f: fn(&ClassMetrics) -> f64) -> Vec<f64> {
        cm.per_class().iter().map(f).collect()
    }

    #[test]
    fn multiclass_matches_sklearn() {
        let cm = ConfusionMatrix::new(&Y_TRUE, &Y_PRED, 3).unwrap();
        assert_eq!(
            cm.to_rows(),
            vec![vec![3, 1, 1], vec![1, 2, 0], vec![1, 1, 2]]
        );
        assert_eq!(cm.n_samples(), 12);
        // Expected values from scikit-learn 1.9.1 (labels=[0,1,2], zero_division=0).
        assert_close(cm.accuracy(), 0.5833333333333334);
        assert_close(cm.balanced_accuracy(), 0.5888888888888889);
        assert_all_close(
            &column(&cm, |m| m.precision),
            &[0.6, 0.5, 0.6666666666666666],
        );
        assert_all_close(&column(&cm, |m| m.recall), &[0.6, 0.6666666666666666, 0.5]);
        assert_all_close(
            &column(&cm, |m| m.f1),
            &[0.6, 0.5714285714285714, 0.5714285714285714],
        );
        let support: Vec<u64> = cm.per_class().iter().map(|m| m.support).collect();
        assert_eq!(support, vec![5, 3, 4]);
        let m = cm.macro_avg();
        assert_close(m.precision, 0.5888888888888889);
        assert_close(m.recall, 0.5888888888888889);
        assert_close(m.f1, 0.5809523809523809);
        let m = cm.micro_avg();
        assert_close(m.precision, 0.5833333333333334);
        assert_close(m.recall, 0.5833333333333334);
        assert_close(m.f1, 0.5833333333333334);
        let m = cm.weighted_avg();
        assert_close(m.precision, 0.5972222222222222);
        assert_close(m.recall, 0.5833333333333334);
        assert_close(m.f1, 0.5833333333333334);
        assert_close(cm.mcc(), 0.3723404255319149);
        assert_close(cm.kappa().unwrap(), 0.368421052631579);
        // Single-class accessors agree with per_class.
        assert_close(cm.precision(2).unwrap(), 0.6666666666666666);
        assert_close(cm.recall(1).unwrap(), 0.6666666666666666);
        assert_close(cm.f1(0).unwrap(), 0.6);
        assert_eq!(cm.support(0), Ok(5));
        assert_eq!(cm.predicted_count(0), Ok(5));
        assert_eq!(cm.get(2, 0), Some(1));
        assert_eq!(cm.get(3, 0), None);
    }

    #[test]
    fn binary_matches_sklearn() {
        let cm = ConfusionMatrix::new(&BIN_Y_TRUE, &BIN_Y_PRED, 2).unwrap();
        assert_eq!(cm.to_rows(), vec![vec![4, 2], vec![1, 3]]);
        assert_close(cm.accuracy(), 0.7);
        assert_close(cm.balanced_accuracy(), 0.7083333333333333);
        assert_all_close(&column(&cm, |m| m.precision), &[0.8, 0.6]);
        assert_all_close(&column(&cm, |m| m.recall), &[0.6666666666666666, 0.75]);
        assert_all_close(
            &column(&cm, |m| m.f1),
            &[0.7272727272727273, 0.6666666666666666],
        );
        let m = cm.macro_avg();
        assert_close(m.precision, 0.7);
        assert_close(m.recall, 0.7083333333333333);
        assert_close(m.f1, 0.696969696969697);
        assert_close(cm.micro_avg().f1, 0.7);
        let m = cm.weighted_avg();
        assert_close(m.precision, 0.7200000000000001);
        assert_close(m.recall, 0.7);
        assert_close(m.f1, 0.7030303030303029);
        assert_close(cm.mcc(), 0.408248290463863);
        assert_close(cm.kappa().unwrap(), 0.4);
    }

    #[test]
    fn class_never_predicted_has_precision_zero() {
        // Class 2 is never predicted.
        let cm = ConfusionMatrix::new(&[0, 0, 1, 1, 2, 2], &[0, 1, 1, 0, 0, 1], 3).unwrap();
        assert_all_close(
            &column(&cm, |m| m.precision),
            &[0.3333333333333333, 0.3333333333333333, 0.0],
        );
        assert_all_close(&column(&cm, |m| m.recall), &[0.5, 0.5, 0.0]);
        assert_all_close(&column(&cm, |m| m.f1), &[0.4, 0.4, 0.0]);
        assert_close(cm.macro_avg().precision, 0.2222222222222222);
        assert_close(cm.macro_avg().f1, 0.26666666666666666);
        assert_close(cm.weighted_avg().precision, 0.2222222222222222);
        assert_close(cm.balanced_accuracy(), 0.3333333333333333);
        assert_close(cm.mcc(), 0.0);
        assert_close(cm.kappa().unwrap(), 0.0);
        for m in cm.per_class() {
            assert!(m.precision.is_finite() && m.recall.is_finite() && m.f1.is_finite());
        }
    }

    #[test]
    fn class_absent_from_y_true_counts_zero_in_macro() {
        // Class 2 is predicted once but never true.
        let cm = ConfusionMatrix::new(&[0, 0, 1, 1, 0, 1], &[0, 2, 1, 1, 0, 0], 3).unwrap();
        assert_all_close(
            &column(&cm, |m| m.precision),
            &[0.6666666666666666, 1.0, 0.0],
        );
        assert_all_close(
            &column(&cm, |m| m.recall),
            &[0.6666666666666666, 0.6666666666666666, 0.0],
        );
        assert_all_close(&column(&cm, |m| m.f1), &[0.6666666666666666, 0.8, 0.0]);
        let m = cm.macro_avg();
        assert_close(m.precision, 0.5555555555555555);
        assert_close(m.recall, 0.4444444444444444);
        assert_close(m.f1, 0.48888888888888893);
        let m = cm.weighted_avg();
        assert_close(m.precision, 0.8333333333333334);
        assert_close(m.f1, 0.7333333333333334);
        // Balanced accuracy leaves the absent class out.
        assert_close(cm.balanced_accuracy(), 0.6666666666666666);
        assert_close(cm.mcc(), 0.45226701686664544);
        assert_close(cm.kappa().unwrap(), 0.4285714285714286);
    }

    #[test]
    fn class_absent_everywhere_counts_zero_in_macro() {
        // Class 2 is neither true nor predicted: F1 is 0/0 → 0, and it still counts.
        let cm = ConfusionMatrix::new(&[0, 1], &[0, 1], 3).unwrap();
        assert_eq!(
            cm.class_metrics(2),
            Ok(ClassMetrics {
                precision: 0.0,
                recall: 0.0,
                f1: 0.0,
                support: 0
            })
        );
        assert_close(cm.macro_avg().f1, 2.0 / 3.0);
        assert_close(cm.balanced_accuracy(), 1.0);
        assert_close(cm.accuracy(), 1.0);
    }

    #[test]
    fn single_class_in_y_true() {
        let cm = ConfusionMatrix::new(&[1, 1, 1, 1], &[1, 1, 0, 1], 2).unwrap();
        assert_close(cm.accuracy(), 0.75);
        assert_close(cm.balanced_accuracy(), 0.75);
        assert_all_close(&column(&cm, |m| m.f1), &[0.0, 0.8571428571428571]);
        assert_close(cm.macro_avg().precision, 0.5);
        assert_close(cm.macro_avg().recall, 0.375);
        assert_close(cm.macro_avg().f1, 0.42857142857142855);
        assert_close(cm.weighted_avg().precision, 1.0);
        assert_close(cm.mcc(), 0.0);
        assert_close(cm.kappa().unwrap(), 0.0);
    }

    #[test]
    fn single_class_everywhere_has_undefined_kappa() {
        let cm = ConfusionMatrix::new(&[1, 1, 1], &[1, 1, 1], 2).unwrap();
        assert_eq!(cm.kappa(), None);
        assert_close(cm.mcc(), 0.0);
        assert_close(cm.accuracy(), 1.0);
        // A one-class problem is allowed and equally well defined.
        let cm = ConfusionMatrix::new(&[0, 0], &[0, 0], 1).unwrap();
        assert_eq!(cm.kappa(), None);
        assert_close(cm.mcc(), 0.0);
        assert_close(cm.macro_avg().f1, 1.0);
    }

    #[test]
    fn perfect_predictions() {
        let y = [0, 1, 2, 2, 1, 0];
        let cm = ConfusionMatrix::new(&y, &y, 3).unwrap();
        assert_close(cm.accuracy(), 1.0);
        assert_close(cm.balanced_accuracy(), 1.0);
        for avg in [cm.macro_avg(), cm.micro_avg(), cm.weighted_avg()] {
            assert_close(avg.precision, 1.0);
            assert_close(avg.recall, 1.0);
            assert_close(avg.f1, 1.0);
        }
        assert_close(cm.mcc(), 1.0);
        assert_close(cm.kappa().unwrap(), 1.0);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(ConfusionMatrix::new(&[], &[], 2), Err(MetricsError::Empty));
        assert_eq!(
            ConfusionMatrix::new(&[0], &[0], 0),
            Err(MetricsError::NoClasses)
        );
        assert_eq!(
            ConfusionMatrix::new(&[0, 1], &[0], 2),
            Err(MetricsError::LengthMismatch {
                what: "y_pred",
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            ConfusionMatrix::new(&[0, 2], &[0, 1], 2),
            Err(MetricsError::LabelOutOfRange {
                what: "y_true",
                index: 1,
                label: 2,
                n_classes: 2
            })
        );
        assert_eq!(
            ConfusionMatrix::new(&[0, 1], &[0, 9], 2),
            Err(MetricsError::LabelOutOfRange {
                what: "y_pred",
                index: 1,
                label: 9,
                n_classes: 2
            })
        );
        let cm = ConfusionMatrix::new(&[0, 1], &[0, 1], 2).unwrap();
        assert_eq!(
            cm.precision(2),
            Err(MetricsError::ClassOutOfRange {
                class: 2,
                n_classes: 2
            })
        );
        assert!(cm.support(5).is_err());
        assert!(cm.predicted_count(5).is_err());
        assert!(cm.recall(5).is_err());
        assert!(cm.f1(5).is_err());
    }

    #[test]
    fn from_counts_validates() {
        let cm = ConfusionMatrix::from_counts(vec![vec![4, 2], vec![1, 3]]).unwrap();
        assert_close(cm.accuracy(), 0.7);
        assert_eq!(
            ConfusionMatrix::from_counts(vec![]),
            Err(MetricsError::NoClasses)
        );
        assert_eq!(
            ConfusionMatrix::from_counts(vec![vec![1, 2], vec![3]]),
            Err(MetricsError::NotSquare {
                row: 1,
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            ConfusionMatrix::from_counts(vec![vec![0, 0], vec![0, 0]]),
            Err(MetricsError::Empty)
        );
        let too_many = Err(MetricsError::TooManySamples { max: MAX_SAMPLES });
        assert_eq!(
            ConfusionMatrix::from_counts(vec![vec![u64::MAX, 1], vec![1, 0]]),
            too_many
        );
        assert_eq!(
            ConfusionMatrix::from_counts(vec![vec![MAX_SAMPLES, 1], vec![0, 0]]),
            too_many
        );
        assert!(ConfusionMatrix::from_counts(vec![vec![MAX_SAMPLES, 0], vec![0, 0]]).is_ok());
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let cm = ConfusionMatrix::new(&Y_TRUE, &Y_PRED, 3).unwrap();
        let json = serde_json::to_value(&cm).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"n_classes": 3, "counts": [[3, 1, 1], [1, 2, 0], [1, 1, 2]]})
        );
        let back: ConfusionMatrix = serde_json::from_value(json).unwrap();
        assert_eq!(back, cm);
        for bad in [
            serde_json::json!({"n_classes": 2, "counts": [[1, 2], [3]]}),
            serde_json::json!({"n_classes": 3, "counts": [[1, 2], [3, 4]]}),
            serde_json::json!({"n_classes": 0, "counts": []}),
            serde_json::json!({"n_classes": 1, "counts": [[0]]}),
            serde_json::json!({"n_classes": 1, "counts": [[1]], "extra": 1}),
        ] {
            assert!(serde_json::from_value::<ConfusionMatrix>(bad).is_err());
        }
    }
}
