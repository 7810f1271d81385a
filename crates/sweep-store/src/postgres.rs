//! The PostgreSQL store, for many machines: every agent that can reach the database joins
//! the same sweeps. The same tables as SQLite's; what differs is how claims stay exclusive
//! without one write lock for the whole database:
//!
//! - Retrying a pending or interrupted run is one statement, `UPDATE … WHERE id = (SELECT …
//!   FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id`: agents never wait on each other for it.
//! - A new run is created under the sweep's transaction-scoped advisory lock, held from
//!   listing the runs for the sampler to inserting its proposal, so that no two agents are
//!   given the same grid point or Bayesian proposal; claims of other sweeps do not wait.
//! - Every write of a claimed run is one statement conditional on the claim (`attempt` and
//!   `status` in its `WHERE`: fencing); when it changes nothing, a read says why.
//! - Every statement is prepared once per connection.
//! - Times are the database's clock (`clock_timestamp()`), so leases hold across machines
//!   whose clocks differ.
//! - The schema is created and migrated under `pg_advisory_xact_lock`, so a hundred agents
//!   may start at once on an empty database; a schema newer than this build is refused.
//!
//! Run directories live under a directory given with the store (a shared filesystem when
//! agents run on several machines): see [`PgStore::open`].

use crate::chunk;
use crate::model::*;
use crate::rows::{RawRun, SWEEP_COLS, corrupt, finish_sweep, run_id_base, status_of};
use crate::{Result, RunDir, RunRecord, Store, StoreError};
use ::postgres::types::ToSql;
use ::postgres::{Client, Config, GenericClient, Row, Statement};
use postgres_native_tls::MakeTlsConnector;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use sweep_core::{History, MetricRecord, MetricSpec, Params, RunStatus, Summary, SweepSpec};

/// The schema, one migration per entry; `sweep_schema.version` records how many ran.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE sweeps (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    spec_text   TEXT NOT NULL,
    spec_path   TEXT,
    spec_json   TEXT NOT NULL,
    seed        BIGINT NOT NULL,
    status      TEXT NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL
);
CREATE TABLE runs (
    id           TEXT PRIMARY KEY,
    sweep_id     TEXT NOT NULL REFERENCES sweeps(id),
    number       BIGINT NOT NULL,
    status       TEXT NOT NULL,
    params_json  TEXT NOT NULL,
    config_json  TEXT NOT NULL,
    config_hash  TEXT NOT NULL,
    summary_json TEXT NOT NULL DEFAULT '{}',
    history_len  BIGINT NOT NULL DEFAULT 0,
    attempt      BIGINT NOT NULL DEFAULT 1,
    created_at   DOUBLE PRECISION NOT NULL,
    started_at   DOUBLE PRECISION,
    ended_at     DOUBLE PRECISION,
    host         TEXT,
    pid          BIGINT,
    lease_until  DOUBLE PRECISION,
    exit_code    BIGINT,
    reason       TEXT,
    stderr_tail  TEXT,
    note         TEXT,
    origin       TEXT,
    name         TEXT,
    UNIQUE (sweep_id, number)
);
CREATE INDEX runs_by_sweep_status ON runs (sweep_id, status);
CREATE UNIQUE INDEX runs_by_origin ON runs (origin) WHERE origin IS NOT NULL;
CREATE TABLE tags (
    run_id TEXT NOT NULL REFERENCES runs(id),
    tag    TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
);
CREATE TABLE history_chunks (
    run_id     TEXT NOT NULL REFERENCES runs(id),
    first_step BIGINT NOT NULL,
    n          BIGINT NOT NULL,
    data       BYTEA NOT NULL,
    UNIQUE (run_id, first_step)
);
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#];

/// The database's clock, in unix seconds.
const NOW: &str = "extract(epoch from clock_timestamp())::float8";

/// Advisory-lock key of new runs (with a hash of the sweep's id as the second key): "SWEC".
const CLAIM_LOCK: i32 = 0x5357_4543;

/// Advisory-lock key of schema set-up (with the schema's name as the second key): "SWEE".
const SCHEMA_LOCK: i32 = 0x5357_4545;

/// A run's columns in [`RawRun`]'s order, its tags last but two (joined by the unit
/// separator).
const RUN_COLS: &str = "id, sweep_id, number, status, params_json, config_json, config_hash, \
    summary_json, history_len, attempt, created_at, started_at, ended_at, host, pid, exit_code, \
    reason, stderr_tail, note, \
    (SELECT string_agg(tag, chr(31)) FROM tags WHERE tags.run_id = runs.id), origin, \
    COALESCE(name, (SELECT s.name FROM sweeps s WHERE s.id = runs.sweep_id) || '-' || number)";

/// A store in a PostgreSQL database: tables in the connection's schema (its `search_path`),
/// run directories under [`PgStore::runs_root`].
pub struct PgStore {
    conn: Mutex<Conn>,
    config: Config,
    tls: MakeTlsConnector,
    /// The URL without its password, for messages.
    location: String,
    runs_root: PathBuf,
}

/// A connection and the statements prepared on it (each SQL text once per connection:
/// a claim is then a few round trips, not twice as many).
struct Conn {
    client: Client,
    prepared: HashMap<String, Statement>,
}

/// How a [`PgStore::transaction_as`] sees the database.
enum Isolation {
    /// Each statement sees what was committed before it began (PostgreSQL's default).
    ReadCommitted,
    /// Read only, one snapshot for the whole transaction.
    Snapshot,
}

/// A connection or one of its transactions, with the connection's prepared statements.
struct Db<'a, C: GenericClient> {
    c: &'a mut C,
    prepared: &'a mut HashMap<String, Statement>,
}

