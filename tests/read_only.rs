//! Commands that only read work on a database that cannot be written (a read-only folder, file or
//! mount, a shared copy): it is opened read-only, and a question that cannot be recorded in the
//! query log is a warning, not a failure.
//!
//! Permissions do not stop root, so as root the folder or file is made immutable (`chattr +i`)
//! instead, which does; where neither works, the tests say so and check nothing.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{stderr, stdout, TempDb};
use rusqlite::Connection;

/// Paths made read-only for this process until dropped.
struct ReadOnly {
    paths: Vec<PathBuf>,
    immutable: bool,
}

impl ReadOnly {
    /// Make `paths` read-only, or None (with a message) when this system cannot here.
    fn make(paths: &[&Path]) -> Option<ReadOnly> {
        let root = unsafe { libc::geteuid() } == 0;
        let guard = ReadOnly { paths: paths.iter().map(|p| p.to_path_buf()).collect(), immutable: root };
        for path in paths {
            if root {
                let done = Command::new("chattr").arg("+i").arg(path).output();
                if !done.is_ok_and(|o| o.status.success()) {
                    eprintln!("skipped: running as root, and `chattr +i` does not work here");
                    return None;
                }
            } else {
                use std::os::unix::fs::PermissionsExt;
                let mode = if path.is_dir() { 0o555 } else { 0o444 };
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
        Some(guard)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        for path in &self.paths {
            if self.immutable {
                let _ = Command::new("chattr").arg("-i").arg(path).status();
            } else {
                use std::os::unix::fs::PermissionsExt;
                let mode = if path.is_dir() { 0o755 } else { 0o644 };
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            }
        }
    }
}

/// A closed database with the bundled interview (no -wal or -shm file left).
fn closed_db() -> TempDb {
    let db = TempDb::new();
    drop(db.store());
    db
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Every command that only reads answers from `db`; `ask` warns that it records nothing.
fn every_reader_answers(db: &TempDb) {
    let reads: [&[&str]; 6] = [
        &["interviews"],
        &["speakers"],
        &["misses"],
        &["export"],
        &["sql", "SELECT count(*) AS n FROM pairs"],
        &["ask", "微软为什么投资 OpenAI?"],
    ];
    for args in reads {
        let out = db.qabot(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("error"), "{args:?}: {}", stderr(&out));
    }
    assert!(stdout(&db.qabot(&["interviews"])).contains("openai-microsoft-interview"));
    assert!(stdout(&db.qabot(&["sql", "SELECT count(*) AS n FROM pairs"])).contains("14"));
    let out = db.qabot(&["ask", "--json", "微软为什么投资 OpenAI?"]);
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(answer["answered"], true, "{answer}");
    assert!(stderr(&out).contains("read-only: questions are not recorded"), "{}", stderr(&out));
    let out = db.qabot(&["ask", "--no-log", "微软为什么投资 OpenAI?"]);
    assert!(out.status.success() && stderr(&out).is_empty(), "{}", stderr(&out));
}

fn logged_questions(db: &TempDb) -> i64 {
    Connection::open(&db.path).unwrap().query_row("SELECT count(*) FROM query_log", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_read_only_folder_is_read_and_left_as_it_was() {
    let db = closed_db();
    let before = files_in(db.dir.path());
    {
        let Some(_guard) = ReadOnly::make(&[db.dir.path()]) else { return };
        assert!(std::fs::write(db.dir.path().join("probe"), "x").is_err(), "the folder is read-only");
        every_reader_answers(&db);
        // Writing still fails, clearly.
        let out = db.qabot(&["remove", "openai-microsoft-interview"]);
        assert!(!out.status.success(), "{}", stdout(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    assert_eq!(files_in(db.dir.path()), before, "no -wal, -shm or other file was made");
    assert_eq!(logged_questions(&db), 0);
}

#[test]
fn a_read_only_database_file_is_read_and_loads_are_refused() {
    let db = closed_db();
    let data = db.file("more.txt", "问:你好吗?\n答:很好。\n");
    {
        let Some(_guard) = ReadOnly::make(&[&db.path]) else { return };
        every_reader_answers(&db);
        let out = db.qabot(&["load", data.to_str().unwrap()]);
        assert!(!out.status.success(), "{}", stdout(&out));
        assert!(stderr(&out).contains("readonly") || stderr(&out).contains("read-only"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        // Which database, and why, before SQLite's own words.
        let expected = format!("the database {} cannot be written", db.path.display());
        assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    }
    assert_eq!(logged_questions(&db), 0);
    assert_eq!(db.store().interviews().unwrap().len(), 1, "nothing was loaded");
}

/// A database this qabot must change before reading (here: its curated vocabulary is out of
/// date) is not read half-upgraded: the command fails and says why.
#[test]
fn a_read_only_database_that_needs_upgrading_says_so() {
    let db = closed_db();
    Connection::open(&db.path)
        .unwrap()
        .execute("UPDATE meta SET value = 'older' WHERE key = 'builtin_data_hash'", [])
        .unwrap();
    let Some(_guard) = ReadOnly::make(&[db.dir.path(), &db.path]) else { return };
    let out = db.qabot(&["interviews"]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let e = stderr(&out);
    assert!(e.contains("is read-only, and this qabot must upgrade it"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}
