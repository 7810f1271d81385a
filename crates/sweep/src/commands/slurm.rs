//! `sweep slurm`: agents of a sweep in the tasks of a Slurm job array. Writes an sbatch
//! script whose every task runs `sweep agent` on the sweep (each claims trials until none
//! are left), then submits it with `sbatch`, or prints it (`--dry-run`).

use crate::InvalidInput;
use crate::cli::SlurmArgs;
use crate::load::StoreAt;
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use sweep_store::Store;

pub fn slurm(store: &dyn Store, at: &StoreAt, args: &SlurmArgs) -> Result<()> {
    let sweep = crate::load::user_lookup(store.sweep(&args.sweep))?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let exe = std::env::current_exe().context("finding the sweep binary")?;
    let logs = cwd.join("sweep-slurm");
    let script = script(&sweep.id, at, args, &exe, &cwd, &logs)?;
    if args.dry_run {
        print!("{script}");
        return Ok(());
    }
    if let StoreAt::Dir(dir) = at {
        eprintln!(
            "note: the store {} is a SQLite directory, which serves the nodes of one machine; \
             agents on several nodes need --store postgres://…",
            dir.display()
        );
    }
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let path = logs.join(format!("{}.sbatch", sweep.id));
    std::fs::write(&path, &script).with_context(|| format!("writing {}", path.display()))?;
    let mut sbatch = Command::new("sbatch");
    sbatch.arg("--parsable");
    if args.wait {
        sbatch.arg("--wait");
    }
    let out = sbatch.arg(&path).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "`sbatch` was not found: is Slurm's client installed here? The script is at {} \
                 (`--dry-run` prints it)",
                path.display()
            )
        } else {
            anyhow::anyhow!("running sbatch: {e}")
        }
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let job = stdout.lines().next().unwrap_or("").trim().to_string();
    if !out.status.success() {
        anyhow::bail!(
            "sbatch {} failed ({}): {}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    println!(
        "submitted job array {job}: {} agent(s) of sweep {}",
        args.array, sweep.id
    );
    println!("  script:  {}", path.display());
    println!("  logs:    {}/{}_<task>.out", logs.display(), job_id(&job));
    println!(
        "  follow:  squeue -j {}   and   sweep ls {}",
        job_id(&job),
        sweep.id
    );
    println!(
        "  stop:    scancel {}   (agents return their trials to the queue)",
        job_id(&job)
    );
    Ok(())
}

/// The job id of `sbatch --parsable`'s answer (`JOBID` or `JOBID;CLUSTER`).
fn job_id(parsable: &str) -> &str {
    parsable.split(';').next().unwrap_or(parsable)
}

/// Quotes `s` for a POSIX shell.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn path_text(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| InvalidInput(format!("{} is not UTF-8", p.display())).into())
}

/// A value of an `#SBATCH` option: no spaces or newlines, which would end the directive.
fn directive_value(option: &str, value: &str) -> Result<String> {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace()) {
        return Err(InvalidInput(format!(
            "--{option} `{value}`: a Slurm value cannot be empty or contain spaces"
        ))
        .into());
    }
    Ok(value.to_string())
}

fn script(
    sweep_id: &str,
    at: &StoreAt,
    args: &SlurmArgs,
    exe: &Path,
    cwd: &Path,
    logs: &Path,
) -> Result<String> {
    let mut s = String::from("#!/bin/bash\n");
    let mut directive = |text: String| {
        let _ = writeln!(s, "#SBATCH {text}");
    };
    directive(format!(
        "--job-name=sweep-{}",
        directive_value("sweep", sweep_id)?
    ));
    directive(format!("--array=0-{}", args.array - 1));
    directive(format!("--output={}/%A_%a.out", path_text(logs)?));
    directive(format!("--chdir={}", path_text(cwd)?));
    if let Some(t) = &args.time {
        directive(format!("--time={}", directive_value("time", t)?));
    }
    if let Some(c) = args.cpus {
        directive(format!("--cpus-per-task={c}"));
    }
    if let Some(m) = &args.mem {
        directive(format!("--mem={}", directive_value("mem", m)?));
    }
    if let Some(p) = &args.partition {
        directive(format!("--partition={}", directive_value("partition", p)?));
    }
    if let Some(g) = &args.gpus {
        directive(format!("--gpus-per-task={}", directive_value("gpus", g)?));
    }
    let store: Vec<String> = match at {
        StoreAt::Dir(dir) => {
            let abs = std::path::absolute(dir).with_context(|| dir.display().to_string())?;
            vec!["--store".into(), quote(path_text(&abs)?)]
        }
        StoreAt::Postgres { url, runs_dir } => {
            let mut v = vec!["--store".into(), quote(url)];
            if let Some(r) = runs_dir {
                let abs = std::path::absolute(r).with_context(|| r.display().to_string())?;
                v.extend(["--runs-dir".into(), quote(path_text(&abs)?)]);
            }
            v
        }
    };
    let _ = writeln!(
        s,
        "\n# Agents of sweep {sweep_id}: each task claims trials until none are left. On\n\
         # SIGTERM (scancel, preemption, the time limit) an agent ends its trial's process\n\
         # group and returns the trial to the queue as interrupted, for another agent.\n\
         exec {exe} {store} agent {sweep} --workers {workers} --lease {lease} --quiet",
        exe = quote(path_text(exe)?),
        store = store.join(" "),
        sweep = quote(sweep_id),
        workers = args.workers,
        lease = args.lease,
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(array: u32) -> SlurmArgs {
        SlurmArgs {
            sweep: "s".into(),
            array,
            time: Some("01:00:00".into()),
            cpus: Some(2),
            mem: Some("4G".into()),
            partition: None,
            gpus: Some("1".into()),
            workers: 1,
            lease: 60.0,
            dry_run: true,
            wait: false,
        }
    }

    #[test]
    fn the_script_runs_an_agent_in_every_task_of_the_array() {
        let at = StoreAt::Postgres {
            url: "postgres://u@db/sweeps".into(),
            runs_dir: Some("/shared/runs".into()),
        };
        let text = script(
            "demo-1234abcd",
            &at,
            &args(8),
            Path::new("/opt/sweep"),
            Path::new("/home/me/exp"),
            Path::new("/home/me/exp/sweep-slurm"),
        )
        .unwrap();
        assert!(text.starts_with("#!/bin/bash\n"));
        for line in [
            "#SBATCH --job-name=sweep-demo-1234abcd",
            "#SBATCH --array=0-7",
            "#SBATCH --output=/home/me/exp/sweep-slurm/%A_%a.out",
            "#SBATCH --chdir=/home/me/exp",
            "#SBATCH --time=01:00:00",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --mem=4G",
            "#SBATCH --gpus-per-task=1",
            "exec /opt/sweep --store postgres://u@db/sweeps --runs-dir /shared/runs agent \
             demo-1234abcd --workers 1 --lease 60 --quiet",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        assert!(!text.contains("--partition"), "{text}");
    }

    #[test]
    fn values_that_would_break_the_script_are_refused_or_quoted() {
        let mut a = args(2);
        a.time = Some("1 day".into());
        let at = StoreAt::Dir("/s".into());
        let err = script(
            "x",
            &at,
            &a,
            Path::new("/b"),
            Path::new("/c"),
            Path::new("/c/l"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--time `1 day`"), "{err}");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(
            quote("postgres://u@h/db?sslmode=require&x=1"),
            "'postgres://u@h/db?sslmode=require&x=1'"
        );
    }
}
