//! Read-only queries for `qabot sql`: one statement, checked to change nothing, streamed row by
//! row, and interrupted at a deadline so that a runaway query cannot hold the command.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, Statement};

use super::Store;

/// One value of a query result (a BLOB by its length only: it is shown, never printed raw).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text (invalid UTF-8 replaced).
    Text(String),
    /// A BLOB of this many bytes.
    Blob(usize),
}

impl From<ValueRef<'_>> for Value {
    fn from(value: ValueRef<'_>) -> Value {
        match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.len()),
        }
    }
}

impl Store {
    /// Run `query`, one read-only statement (a SELECT, or a PRAGMA that only reports), stopping it
    /// after `timeout`. `start` receives the column names and makes the receiver of the rows;
    /// `row` receives each row in turn until it returns false (the rest is not computed).
    pub fn read_query<S>(
        &self,
        query: &str,
        timeout: Option<Duration>,
        start: impl FnOnce(Vec<String>) -> S,
        mut row: impl FnMut(&mut S, Vec<Value>) -> Result<bool>,
    ) -> Result<S> {
        let conn = self.connection();
        let mut stmt = prepare(conn, query)?;
        let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
        let width = columns.len();
        let mut receiver = start(columns);
        let deadline = Deadline::start(conn, timeout);
        let mut rows = stmt.query([]).map_err(|e| deadline.explain(e))?;
        while let Some(r) = rows.next().map_err(|e| deadline.explain(e))? {
            let values: Vec<Value> = (0..width).map(|i| r.get_ref(i).map(Value::from)).collect::<Result<_, _>>()?;
            if !row(&mut receiver, values)? {
                break;
            }
        }
        Ok(receiver)
    }
}

/// Check and prepare the single read-only statement in `query`.
fn prepare<'c>(conn: &'c Connection, query: &str) -> Result<Statement<'c>> {
    let query = query.trim().trim_end_matches(';').trim();
    if query.is_empty() {
        bail!("the query is empty: give one SQL statement, e.g. qabot sql \"SELECT * FROM qa\"");
    }
    let mut batch = rusqlite::Batch::new(conn, query);
    let mut statements = 0;
    while batch.next().map_err(|e| invalid(&e))?.is_some() {
        statements += 1;
    }
    if statements > 1 {
        bail!("qabot sql runs one statement at a time ({statements} given); use the sqlite3 shell for scripts");
    }
    let stmt = conn.prepare(query).map_err(|e| invalid(&e))?;
    if !stmt.readonly() && !is_read_pragma(query) {
        bail!("qabot sql runs read-only queries only; use the sqlite3 shell to change the database");
    }
    Ok(stmt)
}

/// Pragmas that only report (SQLite does not count some of them as read-only statements, because
/// the same pragma with `= value` changes something). Those taking an argument take a table or
/// index name, never a new setting.
const READ_PRAGMAS: &[&str] = &[
    "application_id",
    "auto_vacuum",
    "busy_timeout",
    "cache_size",
    "collation_list",
    "compile_options",
    "data_version",
    "database_list",
    "encoding",
    "foreign_keys",
    "freelist_count",
    "function_list",
    "journal_mode",
    "module_list",
    "page_count",
    "page_size",
    "pragma_list",
    "query_only",
    "schema_version",
    "synchronous",
    "table_list",
    "user_version",
];
const READ_PRAGMAS_WITH_ARGUMENT: &[&str] = &[
    "foreign_key_check",
    "foreign_key_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "quick_check",
    "table_info",
    "table_xinfo",
];

/// Whether `query` is `PRAGMA [schema.]name` or `PRAGMA [schema.]name(table)` for a reporting pragma.
fn is_read_pragma(query: &str) -> bool {
    let Some(rest) = query.get(..6).filter(|p| p.eq_ignore_ascii_case("pragma")).map(|_| query[6..].trim()) else {
        return false;
    };
    let (name, argument) = match rest.split_once('(') {
        Some((name, arg)) => (name.trim(), Some(arg.trim_end().strip_suffix(')').unwrap_or("=").trim())),
        None => (rest, None),
    };
    let name = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    let plain = |s: &str| s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"');
    if !plain(&name) {
        return false;
    }
    match argument {
        None => READ_PRAGMAS.contains(&name.as_str()) || READ_PRAGMAS_WITH_ARGUMENT.contains(&name.as_str()),
        Some(arg) => READ_PRAGMAS_WITH_ARGUMENT.contains(&name.as_str()) && plain(arg),
    }
}

/// SQLite's own message, without rusqlite's "Error code 1: SQL error or missing database" tail.
fn message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}

fn invalid(e: &rusqlite::Error) -> anyhow::Error {
    anyhow!("the query is not valid SQL: {}", message(e))
}

/// Interrupts the query when its time is up; dropping it (the query finished) stops the watch.
struct Deadline {
    stop: Option<mpsc::Sender<()>>,
    watcher: Option<JoinHandle<()>>,
    fired: Arc<AtomicBool>,
    timeout: Option<Duration>,
}

impl Deadline {
    fn start(conn: &Connection, timeout: Option<Duration>) -> Deadline {
        let fired = Arc::new(AtomicBool::new(false));
        let Some(limit) = timeout else { return Deadline { stop: None, watcher: None, fired, timeout } };
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = conn.get_interrupt_handle();
        let flag = Arc::clone(&fired);
        let watcher = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
                flag.store(true, Ordering::SeqCst);
                handle.interrupt();
            }
        });
        Deadline { stop: Some(stop), watcher: Some(watcher), fired, timeout }
    }

    /// A query error, saying so when it is the deadline that stopped the query.
    fn explain(&self, e: rusqlite::Error) -> anyhow::Error {
        let interrupted = e.sqlite_error_code() == Some(ErrorCode::OperationInterrupted);
        match self.timeout {
            Some(limit) if interrupted && self.fired.load(Ordering::SeqCst) => anyhow!(
                "the query was stopped after {:.1} s; --timeout SECONDS allows longer (0: no limit)",
                limit.as_secs_f64()
            ),
            _ => anyhow!("the query failed: {}", message(&e)),
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
    }
}
