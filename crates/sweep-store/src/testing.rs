//! The store conformance suite: one set of checks, written against the [`Store`] trait,
//! that every backend must pass.
//!
//! Compiled for this crate's own tests and, for other crates, behind the `testing`
//! feature (`sweep-store = { workspace = true, features = ["testing"] }` in their
//! `[dev-dependencies]`). The SQLite backend runs it in `sqlite.rs` (`mod conformance`).
//!
//! # Adding a backend
//!
//! 1. Implement [`Backend`] for a type that stands for *one store at a fresh, empty
//!    location* (a new temporary directory, a new database or schema), with two
//!    constructors: one that makes a fresh location, and one that attaches to the location
//!    a [`Backend::locator`] string names (child processes use it).
//! 2. In the backend's test module, expand [`store_conformance_tests!`](crate::store_conformance_tests)
//!    (inside this crate: `crate::store_conformance_tests!`). It makes one `#[test]` per
//!    check, each on a store from `fresh` (evaluated once per test); `attach` is a function
//!    or closure `Fn(&str) -> YourBackend`.
//!
//!    The SQLite backend in `sqlite.rs` (`mod conformance`, `SqliteBackend`) is a complete
//!    example: `fresh` makes a temporary store directory, `attach` takes the directory a
//!    locator names, `open` is `SqliteStore::open`, `bump_schema_version` writes a newer
//!    `PRAGMA user_version`, and one `crate::store_conformance_tests! { fresh:
//!    SqliteBackend::fresh(), attach: SqliteBackend::attach }` makes the tests.
//!
//!
//!    The expansion also holds `child_process`, where the children of the process checks
//!    run: the test binary re-executes itself with `--exact <module>::child_process` and an
//!    environment naming the role and the [`Backend::locator`]. In an ordinary run that test
//!    does nothing; a backend without a locator skips the process checks (saying so on
//!    stderr).
//! 3. To run one check by hand, call its function, as in
//!    `testing::stale_attempts_are_fenced(&MyBackend::fresh())`; [`run_all`] runs them all.
//!
//! Each check opens its own handles with [`Backend::open`] and asserts only what holds
//! under every schedule: to let a lease run out it uses a lease of [`SHORT_LEASE`] seconds
//! and sleeps ten times as long, and the leases that must stay valid last an hour.

