//! Read queries for the front ends, and the query log.

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};

use super::Store;
use crate::transcript::{Interview, Pair, Speaker, Turn};

/// A stored pair with everything needed to show and cite it.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRecord {
    /// Pair id.
    pub id: i64,
    /// Interview id.
    pub interview_id: i64,
    /// Interview title.
    pub interview_title: String,
    /// Where the interview was published, when known.
    pub source: Option<String>,
    /// Interview date, when known.
    pub date: Option<String>,
    /// 1-based position of the pair in its interview.
    pub position: i64,
    /// The stored question.
    pub question: String,
    /// The answer turns in order.
    pub turns: Vec<TurnRecord>,
}

/// One answer turn with its speaker's canonical name.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnRecord {
    /// Canonical speaker name.
    pub speaker: String,
    /// What they said.
    pub text: String,
}

/// A loaded interview, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct InterviewInfo {
    /// Interview id.
    pub id: i64,
    /// Identity used for replacing.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Date, when known.
    pub date: Option<String>,
    /// Number of pairs.
    pub pairs: i64,
    /// Answering speakers, in order of first appearance.
    pub speakers: Vec<String>,
}

/// A speaker who answers in at least one interview.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerInfo {
    /// Canonical name.
    pub name: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Number of answer turns.
    pub turns: i64,
    /// Number of interviews they answer in.
    pub interviews: i64,
}

/// A question the bot could not answer well, with how often it was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    /// The normalised question.
    pub query: String,
    /// How many times it was asked.
    pub count: i64,
    /// How many of those were answered anyway (low confidence but above threshold).
    pub answered: i64,
    /// Best confidence it ever reached.
    pub best_confidence: f64,
    /// Question of the closest pair, if any.
    pub closest: Option<String>,
    /// When it was last asked.
    pub last_asked: String,
}

impl Store {
    /// A pair by id, or `None` if there is no such pair (any more).
    pub fn pair(&self, id: i64) -> Result<Option<PairRecord>> {
        let run = || -> Result<Option<PairRecord>> { pair_record(&self.conn, id) };
        run().with_context(|| format!("cannot read pair {id}"))
    }

