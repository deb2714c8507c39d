//! `qabot sql`: run one read-only query and print the rows as a table (or JSON) as they come.
//!
//! A query cannot run away: rows are printed as they are produced rather than collected, output
//! stops at a row limit unless `--all` is given, and a deadline interrupts the query.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use unicode_width::UnicodeWidthStr;

use crate::store::{Store, Value};

/// Rows printed when no limit is given.
pub const DEFAULT_MAX_ROWS: usize = 1000;
/// How long a query may run when no deadline is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Rows a table collects to choose its column widths before printing; later rows are printed at
/// once with the same widths.
const WIDTH_SAMPLE: usize = 200;

/// Options of `qabot sql`.
#[derive(Debug, Clone, Copy)]
pub struct SqlOptions {
    /// Print a JSON array of row objects instead of a table.
    pub json: bool,
    /// Widest a table cell may be, in terminal columns (0: no limit).
    pub max_width: usize,
    /// Stop after this many rows (None: print them all).
    pub max_rows: Option<usize>,
    /// Interrupt the query after this long (None: never).
    pub timeout: Option<Duration>,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions { json: false, max_width: 60, max_rows: Some(DEFAULT_MAX_ROWS), timeout: Some(DEFAULT_TIMEOUT) }
    }
}

/// Run `query` against the existing database at `db`, opened for reading only (a missing file is
/// an error: a read-only command creates nothing), and print the result to `out`.
pub fn run(db: &Path, query: &str, options: SqlOptions, out: &mut impl Write) -> Result<()> {
    query_store(&Store::open_read_only(db)?, query, options, out)
}

/// Run `query` on an open store and print the result to `out`.
pub fn query_store(store: &Store, query: &str, options: SqlOptions, out: &mut impl Write) -> Result<()> {
    let limit = options.max_rows.unwrap_or(usize::MAX);
    let (mut count, mut truncated) = (0usize, false);
    let start = |columns| if options.json { Sink::json(columns) } else { Sink::table(columns, options.max_width) };
    let mut sink = store.read_query(query, options.timeout, start, |sink, cells| {
        if count == limit {
            truncated = true;
            return Ok(false);
        }
        sink.row(cells, out)?;
        count += 1;
        Ok(true)
    })?;
    sink.finish(count, truncated, out)?;
    if truncated && options.json {
        eprintln!("note: only the first {count} rows were printed; --max-rows N or --all prints more");
    }
    Ok(())
}

/// Where rows go as they arrive.
enum Sink {
    Json { columns: Vec<String>, written: usize },
    Table { columns: Vec<String>, max_width: usize, sample: Vec<Vec<String>>, widths: Option<Vec<usize>> },
}

impl Sink {
    fn json(columns: Vec<String>) -> Sink {
        Sink::Json { columns, written: 0 }
    }

    fn table(columns: Vec<String>, max_width: usize) -> Sink {
        Sink::Table { columns, max_width, sample: Vec::new(), widths: None }
    }

