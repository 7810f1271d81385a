//! The one trial supervisor. Whatever runs a trial (a subprocess, an in-process trainer),
//! the supervisor owns its lifecycle: history goes to the store as it arrives, the lease is
//! renewed, and the trial is stopped when the sweep is cancelled, when the pruner condemns
//! it, or when it passes its timeout. The executors only start the trial, report what it
//! logs and how it ended, and know how to stop it.

use crate::Event;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use sweep_core::{MetricRecord, MetricSpec, RunStatus};
use sweep_store::{RunKey, Store, StoreError};

/// What an executor reports about its trial, in order.
pub(crate) enum Msg<E> {
    /// A history record.
    Record(MetricRecord),
    /// A metric line that could not be read (the trial goes on).
    Bad {
        source: &'static str,
        line: u64,
        message: String,
    },
    /// The trial ended, with what the executor needs to build its outcome.
    Ended(E),
}

/// The executor's side of a running trial.
pub(crate) trait Running {
    /// Called on every tick: records that arrived by another way than the channel (a
    /// metrics file), pushed to `out`; `at_end` once the trial has ended.
    fn poll(
        &mut self,
        out: &mut Vec<MetricRecord>,
        bad: &mut dyn FnMut(&'static str, u64, String),
        at_end: bool,
    );
    /// Asks the trial to stop (SIGTERM to a process group, the stop flag of a trainer).
    fn stop(&mut self);
    /// Ends the trial at once where that is possible (SIGKILL to a process group).
    fn kill(&mut self);
    /// How a stopped trial was stopped, appended to a timeout's reason.
    fn stopped_how(&self) -> &'static str;
}

/// The limits and signals a trial runs under.
pub(crate) struct Supervision<'a> {
    pub key: &'a RunKey,
    pub metric: Option<&'a MetricSpec>,
    pub lease_secs: f64,
    pub timeout: Option<Duration>,
    /// Time between a stop request and a kill.
    pub kill_grace: Duration,
    /// Set on a second Ctrl-C: kill stopping trials at once.
    pub kill_now: &'a AtomicBool,
    /// Set when the sweep is cancelled.
    pub cancel: &'a AtomicBool,
    /// Early-termination decisions for this process's runs.
    pub prune: &'a crate::PruneBoard,
}

/// How a supervised trial ended.
pub(crate) struct Supervised<E> {
    /// What the executor reported at the end; `None` when its channel closed without it.
    pub end: Option<E>,
    /// Set when the supervisor stopped the trial: the status and reason to record.
    pub stopped: Option<(RunStatus, String)>,
}

/// Supervises one trial until it ends. History is stored as it arrives; only storage
/// failures are errors (the trial is killed first, so it never runs unrecorded).
pub(crate) fn supervise<E>(
    store: &dyn Store,
    sup: &Supervision<'_>,
    trial: &mut dyn Running,
    rx: &Receiver<Msg<E>>,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Supervised<E>, StoreError> {
    let run_id = &sup.key.run_id;
    let mut pending: Vec<MetricRecord> = Vec::new();
    let mut bad = |source: &'static str, line: u64, message: String| {
        on_event(Event::BadLine {
            run_id: run_id.clone(),
            source: source.into(),
            line,
            message,
        })
    };
    let started = Instant::now();
    let mut last_beat = Instant::now();
    let beat_every = Duration::from_secs_f64((sup.lease_secs / 3.0).max(0.5));
    let mut stopping: Option<(RunStatus, String, Instant)> = None;
    let mut killed = false;
    let end = loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(msg) => {
                if let Some(end) = take(msg, &mut pending, &mut bad) {
                    break Some(end);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break None,
        }
        trial.poll(&mut pending, &mut bad, false);
        let mut stored = Ok(());
        if !pending.is_empty() {
            stored = flush(store, sup, &mut pending, on_event);
        }
        if stored.is_ok() && last_beat.elapsed() >= beat_every {
            stored = store.heartbeat(sup.key, sup.lease_secs);
            last_beat = Instant::now();
        }
        if let Err(e) = stored {
            // The store refused (for example this attempt lost its claim): the trial must
            // not go on unrecorded.
            trial.stop();
            trial.kill();
            return Err(e);
        }
        match &stopping {
            None => {
                let request = if sup.cancel.load(Ordering::SeqCst) {
                    Some((
                        RunStatus::Interrupted,
                        "interrupted: the sweep was stopped (SIGINT/SIGTERM)".to_string(),
                    ))
                } else if let Some(reason) = sup.prune.take(run_id) {
                    Some((RunStatus::Pruned, reason))
                } else {
                    sup.timeout
                        .filter(|t| started.elapsed() >= *t)
                        .map(|limit| {
                            (
                                RunStatus::Failed,
                                format!(
                                    "timed out after {}; {}",
                                    fmt_secs(limit),
                                    trial.stopped_how()
                                ),
                            )
                        })
                };
                if let Some((status, reason)) = request {
                    trial.stop();
                    stopping = Some((status, reason, Instant::now()));
                }
            }
            Some((_, _, since))
                if !killed
                    && (since.elapsed() >= sup.kill_grace
                        || sup.kill_now.load(Ordering::SeqCst)) =>
            {
                trial.kill();
                killed = true;
            }
            Some(_) => {}
        }
    };
    // Whatever the trial left behind ends with it.
    trial.kill();
    // Take what is still on its way; give up after a short while if something (a detached
    // descendant of a subprocess) keeps the channel open.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut end = end;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(msg) => {
                if let Some(e) = take(msg, &mut pending, &mut bad) {
                    end = end.or(Some(e));
                }
            }
            Err(_) => break,
        }
    }
    trial.poll(&mut pending, &mut bad, true);
    if !pending.is_empty() {
        flush(store, sup, &mut pending, on_event)?;
    }
    Ok(Supervised {
        end,
        stopped: stopping.map(|(status, reason, _)| (status, reason)),
    })
}

/// Files a message: records into `pending`, bad lines to `bad`; the end is returned.
fn take<E>(
    msg: Msg<E>,
    pending: &mut Vec<MetricRecord>,
    bad: &mut dyn FnMut(&'static str, u64, String),
) -> Option<E> {
    match msg {
        Msg::Record(r) => pending.push(r),
        Msg::Bad {
            source,
            line,
            message,
        } => bad(source, line, message),
        Msg::Ended(end) => return Some(end),
    }
    None
}

fn flush(
    store: &dyn Store,
    sup: &Supervision<'_>,
    pending: &mut Vec<MetricRecord>,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<(), StoreError> {
    let summary = store.append_history(sup.key, pending, sup.metric)?;
    pending.clear();
    on_event(Event::Progress {
        run_id: sup.key.run_id.clone(),
        summary,
    });
    Ok(())
}

/// `1s`, `0.250s`.
pub(crate) fn fmt_secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s:.3}s")
    }
}
