//! Storing parsed interviews: one transaction per file, replacing changed versions, skipping
//! unchanged ones, indexing as it goes.

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};

use super::index::{self, SegmentBuilder};
use super::migrate::hex;
use super::speakers::SpeakerResolver;
use super::Store;
use crate::search::postings::{Interner, LocalTerms, PairText, TermCounts, TermKey, WORD_BIT};
use crate::search::{normalize, notes};
use crate::transcript::Interview;

/// Where interviews came from: used for the default identity (slug) and recorded in the database.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The path as the curator gave it.
    pub path: String,
    /// The file name without extension.
    pub stem: String,
}

/// What loading did to one interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadAction {
    /// A new interview.
    Loaded,
    /// A changed version of an interview that was already stored.
    Replaced,
    /// Identical to what was stored; nothing written.
    Unchanged,
}

impl LoadAction {
    /// Lower-case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadAction::Loaded => "loaded",
            LoadAction::Replaced => "replaced",
            LoadAction::Unchanged => "unchanged",
        }
    }
}

/// The outcome for one interview.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// What happened.
    pub action: LoadAction,
    /// Its identity.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Its id (unchanged or newly assigned; in a dry run, what it would be).
    pub interview_id: i64,
    /// Number of pairs it holds.
    pub pairs: usize,
    /// Speakers that did not exist before this load.
    pub new_speakers: Vec<String>,
    /// Turn labels attributed to a speaker known by another name: (label, canonical name).
    pub attributed: Vec<(String, String)>,
}

impl Store {
    /// Store the interviews of one file atomically. With `dry_run`, report what would happen and
    /// write nothing.
    pub fn load(&mut self, interviews: &[Interview], origin: &Origin, dry_run: bool) -> Result<Vec<LoadReport>> {
        Ok(self.load_files(&[(interviews, origin)], dry_run)?.pop().unwrap_or_default())
    }

    /// Store the interviews of several files in one transaction: all or nothing.
    pub fn load_files(&mut self, files: &[(&[Interview], &Origin)], dry_run: bool) -> Result<Vec<Vec<LoadReport>>> {
        // A large page cache keeps a big load from spilling half-built B-trees to the WAL.
        self.conn.pragma_update(None, "cache_size", -LOAD_CACHE_KIB)?;
        let result = self.load_files_in_transaction(files, dry_run);
        self.conn.pragma_update(None, "cache_size", -DEFAULT_CACHE_KIB)?;
        result
    }

    fn load_files_in_transaction(
        &mut self,
        files: &[(&[Interview], &Origin)],
        dry_run: bool,
    ) -> Result<Vec<Vec<LoadReport>>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('indexing_in_progress', '1')", [])?;
        let mut speakers = SpeakerResolver::new(&tx)?;
        let mut builder = SegmentBuilder::default();
        let mut all = Vec::with_capacity(files.len());
        for (interviews, origin) in files {
            let slugs = slugs(interviews, origin)?;
            let mut reports = Vec::with_capacity(interviews.len());
            // In batches, so the analysis of many interviews runs on every core while memory
            // stays bounded.
            for (batch, batch_slugs) in interviews.chunks(BATCH).zip(slugs.chunks(BATCH)) {
                reports.extend(load_batch(&tx, batch, batch_slugs, origin, &mut speakers, &mut builder)?);
            }
            all.push(reports);
        }
        index::write_segment(&tx, builder)?;
        index::maybe_merge(&tx)?;
        tx.execute("DELETE FROM meta WHERE key = 'indexing_in_progress'", [])?;
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
            self.invalidate();
        }
        Ok(all)
    }

    /// What loading each file in turn would do, without writing anything: one transaction,
    /// rolled back at the end, with a savepoint per file so that a failing file is reported and
    /// the simulation goes on as a real run would (later files see earlier ones).
    pub fn simulate_files(&mut self, files: &[(&[Interview], &Origin)]) -> Result<Vec<Result<Vec<LoadReport>>>> {
        let mut tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('indexing_in_progress', '1')", [])?;
        let mut outcomes = Vec::with_capacity(files.len());
        for (interviews, origin) in files {
            let savepoint = tx.savepoint()?;
            // Postings are not needed to report what would happen.
            let mut builder = SegmentBuilder::default();
            let outcome = (|| {
                let mut speakers = SpeakerResolver::new(&savepoint)?;
                let slugs = slugs(interviews, origin)?;
                let mut reports = Vec::with_capacity(interviews.len());
                for (batch, batch_slugs) in interviews.chunks(BATCH).zip(slugs.chunks(BATCH)) {
                    reports.extend(load_batch(&savepoint, batch, batch_slugs, origin, &mut speakers, &mut builder)?);
                }
                Ok(reports)
            })();
            if outcome.is_ok() {
                savepoint.commit()?;
            }
            outcomes.push(outcome);
        }
        tx.rollback()?;
        Ok(outcomes)
    }

    /// Delete an interview (and its pairs) by slug. Returns whether it existed.
    pub fn remove(&mut self, slug: &str) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('indexing_in_progress', '1')", [])?;
        let id: Option<i64> =
            tx.query_row("SELECT id FROM interviews WHERE slug = ?1", [slug], |r| r.get(0)).optional()?;
        if let Some(id) = id {
            remove_interview(&tx, id)?;
        }
        tx.execute("DELETE FROM meta WHERE key = 'indexing_in_progress'", [])?;
        tx.commit()?;
        self.invalidate();
        Ok(id.is_some())
    }
}

