//! Storing parsed interviews: one transaction per file, replacing changed versions, skipping
//! unchanged ones, indexing as it goes.

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};

use super::index::{self, Removed};
use super::migrate::hex;
use super::segment::SegmentBuilder;
use super::speakers::{Resemblance, SpeakerResolver};
use super::Store;
use crate::search::postings::{word_id, Interner, LocalTerms, TermCounts, TermKey};
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
    /// Aliases declared by the file that were not known before: (alias, canonical name).
    pub new_aliases: Vec<(String, String)>,
    /// When unchanged because another stored interview has exactly this content: its identity.
    pub duplicate_of: Option<String>,
    /// When replaced: the replaced interview's identity and title, if either differs.
    pub replaced: Option<(String, String)>,
    /// Alternates added with SQL that moved to the new version of their pair.
    pub alternates_kept: usize,
    /// Alternates added with SQL that were dropped because their question is gone.
    pub alternates_dropped: Vec<String>,
    /// New speakers kept apart from a stored person whose alias they share (see
    /// [`super::speakers`] for the rule).
    pub resembling: Vec<Resemblance>,
}

impl Store {
    /// Store the interviews of one file atomically. With `dry_run`, report what would happen and
    /// write nothing.
    pub fn load(&mut self, interviews: &[Interview], origin: &Origin, dry_run: bool) -> Result<Vec<LoadReport>> {
        let mut loader = self.loader(LoadMode { dry_run, group_commit: false })?;
        let reports = loader.file(origin, interviews.iter().cloned().map(Ok::<_, anyhow::Error>), None)?;
        loader.finish()?;
        Ok(reports)
    }

    /// Start a load: files are then stored one after another with [`Loader::file`], and
    /// [`Loader::finish`] commits them (a loader dropped unfinished writes nothing).
    pub fn loader(&mut self, mode: LoadMode) -> Result<Loader<'_>> {
        // A larger page cache keeps a big load from spilling half-built B-trees to the WAL;
        // bounded, as the whole load's memory is.
        self.conn.pragma_update(None, "cache_size", -LOAD_CACHE_KIB)?;
        bulk_writes(&self.conn, true)?;
        let speakers = begin(&self.conn).and_then(|()| SpeakerResolver::new(&self.conn));
        let speakers = match speakers {
            Ok(speakers) => speakers,
            Err(e) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                let _ = bulk_writes(&self.conn, false);
                return Err(e);
            }
        };
        Ok(Loader {
            store: self,
            mode,
            speakers,
            pending: SegmentBuilder::default(),
            removed: Removed::default(),
            uncommitted_pairs: 0,
            flush_bytes: FLUSH_BYTES,
            open: true,
        })
    }

    /// Delete an interview (and its pairs) by slug. Returns whether it existed.
    pub fn remove(&mut self, slug: &str) -> Result<bool> {
        self.remove_in_transaction(slug).with_context(|| format!("cannot remove `{slug}`"))
    }

    fn remove_in_transaction(&mut self, slug: &str) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('indexing_in_progress', '1')", [])?;
        let id: Option<i64> =
            tx.query_row("SELECT id FROM interviews WHERE slug = ?1", [slug], |r| r.get(0)).optional()?;
        if let Some(id) = id {
            let mut removed = Removed::default();
            remove_interview(&tx, id, &mut removed)?;
            index::remove_bulk(&tx, &removed)?;
        }
        tx.execute("DELETE FROM meta WHERE key = 'indexing_in_progress'", [])?;
        tx.commit()?;
        self.invalidate();
        Ok(id.is_some())
    }
}

/// How a [`Loader`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadMode {
    /// Report what would happen, write nothing: everything is rolled back at the end.
    pub dry_run: bool,
    /// Commit every so many pairs instead of once at the end. Each file still goes in whole or
    /// not at all, but a failure of the process loses only the files since the last commit; and
    /// many small files share the cost of a commit and of writing their postings.
    pub group_commit: bool,
}

/// A load in progress: one transaction, and in it one savepoint per file, so that a file that
/// fails leaves nothing behind while the others go on. Memory stays bounded however large the
/// files: interviews are read from an iterator and written in batches, postings are written as a
/// new index segment whenever enough have gathered, and the postings of replaced pairs are
/// removed in one pass at commit.
pub struct Loader<'s> {
    store: &'s mut Store,
    mode: LoadMode,
    speakers: SpeakerResolver,
    /// Postings of files stored since the last segment was written.
    pending: SegmentBuilder,
    /// Pairs deleted since the last commit whose postings are still in the index.
    removed: Removed,
    uncommitted_pairs: usize,
    /// [`FLUSH_BYTES`], smaller in tests.
    flush_bytes: usize,
    open: bool,
}

impl Loader<'_> {
    /// Store the interviews of one file, read from `interviews` as they are needed: all of them
    /// or, when the iterator yields an error or storing fails, none. `claimed` is the identity of
    /// every interview in the file, when known beforehand (it keeps an interview that changed its
    /// identity from taking over one that another interview of the file still claims); without
    /// it, the identities seen so far count.
    pub fn file<I, E>(
        &mut self,
        origin: &Origin,
        interviews: I,
        claimed: Option<HashSet<String>>,
    ) -> Result<Vec<LoadReport>>
    where
        I: IntoIterator<Item = std::result::Result<Interview, E>>,
        E: Into<anyhow::Error>,
    {
        let mut reports = Vec::new();
        self.file_each(origin, interviews, claimed, &mut |r| reports.push(r))?;
        Ok(reports)
    }

    /// [`Loader::file`], handing each interview's report to `each` as soon as it is stored
    /// instead of gathering them: a file of many interviews then holds no report for each. The
    /// reports stand only when this returns `Ok`; after an error nothing of the file was stored,
    /// whatever `each` was given.
    pub fn file_each<I, E>(
        &mut self,
        origin: &Origin,
        interviews: I,
        claimed: Option<HashSet<String>>,
        each: &mut dyn FnMut(LoadReport),
    ) -> Result<()>
    where
        I: IntoIterator<Item = std::result::Result<Interview, E>>,
        E: Into<anyhow::Error>,
    {
        let conn = &self.store.conn;
        conn.execute_batch("SAVEPOINT load_file")?;
        let mut file = FileWork {
            builder: SegmentBuilder::default(),
            removed: Removed::default(),
            pairs: 0,
            removing: self.removed.is_large(),
        };
        let interviews = interviews.into_iter().map(|r| r.map_err(Into::into));
        let flush = self.flush_bytes;
        let outcome = store_file(conn, origin, interviews, claimed, &mut self.speakers, &mut file, flush, each);
        match outcome {
            Ok(()) => {}
            Err(e) => {
                conn.execute_batch("ROLLBACK TO load_file; RELEASE load_file")?;
                // Speakers created by the file are gone with it.
                self.speakers = SpeakerResolver::new(conn)?;
                return Err(e);
            }
        }
        // A large file's postings make a segment of their own; small files' gather.
        if file.builder.memory() > self.flush_bytes / 4 {
            index::write_segment(conn, std::mem::take(&mut file.builder))?;
            file.merge(conn)?;
        }
        conn.execute_batch("RELEASE load_file")?;
        self.pending.absorb(file.builder);
        self.removed.absorb(file.removed);
        self.uncommitted_pairs += file.pairs;
        if self.pending.memory() > self.flush_bytes {
            index::write_segment(conn, std::mem::take(&mut self.pending))?;
            if !self.removed.is_large() {
                index::maybe_merge(conn)?;
            }
        }
        if self.mode.group_commit && !self.mode.dry_run && self.uncommitted_pairs >= GROUP_PAIRS {
            self.commit()?;
            begin(&self.store.conn)?;
        }
        Ok(())
    }

    /// Whether interviews loaded from this origin's file are stored.
    pub fn stored_from(&self, origin: &Origin) -> Result<bool> {
        let mut stmt = self.store.conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM interviews WHERE origin = ?1)")?;
        Ok(stmt.query_row([stored_origin(&origin.path).as_str()], |r| r.get(0))?)
    }

    /// Write what is pending and commit (roll back in a dry run).
    pub fn finish(mut self) -> Result<()> {
        if self.mode.dry_run {
            self.open = false;
            self.store.conn.execute_batch("ROLLBACK")?;
        } else {
            self.commit()?;
        }
        bulk_writes(&self.store.conn, false)?;
        self.store.conn.pragma_update(None, "cache_size", -DEFAULT_CACHE_KIB)?;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        let conn = &self.store.conn;
        index::write_segment(conn, std::mem::take(&mut self.pending))?;
        let removed = std::mem::take(&mut self.removed);
        forget_in_query_log(conn, &removed)?;
        if index::mostly_removed(conn, &removed)? {
            index::rewrite_without(conn, &removed)?;
        } else {
            index::remove_bulk(conn, &removed)?;
            index::maybe_merge(conn)?;
        }
        conn.execute("DELETE FROM meta WHERE key = 'indexing_in_progress'", [])?;
        self.open = false;
        conn.execute_batch("COMMIT")?;
        self.uncommitted_pairs = 0;
        self.store.invalidate();
        Ok(())
    }
}

