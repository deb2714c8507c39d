//! Creating the schema, migrating older databases forward, refreshing curated data.
//!
//! `PRAGMA user_version` is the schema version. A new database runs `schema.sql`; an older one
//! runs the steps in [`MIGRATIONS`] from its version up; a newer one is refused (it was written by
//! a newer qabot and this one cannot know what changed). Curated vocabulary (`data/*.txt`) and the
//! search index are refreshed when the binary's copies differ from what the database holds.

use anyhow::{bail, Result};
use rusqlite::{params, Connection, TransactionBehavior};
use sha2::{Digest, Sha256};

use super::speakers::SpeakerResolver;
use super::{index, BUILTIN_SPEAKERS, BUILTIN_SYNONYMS, SCHEMA};
use crate::search::vocab::{parse_speaker_file, parse_synonym_file};

/// The schema version this binary writes (the `PRAGMA user_version` at the end of schema.sql).
pub const SCHEMA_VERSION: i64 = 6;

/// The `meta` key set while a new database still waits for its bundled interview.
pub const SEED_PENDING: &str = "seed_pending";

/// Forward migrations: `(version reached, SQL)`, applied in order to databases below it.
/// A new version appends its step here and updates schema.sql so that new databases get the same
/// result in one go.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        2,
        // Version 1 did not record where an alternate came from; calling them all the curator's keeps
        // them through the next replacing load (losing one would be worse than keeping a stale one).
        "ALTER TABLE alternates ADD COLUMN origin TEXT NOT NULL DEFAULT 'user';
         CREATE INDEX interviews_content_hash ON interviews(content_hash);
         CREATE INDEX interviews_origin ON interviews(origin, title);",
    ),
    (3, MIGRATE_TO_3),
    (4, MIGRATE_TO_4),
    // Version 5: no index on the postings' segment. Every posting row a load wrote also went into
    // it (about a tenth of a 100k-pair load's CPU time), and only the clean-up of emptied
    // segments read it, which one pass over the postings does as well.
    (5, "DROP INDEX IF EXISTS postings_segment;"),
    (6, MIGRATE_TO_6),
];

/// Version 3: sentence-embedding vectors (`pair_vectors`, kept in step by triggers), and the index
/// queue's triggers renamed from `<table>_ai/_ad/_au`, the names sqlite-utils gives its own FTS
/// triggers (`sqlite-utils enable-fts --create-triggers` failed on a qabot database). SQLite
/// cannot rename a trigger: each is dropped and created again, with the same body.
const MIGRATE_TO_3: &str = r#"
DROP TRIGGER IF EXISTS alternates_ai;
DROP TRIGGER IF EXISTS alternates_ad;
DROP TRIGGER IF EXISTS alternates_au;
DROP TRIGGER IF EXISTS pair_notes_ai;
DROP TRIGGER IF EXISTS pair_notes_ad;
DROP TRIGGER IF EXISTS pairs_au;
DROP TRIGGER IF EXISTS pairs_ad;
DROP TRIGGER IF EXISTS turns_ai;
DROP TRIGGER IF EXISTS turns_ad;
DROP TRIGGER IF EXISTS turns_au;
CREATE TRIGGER qabot_queue_alternates_insert AFTER INSERT ON alternates
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_alternates_delete AFTER DELETE ON alternates
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.pair_id, old.text);
END;
CREATE TRIGGER qabot_queue_alternates_update AFTER UPDATE ON alternates
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.pair_id, old.text), (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_pair_notes_insert AFTER INSERT ON pair_notes
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_pair_notes_delete AFTER DELETE ON pair_notes
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.pair_id, old.text);
END;
CREATE TRIGGER qabot_queue_pairs_update AFTER UPDATE OF question ON pairs
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.id, old.question);
END;
CREATE TRIGGER qabot_queue_pairs_delete AFTER DELETE ON pairs
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.id, old.question);
END;
CREATE TRIGGER qabot_queue_turns_insert AFTER INSERT ON turns
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_turns_delete AFTER DELETE ON turns
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text, old_speaker) VALUES (old.pair_id, old.text, old.speaker_id);
END;
CREATE TRIGGER qabot_queue_turns_update AFTER UPDATE ON turns
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text, old_speaker) VALUES (old.pair_id, old.text, old.speaker_id),
                                                                   (new.pair_id, NULL, NULL);