type Args<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<C: GenericClient> Db<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self.c.prepare(sql)?;
        self.prepared.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    fn query(&mut self, sql: &str, params: Args<'_>) -> Result<Vec<Row>> {
        let st = self.statement(sql)?;
        Ok(self.c.query(&st, params)?)
    }

    fn opt(&mut self, sql: &str, params: Args<'_>) -> Result<Option<Row>> {
        let st = self.statement(sql)?;
        Ok(self.c.query_opt(&st, params)?)
    }

    fn one(&mut self, sql: &str, params: Args<'_>) -> Result<Row> {
        let st = self.statement(sql)?;
        Ok(self.c.query_one(&st, params)?)
    }

    fn exec(&mut self, sql: &str, params: Args<'_>) -> Result<u64> {
        let st = self.statement(sql)?;
        Ok(self.c.execute(&st, params)?)
    }
}

impl PgStore {
    /// Connects to the database `url` names (`postgres://user@host:port/db?...`; TLS as
    /// its `sslmode` asks: `disable`, `prefer` (the default) and `require` as libpq does,
    /// without checking the server's certificate; `verify-ca` and `verify-full` check it
    /// against the system's roots or `sslrootcert=FILE`, and `verify-full` the host name
    /// too), creates or migrates the schema, and settles where run directories live:
    /// `runs_dir` when given (it is then recorded for the agents that come later), else the
    /// directory the store recorded, else `default_runs_dir` (recorded).
    pub fn open(url: &str, runs_dir: Option<&Path>, default_runs_dir: &Path) -> Result<Self> {
        let location = redact(url);
        let fail = |detail: String| StoreError::PgConnect {
            location: location.clone(),
            detail,
        };
        let (config, tls) = connect_config(url).map_err(&fail)?;
        let mut client = config
            .connect(tls.clone())
            .map_err(|e| fail(with_causes(&e)))?;
        migrate(&mut client, &location)?;
        let runs_root = settle_runs_root(&mut client, runs_dir, default_runs_dir)?;
        std::fs::create_dir_all(&runs_root).map_err(|source| StoreError::Io {
            path: runs_root.clone(),
            source,
        })?;
        Ok(PgStore {
            conn: Mutex::new(Conn {
                client,
                prepared: HashMap::new(),
            }),
            config,
            tls,
            location,
            runs_root,
        })
    }

    /// Runs `f` in a transaction on this store's connection, committed when `f` succeeds
    /// (rolled back when it fails).
    fn transaction<T>(
        &self,
        f: impl FnOnce(&mut Db<'_, ::postgres::Transaction<'_>>) -> Result<T>,
    ) -> Result<T> {
        self.transaction_as(Isolation::ReadCommitted, f)
    }

    /// [`PgStore::transaction`] at the isolation `level`.
    fn transaction_as<T>(
        &self,
        level: Isolation,
        f: impl FnOnce(&mut Db<'_, ::postgres::Transaction<'_>>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn()?;
        let Conn { client, prepared } = &mut *conn;
        let mut tx = match level {
            Isolation::ReadCommitted => client.transaction()?,
            Isolation::Snapshot => client
                .build_transaction()
                .isolation_level(::postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?,
        };
        let out = f(&mut Db {
            c: &mut tx,
            prepared,
        })?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on this store's connection, each statement a transaction of its own.
    fn plain<T>(&self, f: impl FnOnce(&mut Db<'_, Client>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let Conn { client, prepared } = &mut *conn;
        f(&mut Db {
            c: client,
            prepared,
        })
    }

    /// Where the run directories of this store live.
    pub fn runs_root(&self) -> &Path {
        &self.runs_root
    }

    /// The URL this store was opened with, its password left out.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The connection, opened again if the server closed it (a restart, an idle timeout):
    /// a statement that fails on a broken connection fails once; the next call reconnects.
    fn conn(&self) -> Result<MutexGuard<'_, Conn>> {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if guard.client.is_closed() {
            guard.client =
                self.config
                    .connect(self.tls.clone())
                    .map_err(|e| StoreError::PgConnect {
                        location: self.location.clone(),
                        detail: with_causes(&e),
                    })?;
            guard.prepared.clear();
        }
        Ok(guard)
    }
}

/// The connection settings and TLS connector for `url`. `verify-ca`/`verify-full` and
/// `sslrootcert`, which the driver's parser does not know, are read here and taken out.
fn connect_config(url: &str) -> std::result::Result<(Config, MakeTlsConnector), String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut verify: Option<bool> = None; // Some(check the host name)
    let mut root_cert: Option<String> = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", "verify-ca")) => verify = Some(false),
            Some(("sslmode", "verify-full")) => verify = Some(true),
            Some(("sslrootcert", path)) => root_cert = Some(path.to_string()),
            _ => kept.push(pair),
        }
    }
    if verify.is_some() {
        kept.push("sslmode=require");
    }
    let cleaned = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let config = Config::from_str(&cleaned).map_err(|e| format!("not a PostgreSQL URL: {e}"))?;
    let mut builder = native_tls::TlsConnector::builder();
    match verify {
        None => {
            builder
                .danger_accept_invalid_certs(true)
                .danger_accept_invalid_hostnames(true);
        }
        Some(check_host) => {
            builder.danger_accept_invalid_hostnames(!check_host);
        }
    }
    if let Some(path) = root_cert {
        let pem = std::fs::read(&path).map_err(|e| format!("sslrootcert {path}: {e}"))?;
        let cert = native_tls::Certificate::from_pem(&pem)
            .map_err(|e| format!("sslrootcert {path}: {e}"))?;
        builder.add_root_certificate(cert);
    }
    let connector = builder.build().map_err(|e| format!("TLS: {e}"))?;
    Ok((config, MakeTlsConnector::new(connector)))
}

