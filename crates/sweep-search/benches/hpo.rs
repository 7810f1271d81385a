//! The search benchmark (its bars are in BENCHMARKS.md): the five-function protocol of
//! `../shared/bench/optuna_baseline.py` (`hpo_testfunctions.py`: 20 seeds × 100 sequential
//! trials, simple regret at 25/50/100) through Sweep's default `bayes`, printed beside the
//! recorded Optuna TPE and W&B bayes numbers in `../shared/bench/results/`, and the time of
//! one suggestion at 100 and 1,000 finished trials.
//!
//! `cargo bench -p sweep-search --bench hpo [-- SEEDS]`; `-- latency` runs only the latency
//! part, `-- long [SEEDS]` the 1,000-trial long-sweep table instead, `-- parallel [SEEDS]`
//! the parallel table: k = 2, 4 and 8 workers simulated through pending runs
//! ([`optimize_parallel`], the oldest or a seeded random run finishing first) beside Optuna
//! TPE driven by ask/tell on the same schedule (`benches/optuna_parallel.py`, run in the same
//! process when `optuna` imports and `recorded` is not given, else its recorded
//! `benches/results/optuna_tpe_parallel.csv`), and the seeds of hartmann6 and mixed4 ending
//! stuck per schedule. `only=ackley5,branin` limits any part to the
//! named functions; `-- regret` skips the latency part; `trace=SEED` prints that seed's
//! trials of the sequential table (value and params, one line each, to stderr). Below the
//! sequential table, Optuna GPSampler's medians and stuck seeds over 20 seeds where
//! `benches/results/optuna_gp_seeds.csv` records them (hartmann6).

use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use sweep_core::{Distribution, Goal, Method, MetricSpec, ParamSpec, Params, SweepSpec};
use sweep_search::{Completion, Observation, Searcher, optimize, optimize_parallel};

#[path = "common/hartmann6.rs"]
mod hartmann6;
use hartmann6::{HARTMANN6_MIN, hartmann6};

fn spec(params: Vec<ParamSpec>) -> SweepSpec {
    let mut s = SweepSpec::new(Method::Bayes, params);
    s.metric = Some(MetricSpec::new("loss", Goal::Minimize));
    s
}

fn uniform(name: &str, min: f64, max: f64) -> ParamSpec {
    ParamSpec::new(name, Distribution::Uniform { min, max })
}

fn f(p: &Params, name: &str) -> f64 {
    p.get(name).and_then(|v| v.as_f64()).unwrap_or(f64::NAN)
}

/// The protocol's sequential loop (ask, evaluate, tell); the values in order.
fn run(spec: &SweepSpec, seed: u64, n: usize, objective: &dyn Fn(&Params) -> f64) -> Vec<f64> {
    let trials = optimize(spec, seed, n, objective).unwrap_or_default();
    // `trace=SEED`: that seed's trials, one line each (with `only=` to pick the function).
    let traced = std::env::args().find_map(|a| a.strip_prefix("trace=")?.parse::<u64>().ok());
    if traced == Some(seed) {
        for (i, (params, value)) in trials.iter().enumerate() {
            let point: Vec<String> = params
                .iter()
                .map(|(k, v)| match v.as_f64() {
                    Some(x) => format!("{k}={x:.4}"),
                    None => format!("{k}={v}"),
                })
                .collect();
            eprintln!(
                "seed {seed} trial {i:3}: {value:12.6e}  {}",
                point.join(" ")
            );
        }
    }
    trials.into_iter().map(|t| t.1).collect()
}

/// A benchmark function: name, params, objective, optimum.
type Problem = (
    &'static str,
    Vec<ParamSpec>,
    Box<dyn Fn(&Params) -> f64 + Sync>,
    f64,
);

