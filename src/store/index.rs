//! Keeping the inverted index (tables `terms`, `postings`, `segments`) in step with the text.
//!
//! Every load writes its pairs' postings as a new segment; removing pairs rewrites the lists of
//! their terms; when segments pile up, the smallest are merged, so a term has at most a handful
//! of rows. Edits made with plain SQL are queued by triggers and applied by [`process_queue`].

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::search::normalize;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::search::postings::{
    decode, decode_all, encode, key_term, pair_terms, speaker_term, PairText, INDEX_VERSION,
};
use crate::search::tokenize::terms;

use super::segment::SegmentBuilder;

/// Segments beyond this many trigger a merge of the smallest ones.
pub(crate) const MAX_SEGMENTS: usize = 8;
/// How many segments one merge combines.
const MERGE_WIDTH: usize = 4;

/// Record that the index matches [`INDEX_VERSION`].
pub fn set_version(conn: &Connection) -> Result<()> {
    super::set_meta(conn, "index_version", INDEX_VERSION)
}

/// Whether the stored index was built by this version's rules.
pub fn version_is_current(conn: &Connection) -> Result<bool> {
    Ok(super::get_meta(conn, "index_version")?.as_deref() == Some(INDEX_VERSION))
}

/// Pairs deleted in a transaction whose postings are still to be removed. Collected while a load
/// replaces interviews and applied once ([`remove_bulk`]): each term's lists are rewritten once
/// however many interviews were replaced, instead of once per interview.
#[derive(Default)]
pub struct Removed {
    /// Bit set of pair ids.
    bits: Vec<u64>,
    count: usize,
    /// The removed pairs' terms, while so few pairs were removed that rewriting only their terms'
    /// lists is cheaper than one pass over the whole index (`None` after that).
    terms: Option<FxHashSet<String>>,
}

/// Beyond this many removed pairs, one pass over every posting list beats finding the removed
/// pairs' terms (which means reading and tokenising their text again).
const TARGETED_REMOVALS: usize = 2000;

impl Removed {
    /// Record pairs about to be deleted (call before deleting their rows: their text is read).
    pub fn add(&mut self, conn: &Connection, pair_ids: &[i64]) -> Result<()> {
        // Ids beyond 32 bits were never indexed (see `SegmentBuilder::add`).
        let ids: Vec<u32> = pair_ids.iter().filter_map(|&id| u32::try_from(id).ok()).collect();
        if self.count == 0 {
            self.terms = Some(FxHashSet::default());
        }
        self.count += ids.len();
        if self.count > TARGETED_REMOVALS {
            self.terms = None;
        }
        if let Some(terms) = self.terms.as_mut() {
            let wide: Vec<i64> = ids.iter().map(|&id| i64::from(id)).collect();
            for (_, text) in pair_texts(conn, &wide)? {
                terms.extend(pair_terms(&text).into_iter().map(|(term, _)| term));
            }
        }
        for id in ids {
            let (word, bit) = (id as usize / 64, id % 64);
            if word >= self.bits.len() {
                self.bits.resize(word + 1, 0);
            }
            self.bits[word] |= 1 << bit;
        }
        Ok(())
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Add what another set recorded.
    pub fn absorb(&mut self, other: Removed) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other;
            return;
        }
        if self.bits.len() < other.bits.len() {
            self.bits.resize(other.bits.len(), 0);
        }
        for (mine, theirs) in self.bits.iter_mut().zip(&other.bits) {
            *mine |= theirs;
        }
        self.count += other.count;
        self.terms = match (self.terms.take(), other.terms) {
            (Some(mut a), Some(b)) if self.count <= TARGETED_REMOVALS => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
    }

    /// Whether so many pairs were recorded that their postings go in one pass over the whole
    /// index (or a new index) rather than term by term.
    pub fn is_large(&self) -> bool {
        self.count > TARGETED_REMOVALS
    }

    fn contains(&self, id: u32) -> bool {
        self.bits.get(id as usize / 64).is_some_and(|word| word & (1 << (id % 64)) != 0)
    }
}

/// Posting rows read per step of a full pass.
const PASS_ROWS: i64 = 2000;

