//! Claims per second with many agents on one store (BENCHMARKS.md, "Parallel search").
//!
//! Each agent is a thread with its own store connection and its own [`Claimer`], as a
//! `sweep agent` process has: it claims a run, reports its value (a 2-d quadratic, so the
//! sampler learns from real values) and claims again, until the sweep has RUNS runs.
//! Trials take no time (every agent is always claiming: the worst case for the store's
//! lock, which measures its throughput), 100 ms (each agent claims ten times a second:
//! the latency of a claim under a load that a sweep of short trials puts on the store), or
//! a second (32 agents only: 32 Bayesian samplers sharing this machine's cores at ten
//! claims a second each saturate them, which agents on machines of their own do not).
//! Reported for 1, 8 and 32 agents, a Bayesian sweep and a random one (whose sampler takes microseconds: the store's own cost): claims per second over the
//! whole sweep, the median and 95th percentile of one claim's latency in the store (the
//! part that serialises agents), the same with the Bayesian proposal prepared before it
//! (on the agent's own CPU, outside the store's lock), how many claims computed the
//! proposal inside the write lock (the one prepared outside it was another run's point),
//! how many took a proposal prepared before other claims came in, and the lowest loss the
//! sweep found (the search still works with proposals taken that way).
//!
//! The same on both stores, side by side in one run: SQLite (the store directory under
//! `$SWEEP_BENCH_DIR` when set, else under the target directory) and PostgreSQL (the
//! server `SWEEP_TEST_PG_URL` names, else a throwaway local cluster started for the run, as
//! the tests do; a fresh schema for each row).
//!
//! `cargo bench -p sweep-exec --bench claims [-- RUNS] [only=STORE/METHOD/AGENTS/TRIAL_MS]`
//! (default 200 runs; `only=postgres/bayes/32/*` measures those rows alone).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use sweep_core::{Distribution, Goal, Method, MetricSpec, ParamSpec, RunStatus, SweepSpec};
use sweep_exec::Claimer;
use sweep_store::{Claim, NewSweep, Owner, PgStore, RunKey, RunOutcome, SqliteStore, Store};

/// Where one measurement's store lives; every agent opens its own handle on it.
enum Location {
    Sqlite(PathBuf),
    Postgres { url: String, runs: PathBuf },
}

impl Location {
    fn open(&self) -> Result<Arc<dyn Store>, String> {
        match self {
            Location::Sqlite(p) => Ok(Arc::new(SqliteStore::open(p).map_err(|e| e.to_string())?)),
            Location::Postgres { url, runs } => Ok(Arc::new(
                PgStore::open(url, Some(runs), runs).map_err(|e| e.to_string())?,
            )),
        }
    }
}

struct Measured {
    wall: f64,
    /// Each claim's time in the store, and with its prepare (ms).
    latencies: Vec<(f64, f64)>,
    in_lock: u64,
    stale: u64,
    /// The lowest loss the sweep found.
    best: f64,
}

