//! What a trial cost, recorded as its last history record under `resources/`:
//! `resources/wall_s` (seconds from start to end), `resources/cpu_s` (user + system CPU
//! seconds: an external trial's process with the descendants it waited for, or the
//! in-process trainer's thread) and `resources/max_rss_mb` (an external trial's peak
//! resident memory, as the kernel reports it when the process is reaped).

use std::io;
use std::process::{Child, ExitStatus};
use sweep_core::MetricRecord;

/// The CPU time and peak memory of a finished trial.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Usage {
    pub cpu_s: f64,
    pub max_rss_mb: Option<f64>,
}

/// The `resources/…` record of a trial that ran `wall_s` seconds.
pub(crate) fn record(wall_s: f64, usage: Option<Usage>) -> MetricRecord {
    let mut r = MetricRecord::new();
    r.insert("resources/wall_s".into(), wall_s);
    if let Some(u) = usage {
        r.insert("resources/cpu_s".into(), u.cpu_s);
        if let Some(m) = u.max_rss_mb {
            r.insert("resources/max_rss_mb".into(), m);
        }
    }
    r
}

/// CPU seconds (user + system) the calling thread has used.
pub(crate) fn thread_cpu_s() -> Option<f64> {
    use nix::sys::resource::{UsageWho, getrusage};
    let u = getrusage(UsageWho::RUSAGE_THREAD).ok()?;
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    Some(secs(u.user_time()) + secs(u.system_time()))
}

/// Waits for `child` and reaps it with `wait4`, which also reports what it used; falls
/// back to `Child::wait` (no usage) should `wait4` fail for a reason other than a signal.
#[allow(unsafe_code)]
pub(crate) fn wait_with_usage(mut child: Child) -> (io::Result<ExitStatus>, Option<Usage>) {
    use std::os::unix::process::ExitStatusExt;
    let Ok(pid) = libc::pid_t::try_from(child.id()) else {
        return (child.wait(), None);
    };
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is this process's own child, not yet reaped (nothing else waits
        // for it: `child` is owned here); `status` and `usage` are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            let used = Usage {
                cpu_s: secs(usage.ru_utime) + secs(usage.ru_stime),
                // Linux reports kilobytes.
                max_rss_mb: Some(usage.ru_maxrss as f64 / 1024.0),
            };
            return (Ok(ExitStatus::from_raw(status)), Some(used));
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return (child.wait(), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_s_cpu_and_memory_are_measured_when_it_is_reaped() {
        // A shell that burns some CPU and touches ~20 MB.
        let child = std::process::Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3",
            ])
            .spawn();
        let Ok(child) = child else {
            panic!("sh is needed by this test");
        };
        let (status, usage) = wait_with_usage(child);
        assert_eq!(status.ok().and_then(|s| s.code()), Some(3));
        let usage = usage.unwrap_or_default();
        assert!(usage.cpu_s > 0.0, "{usage:?}");
        assert!(
            usage.max_rss_mb.is_some_and(|m| m > 0.5 && m < 1000.0),
            "{usage:?}"
        );
        let r = record(1.5, Some(usage));
        assert_eq!(r["resources/wall_s"], 1.5);
        assert!(r.contains_key("resources/cpu_s") && r.contains_key("resources/max_rss_mb"));
        assert_eq!(record(2.0, None).len(), 1);
        assert!(thread_cpu_s().is_some_and(|c| c >= 0.0));
    }
}