END;
CREATE TABLE pair_vectors (
    pair_id INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
    model   TEXT    NOT NULL,
    dim     INTEGER NOT NULL,
    vector  BLOB    NOT NULL
);

CREATE TRIGGER qabot_vectors_pairs_delete AFTER DELETE ON pairs BEGIN
    DELETE FROM pair_vectors WHERE pair_id = old.id;
END;
CREATE TRIGGER qabot_vectors_pairs_update AFTER UPDATE OF question ON pairs BEGIN
    DELETE FROM pair_vectors WHERE pair_id IN (old.id, new.id);
END;
CREATE TRIGGER qabot_vectors_turns_insert AFTER INSERT ON turns BEGIN
    DELETE FROM pair_vectors WHERE pair_id = new.pair_id;
END;
CREATE TRIGGER qabot_vectors_turns_delete AFTER DELETE ON turns BEGIN
    DELETE FROM pair_vectors WHERE pair_id = old.pair_id;
END;
CREATE TRIGGER qabot_vectors_turns_update AFTER UPDATE OF text, pair_id, position ON turns BEGIN
    DELETE FROM pair_vectors WHERE pair_id IN (old.pair_id, new.pair_id);
END;
CREATE TRIGGER qabot_vectors_alternates_insert AFTER INSERT ON alternates BEGIN
    DELETE FROM pair_vectors WHERE pair_id = new.pair_id;
END;
CREATE TRIGGER qabot_vectors_alternates_delete AFTER DELETE ON alternates BEGIN
    DELETE FROM pair_vectors WHERE pair_id = old.pair_id;
END;
CREATE TRIGGER qabot_vectors_alternates_update AFTER UPDATE OF text, pair_id ON alternates BEGIN
    DELETE FROM pair_vectors WHERE pair_id IN (old.pair_id, new.pair_id);
END;
"#;

/// Version 4: a second vector per pair, of its stored question embedded as a question
/// (`question_vectors`, kept in step by triggers). Existing pairs have none until the next
/// `qabot embed`, which fills them in.
const MIGRATE_TO_4: &str = r#"
CREATE TABLE question_vectors (
    pair_id INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
    model   TEXT    NOT NULL,
    dim     INTEGER NOT NULL,
    vector  BLOB    NOT NULL
);
CREATE TRIGGER qabot_question_vectors_pairs_delete AFTER DELETE ON pairs BEGIN
    DELETE FROM question_vectors WHERE pair_id = old.id;
END;
CREATE TRIGGER qabot_question_vectors_pairs_update AFTER UPDATE OF question, id ON pairs BEGIN
    DELETE FROM question_vectors WHERE pair_id IN (old.id, new.id);
END;
"#;

/// Version 6: answer chunk vectors (see `answer_vectors` in schema.sql).
const MIGRATE_TO_6: &str = r#"
CREATE TABLE answer_vectors (
    pair_id INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
    model   TEXT    NOT NULL,
    dim     INTEGER NOT NULL,
    chunks  INTEGER NOT NULL,
    vectors BLOB    NOT NULL
);

CREATE TRIGGER qabot_answer_vectors_pairs_delete AFTER DELETE ON pairs BEGIN
    DELETE FROM answer_vectors WHERE pair_id = old.id;
END;
CREATE TRIGGER qabot_answer_vectors_pairs_update AFTER UPDATE OF id ON pairs BEGIN
    DELETE FROM answer_vectors WHERE pair_id IN (old.id, new.id);
END;
CREATE TRIGGER qabot_answer_vectors_turns_insert AFTER INSERT ON turns BEGIN
    DELETE FROM answer_vectors WHERE pair_id = new.pair_id;