impl Drop for Loader<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.store.conn.execute_batch("ROLLBACK");
            let _ = self.store.conn.pragma_update(None, "cache_size", -DEFAULT_CACHE_KIB);
        }
        // Also after a failed commit or finish: the connection goes back to the schema's rules.
        if self.store.conn.is_autocommit() {
            let _ = bulk_writes(&self.store.conn, false);
        }
    }
}

/// Switch the connection in or out of the loader's bulk mode: the schema's triggers and
/// foreign-key actions off. They fire once per row (a replace of 100k pairs ran about a million
/// trigger and cascade programs, each finding nothing to do, or scanning the whole query log once
/// per pair: it has no index on `pair_id`); the loader does their work itself, set by set:
/// [`remove_interview`] deletes children before parents, [`forget_in_query_log`] clears the
/// query log's links once per commit, and the rows it inserts are consistent by construction
/// (the index queue's triggers were silenced while it wrote anyway). TEMP triggers (the vector
/// cache's change counter) still fire. Only outside a transaction: SQLite ignores `PRAGMA
/// foreign_keys` inside one.
fn bulk_writes(conn: &Connection, on: bool) -> Result<()> {
    use rusqlite::config::DbConfig;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, !on)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, !on)?;
    Ok(())
}

/// Clear the query log's links to deleted pairs (what `ON DELETE SET NULL` does row by row when
/// foreign keys are on): one statement, one pass over the log rows that name a pair, run only
/// when this commit removed pairs. The pairs are already gone, so "names a missing pair" is
/// exactly "names a removed pair".
fn forget_in_query_log(conn: &Connection, removed: &Removed) -> Result<()> {
    if removed.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE query_log SET pair_id = NULL
          WHERE pair_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pairs WHERE pairs.id = query_log.pair_id)",
    )?
    .execute([])?;
    Ok(())
}

fn begin(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "BEGIN IMMEDIATE; INSERT OR REPLACE INTO meta(key, value) VALUES ('indexing_in_progress', '1');",
    )?;
    Ok(())
}

/// What one file has produced so far, kept apart until the file is known to have succeeded.
struct FileWork {
    builder: SegmentBuilder,
    removed: Removed,
    pairs: usize,
    /// Whether the files before it in the transaction removed many pairs (see [`FileWork::merge`]).
    removing: bool,
}

impl FileWork {
    /// Merge segments as they pile up, except while many removed pairs' postings wait for the
    /// commit: a merge would copy them only for the commit to take them out again (or to write
    /// the whole index anew, see [`index::mostly_removed`]). The commit merges instead.
    fn merge(&self, conn: &Connection) -> Result<()> {
        if self.removing || self.removed.is_large() {
            return Ok(());
        }
        index::maybe_merge(conn)
    }
}

/// Store the interviews of one file inside the caller's savepoint, batch by batch, handing each
/// interview's report to `each`.
#[allow(clippy::too_many_arguments)]
fn store_file(
    tx: &Connection,
    origin: &Origin,
    mut interviews: impl Iterator<Item = Result<Interview>>,
    claimed: Option<HashSet<String>>,
    speakers: &mut SpeakerResolver,
    work: &mut FileWork,
    flush_bytes: usize,
    each: &mut dyn FnMut(LoadReport),
) -> Result<()> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut several = None;
    loop {
        let batch: Vec<Interview> = interviews.by_ref().take(BATCH).collect::<Result<_>>()?;
        if batch.is_empty() {
            break;
        }
        // Whether the file holds more than one interview decides the default identities; the
        // first batch tells (it is only short when it is the whole file).
        let several = *several.get_or_insert(batch.len() > 1);
        let slugs = batch.iter().map(|iv| slug_of(iv, origin, several)).collect::<Vec<_>>();
        for slug in &slugs {
            if !seen.insert(slug.clone()) {
                bail!(
                    "two interviews in this file have the same identity `{slug}`: give each a distinct `slug` or \
                     `source`"
                );
            }
        }
        let file = FileContext { origin, slugs: claimed.as_ref().unwrap_or(&seen) };
        load_batch(tx, &batch, &slugs, &file, speakers, work, each)?;
        if work.builder.memory() > flush_bytes {
            index::write_segment(tx, std::mem::take(&mut work.builder))?;
            work.merge(tx)?;
        }
    }
    Ok(())
}

/// The file being loaded: where it came from and the identities of its interviews.
struct FileContext<'a> {
    origin: &'a Origin,
    slugs: &'a HashSet<String>,
}

/// The identity of an interview in a file: front-matter/JSON `slug`, else `source`, else the
/// file name (plus the title when the file holds several interviews).
pub fn slug_of(interview: &Interview, origin: &Origin, several: bool) -> String {
    interview.slug.clone().or_else(|| interview.source.clone()).unwrap_or_else(|| {
        if several {
            format!("{}#{}", origin.stem, interview.title)
        } else {
            origin.stem.clone()
        }
    })
}