/// An error's message followed by its causes' (the driver's top-level message alone, "error
/// performing TLS handshake", leaves out the certificate it refused).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// `url` with its password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

fn migrate(client: &mut Client, location: &str) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    // The usual case, an up-to-date schema, reads one row and takes no lock.
    let exists = client
        .query_opt(
            "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename = 'sweep_schema'",
            &[],
        )?
        .is_some();
    if exists {
        let version: Option<i64> = client
            .query_opt("SELECT version FROM sweep_schema", &[])?
            .map(|r| r.get(0));
        if version == Some(known) {
            return Ok(());
        }
    }
    let mut tx = client.transaction()?;
    // Only one connection sets up a schema at a time: plain `CREATE TABLE IF NOT EXISTS`
    // from several at once fails for some of them (unique violations in the catalog).
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
        &[&SCHEMA_LOCK],
    )?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS sweep_schema (version BIGINT NOT NULL)")?;
    let version: i64 = match tx.query_opt("SELECT version FROM sweep_schema", &[])? {
        Some(row) => row.get(0),
        None => {
            tx.execute("INSERT INTO sweep_schema (version) VALUES (0)", &[])?;
            0
        }
    };
    if version > known {
        return Err(StoreError::SchemaTooNew {
            location: location.to_string(),
            found: version,
            known,
        });
    }
    for sql in MIGRATIONS.iter().skip(version as usize) {
        tx.batch_execute(sql)?;
    }
    tx.execute("UPDATE sweep_schema SET version = $1", &[&known])?;
    tx.commit()?;
    Ok(())
}

/// Where run directories live: `given` (recorded as the store's), else the recorded one,
/// else `default` (recorded). Absolute, so the paths handed to trials hold wherever they
/// `cd`.
fn settle_runs_root(client: &mut Client, given: Option<&Path>, default: &Path) -> Result<PathBuf> {
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|source| StoreError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let recorded: Option<String> = client
        .query_opt("SELECT value FROM settings WHERE key = 'runs_dir'", &[])?
        .map(|r| r.get(0));
    let root = match (given, &recorded) {
        (Some(p), _) => absolute(p)?,
        (None, Some(r)) => PathBuf::from(r),
        (None, None) => absolute(default)?,
    };
    let text = root.to_str().ok_or_else(|| StoreError::Io {
        path: root.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not UTF-8"),
    })?;
    if recorded.as_deref() == Some(text) {
        return Ok(root);
    }
    client.execute(
        "INSERT INTO settings (key, value) VALUES ('runs_dir', $1) \
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&text],
    )?;
    Ok(root)
}

fn raw_run(row: &Row) -> RawRun {
    RawRun {
        id: row.get(0),
        sweep_id: row.get(1),
        number: row.get(2),
        status: row.get(3),
        params_json: row.get(4),
        config_json: row.get(5),
        config_hash: row.get(6),
        summary_json: row.get(7),
        history_len: row.get(8),
        attempt: row.get(9),
        created_at: row.get(10),
        started_at: row.get(11),
        ended_at: row.get(12),
        host: row.get(13),
        pid: row.get(14),
        exit_code: row.get(15),
        reason: row.get(16),
        stderr_tail: row.get(17),
        note: row.get(18),
        tags: row.get(19),
        origin: row.get(20),
        name: row.get(21),
    }
}

fn sweep_row(row: &Row) -> Result<SweepRecord> {
    let status: String = row.get(6);
    let seed: i64 = row.get(5);
    finish_sweep((
        SweepRecord {
            id: row.get(0),
            name: row.get(1),
            spec_text: row.get(2),
            spec_path: row.get(3),
            spec: SweepSpec::new(sweep_core::Method::Grid, Vec::new()),
            seed: seed as u64,
            status: SweepStatus::parse(&status).unwrap_or(SweepStatus::Active),
            created_at: row.get(7),
        },
        row.get(4),
    ))
}

fn load_sweep(db: &mut Db<'_, impl GenericClient>, id: &str) -> Result<SweepRecord> {
    let row = db
        .opt(
            &format!("SELECT {SWEEP_COLS} FROM sweeps WHERE id = $1"),
            &[&id],
        )?
        .ok_or_else(|| StoreError::NotFound {
            what: "sweep",
            id: id.to_string(),
        })?;
    sweep_row(&row)
}

fn load_run(db: &mut Db<'_, impl GenericClient>, id: &str) -> Result<RunRecord> {
    let row = db
        .opt(
            &format!("SELECT {RUN_COLS} FROM runs WHERE id = $1"),
            &[&id],
        )?
        .ok_or_else(|| StoreError::NotFound {
            what: "run",
            id: id.to_string(),
        })?;
    raw_run(&row).into_record()
}

/// The full id of the run or sweep `id` names: itself, else the one id it begins (or, for
/// runs, ends) with.
fn resolve_id(
    db: &mut Db<'_, impl GenericClient>,
    table: &'static str,
    id: &str,
) -> Result<String> {
    let what = if table == "runs" { "run" } else { "sweep" };
    let exact = format!("SELECT id FROM {table} WHERE id = $1");
    if let Some(row) = db.opt(&exact, &[&id])? {
        return Ok(row.get(0));
    }
    let escaped = id
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let like = format!("SELECT id FROM {table} WHERE id LIKE $1 ORDER BY id LIMIT 4");
    let mut ids: Vec<String> = db
        .query(&like, &[&format!("{escaped}%")])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if ids.is_empty() && table == "runs" {
        ids = db
            .query(&like, &[&format!("%{escaped}")])?
            .iter()
            .map(|r| r.get(0))
            .collect();
    }
    match ids.len() {
        0 => Err(StoreError::NotFound {
            what,
            id: id.to_string(),
        }),
        1 => Ok(ids.into_iter().next().unwrap_or_default()),
        _ => Err(StoreError::Ambiguous {
            id: id.to_string(),
            matches: ids.join(", "),
        }),
    }
}

