//! The SQLite database: opening and migrating it, loading interviews, keeping the search index,
//! and the read queries the front ends need.
//!
//! Every connection runs in WAL mode with foreign keys on and a generous busy timeout, so a bot
//! keeps answering while `qabot load` writes, and a load never sees "database is locked" from a
//! reader. Each load is one transaction: readers see an interview completely or not at all.

mod corpus;
mod dense;
mod index;
mod load;
mod migrate;
mod read;
mod speakers;
mod vectors;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};

pub use load::{LoadAction, LoadReport, Origin};
pub use read::{InterviewInfo, Miss, PairRecord, SpeakerInfo, TurnRecord};
pub use vectors::{dot, passage_text, Passage, VectorSet, PASSAGE_ANSWER_CHARS};

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
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// An open qabot database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Cached per data version: pair count and vocabulary.
    cache: Option<Cached>,
    /// Whether opening created the database.
    created: bool,
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

impl Store {
    /// Open (creating if needed, with parent folders) and migrate the database at `path`.
    /// A new database is seeded according to `seed`.
    pub fn open(path: &Path, seed: Seed) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("cannot open database {}", path.display()))?;
        let mut store = Store { conn, path: path.to_path_buf(), cache: None, created: false };
        store.configure().with_context(|| format!("cannot use database {}", path.display()))?;
        let created =
            migrate::migrate(&mut store.conn).with_context(|| format!("cannot migrate {}", path.display()))?;
        if created && seed == Seed::Bundled {
            store.load_bundled()?;
        }
        store.created = created;
        // Edits made with SQL are indexed now; if that fails (another writer holds the lock, a
        // broken row), the database is still usable and the queue is retried next time.
        if let Err(e) = index::process_queue(&mut store.conn) {
            log::warn!("could not index pending SQL edits: {e:#}");
        }
        Ok(store)
    }

    /// Open an existing database without write access (for `qabot sql`).
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Store { conn, path: path.to_path_buf(), cache: None, created: false })
    }

    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
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

    /// Whether [`Store::open`] created the database (it did not exist or was empty).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
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
