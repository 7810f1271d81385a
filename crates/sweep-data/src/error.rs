//! Errors and per-row problems.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Why a row could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The row's bytes are not valid UTF-8.
    InvalidUtf8,
    /// The row is not valid JSON, or a CSV/TSV row has the wrong number of columns, or a
    /// JSON array is broken around it.
    Malformed,
    /// The row is valid JSON but not an object.
    NotAnObject,
    /// The text field is absent (or JSON `null`), or the row has too few columns for it.
    MissingText,
    /// The label field is absent (or JSON `null`), or the row has too few columns for it.
    MissingLabel,
    /// The text field is not a string.
    TextNotString,
    /// The label is not a string, number or boolean.
    BadLabel,
    /// The text is empty or whitespace only.
    EmptyText,
    /// The label is empty or whitespace only.
    EmptyLabel,
    /// `label_names` is set and the label is not one of its keys.
    UnmappedLabel,
}

impl ProblemKind {
    /// Every kind, in declaration order.
    pub const ALL: [ProblemKind; 10] = [
        ProblemKind::InvalidUtf8,
        ProblemKind::Malformed,
        ProblemKind::NotAnObject,
        ProblemKind::MissingText,
        ProblemKind::MissingLabel,
        ProblemKind::TextNotString,
        ProblemKind::BadLabel,
        ProblemKind::EmptyText,
        ProblemKind::EmptyLabel,
        ProblemKind::UnmappedLabel,
    ];

    /// Snake-case name, as used in metric keys (`data/skipped/train/invalid_utf8`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::InvalidUtf8 => "invalid_utf8",
            ProblemKind::Malformed => "malformed",
            ProblemKind::NotAnObject => "not_an_object",
            ProblemKind::MissingText => "missing_text",
            ProblemKind::MissingLabel => "missing_label",
            ProblemKind::TextNotString => "text_not_string",
            ProblemKind::BadLabel => "bad_label",
            ProblemKind::EmptyText => "empty_text",
            ProblemKind::EmptyLabel => "empty_label",
            ProblemKind::UnmappedLabel => "unmapped_label",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One unusable row: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The file the row is in.
    pub file: PathBuf,
    /// 1-based line where the row starts (a quoted CSV field may span several lines).
    pub line: usize,
    /// What is wrong.
    pub kind: ProblemKind,
    /// A sentence for people.
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Errors of the split functions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    /// Nothing to split.
    #[error("cannot split an empty dataset")]
    Empty,
    /// A fraction outside (0, 1).
    #[error("{name} must be greater than 0 and less than 1, got {value}")]
    BadFraction {
        /// Which fraction (`val_fraction`, `part 1`, …).
        name: String,
        /// The value given.
        value: f64,
    },
    /// Fractions that leave nothing for training.
    #[error("the held-out fractions add up to {sum}, leaving nothing to train on")]
    FractionsTooLarge {
        /// Their sum.
        sum: f64,
    },
    /// A part would get no rows.
    #[error("{name} {fraction} of {n} rows rounds to an empty part")]
    EmptyPart {
        /// Which part (`val_fraction`, `train`, …).
        name: String,
        /// Its fraction.
        fraction: f64,
        /// Rows being split.
        n: usize,
    },
    /// Fewer than two folds.
    #[error("cross-validation needs at least 2 folds, got {k}")]
    TooFewFolds {
        /// Folds asked for.
        k: usize,
    },
    /// More folds than rows.
    #[error("cannot make {k} folds out of {n} rows")]
    TooManyFolds {
        /// Folds asked for.
        k: usize,
        /// Rows available.
        n: usize,
    },
}

/// Errors of loading data and materializing a [`crate::DataPlan`].
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The data file does not exist.
    #[error("data file not found: {}", path.display())]
    NotFound {
        /// The path as configured.
        path: PathBuf,
    },
    /// The data file exists but cannot be read.
    #[error("cannot read data file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The source's settings do not fit the file (unknown format, column not in header, …).
    #[error("{}: {message}", path.display())]
    Source {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `bad_rows: error` and the file has bad rows; every one is listed.
    #[error("{} bad row{} in {} (bad_rows: error):\n{}", problems.len(), plural(problems.len()), path.display(), list_problems(problems))]
    BadRows {
        /// The file.
        path: PathBuf,
        /// Every bad row, in file order.
        problems: Vec<crate::RowProblem>,
    },
    /// The file has no usable row.
    #[error("no usable rows in {}{}", path.display(), describe_skipped(skipped))]
    NoRows {
        /// The file.
        path: PathBuf,
        /// The rows that were skipped, if any.
        skipped: Vec<crate::RowProblem>,
    },
    /// The data plan is invalid; every problem is listed.
    #[error("invalid data config:\n{}", problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Plan {
        /// Every problem found.
        problems: Vec<String>,
    },
    /// A split could not be made.
    #[error("cannot split {what}: {source}")]
    Split {
        /// What was being split (`train file data/train.jsonl into train/val`).
        what: String,
        /// Why.
        source: SplitError,
    },
    /// An index passed to [`crate::Dataset::subset`] is out of range.
    #[error("row index {index} is out of range for a dataset of {len} rows")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// Rows in the dataset.
        len: usize,
    },
    /// Several sources failed; each error is listed.
    #[error("{} data sources failed:\n{}", errors.len(), errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Several {
        /// One error per failing source.
        errors: Vec<DataError>,
    },
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn list_problems(problems: &[crate::RowProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn describe_skipped(skipped: &[crate::RowProblem]) -> String {
    if skipped.is_empty() {
        return " (the file holds no rows)".to_owned();
    }
    const SHOWN: usize = 5;
    let mut s = format!(
        " ({} row{} skipped as bad):",
        skipped.len(),
        plural(skipped.len())
    );
    for p in skipped.iter().take(SHOWN) {
        s.push_str(&format!("\n  {p}"));
    }
    if skipped.len() > SHOWN {
        s.push_str(&format!("\n  … and {} more", skipped.len() - SHOWN));
    }
    s
}