/// A new run id at `at` (unix seconds; now when `None`) in the database's clock, with
/// `-2`, `-3`, … when taken.
fn new_run_id(
    db: &mut Db<'_, impl GenericClient>,
    sweep_name: &str,
    config: &sweep_core::Value,
    at: Option<f64>,
) -> Result<String> {
    let stamp: String = db
        .one(
            &format!(
                "SELECT to_char(to_timestamp(COALESCE($1::float8, {NOW})) AT TIME ZONE 'UTC', \
                 'YYYYMMDD_HH24MISS')"
            ),
            &[&at],
        )?
        .get(0);
    let base = run_id_base(&stamp, sweep_name, config);
    let mut id = base.clone();
    let mut n = 1;
    while db
        .opt("SELECT 1 FROM runs WHERE id = $1", &[&id])?
        .is_some()
    {
        n += 1;
        id = format!("{base}-{n}");
    }
    Ok(id)
}

fn insert_chunk(
    db: &mut Db<'_, impl GenericClient>,
    run_id: &str,
    first_step: u64,
    history: &History,
) -> Result<()> {
    if history.is_empty() {
        return Ok(());
    }
    db.exec(
        "INSERT INTO history_chunks (run_id, first_step, n, data) VALUES ($1, $2, $3, $4)",
        &[
            &run_id,
            &(first_step as i64),
            &(history.len() as i64),
            &chunk::encode(history),
        ],
    )?;
    Ok(())
}

/// Checks that the claim `key` still holds; returns the run's summary text and history
/// length. The writes that follow are conditional on the claim themselves (`attempt`,
/// `status`): a claim lost in between makes them change nothing, and [`lost_claim`] says
/// why.
fn check_claim(db: &mut Db<'_, impl GenericClient>, key: &RunKey) -> Result<(String, i64)> {
    let row = db.opt(
        "SELECT status, attempt, summary_json, history_len FROM runs WHERE id = $1",
        &[&key.run_id],
    )?;
    let Some(row) = row else {
        return Err(StoreError::NotFound {
            what: "run",
            id: key.run_id.clone(),
        });
    };
    let status = status_of(row.get(0))?;
    let attempt: i64 = row.get(1);
    if status.is_finished() && attempt as u32 == key.attempt {
        return Err(StoreError::Finished {
            run: key.run_id.clone(),
            status: status.to_string(),
        });
    }
    if status != RunStatus::Running || attempt as u32 != key.attempt {
        return Err(StoreError::Fenced {
            run: key.run_id.clone(),
            attempt: key.attempt,
        });
    }
    Ok((row.get(2), row.get(3)))
}

/// The error of a conditional write of claim `key` that changed nothing: why the claim no
/// longer holds (fenced when it looks held again: another write came in between).
fn lost_claim(db: &mut Db<'_, impl GenericClient>, key: &RunKey) -> StoreError {
    match check_claim(db, key) {
        Err(e) => e,
        Ok(_) => StoreError::Fenced {
            run: key.run_id.clone(),
            attempt: key.attempt,
        },
    }
}

/// Every run of a sweep as a claim lists it, in creation order.
fn sweep_stamps(db: &mut Db<'_, impl GenericClient>, sweep_id: &str) -> Result<Vec<RunStamp>> {
    db.query(
        "SELECT id, status, history_len, attempt FROM runs WHERE sweep_id = $1 ORDER BY number",
        &[&sweep_id],
    )?
    .iter()
    .map(|r| {
        let history_len: i64 = r.get(2);
        let attempt: i64 = r.get(3);
        Ok(RunStamp {
            id: r.get(0),
            status: status_of(r.get(1))?,
            history_len: history_len as u64,
            attempt: attempt as u32,
        })
    })
    .collect()
}

/// The runs of sweep `sweep_id` with these ids, in this order, as the sampler reads them.
fn load_existing(
    db: &mut Db<'_, impl GenericClient>,
    sweep_id: &str,
    ids: &[&str],
) -> Result<Vec<ExistingRun>> {
    let rows = db.query(
        "SELECT id, status, params_json, summary_json FROM runs \
         WHERE sweep_id = $1 AND id = ANY($2)",
        &[&sweep_id, &ids],
    )?;
    let mut by_id: std::collections::HashMap<String, &Row> =
        rows.iter().map(|r| (r.get(0), r)).collect();
    ids.iter()
        .map(|id| {
            let row = by_id.remove(*id).ok_or_else(|| StoreError::NotFound {
                what: "run of this sweep",
                id: id.to_string(),
            })?;
            Ok(ExistingRun {
                status: status_of(row.get(1))?,
                params: serde_json::from_str::<Params>(row.get(2))
                    .map_err(|e| corrupt(format!("params of run {id}"), e))?,
                summary: serde_json::from_str::<Summary>(row.get(3))
                    .map_err(|e| corrupt(format!("summary of run {id}"), e))?,
                id: id.to_string(),
            })
        })
        .collect()
}

