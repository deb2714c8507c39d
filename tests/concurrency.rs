//! Readers while a writer holds the database: nothing that only reads may wait for a load, and a
//! database whose creation was cut short is completed on the next open.

mod common;

use common::{stderr, stdout, TempDb};
use qabot::store::{Seed, Store};
use rusqlite::Connection;

/// Another process's load in progress: a connection holding the write lock with an uncommitted
/// change (dropped: rolled back).
fn hold_write_lock(db: &TempDb) -> Connection {
    let conn = Connection::open(&db.path).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES ('held', 'by a load');").unwrap();
    conn
}

#[test]
fn opening_and_reading_do_not_wait_for_a_writer() {
    let db = TempDb::new();
    drop(db.store());
    let _load = hold_write_lock(&db);
    // Each of these waited for the write lock (and failed after a minute) when every open took it.
    let store = Store::open(&db.path, Seed::Bundled).unwrap();
    assert_eq!(store.interviews().unwrap().len(), 1);
    assert_eq!(store.pair_total().unwrap(), 14);
    for args in [&["interviews"][..], &["sql", "SELECT count(*) FROM qa"], &["ask", "微软为什么投资 OpenAI?"]] {
        let out = db.qabot(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "{args:?}");
        assert!(!stderr(&out).contains("locked"), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_question_asked_during_a_load_is_logged_after_it() {
    let db = TempDb::new();
    let store = db.store();
    let load = hold_write_lock(&db);
    store.log_query("cli", "during the load", None, 0.1, false).unwrap();
    assert_eq!(store.pending_log_rows(), 1, "kept in memory, not waited for");
    load.execute_batch("COMMIT").unwrap();
    drop(store);
    let n: i64 = db.store().connection().query_row("SELECT count(*) FROM query_log", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1, "written when the store was dropped");
}

#[test]
fn a_database_cut_short_before_its_bundled_interview_gets_it_on_the_next_open() {
    let db = TempDb::new();
    // The state a kill between creating the schema and storing the bundled interview leaves.
    drop(db.empty_store());
    Connection::open(&db.path).unwrap().execute("INSERT INTO meta VALUES ('seed_pending', 'bundled')", []).unwrap();
    let store = Store::open(&db.path, Seed::Bundled).unwrap();
    assert_eq!(store.pair_total().unwrap(), 14);
    drop(store);
    let store = Store::open(&db.path, Seed::Bundled).unwrap();
    assert_eq!(store.interviews().unwrap().len(), 1, "completed once, not twice");
    let pending: i64 =
        store.connection().query_row("SELECT count(*) FROM meta WHERE key = 'seed_pending'", [], |r| r.get(0)).unwrap();
    assert_eq!(pending, 0);
}

#[test]
fn a_locked_database_error_says_which_operation_waited() {
    let db = TempDb::new();
    let mut store = db.store();
    let _load = hold_write_lock(&db);
    store.connection().busy_timeout(std::time::Duration::ZERO).unwrap();
    let e = format!("{:#}", store.remove("openai-microsoft-interview").unwrap_err());
    assert!(e.starts_with("cannot remove `openai-microsoft-interview`") && e.contains("locked"), "{e}");
}

#[test]
fn a_question_is_ranked_and_read_from_one_state_of_the_database() {
    let db = TempDb::new();
    let mut store = db.store();
    let other = Connection::open(&db.path).unwrap();
    let meta =
        |store: &Store| -> i64 { store.connection().query_row("SELECT count(*) FROM meta", [], |r| r.get(0)).unwrap() };
    let before = meta(&store);
    // What a load committing between ranking and reading the chosen pair would do: without one
    // read transaction around both, the reply could read pairs of the new data for a ranking made
    // on the old (a replaced pair has a new id), and answer with nothing.
    let inside = store
        .in_snapshot(|store| {
            let first = meta(store);
            other.execute("INSERT INTO meta(key, value) VALUES ('committed', 'meanwhile')", []).unwrap();
            Ok((first, meta(store)))
        })
        .unwrap();
    assert_eq!(inside, (before, before), "one snapshot inside");
    assert_eq!(meta(&store), before + 1, "the new state after it");
    assert!(qabot::answer::ask(&mut store, "微软为什么投资 OpenAI?", 0.5).unwrap().answered);
}