fn best(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Optuna's GPSampler per seed, recorded in `benches/results/optuna_gp_seeds.csv` (20
/// seeds where the shared summary has 10): its medians and stuck seeds for the functions
/// of `problems` it holds, one line each.
fn gp_over_more_seeds(problems: &[Problem]) {
    let all = csv_rows(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/results/optuna_gp_seeds.csv"),
    );
    for (name, ..) in problems {
        let rows: Vec<Vec<f64>> = all
            .iter()
            .filter(|row| row.get("function").is_some_and(|f| f == name))
            .filter_map(|row| {
                ["seed", "regret_25", "regret_50", "regret_100"]
                    .iter()
                    .map(|c| num(row, c))
                    .collect()
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let cell = |i: usize| median(rows.iter().map(|r| r[i]).collect());
        let stuck: Vec<String> = rows
            .iter()
            .filter(|r| r[3] >= 0.1)
            .map(|r| r[0].to_string())
            .collect();
        println!(
            "Optuna GPSampler over {} seeds on {name} (recorded in benches/results/optuna_gp_seeds.csv): \
             median {:.4e} / {:.4e} / {:.4e} at 25 / 50 / 100, {}/{} stuck [seeds {}]",
            rows.len(),
            cell(1),
            cell(2),
            cell(3),
            stuck.len(),
            rows.len(),
            stuck.join(",")
        );
    }
}

/// The rows of a CSV file with a header line and no quoted cells (the recorded results),
/// each as column name → cell; empty when the file cannot be read.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    lines
        .map(|line| {
            header
                .iter()
                .zip(line.split(','))
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// Cell `column` of `row` as a number.
fn num<T: std::str::FromStr>(row: &BTreeMap<String, String>, column: &str) -> Option<T> {
    row.get(column)?.parse().ok()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Recorded medians: (function, trials) → median, for rows where `column` equals `which`.
fn recorded(file: &str, column: &str, which: &str) -> BTreeMap<(String, u32), f64> {
    recorded_values(file, column, which, "median")
}

/// Recorded values of column `value`: (function, trials) → value, for rows where `column`
/// equals `which` and `value` is a number.
fn recorded_values(
    file: &str,
    column: &str,
    which: &str,
    value: &str,
) -> BTreeMap<(String, u32), f64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/bench/results")
        .join(file);
    csv_rows(&path)
        .iter()
        .filter(|row| row.get(column).is_some_and(|c| c == which))
        .filter_map(|row| {
            Some((
                (row.get("function")?.clone(), num(row, "trials")?),
                num(row, value)?,
            ))
        })
        .collect()
}

fn main() {
    let seeds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20);
    let lu = |name: &str, min: f64, max: f64| {
        ParamSpec::new(name, Distribution::LogUniformValues { min, max })
    };
    let boxed = |d: usize, lo: f64, hi: f64| -> Vec<ParamSpec> {
        (0..d).map(|i| uniform(&format!("x{i}"), lo, hi)).collect()
    };
    let xs =
        |p: &Params, d: usize| -> Vec<f64> { (0..d).map(|i| f(p, &format!("x{i}"))).collect() };
    let problems: Vec<Problem> = vec![
        (
            "branin",
            vec![uniform("x0", -5.0, 10.0), uniform("x1", 0.0, 15.0)],
            Box::new(move |p| {
                let x = xs(p, 2);
                let pi = std::f64::consts::PI;
                let b = 5.1 / (4.0 * pi * pi);
                (x[1] - b * x[0] * x[0] + 5.0 / pi * x[0] - 6.0).powi(2)
                    + 10.0 * (1.0 - 1.0 / (8.0 * pi)) * x[0].cos()
                    + 10.0
            }),
            0.397_887_357_729_738_16,
        ),
        (
            "hartmann6",
            boxed(6, 0.0, 1.0),
            Box::new(move |p| hartmann6(&xs(p, 6))),
            HARTMANN6_MIN,
        ),
        (
            "rosenbrock4",
            boxed(4, -5.0, 10.0),
            Box::new(move |p| {
                let x = xs(p, 4);
                (0..3)
                    .map(|i| 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (x[i] - 1.0).powi(2))
                    .sum()
            }),
            0.0,
        ),
        (
            "ackley5",
            boxed(5, -32.768, 32.768),
            Box::new(move |p| {
                let x = xs(p, 5);
                let s2: f64 = x.iter().map(|v| v * v).sum::<f64>() / 5.0;
                let c: f64 = x
                    .iter()
                    .map(|v| (2.0 * std::f64::consts::PI * v).cos())
                    .sum::<f64>()
                    / 5.0;
                -20.0 * (-0.2 * s2.sqrt()).exp() - c.exp() + 20.0 + std::f64::consts::E
            }),
            0.0,
        ),
        (
            "mixed4",
            vec![
                lu("lr", 1e-5, 1e-1),
                lu("wd", 1e-6, 1e-2),
                ParamSpec::new("layers", Distribution::IntUniform { min: 1, max: 8 }),
                ParamSpec::new(
                    "opt",
                    Distribution::Categorical {
                        values: vec![
                            json!("sgd"),
                            json!("adam"),
                            json!("rmsprop"),
                            json!("adagrad"),
                        ],
                    },
                ),
            ],
            Box::new(|p| {
                let (ub, off) = match p.get("opt").and_then(|v| v.as_str()) {
                    Some("sgd") => (-1.5, 0.3),
                    Some("adam") => (-3.5, 0.0),
                    Some("rmsprop") => (-3.0, 0.15),
                    _ => (-2.0, 0.5),
                };
                let (u, v, n) = (f(p, "lr").log10(), f(p, "wd").log10(), f(p, "layers"));
                off + (u - ub).powi(2) / 4.0
                    + (v - (-5.0 + n / 4.0)).powi(2) / 4.0
                    + 0.05 * (n - 5.0).powi(2)
            }),
            0.0,
        ),
    ];
    // `only=NAME[,NAME]`: the named functions alone (to iterate on one cell).
    let only: Option<Vec<String>> = std::env::args().find_map(|a| {
        a.strip_prefix("only=")
            .map(|v| v.split(',').map(String::from).collect())
    });
    let problems: Vec<Problem> = problems
        .into_iter()
        .filter(|p| only.as_ref().is_none_or(|o| o.iter().any(|n| n == p.0)))
        .collect();
    let tpe = recorded("optuna_baseline_summary.csv", "sampler", "tpe_multivariate");
    let wandb = recorded("wandb_baseline_summary.csv", "method", "bayes");
    let gp = recorded("gp_peers_summary.csv", "sampler", "optuna_gp");
    let gp_stuck = recorded_values(
        "gp_peers_summary.csv",
        "sampler",
        "optuna_gp",
        "stuck_at_100",
    );
    println!(
        "median simple regret over {seeds} seeds (Sweep measured now; Optuna TPE multivariate and W&B bayes recorded, \
         and Optuna 5.1 GPSampler recorded over 10 seeds in ../shared/bench/results/gp_peers_summary.csv)\n"
    );
    println!(
        "| function | trials | Sweep bayes | Optuna TPE | W&B bayes | Optuna GPSampler | Sweep < TPE | Sweep < GPSampler |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut stuck_line = String::new();
    let latency_only = std::env::args().any(|a| a == "latency");
    if std::env::args().any(|a| a == "long") {
        long_sweeps(&problems, seeds);
        return;
    }
    if std::env::args().any(|a| a == "parallel") {
        parallel(&problems, seeds);
        return;
    }
    for (name, params, objective, fstar) in problems.iter().filter(|_| !latency_only) {
        let s = spec(params.clone());
        let objective = objective.as_ref();
        let runs = per_seed(seeds, |seed| run(&s, seed, 100, objective));
        for k in [25usize, 50, 100] {
            let ours = median(runs.iter().map(|v| best(&v[..k]) - fstar).collect());
            let key = (name.to_string(), k as u32);
            let t = tpe.get(&key).copied().unwrap_or(f64::NAN);
            let w = wandb.get(&key).copied().unwrap_or(f64::NAN);
            let g = gp.get(&key).copied().unwrap_or(f64::NAN);
            let below = |anchor: f64| match anchor {
                a if a.is_nan() => "-",
                a if ours < a => "yes",
                _ => "no",
            };
            println!(
                "| {name} | {k} | {ours:.4e} | {t:.4e} | {w:.4e} | {g:.4e} | {} | {} |",
                below(t),
                below(g)
            );
        }
        let stuck: Vec<String> = (0..runs.len())
            .filter(|&i| best(&runs[i]) - fstar >= 0.1)
            .map(|i| i.to_string())
            .collect();
        let theirs = gp_stuck
            .get(&(name.to_string(), 100))
            .map_or("-".to_string(), |n| format!("{n}/10"));
        let which = if stuck.is_empty() || stuck.len() == runs.len() {
            String::new()
        } else {
            format!(" [seeds {}]", stuck.join(","))
        };
        stuck_line.push_str(&format!(
            "{name}: {}/{seeds}{which} (GPSampler {theirs})  ",
            stuck.len()
        ));
    }
    println!("\nseeds ending with regret >= 0.1 at 100 trials: {stuck_line}");
    gp_over_more_seeds(&problems);

    // Latency of one suggestion, as `optuna_baseline.py --part latency` measures TPE's
    // `ask`: a sequential study on Hartmann6, the time of the suggestion at trials 10,
    // 100, 500 and 1,000 and the mean and max of the 24 before, seeds 0, 1, 2.
    if std::env::args().any(|a| a == "regret") {
        return;
    }
    let Some((_, params, objective, fstar)) = problems.iter().find(|p| p.0 == "hartmann6") else {
        return;
    };
    let s = spec(params.clone());
    let tpe_latency = recorded_latency();
    println!(
        "\n| seed | trial | Sweep bayes ms | mean / max of the last 24 ms | Optuna TPE ms (recorded, same seed) | regret so far |"
    );
    println!("|---|---|---|---|---|---|");
    for seed in 0..3u64 {
        let mut obs: Vec<Observation> = Vec::new();
        let mut times = Vec::new();
        let mut searcher = Searcher::new();
        for _ in 0..1000 {
            let t = Instant::now();
            let params = searcher
                .suggest(&s, &obs, seed)
                .ok()
                .flatten()
                .unwrap_or_default();
            times.push(t.elapsed().as_secs_f64() * 1e3);
            let value = Some(objective(&params));
            obs.push(Observation { params, value });
        }
        // The suggestion at trial 1,000 again, 50 times: its median, robust to the noise of
        // a shared machine.
        let mut again: Vec<f64> = (0..50)
            .map(|_| {
                let t = Instant::now();
                let _ = searcher.suggest(&s, &obs[..999], seed);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        again.sort_by(f64::total_cmp);
        println!(
            "| {seed} | 1000 (min / median of 50 repeats) | {:.3} / {:.3} | | | |",
            again[0], again[25]
        );
        for mark in [10usize, 100, 150, 200, 500, 1000] {
            let window = &times[mark.saturating_sub(24)..mark];
            let mean = window.iter().sum::<f64>() / window.len() as f64;
            let max = window.iter().copied().fold(0.0, f64::max);
            let tpe = tpe_latency
                .get(&(seed, mark))
                .map_or("-".to_string(), |v| format!("{v:.3}"));
            let regret = obs[..mark]
                .iter()
                .filter_map(|o| o.value)
                .fold(f64::INFINITY, f64::min)
                - fstar;
            println!(
                "| {seed} | {mark} | {:.3} | {mean:.3} / {max:.3} | {tpe} | {regret:.3e} |",
                times[mark - 1]
            );
        }
    }
    println!(
        "\nbars: one suggestion at 1,000 finished trials <= 1 ms (W&B bayes recorded ~75 ms); <= 5 ms at 10, 100 and 1,000 runs"
    );
}

/// `trial(seed)` for seeds `0..seeds`, on two threads (each seed's run is sequential and
/// deterministic), in seed order.
fn per_seed(seeds: u64, trial: impl Fn(u64) -> Vec<f64> + Sync) -> Vec<Vec<f64>> {
    std::thread::scope(|scope| {
        let halves: Vec<_> = [0u64, 1]
            .into_iter()
            .map(|half| {
                let trial = &trial;
                scope.spawn(move || {
                    (half..seeds)
                        .step_by(2)
                        .map(|seed| (seed, trial(seed)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(u64, Vec<f64>)> = halves
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        all.sort_by_key(|r| r.0);
        all.into_iter().map(|r| r.1).collect()
    })
}

/// Long sweeps (`-- long [SEEDS]`): Hartmann6 and Ackley5 for 1,000 sequential trials,
/// median regret and the seeds still at regret ≥ 0.1 after 100, 200, 500 and 1,000.
fn long_sweeps(problems: &[Problem], seeds: u64) {
    println!("| function | trials | median regret | seeds with regret >= 0.1 |");
    println!("|---|---|---|---|");
    for (name, params, objective, fstar) in problems
        .iter()
        .filter(|p| p.0 == "hartmann6" || p.0 == "ackley5")
    {
        let s = spec(params.clone());
        let runs: Vec<Vec<f64>> = (0..seeds)
            .map(|seed| run(&s, seed, 1000, objective.as_ref()))
            .collect();
        for k in [100usize, 200, 500, 1000] {
            let regrets: Vec<f64> = runs.iter().map(|v| best(&v[..k]) - fstar).collect();
            let stuck = regrets.iter().filter(|r| **r >= 0.1).count();
            println!(
                "| {name} | {k} | {:.4e} | {stuck}/{seeds} |",
                median(regrets.clone())
            );
        }
    }
}

/// The parallel schedules of the table: `(workers, order name, completion)`.
const SCHEDULES: [(usize, &str, Completion); 7] = [
    (1, "sequential", Completion::Oldest),
    (2, "oldest", Completion::Oldest),
    (2, "random", Completion::Random),
    (4, "oldest", Completion::Oldest),
    (4, "random", Completion::Random),
    (8, "oldest", Completion::Oldest),
    (8, "random", Completion::Random),
];

/// The parallel table (`-- parallel [SEEDS]`): for every function and schedule, Sweep's
/// median simple regret at 25, 50 and 100 trials beside Optuna TPE's on the same schedule,
/// and Sweep's regret against its own sequential one. Seeds run on two threads.
fn parallel(problems: &[Problem], seeds: u64) {
    let tpe = optuna_parallel(seeds);
    println!(
        "| function | trials | workers | order | Sweep bayes | Optuna TPE | Sweep < TPE | Sweep / Sweep sequential |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut misses = Vec::new();
    let mut slow = Vec::new();
    let mut stuck = Vec::new();
    for (name, params, objective, fstar) in problems {
        let s = spec(params.clone());
        let mut sequential: BTreeMap<usize, f64> = BTreeMap::new();
        for (workers, order, completion) in SCHEDULES {
            let objective = objective.as_ref();
            let runs = per_seed(seeds, |seed| {
                optimize_parallel(&s, seed, 100, workers, completion, objective)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| t.1)
                    .collect()
            });
            if ["hartmann6", "mixed4"].contains(name) {
                let n = runs.iter().filter(|v| best(v) - fstar >= 0.1).count();
                stuck.push(format!("{name} k={workers} {order}: {n}/{}", runs.len()));
            }
            for k in [25usize, 50, 100] {
                let ours = median(
                    runs.iter()
                        .map(|v| best(&v[..k.min(v.len())]) - fstar)
                        .collect(),
                );
                if workers == 1 {
                    sequential.insert(k, ours);
                }
                let t = tpe
                    .get(&(name.to_string(), workers, order.to_string(), k))
                    .copied()
                    .unwrap_or(f64::NAN);
                let win = if t.is_nan() {
                    "-"
                } else if ours < t {
                    "yes"
                } else {
                    misses.push(format!("{name}@{k} k={workers} {order}"));
                    "no"
                };
                let ratio = sequential.get(&k).map_or(f64::NAN, |s| ours / s);
                if workers == 4 && k == 100 && (ratio > 3.0 || ratio.is_nan()) {
                    slow.push(format!("{name} k=4 {order} ({ratio:.2}x)"));
                }
                println!(
                    "| {name} | {k} | {workers} | {order} | {ours:.4e} | {t:.4e} | {win} | {ratio:.2} |"
                );
            }
        }
    }
    println!(
        "\nbars: Sweep ahead of TPE on every row at 50 and 100 trials; with 4 workers within 3x of sequential at 100 trials"
    );
    let listed = |rows: &[String]| {
        if rows.is_empty() {
            "none".to_string()
        } else {
            rows.join(", ")
        }
    };
    println!("rows where TPE is ahead: {}", listed(&misses));
    println!(
        "rows with 4 workers more than 3x their sequential regret at 100 trials: {}",
        listed(&slow)
    );
    println!(
        "seeds ending with regret >= 0.1 at 100 trials: {}",
        listed(&stuck)
    );
}

/// Optuna TPE's medians on the parallel schedules, `(function, workers, order, trials)` →
/// median: measured now by `optuna_parallel.py` when `optuna` imports, else recorded.
fn optuna_parallel(seeds: u64) -> BTreeMap<(String, usize, String, usize), f64> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches");
    let recorded = dir.join("results/optuna_tpe_parallel.csv");
    // The script writes `optuna_tpe_parallel.csv` into the directory given with `--out`.
    let out_dir = std::env::temp_dir().join(format!("optuna_tpe_parallel_{}", std::process::id()));
    let fresh = out_dir.join("optuna_tpe_parallel.csv");
    // `-- parallel recorded` reads the recorded medians without running Optuna.
    let measured = !std::env::args().any(|a| a == "recorded")
        && std::process::Command::new("python3")
            .arg(dir.join("optuna_parallel.py"))
            .args(["--seeds", &seeds.to_string(), "--out"])
            .arg(&out_dir)
            .status()
            .is_ok_and(|s| s.success());
    let path = if measured {
        println!("Optuna TPE: measured now by benches/optuna_parallel.py on the same schedules\n");
        fresh
    } else {
        println!(
            "Optuna TPE: `python3 benches/optuna_parallel.py` did not run (is optuna installed?); the recorded {}\n",
            recorded.display()
        );
        recorded
    };
    csv_rows(&path)
        .iter()
        .filter_map(|row| {
            Some((
                (
                    row.get("function")?.clone(),
                    num(row, "workers")?,
                    row.get("order")?.clone(),
                    num(row, "trials")?,
                ),
                num(row, "median")?,
            ))
        })
        .collect()
}

/// Recorded Optuna TPE (multivariate) ask times: (seed, trial) → ms.
fn recorded_latency() -> BTreeMap<(u64, usize), f64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/bench/results/optuna_baseline_latency.csv");
    csv_rows(&path)
        .iter()
        .filter(|row| row.get("sampler").is_some_and(|s| s == "tpe_default"))
        .filter_map(|row| {
            Some((
                (num(row, "seed")?, num(row, "trial")?),
                num(row, "ask_ms_at_trial")?,
            ))
        })
        .collect()
}
