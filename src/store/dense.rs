//! What matching by meaning reads from the database: a cheap token that changes whenever the
//! stored vectors may have changed, so a held copy of them ([`super::VectorSet`]) is reloaded
//! only then.
//!
//! `PRAGMA data_version` changes when another connection commits. Changes made through this
//! connection, which it does not count, are counted by TEMP triggers on `pair_vectors`: they live
//! in this connection's temporary schema, so the database file is not changed and no other
//! connection sees them. Reading both costs microseconds. (Counting the model's vectors instead,
//! as this did before, read every page of the vector table: 0.1–0.2 s a question at 100k pairs.)

use anyhow::{Context, Result};
use rusqlite::DatabaseName;

use super::Store;

/// The counter of this connection's changes to `pair_vectors`, and the triggers that keep it.
const LOCAL_CHANGES: &str = "
-- (A trigger body may not name a schema; the temporary schema is searched first.)
CREATE TEMP TABLE IF NOT EXISTS qabot_vector_changes (n INTEGER NOT NULL);
INSERT INTO temp.qabot_vector_changes(n)
    SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM temp.qabot_vector_changes);
CREATE TEMP TRIGGER IF NOT EXISTS qabot_vector_changes_insert AFTER INSERT ON main.pair_vectors
BEGIN UPDATE qabot_vector_changes SET n = n + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS qabot_vector_changes_update AFTER UPDATE ON main.pair_vectors
BEGIN UPDATE qabot_vector_changes SET n = n + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS qabot_vector_changes_delete AFTER DELETE ON main.pair_vectors
BEGIN UPDATE qabot_vector_changes SET n = n + 1; END;
";

impl Store {
    /// Changes whenever the stored vectors may have: another connection committed (`PRAGMA
    /// data_version`), or this connection inserted, changed or deleted a vector (directly, through
    /// the triggers that delete a changed pair's vector, or with SQL).
    pub fn vectors_version(&self) -> Result<(i64, i64)> {
        let version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok((version, self.local_vector_changes()?))
    }

    /// How many changes this connection made to `pair_vectors` since the count began (at the
    /// first call). A connection that cannot write changes nothing: always 0.
    fn local_vector_changes(&self) -> Result<i64> {
        if let Ok(mut stmt) = self.conn.prepare_cached("SELECT n FROM temp.qabot_vector_changes") {
            return Ok(stmt.query_row([], |r| r.get(0))?);
        }
        let query_only: bool = self.conn.query_row("PRAGMA query_only", [], |r| r.get(0))?;
        if query_only || self.conn.is_readonly(DatabaseName::Main)? {
            return Ok(0);
        }
        self.conn.execute_batch(LOCAL_CHANGES).context("cannot count changes to the vectors")?;
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Seed, Store};

    fn vector_row(store: &Store, pair_id: i64) {
        store
            .conn
            .execute(
                "INSERT OR REPLACE INTO pair_vectors(pair_id, model, dim, vector) VALUES (?1, 'm', 1, x'0000803f')",
                [pair_id],
            )
            .unwrap();
    }

    #[test]
    fn the_version_changes_with_every_change_to_vectors_on_this_connection() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.db"), Seed::Bundled).unwrap();
        let first = store.vectors_version().unwrap();
        assert_eq!(store.vectors_version().unwrap(), first, "nothing changed");
        vector_row(&store, 1);
        let inserted = store.vectors_version().unwrap();
        assert_ne!(inserted, first);
        // Replaced with the same count: still a change.
        vector_row(&store, 1);
        let replaced = store.vectors_version().unwrap();
        assert_ne!(replaced, inserted);
        // Deleted by the schema's trigger when the pair's question changes.
        store.conn.execute("UPDATE pairs SET question = question || '?' WHERE id = 1", []).unwrap();
        assert_ne!(store.vectors_version().unwrap(), replaced);
        // Other writes (the query log, say) leave it alone.
        let before = store.vectors_version().unwrap();
        store.log_query("cli", "anything", None, 0.0, false).unwrap();
        assert_eq!(store.vectors_version().unwrap(), before);
    }

    #[test]
    fn the_version_changes_when_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let store = Store::open(&path, Seed::Bundled).unwrap();
        let other = Store::open(&path, Seed::Bundled).unwrap();
        let first = store.vectors_version().unwrap();
        vector_row(&other, 2);
        assert_ne!(store.vectors_version().unwrap(), first);
        // A read-only connection has no triggers (it cannot make them) and needs none.
        let reader = Store::open_read_only(&path).unwrap();
        let version = reader.vectors_version().unwrap();
        assert_eq!(reader.vectors_version().unwrap(), version);
        vector_row(&other, 3);
        assert_ne!(reader.vectors_version().unwrap(), version);
    }
}
