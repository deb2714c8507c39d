//! The SQLite database: opening and migrating it, loading interviews, keeping the search index,
//! and the read queries the front ends need.
//!
//! Every connection runs in WAL mode with foreign keys on and a generous busy timeout, so a bot
//! keeps answering while `qabot load` writes, and a load never sees "database is locked" from a
//! reader. Each load is one transaction: readers see an interview completely or not at all.

mod answer_vectors;
mod corpus;
mod dense;
mod index;
mod load;
mod migrate;
mod query;
mod query_log;
mod question_vectors;
mod read;
mod segment;
mod speakers;
mod vector_set;
mod vectors;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rusqlite::{Connection, OpenFlags};

pub use answer_vectors::{AnswerChunks, ChunkRecipe};
pub use load::{slug_of, LoadAction, LoadMode, LoadReport, Loader, Origin};
pub use query::Value;
pub use query_log::Retention;
pub use read::{InterviewInfo, Miss, PairRecord, SpeakerInfo, TurnRecord};
pub use speakers::Resemblance;
pub use vector_set::{dot, VectorSet};
pub use vectors::{MissingVectors, Passage, PassageRecipe};

use crate::search::Vocabulary;

/// The schema, embedded from `schema.sql`.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Interviews bundled into the binary and loaded into every new database: (file name, text).
pub const BUNDLED_INTERVIEWS: &[(&str, &str)] =
    &[("openai-microsoft-interview.zh.txt", include_str!("../../data/openai-microsoft-interview.zh.txt"))];

/// Curated synonym groups (see `data/synonyms.txt`).
pub const BUILTIN_SYNONYMS: &str = include_str!("../../data/synonyms.txt");
/// Curated speaker aliases (see `data/speakers.txt`).
pub const BUILTIN_SPEAKERS: &str = include_str!("../../data/speakers.txt");

/// How long a connection waits for another one's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// An open qabot database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Cached per data version: pair count and vocabulary.
    cache: Option<Cached>,
    /// Whether opening created the database.
    created: bool,
    /// Query log rows waiting for the database to be free (see [`Store::log_query`]).
    pending_log: std::cell::RefCell<Vec<query_log::LogRow>>,
    /// Whether a question went unrecorded because the database is read-only (said once).
    log_skipped: std::cell::Cell<bool>,
}

struct Cached {
    data_version: i64,
    pair_count: u64,
    vocabulary: Arc<Vocabulary>,
}

/// What to do when [`Store::open`] creates a new database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// Load the interviews bundled in the binary (the default for a new database).
    Bundled,
    /// Start empty (curated synonyms and speaker aliases are still loaded).
    Empty,
}