/// SHA-256 of the interview's content: what was said and asked, not its identity (`slug`) or
/// speaker declarations (aliases), so an exported interview loads back as unchanged.
fn content_hash(interview: &Interview) -> String {
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, &Content::of(interview)).expect("interviews serialise");
    hex(&hasher.0.finalize())
}

/// An [`Interview`] without its identity and speaker declarations, borrowed: it serialises to
/// exactly the JSON of the interview with `slug` and `speakers` left empty (fields in the same
/// order, the same ones skipped), without copying the interview's text.
#[derive(serde::Serialize)]
struct Content<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interviewer: &'a Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    pairs: &'a [crate::transcript::Pair],
}

impl<'a> Content<'a> {
    fn of(iv: &'a Interview) -> Content<'a> {
        let (source, date, interviewer) = (&iv.source, &iv.date, &iv.interviewer);
        Content { title: &iv.title, source, date, interviewer, notes: &iv.notes, pairs: &iv.pairs }
    }
}

/// Feeds serialised JSON straight into the hash, without building the string.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Page cache while loading, and SQLite's default, in KiB. The cache is the largest single part
/// of a load's memory; beyond this size it saved little time (pages it evicts are still in the
/// operating system's cache).
const LOAD_CACHE_KIB: i64 = 32 * 1024;
const DEFAULT_CACHE_KIB: i64 = 2000;

/// Memory of postings gathered before they are written as a segment (see
/// [`SegmentBuilder::memory`], which counts what is allocated). Each segment written costs a
/// lookup per distinct term it holds, so larger segments make a load cheaper (100k pairs, idle
/// machine: 3 segments instead of 5 at half this, 8% fewer instructions); the memory bound of a
/// load (1M pairs within 200 MiB) sets the limit.
const FLUSH_BYTES: usize = 64 << 20;

/// With [`LoadMode::group_commit`], pairs stored between commits.
const GROUP_PAIRS: usize = 20_000;

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
    new_aliases: Vec<(String, String)>,
    duplicate_of: Option<String>,
    replaced: Option<(String, String)>,
    /// Alternates added with SQL to the replaced version, pair by pair of the new one.
    kept_alternates: Vec<Vec<String>>,
    dropped_alternates: Vec<String>,
    resembling: Vec<Resemblance>,
}

/// Store a batch of interviews inside the caller's transaction: insert, replace, or leave
/// unchanged. Decisions and speakers first (they need the database), then the text analysis of
/// the interviews to write, in parallel, then the rows and postings.
fn load_batch(
    tx: &Connection,
    interviews: &[Interview],
    slugs: &[String],
    file: &FileContext,
    speakers: &mut SpeakerResolver,
    work: &mut FileWork,
    each: &mut dyn FnMut(LoadReport),
) -> Result<()> {
    let mut plans = Vec::with_capacity(interviews.len());
    for (interview, slug) in interviews.iter().zip(slugs) {
        plans.push(plan(tx, interview, slug, file, speakers, &mut work.removed)?);
    }
    let to_write: Vec<(&Interview, &Plan)> =
        interviews.iter().zip(&plans).filter(|(_, p)| p.action != LoadAction::Unchanged).collect();
    let analysed = analyse_in_parallel(&to_write);
    let mut analysed = analysed.into_iter();
    for ((interview, slug), plan) in interviews.iter().zip(slugs).zip(plans) {
        let interview_id = if plan.action == LoadAction::Unchanged {
            plan.interview_id
        } else {
            let analysis = analysed.next().expect("one analysis per interview written");
            work.pairs += interview.pairs.len();
            insert_interview(tx, interview, slug, file.origin, &plan, analysis, &mut work.builder)?
        };
        each(LoadReport {
            action: plan.action,
            slug: slug.clone(),
            title: interview.title.clone(),
            interview_id,
            pairs: interview.pairs.len(),
            new_speakers: plan.new_speakers,
            attributed: plan.attributed,
            new_aliases: plan.new_aliases,
            duplicate_of: plan.duplicate_of,
            replaced: plan.replaced,
            alternates_kept: plan.kept_alternates.iter().map(Vec::len).sum(),
            alternates_dropped: plan.dropped_alternates,
            resembling: plan.resembling,
        });
    }
    Ok(())
}

/// Decide what to do with an interview, remove the version it replaces, resolve its speakers.
fn plan(
    tx: &Connection,
    interview: &Interview,
    slug: &str,
    file: &FileContext,
    speakers: &mut SpeakerResolver,
    removed: &mut Removed,
) -> Result<Plan> {
    let hash = content_hash(interview);
    let mut plan = Plan {
        action: LoadAction::Loaded,
        interview_id: 0,
        hash,
        speaker_ids: Vec::new(),
        new_speakers: Vec::new(),
        attributed: Vec::new(),
        new_aliases: Vec::new(),
        duplicate_of: None,
        replaced: None,
        kept_alternates: vec![Vec::new(); interview.pairs.len()],
        dropped_alternates: Vec::new(),
        resembling: Vec::new(),
    };
    match find_stored(tx, interview, &plan.hash, slug, file)? {
        Some(stored) if stored.hash == plan.hash => {
            (plan.action, plan.interview_id) = (LoadAction::Unchanged, stored.id);
            plan.duplicate_of = (stored.slug != slug).then_some(stored.slug);
        }
        // Edits made with SQL since the last load (an alternate added) change what is stored
        // without changing the recorded hash: compare with the stored content itself.
        Some(stored) if same_as_stored(tx, stored.id, interview)? => {
            tx.execute("UPDATE interviews SET content_hash = ?2 WHERE id = ?1", params![stored.id, plan.hash])?;
            (plan.action, plan.interview_id) = (LoadAction::Unchanged, stored.id);
        }
        Some(stored) => {
            check_replaceable(interview, slug, file, &stored)?;
            (plan.kept_alternates, plan.dropped_alternates) = user_alternates(tx, stored.id, interview)?;
            remove_interview(tx, stored.id, removed)?;
            plan.action = LoadAction::Replaced;
            if stored.slug != slug || stored.title != interview.title {
                plan.replaced = Some((stored.slug, stored.title));
            }
        }
        None => {}
    }
    let before = speakers.created.len();
    let declared = declare_speakers(tx, interview, speakers, &mut plan)?;
    let resembling_before = speakers.resembling.len();
    speakers.begin_interview();
    if plan.action != LoadAction::Unchanged {
        attribute_turns(tx, interview, &declared, speakers, &mut plan)?;
    }
    plan.new_speakers = speakers.created[before..].to_vec();
    plan.resembling = speakers.resembling[resembling_before..].to_vec();
    Ok(plan)
}