/// The identity of each interview in a file: front-matter/JSON `slug`, else `source`, else the
/// file name (plus the title when a file holds several interviews).
fn slugs(interviews: &[Interview], origin: &Origin) -> Result<Vec<String>> {
    let several = interviews.len() > 1;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(interviews.len());
    for interview in interviews {
        let slug = interview.slug.clone().or_else(|| interview.source.clone()).unwrap_or_else(|| {
            if several {
                format!("{}#{}", origin.stem, interview.title)
            } else {
                origin.stem.clone()
            }
        });
        if !seen.insert(slug.clone()) {
            bail!(
                "two interviews in this file have the same identity `{slug}`: give each a distinct `slug` or `source`"
            );
        }
        out.push(slug);
    }
    Ok(out)
}

/// SHA-256 of the interview's content: what was said and asked, not its identity (`slug`) or
/// speaker declarations (aliases), so an exported interview loads back as unchanged.
fn content_hash(interview: &Interview) -> String {
    let content = Interview { slug: None, speakers: Vec::new(), ..interview.clone() };
    let json = serde_json::to_string(&content).expect("interviews serialise");
    hex(&Sha256::digest(json.as_bytes()))
}

/// Page cache while loading, and SQLite's default, in KiB.
const LOAD_CACHE_KIB: i64 = 256 * 1024;
const DEFAULT_CACHE_KIB: i64 = 2000;

/// Interviews analysed together (on all cores) before their rows are written.
const BATCH: usize = 256;

/// What will happen to one interview of a batch.
struct Plan {
    action: LoadAction,
    /// Existing id when unchanged.
    interview_id: i64,
    hash: String,
    /// Speaker id of every turn, pair by pair.
    speaker_ids: Vec<Vec<i64>>,
    new_speakers: Vec<String>,
    /// Labels attributed to a speaker known by another name: (label, canonical name).
    attributed: Vec<(String, String)>,
}

/// Store a batch of interviews inside the caller's transaction: insert, replace, or leave
/// unchanged. Decisions and speakers first (they need the database), then the text analysis of
/// the interviews to write, in parallel, then the rows and postings.
fn load_batch(
    tx: &Connection,
    interviews: &[Interview],
    slugs: &[String],
    origin: &Origin,
    speakers: &mut SpeakerResolver,
    builder: &mut SegmentBuilder,
) -> Result<Vec<LoadReport>> {
    let mut plans = Vec::with_capacity(interviews.len());
    for (interview, slug) in interviews.iter().zip(slugs) {
        plans.push(plan(tx, interview, slug, origin, speakers)?);
    }
    let to_write: Vec<(&Interview, &Plan)> =
        interviews.iter().zip(&plans).filter(|(_, p)| p.action != LoadAction::Unchanged).collect();
    let analysed = analyse_in_parallel(&to_write);
    let mut reports = Vec::with_capacity(interviews.len());
    let mut analysed = analysed.into_iter();
    for ((interview, slug), plan) in interviews.iter().zip(slugs).zip(plans) {
        let interview_id = if plan.action == LoadAction::Unchanged {
            plan.interview_id
        } else {
            let analysis = analysed.next().expect("one analysis per interview written");
            insert_interview(tx, interview, slug, origin, &plan, analysis, builder)?
        };
        reports.push(LoadReport {
            action: plan.action,
            slug: slug.clone(),
            title: interview.title.clone(),
            interview_id,
            pairs: interview.pairs.len(),
            new_speakers: plan.new_speakers,
            attributed: plan.attributed,
        });
    }
    Ok(reports)
}

