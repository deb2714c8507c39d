//! Asking: rank the stored pairs for a question, decide whether to answer, gather what the front
//! ends show. Shared by the command line and the Telegram bot so they always agree.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Result};

use crate::embed::Embedder;
use crate::search::postings::PairText;
use crate::search::{self, Corpus, Scored, Vocabulary};
use crate::store::{PairRecord, Store, VectorSet};

/// Suggestions shown with an answer ("see also") must reach the threshold, and at least this
/// confidence however low the threshold is set (without an answer, the closest questions are
/// shown whatever their confidence).
const SEE_ALSO_MIN: f64 = 0.3;
/// Most suggestions shown.
pub const MAX_SUGGESTIONS: usize = 3;

/// A question and the bot's reply to it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The question as asked.
    pub query: String,
    /// The normalised question (what the query log stores).
    pub normalized: String,
    /// Whether the best pair reached the threshold.
    pub answered: bool,
    /// Confidence in the best pair (0 when nothing matched at all).
    pub confidence: f64,
    /// The best pair, present exactly when `answered`.
    pub matched: Option<PairRecord>,
    /// Id of the best pair even when not answered (for the query log).
    pub best_pair: Option<i64>,
    /// Other close questions: the closest ones when not answered, runners-up when answered.
    pub suggestions: Vec<Suggestion>,
    /// The suggestions are example questions, not close ones: nothing stored resembles the
    /// question at all.
    pub examples: bool,
}

/// A stored question offered as "did you mean".
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The pair to show if chosen.
    pub pair_id: i64,
    /// Its stored question.
    pub question: String,
    /// Confidence that it answers the question asked.
    pub confidence: f64,
}

/// Questions longer than this are matched on their first this-many characters: a question is a
/// sentence or two, and the cost of matching grows with its length.
pub const MAX_QUESTION_CHARS: usize = 500;

/// Rank `question` against the store and build the reply, answering only at or above `threshold`.
pub fn ask(store: &mut Store, question: &str, threshold: f64) -> Result<Answer> {
    Ok(ask_ranked(store, question, threshold)?.0)
}

/// [`ask`], also returning the full ranking behind the reply (for `eval` and `--explain`).
pub fn ask_ranked(store: &mut Store, question: &str, threshold: f64) -> Result<(Answer, search::Ranking)> {
    ask_hybrid(store, None, question, threshold)
}

/// [`ask_ranked`], matching by meaning too when `semantic` is given and the database holds its
/// model's vectors (by words alone otherwise).
pub fn ask_hybrid(
    store: &mut Store,
    semantic: Option<&mut Semantic>,
    question: &str,
    threshold: f64,
) -> Result<(Answer, search::Ranking)> {
    if question.trim().is_empty() {
        bail!("the question is empty");
    }
    let matched_text: String = question.chars().take(MAX_QUESTION_CHARS).collect();
    store.refresh()?;
    // Ranking and reading the chosen pairs see one state of the database, whatever a concurrent
    // load commits in between.
    store.in_snapshot(|store| {
        let ranking = match semantic {
            Some(semantic) => semantic.rank(store, &matched_text)?,
            None => search::rank(store, &matched_text)?,
        };
        reply(store, question, threshold, ranking)
    })
}

/// Build the reply to `question` from its ranking.
fn reply(
    store: &mut Store,
    question: &str,
    threshold: f64,
    ranking: search::Ranking,
) -> Result<(Answer, search::Ranking)> {
    // Pairs can vanish between ranking and reading (deleted by another process): skip them.
    let mut ranked = ranking.ranked.iter();
    let mut best: Option<(&Scored, PairRecord)> = None;
    for scored in ranked.by_ref() {
        if let Some(record) = store.pair(scored.pair_id)? {
            best = Some((scored, record));
            break;
        }
    }
    let answered = best.as_ref().is_some_and(|(b, _)| b.confidence >= threshold);
    // Without an answer, the closest questions are those with any confidence at all: the same
    // measure the reply reports, so "nothing resembles it" (examples) goes with confidence 0.
    let others: Vec<&Scored> = if answered {
        // A pair offered beside an answer is one that would be answered on its own.
        ranked.filter(|s| s.confidence >= threshold.max(SEE_ALSO_MIN)).collect()
    } else {
        best.iter().map(|(b, _)| *b).chain(ranked).filter(|s| s.confidence > 0.0).collect()
    };
    let mut suggestions = Vec::new();
    for scored in others {
        if suggestions.len() == MAX_SUGGESTIONS {
            break;
        }
        if let Some(q) = store.question(scored.pair_id)? {
            suggestions.push(Suggestion { pair_id: scored.pair_id, question: q, confidence: scored.confidence });
        }
    }
    // Nothing stored resembles the question: offer a few questions that can be answered instead.
    let examples = !answered && suggestions.is_empty();
    if examples {
        for (pair_id, question) in example_questions(store, &ranking.query.normalized, MAX_SUGGESTIONS)? {
            suggestions.push(Suggestion { pair_id, question, confidence: 0.0 });
        }
    }
    let best_pair = best.as_ref().map(|(b, _)| b.pair_id);
    let confidence = if examples { 0.0 } else { best.as_ref().map_or(0.0, |(b, _)| b.confidence) };
    let answer = Answer {
        query: question.to_owned(),
        normalized: ranking.query.normalized.clone(),
        answered,
        confidence,
        matched: best.filter(|_| answered).map(|(_, record)| record),
        best_pair,
        suggestions,
        examples,
    };
    Ok((answer, ranking))
}