/// Remove the recorded pairs from the index and lower document frequencies to match.
pub fn remove_bulk(conn: &Connection, removed: &Removed) -> Result<()> {
    if removed.is_empty() {
        return Ok(());
    }
    let mut pass = RemovalPass::default();
    match &removed.terms {
        Some(terms) => {
            let mut find = conn.prepare_cached("SELECT id FROM terms WHERE term = ?1")?;
            let mut rows = conn.prepare_cached("SELECT term_id, segment, data FROM postings WHERE term_id = ?1")?;
            for term in terms {
                let Some(term_id) = find.query_row([term], |r| r.get::<_, i64>(0)).optional()? else { continue };
                let lists: Vec<(i64, i64, Vec<u8>)> = rows
                    .query_map([term_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                pass.rewrite(conn, removed, lists)?;
            }
        }
        None => {
            // Every list, a bounded number of rows at a time, in key order.
            let mut next = conn.prepare_cached(
                "SELECT term_id, segment, data FROM postings WHERE (term_id, segment) > (?1, ?2)
                  ORDER BY term_id, segment LIMIT ?3",
            )?;
            let mut after = (i64::MIN, i64::MIN);
            loop {
                let lists: Vec<(i64, i64, Vec<u8>)> = next
                    .query_map(params![after.0, after.1, PASS_ROWS], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                let Some(&(term, segment, _)) = lists.last() else { break };
                after = (term, segment);
                pass.rewrite(conn, removed, lists)?;
            }
        }
    }
    pass.finish(conn)
}

/// Whether removing these pairs is better done by writing the index anew ([`rewrite_without`])
/// than by editing it ([`remove_bulk`]): when one pass over the whole index is due anyway and
/// the removed pairs are at least a tenth of the live ones. Editing rewrites or deletes posting
/// rows in place, scattered over a B-tree larger than the page cache; writing anew reads each
/// row once and appends what is left. Measured at 100k pairs: the two cost the same with 10 %
/// of the interviews replaced, writing anew a third less at 20 %, 40 % less at 40 %.
pub fn mostly_removed(conn: &Connection, removed: &Removed) -> Result<bool> {
    if !removed.is_large() {
        return Ok(false);
    }
    // The pairs table holds the live pairs; the removed ones are gone from it already.
    let live: i64 = conn.query_row("SELECT count(*) FROM pairs", [], |r| r.get(0))?;
    Ok(removed.count as i64 * REWRITE_SHARE >= live)
}

/// [`mostly_removed`]: the index is written anew when removed pairs × this ≥ live pairs.
const REWRITE_SHARE: i64 = 10;

/// Forget segments left without entries. Their rows are gone already (a list left empty is
/// deleted, not kept empty); the check against the postings is a safety net that reads the whole
/// table once, and only when some segment did empty: the postings have no index by segment.
const EMPTIED_SEGMENTS: &str =
    "DELETE FROM segments WHERE entries = 0 AND id NOT IN (SELECT DISTINCT segment FROM postings)";

/// Write the whole index again without the removed pairs, as one segment: every term's rows
/// (all segments) are read in key order, merged and filtered, and appended to a new postings
/// table that then takes the old one's place; document frequencies are set from what is left,
/// and terms left without postings are dropped. Memory: one term's entries at a time.
pub fn rewrite_without(conn: &Connection, removed: &Removed) -> Result<()> {
    conn.execute_batch(&format!("{POSTINGS_NEXT}; DELETE FROM segments;"))?;
    conn.execute("INSERT INTO segments(entries) VALUES (0)", [])?;
    let segment = conn.last_insert_rowid();
    let mut rewrite = Rewrite {
        insert: conn.prepare("INSERT INTO postings_next(term_id, segment, data) VALUES (?1, ?2, ?3)")?,
        set_df: conn.prepare("UPDATE terms SET df = ?2 WHERE id = ?1 AND df <> ?2")?,
        drop_term: conn.prepare("DELETE FROM terms WHERE id = ?1")?,
        segment,
        entries: 0,
    };
    // Old rows are deleted as they are copied, range by range, so that the new table grows into
    // the pages the old one frees instead of growing the file by the index's size.
    let last: i64 = conn.query_row("SELECT coalesce(max(term_id), -1) FROM postings", [], |r| r.get(0))?;
    let mut read = conn
        .prepare("SELECT term_id, data FROM postings WHERE term_id >= ?1 AND term_id < ?2 ORDER BY term_id, segment")?;
    let mut delete = conn.prepare("DELETE FROM postings WHERE term_id >= ?1 AND term_id < ?2")?;
    let mut start: i64 = conn.query_row("SELECT coalesce(min(term_id), 0) FROM postings", [], |r| r.get(0))?;
    while start <= last {
        let end = start + REWRITE_TERMS;
        rewrite.copy(read.query(params![start, end])?, removed)?;
        delete.execute(params![start, end])?;
        start = end;
    }
    drop((read, delete));
    conn.execute("UPDATE segments SET entries = ?2 WHERE id = ?1", params![segment, rewrite.entries as i64])?;
    drop(rewrite);
    // The old table is empty by now.
    conn.execute_batch(
        "DROP TABLE postings;
         ALTER TABLE postings_next RENAME TO postings;",
    )?;
    Ok(())
}

/// Term ids copied per step of [`rewrite_without`].
const REWRITE_TERMS: i64 = 4096;

/// The postings table as schema.sql creates it, under the name its replacement is built under.
const POSTINGS_NEXT: &str = "CREATE TABLE postings_next (
    term_id INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    PRIMARY KEY (term_id, segment)
) WITHOUT ROWID";

/// The statements of [`rewrite_without`] and what it has written.
struct Rewrite<'c> {
    insert: rusqlite::Statement<'c>,
    set_df: rusqlite::Statement<'c>,
    drop_term: rusqlite::Statement<'c>,
    segment: i64,
    entries: usize,
}

impl Rewrite<'_> {
    /// Copy the terms of some posting rows `(term id, data)`, in key order, without the removed
    /// pairs.
    fn copy(&mut self, mut rows: rusqlite::Rows, removed: &Removed) -> Result<()> {
        let mut term: Option<(i64, Vec<(u32, u8)>)> = None;
        while let Some(row) = rows.next()? {
            let term_id: i64 = row.get(0)?;
            if term.as_ref().is_some_and(|(id, _)| *id != term_id) {
                self.term(term.take().expect("a term"))?;
            }
            let (_, entries) = term.get_or_insert_with(|| (term_id, Vec::new()));
            decode(row.get_ref(1)?.as_blob()?, |id, impact| {
                if !removed.contains(id) {
                    entries.push((id, impact));
                }
            });
        }
        match term {
            Some(last) => self.term(last),
            None => Ok(()),
        }
    }

    /// Write one term's remaining entries (from all its rows), or drop the term if none is left.
    fn term(&mut self, (term_id, mut entries): (i64, Vec<(u32, u8)>)) -> Result<()> {
        if entries.is_empty() {
            self.drop_term.execute([term_id])?;
            return Ok(());
        }
        // Segments' id ranges may interleave (merges pick segments by size).
        entries.sort_unstable_by_key(|e| e.0);
        self.insert.execute(params![term_id, self.segment, encode(&entries)])?;
        self.set_df.execute(params![term_id, entries.len() as i64])?;
        self.entries += entries.len();
        Ok(())
    }
}