/// `load` for a [`ClaimContext`] over a transaction that `propose` cannot reach otherwise:
/// the context wants `Fn`, the transaction needs `&mut`.
fn loader<'a, C: GenericClient>(
    db: &'a Mutex<&mut Db<'_, C>>,
    sweep_id: &'a str,
) -> impl Fn(&[&str]) -> Result<Vec<ExistingRun>> + 'a {
    move |ids| {
        let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
        load_existing(&mut db, sweep_id, ids)
    }
}

fn json<T: serde::Serialize>(value: &T, what: &str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt(what.to_string(), e))
}

impl Store for PgStore {
    fn create_sweep(&self, new: &NewSweep) -> Result<SweepRecord> {
        self.transaction(|db| {
            let spec_json = json(&new.spec, "spec of the new sweep")?;
            db.exec(
                &format!(
                    "INSERT INTO sweeps (id, name, spec_text, spec_path, spec_json, seed, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'active', {NOW}) ON CONFLICT (id) DO NOTHING"
                ),
                &[
                    &new.id,
                    &new.name,
                    &new.spec_text,
                    &new.spec_path,
                    &spec_json,
                    &(new.seed as i64),
                ],
            )?;
            let sweep = load_sweep(db, &new.id)?;
            Ok(sweep)
        })
    }

    fn sweep(&self, id: &str) -> Result<SweepRecord> {
        self.plain(|db| {
            let id = resolve_id(db, "sweeps", id)?;
            load_sweep(db, &id)
        })
    }

    fn sweeps(&self) -> Result<Vec<SweepRecord>> {
        self.plain(|db| {
            db.query(
                &format!("SELECT {SWEEP_COLS} FROM sweeps ORDER BY created_at DESC, id"),
                &[],
            )?
            .iter()
            .map(sweep_row)
            .collect()
        })
    }

