use std::path::{Path, PathBuf};

/// The layout of one run's directory (design §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RunDir { root: root.into() }
    }
    pub fn path(&self) -> &Path {
        &self.root
    }
    /// The resolved config (JSON), defaults included.
    pub fn config(&self) -> PathBuf {
        self.root.join("config.json")
    }
    /// Append-only JSON lines of metric records written by the trial.
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }
    pub fn stdout(&self) -> PathBuf {
        self.root.join("stdout.log")
    }
    pub fn stderr(&self) -> PathBuf {
        self.root.join("stderr.log")
    }
    /// Every history record the store holds for the run (from the metrics file and from
    /// stdout), one JSON object per line, written when the run ends.
    pub fn history(&self) -> PathBuf {
        self.root.join("history.jsonl")
    }
    /// The final summary, written when the run ends.
    pub fn summary(&self) -> PathBuf {
        self.root.join("summary.json")
    }
    /// The params file given to `${args_json_file}`.
    pub fn args_json(&self) -> PathBuf {
        self.root.join("args.json")
    }
    /// The trained pipeline of a built-in trainer (`sweep predict` loads it).
    pub fn model(&self) -> PathBuf {
        self.root.join("artifacts").join("model.json")
    }
    /// Predictions of a built-in trainer on one split (`test`, or an eval set's name).
    pub fn predictions(&self, split: &str) -> PathBuf {
        self.root.join(format!("predictions-{split}.jsonl"))
    }
    /// The data report of a built-in trainer.
    pub fn data_report(&self) -> PathBuf {
        self.root.join("data_report.json")
    }
    /// Full metric reports (confusion matrices included) of a built-in trainer.
    pub fn reports(&self) -> PathBuf {
        self.root.join("reports.json")
    }
    pub fn artifacts(&self) -> PathBuf {
        self.root.join("artifacts")
    }
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }
    /// Where the files of an earlier attempt are moved before a retry.
    pub fn attempt(&self, attempt: u32) -> PathBuf {
        self.root.join(format!("attempt-{attempt}"))
    }

    /// Creates the directory. On a retry (`previous_attempt > 0`), the files the earlier
    /// attempt left are moved into `attempt-N/` first, so nothing is lost.
    pub fn prepare(&self, previous_attempt: u32) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        if previous_attempt > 0 {
            let keep = self.attempt(previous_attempt);
            std::fs::create_dir_all(&keep)?;
            for entry in std::fs::read_dir(&self.root)? {
                let entry = entry?;
                let name = entry.file_name();
                if name.to_string_lossy().starts_with("attempt-") {
                    continue;
                }
                std::fs::rename(entry.path(), keep.join(name))?;
            }
        }
        Ok(())
    }
}