/// What a removal took out of each term and segment, applied to their counts at the end.
#[derive(Default)]
struct RemovalPass {
    per_term: FxHashMap<i64, i64>,
    per_segment: FxHashMap<i64, i64>,
}

impl RemovalPass {
    /// Filter removed pairs out of some posting rows `(term id, segment, data)`.
    fn rewrite(&mut self, conn: &Connection, removed: &Removed, lists: Vec<(i64, i64, Vec<u8>)>) -> Result<()> {
        let mut update = conn.prepare_cached("UPDATE postings SET data = ?3 WHERE term_id = ?1 AND segment = ?2")?;
        let mut delete = conn.prepare_cached("DELETE FROM postings WHERE term_id = ?1 AND segment = ?2")?;
        for (term_id, segment, data) in lists {
            let mut kept = Vec::new();
            let mut gone = 0i64;
            decode(&data, |id, impact| {
                if removed.contains(id) {
                    gone += 1;
                } else {
                    kept.push((id, impact));
                }
            });
            if gone == 0 {
                continue;
            }
            if kept.is_empty() {
                delete.execute(params![term_id, segment])?;
            } else {
                update.execute(params![term_id, segment, encode(&kept)])?;
            }
            *self.per_term.entry(term_id).or_default() += gone;
            *self.per_segment.entry(segment).or_default() += gone;
        }
        Ok(())
    }

