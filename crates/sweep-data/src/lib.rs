//! Text-classification datasets: loading, checking, splitting and reporting.
//!
//! - [`DataSource`] says where a file is and how to read it (JSON lines, a JSON array,
//!   CSV or TSV; which fields hold the text and the label; label renaming; what to do
//!   with bad rows). [`load`] reads it into a [`Dataset`], checking every row: rows
//!   that cannot be used are skipped and recorded ([`RowProblem`], with file and line)
//!   or, under `bad_rows: error`, all reported at once.
//! - [`stratified_split`], [`random_split`], [`stratified_kfold`] and [`kfold`] are pure,
//!   seeded functions from labels to index lists.
//! - [`DataPlan`] describes a run's data (train, val, test, any number of extra eval
//!   sets such as a blind set, held-out fractions, cross-validation) and
//!   [`DataPlan::materialize`] turns it into [`Splits`] with a [`DataReport`]: sizes,
//!   class balance, duplicates, train/test leakage, unseen labels, skipped rows.
//!
//! This crate reads data files and nothing else: no processes, no terminal, no store.

mod error;
mod load;
mod plan;
mod report;
mod source;
mod split;

pub use error::{DataError, ProblemKind, RowProblem, SplitError};
pub use load::{Dataset, load, load_unlabeled, load_with};
pub use plan::{DEFAULT_VAL_FRACTION, DataPlan, RESERVED_SPLIT_NAMES, Splits};
pub use report::{DataReport, LEAK_EXAMPLES, LeakExample, Leakage, SplitReport};
pub use source::{BadRowPolicy, DataSource, FieldRef, Format, SourceDefaults};
pub use split::{CvFolds, Fold, kfold, random_split, stratified_kfold, stratified_split};