/// Record an answer in the query log; logging problems are reported, never fatal. Personal data
/// is removed first (see [`crate::redact`]): from the question as typed, where an e-mail address
/// is still recognisable, and again after normalisation (Chinese numerals become digits).
pub fn log(store: &Store, frontend: &str, answer: &Answer) {
    let query = crate::redact::redact(&crate::search::normalize(&crate::redact::redact(&answer.query)));
    if let Err(e) = store.log_query(frontend, &query, answer.best_pair, answer.confidence, answer.answered) {
        log::warn!("could not write the query log: {e:#}");
    }
}

/// Up to `n` stored questions to offer as examples. The choice is pseudo-random, seeded by the
/// question, so the same question always gets the same examples (replies and `--json` output are
/// reproducible) while different questions see different ones. Each is found through the primary
/// key, so the cost does not grow with the collection.
fn example_questions(store: &Store, normalized: &str, n: usize) -> Result<Vec<(i64, String)>> {
    let Some(max) = store.max_pair_id()? else { return Ok(Vec::new()) };
    // FNV-1a: stable across platforms and releases, unlike the standard library's hasher.
    let mut state =
        normalized.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let mut examples: Vec<(i64, String)> = Vec::with_capacity(n);
    // A few more draws than needed: two draws may land on the same pair.
    for _ in 0..n * 4 {
        if examples.len() == n {
            break;
        }
        // SplitMix64 step.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let start = (z % max.max(1) as u64) as i64 + 1;
        if let Some(found) = store.question_from(start)? {
            if !examples.iter().any(|(id, _)| *id == found.0) {
                examples.push(found);
            }
        }
    }
    Ok(examples)
}

/// Matching by meaning: a sentence-embedding model and the vectors it made of the stored pairs,
/// held in memory (quantised: about 390 bytes a pair, see [`VectorSet`]) and reloaded when they
/// change.
pub struct Semantic {
    embedder: Embedder,
    model: String,
    vectors: VectorSet,
    /// Which database the vectors were read from, and its vector version then. The version alone
    /// is no identity: two databases opened afresh report the same one, and a `Semantic` asked of
    /// both (as the calibration asks the bundled interview alone, then with the corpus) would
    /// match the second with the first one's vectors.
    version: Option<(PathBuf, (i64, i64))>,
}

impl Semantic {
    /// Match with `embedder` (the model that embedded the stored pairs).
    pub fn new(embedder: Embedder) -> Semantic {
        let model = embedder.identity().to_string();
        Semantic { embedder, model, vectors: VectorSet::default(), version: None }
    }

    /// The model.
    pub fn embedder(&self) -> &Embedder {
        &self.embedder
    }

    /// Rank `question` by words and meaning. Without vectors from this model in the database
    /// (none yet, or another model's) the ranking is by words alone.
    pub fn rank(&mut self, store: &mut Store, question: &str) -> Result<search::Ranking> {
        let version = (store.path().to_path_buf(), store.vectors_version()?);
        if self.version.as_ref() != Some(&version) {
            // Let go of the old copy first: two copies of a large set would double the peak.
            self.vectors = VectorSet::default();
            self.vectors = store.all_vectors(&self.model)?;
            self.version = Some(version);
        }
        if self.vectors.is_empty() {
            return search::rank(store, question);
        }
        let vector = self.embedder.embed_queries(&[question])?.pop().unwrap_or_default();
        search::rank_with(&mut Hybrid { store, vectors: &self.vectors, model: &self.model }, question, Some(&vector))
    }
}

/// The store's index with a model's vectors beside it.
struct Hybrid<'a> {
    store: &'a mut Store,
    vectors: &'a VectorSet,
    /// The model's identity, for its question vectors (read per question from the database).
    model: &'a str,
}

impl Corpus for Hybrid<'_> {
    fn pair_count(&mut self) -> Result<u64> {
        self.store.pair_count()
    }
    fn term(&mut self, term: &str) -> Result<Option<(i64, u64)>> {
        self.store.term(term)
    }
    fn posting_lists(&mut self, term_id: i64) -> Result<Vec<Vec<u8>>> {
        self.store.posting_lists(term_id)
    }
    fn pair_texts(&mut self, ids: &[i64]) -> Result<Vec<(i64, PairText)>> {
        self.store.pair_texts(ids)
    }
    fn vocabulary(&mut self) -> Result<Arc<Vocabulary>> {
        self.store.vocabulary()
    }
    fn dense_neighbours(&mut self, query: &[f32], k: usize) -> Result<Vec<(i64, f64)>> {
        Ok(self.vectors.top_k(query, k).into_iter().map(|(id, s)| (id, f64::from(s))).collect())
    }
    fn dense_similarities(&mut self, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        let v = self.vectors;
        Ok(ids.iter().filter_map(|&id| v.similarity(id, query).map(|s| (id, f64::from(s)))).collect())
    }
    fn question_similarities(&mut self, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        self.store.question_vector_similarities(self.model, query, ids)
    }
    fn answer_similarities(&mut self, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        self.store.answer_vector_similarities(self.model, query, ids)
    }
}