    fn finish(self, conn: &Connection) -> Result<()> {
        let mut lower_df = conn.prepare_cached("UPDATE terms SET df = max(df - ?2, 0) WHERE id = ?1 RETURNING df")?;
        let mut drop_term = conn.prepare_cached("DELETE FROM terms WHERE id = ?1")?;
        for (term_id, gone) in self.per_term {
            let df: i64 = lower_df.query_row(params![term_id, gone], |r| r.get(0))?;
            if df == 0 {
                drop_term.execute([term_id])?;
            }
        }
        let mut lower_entries =
            conn.prepare_cached("UPDATE segments SET entries = max(entries - ?2, 0) WHERE id = ?1")?;
        for (segment, gone) in self.per_segment {
            lower_entries.execute(params![segment, gone])?;
        }
        conn.execute(EMPTIED_SEGMENTS, [])?;
        Ok(())
    }
}

/// Write a builder's postings as a new segment and count them into document frequencies.
pub fn write_segment(conn: &Connection, builder: SegmentBuilder) -> Result<()> {
    if builder.is_empty() {
        return Ok(());
    }
    conn.execute("INSERT INTO segments(entries) VALUES (?1)", [builder.entries() as i64])?;
    let segment = conn.last_insert_rowid();
    // In term order, so the inserts into both B-trees mostly append; each term spelt out only
    // when written (a segment has hundreds of thousands of terms).
    let keys = builder.sorted_keys();
    // A first load into an empty index need not look terms up one by one.
    let empty: bool = conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM terms)", [], |r| r.get(0))?;
    let mut next_id: i64 = conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM terms", [], |r| r.get(0))?;
    let mut find = conn.prepare_cached("SELECT id FROM terms WHERE term = ?1")?;
    let mut insert_term = conn.prepare_cached("INSERT INTO terms(id, term, df) VALUES (?1, ?2, ?3)")?;
    let mut bump = conn.prepare_cached("UPDATE terms SET df = df + ?2 WHERE id = ?1")?;
    let mut insert = conn.prepare_cached("INSERT INTO postings(term_id, segment, data) VALUES (?1, ?2, ?3)")?;
    let mut data = Vec::new();
    for key in keys {
        let count = builder.list(key, &mut data);
        let term = key_term(key, builder.words());
        let known: Option<i64> = if empty { None } else { find.query_row([term.as_str()], |r| r.get(0)).optional()? };
        let term_id = match known {
            Some(id) => {
                bump.execute(params![id, count])?;
                id
            }
            None => {
                insert_term.execute(params![next_id, term, count])?;
                next_id += 1;
                next_id - 1
            }
        };
        insert.execute(params![term_id, segment, data])?;
    }
    Ok(())
}