/// Process-wide SQLite settings, applied once before the first connection (SQLite accepts them
/// only before it initialises; afterwards the call is refused and changes nothing). Memory
/// statistics off: with them on, every allocation SQLite makes takes a global mutex to count it
/// (about 4% of a large load's CPU time went to locking and unlocking), and qabot never reads them.
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` is safe to call before SQLite initialises, from one thread
        // (`Once` makes it one); MEMSTATUS takes one int argument.
        let rc = unsafe { rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int) };
        if rc != rusqlite::ffi::SQLITE_OK {
            log::debug!("SQLite memory statistics stay on (sqlite3_config returned {rc})");
        }
    });
}

impl Store {
    /// Open (creating if needed, with parent folders) and migrate the database at `path`.
    /// A new database is seeded according to `seed`.
    pub fn open(path: &Path, seed: Seed) -> Result<Store> {
        configure_sqlite();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("cannot open database {}", path.display()))?;
        let mut store = Store::with_connection(conn, path);
        store
            .configure()
            .map_err(|e| damaged(path, e))
            .with_context(|| format!("cannot use database {}", path.display()))?;
        let created = migrate::migrate(&mut store.conn, seed == Seed::Bundled)
            .map_err(|e| damaged(path, e))
            .with_context(|| format!("cannot migrate {}", path.display()))?;
        store.created = created;
        store.complete_seed().with_context(|| format!("cannot store the bundled interview in {}", path.display()))?;
        // Edits made with SQL are indexed now; if that fails (another writer holds the lock, a
        // broken row), the database is still usable and the queue is retried next time.
        if let Err(e) = index::process_queue(&mut store.conn) {
            log::warn!("could not index pending SQL edits: {e:#}");
        }
        Ok(store)
    }

    /// Store the bundled interview when the database was created for it and does not have it yet:
    /// just now, or by an earlier process killed between creating the schema and loading it.
    /// Loading is idempotent, so two processes completing at once store it once.
    fn complete_seed(&mut self) -> Result<()> {
        if get_meta(&self.conn, migrate::SEED_PENDING)?.is_none() {
            return Ok(());
        }
        self.load_bundled()?;
        self.conn.execute("DELETE FROM meta WHERE key = ?1", [migrate::SEED_PENDING])?;
        Ok(())
    }

    /// Open an existing database for reading only (`qabot sql`): nothing is created, migrated or
    /// written. A missing file is an error. The connection may write SQLite's own `-wal`/`-shm`
    /// files, so that it cleans them up on close like any other; `PRAGMA query_only` refuses
    /// changes to the data. In a folder that cannot be written to (a read-only mount, a shared
    /// copy), where those files cannot be made, the file is read as immutable.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        configure_sqlite();
        if !path.is_file() {
            bail!(
                "no database at {}: give an existing file with --db or $QABOT_DB \
                 (`qabot load` or `qabot ask` create one)",
                path.display()
            );
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        if conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).is_ok() {
            return Ok(Store::with_connection(conn, path));
        }
        drop(conn);
        let absolute =
            std::fs::canonicalize(path).with_context(|| format!("cannot open database {}", path.display()))?;
        let uri = format!("file:{}?immutable=1", uri_path(&absolute));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&uri, flags)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))
            .with_context(|| format!("cannot read database {}", path.display()))?;
        Ok(Store::with_connection(conn, path))
    }

    /// Open for a command that only reads (`ask`, `interviews`, `speakers`, `misses`, `export`,
    /// `eval`, `serve`): [`Store::open`] wherever the database can be written, so that a new one
    /// is created and an older one migrated as usual. Where it cannot be written (a read-only
    /// file, folder or mount), an existing database that needs no migration is opened read-only
    /// instead (see [`Store::open_read_only`]); questions are then not recorded in the query log.
    pub fn open_for_reading(path: &Path, seed: Seed) -> Result<Store> {
        let error = match Store::open(path, seed) {
            Ok(store) => return Ok(store),
            Err(e) if path.is_file() && cannot_write(&e) => e,
            Err(e) => return Err(e),
        };
        let Ok(mut store) = Store::open_read_only(path) else { return Err(error) };
        let ready = migrate::is_current(&mut store.conn).map_err(|e| damaged(path, e))?
            && get_meta(&store.conn, migrate::SEED_PENDING)?.is_none();
        if !ready {
            return Err(error.context(format!(
                "{} is read-only, and this qabot must upgrade it before reading it: open it once where \
                 it can be written",
                path.display()
            )));
        }
        Ok(store)
    }

    fn with_connection(conn: Connection, path: &Path) -> Store {
        Store {
            conn,
            path: path.to_path_buf(),
            cache: None,
            created: false,
            pending_log: Default::default(),
            log_skipped: Default::default(),
        }
    }

    /// Whether this connection cannot write: the file, folder or mount is read-only, or the
    /// store was opened with [`Store::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        let query_only = || self.conn.pragma_query_value(None, "query_only", |r| r.get::<_, bool>(0));
        self.conn.is_readonly(rusqlite::DatabaseName::Main).unwrap_or(true) || query_only().unwrap_or(true)
    }

    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Asking first: switching modes needs an exclusive lock, so an open must not ask for it
        // while a load runs when the database is in WAL mode already.
        let mut mode: String = self.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            mode = self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        }
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!("database {} is in {mode} mode, not WAL", self.path.display());
        }
        self.conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        Ok(())
    }

    fn load_bundled(&mut self) -> Result<()> {
        for (name, text) in BUNDLED_INTERVIEWS {
            let format = crate::transcript::Format::of(Path::new(name)).expect("bundled files have known extensions");
            let stem = name.split('.').next().unwrap_or(name);
            let parsed = crate::transcript::parse_bytes(text.as_bytes(), format, stem)
                .map_err(|e| anyhow::anyhow!("bundled interview {name}: {e}"))?;
            let origin = Origin { path: format!("(bundled) {name}"), stem: stem.to_owned() };
            let items: Vec<_> = parsed.interviews.into_iter().map(|(_, iv)| iv).collect();
            self.load(&items, &origin, false)?;
        }
        Ok(())
    }

    /// Check the database file for damage (`PRAGMA quick_check`: every page and index entry, in
    /// time proportional to the file). Run before writing, so that a load or removal does not
    /// build on a damaged file; readers do not pay for it on every question.
    pub fn check_integrity(&self) -> Result<()> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check(5)")?;
        let problems: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| anyhow::anyhow!("the database file {} is damaged ({e})", self.path.display()))?;
        if problems.len() == 1 && problems[0] == "ok" {
            return Ok(());
        }
        bail!("the database file {} is damaged ({}); {}", self.path.display(), problems.join("; "), recovery(true))
    }

    /// Whether [`Store::open`] created the database (it did not exist or was empty).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` on one snapshot of the database: every read inside it sees the same committed state,
    /// even when a load commits meanwhile (in WAL mode a reader never waits for the writer).
    /// Without it a question could be ranked on the old data and its pair read from the new, where
    /// a replace has given the pair another id. Writes belong outside (the query log is written
    /// after the reply).
    pub fn in_snapshot<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return f(self);
        }
        self.conn.execute_batch("BEGIN DEFERRED").context("cannot start a read transaction")?;
        let result = f(self);
        // A read transaction has nothing to keep: COMMIT only ends it.
        let end = self.conn.execute_batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
        let value = result?;
        end.context("cannot end a read transaction")?;
        Ok(value)
    }

    /// The underlying connection, for ad-hoc read queries (`qabot sql`) and tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Forget cached statistics (after this connection wrote).
    fn invalidate(&mut self) {
        self.cache = None;
    }
}

