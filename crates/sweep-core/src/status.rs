use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The lifecycle state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Created, waiting for a worker (for example a retried interrupted run).
    Pending,
    /// Claimed by a worker and executing.
    Running,
    /// The trial ended normally (exit code 0).
    Completed,
    /// The trial failed: non-zero exit, timeout, or an error starting it.
    Failed,
    /// Stopped early by an early-termination rule.
    Pruned,
    /// Stopped because the controller was interrupted or died; may be retried.
    Interrupted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Pruned,
        RunStatus::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Pruned => "pruned",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// A finished run is immutable: completed, failed or pruned.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Pruned
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "unknown run status `{0}` (expected one of pending, running, completed, failed, pruned, interrupted)"
)]
pub struct UnknownStatus(pub String);

impl FromStr for RunStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_text() {
        for st in RunStatus::ALL {
            assert_eq!(st.as_str().parse::<RunStatus>().ok(), Some(st));
        }
        assert!("done".parse::<RunStatus>().is_err());
        assert!(RunStatus::Completed.is_finished());
        assert!(!RunStatus::Interrupted.is_finished());
    }
}