fn main() {
    let runs: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let parent = std::env::var("SWEEP_BENCH_DIR")
        .unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").to_string());
    let pg = sweep_store::testing::postgres_url();
    println!("{runs} runs per sweep; SQLite under {parent}");
    match pg {
        Ok(url) => println!("PostgreSQL at {url}\n"),
        Err(why) => println!("PostgreSQL: none ({why}); its rows are left out\n"),
    }
    println!(
        "| store | method | trial ms | agents | claims/s | claim median ms | claim p95 ms | with the prepare: median / p95 ms | computed in the lock | taken after other claims | best loss |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    // `only=STORE/METHOD/AGENTS/TRIAL_MS` (any part may be `*`): those rows alone.
    let only: Vec<String> = std::env::args()
        .find_map(|a| {
            a.strip_prefix("only=")
                .map(|v| v.split('/').map(String::from).collect())
        })
        .unwrap_or_default();
    let wanted = |part: usize, value: &str| only.get(part).is_none_or(|w| w == "*" || w == value);
    for (store, trial_ms) in [
        ("sqlite", 0u64),
        ("postgres", 0),
        ("sqlite", 100),
        ("postgres", 100),
        ("sqlite", 1000),
        ("postgres", 1000),
    ] {
        for method in [Method::Bayes, Method::Random] {
            for agents in [1usize, 8, 32] {
                // Trials of a second: 32 agents only (one agent would take 200 s), where
                // 32 samplers at 32 claims a second leave this machine's CPU mostly free,
                // as agents on machines of their own have it.
                if trial_ms == 1000 && agents != 32 {
                    continue;
                }
                let name = format!("{method:?}").to_lowercase();
                if !(wanted(0, store)
                    && wanted(1, &name)
                    && wanted(2, &agents.to_string())
                    && wanted(3, &trial_ms.to_string()))
                {
                    continue;
                }
                let dir = match tempfile::tempdir_in(&parent) {
                    Ok(d) => d,
                    Err(e) => {
                        eprintln!("cannot create a temp dir under {parent}: {e}");
                        std::process::exit(1);
                    }
                };
                let mut schema = None;
                let location = match (store, pg) {
                    ("sqlite", _) => Location::Sqlite(dir.path().join("store")),
                    (_, Ok(base)) => {
                        let (url, name) = sweep_store::testing::fresh_schema(base);
                        schema = Some((base, name));
                        // Loopback: no TLS (the test cluster offers it, and `prefer`, the
                        // default, would take it).
                        Location::Postgres {
                            url: format!("{url}&sslmode=disable"),
                            runs: dir.path().join("runs"),
                        }
                    }
                    (_, Err(_)) => continue,
                };
                let trial = std::time::Duration::from_millis(trial_ms);
                let m = measure(&location, method, agents, runs, trial);
                if let Some((base, name)) = schema {
                    sweep_store::testing::drop_schema(base, &name);
                }
                let m = match m {
                    Ok(m) => m,
                    Err(e) => {
                        eprintln!("{store} {method:?} with {agents} agents: {e}");
                        std::process::exit(1);
                    }
                };
                let n = m.latencies.len();
                let quantiles = |pick: fn(&(f64, f64)) -> f64| {
                    let mut v: Vec<f64> = m.latencies.iter().map(pick).collect();
                    v.sort_by(f64::total_cmp);
                    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
                    (at(0.5), at(0.95))
                };
                let (claim_50, claim_95) = quantiles(|l| l.0);
                let (with_50, with_95) = quantiles(|l| l.1);
                let (prepared, in_lock, stale) = if method == Method::Bayes {
                    (
                        format!("{with_50:.2} / {with_95:.2}"),
                        format!("{} of {n}", m.in_lock),
                        format!("{} of {n}", m.stale),
                    )
                } else {
                    ("-".to_string(), "-".to_string(), "-".to_string())
                };
                println!(
                    "| {store} | {} | {trial_ms} | {agents} | {:.0} | {claim_50:.2} | {claim_95:.2} | {prepared} | {in_lock} | {stale} | {:.1e} |",
                    format!("{method:?}").to_lowercase(),
                    n as f64 / m.wall,
                    m.best,
                );
            }
        }
    }
}

fn measure(
    location: &Location,
    method: Method,
    agents: usize,
    runs: u64,
    trial: std::time::Duration,
) -> Result<Measured, Box<dyn std::error::Error>> {
    let store = location.open()?;
    let uniform = |name: &str| ParamSpec::new(name, Distribution::Uniform { min: 0.0, max: 1.0 });
    let mut spec = SweepSpec::new(method, vec![uniform("x"), uniform("y")]);
    spec.metric = Some(MetricSpec::new("loss", Goal::Minimize));
    spec.run_cap = Some(runs);
    let sweep = store.create_sweep(&NewSweep {
        id: "claims".into(),
        name: "claims".into(),
        spec_text: String::new(),
        spec_path: None,
        spec,
        seed: 7,
    })?;
    drop(store);
    // The clock starts once every agent has opened its store (connecting is not claiming).
    let ready = std::sync::Barrier::new(agents + 1);
    let (per_agent, wall) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..agents)
            .map(|a| {
                let (sweep, ready) = (&sweep, &ready);
                s.spawn(move || agent(location, sweep, a, trial, ready))
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        let per_agent: Vec<Result<Agent, String>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("an agent panicked".into())))
            .collect();
        (per_agent, start.elapsed().as_secs_f64())
    });
    let mut latencies = Vec::new();
    let (mut in_lock, mut stale, mut best) = (0, 0, f64::INFINITY);
    for r in per_agent {
        let a = r?;
        latencies.extend(a.latencies);
        in_lock += a.in_lock;
        stale += a.stale;
        best = best.min(a.best);
    }
    Ok(Measured {
        wall,
        latencies,
        in_lock,
        stale,
        best,
    })
}

/// What one agent measured.
struct Agent {
    latencies: Vec<(f64, f64)>,
    in_lock: u64,
    stale: u64,
    best: f64,
}

/// One agent: claim, report, finish, until the sweep's cap; its claim latencies (ms, in the
/// store and with the prepare) and how many of its claims computed inside the lock or took
/// a proposal prepared before other claims came in.
fn agent(
    location: &Location,
    sweep: &sweep_store::SweepRecord,
    a: usize,
    trial: std::time::Duration,
    ready: &std::sync::Barrier,
) -> Result<Agent, String> {
    let store = location.open();
    ready.wait();
    let store = store?;
    let store = store.as_ref();
    let claimer = Claimer::new();
    let owner = Owner {
        host: "bench".into(),
        pid: 10_000 + a as i64,
        lease_secs: 3600.0,
    };
    let mut latencies = Vec::new();
    let mut claims = 0u64;
    let mut best = f64::INFINITY;
    loop {
        let t = Instant::now();
        let claim = claimer
            .claim(store, sweep, &owner, None)
            .map_err(|e| e.to_string())?;
        let total = t.elapsed().as_secs_f64() * 1e3;
        let prepare = claimer.last_prepare().as_secs_f64() * 1e3;
        latencies.push((total - prepare, total));
        let Claim::Claimed { run, .. } = claim else {
            latencies.pop();
            break;
        };
        let x = |k: &str| run.params.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
        let loss = (x("x") - 0.3).powi(2) + (x("y") - 0.7).powi(2);
        best = best.min(loss);
        // Trials last between half and one and a half times the nominal length (seeded by
        // agent and claim), as real trials vary: equal trials that all started together
        // would end in lockstep, every agent claiming from the same runs at once.
        claims += 1;
        let mix = (a as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ claims.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let u = (mix.wrapping_mul(0x94D0_49BB_1331_11EB) >> 11) as f64 / (1u64 << 53) as f64;
        std::thread::sleep(trial.mul_f64(0.5 + u));
        let key = RunKey::of(&run);
        let record = [("loss".to_string(), loss)].into();
        store
            .append_history(&key, &[record], sweep.spec.metric.as_ref())
            .map_err(|e| e.to_string())?;
        let done = RunOutcome {
            status: RunStatus::Completed,
            exit_code: Some(0),
            reason: None,
            stderr_tail: None,
        };
        store.finish_run(&key, &done).map_err(|e| e.to_string())?;
    }
    Ok(Agent {
        latencies,
        in_lock: claimer.computed_in_lock(),
        stale: claimer.taken_stale(),
        best,
    })
}