/// The speakers a file declares (front matter, JSON), by every name they go by. A declared
/// speaker is identified by full name only, and this file's own names and aliases win over the
/// database's: two people may share a short name (`Sam`), and an alias of someone elsewhere must
/// never take their words. Aliases are recorded even when the content is unchanged, since they
/// are not part of it.
fn declare_speakers(
    tx: &Connection,
    interview: &Interview,
    speakers: &mut SpeakerResolver,
    plan: &mut Plan,
) -> Result<HashMap<String, i64>> {
    let mut declared: HashMap<String, i64> = HashMap::new();
    for speaker in &interview.speakers {
        let id = speakers.resolve(tx, &speaker.name)?;
        for name in std::iter::once(&speaker.name).chain(&speaker.aliases) {
            declared.insert(normalize(name), id);
        }
        for alias in &speaker.aliases {
            if speakers.add_alias(tx, id, alias)? {
                plan.new_aliases.push((alias.clone(), speaker.name.clone()));
            }
        }
    }
    Ok(declared)
}

/// The speaker id of every answer turn, and the labels that name someone by another name.
fn attribute_turns(
    tx: &Connection,
    interview: &Interview,
    declared: &HashMap<String, i64>,
    speakers: &mut SpeakerResolver,
    plan: &mut Plan,
) -> Result<()> {
    for pair in &interview.pairs {
        let mut ids = Vec::with_capacity(pair.turns.len());
        for turn in &pair.turns {
            let key = normalize(&turn.speaker);
            let id = match declared.get(&key) {
                Some(&id) => id,
                None => speakers.resolve_turn(tx, interview, &turn.speaker)?,
            };
            let canonical = speakers.name(id).unwrap_or(&turn.speaker).to_owned();
            if normalize(&canonical) != key && !plan.attributed.iter().any(|(label, _)| label == &turn.speaker) {
                plan.attributed.push((turn.speaker.clone(), canonical));
            }
            ids.push(id);
        }
        plan.speaker_ids.push(ids);
    }
    Ok(())
}

/// A stored interview that a loaded one may be a version of.
struct Stored {
    id: i64,
    slug: String,
    hash: String,
    title: String,
    origin: Option<String>,
}

/// The stored interview this one is a version of: the one with its identity; else one loaded
/// from the same file under the same title (its identity changed, say a `source` was added);
/// else one with exactly this content (a renamed or re-encoded copy of a file).
fn find_stored(
    tx: &Connection,
    interview: &Interview,
    hash: &str,
    slug: &str,
    file: &FileContext,
) -> Result<Option<Stored>> {
    const COLUMNS: &str = "SELECT id, slug, content_hash, title, origin FROM interviews";
    let row = |r: &rusqlite::Row| {
        Ok(Stored { id: r.get(0)?, slug: r.get(1)?, hash: r.get(2)?, title: r.get(3)?, origin: r.get(4)? })
    };
    if let Some(stored) = tx.prepare_cached(&format!("{COLUMNS} WHERE slug = ?1"))?.query_row([slug], row).optional()? {
        return Ok(Some(stored));
    }
    let renamed: Vec<Stored> = tx
        .prepare_cached(&format!("{COLUMNS} WHERE origin = ?1 AND title = ?2"))?
        .query_map([stored_origin(&file.origin.path).as_str(), interview.title.as_str()], row)?
        .collect::<rusqlite::Result<_>>()?;
    // Only when unambiguous, and never one that another interview of this file claims.
    if let [stored] = renamed.as_slice() {
        if !file.slugs.contains(stored.slug.as_str()) {
            return Ok(renamed.into_iter().next());
        }
    }
    Ok(tx.prepare_cached(&format!("{COLUMNS} WHERE content_hash = ?1 LIMIT 1"))?.query_row([hash], row).optional()?)
}