/// What to do about a damaged database file. When it does not even open, no qabot command can
/// read it (`qabot export` included), so only a backup helps; when it opens but fails the check
/// run before writing, readers still work and `qabot export` copies out what they can read.
fn recovery(opens: bool) -> &'static str {
    if opens {
        "restore a backup, or `qabot export` what is still readable and load it into a new database"
    } else {
        "no qabot command can read it (exporting neither): restore a backup, or load the interviews \
         into a new database"
    }
}

/// An error SQLite reports for a damaged file (or one that is not a database) said plainly, with
/// what to do; other errors unchanged.
fn damaged(path: &Path, e: anyhow::Error) -> anyhow::Error {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    let code = e.downcast_ref::<rusqlite::Error>().and_then(rusqlite::Error::sqlite_error_code);
    match code {
        Some(DatabaseCorrupt) => anyhow::anyhow!(
            "the database file {} is damaged ({}); {}",
            path.display(),
            e.downcast_ref::<rusqlite::Error>().map_or_else(|| e.to_string(), |s| s.to_string()),
            recovery(false)
        ),
        Some(NotADatabase) => anyhow::anyhow!("{} is not an SQLite database: give another --db", path.display()),
        _ => e,
    }
}

/// Whether `e` (from [`Store::open`]) says the database or its folder cannot be written, rather
/// than that it is damaged, foreign or locked.
fn cannot_write(e: &anyhow::Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, PermissionDenied, ReadOnly};
    e.chain().any(|cause| {
        let sqlite = cause.downcast_ref::<rusqlite::Error>().and_then(rusqlite::Error::sqlite_error_code);
        let io = cause.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        matches!(sqlite, Some(CannotOpen | PermissionDenied | ReadOnly))
            || matches!(io, Some(std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem))
    })
}

/// A file path as the path part of an SQLite URI (`%`, `?` and `#` escaped).
fn uri_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
    if cfg!(windows) {
        format!("/{}", text.replace('\\', "/"))
    } else {
        text
    }
}

/// Read a value from the `meta` table.
fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

/// Write a value into the `meta` table.
fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// The default database path: `$QABOT_DB` is handled by the CLI; this is the per-user data file
/// (`~/.local/share/qabot/qabot.db` on Linux, `~/Library/Application Support/qabot/qabot.db` on
/// macOS, `%APPDATA%\qabot\qabot.db` on Windows), or `./qabot.db` when there is no home folder.
pub fn default_path() -> PathBuf {
    dirs::data_dir().map_or_else(|| PathBuf::from("qabot.db"), |d| d.join("qabot").join("qabot.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database in memory, for unit tests of the store that need no file.
    fn in_memory(seed: Seed) -> Store {
        Store::open(Path::new(":memory:"), seed).expect("an in-memory database opens")
    }

    #[test]
    fn a_new_database_holds_the_bundled_interview_and_its_speakers() {
        let store = in_memory(Seed::Bundled);
        assert!(store.created());
        let interviews = store.interviews().unwrap();
        assert_eq!(interviews.len(), 1);
        assert_eq!(interviews[0].pairs, 14);
        let names: Vec<String> = store.speakers().unwrap().into_iter().map(|s| s.name).collect();
        assert!(names.iter().any(|n| n == "山姆·奥特曼") && names.iter().any(|n| n == "萨提亚·纳德拉"), "{names:?}");
    }

    #[test]
    fn an_empty_database_has_no_interviews_and_removing_is_a_no_op() {
        let mut store = in_memory(Seed::Empty);
        assert!(store.interviews().unwrap().is_empty());
        assert!(!store.remove("nosuch").unwrap());
    }

    #[test]
    fn read_queries_stream_rows_and_refuse_writes() {
        let store = in_memory(Seed::Bundled);
        let rows = store
            .read_query(
                "SELECT position FROM pairs ORDER BY position",
                None,
                |_| Vec::new(),
                |rows, row| {
                    rows.push(row);
                    Ok(rows.len() < 3)
                },
            )
            .unwrap();
        assert_eq!(rows, [[Value::Integer(1)], [Value::Integer(2)], [Value::Integer(3)]]);
        let e = store.read_query("DELETE FROM pairs", None, |_| (), |_, _| Ok(true)).unwrap_err();
        assert!(e.to_string().contains("read-only"), "{e}");
    }
}