    fn set_sweep_status(&self, id: &str, status: SweepStatus) -> Result<()> {
        self.plain(|db| {
            let n = db.exec(
                "UPDATE sweeps SET status = $2 WHERE id = $1",
                &[&id, &status.as_str()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "sweep",
                    id: id.to_string(),
                });
            }
            Ok(())
        })
    }

    fn claim_run(
        &self,
        sweep_id: &str,
        owner: &Owner,
        run_cap: Option<u64>,
        propose: &mut dyn FnMut(&ClaimContext) -> Result<Proposal>,
    ) -> Result<Claim> {
        self.transaction(|db| {

            // 1. Retry a pending or interrupted run first: one statement, skipping the rows
            //    other agents are taking.
            let retried = db.opt(
                &format!(
                    "UPDATE runs SET status = 'running', attempt = attempt + 1, started_at = {NOW}, \
                     ended_at = NULL, host = $2, pid = $3, lease_until = {NOW} + $4, \
                     exit_code = NULL, reason = NULL, stderr_tail = NULL, summary_json = '{{}}', \
                     history_len = 0 \
                     WHERE id = (SELECT id FROM runs WHERE sweep_id = $1 \
                                 AND status IN ('pending', 'interrupted') ORDER BY number \
                                 FOR UPDATE SKIP LOCKED LIMIT 1) \
                     RETURNING {RUN_COLS}"
                ),
                &[&sweep_id, &owner.host, &owner.pid, &owner.lease_secs],
            )?;
            if let Some(row) = retried {
                let run = raw_run(&row).into_record()?;
                db.exec("DELETE FROM history_chunks WHERE run_id = $1", &[&run.id])?;
                return Ok(Claim::Claimed {
                    run: Box::new(run),
                    retried: true,
                });
            }

            // 2. New runs of this sweep one at a time: the sweep's advisory lock is held from
            //    listing the runs for the sampler to inserting its proposal. (Not the sweep's
            //    row lock: all the waiters of a row lock wake at each commit and all but one
            //    wait again, which at 32 agents cost ten times the claim itself; an advisory
            //    lock is granted to one waiter at a time.) The same statement reads the sweep
            //    and the database's time for the new run's id.
            let row = db
                .opt(
                    &format!(
                        "SELECT {SWEEP_COLS}, to_char(clock_timestamp() AT TIME ZONE 'UTC', \
                         'YYYYMMDD_HH24MISS'), pg_advisory_xact_lock({CLAIM_LOCK}, hashtext($1)) \
                         FROM sweeps WHERE id = $1"
                    ),
                    &[&sweep_id],
                )?
                .ok_or_else(|| StoreError::NotFound {
                    what: "sweep",
                    id: sweep_id.to_string(),
                })?;
            let sweep = sweep_row(&row)?;
            let stamp: String = row.get(8);
            if sweep.status == SweepStatus::Finished {
                return Ok(Claim::Exhausted);
            }
            let stamps = sweep_stamps(db, &sweep.id)?;
            let count = stamps.len() as i64;
            if run_cap.is_some_and(|cap| count as u64 >= cap) {
                return Ok(Claim::CapReached);
            }

            // 3. Ask the sampler, given every existing run.
            let shared = Mutex::new(db);
            let proposal = {
                let load = loader(&shared, &sweep.id);
                propose(&ClaimContext::new(&sweep, &stamps, &load))?
            };
            let db = shared.into_inner().unwrap_or_else(|e| e.into_inner());
            let (params, config) = match proposal {
                Proposal::Exhausted => return Ok(Claim::Exhausted),
                Proposal::New { params, config } => (params, config),
            };

            let params_json = json(&params, "new params")?;
            let config_json = json(&config, "new config")?;
            let hash = sweep_core::config_hash(&config);
            let base = run_id_base(&stamp, &sweep.name, &config);
            // The id with `-2`, `-3`, … when taken: the insert says whether it was.
            let insert = format!(
                "INSERT INTO runs (id, sweep_id, number, status, params_json, config_json, \
                 config_hash, attempt, created_at, started_at, host, pid, lease_until) \
                 VALUES ($1, $2, $3, 'running', $4, $5, $6, 1, {NOW}, {NOW}, $7, $8, {NOW} + $9) \
                 ON CONFLICT (id) DO NOTHING RETURNING {RUN_COLS}"
            );
            let mut n = 1;
            let row = loop {
                let id = if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                };
                let inserted = db.opt(
                    &insert,
                    &[
                        &id,
                        &sweep.id,
                        &count,
                        &params_json,
                        &config_json,
                        &hash,
                        &owner.host,
                        &owner.pid,
                        &owner.lease_secs,
                    ],
                )?;
                if let Some(row) = inserted {
                    break row;
                }
                n += 1;
            };
            let run = raw_run(&row).into_record()?;
            Ok(Claim::Claimed {
                run: Box::new(run),
                retried: false,
            })
        })
    }

    fn peek_runs(
        &self,
        sweep_id: &str,
        read: &mut dyn FnMut(&ClaimContext) -> Result<()>,
    ) -> Result<()> {
        // One consistent view (a repeatable-read snapshot), and no lock for other agents.
        self.transaction_as(Isolation::Snapshot, |db| {
            let sweep = load_sweep(db, sweep_id)?;
            let stamps = sweep_stamps(db, &sweep.id)?;
            let shared = Mutex::new(db);
            let load = loader(&shared, &sweep.id);
            read(&ClaimContext::new(&sweep, &stamps, &load))
        })
    }

    fn heartbeat(&self, run: &RunKey, lease_secs: f64) -> Result<()> {
        self.plain(|db| {
            let attempt = i64::from(run.attempt);
            let n = db.exec(
                &format!(
                    "UPDATE runs SET lease_until = {NOW} + $3 \
                     WHERE id = $1 AND attempt = $2 AND status = 'running'"
                ),
                &[&run.run_id, &attempt, &lease_secs],
            )?;
            if n == 0 {
                return Err(lost_claim(db, run));
            }
            Ok(())
        })
    }

    fn append_history(
        &self,
        run: &RunKey,
        records: &[MetricRecord],
        metric: Option<&MetricSpec>,
    ) -> Result<Summary> {
        self.plain(|db| {
            let (summary_json, len) = check_claim(db, run)?;
            let mut summary: Summary = serde_json::from_str(&summary_json)
                .map_err(|e| corrupt(format!("summary of run {}", run.run_id), e))?;
            let chunk = History::from_records(records);
            if chunk.is_empty() {
                return Ok(summary);
            }
            chunk.fold_into(&mut summary, len as u64, metric);
            let text = json(&summary, "summary")?;
            // One statement: the summary and length move on, and the chunk is written, only if
            // the claim still holds and nothing was appended since the read (only the claim's
            // holder appends, so a mismatch means the claim was lost).
            let written = db.opt(
                "WITH moved AS (UPDATE runs SET summary_json = $3, history_len = $4 \
                     WHERE id = $1 AND attempt = $2 AND status = 'running' AND history_len = $5 \
                     RETURNING id) \
                 INSERT INTO history_chunks (run_id, first_step, n, data) \
                 SELECT id, $5, $6, $7 FROM moved RETURNING run_id",
                &[
                    &run.run_id,
                    &i64::from(run.attempt),
                    &text,
                    &(len + chunk.len() as i64),
                    &len,
                    &(chunk.len() as i64),
                    &chunk::encode(&chunk),
                ],
            )?;
            if written.is_none() {
                return Err(lost_claim(db, run));
            }
            Ok(summary)
        })
    }

    fn finish_run(&self, run: &RunKey, outcome: &RunOutcome) -> Result<RunRecord> {
        self.plain(|db| {
            let row = db.opt(
                &format!(
                    "UPDATE runs SET status = $3, exit_code = $4, reason = $5, stderr_tail = $6, \
                     ended_at = {NOW}, lease_until = NULL \
                     WHERE id = $1 AND attempt = $2 AND status = 'running' RETURNING {RUN_COLS}"
                ),
                &[
                    &run.run_id,
                    &i64::from(run.attempt),
                    &outcome.status.as_str(),
                    &outcome.exit_code.map(i64::from),
                    &outcome.reason,
                    &outcome.stderr_tail,
                ],
            )?;
            match row {
                Some(row) => raw_run(&row).into_record(),
                None => Err(lost_claim(db, run)),
            }
        })
    }

    fn recover_stale(
        &self,
        sweep_id: Option<&str>,
        is_dead: &dyn Fn(&str, i64) -> bool,
    ) -> Result<Vec<RunKey>> {
        self.transaction(|db| {
            // Rows another agent is writing (a heartbeat, a finish) are skipped: they are live.
            let candidates = db.query(
                &format!(
                    "SELECT id, host, pid, COALESCE(lease_until < {NOW}, true), attempt FROM runs \
                     WHERE status = 'running' AND ($1::text IS NULL OR sweep_id = $1) \
                     FOR UPDATE SKIP LOCKED"
                ),
                &[&sweep_id],
            )?;
            let mut recovered = Vec::new();
            for row in candidates {
                let id: String = row.get(0);
                let host: Option<String> = row.get(1);
                let pid: Option<i64> = row.get(2);
                let expired: bool = row.get(3);
                let attempt: i64 = row.get(4);
                let dead = match (&host, pid) {
                    (Some(h), Some(p)) => is_dead(h, p),
                    _ => false,
                };
                if !(expired || dead) {
                    continue;
                }
                let reason = if dead {
                    format!(
                        "its controller (pid {} on {}) is gone",
                        pid.unwrap_or_default(),
                        host.unwrap_or_default()
                    )
                } else {
                    "its controller stopped renewing its lease".to_string()
                };
                db.exec(
                    &format!(
                        "UPDATE runs SET status = 'interrupted', reason = $2, ended_at = {NOW}, \
                         lease_until = NULL WHERE id = $1"
                    ),
                    &[&id, &reason],
                )?;
                recovered.push(RunKey {
                    run_id: id,
                    attempt: attempt as u32,
                });
            }
            Ok(recovered)
        })
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        self.plain(|db| {
            let sweep_id = match &filter.sweep_id {
                Some(id) => Some(resolve_id(db, "sweeps", id)?),
                None => None,
            };
            let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
            let rows = db.query(
                &format!(
                    "SELECT {RUN_COLS} FROM runs WHERE ($1::text IS NULL OR sweep_id = $1) \
                     AND (cardinality($2::text[]) = 0 OR status = ANY($2)) \
                     ORDER BY (SELECT created_at FROM sweeps s WHERE s.id = runs.sweep_id), \
                     sweep_id, number"
                ),
                &[&sweep_id, &statuses],
            )?;
            rows.iter().map(|r| raw_run(r).into_record()).collect()
        })
    }

    fn run(&self, id: &str) -> Result<RunRecord> {
        self.plain(|db| {
            let id = resolve_id(db, "runs", id)?;
            load_run(db, &id)
        })
    }

    fn import_run(&self, sweep_id: &str, run: &ImportedRun) -> Result<Option<RunRecord>> {
        self.transaction(|db| {
            let sweep = load_sweep(db, sweep_id)?;
            // Run numbers of this sweep one at a time, as claims take them.
            db.exec(
                "SELECT 1 FROM sweeps WHERE id = $1 FOR UPDATE",
                &[&sweep.id],
            )?;
            if db
                .opt("SELECT 1 FROM runs WHERE origin = $1", &[&run.origin])?
                .is_some()
            {
                return Ok(None);
            }
            let number: i64 = db
                .one(
                    "SELECT COALESCE(MAX(number) + 1, 0) FROM runs WHERE sweep_id = $1",
                    &[&sweep.id],
                )?
                .get(0);
            let id = new_run_id(db, &sweep.name, &run.config, run.started_at)?;
            let mut summary = Summary::new();
            run.history
                .fold_into(&mut summary, 0, sweep.spec.metric.as_ref());
            let params_json = json(&run.params, "imported params")?;
            let config_json = json(&run.config, "imported config")?;
            let summary_json = json(&summary, "imported summary")?;
            let values: [&(dyn ToSql + Sync); 14] = [
                &id,
                &sweep.id,
                &number,
                &run.status.as_str(),
                &params_json,
                &config_json,
                &sweep_core::config_hash(&run.config),
                &summary_json,
                &(run.history.len() as i64),
                &run.started_at,
                &run.ended_at,
                &run.reason,
                &run.origin,
                &run.name,
            ];
            db.exec(
                &format!(
                    "INSERT INTO runs (id, sweep_id, number, status, params_json, config_json, \
                     config_hash, summary_json, history_len, attempt, created_at, started_at, \
                     ended_at, reason, origin, name) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, {NOW}, $10, $11, $12, $13, $14)"
                ),
                &values,
            )?;
            insert_chunk(db, &id, 0, &run.history)?;
            for t in &run.tags {
                db.exec(
                    "INSERT INTO tags (run_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&id, t],
                )?;
            }
            let record = load_run(db, &id)?;
            Ok(Some(record))
        })
    }

    fn tag_run(&self, id: &str, add: &[String], remove: &[String]) -> Result<RunRecord> {
        self.transaction(|db| {
            let id = resolve_id(db, "runs", id)?;
            for tag in add {
                db.exec(
                    "INSERT INTO tags (run_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&id, tag],
                )?;
            }
            for tag in remove {
                db.exec(
                    "DELETE FROM tags WHERE run_id = $1 AND tag = $2",
                    &[&id, tag],
                )?;
            }
            let record = load_run(db, &id)?;
            Ok(record)
        })
    }

    fn rename_run(&self, id: &str, name: &str) -> Result<RunRecord> {
        self.plain(|db| {
            let id = resolve_id(db, "runs", id)?;
            db.exec("UPDATE runs SET name = $2 WHERE id = $1", &[&id, &name])?;
            load_run(db, &id)
        })
    }

    fn note_run(&self, id: &str, note: Option<&str>) -> Result<RunRecord> {
        self.plain(|db| {
            let id = resolve_id(db, "runs", id)?;
            db.exec("UPDATE runs SET note = $2 WHERE id = $1", &[&id, &note])?;
            load_run(db, &id)
        })
    }

    fn history(&self, run_id: &str) -> Result<Vec<MetricRecord>> {
        self.plain(|db| {
            let mut records = Vec::new();
            for row in db.query(
                "SELECT data FROM history_chunks WHERE run_id = $1 ORDER BY first_step",
                &[&run_id],
            )? {
                let data: &[u8] = row.get(0);
                let chunk = chunk::decode(data)
                    .map_err(|e| corrupt(format!("history of run {run_id}"), e))?;
                records.extend(chunk.records());
            }
            Ok(records)
        })
    }

    fn metric_histories(&self, sweep_id: &str, metric: &str) -> Result<Vec<MetricHistory>> {
        self.plain(|db| {
            let rows = db.query(
                "SELECT r.id, r.status, c.data FROM runs r \
                 LEFT JOIN history_chunks c ON c.run_id = r.id \
                 WHERE r.sweep_id = $1 ORDER BY r.number, c.first_step",
                &[&sweep_id],
            )?;
            let mut out: Vec<MetricHistory> = Vec::new();
            for row in rows {
                let id: String = row.get(0);
                if out.last().is_none_or(|h| h.run_id != id) {
                    out.push(MetricHistory {
                        run_id: id.clone(),
                        status: status_of(row.get(1))?,
                        values: Vec::new(),
                    });
                }
                let Some(data) = row.get::<_, Option<&[u8]>>(2) else {
                    continue;
                };
                let (values, _) = chunk::decode_metric(data, metric)
                    .map_err(|e| corrupt(format!("history of run {id}"), e))?;
                if let Some(h) = out.last_mut() {
                    h.values.extend(values);
                }
            }
            Ok(out)
        })
    }

    fn run_dir(&self, run_id: &str) -> RunDir {
        RunDir::new(self.runs_root.join(run_id))
    }
}

