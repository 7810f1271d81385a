//! Typed errors for invalid metric inputs.

use thiserror::Error;

/// Why a metric could not be computed from the given inputs.
///
/// Inputs that are well-formed never produce an error: a metric that is
/// mathematically undefined for them (ROC-AUC with one class, say) is reported as
/// `None` instead.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// No samples were given.
    #[error("no samples: classification metrics need at least one")]
    Empty,
    /// `n_classes` was 0.
    #[error("n_classes must be at least 1")]
    NoClasses,
    /// Two inputs that must have one entry per sample (or per class) differ in length.
    #[error("{what} has {found} entries, expected {expected}")]
    LengthMismatch {
        /// Which input is too long or too short.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// A label is not a class index in `0..n_classes`.
    #[error("{what}[{index}] = {label} is not a class index (n_classes = {n_classes})")]
    LabelOutOfRange {
        /// `y_true` or `y_pred`.
        what: &'static str,
        /// Position of the sample.
        index: usize,
        /// The offending label.
        label: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// A class index passed to an accessor is not in `0..n_classes`.
    #[error("class index {class} is out of range (n_classes = {n_classes})")]
    ClassOutOfRange {
        /// The offending class index.
        class: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// A row of a score matrix does not have one entry per class.
    #[error("score row {row} has {found} columns, expected {expected}")]
    RaggedScores {
        /// Row index.
        row: usize,
        /// Number of classes (the length of the first row).
        expected: usize,
        /// Length of this row.
        found: usize,
    },
    /// A row-major score slice cannot be cut into rows of `n_classes` values.
    #[error("a score slice of {len} values cannot be cut into rows of {n_classes}")]
    ScoreShape {
        /// Length of the slice.
        len: usize,
        /// Requested row length.
        n_classes: usize,
    },
    /// A score is NaN or infinite.
    #[error("score [{row}][{col}] is not finite ({value})")]
    NonFiniteScore {
        /// Sample index.
        row: usize,
        /// Class index.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// A value given as a probability (log loss) lies outside `[0, 1]`.
    #[error("probability [{row}][{col}] = {value} lies outside [0, 1]")]
    ProbabilityOutOfRange {
        /// Sample index.
        row: usize,
        /// Class index.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// A confusion matrix given as counts is not square.
    #[error("confusion matrix must be square: row {row} has {found} entries, expected {expected}")]
    NotSquare {
        /// Row index.
        row: usize,
        /// Number of rows.
        expected: usize,
        /// Length of this row.
        found: usize,
    },
    /// The number of class names differs from the number of classes.
    #[error("{found} class names given for {expected} classes")]
    ClassNameCount {
        /// Number of classes.
        expected: usize,
        /// Number of names given.
        found: usize,
    },
    /// A class name is empty.
    #[error("class name at index {index} is empty")]
    EmptyClassName {
        /// Class index.
        index: usize,
    },
    /// Two classes have the same name (their metric keys would collide).
    #[error("class name {name:?} is used by more than one class")]
    DuplicateClassName {
        /// The repeated name.
        name: String,
    },
    /// Confusion counts add up to more than can be counted exactly.
    #[error("confusion counts add up to more than {max} samples")]
    TooManySamples {
        /// The largest total accepted.
        max: u64,
    },
    /// Adding a result would define a flat metric key twice.
    #[error("metric key {key:?} would be defined twice")]
    KeyCollision {
        /// The key.
        key: String,
    },
}

/// Checks that `class_names` names `n_classes` distinct, non-empty classes.
pub(crate) fn check_class_names<S: AsRef<str>>(
    class_names: &[S],
    n_classes: usize,
) -> Result<(), MetricsError> {
    if class_names.len() != n_classes {
        return Err(MetricsError::ClassNameCount {
            expected: n_classes,
            found: class_names.len(),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for (index, name) in class_names.iter().enumerate() {
        let name = name.as_ref();
        if name.is_empty() {
            return Err(MetricsError::EmptyClassName { index });
        }
        if !seen.insert(name) {
            return Err(MetricsError::DuplicateClassName {
                name: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// Checks that every label is in `0..n_classes`.
pub(crate) fn check_labels(
    what: &'static str,
    labels: &[usize],
    n_classes: usize,
) -> Result<(), MetricsError> {
    match labels.iter().position(|&l| l >= n_classes) {
        Some(index) => Err(MetricsError::LabelOutOfRange {
            what,
            index,
            label: labels[index],
            n_classes,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_checked() {
        assert_eq!(check_class_names(&["a", "b"], 2), Ok(()));
        assert_eq!(
            check_class_names(&["a"], 2),
            Err(MetricsError::ClassNameCount {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            check_class_names(&["a", ""], 2),
            Err(MetricsError::EmptyClassName { index: 1 })
        );
        assert_eq!(
            check_class_names(&["a", "a"], 2),
            Err(MetricsError::DuplicateClassName { name: "a".into() })
        );
    }

    #[test]
    fn labels_checked() {
        assert_eq!(check_labels("y_true", &[0, 1, 2], 3), Ok(()));
        assert_eq!(
            check_labels("y_pred", &[0, 3, 5], 3),
            Err(MetricsError::LabelOutOfRange {
                what: "y_pred",
                index: 1,
                label: 3,
                n_classes: 3
            })
        );
    }

    #[test]
    fn messages_are_readable() {
        let e = MetricsError::LabelOutOfRange {
            what: "y_true",
            index: 4,
            label: 7,
            n_classes: 3,
        };
        assert_eq!(
            e.to_string(),
            "y_true[4] = 7 is not a class index (n_classes = 3)"
        );
    }
}
