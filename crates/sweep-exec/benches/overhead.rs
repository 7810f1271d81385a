//! Framework overhead per external trial (the bar in BENCHMARKS.md: ≤ 5 ms with 2 workers
//! over 1,000 trivial trials).
//!
//! Runs a grid sweep of N trials of `true` through the whole loop (claim in SQLite, run dir,
//! config files, subprocess in its own process group, output capture, finish), and, for
//! the same N, spawns and waits for `true` directly from the same number of threads. The
//! difference per trial is what Sweep adds.
//!
//! `cargo bench -p sweep-exec --bench overhead [-- TRIALS WORKERS]`; the store goes under
//! `$SWEEP_BENCH_DIR` when set (for example a tmpfs, to separate filesystem cost from
//! Sweep's own), else under the target directory.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use sweep_core::{Distribution, Method, ParamSpec, SweepSpec};
use sweep_exec::{SweepOptions, run_sweep};
use sweep_store::{NewSweep, RunFilter, SqliteStore, Store};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let trials: i64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let workers: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2);
    // Under the target directory by default: some machines mount /tmp on a much slower
    // filesystem.
    let parent = std::env::var("SWEEP_BENCH_DIR")
        .unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").to_string());
    let dir = match tempfile::tempdir_in(&parent) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot create a temp dir: {e}");
            std::process::exit(1);
        }
    };

    // Bare process cost: the same number of `true` processes from the same number of threads.
    let bare_start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..workers {
            s.spawn(move || {
                let mine = (trials as usize + workers - 1 - w) / workers;
                for _ in 0..mine {
                    let _ = std::process::Command::new("true").status();
                }
            });
        }
    });
    let bare = bare_start.elapsed().as_secs_f64();

    let store = match SqliteStore::open(&dir.path().join("store")) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("cannot open the store: {e}");
            std::process::exit(1);
        }
    };
    let mut spec = SweepSpec::new(
        Method::Grid,
        vec![ParamSpec::new(
            "i",
            Distribution::IntUniform {
                min: 1,
                max: trials,
            },
        )],
    );
    // The program is a real file, so each run records its code (`code.json`) as a real
    // external program's does.
    spec.program = Some("/bin/true".into());
    spec.command = Some(vec![
        sweep_core::CommandToken::of(sweep_core::Macro::Program),
        sweep_core::CommandToken::of(sweep_core::Macro::Args),
    ]);
    let sweep = store
        .create_sweep(&NewSweep {
            id: "bench".into(),
            name: "bench".into(),
            spec_text: String::new(),
            spec_path: None,
            spec,
            seed: 0,
        })
        .unwrap_or_else(|e| panic!("create sweep: {e}"));
    let opts = SweepOptions {
        workers,
        cwd: dir.path().to_path_buf(),
        ..SweepOptions::default()
    };
    let start = Instant::now();
    let store_dyn: Arc<dyn Store> = store.clone();
    let report = run_sweep(
        store_dyn,
        &sweep,
        &opts,
        Arc::new(AtomicBool::new(false)),
        &|_| {},
    )
    .unwrap_or_else(|e| panic!("sweep: {e}"));
    let wall = start.elapsed().as_secs_f64();
    let runs = store
        .runs(&RunFilter::default())
        .map(|r| r.len())
        .unwrap_or(0);
    let per_trial = wall / trials as f64 * 1000.0;
    let bare_per = bare / trials as f64 * 1000.0;
    println!(
        "trials            {trials} ({} recorded, {} run)",
        runs, report.trials
    );
    println!("workers           {workers}");
    println!("store under       {parent}");
    println!("sweep wall        {wall:.3} s  ({per_trial:.3} ms per trial)");
    println!("bare spawn wall   {bare:.3} s  ({bare_per:.3} ms per trial)");
    println!(
        "overhead          {:.3} ms per trial (target <= 5 ms)",
        per_trial - bare_per
    );
}
