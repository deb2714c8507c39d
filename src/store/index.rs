//! Keeping the inverted index (tables `terms`, `postings`, `segments`) in step with the text.
//!
//! Every load writes its pairs' postings as a new segment; removing pairs rewrites the lists of
//! their terms; when segments pile up, the smallest are merged, so a term has at most a handful
//! of rows. Edits made with plain SQL are queued by triggers and applied by [`process_queue`].

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::search::normalize;
use rustc_hash::FxHashMap;

use crate::search::postings::{
    decode, decode_all, encode, key_term, pair_terms, push_entry, speaker_term, Interner, LocalTerms, PairText,
    TermCounts, TermKey, INDEX_VERSION,
};
use crate::search::tokenize::terms;

/// Segments beyond this many trigger a merge of the smallest ones.
const MAX_SEGMENTS: usize = 8;
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

/// Postings for a batch of pairs, encoded as they are added (pair ids must ascend). It is also the
/// batch's interner for non-Chinese terms (see [`TermKey`]).
#[derive(Default)]
pub struct SegmentBuilder {
    words: LocalTerms,
    lists: FxHashMap<TermKey, List>,
    entries: usize,
}

#[derive(Default)]
struct List {
    data: Vec<u8>,
    last: u32,
    count: u64,
}

impl Interner for SegmentBuilder {
    fn id(&mut self, term: &str) -> u32 {
        self.words.id(term)
    }
}

impl SegmentBuilder {
    /// Add a pair's terms (keys from this builder, with impact bytes). Ids must be added in
    /// ascending order.
    pub fn add(&mut self, pair_id: i64, terms: &[(TermKey, u8)]) -> Result<()> {
        let Ok(id) = u32::try_from(pair_id) else {
            anyhow::bail!("pair id {pair_id} is outside what the index can hold (1 to {}); renumber it", u32::MAX);
        };
        for &(term, impact) in terms {
            let list = self.lists.entry(term).or_default();
            push_entry(&mut list.data, list.last, id, impact);
            list.last = id;
            list.count += 1;
            self.entries += 1;
        }
        Ok(())
    }

    /// Analyse a pair (with the notes it carries) and add it.
    pub fn add_text(&mut self, pair_id: i64, text: &PairText) -> Result<()> {
        let impacts = TermCounts::of(text, self).impacts();
        self.add(pair_id, &impacts)
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }
}

/// Write a builder's postings as a new segment and count them into document frequencies.
pub fn write_segment(conn: &Connection, builder: SegmentBuilder) -> Result<()> {
    if builder.is_empty() {
        return Ok(());
    }
    conn.execute("INSERT INTO segments(entries) VALUES (?1)", [builder.entries as i64])?;
    let segment = conn.last_insert_rowid();
    // In term order, so the inserts into both B-trees mostly append.
    let words = builder.words.terms;
    let mut lists: Vec<(String, List)> =
        builder.lists.into_iter().map(|(key, list)| (key_term(key, &words), list)).collect();
    lists.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // A first load into an empty index need not look terms up one by one.
    let empty: bool = conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM terms)", [], |r| r.get(0))?;
    let mut next_id: i64 = conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM terms", [], |r| r.get(0))?;
    let mut find = conn.prepare_cached("SELECT id FROM terms WHERE term = ?1")?;
    let mut insert_term = conn.prepare_cached("INSERT INTO terms(id, term, df) VALUES (?1, ?2, ?3)")?;
    let mut bump = conn.prepare_cached("UPDATE terms SET df = df + ?2 WHERE id = ?1")?;
    let mut insert = conn.prepare_cached("INSERT INTO postings(term_id, segment, data) VALUES (?1, ?2, ?3)")?;
    for (term, list) in &lists {
        let known: Option<i64> = if empty { None } else { find.query_row([term.as_str()], |r| r.get(0)).optional()? };
        let term_id = match known {
            Some(id) => {
                bump.execute(params![id, list.count as i64])?;
                id
            }
            None => {
                insert_term.execute(params![next_id, term, list.count as i64])?;
                next_id += 1;
                next_id - 1
            }
        };
        insert.execute(params![term_id, segment, list.data])?;
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
    conn.execute(
        "DELETE FROM segments WHERE entries = 0 AND NOT EXISTS (SELECT 1 FROM postings WHERE segment = segments.id)",
        [],
    )?;
    Ok(())
}

/// Remove whole pairs (given with the text they were indexed with) from the index.
pub fn remove_pairs(conn: &Connection, pairs: &[(i64, PairText)]) -> Result<()> {
    let mut removals: HashMap<String, HashSet<u32>> = HashMap::new();
    // Ids beyond 32 bits were never indexed (see `SegmentBuilder::add`).
    for (id, text) in pairs.iter().filter_map(|(id, text)| u32::try_from(*id).ok().map(|id| (id, text))) {
        for (term, _) in pair_terms(text) {
            removals.entry(term).or_default().insert(id);
        }
    }
    remove_from_terms(conn, removals)
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
    let mut stmt =
        conn.prepare_cached("SELECT id, question FROM pairs WHERE id IN (SELECT value FROM json_each(?1))")?;
    for row in stmt.query_map([&list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, question) = row?;
        texts.insert(id, PairText { question, ..PairText::default() });
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

fn merge(conn: &Connection, segments: &[i64]) -> Result<()> {
    let list = segments.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let mut merged: Vec<(i64, Vec<u8>)> = Vec::new();
    {
        let mut stmt =
            conn.prepare(&format!("SELECT term_id, data FROM postings WHERE segment IN ({list}) ORDER BY term_id"))?;
        let mut rows = stmt.query([])?;
        let mut current: Option<(i64, Vec<(u32, u8)>)> = None;
        while let Some(row) = rows.next()? {
            let term_id: i64 = row.get(0)?;
            let data: Vec<u8> = row.get(1)?;
            match current.as_mut() {
                Some((id, entries)) if *id == term_id => decode(&data, |p, i| entries.push((p, i))),
                _ => {
                    if let Some((id, mut entries)) = current.take() {
                        entries.sort_unstable_by_key(|e| e.0);
                        merged.push((id, encode(&entries)));
                    }
                    current = Some((term_id, decode_all(&data)));
                }
            }
        }
        if let Some((id, mut entries)) = current.take() {
            entries.sort_unstable_by_key(|e| e.0);
            merged.push((id, encode(&entries)));
        }
    }
    let entries: i64 =
        conn.query_row(&format!("SELECT sum(entries) FROM segments WHERE id IN ({list})"), [], |r| r.get(0))?;
    conn.execute("INSERT INTO segments(entries) VALUES (?1)", [entries])?;
    let segment = conn.last_insert_rowid();
    conn.execute(&format!("DELETE FROM postings WHERE segment IN ({list})"), [])?;
    conn.execute(&format!("DELETE FROM segments WHERE id IN ({list})"), [])?;
    let mut insert = conn.prepare_cached("INSERT INTO postings(term_id, segment, data) VALUES (?1, ?2, ?3)")?;
    for (term_id, data) in merged {
        insert.execute(params![term_id, segment, data])?;
    }
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
