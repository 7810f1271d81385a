//! One external trial: a subprocess in its own process group, its output saved whole, its
//! metrics read from the metrics file and from stdout as they arrive. The supervisor
//! (`supervisor.rs`) owns its lifecycle; this file starts it, reads it and stops it.

use crate::Event;
use crate::resources::{Usage, wait_with_usage};
use crate::supervisor::{Msg, Running, Supervision, supervise};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use sweep_core::{MetricRecord, RecordError, RunStatus, parse_metric_line};
use sweep_store::{RunDir, RunOutcome, Store, StoreError};

/// How many bytes of stderr are kept in the store.
const STDERR_TAIL_BYTES: usize = 4096;

/// The program to start for one trial.
pub(crate) struct Subprocess<'a> {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: &'a Path,
    pub dir: &'a RunDir,
}

type SubMsg = Msg<(std::io::Result<ExitStatus>, Option<Usage>)>;

/// A started process group, as the supervisor sees it.
struct Group {
    pgid: i32,
    tail: MetricsTail,
}

impl Running for Group {
    fn poll(
        &mut self,
        out: &mut Vec<MetricRecord>,
        bad: &mut dyn FnMut(&'static str, u64, String),
        at_end: bool,
    ) {
        self.tail.poll(out, bad, at_end);
    }

    fn stop(&mut self) {
        signal_group(self.pgid, nix::sys::signal::Signal::SIGTERM);
    }

    fn kill(&mut self) {
        signal_group(self.pgid, nix::sys::signal::Signal::SIGKILL);
    }

    fn stopped_how(&self) -> &'static str {
        "its process group was killed"
    }
}

/// Runs one trial to its end and reports its outcome; history is written to the store as
/// it arrives. Only storage failures are errors: whatever the program does is an outcome.
pub(crate) fn run_subprocess(
    store: &dyn Store,
    plan: &Subprocess<'_>,
    sup: &Supervision<'_>,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<(RunOutcome, Option<Usage>), StoreError> {
    let io_err = |path: &Path, source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let stdout_file = File::create(plan.dir.stdout()).map_err(|e| io_err(&plan.dir.stdout(), e))?;
    let stderr_file = File::create(plan.dir.stderr()).map_err(|e| io_err(&plan.dir.stderr(), e))?;

    let mut cmd = Command::new(&plan.argv[0]);
    cmd.args(&plan.argv[1..])
        .current_dir(plan.cwd)
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    set_parent_death_signal(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let message = format!("could not start `{}`: {e}", plan.argv[0]);
            let _ = std::fs::write(plan.dir.stderr(), format!("{message}\n"));
            let outcome = RunOutcome {
                status: RunStatus::Failed,
                exit_code: None,
                reason: Some(message.clone()),
                stderr_tail: Some(message),
            };
            return Ok((outcome, None));
        }
    };
    let pgid = child.id() as i32;
    let (tx, rx) = mpsc::channel::<SubMsg>();
    // The readers report through shared state rather than by being joined: a detached
    // descendant may hold the pipes open long after the trial ended.
    let bad_stdout = Arc::new(Mutex::new(Vec::<u64>::new()));
    let stderr_tail = Arc::new(Mutex::new(Vec::<u8>::new()));
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        let bad = Arc::clone(&bad_stdout);
        std::thread::spawn(move || read_stdout(out, stdout_file, &tx, &bad));
    }
    if let Some(err) = child.stderr.take() {
        let tail = Arc::clone(&stderr_tail);
        let tx = tx.clone();
        std::thread::spawn(move || {
            read_stderr(err, stderr_file, &tail);
            drop(tx);
        });
    }
    spawn_waiter(child, tx);

    let mut group = Group {
        pgid,
        tail: MetricsTail::new(plan.dir.metrics()),
    };
    let supervised = supervise(store, sup, &mut group, &rx, on_event)?;
    let (exit, usage) = supervised.end.unwrap_or_else(|| {
        (
            Err(std::io::Error::other("lost track of the trial process")),
            None,
        )
    });
    let bad_stdout: Vec<u64> = bad_stdout.lock().map(|v| v.clone()).unwrap_or_default();
    let stderr_tail = stderr_tail
        .lock()
        .map(|t| tail_text(&t))
        .unwrap_or_default();

    let exit_code = exit.as_ref().ok().and_then(|s| s.code());
    let (status, mut reason) = match (supervised.stopped, &exit) {
        (Some((status, reason)), _) => (status, Some(reason)),
        (None, Ok(s)) if s.success() => (RunStatus::Completed, None),
        (None, Ok(s)) => match (s.code(), s.signal()) {
            (Some(code), _) => (RunStatus::Failed, Some(format!("exited with code {code}"))),
            (None, Some(sig)) => (
                RunStatus::Failed,
                Some(format!("killed by signal {}", signal_name(sig))),
            ),
            (None, None) => (RunStatus::Failed, Some("ended abnormally".to_string())),
        },
        (None, Err(e)) => (
            RunStatus::Failed,
            Some(format!("waiting for the trial failed: {e}")),
        ),
    };
    let tail = &group.tail;
    let bad = bad_stdout.len() + tail.bad.len();
    if bad > 0 {
        let mut places: Vec<String> = bad_stdout.iter().map(|l| format!("stdout:{l}")).collect();
        places.extend(tail.bad.iter().map(|l| format!("metrics.jsonl:{l}")));
        let more = if places.len() > 5 {
            format!(", {} more", places.len() - 5)
        } else {
            String::new()
        };
        places.truncate(5);
        let note = format!(
            "{bad} malformed metric line(s) ignored ({}{more})",
            places.join(", ")
        );
        reason = Some(match reason {
            Some(r) => format!("{r}; {note}"),
            None => note,
        });
    }
    let outcome = RunOutcome {
        status,
        exit_code,
        reason,
        stderr_tail: (!stderr_tail.is_empty()).then_some(stderr_tail),
    };
    Ok((outcome, usage))
}

fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| sig.to_string())
}

fn signal_group(pgid: i32, sig: nix::sys::signal::Signal) {
    // ESRCH (the group is gone) is the expected case after a normal exit.
    let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), sig);
}

fn spawn_waiter(child: Child, tx: Sender<SubMsg>) {
    std::thread::spawn(move || {
        let _ = tx.send(Msg::Ended(wait_with_usage(child)));
    });
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_parent_death_signal(cmd: &mut Command) {
    // SAFETY: prctl(PR_SET_PDEATHSIG) is async-signal-safe and touches no memory of the
    // parent; it makes the trial die with the worker thread that started it, so a
    // controller killed with SIGKILL leaves no orphaned trial behind.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn set_parent_death_signal(_cmd: &mut Command) {}

/// Whether a stdout line is meant as a metric record: it looks like a JSON object.
fn looks_like_record(line: &str) -> bool {
    line.trim_start().starts_with('{')
}

/// Copies stdout to its log; JSON-object lines become metric records. The line numbers of
/// malformed record lines go to `bad`.
fn read_stdout(out: impl Read, mut log: File, tx: &Sender<SubMsg>, bad: &Mutex<Vec<u64>>) {
    let mut reader = BufReader::new(out);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        line_no += 1;
        let _ = log.write_all(&buf);
        let text = String::from_utf8_lossy(&buf);
        if !looks_like_record(&text) {
            continue;
        }
        let msg = match parse_metric_line(&text) {
            Ok((record, _)) => Msg::Record(record),
            // A JSON object with no number in it (a structured log line) is not a metric.
            Err(RecordError::Empty) => continue,
            Err(e) => {
                if let Ok(mut b) = bad.lock() {
                    b.push(line_no);
                }
                Msg::Bad {
                    source: "stdout",
                    line: line_no,
                    message: e.to_string(),
                }
            }
        };
        if tx.send(msg).is_err() {
            break;
        }
    }
    let _ = log.flush();
}

/// Copies stderr to its log, keeping its tail in `tail`.
fn read_stderr(err: impl Read, mut log: File, tail: &Mutex<Vec<u8>>) {
    let mut reader = BufReader::new(err);
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let _ = log.write_all(&buf[..n]);
                if let Ok(mut t) = tail.lock() {
                    t.extend_from_slice(&buf[..n]);
                    if t.len() > 2 * STDERR_TAIL_BYTES {
                        let cut = t.len() - STDERR_TAIL_BYTES;
                        t.drain(..cut);
                    }
                }
            }
        }
    }
    let _ = log.flush();
}

/// The last `STDERR_TAIL_BYTES` of stderr as text, starting at a line boundary when cut.
fn tail_text(tail: &[u8]) -> String {
    let cut = tail.len() > STDERR_TAIL_BYTES;
    let tail = &tail[tail.len().saturating_sub(STDERR_TAIL_BYTES)..];
    let text = String::from_utf8_lossy(tail);
    let text = if cut {
        text.split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_else(|| text.to_string())
    } else {
        text.to_string()
    };
    text.trim_end().to_string()
}

/// Follows the metrics file: complete lines are read as they appear; a last line with no
/// newline is read only when the trial has ended, and ignored if it does not parse.
struct MetricsTail {
    path: PathBuf,
    offset: u64,
    line_no: u64,
    partial: Vec<u8>,
    /// Line numbers of malformed lines.
    bad: Vec<u64>,
}

impl MetricsTail {
    fn new(path: PathBuf) -> Self {
        MetricsTail {
            path,
            offset: 0,
            line_no: 0,
            partial: Vec::new(),
            bad: Vec::new(),
        }
    }

    fn poll(
        &mut self,
        out: &mut Vec<MetricRecord>,
        bad: &mut dyn FnMut(&'static str, u64, String),
        at_end: bool,
    ) {
        let Ok(mut file) = File::open(&self.path) else {
            return;
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut chunk = Vec::new();
        if let Ok(n) = file.read_to_end(&mut chunk) {
            self.offset += n as u64;
        }
        self.partial.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(pos) = self.partial[start..].iter().position(|b| *b == b'\n') {
            let line = String::from_utf8_lossy(&self.partial[start..start + pos]).into_owned();
            start += pos + 1;
            self.line(&line, out, bad, false);
        }
        self.partial.drain(..start);
        if at_end && !self.partial.is_empty() {
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            self.partial.clear();
            self.line(&line, out, bad, true);
        }
    }

    fn line(
        &mut self,
        line: &str,
        out: &mut Vec<MetricRecord>,
        bad: &mut dyn FnMut(&'static str, u64, String),
        truncated: bool,
    ) {
        self.line_no += 1;
        if line.trim().is_empty() {
            return;
        }
        match parse_metric_line(line) {
            Ok((record, _)) => out.push(record),
            // A truncated last line (the writer died mid-line) is ignored silently.
            Err(_) if truncated => {}
            Err(RecordError::Empty) => {}
            Err(e) => {
                self.bad.push(self.line_no);
                bad("metrics.jsonl", self.line_no, e.to_string());
            }
        }
    }
}
