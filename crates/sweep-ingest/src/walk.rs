//! Finding runs: walking the given paths and deciding, directory by directory, which
//! format each run is in.

use crate::text::{file_name, is_file, is_real_dir, problem};
use crate::{Format, Problem};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A run found by the walk, to be read by its format's reader.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Unit {
    /// A Sweep run directory.
    Sweep(PathBuf),
    /// A `.jsonl` file: a seed log or a generic JSONL log (decided on its first line).
    JsonlFile(PathBuf),
    /// An MLflow run directory (`mlruns/<exp_id>/<run_id>`).
    Mlflow(PathBuf),
    /// A Lightning CSVLogger version directory.
    Lightning(PathBuf),
    /// A W&B local run directory.
    Wandb(PathBuf),
}

impl Unit {
    /// Whether the unit's reader can give a run of `format`.
    pub(crate) fn may_be(&self, format: Format) -> bool {
        match self {
            Unit::Sweep(_) => format == Format::Sweep,
            Unit::JsonlFile(_) => matches!(format, Format::Jsonl | Format::SeedLog),
            Unit::Mlflow(_) => format == Format::Mlflow,
            Unit::Lightning(_) => format == Format::Lightning,
            Unit::Wandb(_) => format == Format::Wandb,
        }
    }
}

/// Walks one path given to `scan`: a file, or a directory tree.
pub(crate) fn walk_root(root: &Path) -> (Vec<Unit>, Vec<Problem>) {
    // A root is followed even when it is a symlink; nothing below it is.
    let meta = match std::fs::metadata(root) {
        Ok(meta) => meta,
        Err(e) => {
            return (
                Vec::new(),
                vec![problem(root, None, format!("cannot read: {e}"))],
            );
        }
    };
    if meta.is_dir() {
        return walk_dir(root);
    }
    match classify_file(root) {
        Some(unit) => (vec![unit], Vec::new()),
        None => (
            Vec::new(),
            vec![problem(
                root,
                None,
                "not a run log of a known format (a .jsonl file, a Lightning metrics.csv, or a directory)",
            )],
        ),
    }
}

/// A file given directly: its own run, or the run of the directory holding it.
fn classify_file(path: &Path) -> Option<Unit> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent {
        match classify_dir(dir) {
            Some(Unit::Sweep(d)) => return Some(Unit::Sweep(d)),
            Some(Unit::Lightning(d)) if file_name(path) == "metrics.csv" => {
                return Some(Unit::Lightning(d));
            }
            _ => {}
        }
    }
    if path.extension().is_some_and(|e| e == "jsonl") {
        return Some(Unit::JsonlFile(path.to_path_buf()));
    }
    None
}

/// Decides whether `dir` is a run directory, and of which format.
pub(crate) fn classify_dir(dir: &Path) -> Option<Unit> {
    let has = |name: &str| is_file(&dir.join(name));
    let has_dir = |name: &str| is_real_dir(&dir.join(name));
    let name = file_name(dir);
    if has("config.json") && (has("history.jsonl") || has("metrics.jsonl")) {
        return Some(Unit::Sweep(dir.to_path_buf()));
    }
    if is_wandb_name(&name) && (has_dir("files") || has_wandb_log(dir)) {
        return Some(Unit::Wandb(dir.to_path_buf()));
    }
    if has("metrics.csv") || (is_version_name(&name) && has("hparams.yaml")) {
        return Some(Unit::Lightning(dir.to_path_buf()));
    }
    let parent_meta = dir
        .parent()
        .is_some_and(|p| !p.as_os_str().is_empty() && is_file(&p.join("meta.yaml")));
    if (has_dir("metrics") || has_dir("params") || has_dir("tags"))
        && (has("meta.yaml") || parent_meta)
    {
        return Some(Unit::Mlflow(dir.to_path_buf()));
    }
    None
}

/// `run-<date>-<id>` or `offline-run-<date>-<id>`.
fn is_wandb_name(name: &str) -> bool {
    let rest = name
        .strip_prefix("offline-run-")
        .or_else(|| name.strip_prefix("run-"));
    rest.is_some_and(|r| r.contains('-') && !r.ends_with('-'))
}

fn has_wandb_log(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "wandb"))
    })
}

/// `version_<n>`.
fn is_version_name(name: &str) -> bool {
    name.strip_prefix("version_")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Walks a directory: a run directory is one unit (and is not searched further); any other
/// directory gives its `.jsonl` files and is searched below, in parallel. Directory
/// symlinks are not followed; `.trash` directories (MLflow's deleted experiments) are
/// skipped.
fn walk_dir(dir: &Path) -> (Vec<Unit>, Vec<Problem>) {
    if let Some(unit) = classify_dir(dir) {
        return (vec![unit], Vec::new());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            return (
                Vec::new(),
                vec![problem(dir, None, format!("cannot list: {e}"))],
            );
        }
    };
    let mut units = Vec::new();
    let mut problems = Vec::new();
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(problem(dir, None, format!("cannot list: {e}")));
                continue;
            }
        };
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if entry.file_name() != ".trash" {
                subdirs.push(path);
            }
        } else if (file_type.is_file() || (file_type.is_symlink() && path.is_file()))
            && path.extension().is_some_and(|e| e == "jsonl")
        {
            units.push(Unit::JsonlFile(path));
        }
    }
    let below: Vec<(Vec<Unit>, Vec<Problem>)> = subdirs.par_iter().map(|d| walk_dir(d)).collect();
    for (mut u, mut p) in below {
        units.append(&mut u);
        problems.append(&mut p);
    }
    (units, problems)
}
