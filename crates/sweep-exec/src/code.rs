//! The code an external trial ran: the git commit of the program's repository, whether its
//! tree had uncommitted changes (and the diff), the hashes of the lockfiles found beside
//! the program and at the repository's root, and the interpreter's version.
//!
//! Captured once when a sweep process starts (the git and interpreter calls take tens of
//! milliseconds, far above the per-trial budget) and written into every run directory as
//! `code.json`, with `code.diff` when the tree was dirty.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The most of a dirty tree's diff kept with each run.
pub const MAX_DIFF_BYTES: usize = 1 << 20;

/// Lockfile names (and prefixes, for `requirements*.txt`) whose hashes are recorded.
const LOCKFILES: [&str; 5] = [
    "Cargo.lock",
    "uv.lock",
    "poetry.lock",
    "package-lock.json",
    "Pipfile.lock",
];

/// What an external trial's code was.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeState {
    /// The program's path as the trial ran it.
    pub program: String,
    /// The git repository holding the program, when there is one (and git is installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the tree had uncommitted changes to tracked files or untracked files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty: Option<bool>,
    /// `git diff HEAD` of a dirty tree, cut at [`MAX_DIFF_BYTES`] (saved as `code.diff`).
    #[serde(skip)]
    pub diff: Option<String>,
    /// Whether `diff` was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub diff_truncated: bool,
    /// Lockfile (path relative to the program's directory or the repository) → SHA-256.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lockfiles: BTreeMap<String, String>,
    /// What runs the program (`python3`), when the command names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher: Option<String>,
    /// `<interpreter> --version`, for the interpreters Sweep knows (python, node, ruby,
    /// perl, Rscript, julia).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
}

impl CodeState {
    /// What differs between the code of `self` (recorded) and `now`, one line per
    /// difference; empty when nothing known differs.
    pub fn differences(&self, now: &CodeState) -> Vec<String> {
        let mut out = Vec::new();
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
        if self.commit != now.commit {
            out.push(format!(
                "commit {} → {}",
                show(&self.commit),
                show(&now.commit)
            ));
        }
        if self.dirty == Some(true) || now.dirty == Some(true) {
            let was = self.diff_digest();
            if self.dirty != now.dirty || was != now.diff_digest() {
                out.push("uncommitted changes differ".into());
            }
        }
        for (file, hash) in &self.lockfiles {
            match now.lockfiles.get(file) {
                Some(h) if h == hash => {}
                Some(_) => out.push(format!("{file} changed")),
                None => out.push(format!("{file} is gone")),
            }
        }
        for file in now.lockfiles.keys() {
            if !self.lockfiles.contains_key(file) {
                out.push(format!("{file} is new"));
            }
        }
        if self.interpreter != now.interpreter {
            out.push(format!(
                "interpreter {} → {}",
                show(&self.interpreter),
                show(&now.interpreter)
            ));
        }
        out
    }

    /// The diff's hash, as recorded in `code.json` (`diff_sha256`).
    fn diff_digest(&self) -> Option<String> {
        self.diff.as_deref().map(sha256_hex)
    }
}

fn sha256_hex(text: &str) -> String {
    sha256_bytes(text.as_bytes())
}

fn sha256_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The output of a command that succeeded, trimmed; `None` otherwise (or when it cannot
/// be started).
fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some(text)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    output(Command::new("git").arg("-C").arg(dir).args(args))
}

/// The state of the code of `program` (a path as the trial runs it, relative to `cwd`),
/// run by `launcher` (the command's first word when it is an interpreter, else `None`).
pub fn capture(program: &str, cwd: &Path, launcher: Option<&str>) -> CodeState {
    let path = cwd.join(program);
    let dir: PathBuf = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cwd.to_path_buf());
    let mut state = CodeState {
        program: program.to_string(),
        launcher: launcher.map(str::to_string),
        ..CodeState::default()
    };
    if let Some(root) = git(&dir, &["rev-parse", "--show-toplevel"]) {
        state.commit = git(&dir, &["rev-parse", "HEAD"]);
        let status = git(&dir, &["status", "--porcelain"]);
        state.dirty = status.as_ref().map(|s| !s.is_empty());
        if state.dirty == Some(true)
            && let Some(mut diff) = git(&dir, &["diff", "HEAD"])
        {
            if diff.len() > MAX_DIFF_BYTES {
                let mut cut = MAX_DIFF_BYTES;
                while !diff.is_char_boundary(cut) {
                    cut -= 1;
                }
                diff.truncate(cut);
                state.diff_truncated = true;
            }
            state.diff = Some(diff);
        }
        state.repo = Some(root);
    }
    let mut places = vec![dir.clone()];
    if let Some(root) = &state.repo {
        let root = PathBuf::from(root);
        if root != dir {
            places.push(root);
        }
    }
    for place in &places {
        let Ok(entries) = std::fs::read_dir(place) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_lock = LOCKFILES.contains(&name.as_str())
                || (name.starts_with("requirements") && name.ends_with(".txt"));
            if !is_lock {
                continue;
            }
            if let Ok(bytes) = std::fs::read(entry.path()) {
                let label = if place == &dir {
                    name
                } else {
                    format!("<repo>/{name}")
                };
                state.lockfiles.insert(label, sha256_bytes(&bytes));
            }
        }
    }
    state.interpreter = launcher.and_then(interpreter_version);
    state
}

