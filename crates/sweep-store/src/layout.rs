use crate::RunRecord;
use std::path::{Path, PathBuf};
use sweep_core::{MetricRecord, metric_line};

/// One run's directory and its writer: `config.json`, `metrics.jsonl`, `stdout.log`,
/// `stderr.log`, `history.jsonl`, `summary.json`, `args.json`, and the files its trainer
/// writes (`artifacts/`), with the files of earlier attempts under `attempt-N/`. The
/// [`Store`](crate::Store) holds the records; this owns the files, so that a copied run
/// directory is complete without the database.
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
    /// A file a trainer writes, at `relative` inside the run directory; refused when the
    /// path is absolute or leaves the directory.
    pub fn file(&self, relative: &str) -> std::io::Result<PathBuf> {
        let path = Path::new(relative);
        let inside = path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if relative.is_empty() || !inside {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`{relative}` is not a path inside the run directory"),
            ));
        }
        Ok(self.root.join(path))
    }
    pub fn artifacts(&self) -> PathBuf {
        self.root.join("artifacts")
    }
    /// Where the files of an earlier attempt are moved before a retry.
    pub fn attempt(&self, attempt: u32) -> PathBuf {
        self.root.join(format!("attempt-{attempt}"))
    }

    /// The file at `relative` in the latest earlier attempt's directory that has it.
    pub fn earlier_file(&self, relative: &str) -> Option<PathBuf> {
        let mut attempts: Vec<(u32, PathBuf)> = std::fs::read_dir(&self.root)
            .ok()?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name();
                let n = name.to_str()?.strip_prefix("attempt-")?.parse().ok()?;
                Some((n, e.path()))
            })
            .collect();
        attempts.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        let inside = self.file(relative).ok()?;
        let tail = inside.strip_prefix(&self.root).ok()?;
        attempts
            .into_iter()
            .map(|(_, dir)| dir.join(tail))
            .find(|p| p.is_file())
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
    /// Writes what the store recorded of an ended run: `summary.json` (id, status, exit
    /// code, reason, summary) and, when it has any, `history.jsonl` (every history record,
    /// from the metrics file and stdout, in the order they were stored). Only into a
    /// directory that exists: a run that never got one gets none.
    pub fn write_ending(
        &self,
        record: &RunRecord,
        history: &[MetricRecord],
    ) -> std::io::Result<()> {
        if !self.root.is_dir() {
            return Ok(());
        }
        let doc = serde_json::json!({
            "id": record.id,
            "status": record.status,
            "exit_code": record.exit_code,
            "reason": record.reason,
            "summary": record.summary,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
        std::fs::write(self.summary(), text)?;
        if !history.is_empty() {
            let mut lines = String::new();
            for record in history {
                lines.push_str(&metric_line(record));
                lines.push('\n');
            }
            std::fs::write(self.history(), lines)?;
        }
        Ok(())
    }
}

impl sweep_core::RunFiles for RunDir {
    fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(self.file(path).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_moves_earlier_files_aside() {
        let dir = tempfile::tempdir().unwrap();
        let run_dir = RunDir::new(dir.path().join("r"));
        run_dir.prepare(0).unwrap();
        std::fs::write(run_dir.stdout(), "first").unwrap();
        run_dir.prepare(1).unwrap();
        assert!(!run_dir.stdout().exists());
        assert_eq!(
            std::fs::read_to_string(run_dir.attempt(1).join("stdout.log")).unwrap(),
            "first"
        );
    }

    /// A retried run finds the latest earlier attempt's file, and only inside its own
    /// directory.
    #[test]
    fn earlier_files_come_from_the_latest_attempt_that_has_them() {
        let dir = tempfile::tempdir().unwrap();
        let run_dir = RunDir::new(dir.path().join("r"));
        run_dir.prepare(0).unwrap();
        assert_eq!(run_dir.earlier_file("checkpoints/a.json"), None);
        std::fs::create_dir_all(run_dir.file("checkpoints").unwrap()).unwrap();
        std::fs::write(run_dir.file("checkpoints/a.json").unwrap(), "one").unwrap();
        run_dir.prepare(1).unwrap();
        run_dir.prepare(2).unwrap();
        let found = run_dir.earlier_file("checkpoints/a.json").unwrap();
        assert_eq!(found, run_dir.attempt(1).join("checkpoints/a.json"));
        assert_eq!(run_dir.earlier_file("../r/checkpoints/a.json"), None);
        std::fs::create_dir_all(run_dir.file("checkpoints").unwrap()).unwrap();
        std::fs::write(run_dir.file("checkpoints/a.json").unwrap(), "three").unwrap();
        run_dir.prepare(3).unwrap();
        let found = run_dir.earlier_file("checkpoints/a.json").unwrap();
        assert_eq!(std::fs::read_to_string(found).unwrap(), "three");
    }

    fn ended_run() -> RunRecord {
        let dir = tempfile::tempdir().unwrap();
        let (store, run) = crate::sqlite::tests::store_with_a_run(dir.path());
        let metric = sweep_core::MetricSpec::new("val/acc", sweep_core::Goal::Maximize);
        let recs: Vec<MetricRecord> = [0.2, 0.9]
            .iter()
            .map(|v| [("val/acc".to_string(), *v)].into())
            .collect();
        use crate::Store;
        store
            .append_history(&crate::RunKey::of(&run), &recs, Some(&metric))
            .unwrap();
        store
            .finish_run(
                &crate::RunKey::of(&run),
                &crate::RunOutcome {
                    status: sweep_core::RunStatus::Completed,
                    exit_code: Some(0),
                    reason: None,
                    stderr_tail: None,
                },
            )
            .unwrap()
    }

    #[test]
    fn an_ended_run_leaves_its_summary_and_whole_history_in_its_directory() {
        let record = ended_run();
        let dir = tempfile::tempdir().unwrap();
        let run_dir = RunDir::new(dir.path());
        let history: Vec<MetricRecord> = [0.2, f64::NAN, 0.9]
            .iter()
            .map(|v| [("val/acc".to_string(), *v)].into())
            .collect();
        run_dir.write_ending(&record, &history).unwrap();

        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run_dir.summary()).unwrap()).unwrap();
        assert_eq!(summary["id"], record.id.as_str());
        assert_eq!(summary["status"], "completed");
        assert_eq!(summary["exit_code"], 0);
        assert_eq!(summary["summary"]["val/acc"]["best"], 0.9);
        let text = std::fs::read_to_string(run_dir.history()).unwrap();
        let lines: Vec<MetricRecord> = text
            .lines()
            .map(|l| sweep_core::parse_metric_line(l).unwrap().0)
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[0]["val/acc"], lines[2]["val/acc"]), (0.2, 0.9));
        assert!(lines[1]["val/acc"].is_nan());
    }

    #[test]
    fn a_run_without_a_directory_gets_no_files() {
        let record = ended_run();
        let dir = tempfile::tempdir().unwrap();
        let run_dir = RunDir::new(dir.path().join("never-made"));
        run_dir.write_ending(&record, &[]).unwrap();
        assert!(!run_dir.path().exists());
    }
}
