//! Process-wide SQLite settings qabot applies before its first connection. In a test binary of
//! its own: any connection opened earlier in the process (another test's) would initialise
//! SQLite before qabot could configure it.

use qabot::store::{Seed, Store};

/// SQLite's memory statistics take a global mutex on every allocation; qabot never reads them,
/// so they are off (with them on, `sqlite3_memory_used` counts what the open database holds).
#[test]
fn sqlite_keeps_no_memory_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db"), Seed::Bundled).unwrap();
    assert!(qabot::answer::ask(&mut store, "微软为什么投资 OpenAI?", 0.5).unwrap().answered);
    assert_eq!(unsafe { rusqlite::ffi::sqlite3_memory_used() }, 0);
}
