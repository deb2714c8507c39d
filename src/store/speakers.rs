//! Who is who: resolving names and aliases to speakers while writing.

use std::collections::HashMap;

use anyhow::Result;
use rusqlite::{params, Connection};

use crate::search::normalize;

/// Speaker names and aliases by normalised form (case, width and script folded), for the length
/// of one transaction.
pub struct SpeakerResolver {
    by_key: HashMap<String, i64>,
    names: HashMap<i64, String>,
    /// Speakers created, in order.
    pub created: Vec<String>,
}

impl SpeakerResolver {
    /// Read every speaker and alias.
    pub fn new(conn: &Connection) -> Result<SpeakerResolver> {
        let mut resolver = SpeakerResolver { by_key: HashMap::new(), names: HashMap::new(), created: Vec::new() };
        let mut stmt = conn.prepare("SELECT id, name FROM speakers")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, name) = row?;
            resolver.by_key.entry(normalize(&name)).or_insert(id);
            resolver.names.insert(id, name);
        }
        let mut stmt = conn.prepare("SELECT speaker_id, alias FROM speaker_aliases")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, alias) = row?;
            resolver.by_key.entry(normalize(&alias)).or_insert(id);
        }
        Ok(resolver)
    }

    /// The speaker with this name or alias.
    pub fn find(&self, name: &str) -> Option<i64> {
        self.by_key.get(&normalize(name)).copied()
    }

    /// The canonical name of a speaker.
    pub fn name(&self, id: i64) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// The speaker called `name` (by name or alias), created if nobody is.
    pub fn resolve(&mut self, conn: &Connection, name: &str) -> Result<i64> {
        if let Some(id) = self.find(name) {
            return Ok(id);
        }
        conn.execute("INSERT INTO speakers(name) VALUES (?1)", [name])?;
        let id = conn.last_insert_rowid();
        self.by_key.insert(normalize(name), id);
        self.names.insert(id, name.to_owned());
        self.created.push(name.to_owned());
        Ok(id)
    }

    /// Record `alias` for a speaker unless the alias is taken already (by them or anyone else).
    /// Returns whether it was new.
    pub fn add_alias(&mut self, conn: &Connection, speaker_id: i64, alias: &str) -> Result<bool> {
        if self.find(alias).is_some() {
            return Ok(false);
        }
        conn.execute(
            "INSERT OR IGNORE INTO speaker_aliases(alias, speaker_id) VALUES (?1, ?2)",
            params![alias, speaker_id],
        )?;
        self.by_key.insert(normalize(alias), speaker_id);
        Ok(true)
    }
}