    fn row(&mut self, cells: Vec<Value>, out: &mut impl Write) -> Result<()> {
        match self {
            Sink::Json { columns, written } => {
                let object: serde_json::Map<String, serde_json::Value> =
                    columns.iter().cloned().zip(cells.iter().map(Shown::json)).collect();
                // One object per line, so the output is both a JSON array and easy to cut.
                out.write_all(if *written == 0 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, &object)?;
                *written += 1;
            }
            Sink::Table { columns, max_width, sample, widths } => {
                let texts: Vec<String> = cells.iter().map(|c| fit(&c.text(), *max_width)).collect();
                match widths {
                    Some(w) => out.write_all(line(&texts, w).as_bytes())?,
                    None => {
                        sample.push(texts);
                        if sample.len() == WIDTH_SAMPLE {
                            *widths = Some(flush_sample(columns, sample, out)?);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, count: usize, truncated: bool, out: &mut impl Write) -> Result<()> {
        match self {
            Sink::Json { written, .. } => out.write_all(if *written == 0 { b"[]\n" } else { b"\n]\n" })?,
            Sink::Table { columns, sample, widths, .. } => {
                if widths.is_none() {
                    flush_sample(columns, sample, out)?;
                }
                let plural = if count == 1 { "" } else { "s" };
                if truncated {
                    writeln!(out, "({count} row{plural} shown, more left out: --max-rows N or --all prints them)")?;
                } else {
                    writeln!(out, "({count} row{plural})")?;
                }
            }
        }
        Ok(())
    }
}

/// Print the header and the collected rows; return the column widths used.
fn flush_sample(columns: &[String], sample: &mut Vec<Vec<String>>, out: &mut impl Write) -> Result<Vec<usize>> {
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| sample.iter().map(|r| r[i].width()).chain(std::iter::once(columns[i].width())).max().unwrap_or(0))
        .collect();
    out.write_all(line(columns, &widths).as_bytes())?;
    writeln!(out, "{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"))?;
    for row in sample.drain(..) {
        out.write_all(line(&row, &widths).as_bytes())?;
    }
    Ok(widths)
}

fn line(values: &[String], widths: &[usize]) -> String {
    let padded: Vec<String> = values.iter().zip(widths).map(|(v, w)| pad(v, *w)).collect();
    format!("{}\n", padded.join(" | ").trim_end())
}

/// How a result value is shown in a table cell and in JSON.
trait Shown {
    fn text(&self) -> String;
    fn json(&self) -> serde_json::Value;
}

impl Shown for Value {
    fn text(&self) -> String {
        match self {
            Value::Null => "NULL".into(),
            Value::Integer(i) => i.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Text(t) => crate::render::terminal_safe(&t.replace('\n', " ⏎ ").replace('\t', " ")),
            Value::Blob(n) => format!("<{n} bytes>"),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => (*i).into(),
            Value::Real(r) => (*r).into(),
            Value::Text(t) => t.clone().into(),
            Value::Blob(n) => format!("<{n} bytes>").into(),
        }
    }
}

// Cells are cut to the column limit by the shared helper, which counts East Asian characters as
// two columns.
use crate::text::fit_width as fit;

fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
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

    fn sql(store: &Store, query: &str, options: SqlOptions) -> Result<String> {
        let mut out = Vec::new();
        query_store(store, query, options, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn wide_characters_align() {
        let (_dir, store) = store();
        let out = sql(&store, "SELECT '山姆' AS name, 3 AS n UNION ALL SELECT 'Sam', NULL", SqlOptions::default());
        let lines: Vec<String> = out.unwrap().lines().map(String::from).collect();
        assert_eq!(lines[2], "山姆 | 3");
        assert_eq!(lines[3], "Sam  | NULL");
        assert_eq!(lines[4], "(2 rows)");
    }

    #[test]
    fn long_cells_are_cut() {
        assert_eq!(fit("一二三四五", 6), "一二…");
        assert_eq!(fit("abc", 6), "abc");
    }

    const ENDLESS: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n";

    #[test]
    fn rows_stop_at_the_limit_and_say_so() {
        let (_dir, store) = store();
        let options = SqlOptions { max_rows: Some(3), ..SqlOptions::default() };
        let out = sql(&store, ENDLESS, options).unwrap();
        assert!(out.contains("(3 rows shown, more left out: --max-rows N or --all"), "{out}");
        assert_eq!(out.lines().count(), 6, "{out}");
        let exact = sql(&store, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3", options).unwrap();
        assert!(exact.ends_with("(3 rows)\n"), "{exact}");
    }

    #[test]
    fn an_endless_query_is_interrupted_at_the_deadline() {
        let (_dir, store) = store();
        let options = SqlOptions { max_rows: None, timeout: Some(Duration::from_millis(50)), ..SqlOptions::default() };
        let counting = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let e = sql(&store, counting, options).unwrap_err().to_string();
        assert!(e.contains("stopped after 0.1 s") && e.contains("--timeout"), "{e}");
    }

    #[test]
    fn json_rows_stream_as_one_array() {
        let (_dir, store) = store();
        let options = SqlOptions { json: true, ..SqlOptions::default() };
        let out = sql(&store, "SELECT 1 AS b, 2 AS a UNION ALL SELECT 3, 4", options).unwrap();
        assert_eq!(out, "[\n{\"b\":1,\"a\":2},\n{\"b\":3,\"a\":4}\n]\n");
        let empty = sql(&store, "SELECT 1 AS a WHERE 0", options).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&empty).unwrap(), serde_json::json!([]));
    }

    #[test]
    fn reporting_pragmas_run_and_setting_ones_are_refused() {
        let (_dir, store) = store();
        for ok in ["PRAGMA journal_mode", "pragma main.user_version", "PRAGMA table_info(pairs)", "PRAGMA quick_check"]
        {
            assert!(sql(&store, ok, SqlOptions::default()).is_ok(), "{ok}");
        }
        assert!(sql(&store, "PRAGMA journal_mode", SqlOptions::default()).unwrap().contains("wal"));
        for refused in ["PRAGMA journal_mode = DELETE", "PRAGMA user_version(7)", "PRAGMA journal_mode=off"] {
            let e = sql(&store, refused, SqlOptions::default()).unwrap_err().to_string();
            assert!(e.contains("read-only"), "{refused}: {e}");
        }
        let version: i64 = store.connection().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_ne!(version, 7);
    }

    #[test]
    fn errors_are_sqlites_message_without_the_generic_tail() {
        let (_dir, store) = store();
        let e = format!("{:#}", sql(&store, "SELECT nosuch FROM pairs", SqlOptions::default()).unwrap_err());
        assert!(e.contains("no such column: nosuch") && !e.contains("Error code"), "{e}");
    }
}