/// Whether the stored interview has exactly this content (what [`content_hash`] covers), read
/// part by part and given up at the first difference: a changed interview usually differs early,
/// and reading and hashing all of it cost a replace as much as a tenth of its time.
fn same_as_stored(tx: &Connection, id: i64, interview: &Interview) -> Result<bool> {
    type Head = (String, Option<String>, Option<String>, Option<String>, String);
    let head: Option<Head> = tx
        .prepare_cached("SELECT title, source, date, interviewer, notes FROM interviews WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let Some((title, source, date, interviewer, notes)) = head else { return Ok(false) };
    // Stored notes are joined by newlines; empty ones do not survive the round trip.
    let notes = notes.split('\n').filter(|n| !n.is_empty());
    if title != interview.title
        || source != interview.source
        || date != interview.date
        || interviewer != interview.interviewer
        || !notes.eq(interview.notes.iter().map(String::as_str))
    {
        return Ok(false);
    }
    let pairs: Vec<(i64, String)> = tx
        .prepare_cached("SELECT id, question FROM pairs WHERE interview_id = ?1 ORDER BY position")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if pairs.len() != interview.pairs.len() || pairs.iter().zip(&interview.pairs).any(|((_, q), p)| *q != p.question) {
        return Ok(false);
    }
    let mut alternates = tx.prepare_cached("SELECT text FROM alternates WHERE pair_id = ?1 ORDER BY id")?;
    let mut turns = tx.prepare_cached(
        "SELECT s.name, t.text FROM turns t JOIN speakers s ON s.id = t.speaker_id WHERE t.pair_id = ?1
          ORDER BY t.position",
    )?;
    for ((pair_id, _), pair) in pairs.iter().zip(&interview.pairs) {
        let stored: Vec<String> = alternates.query_map([pair_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        if stored != pair.alternates {
            return Ok(false);
        }
        let stored: Vec<(String, String)> =
            turns.query_map([pair_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let same = stored.len() == pair.turns.len()
            && stored.iter().zip(&pair.turns).all(|((name, text), t)| *name == t.speaker && *text == t.text);
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What `interviews.origin` keeps of where an interview came from: the file name and a short
/// fingerprint of the path the loader gave (absolute). The fingerprint recognises the same file
/// loaded again (`a.txt`, `./a.txt`, next week) without storing the curator's folders and user
/// name in a database that may be shared or published.
pub(super) fn stored_origin(path: &str) -> String {
    let name = std::path::Path::new(path).file_name().map_or_else(|| path.into(), |n| n.to_string_lossy());
    let digest = Sha256::digest(path.as_bytes());
    format!("{name} #{}", hex(&digest[..6]))
}

/// An identity taken from a file name is weak: two folders may both hold `interview.txt`.
/// Replace only what is recognisably the same interview.
fn check_replaceable(interview: &Interview, slug: &str, file: &FileContext, stored: &Stored) -> Result<()> {
    let explicit = interview.slug.is_some() || interview.source.is_some();
    let same_file = stored.origin.as_deref() == Some(stored_origin(&file.origin.path).as_str());
    if explicit || same_file || stored.title == interview.title {
        return Ok(());
    }
    bail!(
        "\u{300C}{}\u{300D} has the identity `{slug}` of the interview \u{300C}{}\u{300D} (from {}): give one of \
         them a `slug` (front matter or JSON) to keep both, or load it under the same title or from the same \
         file to replace the old one",
        interview.title,
        stored.title,
        stored.origin.as_deref().unwrap_or("an unknown file"),
    )
}

/// Alternates a curator added with SQL to the version being replaced, moved to the new pair with
/// the same question (pair by pair), and those whose question is gone.
fn user_alternates(
    tx: &Connection,
    interview_id: i64,
    interview: &Interview,
) -> Result<(Vec<Vec<String>>, Vec<String>)> {
    let mut kept = vec![Vec::new(); interview.pairs.len()];
    let mut dropped = Vec::new();
    let by_question: HashMap<String, usize> =
        interview.pairs.iter().enumerate().map(|(i, p)| (normalize(&p.question), i)).collect();
    let rows: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT p.question, a.text FROM alternates a JOIN pairs p ON p.id = a.pair_id
             WHERE p.interview_id = ?1 AND a.origin <> 'file' ORDER BY p.position, a.id",
        )?
        .query_map([interview_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (question, text) in rows {
        match by_question.get(&normalize(&question)) {
            Some(&i) if !interview.pairs[i].alternates.contains(&text) => kept[i].push(text),
            Some(_) => {}
            None => dropped.push(text),
        }
    }
    Ok((kept, dropped))
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
        .zip(&plan.kept_alternates)
        .map(|((pair, ids), kept)| {
            let questions = std::iter::once(&pair.question).chain(&pair.alternates).chain(kept).map(String::as_str);
            let turns = ids.iter().zip(&pair.turns).map(|(&id, t)| (id, t.text.as_str()));
            TermCounts::of_parts(questions, turns, &mut words)
        })
        .collect();
    let normalized_notes: Vec<String> = interview.notes.iter().map(|n| normalize(n)).collect();
    let note_sets: Vec<FxHashSet<TermKey>> = normalized_notes.iter().map(|n| notes::term_keys(n, &mut words)).collect();
    let links = notes::link_terms(&note_sets, &counts);
    for (note, targets) in normalized_notes.iter().zip(&links) {
        for &i in targets {
            counts[i].add(note, false, &mut words);
        }
    }
    Analysis { impacts: counts.iter().map(TermCounts::impacts).collect(), links, words }
}

/// Tables whose rows belong to a pair (`pair_id`), deleted before the pairs themselves.
const PAIR_CHILDREN: [&str; 6] =
    ["turns", "alternates", "pair_notes", "pair_vectors", "question_vectors", "answer_vectors"];

/// Delete an interview's rows; its postings are recorded in `removed`, to go in bulk later.
/// Table by table, children first, one statement each: with the loader's triggers and cascades
/// off ([`bulk_writes`]) nothing else is deleted for it, and with them on (`qabot remove`) they
/// find nothing left to do. Links from the query log are cleared by the caller (when foreign
/// keys are on, by SQLite).
fn remove_interview(conn: &Connection, interview_id: i64, removed: &mut Removed) -> Result<()> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM pairs WHERE interview_id = ?1")?
        .query_map([interview_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    removed.add(conn, &ids)?;
    for table in PAIR_CHILDREN {
        let sql = format!("DELETE FROM {table} WHERE pair_id IN (SELECT id FROM pairs WHERE interview_id = ?1)");
        conn.prepare_cached(&sql)?.execute([interview_id])?;
    }
    conn.prepare_cached("DELETE FROM pairs WHERE interview_id = ?1")?.execute([interview_id])?;
    conn.prepare_cached("DELETE FROM interviews WHERE id = ?1")?.execute([interview_id])?;
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
            stored_origin(&origin.path),
            plan.hash
        ],
    )?;
    let interview_id = conn.last_insert_rowid();
    let mut insert_pair =
        conn.prepare_cached("INSERT INTO pairs(interview_id, position, question, line) VALUES (?1, ?2, ?3, ?4)")?;
    let mut insert_turn =
        conn.prepare_cached("INSERT INTO turns(pair_id, position, speaker_id, text) VALUES (?1, ?2, ?3, ?4)")?;
    let mut insert_alternate =
        conn.prepare_cached("INSERT OR IGNORE INTO alternates(pair_id, text, origin) VALUES (?1, ?2, ?3)")?;
    let mut pair_ids = Vec::with_capacity(interview.pairs.len());
    let pairs = interview.pairs.iter().zip(&plan.speaker_ids).zip(&plan.kept_alternates);
    for (i, ((pair, speaker_ids), kept)) in pairs.enumerate() {
        insert_pair.execute(params![interview_id, i as i64 + 1, pair.question, pair.line.map(|l| l as i64)])?;
        let pair_id = conn.last_insert_rowid();
        for (j, (turn, speaker_id)) in pair.turns.iter().zip(speaker_ids).enumerate() {
            insert_turn.execute(params![pair_id, j as i64 + 1, speaker_id, turn.text])?;
        }
        for alternate in &pair.alternates {
            insert_alternate.execute(params![pair_id, alternate, "file"])?;
        }
        for alternate in kept {
            insert_alternate.execute(params![pair_id, alternate, "user"])?;
        }
        pair_ids.push(pair_id);
    }
    let mut insert_note = conn.prepare_cached("INSERT INTO pair_notes(pair_id, text) VALUES (?1, ?2)")?;
    for (note, targets) in interview.notes.iter().zip(&analysis.links) {
        for &i in targets {
            insert_note.execute(params![pair_ids[i], note])?;
        }
    }
    add_postings(&pair_ids, analysis, builder)?;
    Ok(interview_id)
}

/// Add the analysed pairs' postings to the segment being built. Non-Chinese terms were numbered
/// per analysis; they are numbered again in the segment's interner.
fn add_postings(pair_ids: &[i64], analysis: Analysis, builder: &mut SegmentBuilder) -> Result<()> {
    let mut remap: FxHashMap<u32, TermKey> = FxHashMap::default();
    for (pair_id, impacts) in pair_ids.iter().zip(analysis.impacts) {
        let impacts: Vec<(TermKey, u8)> = impacts
            .into_iter()
            .map(|(key, impact)| {
                let Some(local) = word_id(key) else { return (key, impact) };
                let global = *remap.entry(local).or_insert_with(|| builder.key(&analysis.words.terms[local as usize]));
                (global, impact)
            })
            .collect();
        builder.add(*pair_id, &impacts)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::search::postings::decode_all;
    use crate::store::Seed;
    use crate::transcript::{Pair, Turn};

    /// Invented interviews: `n` of them with `pairs` pairs each, words drawn from a small
    /// vocabulary so that terms repeat across pairs; `version` changes every other interview.
    fn interviews(n: usize, pairs: usize, version: usize) -> Vec<Interview> {
        const WORDS: &[&str] =
            &["电池", "工厂", "价格", "市场", "工程师", "城市", "电网", "学校", "河流", "山谷", "robot", "solar"];
        let word = |i: usize| WORDS[i % WORDS.len()];
        (0..n)
            .map(|k| {
                let v = if k % 2 == 0 { version } else { 0 };
                Interview {
                    title: format!("访谈{k}"),
                    slug: Some(format!("iv-{k}")),
                    source: None,
                    date: None,
                    interviewer: None,
                    notes: vec![format!("关于{}和{}的谈话", word(k), word(k + 3))],
                    speakers: Vec::new(),
                    pairs: (0..pairs)
                        .map(|p| Pair {
                            question: format!("{}的{}怎么样{k}-{p}?", word(k + p), word(k * 7 + p + v)),
                            alternates: Vec::new(),
                            turns: vec![Turn {
                                speaker: format!("讲者{}", k % 5),
                                text: format!("{}很好,{}也不错,版本{v},编号{k}x{p}。", word(p + v), word(k + 2 * p)),
                            }],
                            line: None,
                        })
                        .collect(),
                }
            })
            .collect()
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), Seed::Empty).unwrap();
        (dir, store)
    }

    fn origin(name: &str) -> Origin {
        Origin { path: format!("/data/{name}.jsonl"), stem: name.to_owned() }
    }

    /// The index as (term → df, and each posting resolved to its pair's interview slug and
    /// position), so indexes of databases with different pair ids compare equal. Also checks that
    /// every df matches its lists.
    /// Per term: its df and its postings as (interview slug, pair position, impact).
    type IndexContents = BTreeMap<String, (i64, Vec<(String, i64, u8)>)>;

    fn index_contents(store: &Store) -> IndexContents {
        let conn = store.connection();
        let pairs: HashMap<i64, (String, i64)> = conn
            .prepare("SELECT p.id, i.slug, p.position FROM pairs p JOIN interviews i ON i.id = p.interview_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut out = IndexContents::new();
        let mut stmt =
            conn.prepare("SELECT t.term, t.df, p.data FROM terms t JOIN postings p ON p.term_id = t.id").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?)));
        for (term, df, data) in rows.unwrap().map(Result::unwrap) {
            let entry = out.entry(term.clone()).or_insert((df, Vec::new()));
            for (id, impact) in decode_all(&data) {
                let (slug, position) = pairs.get(&i64::from(id)).unwrap_or_else(|| panic!("{term}: pair {id} is gone"));
                entry.1.push((slug.clone(), *position, impact));
            }
        }
        for (term, (df, postings)) in out.iter_mut() {
            postings.sort();
            assert_eq!(*df, postings.len() as i64, "df of {term}");
        }
        let orphans: i64 = conn
            .query_row("SELECT count(*) FROM terms WHERE id NOT IN (SELECT term_id FROM postings)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(orphans, 0, "terms without postings");
        out
    }

    fn load_with(store: &mut Store, flush: usize, group_commit: bool, files: &[(&str, Vec<Interview>)]) {
        let mut loader = store.loader(LoadMode { dry_run: false, group_commit }).unwrap();
        loader.flush_bytes = flush;
        for (name, ivs) in files {
            loader.file(&origin(name), ivs.iter().cloned().map(Ok::<_, anyhow::Error>), None).unwrap();
        }
        loader.finish().unwrap();
    }

    /// A 10k-pair file written in many small segments (merged as they pile up) gives the same
    /// index as one written at once.
    #[test]
    fn a_large_file_is_written_in_batches_with_the_same_result() {
        let file = interviews(2000, 5, 0);
        let (_a, mut batched) = open();
        load_with(&mut batched, 5_000, false, &[("big", file.clone())]);
        let segments_made: i64 =
            batched.connection().query_row("SELECT max(id) FROM segments", [], |r| r.get(0)).unwrap();
        assert!(segments_made >= 8, "{segments_made} segments written");
        let left: i64 = batched.connection().query_row("SELECT count(*) FROM segments", [], |r| r.get(0)).unwrap();
        assert!(left <= index::MAX_SEGMENTS as i64, "{left} segments left after merging");
        let (_b, mut whole) = open();
        load_with(&mut whole, usize::MAX, false, &[("big", file)]);
        assert_eq!(index_contents(&batched), index_contents(&whole));
    }

    /// An error at the very end of a file, after segments of it were written, leaves nothing of
    /// it; the file before it in the same load stays.
    #[test]
    fn a_failure_in_the_last_interview_leaves_nothing_of_the_file() {
        let (_d, mut store) = open();
        let first = interviews(3, 4, 0);
        let mut reference = {
            let (_r, mut s) = open();
            load_with(&mut s, usize::MAX, false, &[("first", first.clone())]);
            (index_contents(&s), _r)
        };
        let mut loader = store.loader(LoadMode { dry_run: false, group_commit: true }).unwrap();
        loader.flush_bytes = 5_000;
        loader.file(&origin("first"), first.into_iter().map(Ok::<_, anyhow::Error>), None).unwrap();
        let big = interviews(500, 20, 0).into_iter().skip(3).map(Ok).chain([Err(anyhow::anyhow!("line 498: broken"))]);
        let err = loader.file(&origin("big"), big, None).unwrap_err();
        assert!(err.to_string().contains("broken"), "{err}");
        loader.finish().unwrap();
        let slugs: Vec<String> = store.interviews().unwrap().into_iter().map(|i| i.slug).collect();
        assert_eq!(slugs, ["iv-0", "iv-1", "iv-2"]);
        assert_eq!(index_contents(&store), std::mem::take(&mut reference.0));
    }

    /// Replacing every interview of a large file (half of them changed) in one load gives the
    /// index a fresh load of the new version gives, and leaves the unchanged ones alone.
    /// Reports are handed over interview by interview while the file is stored (none is kept for
    /// the whole file), and they count for nothing when the file then fails.
    #[test]
    fn reports_come_one_by_one_and_a_failed_file_stores_none() {
        let (_d, mut store) = open();
        let mut loader = store.loader(LoadMode { dry_run: false, group_commit: true }).unwrap();
        let mut slugs = Vec::new();
        let good = interviews(600, 2, 0).into_iter().map(Ok::<_, anyhow::Error>);
        loader.file_each(&origin("good"), good, None, &mut |r| slugs.push(r.slug)).unwrap();
        assert_eq!(slugs.len(), 600);
        assert_eq!(slugs[599], "iv-599");
        let mut handed = 0;
        let bad = interviews(1000, 2, 0).into_iter().skip(600).map(Ok).chain([Err(anyhow::anyhow!("broken"))]);
        assert!(loader.file_each(&origin("bad"), bad, None, &mut |_| handed += 1).is_err());
        assert_eq!(handed, BATCH, "the batch stored before the failure was reported");
        loader.finish().unwrap();
        assert_eq!(store.interviews().unwrap().len(), 600);
    }

    #[test]
    fn replacing_a_large_file_matches_a_fresh_load() {
        let (_d, mut store) = open();
        load_with(&mut store, 5_000, true, &[("big", interviews(300, 10, 0))]);
        let mut loader = store.loader(LoadMode { dry_run: false, group_commit: true }).unwrap();
        let reports =
            loader.file(&origin("big"), interviews(300, 10, 1).into_iter().map(Ok::<_, anyhow::Error>), None).unwrap();
        loader.finish().unwrap();
        let replaced = reports.iter().filter(|r| r.action == LoadAction::Replaced).count();
        let unchanged = reports.iter().filter(|r| r.action == LoadAction::Unchanged).count();
        assert_eq!((replaced, unchanged), (150, 150));
        let (_f, mut fresh) = open();
        load_with(&mut fresh, usize::MAX, false, &[("big", interviews(300, 10, 1))]);
        assert_eq!(index_contents(&store), index_contents(&fresh));
    }

    /// The number of segments, and the postings table's definition and indexes as SQLite holds
    /// them (without the quotes SQLite puts around a renamed table's name).
    fn segments(store: &Store) -> (i64, Vec<String>) {
        let conn = store.connection();
        let count = conn.query_row("SELECT count(*) FROM segments", [], |r| r.get(0)).unwrap();
        let shape = conn
            .prepare("SELECT type || ' ' || name || ': ' || replace(coalesce(sql, ''), '\"', '') FROM sqlite_schema WHERE tbl_name = 'postings' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        (count, shape)
    }

    /// A replace of a large part of the database (many segments written meanwhile, merges held
    /// back) writes the index anew, as one segment, and it equals a fresh load's; the next load
    /// (a replace of a few) edits it as usual.
    #[test]
    fn replacing_a_large_part_writes_a_new_index() {
        let (_d, mut store) = open();
        load_with(&mut store, 5_000, true, &[("big", interviews(500, 10, 0))]);
        let (before, shape) = segments(&store);
        assert!(before > 1, "{before} segments");
        load_with(&mut store, 5_000, true, &[("big", interviews(500, 10, 1))]);
        assert_eq!(segments(&store), (1, shape), "one new segment, the table as the schema makes it");
        let (_f, mut fresh) = open();
        load_with(&mut fresh, usize::MAX, false, &[("big", interviews(500, 10, 1))]);
        assert_eq!(index_contents(&store), index_contents(&fresh));
        assert_eq!(table_counts(&store), table_counts(&fresh));
        let mut file = interviews(500, 10, 1);
        file[3].pairs[1].question = "全新的问题是什么?".into();
        load_with(&mut store, 5_000, true, &[("big", file.clone())]);
        let (_g, mut fresh) = open();
        load_with(&mut fresh, usize::MAX, false, &[("big", file)]);
        assert_eq!(index_contents(&store), index_contents(&fresh));
    }

    /// A replace of more pairs than the targeted path takes but under a tenth of the database
    /// edits the index in one pass, with the merges held back during the load done at the commit.
    #[test]
    fn replacing_a_small_part_edits_the_index_and_merges_at_the_end() {
        let (_d, mut store) = open();
        let file = |changed: bool| {
            let mut file = interviews(2100, 10, 0);
            for iv in file.iter_mut().take(if changed { 201 } else { 0 }) {
                iv.pairs[0].turns[0].text.push_str("后来又补充了一句。");
            }
            file
        };
        load_with(&mut store, 20_000, true, &[("big", file(false))]);
        load_with(&mut store, 20_000, true, &[("big", file(true))]);
        let (count, _) = segments(&store);
        assert!(count > 1 && count <= index::MAX_SEGMENTS as i64, "{count} segments");
        let (_f, mut fresh) = open();
        load_with(&mut fresh, usize::MAX, false, &[("big", file(true))]);
        assert_eq!(index_contents(&store), index_contents(&fresh));
    }

    /// Removing everything a segment holds forgets the segment; the others stay (the clean-up
    /// reads the postings once, having no index by segment).
    #[test]
    fn a_segment_left_empty_is_forgotten() {
        let (_d, mut store) = open();
        load_with(&mut store, usize::MAX, false, &[("a", interviews(2, 3, 0))]);
        let mut later = interviews(4, 3, 0);
        later.drain(..2);
        load_with(&mut store, usize::MAX, false, &[("b", later)]);
        let (two, _) = segments(&store);
        assert_eq!(two, 2);
        assert!(store.remove("iv-0").unwrap() && store.remove("iv-1").unwrap());
        assert_eq!(segments(&store).0, 1, "the first file's segment is gone");
        let orphans: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM postings WHERE segment NOT IN (SELECT id FROM segments)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(orphans, 0);
    }

    /// A few replaced interviews take the targeted path; the index is still exact.
    #[test]
    fn replacing_a_few_interviews_matches_a_fresh_load() {
        let (_d, mut store) = open();
        let mut file = interviews(40, 5, 0);
        load_with(&mut store, usize::MAX, false, &[("small", file.clone())]);
        file[4].pairs[0].question = "全新的问题是什么?".into();
        file[9].pairs.pop();
        load_with(&mut store, usize::MAX, false, &[("small", file.clone())]);
        let (_f, mut fresh) = open();
        load_with(&mut fresh, usize::MAX, false, &[("small", file)]);
        assert_eq!(index_contents(&store), index_contents(&fresh));
    }

    /// The hash is computed without copying the interview, over exactly the JSON the interview
    /// with its identity and speaker declarations cleared serialises to (stored hashes stay valid).
    #[test]
    fn the_content_hash_is_that_of_the_interview_without_identity() {
        let mut iv = interviews(1, 3, 0).remove(0);
        let old = |iv: &Interview| {
            let content = Interview { slug: None, speakers: Vec::new(), ..iv.clone() };
            hex(&Sha256::digest(serde_json::to_string(&content).unwrap().as_bytes()))
        };
        assert_eq!(content_hash(&iv), old(&iv));
        iv.source = Some("https://example.org/talk".into());
        iv.date = Some("2024-05-01".into());
        iv.interviewer = Some("记者".into());
        iv.speakers = vec![crate::transcript::Speaker { name: "讲者0".into(), aliases: vec!["零".into()] }];
        iv.pairs[1].alternates = vec!["另一种\"问法\"".into()];
        iv.pairs[2].line = Some(7);
        assert_eq!(content_hash(&iv), old(&iv));
        iv.notes.clear();
        assert_eq!(content_hash(&iv), old(&iv));
    }

    /// A stored interview edited with SQL into exactly the new version is recognised as
    /// unchanged; one that differs only in its last answer is replaced.
    #[test]
    fn the_stored_content_is_compared_to_the_end() {
        let (_d, mut store) = open();
        let file = interviews(2, 4, 0);
        load_with(&mut store, usize::MAX, false, &[("f", file.clone())]);
        let mut edited = file.clone();
        edited[0].pairs[3].turns[0].text.push_str("补充。");
        edited[1].pairs[3].turns[0].text.push_str("补充。");
        let sql =
            "UPDATE turns SET text = text || '补充。' WHERE pair_id = (SELECT p.id FROM pairs p JOIN interviews i \
                   ON i.id = p.interview_id WHERE i.slug = 'iv-0' AND p.position = 4)";
        store.connection().execute(sql, []).unwrap();
        let mut loader = store.loader(LoadMode::default()).unwrap();
        let reports = loader.file(&origin("f"), edited.into_iter().map(Ok::<_, anyhow::Error>), None).unwrap();
        loader.finish().unwrap();
        let actions: Vec<LoadAction> = reports.iter().map(|r| r.action).collect();
        assert_eq!(actions, [LoadAction::Unchanged, LoadAction::Replaced]);
    }

    /// Rows of every table that hangs off pairs or interviews, and those whose parent is gone.
    fn table_counts(store: &Store) -> BTreeMap<&'static str, i64> {
        let conn = store.connection();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        let mut out = BTreeMap::new();
        for table in ["interviews", "pairs", "turns", "alternates", "pair_notes", "index_queue"] {
            out.insert(table, count(&format!("SELECT count(*) FROM {table}")));
        }
        for table in PAIR_CHILDREN {
            let orphans = count(&format!("SELECT count(*) FROM {table} WHERE pair_id NOT IN (SELECT id FROM pairs)"));
            assert_eq!(orphans, 0, "{table} rows whose pair is gone");
        }
        let orphans = count("SELECT count(*) FROM pairs WHERE interview_id NOT IN (SELECT id FROM interviews)");
        assert_eq!(orphans, 0, "pairs whose interview is gone");
        let dangling = count("SELECT count(*) FROM query_log WHERE pair_id NOT IN (SELECT id FROM pairs)");
        assert_eq!(dangling, 0, "query log rows naming a deleted pair");
        out
    }

    /// Give every pair of the interviews a passage, a question and an answer vector, and log a question
    /// answered by each pair.
    fn add_vectors_and_log(store: &Store) {
        store
            .connection()
            .execute_batch(
                "INSERT INTO pair_vectors(pair_id, model, dim, vector) SELECT id, 'm', 1, x'0000803f' FROM pairs;
                 INSERT INTO question_vectors(pair_id, model, dim, vector) SELECT id, 'm', 1, x'0000803f' FROM pairs;
                 INSERT INTO answer_vectors(pair_id, model, dim, chunks, vectors)
                     SELECT id, 'm', 1, 1, x'0000803f' FROM pairs;
                 INSERT INTO query_log(frontend, query, pair_id, confidence, answered)
                     SELECT 'cli', question, id, 0.9, 1 FROM pairs;",
            )
            .unwrap();
    }

    /// A replacing load (half the interviews changed, with alternates, notes, vectors and logged
    /// questions) deletes everything of the old versions table by table: no row anywhere is
    /// left without its pair, the query log forgets the deleted pairs, the unchanged interviews
    /// keep their vectors, and every table counts what a fresh load of the new version counts.
    #[test]
    fn a_replace_leaves_the_tables_as_a_fresh_load_does() {
        let with_alternates = |version| {
            let mut file = interviews(60, 6, version);
            for (k, iv) in file.iter_mut().enumerate() {
                iv.pairs[k % 6].alternates = vec![format!("另一种问法{k}")];
            }
            file
        };
        let (_d, mut store) = open();
        load_with(&mut store, 5_000, true, &[("f", with_alternates(0))]);
        add_vectors_and_log(&store);
        load_with(&mut store, 5_000, true, &[("f", with_alternates(1))]);
        let (_f, mut fresh) = open();
        load_with(&mut fresh, usize::MAX, false, &[("f", with_alternates(1))]);
        let counts = table_counts(&store);
        assert_eq!(counts, table_counts(&fresh));
        assert!(counts["pair_notes"] > 0 && counts["alternates"] == 60, "{counts:?}");
        let conn = store.connection();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT count(*) FROM pair_vectors"), 30 * 6, "the unchanged interviews' vectors");
        assert_eq!(count("SELECT count(*) FROM question_vectors"), 30 * 6);
        assert_eq!(count("SELECT count(*) FROM answer_vectors"), 30 * 6);
        assert_eq!(count("SELECT count(*) FROM query_log WHERE pair_id IS NULL"), 30 * 6);
        assert_eq!(count("SELECT count(*) FROM query_log"), 60 * 6, "log rows are kept");
        assert_eq!(index_contents(&store), index_contents(&fresh));
    }

    /// The loader's connection goes back to the schema's triggers and foreign keys after a load,
    /// a dry run and a loader dropped unfinished: an edit made with SQL through it afterwards is
    /// queued for indexing and drops the pair's vector.
    #[test]
    fn triggers_and_foreign_keys_are_back_after_a_load() {
        let (_d, mut store) = open();
        load_with(&mut store, usize::MAX, false, &[("f", interviews(4, 3, 0))]);
        let mut dry = store.loader(LoadMode { dry_run: true, group_commit: false }).unwrap();
        dry.file(&origin("f"), interviews(4, 3, 1).into_iter().map(Ok::<_, anyhow::Error>), None).unwrap();
        dry.finish().unwrap();
        let mut dropped = store.loader(LoadMode::default()).unwrap();
        dropped.file(&origin("g"), interviews(2, 3, 0).into_iter().map(Ok::<_, anyhow::Error>), None).unwrap();
        drop(dropped);
        add_vectors_and_log(&store);
        let conn = store.connection();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count("PRAGMA foreign_keys"), 1);
        let pair: i64 = count("SELECT min(id) FROM pairs");
        conn.execute("UPDATE turns SET text = text || '。' WHERE pair_id = ?1", [pair]).unwrap();
        assert_eq!(count("SELECT count(*) FROM index_queue"), 2, "old and new text queued");
        assert_eq!(count(&format!("SELECT count(*) FROM pair_vectors WHERE pair_id = {pair}")), 0);
        assert_eq!(count(&format!("SELECT count(*) FROM answer_vectors WHERE pair_id = {pair}")), 0);
        assert_eq!(count(&format!("SELECT count(*) FROM question_vectors WHERE pair_id = {pair}")), 1);
        conn.execute("DELETE FROM interviews WHERE slug = 'iv-3'", []).unwrap();
        assert_eq!(count("SELECT count(*) FROM pairs WHERE interview_id NOT IN (SELECT id FROM interviews)"), 0);
        assert_eq!(count("SELECT count(*) FROM query_log WHERE pair_id NOT IN (SELECT id FROM pairs)"), 0);
    }

    /// A dry run writes nothing, however many segments it would have written.
    #[test]
    fn a_dry_run_writes_nothing() {
        let (_d, mut store) = open();
        let mut loader = store.loader(LoadMode { dry_run: true, group_commit: true }).unwrap();
        loader.flush_bytes = 5_000;
        let reports =
            loader.file(&origin("big"), interviews(100, 10, 0).into_iter().map(Ok::<_, anyhow::Error>), None).unwrap();
        loader.finish().unwrap();
        assert_eq!(reports.len(), 100);
        assert!(store.interviews().unwrap().is_empty());
        assert!(index_contents(&store).is_empty());
    }
}

#[cfg(test)]
mod origin_tests {
    use super::stored_origin;

    #[test]
    fn the_stored_origin_names_the_file_but_not_its_folders() {
        let a = stored_origin("/home/alice/private/talk.zh.txt");
        assert!(a.starts_with("talk.zh.txt #") && a.len() == "talk.zh.txt #".len() + 12, "{a}");
        assert_eq!(stored_origin("/home/alice/private/talk.zh.txt"), a, "stable");
        assert_ne!(stored_origin("/home/alice/other/talk.zh.txt"), a, "another folder is another file");
    }
}