/// Decide what to do with an interview, remove the version it replaces, resolve its speakers.
fn plan(
    tx: &Connection,
    interview: &Interview,
    slug: &str,
    origin: &Origin,
    speakers: &mut SpeakerResolver,
) -> Result<Plan> {
    let hash = content_hash(interview);
    let existing: Option<(i64, String, String, Option<String>)> = tx
        .query_row("SELECT id, content_hash, title, origin FROM interviews WHERE slug = ?1", [slug], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    // Edits made with SQL since the last load (an alternate added) change what is stored without
    // changing the recorded hash: compare with the stored content itself before replacing.
    let same_as_stored = |id: i64| -> Result<bool> {
        Ok(super::read::interview_content(tx, id)?.is_some_and(|stored| content_hash(&stored) == hash))
    };
    let (action, interview_id) = match existing {
        Some((id, stored, _, _)) if stored == hash => (LoadAction::Unchanged, id),
        Some((id, _, _, _)) if same_as_stored(id)? => {
            tx.execute("UPDATE interviews SET content_hash = ?2 WHERE id = ?1", params![id, hash])?;
            (LoadAction::Unchanged, id)
        }
        Some((id, _, title, old_origin)) => {
            // An identity taken from a file name is weak: two folders may both hold
            // `interview.txt`. Replace only what is recognisably the same interview.
            let explicit = interview.slug.is_some() || interview.source.is_some();
            let same_file = old_origin.as_deref() == Some(origin.path.as_str());
            if !(explicit || same_file || title == interview.title) {
                bail!(
                    "\u{300C}{}\u{300D} has the identity `{slug}` of the stored interview \u{300C}{title}\u{300D} (from {}): \
                     give one of them a `slug` (front matter or JSON) to keep both, or load it under the \
                     same title or from the same file to replace the old one",
                    interview.title,
                    old_origin.as_deref().unwrap_or("an unknown file"),
                );
            }
            remove_interview(tx, id)?;
            (LoadAction::Replaced, 0)
        }
        None => (LoadAction::Loaded, 0),
    };
    let before = speakers.created.len();
    let mut speaker_ids = Vec::new();
    let mut attributed = Vec::new();
    if action != LoadAction::Unchanged {
        // A declared speaker is identified by full name only, and this file's own names and
        // aliases win over the database's: two people may share a short name (`Sam`), and an
        // alias of someone elsewhere must never take their words.
        let mut declared: HashMap<String, i64> = HashMap::new();
        for speaker in &interview.speakers {
            let id = speakers.resolve(tx, &speaker.name)?;
            for name in std::iter::once(&speaker.name).chain(&speaker.aliases) {
                declared.insert(normalize(name), id);
            }
            for alias in &speaker.aliases {
                speakers.add_alias(tx, id, alias)?;
            }
        }
        for pair in &interview.pairs {
            let mut ids = Vec::with_capacity(pair.turns.len());
            for turn in &pair.turns {
                let key = normalize(&turn.speaker);
                let id = match declared.get(&key) {
                    Some(&id) => id,
                    None => speakers.resolve(tx, &turn.speaker)?,
                };
                let canonical = speakers.name(id).unwrap_or(&turn.speaker).to_owned();
                if normalize(&canonical) != key && !attributed.iter().any(|(label, _)| label == &turn.speaker) {
                    attributed.push((turn.speaker.clone(), canonical));
                }
                ids.push(id);
            }
            speaker_ids.push(ids);
        }
    }
    let new_speakers = speakers.created[before..].to_vec();
    Ok(Plan { action, interview_id, hash, speaker_ids, new_speakers, attributed })
}

/// An interview's index terms, worked out away from the database.
struct Analysis {
    /// Per pair: its terms and impact bytes (non-Chinese terms keyed by `words`).
    impacts: Vec<Vec<(TermKey, u8)>>,
    /// Per intro note: the pairs it summarises.
    links: Vec<Vec<usize>>,
    words: LocalTerms,
}

/// Analyse interviews on all available cores, keeping their order.
fn analyse_in_parallel(items: &[(&Interview, &Plan)]) -> Vec<Analysis> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(|(iv, plan)| analyse(iv, plan)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|(iv, plan)| analyse(iv, plan)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("analysis does not panic")).collect()
    })
}

