//! How many runs each sweep has, by status.

use std::collections::BTreeMap;
use sweep_core::{RunRecord, RunStatus};

/// The runs of one sweep, counted by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepTally {
    pub runs: usize,
    pub completed: usize,
    pub failed: usize,
    pub running: usize,
    /// Interrupted or pending: runs that will be retried.
    pub interrupted: usize,
    pub pruned: usize,
}

/// Each sweep's tally, by sweep id; a sweep without runs is absent.
pub fn tally(runs: &[RunRecord]) -> BTreeMap<&str, SweepTally> {
    let mut out: BTreeMap<&str, SweepTally> = BTreeMap::new();
    for r in runs {
        let t = out.entry(r.sweep_id.as_str()).or_default();
        t.runs += 1;
        match r.status {
            RunStatus::Completed => t.completed += 1,
            RunStatus::Failed => t.failed += 1,
            RunStatus::Running => t.running += 1,
            RunStatus::Interrupted | RunStatus::Pending => t.interrupted += 1,
            RunStatus::Pruned => t.pruned += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::tests::run;

    #[test]
    fn every_status_is_counted_once() {
        let mut runs = vec![
            run(0, RunStatus::Completed, None),
            run(1, RunStatus::Failed, None),
            run(2, RunStatus::Interrupted, None),
            run(3, RunStatus::Pending, None),
            run(4, RunStatus::Pruned, None),
        ];
        let mut other = run(5, RunStatus::Running, None);
        other.sweep_id = "t".into();
        runs.push(other);
        let t = tally(&runs);
        let s = t["s"];
        assert_eq!(
            (
                s.runs,
                s.completed,
                s.failed,
                s.interrupted,
                s.pruned,
                s.running
            ),
            (5, 1, 1, 2, 1, 0)
        );
        assert_eq!(t["t"].running, 1);
    }
}