/// The conformance suite (`crate::testing`) on PostgreSQL: each check in a fresh schema of
/// the test server ([`crate::testing::postgres_url`]).
#[cfg(test)]
mod conformance {
    use super::{MIGRATIONS, PgStore};
    use crate::testing::{Backend, drop_schema, fresh_schema, postgres_url, require_postgres};
    use crate::{Result, Store};
    use std::path::PathBuf;
    use std::sync::Arc;

    /// One schema of the test database, and a directory for its run directories.
    struct PgBackend {
        url: String,
        runs: PathBuf,
        /// Set on a fresh backend, which drops its schema when dropped.
        fresh: Option<(String, String, tempfile::TempDir)>,
    }

    impl Drop for PgBackend {
        fn drop(&mut self) {
            if let Some((base, schema, _)) = &self.fresh {
                drop_schema(base, schema);
            }
        }
    }

    fn available() -> bool {
        require_postgres("the PostgreSQL store's conformance suite").is_some()
    }

    impl PgBackend {
        fn fresh() -> Self {
            let base = postgres_url().unwrap_or_else(|why| panic!("no test server: {why}"));
            let (url, schema) = fresh_schema(base);
            let dir = tempfile::tempdir().expect("a temporary directory");
            PgBackend {
                url,
                runs: dir.path().join("runs"),
                fresh: Some((base.to_string(), schema, dir)),
            }
        }

