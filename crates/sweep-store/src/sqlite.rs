use crate::chunk;
use crate::model::*;
use crate::rows::{RawRun, SWEEP_COLS, corrupt, finish_sweep, run_id_base, status_of};
use crate::{Result, RunDir, RunRecord, Store, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use sweep_core::{
    History, MetricRecord, MetricSpec, Params, RunStatus, Summary, SweepSpec, parse_metric_line,
};

/// The schema, one migration per entry; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE sweeps (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    spec_text   TEXT NOT NULL,
    spec_path   TEXT,
    spec_json   TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    status      TEXT NOT NULL,
    created_at  REAL NOT NULL
);
CREATE TABLE runs (
    id           TEXT PRIMARY KEY,
    sweep_id     TEXT NOT NULL REFERENCES sweeps(id),
    number       INTEGER NOT NULL,
    status       TEXT NOT NULL,
    params_json  TEXT NOT NULL,
    config_json  TEXT NOT NULL,
    config_hash  TEXT NOT NULL,
    summary_json TEXT NOT NULL DEFAULT '{}',
    history_len  INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 1,
    created_at   REAL NOT NULL,
    started_at   REAL,
    ended_at     REAL,
    host         TEXT,
    pid          INTEGER,
    lease_until  REAL,
    exit_code    INTEGER,
    reason       TEXT,
    stderr_tail  TEXT,
    UNIQUE (sweep_id, number)
);
CREATE INDEX runs_by_sweep_status ON runs (sweep_id, status);
CREATE TABLE history (
    run_id      TEXT NOT NULL REFERENCES runs(id),
    step        INTEGER NOT NULL,
    record_json TEXT NOT NULL,
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
"#,
    r#"
ALTER TABLE runs ADD COLUMN note TEXT;
CREATE TABLE tags (
    run_id TEXT NOT NULL REFERENCES runs(id),
    tag    TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
"#,
    r#"
ALTER TABLE runs ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX runs_by_origin ON runs (origin) WHERE origin IS NOT NULL;
"#,
    r#"
ALTER TABLE runs ADD COLUMN name TEXT;
"#,
    // History by chunks (crate::chunk), a row per append instead of a row per record; the
    // rows of `history` are moved by `move_history_to_chunks` before it is dropped.
    r#"
CREATE TABLE history_chunks (
    run_id     TEXT NOT NULL REFERENCES runs(id),
    first_step INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    data       BLOB NOT NULL
);
CREATE UNIQUE INDEX history_chunks_by_run ON history_chunks (run_id, first_step);
"#,
];

/// The migration (index into [`MIGRATIONS`]) after which `history` rows become chunks.
const CHUNKS_MIGRATION: usize = 4;

const NOW: &str = "unixepoch('subsec')";

/// A run's columns, its tags last (joined by the unit separator; `id` in the subquery is
/// the outer run's, the tags table having no such column).
const RUN_COLS: &str = "id, sweep_id, number, status, params_json, config_json, config_hash, \
    summary_json, history_len, attempt, created_at, started_at, ended_at, host, pid, exit_code, \
    reason, stderr_tail, note, \
    (SELECT group_concat(tag, char(31)) FROM tags WHERE tags.run_id = id), origin, \
    COALESCE(name, (SELECT s.name FROM sweeps s WHERE s.id = sweep_id) || '-' || number)";

/// The embedded store: `<root>/sweep.db` (SQLite, WAL) and `<root>/runs/<run-id>/`.
pub struct SqliteStore {
    root: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store directory and migrates its schema.
    pub fn open(root: &Path) -> Result<Self> {
        // Absolute, so that the paths handed to trials hold wherever they `cd`.
        let root = &std::path::absolute(root).map_err(|source| StoreError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        std::fs::create_dir_all(root.join("runs")).map_err(|source| StoreError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        let db = root.join("sweep.db");
        let mut conn = Connection::open(&db)?;
        conn.busy_timeout(Duration::from_secs(60))?;
        // Switching to WAL and the first migration take locks that SQLite's busy handler
        // does not always wait for while another process is creating the same store, so
        // those steps retry on SQLITE_BUSY.
        retry_busy(|| {
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                conn.pragma_update(None, "journal_mode", "WAL")?;
            }
            Ok(())
        })?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        retry_busy(|| migrate(&mut conn, &db))?;
        Ok(SqliteStore {
            root: root.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// Opens a store that must exist already (for commands that only read).
    pub fn open_existing(root: &Path) -> Result<Self> {
        if !root.join("sweep.db").is_file() {
            return Err(StoreError::NoStore {
                path: root.to_path_buf(),
            });
        }
        Self::open(root)
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-call; SQLite's own
        // transaction rollback keeps the data consistent, so keep going.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn resolve_id(&self, conn: &Connection, table: &'static str, id: &str) -> Result<String> {
        let what = if table == "runs" { "run" } else { "sweep" };
        let exact: Option<String> = conn
            .query_row(
                &format!("SELECT id FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(found) = exact {
            return Ok(found);
        }
        let escaped = id
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let like = |pattern: String| -> Result<Vec<String>> {
            let mut stmt = conn.prepare(&format!(
                "SELECT id FROM {table} WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT 4"
            ))?;
            let ids = stmt
                .query_map([pattern], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        };
        let mut ids = like(format!("{escaped}%"))?;
        if ids.is_empty() && table == "runs" {
            // Run ids start with the time, shared by a sweep's runs: the config hash at the
            // end identifies them too.
            ids = like(format!("%{escaped}"))?;
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
}

/// Retries `f` while the database reports SQLITE_BUSY or SQLITE_LOCKED, for up to a minute.
fn retry_busy<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match f() {
            Err(StoreError::Db(rusqlite::Error::SqliteFailure(e, _)))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && start.elapsed() < Duration::from_secs(60) =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn migrate(conn: &mut Connection, db: &Path) -> Result<()> {
    // Under an immediate transaction so that many processes can start at once.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::SchemaTooNew {
            location: db.display().to_string(),
            found: version,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        if index == CHUNKS_MIGRATION {
            move_history_to_chunks(&tx)?;
        }
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

/// Rewrites the per-record `history` rows of every run as one chunk per run, then drops the
/// table (schema 4 to 5).
fn move_history_to_chunks(tx: &Connection) -> Result<()> {
    let mut runs = tx.prepare("SELECT DISTINCT run_id FROM history")?;
    let ids = runs
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut rows = tx.prepare("SELECT record_json FROM history WHERE run_id = ?1 ORDER BY step")?;
    for id in ids {
        let mut history = History::new();
        for text in rows.query_map([&id], |r| r.get::<_, String>(0))? {
            let (record, _) = parse_metric_line(&text?)
                .map_err(|e| corrupt(format!("history of run {id}"), e))?;
            history.push(&record);
        }
        insert_chunk(tx, &id, 0, &history)?;
    }
    tx.execute_batch("DROP TABLE history;")?;
    Ok(())
}

/// Writes `history` as the chunk of `run_id` starting at `first_step`.
fn insert_chunk(conn: &Connection, run_id: &str, first_step: u64, history: &History) -> Result<()> {
    if history.is_empty() {
        return Ok(());
    }
    exec(
        conn,
        "INSERT INTO history_chunks (run_id, first_step, n, data) VALUES (?1, ?2, ?3, ?4)",
        params![
            run_id,
            first_step as i64,
            history.len() as i64,
            chunk::encode(history)
        ],
    )?;
    Ok(())
}

/// `query_row` through the statement cache (the hot paths run the same SQL per trial).
fn q_row<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

/// `execute` through the statement cache.
fn exec<P: rusqlite::Params>(conn: &Connection, sql: &str, params: P) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

fn sweep_from_row(row: &Row<'_>) -> rusqlite::Result<(SweepRecord, String)> {
    let spec_json: String = row.get(4)?;
    let status: String = row.get(6)?;
    Ok((
        SweepRecord {
            id: row.get(0)?,
            name: row.get(1)?,
            spec_text: row.get(2)?,
            spec_path: row.get(3)?,
            spec: SweepSpec::new(sweep_core::Method::Grid, Vec::new()),
            seed: row.get::<_, i64>(5)? as u64,
            status: SweepStatus::parse(&status).unwrap_or(SweepStatus::Active),
            created_at: row.get(7)?,
        },
        spec_json,
    ))
}

fn raw_run(row: &Row<'_>) -> rusqlite::Result<RawRun> {
    Ok(RawRun {
        id: row.get(0)?,
        sweep_id: row.get(1)?,
        number: row.get(2)?,
        status: row.get(3)?,
        params_json: row.get(4)?,
        config_json: row.get(5)?,
        config_hash: row.get(6)?,
        summary_json: row.get(7)?,
        history_len: row.get(8)?,
        attempt: row.get(9)?,
        created_at: row.get(10)?,
        started_at: row.get(11)?,
        ended_at: row.get(12)?,
        host: row.get(13)?,
        pid: row.get(14)?,
        exit_code: row.get(15)?,
        reason: row.get(16)?,
        stderr_tail: row.get(17)?,
        note: row.get(18)?,
        tags: row.get(19)?,
        origin: row.get(20)?,
        name: row.get(21)?,
    })
}

/// A new run id, `YYYYMMDD_HHMMSS_<sweep name>_<hash8 of the config>` at `at` (unix
/// seconds; now when `None`), with `-2`, `-3`, … when taken.
fn new_run_id(
    conn: &Connection,
    sweep_name: &str,
    config: &sweep_core::Value,
    at: Option<f64>,
) -> Result<String> {
    let stamp: String = match at {
        Some(t) => q_row(
            conn,
            "SELECT strftime('%Y%m%d_%H%M%S', ?1, 'unixepoch')",
            [t],
            |r| r.get(0),
        )?,
        None => q_row(conn, "SELECT strftime('%Y%m%d_%H%M%S', 'now')", [], |r| {
            r.get(0)
        })?,
    };
    let base = run_id_base(&stamp, sweep_name, config);
    let mut id = base.clone();
    let mut n = 1;
    while q_row(conn, "SELECT 1 FROM runs WHERE id = ?1", [&id], |_| Ok(()))
        .optional()?
        .is_some()
    {
        n += 1;
        id = format!("{base}-{n}");
    }
    Ok(id)
}

fn load_run(conn: &Connection, id: &str) -> Result<RunRecord> {
    let raw = q_row(
        conn,
        &format!("SELECT {RUN_COLS} FROM runs WHERE id = ?1"),
        [id],
        raw_run,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "run",
        id: id.to_string(),
    })?;
    raw.into_record()
}

fn load_sweep(conn: &Connection, id: &str) -> Result<SweepRecord> {
    let pair = q_row(
        conn,
        &format!("SELECT {SWEEP_COLS} FROM sweeps WHERE id = ?1"),
        [id],
        sweep_from_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "sweep",
        id: id.to_string(),
    })?;
    finish_sweep(pair)
}

/// Checks that `key` still holds its claim; returns the run's current summary text and
/// history length.
fn check_claim(conn: &Connection, key: &RunKey) -> Result<(String, i64)> {
    let row: Option<(String, i64, String, i64)> = q_row(
        conn,
        "SELECT status, attempt, summary_json, history_len FROM runs WHERE id = ?1",
        [&key.run_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .optional()?;
    let Some((status, attempt, summary, len)) = row else {
        return Err(StoreError::NotFound {
            what: "run",
            id: key.run_id.clone(),
        });
    };
    let status = status_of(&status)?;
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
    Ok((summary, len))
}

/// JSON text of a record that keeps NaN and infinities (as strings, which
/// `parse_metric_line` reads back).
/// Every run of a sweep as a claim lists it, in creation order.
fn sweep_stamps(conn: &Connection, sweep_id: &str) -> Result<Vec<RunStamp>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, status, history_len, attempt FROM runs WHERE sweep_id = ?1 ORDER BY number",
    )?;
    let rows = stmt
        .query_map([sweep_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, status, history_len, attempt)| {
            Ok(RunStamp {
                status: status_of(&status)?,
                history_len: history_len as u64,
                attempt: attempt as u32,
                id,
            })
        })
        .collect()
}

/// The runs of sweep `sweep_id` with these ids, in this order, as the sampler reads them.
fn load_existing(conn: &Connection, sweep_id: &str, ids: &[&str]) -> Result<Vec<ExistingRun>> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, params_json, summary_json FROM runs WHERE id = ?1 AND sweep_id = ?2",
    )?;
    ids.iter()
        .map(|id| {
            let (status, params, summary): (String, String, String) = stmt
                .query_row(params![id, sweep_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    what: "run of this sweep",
                    id: id.to_string(),
                })?;
            Ok(ExistingRun {
                status: status_of(&status)?,
                params: serde_json::from_str::<Params>(&params)
                    .map_err(|e| corrupt(format!("params of run {id}"), e))?,
                summary: serde_json::from_str::<Summary>(&summary)
                    .map_err(|e| corrupt(format!("summary of run {id}"), e))?,
                id: id.to_string(),
            })
        })
        .collect()
}

impl Store for SqliteStore {
    fn create_sweep(&self, new: &NewSweep) -> Result<SweepRecord> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let spec_json =
            serde_json::to_string(&new.spec).map_err(|e| corrupt("spec of the new sweep", e))?;
        exec(
            &tx,
            &format!(
                "INSERT OR IGNORE INTO sweeps (id, name, spec_text, spec_path, spec_json, seed, status, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', {NOW})"
            ),
            params![
                new.id,
                new.name,
                new.spec_text,
                new.spec_path,
                spec_json,
                new.seed as i64
            ],
        )?;
        let sweep = load_sweep(&tx, &new.id)?;
        tx.commit()?;
        Ok(sweep)
    }

    fn sweep(&self, id: &str) -> Result<SweepRecord> {
        let conn = self.conn();
        let id = self.resolve_id(&conn, "sweeps", id)?;
        load_sweep(&conn, &id)
    }

    fn sweeps(&self) -> Result<Vec<SweepRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SWEEP_COLS} FROM sweeps ORDER BY created_at DESC, id"
        ))?;
        let rows = stmt
            .query_map([], sweep_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(finish_sweep).collect()
    }

    fn set_sweep_status(&self, id: &str, status: SweepStatus) -> Result<()> {
        let conn = self.conn();
        let n = exec(
            &conn,
            "UPDATE sweeps SET status = ?2 WHERE id = ?1",
            params![id, status.as_str()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "sweep",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    fn claim_run(
        &self,
        sweep_id: &str,
        owner: &Owner,
        run_cap: Option<u64>,
        propose: &mut dyn FnMut(&ClaimContext) -> Result<Proposal>,
    ) -> Result<Claim> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sweep = load_sweep(&tx, sweep_id)?;

        // 1. Retry a pending or interrupted run first.
        let retry: Option<String> = q_row(
            &tx,
            "SELECT id FROM runs WHERE sweep_id = ?1 AND status IN ('pending', 'interrupted') \
                 ORDER BY number LIMIT 1",
            [&sweep.id],
            |r| r.get(0),
        )
        .optional()?;
        if let Some(id) = retry {
            exec(
                &tx,
                &format!(
                    "UPDATE runs SET status = 'running', attempt = attempt + 1, started_at = {NOW}, \
                     ended_at = NULL, host = ?2, pid = ?3, lease_until = {NOW} + ?4, exit_code = NULL, \
                     reason = NULL, stderr_tail = NULL, summary_json = '{{}}', history_len = 0 \
                     WHERE id = ?1"
                ),
                params![id, owner.host, owner.pid, owner.lease_secs],
            )?;
            exec(&tx, "DELETE FROM history_chunks WHERE run_id = ?1", [&id])?;
            let run = load_run(&tx, &id)?;
            tx.commit()?;
            return Ok(Claim::Claimed {
                run: Box::new(run),
                retried: true,
            });
        }
        if sweep.status == SweepStatus::Finished {
            return Ok(Claim::Exhausted);
        }

        // 2. Respect run_cap.
        let count: i64 = q_row(
            &tx,
            "SELECT COUNT(*) FROM runs WHERE sweep_id = ?1",
            [&sweep.id],
            |r| r.get(0),
        )?;
        if run_cap.is_some_and(|cap| count as u64 >= cap) {
            return Ok(Claim::CapReached);
        }

        // 3. Ask the sampler, given every existing run.
        let stamps = sweep_stamps(&tx, &sweep.id)?;
        let load = |ids: &[&str]| load_existing(&tx, &sweep.id, ids);
        let proposal = propose(&ClaimContext::new(&sweep, &stamps, &load))?;
        let (params, config) = match proposal {
            Proposal::Exhausted => return Ok(Claim::Exhausted),
            Proposal::New { params, config } => (params, config),
        };

        let id = new_run_id(&tx, &sweep.name, &config, None)?;
        let params_json = serde_json::to_string(&params).map_err(|e| corrupt("new params", e))?;
        let config_json = serde_json::to_string(&config).map_err(|e| corrupt("new config", e))?;
        exec(
            &tx,
            &format!(
                "INSERT INTO runs (id, sweep_id, number, status, params_json, config_json, config_hash, \
                 attempt, created_at, started_at, host, pid, lease_until) \
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, 1, {NOW}, {NOW}, ?7, ?8, {NOW} + ?9)"
            ),
            params![
                id,
                sweep.id,
                count,
                params_json,
                config_json,
                sweep_core::config_hash(&config),
                owner.host,
                owner.pid,
                owner.lease_secs
            ],
        )?;
        let run = load_run(&tx, &id)?;
        tx.commit()?;
        Ok(Claim::Claimed {
            run: Box::new(run),
            retried: false,
        })
    }

    fn peek_runs(
        &self,
        sweep_id: &str,
        read: &mut dyn FnMut(&ClaimContext) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.conn();
        // A read transaction: one consistent view, and no write lock for other agents.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let sweep = load_sweep(&tx, sweep_id)?;
        let stamps = sweep_stamps(&tx, &sweep.id)?;
        let load = |ids: &[&str]| load_existing(&tx, &sweep.id, ids);
        read(&ClaimContext::new(&sweep, &stamps, &load))?;
        tx.commit()?;
        Ok(())
    }

    fn heartbeat(&self, run: &RunKey, lease_secs: f64) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_claim(&tx, run)?;
        exec(
            &tx,
            &format!("UPDATE runs SET lease_until = {NOW} + ?2 WHERE id = ?1"),
            params![run.run_id, lease_secs],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn append_history(
        &self,
        run: &RunKey,
        records: &[MetricRecord],
        metric: Option<&MetricSpec>,
    ) -> Result<Summary> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (summary_json, len) = check_claim(&tx, run)?;
        let mut summary: Summary = serde_json::from_str(&summary_json)
            .map_err(|e| corrupt(format!("summary of run {}", run.run_id), e))?;
        let chunk = History::from_records(records);
        chunk.fold_into(&mut summary, len as u64, metric);
        insert_chunk(&tx, &run.run_id, len as u64, &chunk)?;
        let text = serde_json::to_string(&summary).map_err(|e| corrupt("summary", e))?;
        exec(
            &tx,
            "UPDATE runs SET summary_json = ?2, history_len = ?3 WHERE id = ?1",
            params![run.run_id, text, len + records.len() as i64],
        )?;
        tx.commit()?;
        Ok(summary)
    }

    fn finish_run(&self, run: &RunKey, outcome: &RunOutcome) -> Result<RunRecord> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_claim(&tx, run)?;
        exec(
            &tx,
            &format!(
                "UPDATE runs SET status = ?2, exit_code = ?3, reason = ?4, stderr_tail = ?5, \
                 ended_at = {NOW}, lease_until = NULL WHERE id = ?1"
            ),
            params![
                run.run_id,
                outcome.status.as_str(),
                outcome.exit_code,
                outcome.reason,
                outcome.stderr_tail
            ],
        )?;
        let record = load_run(&tx, &run.run_id)?;
        tx.commit()?;
        Ok(record)
    }

    fn recover_stale(
        &self,
        sweep_id: Option<&str>,
        is_dead: &dyn Fn(&str, i64) -> bool,
    ) -> Result<Vec<RunKey>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Each running run: id, owner host and pid, whether its lease expired, attempt.
        type Candidate = (String, Option<String>, Option<i64>, bool, i64);
        let candidates: Vec<Candidate> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT id, host, pid, COALESCE(lease_until < {NOW}, 1), attempt FROM runs \
                 WHERE status = 'running' AND (?1 IS NULL OR sweep_id = ?1)"
            ))?;
            stmt.query_map([sweep_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let mut recovered = Vec::new();
        for (id, host, pid, expired, attempt) in candidates {
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
            exec(
                &tx,
                &format!(
                    "UPDATE runs SET status = 'interrupted', reason = ?2, ended_at = {NOW}, \
                     lease_until = NULL WHERE id = ?1"
                ),
                params![id, reason],
            )?;
            recovered.push(RunKey {
                run_id: id,
                attempt: attempt as u32,
            });
        }
        tx.commit()?;
        Ok(recovered)
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        let conn = self.conn();
        let sweep_id = match &filter.sweep_id {
            Some(id) => Some(self.resolve_id(&conn, "sweeps", id)?),
            None => None,
        };
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        let status_list = serde_json::to_string(&statuses).map_err(|e| corrupt("filter", e))?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RUN_COLS} FROM runs r WHERE (?1 IS NULL OR sweep_id = ?1) \
             AND (?2 = '[]' OR status IN (SELECT value FROM json_each(?2))) \
             ORDER BY (SELECT created_at FROM sweeps s WHERE s.id = r.sweep_id), sweep_id, number"
        ))?;
        let raws = stmt
            .query_map(params![sweep_id, status_list], raw_run)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(RawRun::into_record).collect()
    }

    fn run(&self, id: &str) -> Result<RunRecord> {
        let conn = self.conn();
        let id = self.resolve_id(&conn, "runs", id)?;
        load_run(&conn, &id)
    }

    fn import_run(&self, sweep_id: &str, run: &ImportedRun) -> Result<Option<RunRecord>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sweep = load_sweep(&tx, sweep_id)?;
        let taken = q_row(
            &tx,
            "SELECT 1 FROM runs WHERE origin = ?1",
            [&run.origin],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
        if taken {
            return Ok(None);
        }

        let number: i64 = q_row(
            &tx,
            "SELECT COALESCE(MAX(number) + 1, 0) FROM runs WHERE sweep_id = ?1",
            [&sweep.id],
            |r| r.get(0),
        )?;
        let id = new_run_id(&tx, &sweep.name, &run.config, run.started_at)?;
        let mut summary = Summary::new();
        run.history
            .fold_into(&mut summary, 0, sweep.spec.metric.as_ref());
        let params_json =
            serde_json::to_string(&run.params).map_err(|e| corrupt("imported params", e))?;
        let config_json =
            serde_json::to_string(&run.config).map_err(|e| corrupt("imported config", e))?;
        let summary_json =
            serde_json::to_string(&summary).map_err(|e| corrupt("imported summary", e))?;
        exec(
            &tx,
            &format!(
                "INSERT INTO runs (id, sweep_id, number, status, params_json, config_json, \
                 config_hash, summary_json, history_len, attempt, created_at, started_at, \
                 ended_at, reason, origin, name) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, {NOW}, ?10, ?11, ?12, ?13, ?14)"
            ),
            params![
                id,
                sweep.id,
                number,
                run.status.as_str(),
                params_json,
                config_json,
                sweep_core::config_hash(&run.config),
                summary_json,
                run.history.len() as i64,
                run.started_at,
                run.ended_at,
                run.reason,
                run.origin,
                run.name
            ],
        )?;
        insert_chunk(&tx, &id, 0, &run.history)?;
        {
            let mut tag =
                tx.prepare_cached("INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?1, ?2)")?;
            for t in &run.tags {
                tag.execute(params![id, t])?;
            }
        }
        let record = load_run(&tx, &id)?;
        tx.commit()?;
        Ok(Some(record))
    }

    fn tag_run(&self, id: &str, add: &[String], remove: &[String]) -> Result<RunRecord> {
        let mut conn = self.conn();
        let id = self.resolve_id(&conn, "runs", id)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for tag in add {
            tx.execute(
                "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?1, ?2)",
                rusqlite::params![id, tag],
            )?;
        }
        for tag in remove {
            tx.execute(
                "DELETE FROM tags WHERE run_id = ?1 AND tag = ?2",
                rusqlite::params![id, tag],
            )?;
        }
        tx.commit()?;
        load_run(&conn, &id)
    }

    fn rename_run(&self, id: &str, name: &str) -> Result<RunRecord> {
        let conn = self.conn();
        let id = self.resolve_id(&conn, "runs", id)?;
        conn.execute(
            "UPDATE runs SET name = ?2 WHERE id = ?1",
            rusqlite::params![id, name],
        )?;
        load_run(&conn, &id)
    }

    fn note_run(&self, id: &str, note: Option<&str>) -> Result<RunRecord> {
        let conn = self.conn();
        let id = self.resolve_id(&conn, "runs", id)?;
        conn.execute(
            "UPDATE runs SET note = ?2 WHERE id = ?1",
            rusqlite::params![id, note],
        )?;
        load_run(&conn, &id)
    }

    fn history(&self, run_id: &str) -> Result<Vec<MetricRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT data FROM history_chunks WHERE run_id = ?1 ORDER BY first_step",
        )?;
        let mut records = Vec::new();
        for data in stmt.query_map([run_id], |r| r.get::<_, Vec<u8>>(0))? {
            let chunk = chunk::decode(&data?)
                .map_err(|e| corrupt(format!("history of run {run_id}"), e))?;
            records.extend(chunk.records());
        }
        Ok(records)
    }

    fn metric_histories(&self, sweep_id: &str, metric: &str) -> Result<Vec<MetricHistory>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT r.id, r.status, c.data FROM runs r \
             LEFT JOIN history_chunks c ON c.run_id = r.id \
             WHERE r.sweep_id = ?1 ORDER BY r.number, c.first_step",
        )?;
        let mut rows = stmt.query(params![sweep_id])?;
        let mut out: Vec<MetricHistory> = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            if out.last().is_none_or(|h| h.run_id != id) {
                out.push(MetricHistory {
                    run_id: id.clone(),
                    status: status_of(&row.get::<_, String>(1)?)?,
                    values: Vec::new(),
                });
            }
            let Some(data) = row
                .get_ref(2)?
                .as_blob_or_null()
                .map_err(|e| corrupt(format!("history of run {id}"), e))?
            else {
                continue;
            };
            let (values, _) = chunk::decode_metric(data, metric)
                .map_err(|e| corrupt(format!("history of run {id}"), e))?;
            if let Some(h) = out.last_mut() {
                h.values.extend(values);
            }
        }
        Ok(out)
    }

    fn run_dir(&self, run_id: &str) -> RunDir {
        RunDir::new(self.root.join("runs").join(run_id))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! What only the SQLite backend does; everything the `Store` trait promises is checked
    //! by the conformance suite (module `conformance` below).
    use super::*;
    use sweep_core::{Distribution, Method, ParamSpec};

    pub(crate) fn store_with_a_run(dir: &Path) -> (SqliteStore, RunRecord) {
        let store = SqliteStore::open(dir).unwrap();
        let spec = SweepSpec::new(
            Method::Grid,
            vec![ParamSpec::new(
                "x",
                Distribution::Categorical {
                    values: vec![1.into()],
                },
            )],
        );
        store
            .create_sweep(&NewSweep {
                id: "s1".into(),
                name: "demo".into(),
                spec_text: String::new(),
                spec_path: None,
                spec,
                seed: 1,
            })
            .unwrap();
        let owner = Owner {
            host: "host-a".into(),
            pid: 42,
            lease_secs: 60.0,
        };
        let claim = store
            .claim_run("s1", &owner, None, &mut |_| {
                Ok(Proposal::New {
                    params: [("x".to_string(), 1.into())].into(),
                    config: serde_json::json!({"x": 1}),
                })
            })
            .unwrap();
        let Claim::Claimed { run, .. } = claim else {
            panic!("expected a claim, got {claim:?}");
        };
        (store, *run)
    }

    fn completed() -> RunOutcome {
        RunOutcome {
            status: RunStatus::Completed,
            exit_code: Some(0),
            reason: None,
            stderr_tail: None,
        }
    }

    #[test]
    fn the_store_is_a_directory_with_the_database_and_run_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let (store, run) = store_with_a_run(&dir.path().join("store"));
        assert!(store.root().is_absolute());
        assert!(store.root().join("sweep.db").is_file());
        assert!(store.root().join("runs").is_dir());
        assert_eq!(
            store.run_dir(&run.id).path(),
            store.root().join("runs").join(&run.id)
        );
    }

    #[test]
    fn open_existing_refuses_a_missing_store() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            SqliteStore::open_existing(dir.path()),
            Err(StoreError::NoStore { .. })
        ));
        assert!(!dir.path().join("sweep.db").exists(), "nothing was created");
        SqliteStore::open(dir.path()).unwrap();
        SqliteStore::open_existing(dir.path()).unwrap();
    }

    #[test]
    fn a_schema_4_store_keeps_its_history_as_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let (store, run) = store_with_a_run(dir.path());
        drop(store);
        // Back to schema 4: the per-record table, rows written as version 4 wrote them.
        let conn = Connection::open(dir.path().join("sweep.db")).unwrap();
        conn.execute_batch(
            "DROP TABLE history_chunks; \
             CREATE TABLE history (run_id TEXT NOT NULL REFERENCES runs(id), step INTEGER NOT NULL, \
             record_json TEXT NOT NULL, PRIMARY KEY (run_id, step)) WITHOUT ROWID; \
             PRAGMA user_version = 4;",
        )
        .unwrap();
        for (step, line) in [
            r#"{"loss": 2.5, "epoch": 0}"#,
            r#"{"loss": NaN}"#,
            r#"{"epoch": 2}"#,
        ]
        .iter()
        .enumerate()
        {
            conn.execute(
                "INSERT INTO history VALUES (?1, ?2, ?3)",
                params![run.id, step as i64, line],
            )
            .unwrap();
        }
        drop(conn);
        let store = SqliteStore::open(dir.path()).unwrap();
        let history = store.history(&run.id).unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[0]["loss"], 2.5);
        assert!(history[1]["loss"].is_nan());
        assert!(!history[1].contains_key("epoch"));
        assert_eq!(history[2]["epoch"], 2.0);
        let conn = store.conn();
        let tables: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'history'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "the old table is gone");
    }

    #[test]
    fn finishing_a_run_touches_the_database_only() {
        let dir = tempfile::tempdir().unwrap();
        let (store, run) = store_with_a_run(dir.path());
        let run_dir = store.run_dir(&run.id);
        std::fs::create_dir_all(run_dir.path()).unwrap();
        store.finish_run(&RunKey::of(&run), &completed()).unwrap();
        let files = std::fs::read_dir(run_dir.path()).unwrap().count();
        assert_eq!(
            files, 0,
            "the run directory belongs to its writer, not the store"
        );
    }
}