/// Remove pair ids from the lists of the given terms and lower document frequencies to match.
pub fn remove_from_terms(conn: &Connection, removals: HashMap<String, HashSet<u32>>) -> Result<()> {
    let mut find = conn.prepare_cached("SELECT id FROM terms WHERE term = ?1")?;
    let mut rows = conn.prepare_cached("SELECT segment, data FROM postings WHERE term_id = ?1")?;
    let mut update = conn.prepare_cached("UPDATE postings SET data = ?3 WHERE term_id = ?1 AND segment = ?2")?;
    let mut delete = conn.prepare_cached("DELETE FROM postings WHERE term_id = ?1 AND segment = ?2")?;
    let mut lower_df = conn.prepare_cached("UPDATE terms SET df = max(df - ?2, 0) WHERE id = ?1 RETURNING df")?;
    let mut drop_term = conn.prepare_cached("DELETE FROM terms WHERE id = ?1")?;
    let mut lower_entries = conn.prepare_cached("UPDATE segments SET entries = max(entries - ?2, 0) WHERE id = ?1")?;
    for (term, ids) in removals {
        let Some(term_id) = find.query_row([&term], |r| r.get::<_, i64>(0)).optional()? else { continue };
        let lists: Vec<(i64, Vec<u8>)> =
            rows.query_map([term_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut removed_total = 0i64;
        for (segment, data) in lists {
            let entries = decode_all(&data);
            let kept: Vec<(u32, u8)> = entries.iter().copied().filter(|(id, _)| !ids.contains(id)).collect();
            let removed = (entries.len() - kept.len()) as i64;
            if removed == 0 {
                continue;
            }
            if kept.is_empty() {
                delete.execute(params![term_id, segment])?;
            } else {
                update.execute(params![term_id, segment, encode(&kept)])?;
            }
            lower_entries.execute(params![segment, removed])?;
            removed_total += removed;
        }
        if removed_total > 0 {
            let df: i64 = lower_df.query_row(params![term_id, removed_total], |r| r.get(0))?;
            if df == 0 {
                drop_term.execute([term_id])?;
            }
        }
    }
    conn.execute(EMPTIED_SEGMENTS, [])?;
    Ok(())
}

/// The indexed text of a pair, as stored now.
pub fn pair_text(conn: &Connection, pair_id: i64) -> Result<Option<PairText>> {
    Ok(pair_texts(conn, &[pair_id])?.pop().map(|(_, text)| text))
}

/// The indexed text of several pairs, in the order asked (ids that do not exist are left out).
/// Four queries whatever the number of pairs: the ids go in as one JSON array.
pub fn pair_texts(conn: &Connection, ids: &[i64]) -> Result<Vec<(i64, PairText)>> {
    let list = serde_json::to_string(ids).expect("ids serialise");
    let mut texts: FxHashMap<i64, PairText> = FxHashMap::default();
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.question, i.title FROM pairs AS p JOIN interviews AS i ON i.id = p.interview_id
          WHERE p.id IN (SELECT value FROM json_each(?1))",
    )?;
    for row in stmt.query_map([&list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))? {
        let (id, question, title) = row?;
        texts.insert(id, PairText { question, title, ..PairText::default() });
    }
    let found: Vec<i64> = ids.iter().copied().filter(|id| texts.contains_key(id)).collect();
    let mut stmt = conn.prepare_cached(
        "SELECT pair_id, text FROM alternates WHERE pair_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    )?;
    for row in stmt.query_map([&list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, text) = row?;
        texts.entry(id).or_default().alternates.push(text);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT pair_id, speaker_id, text FROM turns WHERE pair_id IN (SELECT value FROM json_each(?1))
          ORDER BY pair_id, position",
    )?;
    for row in stmt.query_map([&list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))? {
        let (id, speaker, text) = row?;
        texts.entry(id).or_default().turns.push((speaker, text));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT pair_id, text FROM pair_notes WHERE pair_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    )?;
    for row in stmt.query_map([&list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, text) = row?;
        texts.entry(id).or_default().notes.push(text);
    }
    Ok(found.into_iter().filter_map(|id| texts.remove(&id).map(|t| (id, t))).collect())
}

/// Merge the smallest segments while there are too many.
pub fn maybe_merge(conn: &Connection) -> Result<()> {
    loop {
        let segments: Vec<i64> = conn
            .prepare_cached("SELECT id FROM segments ORDER BY entries, id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if segments.len() <= MAX_SEGMENTS {
            return Ok(());
        }
        merge(conn, &segments[..MERGE_WIDTH])?;
    }
}

/// Term ids merged per step: the rows of so many terms are held in memory at once (decoded, 8
/// bytes an entry; common terms have an entry for most pairs), so a merge of
/// large segments needs little more memory than a small one.
const MERGE_TERMS: i64 = 256;

fn merge(conn: &Connection, segments: &[i64]) -> Result<()> {
    let list = segments.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let entries: i64 =
        conn.query_row(&format!("SELECT sum(entries) FROM segments WHERE id IN ({list})"), [], |r| r.get(0))?;
    conn.execute("INSERT INTO segments(entries) VALUES (?1)", [entries])?;
    let segment = conn.last_insert_rowid();
    let (first, last): (i64, i64) =
        conn.query_row("SELECT coalesce(min(term_id), 0), coalesce(max(term_id), -1) FROM postings", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let mut select = conn.prepare(&format!(
        "SELECT term_id, data FROM postings WHERE term_id >= ?1 AND term_id < ?2 AND segment IN ({list})
          ORDER BY term_id"
    ))?;
    let mut delete =
        conn.prepare(&format!("DELETE FROM postings WHERE term_id >= ?1 AND term_id < ?2 AND segment IN ({list})"))?;
    let mut insert = conn.prepare_cached("INSERT INTO postings(term_id, segment, data) VALUES (?1, ?2, ?3)")?;
    let mut start = first;
    while start <= last {
        let end = start + MERGE_TERMS;
        let mut merged: Vec<(i64, Vec<(u32, u8)>)> = Vec::new();
        let mut rows = select.query(params![start, end])?;
        while let Some(row) = rows.next()? {
            let term_id: i64 = row.get(0)?;
            let data = row.get_ref(1)?.as_blob()?;
            match merged.last_mut() {
                Some((id, entries)) if *id == term_id => decode(data, |p, i| entries.push((p, i))),
                _ => merged.push((term_id, decode_all(data))),
            }
        }
        drop(rows);
        delete.execute(params![start, end])?;
        for (term_id, mut entries) in merged {
            entries.sort_unstable_by_key(|e| e.0);
            insert.execute(params![term_id, segment, encode(&entries)])?;
        }
        start = end;
    }
    conn.execute(&format!("DELETE FROM segments WHERE id IN ({list})"), [])?;
    Ok(())
}

/// Throw the index away and build it again from the text tables.
pub fn rebuild(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM postings; DELETE FROM terms; DELETE FROM segments; DELETE FROM index_queue;")?;
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM pairs ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut builder = SegmentBuilder::default();
    for chunk in ids.chunks(500) {
        for (id, text) in pair_texts(conn, chunk)? {
            if let Err(e) = builder.add_text(id, &text) {
                log::warn!("pair {id} is not searchable: {e:#}");
            }
        }
    }
    write_segment(conn, builder)?;
    set_version(conn)
}

/// Apply edits made with plain SQL (queued by triggers) to the index.
pub fn process_queue(conn: &mut Connection) -> Result<()> {
    let pending: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM index_queue)", [], |r| r.get(0))?;
    if !pending {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let queued: Vec<(i64, Option<String>, Option<i64>)> = tx
        .prepare("SELECT pair_id, old_text, old_speaker FROM index_queue ORDER BY pair_id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut removals: HashMap<String, HashSet<u32>> = HashMap::new();
    let mut current: Vec<(i64, PairText)> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    for (pair_id, old_text, old_speaker) in queued {
        let Ok(id) = u32::try_from(pair_id) else { continue };
        if let Some(text) = old_text {
            terms(&normalize(&text), |t| {
                removals.entry(t.to_owned()).or_default().insert(id);
            });
        }
        if let Some(speaker) = old_speaker {
            removals.entry(speaker_term(speaker)).or_default().insert(id);
        }
        if seen.insert(pair_id) {
            if let Some(text) = pair_text(&tx, pair_id)? {
                for (term, _) in pair_terms(&text) {
                    removals.entry(term).or_default().insert(id);
                }
                current.push((pair_id, text));
            }
        }
    }
    remove_from_terms(&tx, removals)?;
    let mut builder = SegmentBuilder::default();
    for (id, text) in current {
        if let Err(e) = builder.add_text(id, &text) {
            log::warn!("pair {id} is not searchable: {e:#}");
        }
    }
    write_segment(&tx, builder)?;
    maybe_merge(&tx)?;
    tx.execute("DELETE FROM index_queue", [])?;
    tx.commit()?;
    Ok(())
}
