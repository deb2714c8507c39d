//! The matcher's view of the database ([`Corpus`]), with statistics cached until another
//! connection commits (`PRAGMA data_version`), so a running bot sees new loads at once.

use std::sync::Arc;

use anyhow::{Context, Result};
use rusqlite::OptionalExtension;

use super::{index, Cached, Store};
use crate::search::postings::PairText;
use crate::search::{Corpus, Vocabulary};

impl Store {
    /// Apply pending SQL edits to the index and refresh cached statistics if the data changed.
    /// Called before each search; cheap when nothing changed.
    pub fn refresh(&mut self) -> Result<()> {
        let mut run = || -> Result<()> {
            let version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
            if self.cache.as_ref().is_some_and(|c| c.data_version == version) {
                return Ok(());
            }
            if !self.conn.is_readonly(rusqlite::DatabaseName::Main)? {
                if let Err(e) = index::process_queue(&mut self.conn) {
                    // Another writer holds the lock for longer than the busy timeout: search with
                    // what is indexed; the queue is applied next time.
                    log::warn!("could not index pending SQL edits: {e:#}");
                }
            }
            let pair_count: i64 = self.conn.query_row("SELECT count(*) FROM pairs", [], |r| r.get(0))?;
            let synonyms: Vec<(i64, String)> = self
                .conn
                .prepare("SELECT group_id, term FROM synonyms")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let aliases: Vec<(i64, String)> = self
                .conn
                // Only people who answer somewhere are speakers to a question; anyone else it names
                // (比尔·盖茨) is content to match.
                .prepare(
                    "SELECT id, name FROM speakers WHERE id IN (SELECT speaker_id FROM turns)
                     UNION ALL
                     SELECT speaker_id, alias FROM speaker_aliases WHERE speaker_id IN (SELECT speaker_id FROM turns)",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            // Keyed by the version read before reading: a load that commits meanwhile bumps it again
            // and is picked up on the next call, not hidden under the newer number.
            self.cache = Some(Cached {
                data_version: version,
                pair_count: pair_count as u64,
                vocabulary: Arc::new(Vocabulary::new(&synonyms, &aliases)),
            });
            Ok(())
        };
        run().context("cannot read the search index")
    }

    fn cached(&mut self) -> Result<&Cached> {
        if self.cache.is_none() {
            self.refresh()?;
        }
        Ok(self.cache.as_ref().expect("refresh fills the cache"))
    }
}

impl Corpus for Store {
    fn pair_count(&mut self) -> Result<u64> {
        Ok(self.cached()?.pair_count)
    }

    fn term(&mut self, term: &str) -> Result<Option<(i64, u64)>> {
        let found = self
            .conn
            .prepare_cached("SELECT id, df FROM terms WHERE term = ?1")?
            .query_row([term], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .optional()?;
        Ok(found.map(|(id, df)| (id, df.max(0) as u64)))
    }

    fn posting_lists(&mut self, term_id: i64) -> Result<Vec<Vec<u8>>> {
        let lists = self
            .conn
            .prepare_cached("SELECT data FROM postings WHERE term_id = ?1")?
            .query_map([term_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(lists)
    }

    fn pair_texts(&mut self, ids: &[i64]) -> Result<Vec<(i64, PairText)>> {
        index::pair_texts(&self.conn, ids)
    }

    fn vocabulary(&mut self) -> Result<Arc<Vocabulary>> {
        Ok(self.cached()?.vocabulary.clone())
    }
}
