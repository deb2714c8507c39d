//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use qabot::store::{Seed, Store};

/// A temporary folder holding a database path (the database itself is created on first use).
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("qabot.db");
        TempDb { dir, path }
    }

    /// Open (creating with the bundled interview on first use).
    pub fn store(&self) -> Store {
        Store::open(&self.path, Seed::Bundled).expect("open store")
    }

    /// Open, creating empty on first use.
    pub fn empty_store(&self) -> Store {
        Store::open(&self.path, Seed::Empty).expect("open store")
    }

    /// Write a file into the temp folder and return its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Run the qabot binary against this database.
    pub fn qabot(&self, args: &[&str]) -> Output {
        qabot_with_input(&self.path, args, None)
    }

    /// Run the qabot binary with standard input.
    pub fn qabot_stdin(&self, args: &[&str], input: &str) -> Output {
        qabot_with_input(&self.path, args, Some(input))
    }
}

/// The qabot binary as a command, the one way tests start it: nothing is inherited from the
/// environment that changes its behaviour (a database, a bot token or API server, a log level),
/// standard input is empty, and a panic would show its backtrace.
pub fn qabot_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qabot"));
    for name in [
        "QABOT_DB",
        "QABOT_MODEL",
        "TELOXIDE_TOKEN",
        "TELEGRAM_API_URL",
        "TELOXIDE_API_URL",
        "TELOXIDE_PROXY",
        "RUST_LOG",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("RUST_BACKTRACE", "1").stdin(Stdio::null());
    cmd
}

/// Run `cmd` with `input` on standard input, collecting its output.
pub fn run_with_input(mut cmd: Command, input: &[u8]) -> Output {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run qabot");
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().expect("qabot finishes")
}

fn qabot_with_input(db: &Path, args: &[&str], input: Option<&str>) -> Output {
    let mut cmd = qabot_command();
    cmd.args(args).env("QABOT_DB", db);
    match input {
        Some(text) => run_with_input(cmd, text.as_bytes()),
        None => cmd.output().expect("qabot finishes"),
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every row of a query, each column rendered as text, for comparing database states.
pub fn dump(store: &Store, sql: &str) -> Vec<Vec<String>> {
    let conn = store.connection();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    let v: rusqlite::types::Value = r.get(i)?;
                    Ok(format!("{v:?}"))
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

/// A snapshot of everything a load writes, to check that failed loads change nothing.
pub fn snapshot(store: &Store) -> Vec<Vec<Vec<String>>> {
    [
        "SELECT * FROM interviews ORDER BY id",
        "SELECT * FROM pairs ORDER BY id",
        "SELECT * FROM turns ORDER BY pair_id, position",
        "SELECT * FROM speakers ORDER BY id",
        "SELECT * FROM speaker_aliases ORDER BY alias",
        "SELECT * FROM alternates ORDER BY id",
        "SELECT * FROM terms ORDER BY id",
        "SELECT term_id, segment, hex(data) FROM postings ORDER BY term_id, segment",
    ]
    .iter()
    .map(|q| dump(store, q))
    .collect()
}

/// The path of a file in the repository's data folder.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// Fail unless the stock sqlite3 shell is installed: a test that passed without running would
/// hide that the database is no longer readable by it. Every test that calls this has
/// `sqlite3_shell` in its name, so `cargo test -- --skip sqlite3_shell` skips them all, visibly.
pub fn require_sqlite3() {
    let installed = Command::new("sqlite3").arg("-version").output().is_ok_and(|o| o.status.success());
    assert!(
        installed,
        "the sqlite3 shell is not installed (Debian/Ubuntu: apt-get install sqlite3); \
         to skip the tests that need it: cargo test -- --skip sqlite3_shell"
    );
}

/// Turn a database written by this qabot back into what schema version 5 wrote: no answer vectors.
pub fn downgrade_to_v5(conn: &rusqlite::Connection) {
    for name in ["pairs_delete", "pairs_update", "turns_insert", "turns_delete", "turns_update"] {
        conn.execute_batch(&format!("DROP TRIGGER qabot_answer_vectors_{name};")).unwrap();
    }
    conn.execute_batch("DROP TABLE answer_vectors; PRAGMA user_version = 5;").unwrap();
}

/// Turn a database written by this qabot back into what schema version 3 wrote: no question
/// vectors.
pub fn downgrade_to_v3(conn: &rusqlite::Connection) {
    downgrade_to_v5(conn);
    conn.execute_batch(
        "DROP TRIGGER qabot_question_vectors_pairs_delete;
         DROP TRIGGER qabot_question_vectors_pairs_update;
         DROP TABLE question_vectors;
         PRAGMA user_version = 3;",
    )
    .unwrap();
}

/// Turn a database written by this qabot back into what schema version 2 wrote: no vector table,
/// the index queue's triggers under their old names (taken from `tests/data/schema-v2.sql`).
pub fn downgrade_to_v2(conn: &rusqlite::Connection) {
    let names: Vec<(String, String)> = conn
        .prepare(
            "SELECT type, name FROM sqlite_schema
              WHERE name LIKE 'qabot\\_%' ESCAPE '\\' OR name IN ('pair_vectors', 'question_vectors', 'answer_vectors')",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (kind, name) in names {
        conn.execute_batch(&format!("DROP {kind} IF EXISTS {name};")).unwrap();
    }
    let v2 = include_str!("../data/schema-v2.sql");
    for statement in v2.split("END;").filter_map(|s| s.find("CREATE TRIGGER").map(|i| &s[i..])) {
        let name = statement.split_whitespace().nth(2).unwrap();
        if name.ends_with("_ai") || name.ends_with("_ad") || name.ends_with("_au") {
            conn.execute_batch(&format!("{statement}END;")).unwrap();
        }
    }
    conn.pragma_update(None, "user_version", 2).unwrap();
}