/// Count each pair's terms once; the counts serve both linking the intro notes and indexing.
fn analyse(interview: &Interview, plan: &Plan) -> Analysis {
    let mut words = LocalTerms::default();
    let mut counts: Vec<TermCounts> = interview
        .pairs
        .iter()
        .zip(&plan.speaker_ids)
        .map(|(pair, ids)| {
            let text = PairText {
                question: pair.question.clone(),
                alternates: pair.alternates.clone(),
                turns: ids.iter().zip(&pair.turns).map(|(&id, t)| (id, t.text.clone())).collect(),
                notes: Vec::new(),
            };
            TermCounts::of(&text, &mut words)
        })
        .collect();
    let pair_sets: Vec<FxHashSet<TermKey>> = counts.iter().map(|c| c.keys().collect()).collect();
    let normalized_notes: Vec<String> = interview.notes.iter().map(|n| normalize(n)).collect();
    let note_sets: Vec<FxHashSet<TermKey>> = normalized_notes.iter().map(|n| notes::term_keys(n, &mut words)).collect();
    let links = notes::link_terms(&note_sets, &pair_sets);
    for (note, targets) in normalized_notes.iter().zip(&links) {
        for &i in targets {
            counts[i].add(note, false, &mut words);
        }
    }
    Analysis { impacts: counts.iter().map(TermCounts::impacts).collect(), links, words }
}

fn remove_interview(conn: &Connection, interview_id: i64) -> Result<()> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM pairs WHERE interview_id = ?1")?
        .query_map([interview_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    index::remove_pairs(conn, &index::pair_texts(conn, &ids)?)?;
    conn.execute("DELETE FROM interviews WHERE id = ?1", [interview_id])?;
    Ok(())
}

fn insert_interview(
    conn: &Connection,
    interview: &Interview,
    slug: &str,
    origin: &Origin,
    plan: &Plan,
    analysis: Analysis,
    builder: &mut SegmentBuilder,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO interviews(slug, title, source, date, interviewer, notes, origin, content_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            slug,
            interview.title,
            interview.source,
            interview.date,
            interview.interviewer,
            interview.notes.join("\n"),
            origin.path,
            plan.hash
        ],
    )?;
    let interview_id = conn.last_insert_rowid();
    let mut insert_pair =
        conn.prepare_cached("INSERT INTO pairs(interview_id, position, question, line) VALUES (?1, ?2, ?3, ?4)")?;
    let mut insert_turn =
        conn.prepare_cached("INSERT INTO turns(pair_id, position, speaker_id, text) VALUES (?1, ?2, ?3, ?4)")?;
    let mut insert_alternate =
        conn.prepare_cached("INSERT OR IGNORE INTO alternates(pair_id, text) VALUES (?1, ?2)")?;
    let mut pair_ids = Vec::with_capacity(interview.pairs.len());
    for (i, (pair, speaker_ids)) in interview.pairs.iter().zip(&plan.speaker_ids).enumerate() {
        insert_pair.execute(params![interview_id, i as i64 + 1, pair.question, pair.line.map(|l| l as i64)])?;
        let pair_id = conn.last_insert_rowid();
        for (j, (turn, speaker_id)) in pair.turns.iter().zip(speaker_ids).enumerate() {
            insert_turn.execute(params![pair_id, j as i64 + 1, speaker_id, turn.text])?;
        }
        for alternate in &pair.alternates {
            insert_alternate.execute(params![pair_id, alternate])?;
        }
        pair_ids.push(pair_id);
    }
    let mut insert_note = conn.prepare_cached("INSERT INTO pair_notes(pair_id, text) VALUES (?1, ?2)")?;
    for (note, targets) in interview.notes.iter().zip(&analysis.links) {
        for &i in targets {
            insert_note.execute(params![pair_ids[i], note])?;
        }
    }
    // Non-Chinese terms were numbered per analysis; number them in the segment's interner.
    let mut remap: FxHashMap<u32, TermKey> = FxHashMap::default();
    for (pair_id, impacts) in pair_ids.iter().zip(analysis.impacts) {
        let impacts: Vec<(TermKey, u8)> = impacts
            .into_iter()
            .map(|(key, impact)| {
                if key & WORD_BIT == 0 {
                    return (key, impact);
                }
                let local = (key & !WORD_BIT) as u32;
                let global = *remap.entry(local).or_insert_with(|| builder.key(&analysis.words.terms[local as usize]));
                (global, impact)
            })
            .collect();
        builder.add(*pair_id, &impacts)?;
    }
    Ok(interview_id)
}
