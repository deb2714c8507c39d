//! `qabot sql`: run one read-only query and print the rows as a table (or JSON).

use anyhow::{bail, Context, Result};
use rusqlite::types::ValueRef;
use unicode_width::UnicodeWidthStr;

use std::path::Path;

use crate::store::{Seed, Store};

/// Options of `qabot sql`.
#[derive(Debug, Clone, Copy)]
pub struct SqlOptions {
    /// Print a JSON array of row objects instead of a table.
    pub json: bool,
    /// Widest a table cell may be, in terminal columns (0: no limit).
    pub max_width: usize,
}

/// Run `query` against a read-only connection to the database at `db` (created and seeded first
/// when it does not exist yet) and print the result.
pub fn run(db: &Path, seed: Seed, query: &str, options: SqlOptions) -> Result<()> {
    drop(Store::open(db, seed)?);
    query_store(&Store::open_read_only(db)?, query, options)
}

/// Run `query` on an open store and print the result.
pub fn query_store(store: &Store, query: &str, options: SqlOptions) -> Result<()> {
    let query = query.trim().trim_end_matches(';').trim();
    if query.is_empty() {
        bail!("the query is empty: give one SQL statement, e.g. qabot sql \"SELECT * FROM qa\"");
    }
    let conn = store.connection();
    let mut batch = rusqlite::Batch::new(conn, query);
    let mut statements = 0;
    while batch.next().with_context(|| "the query is not valid SQL")?.is_some() {
        statements += 1;
    }
    if statements > 1 {
        bail!("qabot sql runs one statement at a time ({statements} given); use the sqlite3 shell for scripts");
    }
    let mut stmt = conn.prepare(query).with_context(|| "the query is not valid SQL")?;
    if !stmt.readonly() {
        bail!("qabot sql runs read-only queries only; use the sqlite3 shell to change the database");
    }
    let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut result = stmt.query([])?;
    while let Some(row) = result.next()? {
        let mut cells = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            cells.push(Cell::from(row.get_ref(i)?));
        }
        rows.push(cells);
    }
    if options.json {
        let array: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::Value::Object(columns.iter().cloned().zip(r.iter().map(Cell::json)).collect()))
            .collect();
        println!("{}", serde_json::to_string_pretty(&array)?);
    } else {
        print!("{}", table(&columns, &rows, options.max_width));
    }
    Ok(())
}

/// One value, kept typed for JSON and shown as text in tables.
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(usize),
}

impl Cell {
    fn from(value: ValueRef<'_>) -> Cell {
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(r) => Cell::Real(r),
            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Cell::Blob(b.len()),
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Null => "NULL".into(),
            Cell::Integer(i) => i.to_string(),
            Cell::Real(r) => r.to_string(),
            Cell::Text(t) => t.replace('\n', " ⏎ "),
            Cell::Blob(n) => format!("<{n} bytes>"),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Integer(i) => (*i).into(),
            Cell::Real(r) => (*r).into(),
            Cell::Text(t) => t.clone().into(),
            Cell::Blob(n) => format!("<{n} bytes>").into(),
        }
    }
}

// Cells are cut to the column limit by the shared helper, which counts East Asian characters as
// two columns.
use crate::text::fit_width as fit;

fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

fn table(columns: &[String], rows: &[Vec<Cell>], max_width: usize) -> String {
    let cells: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| fit(&c.text(), max_width)).collect()).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| cells.iter().map(|r| r[i].width()).chain(std::iter::once(columns[i].width())).max().unwrap_or(0))
        .collect();
    let line = |values: Vec<String>| -> String {
        let padded: Vec<String> = values.iter().zip(&widths).map(|(v, w)| pad(v, *w)).collect();
        format!("{}\n", padded.join(" | ").trim_end())
    };
    let mut out = line(columns.to_vec());
    out.push_str(&format!("{}\n", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-")));
    for row in cells {
        out.push_str(&line(row));
    }
    out.push_str(&format!("({} row{})\n", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_align() {
        let out = table(
            &["name".into(), "n".into()],
            &[vec![Cell::Text("山姆".into()), Cell::Integer(3)], vec![Cell::Text("Sam".into()), Cell::Null]],
            0,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[2], "山姆 | 3");
        assert_eq!(lines[3], "Sam  | NULL");
        assert_eq!(lines[4], "(2 rows)");
    }

    #[test]
    fn long_cells_are_cut() {
        assert_eq!(fit("一二三四五", 6), "一二…");
        assert_eq!(fit("abc", 6), "abc");
    }
}
