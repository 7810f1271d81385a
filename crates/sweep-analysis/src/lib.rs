//! What Sweep concludes from runs: which columns a listing shows and in what order runs
//! rank, how runs differ, the rows of an export, the tally of each sweep, and how W&B runs
//! read as runs the search understands.
//!
//! Everything here is a function of the records it is given ([`sweep_core::RunRecord`],
//! specs, histories): it never loads from a store, prints or touches files, so the binary
//! and any other front end (a report, a server) draw the same conclusions.

mod analyze;
mod compare;
mod completeness;
mod export;
mod filter;
mod findings;
mod group;
mod importance;
mod insights;
mod listing;
mod names;
mod profile;
mod select;
mod sentences;
pub mod stats;
mod tally;
mod wandb;

pub use analyze::{
    BOOTSTRAP_SEED, GroupComparison, GroupResult, LEVEL, Ranked, beats_runner_up, compare_groups,
    comparison_json, group_json, group_results, rank_by_run, rank_groups, ranked_json,
};
pub use compare::{Comparison, ConfigDiff, MetricRow, compare, flatten};
pub use completeness::{Completeness, MAX_CELLS, completeness};
pub use export::{ExportTable, SUMMARY_STATS, cell_text, run_json, summary_cells, time_text};
pub use filter::{Filter, FilterError};
pub use findings::{FindingsInput, findings, group_label};
pub use group::{Group, Grouping, NoiseRules, Reduce, group_runs, is_seed_key};
pub use importance::{Importance, importance};
pub use insights::{
    CurvePoint, INSIGHT_COLUMNS, InsightMeans, RunInsight, STABILITY_WINDOW, group_curve,
    mean_insights, run_insight, train_counterpart,
};
pub use listing::{Columns, best_value, better_first, pareto_front, rank};
pub use names::DisplayNames;
pub use profile::{PROFILE_MAX, Profile, profile, profile_keys};
pub use select::{Candidate, Requirement, Selection, params_label, select_groups, select_runs};
pub use sentences::{Sentences, p_text, sentences};
pub use tally::{SweepTally, tally};
pub use wandb::{WandbRun, foreign_categorical_values, parse_wandb_runs};
