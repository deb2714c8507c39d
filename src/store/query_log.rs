//! Writing the query log without waiting on loads, and keeping it within its retention limits.
//!
//! What is kept: one row per question asked (front end, time, the normalised question with
//! e-mail addresses and long numbers replaced, best pair, confidence, answered). No user, chat or
//! message identifiers. Rows older than `query_log_days` days (default 90) and rows beyond the
//! newest `query_log_rows` (default 100,000) are deleted whenever a row is written. Both limits
//! are settings in the `meta` table, changed with SQL:
//! `INSERT OR REPLACE INTO meta VALUES ('query_log_days', '30')` (0 for either: no limit).

use std::time::Duration;

use anyhow::Result;
use rusqlite::{params, Connection, ErrorCode};

use super::{get_meta, Store, BUSY_TIMEOUT};

/// How long writing a log row waits for another writer before keeping the row for later.
pub const LOG_WAIT: Duration = Duration::from_millis(200);
/// How long dropping a store waits to write rows still kept.
const FINAL_WAIT: Duration = Duration::from_secs(2);
/// Rows kept in memory at most while the database is busy (the oldest are dropped beyond it).
const MAX_PENDING: usize = 10_000;

/// A query log row not written yet.
#[derive(Debug, Clone)]
pub struct LogRow {
    frontend: String,
    query: String,
    pair_id: Option<i64>,
    confidence: f64,
    answered: bool,
    asked_at: String,
}

impl LogRow {
    /// A row asked now.
    pub fn new(frontend: &str, query: &str, pair_id: Option<i64>, confidence: f64, answered: bool) -> LogRow {
        LogRow {
            frontend: frontend.to_owned(),
            query: query.to_owned(),
            pair_id,
            confidence,
            answered,
            asked_at: now_utc(),
        }
    }
}

/// The current time as the log stores it (`2026-01-31T12:00:00Z`), taken when the question was
/// asked rather than when a delayed row is written.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest / 60 % 60, rest % 60)
}

/// How much of the query log is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Rows older than this many days are deleted (0: kept however old).
    pub days: u64,
    /// Only this many newest rows are kept (0: no limit).
    pub rows: u64,
}

impl Retention {
    /// The defaults, used when `meta` has no setting.
    pub const DEFAULT: Retention = Retention { days: 90, rows: 100_000 };

    fn read(conn: &Connection) -> Result<Retention> {
        let setting = |key: &str, default: u64| -> Result<u64> {
            Ok(get_meta(conn, key)?.and_then(|v| v.trim().parse().ok()).unwrap_or(default))
        };
        Ok(Retention {
            days: setting("query_log_days", Retention::DEFAULT.days)?,
            rows: setting("query_log_rows", Retention::DEFAULT.rows)?,
        })
    }
}

impl Store {
    /// Write the rows kept in memory, waiting at most `wait` for another writer. Rows that could
    /// not be written because the database was busy stay kept; other errors are returned.
    pub(super) fn flush_log(&self, wait: Duration) -> Result<()> {
        let rows = std::mem::take(&mut *self.pending_log.borrow_mut());
        if rows.is_empty() {
            return Ok(());
        }
        self.conn.busy_timeout(wait)?;
        let written = write_rows(&self.conn, &rows);
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        match written {
            Ok(()) => Ok(()),
            Err(e) if is_busy(&e) => {
                let mut pending = self.pending_log.borrow_mut();
                let mut kept = rows;
                kept.append(&mut pending);
                let excess = kept.len().saturating_sub(MAX_PENDING);
                kept.drain(..excess);
                *pending = kept;
                log::debug!("query log row kept for later: the database is busy");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Rows of the query log waiting in memory for the database to be free.
    pub fn pending_log_rows(&self) -> usize {
        self.pending_log.borrow().len()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.pending_log.borrow().is_empty() {
            return;
        }
        if let Err(e) = self.flush_log(FINAL_WAIT) {
            log::warn!("could not write the query log: {e:#}");
        }
        let left = self.pending_log.borrow().len();
        if left > 0 {
            log::warn!("{left} question(s) not recorded in the query log: the database stayed busy (a load?)");
        }
    }
}

fn is_busy(e: &anyhow::Error) -> bool {
    e.downcast_ref::<rusqlite::Error>()
        .and_then(rusqlite::Error::sqlite_error_code)
        .is_some_and(|c| matches!(c, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// Insert `rows` and apply the retention limits, in one transaction.
fn write_rows(conn: &Connection, rows: &[LogRow]) -> Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<()> {
        let mut insert = conn.prepare_cached(
            "INSERT INTO query_log(asked_at, frontend, query, pair_id, confidence, answered)
             VALUES (?1, ?2, ?3, (SELECT id FROM pairs WHERE id = ?4), ?5, ?6)",
        )?;
        for r in rows {
            insert.execute(params![r.asked_at, r.frontend, r.query, r.pair_id, r.confidence, r.answered])?;
        }
        prune(conn, Retention::read(conn)?)
    })();
    match result {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Delete what the retention limits do not keep.
fn prune(conn: &Connection, keep: Retention) -> Result<()> {
    if keep.days > 0 {
        conn.prepare_cached("DELETE FROM query_log WHERE asked_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)")?
            .execute([format!("-{} days", keep.days)])?;
    }
    if keep.rows > 0 {
        conn.prepare_cached("DELETE FROM query_log WHERE id <= (SELECT max(id) FROM query_log) - ?1")?
            .execute([keep.rows as i64])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Seed;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.db"), Seed::Empty).unwrap();
        (dir, store)
    }

    fn count(store: &Store) -> i64 {
        store.connection().query_row("SELECT count(*) FROM query_log", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn the_time_is_formatted_like_sqlite_does() {
        let ours = now_utc();
        let (_dir, store) = store();
        let sqlite: String =
            store.connection().query_row("SELECT strftime('%Y-%m-%dT%H:%M', 'now')", [], |r| r.get(0)).unwrap();
        assert_eq!(ours.len(), 20);
        assert_eq!(&ours[..10], &sqlite[..10]);
    }

    #[test]
    fn a_busy_database_keeps_the_row_for_later() {
        let (dir, store) = store();
        let other = Connection::open(dir.path().join("q.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE; INSERT INTO meta VALUES ('x', 'y');").unwrap();
        store.log_query("cli", "first", None, 0.5, false).unwrap();
        assert_eq!(store.pending_log_rows(), 1);
        other.execute_batch("COMMIT").unwrap();
        store.log_query("cli", "second", None, 0.5, false).unwrap();
        assert_eq!(store.pending_log_rows(), 0);
        assert_eq!(count(&store), 2);
    }

    #[test]
    fn old_rows_and_rows_beyond_the_limit_are_dropped() {
        let (_dir, store) = store();
        let conn = store.connection();
        conn.execute_batch(
            "INSERT INTO query_log(asked_at, frontend, query, confidence, answered)
               VALUES ('2001-01-01T00:00:00Z', 'cli', 'ancient', 0, 0);
             INSERT INTO meta VALUES ('query_log_rows', '3');",
        )
        .unwrap();
        store.log_query("cli", "new", None, 0.5, false).unwrap();
        assert_eq!(count(&store), 1, "the 2001 row is past 90 days");
        for q in ["a", "b", "c", "d"] {
            store.log_query("cli", q, None, 0.5, false).unwrap();
        }
        let kept: Vec<String> = conn
            .prepare("SELECT query FROM query_log ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(kept, ["b", "c", "d"]);
    }
}