        fn attach(locator: &str) -> Self {
            let (url, runs) = locator.split_once('\t').unwrap_or((locator, "runs"));
            PgBackend {
                url: url.to_string(),
                runs: runs.into(),
                fresh: None,
            }
        }
    }

    impl Backend for PgBackend {
        fn open(&self) -> Result<Arc<dyn Store>> {
            Ok(Arc::new(PgStore::open(
                &self.url,
                Some(&self.runs),
                &self.runs,
            )?))
        }

        fn bump_schema_version(&self) {
            let mut client = ::postgres::Client::connect(&self.url, ::postgres::NoTls)
                .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url));
            client
                .execute(
                    "UPDATE sweep_schema SET version = $1",
                    &[&(MIGRATIONS.len() as i64 + 1)],
                )
                .unwrap_or_else(|e| panic!("bumping the schema version: {e}"));
        }

        fn locator(&self) -> Option<String> {
            Some(format!("{}\t{}", self.url, self.runs.to_str()?))
        }
    }

    crate::store_conformance_tests! {
        available: available(),
        fresh: PgBackend::fresh(),
        attach: PgBackend::attach,
    }
}

/// TLS as the URL asks for it, against the test server's TLS (a self-signed certificate).
#[cfg(test)]
mod tls {
    use super::PgStore;
    use crate::StoreError;
    use crate::testing::{postgres_tls_root, require_postgres, skip_or_fail};

    /// Whether the store's own connection is encrypted.
    fn encrypted(store: &PgStore) -> bool {
        let mut conn = store.conn().expect("a connection");
        conn.client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .expect("pg_stat_ssl")
            .get(0)
    }

    #[test]
    fn tls_is_used_and_verified_as_the_url_asks() {
        let test = "tls_is_used_and_verified_as_the_url_asks";
        let Some(base) = require_postgres(test) else {
            return;
        };
        let root = match postgres_tls_root() {
            Ok(root) => root,
            Err(why) => {
                skip_or_fail(
                    test,
                    "SWEEP_REQUIRE_PG",
                    &why,
                    "a TLS server of the test cluster",
                );
                return;
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let open = |query: &str| {
            let url = base.replace("127.0.0.1", "localhost");
            PgStore::open(&format!("{url}?{query}"), Some(&runs), &runs)
        };
        let plain = open("sslmode=disable").unwrap();
        assert!(!encrypted(&plain));
        let required = open("sslmode=require").unwrap();
        assert!(encrypted(&required), "sslmode=require encrypts");
        let verified = open(&format!(
            "sslmode=verify-full&sslrootcert={}",
            root.display()
        ))
        .unwrap();
        assert!(encrypted(&verified));
        // A self-signed certificate nobody said to trust is refused, with the reason.
        match open("sslmode=verify-full") {
            Err(StoreError::PgConnect { detail, .. }) => {
                assert!(detail.to_lowercase().contains("certificate"), "{detail}")
            }
            Err(other) => panic!("expected a connection error, got {other}"),
            Ok(_) => panic!("an untrusted certificate was accepted"),
        }
    }
}