/// The conformance suite (`crate::testing`) on SQLite stores in temporary directories.
#[cfg(test)]
mod conformance {
    use super::{MIGRATIONS, SqliteStore};
    use crate::testing::Backend;
    use crate::{Result, Store};
    use std::path::PathBuf;
    use std::sync::Arc;

    /// A store directory: a fresh temporary one, or the one a parent process named.
    struct SqliteBackend {
        root: PathBuf,
        _dir: Option<tempfile::TempDir>,
    }

    impl SqliteBackend {
        fn fresh() -> Self {
            let dir = tempfile::tempdir().expect("a temporary directory");
            SqliteBackend {
                // Not created yet: the first `open` creates it.
                root: dir.path().join("store"),
                _dir: Some(dir),
            }
        }

        fn attach(locator: &str) -> Self {
            SqliteBackend {
                root: locator.into(),
                _dir: None,
            }
        }
    }

    impl Backend for SqliteBackend {
        fn open(&self) -> Result<Arc<dyn Store>> {
            Ok(Arc::new(SqliteStore::open(&self.root)?))
        }

        fn bump_schema_version(&self) {
            let conn = rusqlite::Connection::open(self.root.join("sweep.db")).unwrap();
            conn.pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1)
                .unwrap();
        }

        fn locator(&self) -> Option<String> {
            Some(self.root.to_str()?.to_string())
        }
    }

    crate::store_conformance_tests! {
        fresh: SqliteBackend::fresh(),
        attach: SqliteBackend::attach,
    }
}