END;
CREATE TRIGGER qabot_answer_vectors_turns_delete AFTER DELETE ON turns BEGIN
    DELETE FROM answer_vectors WHERE pair_id = old.pair_id;
END;
CREATE TRIGGER qabot_answer_vectors_turns_update AFTER UPDATE OF text, pair_id, position ON turns BEGIN
    DELETE FROM answer_vectors WHERE pair_id IN (old.pair_id, new.pair_id);
END;
"#;

/// Bring the database to [`SCHEMA_VERSION`]. Returns true when the database was new; a new one is
/// marked `seed_pending` in the same transaction when `bundled` (see `Store::open`), so that a
/// kill before the bundled interview is stored is completed on the next open.
///
/// Whether anything must change is first checked in a read transaction, which never waits for a
/// writer: in WAL mode it reads the last committed state while `qabot load` holds the write lock.
/// Only when a step is due is the write lock taken, and then everything is checked again under it
/// (another process may have done the work meanwhile).
pub fn migrate(conn: &mut Connection, bundled: bool) -> Result<bool> {
    if is_current(conn)? {
        return Ok(false);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let created = version == 0;
    if created {
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0))?;
        if tables > 0 {
            bail!("this is an SQLite database, but not a qabot one (it has tables and no qabot schema version)");
        }
        tx.execute_batch(SCHEMA)?;
        index::set_version(&tx)?;
        if bundled {
            super::set_meta(&tx, SEED_PENDING, "bundled")?;
        }
    } else {
        check_not_newer(version)?;
        for (target, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", target)?;
        }
    }
    refresh_builtin_vocabulary(&tx)?;
    if !created && !index::version_is_current(&tx)? {
        index::rebuild(&tx)?;
    }
    tx.commit()?;
    Ok(created)
}

/// Whether the database is at this binary's schema version with current builtin data and index,
/// read without taking the write lock. A newer schema is refused here already.
pub(super) fn is_current(conn: &mut Connection) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    check_not_newer(version)?;
    let current = version == SCHEMA_VERSION
        && super::get_meta(&tx, "builtin_data_hash")?.as_deref() == Some(builtin_hash().as_str())
        && index::version_is_current(&tx)?;
    tx.finish()?;
    Ok(current)
}

fn check_not_newer(version: i64) -> Result<()> {
    if version > SCHEMA_VERSION {
        bail!(
            "the database has schema version {version}, newer than this qabot understands \
             ({SCHEMA_VERSION}); upgrade qabot"
        );
    }
    Ok(())
}

/// The fingerprint of the curated data compiled into this binary.
fn builtin_hash() -> String {
    hex(&Sha256::digest(format!("{BUILTIN_SYNONYMS}\0{BUILTIN_SPEAKERS}")))
}

/// Replace the builtin synonym rows and add builtin speaker aliases when `data/*.txt` changed.
fn refresh_builtin_vocabulary(conn: &Connection) -> Result<()> {
    let hash = builtin_hash();
    if super::get_meta(conn, "builtin_data_hash")?.as_deref() == Some(hash.as_str()) {
        return Ok(());
    }
    conn.execute("DELETE FROM synonyms WHERE origin = 'builtin'", [])?;
    let first_group: i64 = conn.query_row("SELECT coalesce(max(group_id), 0) + 1 FROM synonyms", [], |r| r.get(0))?;
    let mut insert =
        conn.prepare("INSERT OR IGNORE INTO synonyms(group_id, term, origin) VALUES (?1, ?2, 'builtin')")?;
    for (i, group) in parse_synonym_file(BUILTIN_SYNONYMS).iter().enumerate() {
        for term in group {
            insert.execute(params![first_group + i as i64, term])?;
        }
    }
    let mut speakers = SpeakerResolver::new(conn)?;
    for (name, aliases) in parse_speaker_file(BUILTIN_SPEAKERS) {
        let id = speakers.resolve(conn, &name)?;
        for alias in aliases {
            speakers.add_alias(conn, id, &alias)?;
        }
    }
    super::set_meta(conn, "builtin_data_hash", &hash)
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