    /// Just the stored question of a pair.
    pub fn question(&self, id: i64) -> Result<Option<String>> {
        let run = || -> Result<Option<String>> {
            Ok(self
                .conn
                .prepare_cached("SELECT question FROM pairs WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?)
        };
        run().with_context(|| format!("cannot read the question of pair {id}"))
    }

    /// Whether any stored question contains `text` (as `qabot eval` matches `expected`).
    pub fn some_question_contains(&self, text: &str) -> Result<bool> {
        let sql = "SELECT EXISTS (SELECT 1 FROM pairs WHERE instr(question, ?1) > 0)";
        Ok(self.conn.prepare_cached(sql)?.query_row([text], |r| r.get(0))?)
    }

    /// Loaded interviews, oldest first.
    pub fn interviews(&self) -> Result<Vec<InterviewInfo>> {
        let run = || -> Result<Vec<InterviewInfo>> {
            // One read transaction (unless the caller has one): both queries see the same state.
            let _read = if self.conn.is_autocommit() { Some(self.conn.unchecked_transaction()?) } else { None };
            let mut speakers = speakers_by_interview(&self.conn)?;
            let mut stmt = self.conn.prepare(
                "SELECT i.id, i.slug, i.title, i.date, (SELECT count(*) FROM pairs WHERE interview_id = i.id)
                   FROM interviews i ORDER BY i.id",
            )?;
            let rows = stmt.query_map([], |r| {
                let id = r.get(0)?;
                Ok(InterviewInfo {
                    id,
                    slug: r.get(1)?,
                    title: r.get(2)?,
                    date: r.get(3)?,
                    pairs: r.get(4)?,
                    speakers: speakers.remove(&id).unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        run().context("cannot list the interviews")
    }

    /// Speakers who answer somewhere, most turns first.
    pub fn speakers(&self) -> Result<Vec<SpeakerInfo>> {
        let run = || -> Result<Vec<SpeakerInfo>> {
            let mut stmt = self.conn.prepare(
                "SELECT s.name,
                        (SELECT group_concat(alias, char(31)) FROM speaker_aliases WHERE speaker_id = s.id),
                        count(*), count(DISTINCT p.interview_id)
                   FROM speakers s JOIN turns t ON t.speaker_id = s.id JOIN pairs p ON p.id = t.pair_id
                  GROUP BY s.id ORDER BY count(*) DESC, s.name",
            )?;
            let rows = stmt.query_map([], |r| {
                let aliases: Option<String> = r.get(1)?;
                Ok(SpeakerInfo {
                    name: r.get(0)?,
                    aliases: aliases.map(|s| s.split('\u{1F}').map(String::from).collect()).unwrap_or_default(),
                    turns: r.get(2)?,
                    interviews: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        run().context("cannot list the speakers")
    }

    /// A pair chosen at random, if any are stored. Found through the primary key (the first pair
    /// at or after a random id), not by shuffling every pair.
    pub fn random_pair(&self) -> Result<Option<PairRecord>> {
        let run = || -> Result<Option<PairRecord>> {
            let id: Option<i64> = self
                .conn
                .query_row(
                    "SELECT id FROM pairs WHERE id >= (SELECT abs(random()) % max(id) + 1 FROM pairs) ORDER BY id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            match id {
                Some(id) => self.pair(id),
                None => Ok(None),
            }
        };
        run().context("cannot pick a random pair")
    }

    /// The stored question of the first pair at or after id `start`, wrapping round to the first
    /// pair: picks pairs spread over the collection through the primary key.
    pub fn question_from(&self, start: i64) -> Result<Option<(i64, String)>> {
        let run = || -> Result<Option<(i64, String)>> {
            let mut stmt =
                self.conn.prepare_cached("SELECT id, question FROM pairs WHERE id >= ?1 ORDER BY id LIMIT 1")?;
            let found = stmt.query_row([start], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            match found {
                Some(found) => Ok(Some(found)),
                None => Ok(stmt.query_row([i64::MIN], |r| Ok((r.get(0)?, r.get(1)?))).optional()?),
            }
        };
        run().context("cannot pick an example question")
    }

    /// The highest pair id, if any pair is stored.
    pub fn max_pair_id(&self) -> Result<Option<i64>> {
        let run = || -> Result<Option<i64>> { Ok(self.conn.query_row("SELECT max(id) FROM pairs", [], |r| r.get(0))?) };
        run().context("cannot count the pairs")
    }

    /// Number of stored pairs.
    pub fn pair_total(&self) -> Result<i64> {
        let run = || -> Result<i64> { Ok(self.conn.query_row("SELECT count(*) FROM pairs", [], |r| r.get(0))?) };
        run().context("cannot count the pairs")
    }

    /// Record a question in the query log (no user or chat identifiers; the caller removes
    /// personal data, see [`crate::redact`]). Logging never makes a reader wait for a load: when
    /// another process holds the write lock for more than a moment, the row is kept in memory and
    /// written with the next one (or when the store is dropped). Old rows are dropped as the
    /// retention settings say (see [`super::query_log::Retention`]). A read-only database records
    /// nothing, and says so once.
    pub fn log_query(
        &self,
        frontend: &str,
        query: &str,
        pair_id: Option<i64>,
        confidence: f64,
        answered: bool,
    ) -> Result<()> {
        if self.is_read_only() {
            if !self.log_skipped.replace(true) {
                log::warn!(
                    "the database {} is read-only: questions are not recorded in the query log",
                    self.path.display()
                );
            }
            return Ok(());
        }
        let row = super::query_log::LogRow::new(frontend, query, pair_id, confidence, answered);
        self.pending_log.borrow_mut().push(row);
        self.flush_log(super::query_log::LOG_WAIT).context("cannot write the query log")
    }

    /// The most frequent questions that were not answered, or answered with confidence below
    /// `below`, most frequent first. Questions of punctuation alone (`?`), which normalise to
    /// nothing, are left out: no alternate can be written for them.
    pub fn misses(&self, below: f64, limit: usize) -> Result<Vec<Miss>> {
        let run = || -> Result<Vec<Miss>> {
            let mut stmt = self.conn.prepare(
                "SELECT l.query, count(*), sum(l.answered), max(l.confidence),
                        (SELECT p.question FROM query_log l2 JOIN pairs p ON p.id = l2.pair_id
                          WHERE replace(l2.query, ' ', '') = replace(l.query, ' ', '')
                          ORDER BY l2.confidence DESC LIMIT 1),
                        max(l.asked_at)
                   FROM query_log l
                  WHERE (l.answered = 0 OR l.confidence < ?1) AND trim(l.query) <> ''
                  GROUP BY replace(l.query, ' ', '')
                  ORDER BY count(*) DESC, max(l.asked_at) DESC
                  LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![below, limit as i64], |r| {
                Ok(Miss {
                    query: r.get(0)?,
                    count: r.get(1)?,
                    answered: r.get(2)?,
                    best_confidence: r.get(3)?,
                    closest: r.get(4)?,
                    last_asked: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        run().context("cannot read the query log")
    }

    /// Every stored interview in the interchange format (see [`crate::transcript::json`]).
    pub fn export(&self) -> Result<Vec<Interview>> {
        let run = || -> Result<Vec<Interview>> {
            // One read transaction: a consistent snapshot even while another process loads.
            let _snapshot = self.conn.unchecked_transaction()?;
            let ids: Vec<i64> = self
                .conn
                .prepare("SELECT id FROM interviews ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(interview_content(&self.conn, id)?);
            }
            Ok(out)
        };
        run().context("cannot export the interviews")
    }
}

/// A stored interview in the interchange format, as `qabot export` writes it.
pub(super) fn interview_content(conn: &Connection, id: i64) -> Result<Option<Interview>> {
    let head = conn
        .prepare_cached("SELECT slug, title, source, date, interviewer, notes FROM interviews WHERE id = ?1")?
        .query_row([id], |r| {
            let notes: String = r.get(5)?;
            Ok(Interview {
                title: r.get(1)?,
                slug: Some(r.get(0)?),
                source: r.get(2)?,
                date: r.get(3)?,
                interviewer: r.get(4)?,
                notes: notes.split('\n').filter(|n| !n.is_empty()).map(String::from).collect(),
                speakers: Vec::new(),
                pairs: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut interview) = head else { return Ok(None) };
    let pair_ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM pairs WHERE interview_id = ?1 ORDER BY position")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for pair_id in pair_ids {
        let Some(record) = pair_record(conn, pair_id)? else { continue };
        let alternates = conn
            .prepare_cached("SELECT text FROM alternates WHERE pair_id = ?1 ORDER BY id")?
            .query_map([pair_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        interview.pairs.push(Pair {
            question: record.question,
            alternates,
            turns: record.turns.into_iter().map(|t| Turn { speaker: t.speaker, text: t.text }).collect(),
            line: None,
        });
    }
    interview.speakers = interview_speakers(conn, id)?;
    Ok(Some(interview))
}

/// Answering speakers of an interview with their aliases, in order of first appearance.
fn interview_speakers(conn: &Connection, interview_id: i64) -> Result<Vec<Speaker>> {
    let rows: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT s.id, s.name FROM speakers s JOIN turns t ON t.speaker_id = s.id JOIN pairs p ON p.id = t.pair_id
                  WHERE p.interview_id = ?1 GROUP BY s.id ORDER BY min(printf('%010d%010d', p.position, t.position))",
        )?
        .query_map([interview_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name) in rows {
        let aliases = conn
            .prepare_cached("SELECT alias FROM speaker_aliases WHERE speaker_id = ?1 ORDER BY rowid")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        out.push(Speaker { name, aliases });
    }
    Ok(out)
}

/// A pair with its interview and turns, or `None` if there is no such pair (any more).
pub(super) fn pair_record(conn: &Connection, id: i64) -> Result<Option<PairRecord>> {
    let head = conn
        .prepare_cached(
            "SELECT p.interview_id, i.title, i.source, i.date, p.position, p.question
                   FROM pairs p JOIN interviews i ON i.id = p.interview_id WHERE p.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((interview_id, interview_title, source, date, position, question)) = head else {
        return Ok(None);
    };
    let turns = conn
        .prepare_cached(
            "SELECT s.name, t.text FROM turns t JOIN speakers s ON s.id = t.speaker_id
                  WHERE t.pair_id = ?1 ORDER BY t.position",
        )?
        .query_map([id], |r| Ok(TurnRecord { speaker: r.get(0)?, text: r.get(1)? }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(PairRecord { id, interview_id, interview_title, source, date, position, question, turns }))
}

/// Every interview's answering speakers in order of first appearance, in one pass over the turns:
/// a subquery per interview took twice as long at 5,000 interviews, and `interviews` runs while
/// loads do.
fn speakers_by_interview(conn: &Connection) -> Result<std::collections::HashMap<i64, Vec<String>>> {
    let mut stmt = conn.prepare(
        "SELECT x.interview_id, s.name
           FROM (SELECT p.interview_id, t.speaker_id, min(p.position * 4294967296 + t.position) AS first
                   FROM pairs p JOIN turns t ON t.pair_id = p.id
                  GROUP BY p.interview_id, t.speaker_id) x
           JOIN speakers s ON s.id = x.speaker_id
          ORDER BY x.interview_id, x.first",
    )?;
    let mut speakers: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        speakers.entry(row.get(0)?).or_default().push(row.get(1)?);
    }
    Ok(speakers)
}