/// `<launcher> --version` for the interpreters Sweep knows (the first line; Python 2 wrote
/// it to stderr, which is not read).
fn interpreter_version(launcher: &str) -> Option<String> {
    let name = Path::new(launcher).file_name()?.to_str()?;
    let known = ["python", "node", "ruby", "perl", "Rscript", "julia"];
    if !known.iter().any(|k| name.starts_with(k)) {
        return None;
    }
    let text = output(Command::new(launcher).arg("--version"))?;
    text.lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}

/// Writes `code.json` (and `code.diff` for a dirty tree) into a run directory.
pub fn write(state: &CodeState, dir: &Path) -> std::io::Result<()> {
    let mut value = serde_json::to_value(state).map_err(std::io::Error::other)?;
    if let Some(diff) = &state.diff {
        value["diff_sha256"] = sha256_hex(diff).into();
        std::fs::write(dir.join("code.diff"), diff)?;
    }
    let text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("code.json"), text)
}

/// Reads a run directory's `code.json` (with its diff); `None` when there is none.
pub fn read(dir: &Path) -> Option<CodeState> {
    let text = std::fs::read_to_string(dir.join("code.json")).ok()?;
    let mut state: CodeState = serde_json::from_str(&text).ok()?;
    state.diff = std::fs::read_to_string(dir.join("code.diff")).ok();
    Some(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git_in(dir: &Path, args: &[&str]) -> bool {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    #[test]
    fn a_program_in_a_repository_records_commit_dirt_lockfiles_and_differences() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let repo = tmp.path();
        let ok = git_in(repo, &["init", "-q"])
            && git_in(repo, &["config", "user.email", "t@example.invalid"])
            && git_in(repo, &["config", "user.name", "t"]);
        assert!(ok, "git is needed by this test (CI installs it)");
        std::fs::write(repo.join("train.py"), "print(1)\n").unwrap_or_default();
        std::fs::write(repo.join("requirements.txt"), "numpy==2.0\n").unwrap_or_default();
        assert!(git_in(repo, &["add", "."]) && git_in(repo, &["commit", "-qm", "one"]));
        let clean = capture("train.py", repo, Some("/bin/sh"));
        assert_eq!(clean.commit.as_ref().map(String::len), Some(40));
        assert_eq!(clean.dirty, Some(false));
        assert!(clean.diff.is_none());
        assert!(
            clean.lockfiles.contains_key("requirements.txt"),
            "{clean:?}"
        );
        assert_eq!(
            clean.interpreter, None,
            "sh is not an interpreter Sweep asks"
        );
        // Uncommitted change: dirty, with the diff, saved and read back.
        std::fs::write(repo.join("train.py"), "print(2)\n").unwrap_or_default();
        let dirty = capture("train.py", repo, None);
        assert_eq!(dirty.dirty, Some(true));
        assert!(
            dirty
                .diff
                .as_deref()
                .is_some_and(|d| d.contains("+print(2)"))
        );
        let run_dir = tmp.path().join("run");
        std::fs::create_dir_all(&run_dir).unwrap_or_default();
        write(&dirty, &run_dir).unwrap_or_else(|e| panic!("write: {e}"));
        let back = read(&run_dir).unwrap_or_default();
        assert_eq!(back, dirty);
        // What a rerun would warn about.
        assert_eq!(clean.differences(&clean), Vec::<String>::new());
        let diffs = clean.differences(&dirty);
        assert_eq!(diffs, ["uncommitted changes differ"]);
        std::fs::write(repo.join("requirements.txt"), "numpy==2.1\n").unwrap_or_default();
        assert!(git_in(repo, &["commit", "-qam", "two"]));
        let later = capture("train.py", repo, None);
        let diffs = clean.differences(&later);
        assert!(diffs.iter().any(|d| d.starts_with("commit ")), "{diffs:?}");
        assert!(
            diffs.contains(&"requirements.txt changed".to_string()),
            "{diffs:?}"
        );
    }

    #[test]
    fn a_program_outside_any_repository_records_what_it_can() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        std::fs::write(tmp.path().join("uv.lock"), "x").unwrap_or_default();
        let state = capture("train.py", tmp.path(), Some("python3"));
        assert_eq!(
            (state.repo.as_deref(), state.commit.as_deref()),
            (None, None)
        );
        assert!(state.lockfiles.contains_key("uv.lock"));
        assert_eq!(state.program, "train.py");
        // A launcher that does not exist gives no version, never an error.
        assert_eq!(interpreter_version("/nonexistent/python9"), None);
    }
}
