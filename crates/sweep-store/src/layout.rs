use std::path::{Path, PathBuf};

/// The layout of one run's directory: `config.json`, `metrics.jsonl`, `stdout.log`,
/// `stderr.log`, `history.jsonl`, `summary.json`, `args.json`, and the files its trainer
/// writes (`artifacts/`), with the files of earlier attempts under `attempt-N/`.
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
}