pub use crate::pg_server::{
    drop_schema, fresh_schema, postgres_tls_root, postgres_url, require_postgres, skip_or_fail,
};
use crate::{
    Claim, ClaimContext, ImportedRun, NewSweep, Owner, Proposal, Result, RunFilter, RunKey,
    RunOutcome, RunRecord, RunStamp, Store, StoreError, SweepRecord, SweepStatus,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;
use sweep_core::{
    Distribution, Goal, Method, MetricRecord, MetricSpec, MetricSummary, ParamSpec, RunStatus,
    SweepSpec, hash8,
};

/// One store location of a backend under test.
pub trait Backend: Send + Sync {
    /// Opens a new handle on this location's store, creating the store and its schema when
    /// they do not exist yet. Every call must return an independent handle (its own
    /// connection or pool), as a second process would have, and calls may come from many
    /// threads at once. Fails with [`StoreError::SchemaTooNew`] after
    /// [`Backend::bump_schema_version`].
    fn open(&self) -> Result<Arc<dyn Store>>;

    /// Marks the (existing) store as written by a newer build: records a schema version one
    /// above the newest this build knows.
    fn bump_schema_version(&self);

    /// A string from which another process can attach to this same location (a directory,
    /// a database URL); `None` fails the process checks, since every store Sweep runs on
    /// is shared by agents in many processes.
    fn locator(&self) -> Option<String> {
        None
    }
}

/// A check that needs one fresh backend.
pub type Check = fn(&dyn Backend);
/// A check that also spawns child processes: it gets the full name of the test that runs
/// [`child_process`] in the current test binary.
pub type ProcessCheck = fn(&dyn Backend, &str);

// The one list of checks: `CHECKS`, `PROCESS_CHECKS` and the tests of
// `store_conformance_tests!` all come from it.
crate::store_conformance_tests!(@with_checks [consts]);

/// Runs every check, each on a store of its own from `fresh`; the process checks too when
/// `child_test` names the test that calls [`child_process`] (see [`child_test_name`]).
pub fn run_all(fresh: &dyn Fn() -> Box<dyn Backend>, child_test: Option<&str>) {
    for (name, check) in CHECKS {
        eprintln!("store conformance: {name}");
        check(fresh().as_ref());
    }
    if let Some(child_test) = child_test {
        for (name, check) in PROCESS_CHECKS {
            eprintln!("store conformance: {name}");
            check(fresh().as_ref(), child_test);
        }
    }
}

/// Expands to one `#[test]` per conformance check, plus `child_process` (where the children
/// of the process checks run). See the [`testing`](crate::testing) module for its use.
#[macro_export]
macro_rules! store_conformance_tests {
    (fresh: $fresh:expr, attach: $attach:expr $(,)?) => {
        $crate::store_conformance_tests!(@with_checks [tests { true }, $fresh, $attach]);
    };
    // `available`: evaluated first in each test, which returns at once when it is false
    // (a backend whose server may be missing; it says why, or fails where it must not be).
    (available: $available:expr, fresh: $fresh:expr, attach: $attach:expr $(,)?) => {
        $crate::store_conformance_tests!(@with_checks [tests { $available }, $fresh, $attach]);
    };
    // Hands the list of checks to the arm `@$what`.
    (@with_checks [$($what:tt)*]) => {
        $crate::store_conformance_tests! {
            @$($what)*;
            checks: [
                claims_are_exclusive_across_threads,
                claims_are_exclusive_across_handles,
                stale_attempts_are_fenced,
                interrupted_runs_are_retried_in_place,
                finished_runs_are_immutable,
                live_leases_are_kept_and_dead_owners_recovered,
                expired_leases_are_recovered,
                schema_is_created_once_by_many_handles,
                newer_schema_is_refused,
                sweeps_are_created_once_and_found_by_prefix,
                run_ids_name_time_sweep_and_config_hash,
                history_and_summary_are_kept_current,
                run_cap_and_exhaustion_stop_claims,
                failed_proposals_create_nothing,
                peeking_lists_what_a_claim_lists_and_changes_nothing,
                filters_select_by_sweep_and_status,
                metric_histories_follow_history_order,
                tags_and_notes_annotate_any_run,
                imported_runs_are_added_once_with_history_and_summary,
            ]
            process_checks: [
                claims_are_exclusive_across_processes,
                schema_is_created_once_by_many_processes,
            ]
        }
    };
    (@consts; checks: [$($check:ident,)*] process_checks: [$($pcheck:ident,)*]) => {
        /// Every in-process check, by name.
        pub const CHECKS: &[(&str, $crate::testing::Check)] =
            &[$((stringify!($check), $crate::testing::$check as $crate::testing::Check)),*];
        /// Every check that spawns processes, by name.
        pub const PROCESS_CHECKS: &[(&str, $crate::testing::ProcessCheck)] = &[$((
            stringify!($pcheck),
            $crate::testing::$pcheck as $crate::testing::ProcessCheck,
        )),*];
    };
    (@tests $available:block, $fresh:expr, $attach:expr;
        checks: [$($check:ident,)*]
        process_checks: [$($pcheck:ident,)*]
    ) => {
        $(
            #[test]
            fn $check() {
                if !$available {
                    return;
                }
                $crate::testing::$check(&$fresh);
            }
        )*
        $(
            #[test]
            fn $pcheck() {
                if !$available {
                    return;
                }
                $crate::testing::$pcheck(
                    &$fresh,
                    &$crate::testing::child_test_name(module_path!()),
                );
            }
        )*
        /// The child processes of the process checks run here; otherwise it does nothing.
        #[test]
        fn child_process() {
            $crate::testing::child_process(&|locator: &str| {
                ::std::boxed::Box::new(($attach)(locator))
                    as ::std::boxed::Box<dyn $crate::testing::Backend>
            });
        }
    };
}

/// The lease, in seconds, of claims that must run out during a check.
pub const SHORT_LEASE: f64 = 0.05;
/// How long a check sleeps for a [`SHORT_LEASE`] to run out.
const EXPIRY_WAIT: Duration = Duration::from_millis(500);
/// The lease of claims that must stay valid for the whole check.
const LONG_LEASE: f64 = 3600.0;

// ---------------------------------------------------------------------------------------
// Helpers.

fn open(backend: &dyn Backend) -> Arc<dyn Store> {
    backend
        .open()
        .unwrap_or_else(|e| panic!("opening the store failed: {e}"))
}

/// Asserts that `$result` is an `Err` matching `$pattern`, showing what it was otherwise.
macro_rules! assert_err {
    ($result:expr, $pattern:pat, $($what:tt)+) => {{
        let result = $result;
        assert!(
            matches!(result, Err($pattern)),
            "{}: expected Err({}), got {:?}",
            format_args!($($what)+),
            stringify!($pattern),
            result
        );
    }};
}

/// Creates a grid sweep over `x` named "demo sweep".
fn grid_sweep(store: &dyn Store, id: &str) -> SweepRecord {
    let spec = SweepSpec::new(
        Method::Grid,
        vec![ParamSpec::new(
            "x",
            Distribution::IntUniform { min: 0, max: 9 },
        )],
    );
    store
        .create_sweep(&NewSweep {
            id: id.into(),
            name: "demo sweep".into(),
            spec_text: "method: grid".into(),
            spec_path: None,
            spec,
            seed: 7,
        })
        .unwrap_or_else(|e| panic!("creating sweep {id} failed: {e}"))
}

fn owner(host: &str, pid: i64, lease_secs: f64) -> Owner {
    Owner {
        host: host.into(),
        pid,
        lease_secs,
    }
}

/// Proposes the smallest `x` in `0..limit` that no existing run has, like a grid; fails
/// (and so fails the claim) if two existing runs share an `x`.
fn next_x(limit: i64) -> impl FnMut(&ClaimContext) -> Result<Proposal> {
    move |ctx| {
        let mut used = HashSet::new();
        for run in ctx.existing()? {
            let x = run
                .params
                .get("x")
                .and_then(|v| v.as_i64())
                .ok_or_else(|| sampler_error(format!("run {} has no integer x", run.id)))?;
            if !used.insert(x) {
                return Err(sampler_error(format!("two existing runs have x = {x}")));
            }
        }
        Ok(match (0..limit).find(|x| !used.contains(x)) {
            Some(x) => Proposal::New {
                params: [("x".to_string(), json!(x))].into(),
                config: json!({ "x": x }),
            },
            None => Proposal::Exhausted,
        })
    }
}

fn sampler_error(message: String) -> StoreError {
    StoreError::Propose(message.into())
}

/// A propose callback that must not be called.
fn never_asked(_: &ClaimContext) -> Result<Proposal> {
    Err(sampler_error(
        "propose was called although it should not have been".into(),
    ))
}

fn claim(store: &dyn Store, sweep: &str, who: &Owner, cap: Option<u64>, limit: i64) -> Claim {
    store
        .claim_run(sweep, who, cap, &mut next_x(limit))
        .unwrap_or_else(|e| panic!("claiming from {sweep} failed: {e}"))
}

/// Claims a new run of `sweep` for a live owner (host-a, pid 42) with a long lease.
fn claim_new(store: &dyn Store, sweep: &str) -> RunRecord {
    claimed(claim(
        store,
        sweep,
        &owner("host-a", 42, LONG_LEASE),
        None,
        100,
    ))
}

fn claimed(c: Claim) -> RunRecord {
    match c {
        Claim::Claimed { run, .. } => *run,
        other => panic!("expected a claim, got {other:?}"),
    }
}

fn x_of(run: &RunRecord) -> i64 {
    run.params
        .get("x")
        .and_then(|v| v.as_i64())
        .unwrap_or_else(|| panic!("run {} has no integer x: {:?}", run.id, run.params))
}

fn done(status: RunStatus) -> RunOutcome {
    RunOutcome {
        status,
        exit_code: Some(0),
        reason: None,
        stderr_tail: None,
    }
}

fn record(pairs: &[(&str, f64)]) -> MetricRecord {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn never_dead(_: &str, _: i64) -> bool {
    false
}

fn ids(runs: &[&RunRecord]) -> Vec<String> {
    let mut ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

/// The runs' ids, in the order given.
fn in_order(runs: &[&RunRecord]) -> Vec<String> {
    runs.iter().map(|r| r.id.clone()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Asserts that every write of `key` (heartbeat, history, finish) is fenced off.
fn assert_fenced(store: &dyn Store, key: &RunKey, when: &str) {
    assert_err!(
        store.heartbeat(key, LONG_LEASE),
        StoreError::Fenced { .. },
        "heartbeat of {key:?} {when}"
    );
    assert_err!(
        store.append_history(key, &[record(&[("late", 1.0)])], None),
        StoreError::Fenced { .. },
        "append_history of {key:?} {when}"
    );
    assert_err!(
        store.finish_run(key, &done(RunStatus::Failed)),
        StoreError::Fenced { .. },
        "finish_run of {key:?} {when}"
    );
}

// ---------------------------------------------------------------------------------------
// Claims under contention.

/// The sweep the contention checks claim from.
const CONTENDED: &str = "contended";
/// How many params the contended sweep proposes (x = 0..GRID).
const GRID: i64 = 30;
/// How many of them a dead controller held before the contention starts: they are
/// interrupted, and must each be retried exactly once.
const PRE: i64 = 6;

/// One claim a worker made.
#[derive(Debug, Clone)]
struct Taken {
    run_id: String,
    x: i64,
    attempt: u32,
    retried: bool,
}

/// Creates the contended sweep and leaves PRE interrupted runs in it.
fn prepare_contention(store: &dyn Store) {
    grid_sweep(store, CONTENDED);
    let dead = owner("gone-host", 1, LONG_LEASE);
    for _ in 0..PRE {
        claimed(claim(store, CONTENDED, &dead, None, GRID));
    }
    let recovered = store
        .recover_stale(Some(CONTENDED), &|host, _| host == "gone-host")
        .unwrap();
    assert_eq!(recovered.len(), PRE as usize, "{recovered:?}");
}

/// Claims, reports on and finishes runs until the sweep is exhausted.
fn claim_until_exhausted(store: &dyn Store, worker: i64) -> Vec<Taken> {
    let me = owner("worker-host", worker, LONG_LEASE);
    let mut taken = Vec::new();
    loop {
        let claim = store
            .claim_run(CONTENDED, &me, None, &mut next_x(GRID))
            .unwrap_or_else(|e| panic!("worker {worker}: claim failed: {e}"));
        match claim {
            Claim::Claimed { run, retried } => {
                let key = RunKey::of(&run);
                let x = x_of(&run);
                store
                    .heartbeat(&key, LONG_LEASE)
                    .unwrap_or_else(|e| panic!("worker {worker}: heartbeat of x={x}: {e}"));
                store
                    .append_history(&key, &[record(&[("x", x as f64)])], None)
                    .unwrap_or_else(|e| panic!("worker {worker}: history of x={x}: {e}"));
                store
                    .finish_run(&key, &done(RunStatus::Completed))
                    .unwrap_or_else(|e| panic!("worker {worker}: finishing x={x}: {e}"));
                taken.push(Taken {
                    run_id: run.id,
                    x,
                    attempt: run.attempt,
                    retried,
                });
            }
            Claim::Exhausted => return taken,
            Claim::CapReached => panic!("worker {worker}: cap reached without a cap"),
        }
    }
}

/// Asserts that the workers together claimed every proposal and every interrupted run
/// exactly once, and that the store agrees.
fn assert_each_claimed_once(store: &dyn Store, taken: &[Taken]) {
    let mut per_run: HashMap<&str, Vec<&Taken>> = HashMap::new();
    for t in taken {
        per_run.entry(&t.run_id).or_default().push(t);
    }
    let twice: Vec<_> = per_run.values().filter(|ts| ts.len() > 1).collect();
    assert!(twice.is_empty(), "runs claimed more than once: {twice:?}");
    let mut xs: Vec<i64> = taken.iter().map(|t| t.x).collect();
    xs.sort_unstable();
    assert_eq!(
        xs,
        (0..GRID).collect::<Vec<_>>(),
        "every proposal (and every interrupted run) claimed exactly once"
    );
    for t in taken {
        if t.x < PRE {
            assert!(t.retried && t.attempt == 2, "a retry of x={}: {t:?}", t.x);
        } else {
            assert!(
                !t.retried && t.attempt == 1,
                "a new run for x={}: {t:?}",
                t.x
            );
        }
    }
    let runs = store
        .runs(&RunFilter {
            sweep_id: Some(CONTENDED.into()),
            statuses: vec![],
        })
        .unwrap();
    let mut numbers: Vec<u64> = runs.iter().map(|r| r.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..GRID as u64).collect::<Vec<_>>(), "run numbers");
    for run in &runs {
        assert_eq!(
            (run.status, run.history_len),
            (RunStatus::Completed, 1),
            "{}",
            run.id
        );
        let t = per_run.get(run.id.as_str()).map(|ts| ts[0]);
        assert_eq!(t.map(|t| t.x), Some(x_of(run)), "who claimed {}", run.id);
    }
    let last = claim(store, CONTENDED, &owner("late", 1, LONG_LEASE), None, GRID);
    assert!(matches!(last, Claim::Exhausted), "{last:?}");
}

/// Runs `threads` workers on each handle at once, then checks what they claimed.
fn contend(stores: &[Arc<dyn Store>], threads: usize) {
    prepare_contention(stores[0].as_ref());
    let barrier = Barrier::new(stores.len() * threads);
    let taken: Vec<Taken> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .flat_map(|store| std::iter::repeat_n(store, threads))
            .enumerate()
            .map(|(worker, store)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    claim_until_exhausted(store.as_ref(), worker as i64)
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    assert_each_claimed_once(stores[0].as_ref(), &taken);
}

/// Eight threads claim from one sweep through one handle: no run and no params are taken
/// twice, every proposal is claimed exactly once, and each interrupted run is retried once.
pub fn claims_are_exclusive_across_threads(backend: &dyn Backend) {
    contend(&[open(backend)], 8);
}

/// The same with four handles (separate connections, as separate processes on one machine
/// would have), two threads each.
pub fn claims_are_exclusive_across_handles(backend: &dyn Backend) {
    let stores: Vec<Arc<dyn Store>> = (0..4).map(|_| open(backend)).collect();
    contend(&stores, 2);
}

/// The same with four child processes, each with its own handle.
pub fn claims_are_exclusive_across_processes(backend: &dyn Backend, child_test: &str) {
    let store = open(backend);
    prepare_contention(store.as_ref());
    let outputs = run_children(backend, child_test, "claim", 4);
    let taken: Vec<Taken> = outputs
        .iter()
        .flatten()
        .filter_map(|line| line.strip_prefix("taken "))
        .map(parse_taken)
        .collect();
    assert_each_claimed_once(store.as_ref(), &taken);
}

/// Reads back a `taken <run id> <x> <attempt> <retried>` line of a child.
fn parse_taken(line: &str) -> Taken {
    let parsed = match line.split(' ').collect::<Vec<_>>().as_slice() {
        [id, x, attempt, retried] => (|| {
            Some(Taken {
                run_id: id.to_string(),
                x: x.parse().ok()?,
                attempt: attempt.parse().ok()?,
                retried: retried.parse().ok()?,
            })
        })(),
        _ => None,
    };
    parsed.unwrap_or_else(|| panic!("a child reported `taken {line}`"))
}

// ---------------------------------------------------------------------------------------
// Fencing, immutability, leases.

/// A run whose lease ran out is recovered as interrupted; from then on every write of its
/// old attempt is fenced off (before and after the run is claimed again, and after the new
/// attempt finished it), while the retry (same run, attempt + 1, history cleared) works.
pub fn stale_attempts_are_fenced(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let old = claim_new(store, "s1");
    let first_key = RunKey::of(&old);
    assert_eq!(old.attempt, 1);
    store
        .append_history(&first_key, &[record(&[("loss", 1.0)])], None)
        .unwrap();
    // Shorten the lease, then let it run out.
    store.heartbeat(&first_key, SHORT_LEASE).unwrap();
    std::thread::sleep(EXPIRY_WAIT);
    let recovered = store.recover_stale(Some("s1"), &never_dead).unwrap();
    assert_eq!(recovered, vec![RunKey::of(&old)]);
    let interrupted = store.run(&old.id).unwrap();
    assert_eq!(
        (interrupted.status, interrupted.attempt),
        (RunStatus::Interrupted, 1)
    );
    assert!(interrupted.reason.is_some(), "{interrupted:?}");
    assert_fenced(
        store,
        &first_key,
        "after its lease ran out and it was recovered",
    );

    let Claim::Claimed {
        run: again,
        retried,
    } = claim(store, "s1", &owner("host-b", 7, LONG_LEASE), None, 100)
    else {
        panic!("expected the interrupted run to be retried");
    };
    assert!(retried);
    assert_eq!(
        (again.id.as_str(), again.attempt, again.status),
        (old.id.as_str(), 2, RunStatus::Running)
    );
    assert_eq!((again.history_len, again.summary.len()), (0, 0));
    assert_eq!(
        (again.host.as_deref(), again.pid),
        (Some("host-b"), Some(7))
    );
    assert!(store.history(&old.id).unwrap().is_empty());
    assert_fenced(store, &first_key, "after the run was claimed again");
    let now = store.run(&old.id).unwrap();
    assert_eq!(
        (now.status, now.attempt, now.history_len),
        (RunStatus::Running, 2, 0),
        "fenced writes changed nothing"
    );

    let second_key = RunKey::of(&again);
    store
        .append_history(&second_key, &[record(&[("loss", 0.5)])], None)
        .unwrap();
    store.heartbeat(&second_key, LONG_LEASE).unwrap();
    let finished = store
        .finish_run(&second_key, &done(RunStatus::Completed))
        .unwrap();
    assert_eq!(
        (finished.status, finished.attempt, finished.history_len),
        (RunStatus::Completed, 2, 1)
    );
    assert_fenced(store, &first_key, "after the new attempt finished");
    assert_eq!(store.runs(&RunFilter::default()).unwrap().len(), 1);
}

/// A run its controller ended as interrupted (say on SIGINT) is not finished: its attempt
/// can no longer write, and the next claim retries it in place.
pub fn interrupted_runs_are_retried_in_place(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let run = claim_new(store, "s1");
    store
        .append_history(&RunKey::of(&run), &[record(&[("loss", 1.0)])], None)
        .unwrap();
    let ended = store
        .finish_run(
            &RunKey::of(&run),
            &RunOutcome {
                status: RunStatus::Interrupted,
                exit_code: None,
                reason: Some("interrupted".into()),
                stderr_tail: None,
            },
        )
        .unwrap();
    assert_eq!(ended.status, RunStatus::Interrupted);
    assert_fenced(store, &RunKey::of(&run), "after it ended as interrupted");
    let Claim::Claimed {
        run: again,
        retried,
    } = claim(store, "s1", &owner("host-a", 43, LONG_LEASE), None, 100)
    else {
        panic!("expected a retry");
    };
    assert!(retried);
    assert_eq!(
        (
            again.id.as_str(),
            again.attempt,
            again.history_len,
            again.number
        ),
        (run.id.as_str(), 2, 0, 0)
    );
    assert_eq!(
        (again.exit_code, again.reason.as_deref(), again.ended_at),
        (None, None, None),
        "the retry starts clean"
    );
    assert_eq!(x_of(&again), x_of(&run), "same params");
}

/// After `finish_run` (completed, failed or pruned) a run cannot be changed: another
/// `finish_run`, `append_history` or `heartbeat` of the same attempt gets
/// [`StoreError::Finished`] and nothing changes; recovery and claims leave it alone.
pub fn finished_runs_are_immutable(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    for (k, status) in [RunStatus::Completed, RunStatus::Failed, RunStatus::Pruned]
        .into_iter()
        .enumerate()
    {
        let run = claim_new(store, "s1");
        let key = RunKey::of(&run);
        store
            .append_history(&key, &[record(&[("loss", k as f64)])], None)
            .unwrap();
        let outcome = RunOutcome {
            status,
            exit_code: Some(k as i32),
            reason: Some(format!("reason {k}")),
            stderr_tail: Some("tail".into()),
        };
        let finished = store.finish_run(&key, &outcome).unwrap();
        assert_eq!(
            (
                finished.status,
                finished.exit_code,
                finished.reason.as_deref()
            ),
            (status, Some(k as i32), Some(format!("reason {k}").as_str()))
        );
        assert_eq!(finished.stderr_tail.as_deref(), Some("tail"));
        assert!(finished.ended_at.is_some() && finished.duration().is_some());
        assert_eq!(finished.history_len, 1);

        let what = format!("a {status} run");
        assert_err!(
            store.finish_run(&key, &done(RunStatus::Completed)),
            StoreError::Finished { .. },
            "finish_run of {what}"
        );
        assert_err!(
            store.append_history(&key, &[record(&[("loss", 9.0)])], None),
            StoreError::Finished { .. },
            "append_history of {what}"
        );
        assert_err!(
            store.heartbeat(&key, LONG_LEASE),
            StoreError::Finished { .. },
            "heartbeat of {what}"
        );
        let stored = store.run(&run.id).unwrap();
        assert_eq!(
            (stored.status, stored.exit_code, stored.history_len),
            (status, Some(k as i32), 1),
            "{what} is unchanged"
        );
        assert_eq!(stored.summary["loss"].count, 1, "{what}");
        assert_eq!(store.history(&run.id).unwrap().len(), 1, "{what}");
    }
    assert!(
        store.recover_stale(None, &|_, _| true).unwrap().is_empty(),
        "finished runs are never recovered"
    );
    let next = claim(store, "s1", &owner("host-a", 42, LONG_LEASE), None, 3);
    assert!(
        matches!(next, Claim::Exhausted),
        "finished runs are not retried: {next:?}"
    );
}

/// Runs with a valid lease and a live owner are left alone (whatever other owners are
/// dead, and whichever sweep is recovered); an owner `is_dead` says is gone loses its run
/// at once, though its lease is valid; recovery asks `is_dead` about the owners' hosts and
/// pids, and returns a run only once.
pub fn live_leases_are_kept_and_dead_owners_recovered(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    grid_sweep(store, "s2");
    let a = claimed(claim(
        store,
        "s1",
        &owner("host-a", 42, LONG_LEASE),
        None,
        9,
    ));
    let b = claimed(claim(
        store,
        "s1",
        &owner("host-a", 43, LONG_LEASE),
        None,
        9,
    ));
    let c = claimed(claim(
        store,
        "s2",
        &owner("host-b", 42, LONG_LEASE),
        None,
        9,
    ));

    let asked = Mutex::new(Vec::new());
    let none = store
        .recover_stale(None, &|h, p| {
            asked.lock().unwrap().push((h.to_string(), p));
            false
        })
        .unwrap();
    assert!(none.is_empty(), "live owners with valid leases: {none:?}");
    let asked = asked.into_inner().unwrap();
    for who in [("host-a", 42), ("host-a", 43), ("host-b", 42)] {
        assert!(
            asked.iter().any(|(h, p)| (h.as_str(), *p) == who),
            "is_dead was not asked about {who:?}: {asked:?}"
        );
    }
    let other = store.recover_stale(None, &|h, _| h == "host-z").unwrap();
    assert!(other.is_empty(), "{other:?}");
    let scoped = store
        .recover_stale(Some("s2"), &|h, _| h == "host-a")
        .unwrap();
    assert!(scoped.is_empty(), "host-a's runs are in s1: {scoped:?}");

    let dead = store
        .recover_stale(Some("s1"), &|h, p| h == "host-a" && p == 42)
        .unwrap();
    assert_eq!(dead, vec![RunKey::of(&a)]);
    let a_now = store.run(&a.id).unwrap();
    assert_eq!(a_now.status, RunStatus::Interrupted);
    assert!(a_now.reason.is_some());
    assert_eq!(store.run(&b.id).unwrap().status, RunStatus::Running);
    assert_eq!(store.run(&c.id).unwrap().status, RunStatus::Running);
    let again = store
        .recover_stale(None, &|h, p| h == "host-a" && p == 42)
        .unwrap();
    assert!(
        again.is_empty(),
        "an interrupted run is not recovered twice"
    );
    assert_fenced(store, &RunKey::of(&a), "after its owner died");
}

/// Runs whose lease ran out are recovered although `is_dead` says every owner lives: one
/// claimed with a short lease, and one whose heartbeat shortened it. A heartbeat renews a
/// lease, even one that ran out, as long as no recovery took the run.
pub fn expired_leases_are_recovered(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    grid_sweep(store, "s2");
    let short = claimed(claim(
        store,
        "s1",
        &owner("host-a", 1, SHORT_LEASE),
        None,
        9,
    ));
    let shortened = claimed(claim(store, "s1", &owner("host-a", 2, LONG_LEASE), None, 9));
    store
        .heartbeat(&RunKey::of(&shortened), SHORT_LEASE)
        .unwrap();
    let renewed = claimed(claim(
        store,
        "s1",
        &owner("host-a", 3, SHORT_LEASE),
        None,
        9,
    ));
    store.heartbeat(&RunKey::of(&renewed), LONG_LEASE).unwrap();
    let elsewhere = claimed(claim(
        store,
        "s2",
        &owner("host-a", 4, SHORT_LEASE),
        None,
        9,
    ));
    std::thread::sleep(EXPIRY_WAIT);

    let recovered = store.recover_stale(Some("s1"), &never_dead).unwrap();
    assert_eq!(
        sorted(recovered.into_iter().map(|k| k.run_id).collect()),
        ids(&[&short, &shortened]),
        "the expired leases of s1 (and only those)"
    );
    for run in [&short, &shortened] {
        let now = store.run(&run.id).unwrap();
        assert_eq!(now.status, RunStatus::Interrupted, "{}", run.id);
        assert!(now.reason.is_some());
    }
    assert_eq!(store.run(&renewed.id).unwrap().status, RunStatus::Running);
    assert_eq!(
        store.run(&elsewhere.id).unwrap().status,
        RunStatus::Running,
        "recovery of s1 leaves s2 alone"
    );
    store.heartbeat(&RunKey::of(&renewed), LONG_LEASE).unwrap();
    let all = store.recover_stale(None, &never_dead).unwrap();
    assert_eq!(all, vec![RunKey::of(&elsewhere)]);
}

// ---------------------------------------------------------------------------------------
// Schema.

/// Eight threads open the same fresh location at the same moment: all succeed, and every
/// handle sees what the others wrote (one schema, one store); a handle opened after they
/// are all closed sees it too.
pub fn schema_is_created_once_by_many_handles(backend: &dyn Backend) {
    const N: usize = 8;
    let barrier = Barrier::new(N);
    let stores: Vec<Arc<dyn Store>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let store = backend
                        .open()
                        .unwrap_or_else(|e| panic!("thread {i} could not open the store: {e}"));
                    grid_sweep(store.as_ref(), &format!("t{i}"));
                    store
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let expected = sorted((0..N).map(|i| format!("t{i}")).collect());
    let sweep_ids =
        |store: &dyn Store| sorted(store.sweeps().unwrap().into_iter().map(|s| s.id).collect());
    for store in &stores {
        assert_eq!(sweep_ids(store.as_ref()), expected);
    }
    claimed(claim(
        stores[0].as_ref(),
        "t0",
        &owner("h", 1, LONG_LEASE),
        None,
        3,
    ));
    drop(stores);
    let store = open(backend);
    assert_eq!(sweep_ids(store.as_ref()), expected, "after reopening");
    assert_eq!(store.sweep("t0").unwrap().spec.parameters.len(), 1);
    assert_eq!(store.runs(&RunFilter::default()).unwrap().len(), 1);
}

/// Four child processes open the same fresh location at the same moment: all succeed, and
/// the store then holds what each wrote.
pub fn schema_is_created_once_by_many_processes(backend: &dyn Backend, child_test: &str) {
    let outputs = run_children(backend, child_test, "open", 4);
    let store = open(backend);
    let found = sorted(store.sweeps().unwrap().into_iter().map(|s| s.id).collect());
    let expected = sorted(
        (0..outputs.len())
            .map(|i| child_sweep(worker_id(i)))
            .collect(),
    );
    assert_eq!(found, expected);
}

/// A store whose schema is newer than this build knows is refused with
/// [`StoreError::SchemaTooNew`], every time (the refusal changes nothing).
pub fn newer_schema_is_refused(backend: &dyn Backend) {
    {
        let store = open(backend);
        grid_sweep(store.as_ref(), "s1");
    }
    backend.bump_schema_version();
    for attempt in 1..=2 {
        match backend.open() {
            Err(StoreError::SchemaTooNew { found, known, .. }) => {
                assert!(found > known, "found {found}, known {known}")
            }
            Err(other) => panic!("open #{attempt}: expected SchemaTooNew, got {other}"),
            Ok(_) => panic!("open #{attempt}: a store with a newer schema was opened"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sweeps, runs, history.

/// `create_sweep` returns what it stored, and for an existing id the existing sweep
/// unchanged; `sweeps` lists newest first; `sweep` takes an exact id (even one that is a
/// prefix of another) or a unique prefix (with `_` and `%` taken literally); the status
/// can be set.
pub fn sweeps_are_created_once_and_found_by_prefix(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    let first = grid_sweep(store, "alpha");
    assert_eq!(
        (
            first.id.as_str(),
            first.name.as_str(),
            first.spec_text.as_str()
        ),
        ("alpha", "demo sweep", "method: grid")
    );
    assert_eq!((first.seed, first.status), (7, SweepStatus::Active));
    assert_eq!(first.spec_path, None);
    assert_eq!(first.spec.parameters.len(), 1);
    let again = store
        .create_sweep(&NewSweep {
            id: "alpha".into(),
            name: "another name".into(),
            spec_text: "method: random".into(),
            spec_path: Some("other.yaml".into()),
            spec: SweepSpec::new(Method::Random, vec![]),
            seed: 8,
        })
        .unwrap();
    assert_eq!(
        (again.name.as_str(), again.seed, again.created_at),
        ("demo sweep", 7, first.created_at),
        "creating an existing sweep returns it unchanged"
    );
    assert_eq!(again.spec, first.spec);
    // Far more than the timestamps' resolution, so "newest first" is well defined.
    std::thread::sleep(Duration::from_millis(50));
    grid_sweep(store, "alpha-2");
    let listed: Vec<String> = store.sweeps().unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(listed, ["alpha-2", "alpha"], "newest first");

    assert_eq!(store.sweep("alpha").unwrap().id, "alpha", "exact id wins");
    assert_eq!(
        store.sweep("alpha-").unwrap().id,
        "alpha-2",
        "unique prefix"
    );
    assert_err!(store.sweep("al"), StoreError::Ambiguous { .. }, "sweep(al)");
    assert_err!(
        store.sweep("alpha_"),
        StoreError::NotFound { .. },
        "_ is literal"
    );
    assert_err!(
        store.sweep("%"),
        StoreError::NotFound { .. },
        "% is literal"
    );
    assert_err!(
        store.sweep("beta"),
        StoreError::NotFound { .. },
        "sweep(beta)"
    );

    store
        .set_sweep_status("alpha", SweepStatus::Finished)
        .unwrap();
    assert_eq!(store.sweep("alpha").unwrap().status, SweepStatus::Finished);
    assert_eq!(store.sweep("alpha-2").unwrap().status, SweepStatus::Active);
    store
        .set_sweep_status("alpha", SweepStatus::Active)
        .unwrap();
    assert_eq!(store.sweep("alpha").unwrap().status, SweepStatus::Active);
    assert_err!(
        store.set_sweep_status("nope", SweepStatus::Finished),
        StoreError::NotFound { .. },
        "set_sweep_status(nope)"
    );
}

/// Run ids are `YYYYMMDD_HHMMSS_<sweep-name>_<hash8 of the config>`; a run is found by its
/// id, a unique prefix, or its config hash; a new run is running, numbered from 0, with
/// the owner, params and config it was claimed with.
pub fn run_ids_name_time_sweep_and_config_hash(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let run = claim_new(store, "s1");
    let parts: Vec<&str> = run.id.split('_').collect();
    assert_eq!(parts.len(), 4, "{}", run.id);
    assert_eq!(parts[0].len(), 8);
    assert_eq!(parts[1].len(), 6);
    assert!(
        parts[0]
            .chars()
            .chain(parts[1].chars())
            .all(|c| c.is_ascii_digit())
    );
    assert_eq!(parts[2], "demo-sweep");
    assert_eq!(parts[3], hash8(&json!({"x": 0})));
    assert_eq!(run.config_hash, sweep_core::config_hash(&json!({"x": 0})));
    assert_eq!((run.sweep_id.as_str(), run.number), ("s1", 0));
    assert_eq!((run.status, run.attempt), (RunStatus::Running, 1));
    assert_eq!(run.config, json!({"x": 0}));
    assert_eq!(x_of(&run), 0);
    assert_eq!((run.host.as_deref(), run.pid), (Some("host-a"), Some(42)));
    assert!(run.started_at.is_some() && run.ended_at.is_none());
    assert_eq!(
        store.run(&run.id).unwrap().id,
        run.id,
        "the full id resolves"
    );
    assert_eq!(
        store.run(&run.id[..10]).unwrap().id,
        run.id,
        "unique prefix resolves"
    );
    assert_eq!(
        store.run(parts[3]).unwrap().id,
        run.id,
        "the config hash resolves"
    );
    assert_err!(store.run("nope"), StoreError::NotFound { .. }, "run(nope)");
}

/// Claims a new run; returns it with what the sampler was shown of the existing runs: id,
/// status and the summary of `metric`. Checks on the way that the stamps list the runs
/// `existing` loads, in the same order with the same status and history length, and that
/// `load` returns the runs asked for in the order asked.
fn claim_seeing(
    store: &dyn Store,
    sweep: &str,
    metric: &str,
) -> (RunRecord, Vec<(String, RunStatus, Option<MetricSummary>)>) {
    let mut seen = Vec::new();
    let mut shown = Vec::new();
    // The callback runs inside the claim: it must not call the store itself.
    let mut look = |ctx: &ClaimContext| {
        let existing = ctx.existing()?;
        let stamps: Vec<(&str, RunStatus)> =
            ctx.runs.iter().map(|r| (r.id.as_str(), r.status)).collect();
        let loaded: Vec<(&str, RunStatus)> =
            existing.iter().map(|r| (r.id.as_str(), r.status)).collect();
        assert_eq!(stamps, loaded, "the stamps list the runs `existing` loads");
        shown = ctx.runs.to_vec();
        let backwards: Vec<&str> = ctx.runs.iter().rev().map(|r| r.id.as_str()).collect();
        let reloaded: Vec<String> = ctx.load(&backwards)?.into_iter().map(|r| r.id).collect();
        assert_eq!(reloaded, backwards, "`load` keeps the order asked for");
        seen = existing
            .iter()
            .map(|r| (r.id.clone(), r.status, r.summary.get(metric).cloned()))
            .collect();
        next_x(100)(ctx)
    };
    let who = owner("host-a", 42, LONG_LEASE);
    let run = claimed(store.claim_run(sweep, &who, None, &mut look).unwrap());
    for stamp in &shown {
        let stored = store.run(&stamp.id).unwrap();
        assert_eq!(
            (stamp.history_len, stamp.attempt),
            (stored.history_len, stored.attempt),
            "the stamp of {}",
            stamp.id
        );
    }
    (run, seen)
}

/// `append_history` stores records in order (NaN and infinities included), keeps the
/// summary current in the run record and returns it; the sampler sees each run's current
/// status and summary at the next claim; `finish_run` keeps both.
pub fn history_and_summary_are_kept_current(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let run = claim_new(store, "s1");
    let metric = MetricSpec::new("val/acc", Goal::Maximize);
    let recs = [
        record(&[("val/acc", 0.2)]),
        record(&[("val/acc", f64::NAN)]),
        record(&[("val/acc", 0.9), ("grad", f64::INFINITY)]),
        record(&[("val/acc", 0.5), ("grad", f64::NEG_INFINITY)]),
    ];
    let summary = store
        .append_history(&RunKey::of(&run), &recs[..2], Some(&metric))
        .unwrap();
    let acc = &summary["val/acc"];
    assert_eq!((acc.best, acc.last, acc.count), (Some(0.2), None, 2));
    let stored = store.run(&run.id).unwrap();
    assert_eq!((stored.history_len, &stored.summary), (2, &summary));

    // The sampler sees the running run with its summary so far.
    let (second, seen) = claim_seeing(store, "s1", "val/acc");
    assert_eq!(seen.len(), 1);
    assert_eq!((&seen[0].0, seen[0].1), (&run.id, RunStatus::Running));
    assert_eq!(seen[0].2.as_ref().map(|s| s.count), Some(2));

    let summary = store
        .append_history(&RunKey::of(&run), &recs[2..], Some(&metric))
        .unwrap();
    let acc = &summary["val/acc"];
    assert_eq!(
        (acc.best, acc.best_step, acc.last, acc.count),
        (Some(0.9), Some(2), Some(0.5), 4)
    );
    assert_eq!(summary["grad"].count, 2);
    assert_eq!(store.run(&run.id).unwrap().summary, summary);
    let history = store.history(&run.id).unwrap();
    assert_eq!(history.len(), 4);
    assert!(history[1]["val/acc"].is_nan());
    assert_eq!(history[0], recs[0]);
    assert_eq!(history[2]["grad"], f64::INFINITY);
    assert_eq!(history[3], recs[3]);
    assert!(store.history(&second.id).unwrap().is_empty());

    let finished = store
        .finish_run(&RunKey::of(&run), &done(RunStatus::Completed))
        .unwrap();
    assert_eq!(finished.summary, summary);
    assert_eq!(finished.history_len, 4);
    assert_eq!(store.history(&run.id).unwrap().len(), 4);

    // ...and, at the next claim, the finished run with its final summary.
    let (_, seen) = claim_seeing(store, "s1", "val/acc");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].1, RunStatus::Completed);
    assert_eq!(seen[0].2.as_ref(), Some(&summary["val/acc"]));
    assert_eq!((&seen[1].0, seen[1].1), (&second.id, RunStatus::Running));
}

/// `run_cap` counts every run of the sweep and stops new ones without asking the sampler,
/// but not retries; `Proposal::Exhausted` stops claims; a finished sweep creates no new
/// runs (without asking the sampler) yet still retries interrupted ones.
pub fn run_cap_and_exhaustion_stop_claims(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let a = claimed(claim(store, "s1", &owner("h", 1, LONG_LEASE), Some(2), 10));
    let b = claimed(claim(store, "s1", &owner("h", 2, LONG_LEASE), Some(2), 10));
    let who = owner("h", 3, LONG_LEASE);
    let capped = store
        .claim_run("s1", &who, Some(2), &mut never_asked)
        .unwrap();
    assert!(matches!(capped, Claim::CapReached), "{capped:?}");
    let exhausted = claim(store, "s1", &who, None, 2);
    assert!(matches!(exhausted, Claim::Exhausted), "{exhausted:?}");

    let lost = store.recover_stale(Some("s1"), &|_, p| p == 1).unwrap();
    assert_eq!(lost, vec![RunKey::of(&a)]);
    let retry = store
        .claim_run("s1", &who, Some(2), &mut never_asked)
        .unwrap();
    assert!(
        matches!(&retry, Claim::Claimed { run, retried: true } if run.id == a.id),
        "a retry is not a new run, so the cap does not stop it: {retry:?}"
    );

    store.set_sweep_status("s1", SweepStatus::Finished).unwrap();
    let finished = store.claim_run("s1", &who, None, &mut never_asked).unwrap();
    assert!(matches!(finished, Claim::Exhausted), "{finished:?}");
    let lost = store.recover_stale(Some("s1"), &|_, p| p == 2).unwrap();
    assert_eq!(lost, vec![RunKey::of(&b)]);
    let retry = store.claim_run("s1", &who, None, &mut never_asked).unwrap();
    assert!(
        matches!(&retry, Claim::Claimed { run, retried: true } if run.id == b.id),
        "a finished sweep still retries its interrupted runs: {retry:?}"
    );
    let finished = store.claim_run("s1", &who, None, &mut never_asked).unwrap();
    assert!(matches!(finished, Claim::Exhausted), "{finished:?}");

    store.set_sweep_status("s1", SweepStatus::Active).unwrap();
    let c = claimed(claim(store, "s1", &who, None, 10));
    assert_eq!((x_of(&c), c.number), (2, 2));
    assert_eq!(store.runs(&RunFilter::default()).unwrap().len(), 3);
}

/// A sampler error fails the claim with [`StoreError::Propose`] and creates nothing;
/// claiming from an unknown sweep is [`StoreError::NotFound`].
pub fn failed_proposals_create_nothing(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let who = owner("h", 1, LONG_LEASE);
    let mut failing =
        |_: &ClaimContext| -> Result<Proposal> { Err(sampler_error("the sampler broke".into())) };
    match store.claim_run("s1", &who, None, &mut failing) {
        Err(StoreError::Propose(e)) => assert_eq!(e.to_string(), "the sampler broke"),
        other => panic!("expected a Propose error, got {other:?}"),
    }
    // Loading a run that is not in the sweep fails the claim the same way.
    let mut stray = |ctx: &ClaimContext| -> Result<Proposal> {
        ctx.load(&["no-such-run"])?;
        Ok(Proposal::Exhausted)
    };
    assert_err!(
        store.claim_run("s1", &who, None, &mut stray),
        StoreError::NotFound { .. },
        "loading a run of another sweep"
    );
    assert!(store.runs(&RunFilter::default()).unwrap().is_empty());
    let run = claimed(claim(store, "s1", &who, None, 5));
    assert_eq!(run.number, 0);
    assert_err!(
        store.claim_run("nope", &who, None, &mut next_x(5)),
        StoreError::NotFound { .. },
        "claim from an unknown sweep"
    );
}

/// `peek_runs` hands its reader the stamps and the runs a claim made at that moment would
/// see, and changes nothing; an unknown sweep is not found, and a reader's error comes
/// back as it was.
pub fn peeking_lists_what_a_claim_lists_and_changes_nothing(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let first = claim_new(store, "s1");
    store
        .append_history(&RunKey::of(&first), &[record(&[("loss", 0.5)])], None)
        .unwrap();
    claim_new(store, "s1");
    let mut peeked: Vec<RunStamp> = Vec::new();
    let mut loaded = Vec::new();
    store
        .peek_runs("s1", &mut |ctx| {
            peeked = ctx.runs.to_vec();
            loaded = ctx.existing()?;
            Ok(())
        })
        .unwrap();
    let mut claimed_saw: Vec<RunStamp> = Vec::new();
    let mut seeing = |ctx: &ClaimContext| -> Result<Proposal> {
        claimed_saw = ctx.runs.to_vec();
        Ok(Proposal::Exhausted)
    };
    store
        .claim_run("s1", &owner("h", 1, LONG_LEASE), None, &mut seeing)
        .unwrap();
    assert_eq!(peeked, claimed_saw, "the same stamps as a claim");
    assert_eq!(peeked.len(), 2);
    assert_eq!(peeked[0].history_len, 1);
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[0].summary["loss"].last, Some(0.5));
    assert_eq!(
        store.runs(&RunFilter::default()).unwrap().len(),
        2,
        "nothing created"
    );
    assert_err!(
        store.peek_runs("nope", &mut |_| Ok(())),
        StoreError::NotFound { .. },
        "peeking at an unknown sweep"
    );
    assert_err!(
        store.peek_runs("s1", &mut |_| Err(sampler_error("broke".into()))),
        StoreError::Propose(_),
        "a reader's error"
    );
}

/// `runs` filters by sweep (id or prefix) and by any of several statuses, and lists in
/// sweep creation order, then run order.
pub fn filters_select_by_sweep_and_status(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    // Created in the opposite order to their ids, so that creation order shows.
    grid_sweep(store, "s2");
    std::thread::sleep(Duration::from_millis(50));
    grid_sweep(store, "s1");
    let a = claim_new(store, "s1");
    store
        .finish_run(&RunKey::of(&a), &done(RunStatus::Failed))
        .unwrap();
    let b = claim_new(store, "s1");
    let c = claim_new(store, "s2");
    let d = claim_new(store, "s1");
    store
        .finish_run(&RunKey::of(&d), &done(RunStatus::Completed))
        .unwrap();
    let list = |sweep: Option<&str>, statuses: Vec<RunStatus>| -> Vec<String> {
        store
            .runs(&RunFilter {
                sweep_id: sweep.map(String::from),
                statuses,
            })
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(
        list(None, vec![]),
        in_order(&[&c, &a, &b, &d]),
        "sweep creation order, then run order"
    );
    assert_eq!(list(Some("s1"), vec![RunStatus::Failed]), in_order(&[&a]));
    assert_eq!(
        list(Some("s1"), vec![RunStatus::Failed, RunStatus::Completed]),
        in_order(&[&a, &d])
    );
    assert_eq!(list(Some("s1"), vec![]), in_order(&[&a, &b, &d]));
    assert_eq!(list(None, vec![RunStatus::Running]), in_order(&[&c, &b]));
    assert!(list(Some("s2"), vec![RunStatus::Interrupted]).is_empty());
    assert_eq!(list(Some("s2"), vec![]), in_order(&[&c]), "by exact id");
    let none = RunFilter {
        sweep_id: Some("nope".into()),
        statuses: vec![],
    };
    assert_err!(
        store.runs(&none),
        StoreError::NotFound { .. },
        "unknown sweep"
    );
    let ambiguous = RunFilter {
        sweep_id: Some("s".into()),
        statuses: vec![],
    };
    assert_err!(
        store.runs(&ambiguous),
        StoreError::Ambiguous { .. },
        "ambiguous sweep"
    );
}

/// `metric_histories` gives one entry per run of the sweep in run order (runs without the
/// metric included, with no values), each with the metric's values in history order:
/// records without the metric are skipped, NaN and infinities kept; a retry's history
/// replaces the earlier attempt's; other sweeps are left out.
pub fn metric_histories_follow_history_order(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    grid_sweep(store, "s2");
    let a = claimed(claim(store, "s1", &owner("h", 1, LONG_LEASE), None, 5));
    let b = claimed(claim(store, "s1", &owner("h", 2, LONG_LEASE), None, 5));
    let c = claimed(claim(store, "s1", &owner("h", 3, LONG_LEASE), None, 5));
    let other = claim_new(store, "s2");
    store
        .append_history(&RunKey::of(&other), &[record(&[("val/loss", 7.0)])], None)
        .unwrap();
    store
        .append_history(
            &RunKey::of(&a),
            &[
                record(&[("val/loss", 3.0)]),
                record(&[("other", 1.0)]),
                record(&[("val/loss", f64::NAN)]),
                record(&[("val/loss", 1.5), ("other", 2.0)]),
                record(&[("val/loss", f64::INFINITY)]),
            ],
            None,
        )
        .unwrap();
    store
        .finish_run(&RunKey::of(&a), &done(RunStatus::Completed))
        .unwrap();
    // c's first attempt logs a value, dies, and its retry logs another.
    store
        .append_history(&RunKey::of(&c), &[record(&[("val/loss", 9.0)])], None)
        .unwrap();
    assert_eq!(
        store.recover_stale(Some("s1"), &|_, p| p == 3).unwrap(),
        vec![RunKey::of(&c)]
    );
    let c2 = claimed(claim(store, "s1", &owner("h", 4, LONG_LEASE), None, 5));
    assert_eq!((c2.id.as_str(), c2.attempt), (c.id.as_str(), 2));
    store
        .append_history(&RunKey::of(&c2), &[record(&[("val/loss", 4.0)])], None)
        .unwrap();

    let h = store.metric_histories("s1", "val/loss").unwrap();
    let shape: Vec<(&str, RunStatus, usize)> = h
        .iter()
        .map(|m| (m.run_id.as_str(), m.status, m.values.len()))
        .collect();
    assert_eq!(
        shape,
        [
            (a.id.as_str(), RunStatus::Completed, 4),
            (b.id.as_str(), RunStatus::Running, 0),
            (c.id.as_str(), RunStatus::Running, 1),
        ]
    );
    assert_eq!((h[0].values[0], h[0].values[2]), (3.0, 1.5));
    assert!(h[0].values[1].is_nan());
    assert_eq!(h[0].values[3], f64::INFINITY);
    assert_eq!(h[2].values, [4.0], "only the retry's history");
    let others = store.metric_histories("s1", "other").unwrap();
    assert_eq!(others[0].values, [1.0, 2.0]);
    assert!(
        store
            .metric_histories("s1", "missing")
            .unwrap()
            .iter()
            .all(|m| m.values.is_empty())
    );
}

// ---------------------------------------------------------------------------------------
// Child processes.

const ROLE_ENV: &str = "SWEEP_STORE_CONFORMANCE_ROLE";
const LOCATOR_ENV: &str = "SWEEP_STORE_CONFORMANCE_LOCATOR";
const WORKER_ENV: &str = "SWEEP_STORE_CONFORMANCE_WORKER";
const START_ENV: &str = "SWEEP_STORE_CONFORMANCE_START_MS";
/// Marks the lines a child reports on (libtest may print on the same line).
const MARK: &str = "@sweep-store-conformance@ ";

/// The libtest name of the `child_process` test that [`store_conformance_tests!`] puts in
/// the module whose `module_path!()` is given (the crate name is not part of it).
pub fn child_test_name(module_path: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::child_process"),
        None => "child_process".to_string(),
    }
}

fn worker_id(child: usize) -> i64 {
    100 + child as i64
}

fn child_sweep(worker: i64) -> String {
    format!("proc-{worker}")
}

fn unix_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// Runs `n` copies of this test binary as children in `role` on the backend's location,
/// all starting their work at about the same moment; asserts that each succeeded and
/// returns the lines each reported. A backend without a locator fails the check: every
/// store Sweep runs on is shared by the agents of many processes.
fn run_children(backend: &dyn Backend, child_test: &str, role: &str, n: usize) -> Vec<Vec<String>> {
    let Some(locator) = backend.locator() else {
        panic!(
            "the process checks need a store shared between processes: Backend::locator is None"
        );
    };
    let exe = std::env::current_exe().expect("the test binary's path");
    let start = unix_millis() + 300;
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(&exe)
                .args([child_test, "--exact", "--nocapture", "--test-threads=1"])
                .env(ROLE_ENV, role)
                .env(LOCATOR_ENV, &locator)
                .env(WORKER_ENV, worker_id(i).to_string())
                .env(START_ENV, start.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("spawning {}: {e}", exe.display()))
        })
        .collect();
    children
        .into_iter()
        .enumerate()
        .map(|(i, child)| {
            let out = child.wait_with_output().expect("waiting for a child");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "child {i} ({role}) failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                out.status
            );
            let lines: Vec<String> = stdout
                .lines()
                .filter_map(|l| l.find(MARK).map(|at| l[at + MARK.len()..].to_string()))
                .collect();
            assert_eq!(
                lines.last().map(String::as_str),
                Some("done"),
                "child {i} did not run `{child_test}` to the end (is that the test's name?)\n\
                 stdout:\n{stdout}\nstderr:\n{stderr}"
            );
            lines
        })
        .collect()
}

/// The body of the `child_process` test: nothing in an ordinary run; in a child spawned by
/// a process check, attaches to the store the environment names and plays its role.
pub fn child_process(attach: &dyn Fn(&str) -> Box<dyn Backend>) {
    let Ok(role) = std::env::var(ROLE_ENV) else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let locator = var(LOCATOR_ENV);
    let worker: i64 = var(WORKER_ENV).parse().expect("a worker number");
    let start: u128 = var(START_ENV).parse().expect("a start time");
    // Start together (best effort; nothing depends on it but the amount of contention).
    let wait = start.saturating_sub(unix_millis()).min(2000);
    std::thread::sleep(Duration::from_millis(wait as u64));
    let backend = attach(&locator);
    let store = open(backend.as_ref());
    match role.as_str() {
        "claim" => {
            for t in claim_until_exhausted(store.as_ref(), worker) {
                println!(
                    "{MARK}taken {} {} {} {}",
                    t.run_id, t.x, t.attempt, t.retried
                );
            }
        }
        "open" => {
            grid_sweep(store.as_ref(), &child_sweep(worker));
            store.sweeps().expect("listing sweeps");
        }
        other => panic!("unknown child role `{other}`"),
    }
    println!("{MARK}done");
}

/// Tags are added once each and removed, kept sorted; a note is set and cleared; both work
/// on running and finished runs alike (annotations, not results) and by id prefix; an
/// unknown run is not found.
pub fn tags_and_notes_annotate_any_run(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let running = claim_new(store, "s1");
    assert!(running.tags.is_empty() && running.note.is_none());
    assert_eq!(
        running.name,
        format!("demo sweep-{}", running.number),
        "a generated name"
    );
    let renamed = store.rename_run(&running.id, "baseline-lr").unwrap();
    assert_eq!(renamed.name, "baseline-lr");
    assert_err!(
        store.rename_run("no-such-run", "x"),
        StoreError::NotFound { .. },
        "naming an unknown run"
    );
    let tags = |v: &[&str]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    let r = store
        .tag_run(&running.id, &tags(&["zeta", "baseline", "zeta"]), &[])
        .unwrap();
    assert_eq!(r.tags, ["baseline", "zeta"]);
    let r = store
        .tag_run(&running.id, &tags(&["keep"]), &tags(&["zeta", "absent"]))
        .unwrap();
    assert_eq!(r.tags, ["baseline", "keep"]);
    let key = RunKey::of(&running);
    store.finish_run(&key, &done(RunStatus::Completed)).unwrap();
    let prefix = &running.id[..running.id.len() - 2];
    let r = store
        .note_run(prefix, Some("looks overfit: see épocas 3–5"))
        .unwrap();
    assert_eq!(r.note.as_deref(), Some("looks overfit: see épocas 3–5"));
    assert_eq!(
        r.status,
        RunStatus::Completed,
        "annotating keeps the result"
    );
    let r = store.tag_run(&running.id, &tags(&["final"]), &[]).unwrap();
    assert_eq!(r.tags, ["baseline", "final", "keep"]);
    let listed = store
        .runs(&RunFilter {
            sweep_id: Some("s1".into()),
            statuses: vec![],
        })
        .unwrap();
    assert_eq!(listed[0].tags, ["baseline", "final", "keep"]);
    assert_eq!(listed[0].note, r.note);
    let r = store.note_run(&running.id, None).unwrap();
    assert!(r.note.is_none());
    assert_err!(
        store.tag_run("no-such-run", &tags(&["x"]), &[]),
        StoreError::NotFound { .. },
        "tagging an unknown run"
    );
    assert_err!(
        store.note_run("no-such-run", Some("x")),
        StoreError::NotFound { .. },
        "a note on an unknown run"
    );
}

/// An imported run lands finished, with its history, the summary folded from it, its
/// times, reason and tags, numbered after the sweep's runs; importing the same origin
/// again adds nothing; an unknown sweep is not found.
pub fn imported_runs_are_added_once_with_history_and_summary(backend: &dyn Backend) {
    let store = open(backend);
    let store = store.as_ref();
    grid_sweep(store, "s1");
    let claimed = claim_new(store, "s1");
    let run = ImportedRun {
        origin: "mlflow:/data/mlruns/1/abc".into(),
        params: sweep_core::Params::new(),
        config: serde_json::json!({"lr": 0.1, "model": {"depth": 3}}),
        history: sweep_core::History::from_records(&[
            record(&[("loss", 2.0)]),
            record(&[("loss", 0.5), ("acc", 0.8)]),
        ]),
        status: RunStatus::Failed,
        started_at: Some(1_700_000_000.0),
        ended_at: Some(1_700_000_060.0),
        tags: vec!["from-mlflow".into()],
        reason: Some("FAILED in MLflow".into()),
        name: Some("bright-owl-7".into()),
    };
    let imported = store.import_run("s1", &run).unwrap();
    let imported = imported.unwrap_or_else(|| panic!("a new origin is imported"));
    assert_eq!(imported.status, RunStatus::Failed);
    assert_eq!(imported.number, claimed.number + 1);
    assert_eq!(imported.history_len, 2);
    assert_eq!(imported.summary["loss"].best, Some(0.5));
    assert_eq!(imported.summary["acc"].last, Some(0.8));
    assert_eq!(imported.config, run.config);
    assert_eq!(imported.tags, ["from-mlflow"]);
    assert_eq!(imported.name, "bright-owl-7", "the source's own name");
    assert_eq!(
        imported.origin.as_deref(),
        Some("mlflow:/data/mlruns/1/abc")
    );
    assert!(claimed.origin.is_none(), "runs Sweep ran have no origin");
    assert_eq!(imported.reason.as_deref(), Some("FAILED in MLflow"));
    assert_eq!(imported.duration(), Some(60.0));
    assert!(
        imported.id.starts_with("20231114_221320_"),
        "{}",
        imported.id
    );
    assert_eq!(
        store.history(&imported.id).unwrap(),
        run.history.records(),
        "the history comes back record for record"
    );
    assert!(
        store.import_run("s1", &run).unwrap().is_none(),
        "the same origin again adds nothing"
    );
    let mut other = run.clone();
    other.origin = "mlflow:/data/mlruns/1/def".into();
    let second = store.import_run("s1", &other).unwrap();
    assert!(
        second.is_some_and(|r| r.id != imported.id),
        "same config, another origin"
    );
    let all = store
        .runs(&RunFilter {
            sweep_id: Some("s1".into()),
            statuses: vec![],
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_err!(
        store.import_run("no-such-sweep", &run),
        StoreError::NotFound { .. },
        "importing into an unknown sweep"
    );
}
