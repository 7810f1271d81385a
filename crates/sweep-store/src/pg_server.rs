//! A PostgreSQL server for tests: the one `SWEEP_TEST_PG_URL` names, else a private
//! throwaway cluster this process starts once (when PostgreSQL's server binaries are
//! installed, as Debian's `postgresql` puts them) and that stops when the process ends.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The URL of a PostgreSQL database the tests may use (each test makes its own schema), or
/// why there is none. Under CI or with `SWEEP_REQUIRE_PG=1` (what `.ci/run` sets), "none"
/// is a failure, not a skip: see [`require_postgres`].
pub fn postgres_url() -> Result<&'static str, &'static str> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var("SWEEP_TEST_PG_URL") {
            Ok(url) if !url.is_empty() => Ok(url),
            _ => start_private_cluster(),
        })
        .as_ref()
        .map(String::as_str)
        .map_err(String::as_str)
}

/// [`postgres_url`] for a test: the URL, or `None` after printing why the test is skipped;
/// it panics instead where PostgreSQL is required ([`skip_or_fail`]), so that CI never
/// passes a PostgreSQL test that did not run.
pub fn require_postgres(test: &str) -> Option<&'static str> {
    match postgres_url() {
        Ok(url) => Some(url),
        Err(why) => {
            skip_or_fail(
                test,
                "SWEEP_REQUIRE_PG",
                why,
                "`.ci/run` installs Debian's postgresql",
            );
            None
        }
    }
}

/// What a test does when something it needs from outside the project (a PostgreSQL
/// server, Slurm, a browser) is missing for the reason `why`: under CI (`CI` set to
/// anything but `false` or `0`, as every CI service and `CI=true bash .ci/run` set it) or
/// with `flag` set to `1` it panics, so that no check passes without running; elsewhere it
/// prints `SKIPPED test: why (hint)` and returns, and the caller returns too.
pub fn skip_or_fail(test: &str, flag: &str, why: &str, hint: &str) {
    let set = |name: &str, off: &[&str]| {
        std::env::var(name).is_ok_and(|v| !v.is_empty() && !off.contains(&v.as_str()))
    };
    if set(flag, &["0"]) || set("CI", &["false", "0"]) {
        panic!("{test}: required here ({flag}=1 or CI set) but {why} ({hint})");
    }
    eprintln!("SKIPPED {test}: {why} ({hint})");
}

/// A new, empty schema in the test database: the URL of the database with that schema
/// as its `search_path`, and the schema's name. Panics when the server refuses.
pub fn fresh_schema(base: &str) -> (String, String) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    );
    let mut client = ::postgres::Client::connect(base, ::postgres::NoTls)
        .unwrap_or_else(|e| panic!("connecting to {base}: {e}"));
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap_or_else(|e| panic!("creating schema {schema}: {e}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    (
        format!("{base}{sep}options=-csearch_path%3D{schema}"),
        schema,
    )
}

/// Drops a schema [`fresh_schema`] made (best effort: for tidiness, not correctness).
pub fn drop_schema(base: &str, schema: &str) {
    if let Ok(mut client) = ::postgres::Client::connect(base, ::postgres::NoTls) {
        let _ = client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    }
}

/// The certificate of the private cluster's TLS (self-signed, for `localhost` and
/// 127.0.0.1), once [`postgres_url`] started one with TLS.
static TLS_ROOT: OnceLock<PathBuf> = OnceLock::new();

/// The certificate a client must trust to verify the test server's TLS, or why there is
/// none (a server named by `SWEEP_TEST_PG_URL`, no openssl, no server at all).
pub fn postgres_tls_root() -> Result<&'static Path, String> {
    postgres_url().map_err(str::to_string)?;
    TLS_ROOT.get().map(PathBuf::as_path).ok_or_else(|| {
        "the test server has no TLS of this process's making (SWEEP_TEST_PG_URL, or no openssl)"
            .to_string()
    })
}

/// A self-signed certificate and its key in `dir`, readable by the server.
fn self_signed(dir: &Path, root: bool) -> Option<(PathBuf, PathBuf)> {
    let (crt, key) = (dir.join("server.crt"), dir.join("server.key"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !made {
        return None;
    }
    let owned = !root
        || Command::new("chown")
            .arg("postgres:postgres")
            .args([&crt, &key])
            .status()
            .is_ok_and(|s| s.success());
    let private = Command::new("chmod")
        .arg("600")
        .arg(&key)
        .status()
        .is_ok_and(|s| s.success());
    (owned && private).then_some((crt, key))
}

/// The newest `bin` directory of an installed PostgreSQL server.
fn server_bin() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs `program args` (as the `postgres` user when this process is root: the server
/// refuses to run as root), failing with its output.
fn run(as_postgres: bool, program: &Path, args: &[&str]) -> Result<(), String> {
    let mut cmd = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {}: {e}", program.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn start_private_cluster() -> Result<String, String> {
    let bin = server_bin()
        .ok_or("PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb)")?;
    let root = is_root();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("sweep-test-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if root {
        let owned = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !owned {
            return Err(format!(
                "cannot give {} to the postgres user",
                dir.display()
            ));
        }
    }
    let data = dir.join("data");
    let data_s = data.to_string_lossy().to_string();
    let dir_s = dir.to_string_lossy().to_string();
    run(
        root,
        &bin.join("initdb"),
        &[
            "-D",
            &data_s,
            "-U",
            "sweep",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let mut options = format!(
        "-c listen_addresses=127.0.0.1 -p {port} -k {dir_s} -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    );
    // TLS too, with a self-signed certificate for `localhost`, when openssl is at hand.
    if let Some((crt, key)) = self_signed(&dir, root) {
        options.push_str(&format!(
            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            crt.display(),
            key.display()
        ));
        let _ = TLS_ROOT.set(crt);
    }
    let log = dir.join("log").to_string_lossy().to_string();
    let pg_ctl = bin.join("pg_ctl");
    run(
        root,
        &pg_ctl,
        &[
            "-D", &data_s, "-l", &log, "-w", "-t", "30", "-o", &options, "start",
        ],
    )?;
    // The watchdog: stops the cluster and removes its directory once this process is gone.
    let stop = if root {
        format!(
            "runuser -u postgres -- '{}' -D '{data_s}' -m immediate -w stop",
            pg_ctl.display()
        )
    } else {
        format!("'{}' -D '{data_s}' -m immediate -w stop", pg_ctl.display())
    };
    let script = format!(
        "while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir_s}'",
        parent = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the cluster's watchdog: {e}"))?;
    Ok(format!("postgresql://sweep@127.0.0.1:{port}/postgres"))
}
