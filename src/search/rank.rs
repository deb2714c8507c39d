//! Ranking pairs for a question, and how sure to be about the best one.
//!
//! Two stages:
//! 1. **Retrieval** through the inverted index: each question term adds `idf × (3 × question
//!    weight + answer weight)` to the pairs listing it (BM25-style, question counts triple).
//!    Very common terms are skipped on large corpora. The best [`CANDIDATES`] pairs go on.
//! 2. **Reranking** on the candidates' text: how much of the question's informative content the
//!    pair covers (in its question and alternates, and anywhere), edit similarity to the stored
//!    question for near-verbatim asks and typos, and whether a speaker the question asks answers.
//!
//! Confidence (0–1) comes from the same evidence, less what is found by chance (grammar
//! characters, characters shared without any shared word), at least what one passage holding
//! nearly all of the question gives, and cut when the speaker asked does not speak in the pair;
//! [`DEFAULT_THRESHOLD`] separates answers from "no close answer".

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::accumulate::with_accumulator;
use super::calibration::{self, Calibration, Signals};
use super::normalize::normalize;
use super::postings::{decode, impact_weights, PairText};
use super::query::{
    analyze, content_text, unit_occurs, Query, TermFrequencies, Unit, UnitKind, FUNCTION_CHARS, UNKNOWN_SPEAKER,
};
use super::vocab::Vocabulary;

/// Confidence at or above which a match is given as the answer, for every front end.
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// How many retrieved pairs are reranked.
pub const CANDIDATES: usize = 40;
/// On corpora this large, terms in more than [`COMMON_SHARE`] of pairs are not retrieved with
/// (they barely discriminate and their lists are long); reranking still sees them.
const COMMON_MIN_PAIRS: u64 = 5_000;
const COMMON_SHARE: f64 = 0.05;

/// What the matcher needs from storage.
pub trait Corpus {
    /// Number of stored pairs.
    fn pair_count(&mut self) -> Result<u64>;
    /// Id and document frequency of an index term.
    fn term(&mut self, term: &str) -> Result<Option<(i64, u64)>>;
    /// Encoded posting lists of a term (see [`super::postings`]).
    fn posting_lists(&mut self, term_id: i64) -> Result<Vec<Vec<u8>>>;
    /// Text of the given pairs; ids that no longer exist are left out.
    fn pair_texts(&mut self, ids: &[i64]) -> Result<Vec<(i64, PairText)>>;
    /// Synonyms and speaker aliases.
    fn vocabulary(&mut self) -> Result<Arc<Vocabulary>>;
    /// The `k` pairs whose stored vectors are closest to `query` (a unit vector from the same
    /// model), with their cosine similarity, best first. Empty when no vectors are stored.
    fn dense_neighbours(&mut self, _query: &[f32], _k: usize) -> Result<Vec<(i64, f64)>> {
        Ok(Vec::new())
    }
    /// Cosine similarity of `query` to the stored vectors of `ids`; pairs without a vector are
    /// left out.
    fn dense_similarities(&mut self, _query: &[f32], _ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        Ok(Vec::new())
    }
    /// Cosine similarity of `query` to the vectors of the stored questions of `ids`, embedded as
    /// questions (question to question); pairs without one are left out.
    fn question_similarities(&mut self, _query: &[f32], _ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        Ok(Vec::new())
    }
    /// Cosine similarity of `query` to the nearest chunk of the answer of each of `ids` (chunks
    /// embedded as passages); pairs without answer vectors are left out.
    fn answer_similarities(&mut self, _query: &[f32], _ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        Ok(Vec::new())
    }
}

/// Why a pair scored as it did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// Share of the question's weighted content found anywhere in the pair.
    pub coverage: f64,
    /// Share found in the stored question or its alternates.
    pub question_coverage: f64,
    /// Edit similarity (0–1) to the closest of the stored question and alternates.
    pub similarity: f64,
    /// When the question names speakers: the share of them who answer in the pair (1 when all
    /// do, 0 when none does). `None` when it names nobody.
    pub speaker_match: Option<f64>,
    /// Whether the stored question addresses a speaker the question names.
    pub addressed: bool,
    /// Whether the question asks what someone thinks who speaks in no interview (see
    /// [`super::query::UNKNOWN_SPEAKER`]): nobody's words can answer it.
    pub unknown_speaker: bool,
    /// Retrieval score, relative to the best candidate (0–1).
    pub retrieval: f64,
    /// Share of cross-script phrase links found verbatim.
    pub links: f64,
    /// The largest weighted share of the question's content found within one passage of the pair
    /// (its question, an answer turn, a clause): words that occur together count more than words
    /// scattered over a long answer.
    pub sentence: f64,
    /// Coverage less what is found by chance, with floors for quoted passages and near-verbatim
    /// questions (0–1): the lexical evidence that this pair answers the question.
    pub evidence: f64,
    /// Informative weight of the question's content.
    pub mass: f64,
    /// The ranking score from words alone.
    pub lexical: f64,
    /// Cosine similarity of question and pair embeddings, when both exist.
    pub dense: Option<f64>,
    /// Cosine similarity of the question and the stored question, both embedded as questions,
    /// when both exist.
    #[serde(default)]
    pub dense_question: Option<f64>,
    /// Cosine similarity of the question to the nearest chunk of the pair's answer (each chunk
    /// embedded as a passage), when both exist.
    #[serde(default)]
    pub dense_answer: Option<f64>,
    /// The question is written in another script than the pair (Chinese characters against
    /// Latin letters): words cannot match, so missing words say nothing.
    #[serde(default)]
    pub cross_script: bool,
}

/// A ranked pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The pair.
    pub pair_id: i64,
    /// Ranking score (higher is better; not a probability).
    pub score: f64,
    /// Estimated probability that this pair answers the question (0–1; see
    /// [`super::calibration`]).
    pub confidence: f64,
    /// The evidence.
    pub features: Features,
}

/// What the calibration needs to know about the question and corpus as a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// Number of stored pairs.
    pub pairs: u64,
    /// Share of the question's content units no stored pair uses.
    pub unknown_terms: f64,
    /// Whether a question vector was given and pairs had vectors to compare it with.
    pub dense: bool,
}

/// The outcome of ranking a question.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// How the question was read.
    pub query: Query,
    /// Candidates, best first.
    pub ranked: Vec<Scored>,
    /// The question and corpus as a whole.
    pub context: Context,
}

impl Ranking {
    /// The best pair when it reaches `threshold`.
    pub fn answer(&self, threshold: f64) -> Option<&Scored> {
        self.ranked.first().filter(|s| s.confidence >= threshold)
    }
}

/// log10 of the corpus sizes (pairs) the shipped coefficients were fitted on; see [`signals`].
const LOG_PAIRS_FITTED: (f64, f64) = (1.3, 2.5);

/// How many nearest pairs by embedding join the lexical candidates.
pub const DENSE_CANDIDATES: usize = 20;

/// Rank stored pairs for `question` by words alone.
pub fn rank(corpus: &mut dyn Corpus, question: &str) -> Result<Ranking> {
    rank_with(corpus, question, None)
}

/// Rank stored pairs for `question`; with `vector` (the question's embedding, a unit vector from
/// the model that embedded the stored pairs) also by meaning: the nearest pairs join the lexical
/// candidates and embedding similarity joins the score.
pub fn rank_with(corpus: &mut dyn Corpus, question: &str, vector: Option<&[f32]>) -> Result<Ranking> {
    let vocab = corpus.vocabulary()?;
    let pairs = corpus.pair_count()?;
    let mut lookup = Lookup { corpus, cache: HashMap::new(), pairs, error: None };
    let query = analyze(question, &vocab, &mut lookup);
    if let Some(error) = lookup.error.take() {
        return Err(error);
    }
    let retrieved = retrieve(&mut lookup, &query)?;
    let corpus = lookup.corpus;
    let mut ids: Vec<i64> = retrieved.iter().map(|&(id, _)| id).collect();
    let dense = match vector {
        Some(v) => dense_scores(corpus, v, &mut ids)?,
        None => HashMap::new(),
    };
    let (dense_question, dense_answer): (HashMap<i64, f64>, HashMap<i64, f64>) = match vector {
        Some(v) if !dense.is_empty() => (
            corpus.question_similarities(v, &ids)?.into_iter().collect(),
            corpus.answer_similarities(v, &ids)?.into_iter().collect(),
        ),
        _ => Default::default(),
    };
    let han_question = han_script(&query.normalized);
    let texts = corpus.pair_texts(&ids)?;
    let best_retrieval = retrieved.first().map_or(1.0, |&(_, s)| s.max(1e-9));
    let retrieval: HashMap<i64, f64> = retrieved.into_iter().collect();
    let ranked: Vec<Scored> = texts
        .iter()
        .map(|(id, text)| {
            let mut scored =
                score_pair(&query, &vocab, *id, text, retrieval.get(id).copied().unwrap_or(0.0) / best_retrieval);
            scored.features.dense = dense.get(id).copied();
            scored.features.dense_question = dense_question.get(id).copied();
            scored.features.dense_answer = dense_answer.get(id).copied();
            scored.features.cross_script = han_question.is_some_and(|q| han_script(&pair_script_text(text)) != Some(q));
            scored
        })
        .collect();
    let context = Context { pairs, unknown_terms: unknown_share(&query), dense: !dense.is_empty() };
    // The learnt confidence only where it beats the hand-made one: with meaning. By words alone
    // the learnt model declined more but answered fewer questions right (README, Answer quality).
    let ranked = if context.dense { finish(ranked, &context, calibration::shipped()) } else { hand_made(ranked) };
    Ok(Ranking { query, ranked, context })
}

/// Words only: order by the lexical score, confidence the hand-made evidence (see [`evidence`]).
fn hand_made(mut ranked: Vec<Scored>) -> Vec<Scored> {
    for s in &mut ranked {
        s.score = s.features.lexical;
        s.confidence = s.features.evidence;
    }
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.pair_id.cmp(&b.pair_id)));
    monotone(&mut ranked);
    ranked
}

/// A pair ranked lower is never presented as more certain than one ranked above it.
fn monotone(ranked: &mut [Scored]) {
    for i in 1..ranked.len() {
        ranked[i].confidence = ranked[i].confidence.min(ranked[i - 1].confidence);
    }
}

/// Embedding similarities of the nearest pairs and of the lexical candidates `ids`; the nearest
/// pairs are added to `ids`.
fn dense_scores(corpus: &mut dyn Corpus, vector: &[f32], ids: &mut Vec<i64>) -> Result<HashMap<i64, f64>> {
    let mut dense: HashMap<i64, f64> = corpus.dense_neighbours(vector, DENSE_CANDIDATES)?.into_iter().collect();
    if dense.is_empty() {
        return Ok(dense);
    }
    let missing: Vec<i64> = ids.iter().copied().filter(|id| !dense.contains_key(id)).collect();
    let mut near: Vec<i64> = dense.keys().copied().filter(|id| !ids.contains(id)).collect();
    near.sort_unstable();
    ids.extend(near);
    dense.extend(corpus.dense_similarities(vector, &missing)?);
    Ok(dense)
}

/// Whether `text` is written mostly in Chinese characters (`Some(true)`), mostly in Latin letters
/// (`Some(false)`), or has neither (`None`). A character carries about as much as a short word,
/// so one counts for four letters.
fn han_script(text: &str) -> Option<bool> {
    let han = text.chars().filter(|c| crate::text::is_han(*c)).count();
    let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    (han + latin > 0).then_some(4 * han >= latin)
}

/// The text whose script a pair is written in: its question and the start of its answer.
fn pair_script_text(text: &PairText) -> String {
    let answer = text.turns.first().map_or("", |(_, t)| t.as_str());
    format!("{} {}", text.question, answer.chars().take(200).collect::<String>())
}

/// Share of the question's content units (bigrams not straddling two words, words, concepts)
/// that no stored pair uses.
fn unknown_share(query: &Query) -> f64 {
    let units: Vec<&Unit> = query.units.iter().filter(|u| !u.split && u.kind != UnitKind::Char).collect();
    if units.is_empty() {
        return 0.0;
    }
    units.iter().filter(|u| u.unknown).count() as f64 / units.len() as f64
}

/// Order scored candidates by their combined score (words, plus meaning when `context.dense`)
/// and give each its learnt confidence. Pure, so the fitting program ranks exactly as the matcher
/// does. The matcher uses it with meaning only; by words alone see [`hand_made`].
pub fn finish(mut ranked: Vec<Scored>, context: &Context, calibration: &Calibration) -> Vec<Scored> {
    let similarities = Similarities::of(&ranked);
    for s in &mut ranked {
        let meaning = if context.dense { similarities.pair(&s.features) } else { Meaning::default() };
        s.score = s.features.lexical
            + calibration.dense_weight * meaning.passage
            + calibration.question_weight * meaning.question
            + calibration.answer_weight * meaning.answer;
    }
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.pair_id.cmp(&b.pair_id)));
    for i in 0..ranked.len() {
        let signals = signals_read(&ranked, i, context, &similarities);
        let mut p = calibration.probability(&signals, context.dense);
        // Rules too rare in labelled questions to be learnt: when the question asks what someone
        // says and nobody it names speaks in the pair (or the one asked is in no interview),
        // someone else's words are at best related; when no word of the question is found, a
        // pair is at best a neighbour in meaning; a question that says almost nothing (`OpenAI?`)
        // has no specific answer. Confidence is then no more than the lexical evidence, which
        // discounts all three.
        // Names are matched by their spelling, so across scripts (an English question about a
        // Chinese interview) a speaker's name is not recognised: there the speaker rules cannot
        // tell and meaning decides.
        let f = &ranked[i].features;
        let vague = f.mass < MIN_MASS;
        let speaker_rule = (f.speaker_match == Some(0.0) || f.unknown_speaker) && !(context.dense && f.cross_script);
        if speaker_rule || vague || (f.evidence == 0.0 && !context.dense) {
            p = p.min(f.evidence);
        }
        ranked[i].confidence = p;
    }
    monotone(&mut ranked);
    ranked
}

/// Fewest candidates on each side (the question's script, the other one) for their similarities
/// to be compared: with fewer, a median says nothing.
const SCRIPT_GROUP_MIN: usize = 3;

/// A candidate's similarities to the question by meaning, as the ranking reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Meaning {
    /// To the pair's passage (question, alternates, start of the answer).
    passage: f64,
    /// To its stored question, both embedded as questions.
    question: f64,
    /// To the nearest chunk of its answer.
    answer: f64,
}

/// How a candidate's similarities by meaning are read: the floor for a candidate not embedded yet,
/// and how much to add to those of pairs written in another script than the question.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Similarities {
    /// The least passage similarity among candidates: a candidate not embedded yet counts as the
    /// least similar one, not as zero.
    floor: f64,
    /// Added to a cross-script candidate's similarities.
    shift: Meaning,
}

impl Similarities {
    /// Read from the candidates of one question. The model places texts of the question's own
    /// language closer to it than any translation: a Chinese question is nearer to an unrelated
    /// Chinese pair than to the English pair that answers it. So a pair in the other script is
    /// compared with its own kind: its similarity is raised by how far the median candidate in
    /// the question's script lies above the median candidate in the other (never lowered).
    /// Per question, so it means the same on any interview and any mix of languages.
    fn of(ranked: &[Scored]) -> Similarities {
        let floor = ranked.iter().filter_map(|s| s.features.dense).fold(f64::INFINITY, f64::min);
        let floor = if floor.is_finite() { floor } else { 0.0 };
        let plain = Similarities { floor, shift: Meaning::default() };
        let pairs: Vec<(bool, Meaning)> = ranked
            .iter()
            .filter(|s| s.features.dense.is_some())
            .map(|s| (s.features.cross_script, plain.pair(&s.features)))
            .collect();
        let offset = |part: fn(&Meaning) -> f64| {
            let side = |cross: bool| upper_median(pairs.iter().filter(|p| p.0 == cross).map(|p| part(&p.1)).collect());
            match (side(false), side(true)) {
                (Some(own), Some(other)) => (own - other).max(0.0),
                _ => 0.0,
            }
        };
        // Across scripts the answer's chunks are not read (see `pair`): no shift for them.
        let shift = Meaning { passage: offset(|m| m.passage), question: offset(|m| m.question), answer: 0.0 };
        Similarities { floor, shift }
    }

    /// A candidate's similarities, script shift included. A pair without a question vector or
    /// answer vectors (not embedded again since an upgrade) counts its passage similarity for
    /// what it lacks. Across scripts the passage stands in for the answer's chunks too: a chunk
    /// is a few sentences, and a question in one language lands near chunks in the other by
    /// chance more than near a whole passage (measured: read across scripts, the chunks put a
    /// neighbour first for one of the six cross-language corpus questions; README, "Answer
    /// quality").
    fn pair(&self, f: &Features) -> Meaning {
        let passage = f.dense.unwrap_or(self.floor);
        let question = f.dense_question.unwrap_or(passage);
        let answer = f.dense_answer.unwrap_or(passage);
        if f.cross_script {
            Meaning {
                passage: passage + self.shift.passage,
                question: question + self.shift.question,
                answer: passage + self.shift.passage,
            }
        } else {
            Meaning { passage, question, answer }
        }
    }
}

/// The middle value (the upper one of an even count), or `None` below [`SCRIPT_GROUP_MIN`] values.
fn upper_median(mut values: Vec<f64>) -> Option<f64> {
    if values.len() < SCRIPT_GROUP_MIN {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

/// What the calibration reads about candidate `i` of a sorted ranking.
pub fn signals(ranked: &[Scored], i: usize, context: &Context) -> Signals {
    signals_read(ranked, i, context, &Similarities::of(ranked))
}

/// [`signals`] with the candidates' similarities already read (they depend on the set of
/// candidates, not on their order, so [`finish`] reads them once for all candidates).
fn signals_read(ranked: &[Scored], i: usize, context: &Context, similarities: &Similarities) -> Signals {
    let f = &ranked[i].features;
    let others = || ranked.iter().enumerate().filter(move |&(j, _)| j != i).map(|(_, s)| s);
    let runner_up = others().map(|s| s.score).fold(f64::NEG_INFINITY, f64::max);
    let margin = if runner_up.is_finite() { ranked[i].score - runner_up } else { 1.0 };
    // Similarities as the ranking read them (see `Similarities`), of embedded candidates only.
    let embedded = |s: &Scored| s.features.dense.map(|_| similarities.pair(&s.features));
    let Meaning { passage: dense, question, .. } = embedded(&ranked[i]).unwrap_or_default();
    let best_other = others().filter_map(embedded).map(|p| p.passage).fold(f64::NEG_INFINITY, f64::max);
    let dense_margin = if best_other.is_finite() { dense - best_other } else { 0.1 };
    let best_question = others().filter_map(embedded).map(|p| p.question).fold(f64::NEG_INFINITY, f64::max);
    let question_margin = if best_question.is_finite() { question - best_question } else { 0.1 };
    let flag = |b: bool| f64::from(u8::from(b));
    Signals {
        evidence: f.evidence,
        coverage: f.coverage,
        question_coverage: f.question_coverage,
        sentence: f.sentence,
        similarity: f.similarity,
        margin: margin.clamp(-1.0, 1.0),
        unknown_terms: context.unknown_terms,
        // Within the sizes the coefficients were fitted on (20 to a few hundred pairs): a linear
        // term must not extrapolate to a corpus of four pairs or of a hundred thousand.
        log_pairs: (context.pairs.max(1) as f64).log10().clamp(LOG_PAIRS_FITTED.0, LOG_PAIRS_FITTED.1),
        speaker_answers: flag(f.speaker_match == Some(1.0)),
        speaker_silent: flag(f.speaker_match == Some(0.0)),
        unknown_speaker: flag(f.unknown_speaker),
        mass: f.mass.min(4.0),
        dense,
        dense_margin: dense_margin.clamp(-0.5, 0.5),
        dense_best: flag(f.dense.is_some() && dense_margin >= 0.0),
        dense_question: question,
        question_margin: question_margin.clamp(-0.5, 0.5),
        question_best: flag(f.dense.is_some() && question_margin >= 0.0),
        cross_script: flag(f.cross_script),
    }
}

/// Term lookups, cached for the length of one question.
struct Lookup<'a> {
    corpus: &'a mut dyn Corpus,
    cache: HashMap<String, Option<(i64, u64)>>,
    pairs: u64,
    error: Option<anyhow::Error>,
}

impl Lookup<'_> {
    fn get(&mut self, term: &str) -> Result<Option<(i64, u64)>> {
        if let Some(hit) = self.cache.get(term) {
            return Ok(*hit);
        }
        let found = self.corpus.term(term)?;
        self.cache.insert(term.to_owned(), found);
        Ok(found)
    }
}

impl TermFrequencies for Lookup<'_> {
    fn df(&mut self, term: &str) -> u64 {
        match self.get(term) {
            Ok(found) => found.map_or(0, |(_, df)| df),
            Err(e) => {
                self.error.get_or_insert(e);
                0
            }
        }
    }

    fn pair_count(&self) -> u64 {
        self.pairs
    }
}

/// Stage 1: candidates from the index, best first.
fn retrieve(lookup: &mut Lookup<'_>, query: &Query) -> Result<Vec<(i64, f64)>> {
    let n = lookup.pairs as f64;
    let mut terms: Vec<(i64, u64, f64)> = Vec::new();
    for (term, factor) in &query.terms {
        if let Some((id, df)) = lookup.get(term)? {
            if df > 0 {
                terms.push((id, df, *factor));
            }
        }
    }
    terms.sort_by_key(|&(_, df, _)| df);
    let common = (lookup.pairs >= COMMON_MIN_PAIRS).then_some((n * COMMON_SHARE) as u64);
    with_accumulator(|scores| {
        for (i, &(term_id, df, factor)) in terms.iter().enumerate() {
            if i > 0 && common.is_some_and(|limit| df > limit) {
                break;
            }
            let idf = (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
            let term = scores.term(|impact| {
                let (q, a) = impact_weights(impact);
                factor * idf * (3.0 * q + a)
            });
            for list in lookup.corpus.posting_lists(term_id)? {
                decode(&list, |pair, impact| scores.add(term, pair, impact));
            }
        }
        Ok(scores.top(CANDIDATES))
    })
}

/// Stage 2: features, score and confidence of one candidate.
fn score_pair(query: &Query, vocab: &Vocabulary, pair_id: i64, text: &PairText, retrieval: f64) -> Scored {
    let fields = Fields::new(text);
    let found = coverage(query, &fields);
    let (coverage, question_coverage) = (found.anywhere, found.question);
    let similarity = fields
        .questions
        .iter()
        .map(|q| strsim::normalized_levenshtein(&query.content, &content_text(q)))
        .fold(0.0, f64::max);
    let speaker_match = (!query.speakers.is_empty()).then(|| {
        let answering = query.speakers.iter().filter(|s| text.turns.iter().any(|(t, _)| t == *s)).count();
        answering as f64 / query.speakers.len() as f64
    });
    // The interviewer addressing a named speaker by name (`山姆,你似乎更乐观`) marks the
    // question as theirs.
    let addressed = !query.speakers.is_empty()
        && vocab.find_speakers(&fields.questions[0]).iter().any(|f| query.speakers.contains(&f.id));
    let links = link_share(query, &fields);
    let sentence = sentence_coverage(query, &fields);
    let features = Features {
        coverage,
        question_coverage,
        similarity,
        speaker_match,
        addressed,
        unknown_speaker: query.speakers.contains(&UNKNOWN_SPEAKER),
        retrieval,
        links,
        sentence,
        ..Features::default()
    };
    let features = Features { evidence: evidence(&features, &found), mass: found.mass, ..features };
    let lexical = score(&features);
    Scored { pair_id, score: lexical, confidence: 0.0, features: Features { lexical, ..features } }
}

/// Credit for a query character that no matched bigram covers but that appears on its own in
/// the stored question (`亏` of `亏了` in `亏损`), and in the answer. Chinese paraphrases share
/// characters even when they share no words.
const CHAR_CREDIT_QUESTION: f64 = 0.4;
const CHAR_CREDIT_ANSWER: f64 = 0.05;
/// Weight factor of characters inside everyday words (see [`super::common`]).
const COMMON_WORD_FACTOR: f64 = 0.5;
/// Credit for an everyday word matched only in the answer: long answers contain many by chance.
const COMMON_IN_ANSWER_CREDIT: f64 = 0.3;
/// Weight factor, for confidence, of grammar characters no matched word covers (see
/// [`Coverage::evidence`]).
const GRAMMAR_FACTOR: f64 = 0.5;
/// Credit for content found only in linked intro notes: a summary is second-hand evidence.
const NOTE_CREDIT: f64 = 0.6;

/// The normalised text of a candidate, by field.
struct Fields {
    questions: Vec<String>,
    answer: String,
    /// Linked intro notes and the interview's title.
    notes: String,
}

impl Fields {
    fn new(text: &PairText) -> Fields {
        let join =
            |texts: &mut dyn Iterator<Item = &String>| texts.map(|t| normalize(t)).collect::<Vec<_>>().join(" | ");
        Fields {
            questions: std::iter::once(&text.question).chain(&text.alternates).map(|t| normalize(t)).collect(),
            answer: join(&mut text.turns.iter().map(|(_, t)| t)),
            // The interview's title says what each of its pairs is about: a question naming the
            // subject (`大众点评最早的用户…`) is not missing a word when the pair, like most of
            // that interview, takes the subject for granted (`第一批用户是怎么来的？`). Read as a
            // note: second-hand evidence, and shared by every pair of the interview alike.
            notes: join(&mut text.notes.iter().chain(Some(&text.title).filter(|t| !t.is_empty()))),
        }
    }

    /// The stretches of text within which co-occurring words count as belonging together: the
    /// stored question and alternates, each answer turn, and each clause of the answer (normalised
    /// text has a space wherever punctuation was).
    fn passages(&self) -> impl Iterator<Item = &str> {
        self.questions.iter().map(String::as_str).chain(self.answer.split(" | ")).chain(self.answer.split(' '))
    }

    /// Where `found` holds: in the question (credit counts for both shares), else the best of
    /// answer and notes. Returns (question credit, overall credit) in 0–1.
    fn credit(&self, found: impl Fn(&str) -> bool, common: bool) -> (f64, f64) {
        if self.questions.iter().any(|q| found(q)) {
            return (1.0, 1.0);
        }
        let scale = if common { COMMON_IN_ANSWER_CREDIT } else { 1.0 };
        if found(&self.answer) {
            (0.0, scale)
        } else if found(&self.notes) {
            (0.0, scale * NOTE_CREDIT)
        } else {
            (0.0, 0.0)
        }
    }
}

/// Weighted share of query content found in a pair.
#[derive(Debug, Clone, Copy, Default)]
struct Coverage {
    /// Found anywhere.
    anywhere: f64,
    /// Found in the stored question or alternates.
    question: f64,
    /// `anywhere` as evidence for confidence: grammar characters (会, 能, 来) that no matched word
    /// covers earn nothing (sharing one is a hint for ranking, not evidence) and weigh
    /// [`GRAMMAR_FACTOR`] when missing (missing one says little).
    evidence: f64,
    /// `question` likewise.
    evidence_question: f64,
    /// Total weight of the question's content.
    mass: f64,
}

/// Per Han character of the question: the best credit any matched bigram containing it earns, and
/// that bigram's weight. A bigram spanning two words (工平 in 员工平均) thus neither helps nor hurts.
#[derive(Clone, Copy, Default)]
struct Slot {
    /// Heaviest bigram containing the character.
    weight: f64,
    /// Heaviest bigram inside the word the character belongs to: a missed word weighs what the
    /// word weighs, not what a junk bigram across its edge (成持 in 完成持续) weighs.
    word_weight: f64,
    /// Heaviest matched bigram containing the character.
    matched_weight: f64,
    /// Best credit in the stored question.
    question: f64,
    /// Best credit anywhere.
    anywhere: f64,
}

impl Slot {
    /// Record a bigram containing this character, found with credits `q` and `a`.
    fn see(&mut self, weight: f64, inside_word: bool, q: f64, a: f64) {
        self.weight = self.weight.max(weight);
        if inside_word {
            self.word_weight = self.word_weight.max(weight);
        }
        if a > 0.0 {
            self.matched_weight = self.matched_weight.max(weight);
        }
        self.question = self.question.max(q);
        self.anywhere = self.anywhere.max(a);
    }
}

/// Running sums behind a [`Coverage`].
#[derive(Debug, Clone, Copy, Default)]
struct CoverageSums {
    /// Weight of all content.
    total: f64,
    /// Credited weight in the stored question, and anywhere.
    in_question: f64,
    anywhere: f64,
    /// Credit from grammar characters (no evidence), in the question and anywhere.
    chance_question: f64,
    chance: f64,
    /// Weight of grammar characters no matched word covers.
    grammar_weight: f64,
    /// Credit from lone shared characters, in the question and anywhere.
    char_question: f64,
    char_anywhere: f64,
}

impl CoverageSums {
    /// A unit matched as a whole (a lone character, a word, a concept).
    fn add_unit(&mut self, weight: f64, (q, a): (f64, f64)) {
        self.total += weight;
        self.in_question += q * weight;
        self.anywhere += a * weight;
    }

    /// One Han character of the question, with what its bigrams earned.
    fn add_char(&mut self, c: char, slot: &Slot, common: bool, fields: &Fields) {
        let scale = if common { COMMON_WORD_FACTOR } else { 1.0 };
        if slot.anywhere > 0.0 {
            self.add_unit(scale * slot.matched_weight, (slot.question, slot.anywhere));
            return;
        }
        let w = scale * if slot.word_weight > 0.0 { slot.word_weight } else { slot.weight };
        self.total += w;
        // Grammar characters (会, 有, 能) are in every text: sharing one still helps to rank (it
        // is a hint), but is no evidence for confidence.
        let grammar = FUNCTION_CHARS.contains(c);
        if grammar {
            self.grammar_weight += w;
        }
        let (q, a) = if fields.questions.iter().any(|t| t.contains(c)) {
            (CHAR_CREDIT_QUESTION * w, CHAR_CREDIT_QUESTION * w)
        } else if fields.answer.contains(c) {
            (0.0, CHAR_CREDIT_ANSWER * w)
        } else {
            (0.0, 0.0)
        };
        self.in_question += q;
        self.anywhere += a;
        if grammar {
            self.chance_question += q;
            self.chance += a;
        } else {
            self.char_question += q;
            self.char_anywhere += a;
        }
    }

    fn finish(mut self) -> Coverage {
        if self.total <= 0.0 {
            return Coverage::default();
        }
        // Shared characters corroborate matched words; alone they are no evidence (`哪国人`
        // shares `国` and `人` with many a question).
        if self.anywhere - self.chance - self.char_anywhere <= 0.0 {
            self.chance += self.char_anywhere;
            self.chance_question += self.char_question;
        }
        // For confidence, grammar characters shared by chance are not found, and missing ones
        // weigh less.
        let evidence_total = (self.total - (1.0 - GRAMMAR_FACTOR) * self.grammar_weight).max(f64::EPSILON);
        Coverage {
            anywhere: self.anywhere / self.total,
            question: self.in_question / self.total,
            evidence: (self.anywhere - self.chance) / evidence_total,
            evidence_question: (self.in_question - self.chance_question) / evidence_total,
            mass: self.total,
        }
    }
}

/// Weighted share of query content in the pair.
fn coverage(query: &Query, fields: &Fields) -> Coverage {
    let mut chars: Vec<Vec<Slot>> = query.han_runs.iter().map(|run| vec![Slot::default(); run.len()]).collect();
    let mut sums = CoverageSums::default();
    for unit in &query.units {
        match unit.kind {
            UnitKind::Bigram { run, pos } => {
                let common = query.han_common[run][pos] && query.han_common[run][pos + 1];
                let (q, a) = fields.credit(|t| unit_occurs(unit, t), common);
                let inside_word = query.han_words[run][pos] == query.han_words[run][pos + 1];
                for slot in &mut chars[run][pos..pos + 2] {
                    slot.see(unit.weight, inside_word, q, a);
                }
            }
            UnitKind::Char | UnitKind::Word | UnitKind::Concept => {
                sums.add_unit(unit.weight, fields.credit(|t| unit_occurs(unit, t), unit.weak));
            }
        }
    }
    for ((run, slots), common) in query.han_runs.iter().zip(&chars).zip(&query.han_common) {
        for ((c, slot), &common) in run.iter().zip(slots).zip(common) {
            sums.add_char(*c, slot, common, fields);
        }
    }
    sums.finish()
}

/// See [`Features::sentence`]. Each unit counts its own weight (a bigram per character pair).
fn sentence_coverage(query: &Query, fields: &Fields) -> f64 {
    // A bigram straddling two of the question's words is neither found nor missed.
    let total: f64 = query.units.iter().filter(|u| !u.split).map(|u| u.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    // Only units found somewhere in the pair can be found in one of its passages.
    let present: Vec<&Unit> = query
        .units
        .iter()
        .filter(|u| fields.questions.iter().chain([&fields.answer]).any(|t| unit_occurs(u, t)))
        .collect();
    fields
        .passages()
        .map(|passage| present.iter().filter(|u| unit_occurs(u, passage)).map(|u| u.weight).sum::<f64>() / total)
        .fold(0.0, f64::max)
}

/// Share of the question's cross-script links found verbatim (spaces ignored, any spelling) in the pair.
fn link_share(query: &Query, fields: &Fields) -> f64 {
    if query.links.is_empty() {
        return 0.0;
    }
    let compact = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let texts: Vec<String> =
        fields.questions.iter().chain([&fields.answer, &fields.notes]).map(|t| compact(t)).collect();
    let found = query
        .links
        .iter()
        .filter(|l| l.iter().any(|spelling| texts.iter().any(|t| t.contains(spelling.as_str()))))
        .count();
    found as f64 / query.links.len() as f64
}

/// Ranking weights: coverage anywhere in the pair, coverage in the stored question (a match there
/// counts more than one in a long answer), edit similarity to the stored question (near-verbatim
/// questions and typos), the BM25 retrieval score (term frequency and length), exact cross-script
/// phrases, and the speaker.
const W_COVERAGE: f64 = 0.45;
const W_QUESTION: f64 = 0.35;
const W_SIMILARITY: f64 = 0.2;
const W_RETRIEVAL: f64 = 0.05;
const W_LINKS: f64 = 0.15;
const W_SENTENCE: f64 = 0.5;
const SPEAKER_BONUS: f64 = 0.1;
/// Bonus when the stored question addresses the named speaker by name.
const SPEAKER_ADDRESSED: f64 = 0.05;
/// Naming a speaker is a strong filter: someone asking what Altman thinks wants Altman's words.
const SPEAKER_PENALTY: f64 = 0.3;

fn score(f: &Features) -> f64 {
    // A pair where only some of the named speakers answer is neither rewarded nor punished in full.
    let speaker = f.speaker_match.map_or(0.0, |share| share * SPEAKER_BONUS - (1.0 - share) * SPEAKER_PENALTY);
    W_COVERAGE * f.coverage
        + W_QUESTION * f.question_coverage
        + W_SIMILARITY * f.similarity
        + W_RETRIEVAL * f.retrieval
        + W_LINKS * f.links
        + W_SENTENCE * f.sentence
        + if f.addressed { SPEAKER_ADDRESSED } else { 0.0 }
        + speaker
}

/// Questions carrying less informative weight than this (e.g. just `OpenAI?`) are too vague to
/// answer with confidence.
const MIN_MASS: f64 = 1.1;
/// Edit similarity of question content from which a match counts as near-verbatim.
const NEAR_VERBATIM: f64 = 0.7;

/// The hand-made evidence score (see [`Features::evidence`]), mapped so that 0.5 is where a match
/// used to become worth answering; the calibration turns it, with the other signals, into a
/// probability.
fn evidence(f: &Features, found: &Coverage) -> f64 {
    let mut c = 0.65 * found.evidence + 0.35 * found.evidence_question;
    // Nearly all of the question's words together in one passage (a sentence quoted from an
    // answer) is strong evidence even when they are everyday words.
    c = c.max((f.sentence - PASSAGE_FLOOR_FROM) * PASSAGE_FLOOR_SLOPE);
    // Squared: a question made only of words found everywhere (`OpenAI?`) has no specific answer.
    c *= (found.mass / MIN_MASS).min(1.0).powi(2);
    // A near-verbatim question (typos, a word changed) is as good as a full match.
    if f.similarity >= NEAR_VERBATIM {
        c = c.max(f.similarity);
    }
    // The question asks what someone says, and nobody it names speaks in this pair: someone
    // else's words are at best related, never the answer.
    if f.speaker_match == Some(0.0) {
        c *= SPEAKER_MISMATCH_FACTOR;
    }
    calibrate(c.clamp(0.0, 1.0))
}

/// Share of the question found in one passage from which that alone gives confidence, and how
/// fast it grows: at 0.8 it reaches [`EVIDENCE_THRESHOLD`], at 1 three times that.
const PASSAGE_FLOOR_FROM: f64 = 0.7;
const PASSAGE_FLOOR_SLOPE: f64 = 2.0;
/// See [`evidence`]: low enough that even a full match stays below the threshold.
const SPEAKER_MISMATCH_FACTOR: f64 = 0.15;

/// The evidence score at which a match becomes worth giving as the answer, measured on the
/// development questions (`qabot eval`): paraphrases that keep a few specific words score above
/// it, questions about things the interviews never discuss below.
const EVIDENCE_THRESHOLD: f64 = 0.2;

/// Map the evidence score onto 0–1 so that [`EVIDENCE_THRESHOLD`] lands on [`DEFAULT_THRESHOLD`]
/// (piecewise linear, monotone).
fn calibrate(evidence: f64) -> f64 {
    if evidence < EVIDENCE_THRESHOLD {
        DEFAULT_THRESHOLD * evidence / EVIDENCE_THRESHOLD
    } else {
        DEFAULT_THRESHOLD + (1.0 - DEFAULT_THRESHOLD) * (evidence - EVIDENCE_THRESHOLD) / (1.0 - EVIDENCE_THRESHOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::postings::{encode, pair_terms};

    /// A corpus held in memory: the same index the store keeps, without SQL.
    struct Memory {
        pairs: Vec<PairText>,
        terms: HashMap<String, (i64, Vec<(u32, u8)>)>,
        vocabulary: Arc<Vocabulary>,
    }

    impl Memory {
        fn new(pairs: Vec<PairText>, synonyms: &[(i64, String)], aliases: &[(i64, String)]) -> Memory {
            let mut terms: HashMap<String, (i64, Vec<(u32, u8)>)> = HashMap::new();
            for (i, pair) in pairs.iter().enumerate() {
                for (term, impact) in pair_terms(pair) {
                    let next = terms.len() as i64;
                    terms.entry(term).or_insert((next, Vec::new())).1.push((i as u32 + 1, impact));
                }
            }
            Memory { pairs, terms, vocabulary: Arc::new(Vocabulary::new(synonyms, aliases)) }
        }
    }

    impl Corpus for Memory {
        fn pair_count(&mut self) -> Result<u64> {
            Ok(self.pairs.len() as u64)
        }
        fn term(&mut self, term: &str) -> Result<Option<(i64, u64)>> {
            Ok(self.terms.get(term).map(|(id, list)| (*id, list.len() as u64)))
        }
        fn posting_lists(&mut self, term_id: i64) -> Result<Vec<Vec<u8>>> {
            Ok(self.terms.values().filter(|(id, _)| *id == term_id).map(|(_, list)| encode(list)).collect())
        }
        fn pair_texts(&mut self, ids: &[i64]) -> Result<Vec<(i64, PairText)>> {
            Ok(ids.iter().filter_map(|&id| self.pairs.get(id as usize - 1).map(|p| (id, p.clone()))).collect())
        }
        fn vocabulary(&mut self) -> Result<Arc<Vocabulary>> {
            Ok(self.vocabulary.clone())
        }
    }

    fn pair(question: &str, speaker: i64, answer: &str) -> PairText {
        PairText {
            question: question.into(),
            alternates: vec![],
            turns: vec![(speaker, answer.into())],
            ..PairText::default()
        }
    }

    fn corpus() -> Memory {
        Memory::new(
            vec![
                pair(
                    "你们目前感受算力限制多严重?",
                    1,
                    "OpenAI 当前最大问题不是芯片,而是电力,是能否在靠近电源处快速完成建设。",
                ),
                pair("微软为什么投资 OpenAI?", 2, "微软自1995年便痴迷自然语言处理,扩展定律与我们利益重合。"),
                pair(
                    "聊天机器人的单位经济效益能否与搜索媲美?",
                    2,
                    "搜索有固定成本,OpenAI 的聊天经济效益则不同,免费增值与订阅。",
                ),
                pair("OpenAI 员工的平均年龄是多少?", 1, "平均年龄大概三十出头。"),
            ],
            &[(1, "算力".into()), (1, "compute".into()), (2, "电力".into()), (2, "power".into())],
            &[(1, "奥特曼".into()), (1, "Altman".into()), (2, "纳德拉".into())],
        )
    }

    fn best(corpus: &mut Memory, q: &str) -> (i64, f64) {
        let ranking = rank(corpus, q).unwrap();
        ranking.ranked.first().map_or((0, 0.0), |s| (s.pair_id, s.confidence))
    }

    /// Invented pairs built from a few dozen words, so terms repeat over many pairs (long
    /// posting lists, tied scores).
    fn many_pairs(n: usize) -> Memory {
        const WORDS: &[&str] = &[
            "算力",
            "电力",
            "芯片",
            "模型",
            "训练",
            "推理",
            "成本",
            "价格",
            "用户",
            "增长",
            "搜索",
            "广告",
            "订阅",
            "机器人",
            "数据",
            "安全",
            "监管",
            "开源",
            "人才",
            "工资",
            "公司",
            "市场",
            "投资",
            "风险",
        ];
        let mut state = 7u64;
        let mut next = |m: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize % m
        };
        let pairs = (0..n)
            .map(|_| {
                let q: String = (0..2 + next(3)).map(|_| WORDS[next(WORDS.len())]).collect::<Vec<_>>().join("和");
                let a: String = (0..3 + next(8)).map(|_| WORDS[next(WORDS.len())]).collect::<Vec<_>>().join(",");
                pair(&format!("{q}怎么样?"), 1 + next(3) as i64, &format!("{a}。"))
            })
            .collect();
        Memory::new(pairs, &[(1, "算力".into()), (1, "compute".into())], &[(1, "奥特曼".into()), (2, "纳德拉".into())])
    }

    /// Stage 1 the straightforward way: a map from pair to score, a full sort.
    fn retrieve_by_map(lookup: &mut Lookup<'_>, query: &Query) -> Vec<(i64, f64)> {
        let n = lookup.pairs as f64;
        let mut terms: Vec<(i64, u64, f64)> = Vec::new();
        for (term, factor) in &query.terms {
            if let Some((id, df)) = lookup.get(term).unwrap().filter(|&(_, df)| df > 0) {
                terms.push((id, df, *factor));
            }
        }
        terms.sort_by_key(|&(_, df, _)| df);
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for &(term_id, df, factor) in &terms {
            let idf = (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
            for list in lookup.corpus.posting_lists(term_id).unwrap() {
                decode(&list, |pair, impact| {
                    let (q, a) = impact_weights(impact);
                    *scores.entry(pair).or_default() += factor * idf * (3.0 * q + a);
                });
            }
        }
        let mut ranked: Vec<(i64, f64)> = scores.into_iter().map(|(id, s)| (i64::from(id), s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(CANDIDATES);
        ranked
    }

    #[test]
    fn retrieval_keeps_the_same_candidates_as_a_map_and_a_full_sort() {
        let mut c = many_pairs(600);
        let vocab = c.vocabulary().unwrap();
        for q in [
            "算力和电力的成本",
            "奥特曼怎么看芯片价格",
            "搜索广告还是订阅",
            "模型",
            "开源模型的安全风险与监管",
            "compute",
        ] {
            let mut lookup = Lookup { pairs: 600, corpus: &mut c, cache: HashMap::new(), error: None };
            let query = analyze(q, &vocab, &mut lookup);
            let fast = retrieve(&mut lookup, &query).unwrap();
            assert_eq!(fast.len(), CANDIDATES, "{q}");
            assert_eq!(fast, retrieve_by_map(&mut lookup, &query), "{q}");
        }
    }

    #[test]
    fn paraphrases_find_their_pair_confidently() {
        let mut c = corpus();
        for (q, id) in [
            ("算力有多紧张", 1),
            ("Is power the limit for compute?", 1),
            ("微软當初為何投資OpenAI", 2),
            ("员工平均多大", 4),
        ] {
            let (got, confidence) = best(&mut c, q);
            assert_eq!(got, id, "{q}");
            assert!(confidence >= DEFAULT_THRESHOLD, "{q}: {confidence}");
        }
    }

    #[test]
    fn off_topic_questions_score_below_the_threshold() {
        let mut c = corpus();
        for q in ["明天广州天气如何", "糖醋排骨怎么做", "以太坊明年会涨吗", "OpenAI", "有什么好看的悬疑小说"]
        {
            let (_, confidence) = best(&mut c, q);
            assert!(confidence < DEFAULT_THRESHOLD, "{q}: {confidence}");
        }
    }

    #[test]
    fn mostly_unknown_content_scores_low_even_when_a_common_word_matches() {
        let mut c = corpus();
        let (_, confidence) = best(&mut c, "OpenAI 的股票代码和市值是多少");
        assert!(confidence < DEFAULT_THRESHOLD, "{confidence}");
    }

    #[test]
    fn a_named_speaker_is_preferred_and_a_wrong_one_penalised() {
        let mut c = corpus();
        let ranking = rank(&mut c, "奥特曼怎么看电力").unwrap();
        assert_eq!(ranking.query.speakers, [1]);
        assert_eq!(ranking.ranked[0].pair_id, 1);
        assert_eq!(ranking.ranked[0].features.speaker_match, Some(1.0));
        let ranking = rank(&mut c, "奥特曼怎么看搜索的单位经济效益").unwrap();
        let search = ranking.ranked.iter().find(|s| s.pair_id == 3).unwrap();
        assert_eq!(search.features.speaker_match, Some(0.0));
        assert!(search.confidence < 1.0);
    }

    #[test]
    fn words_found_together_beat_words_found_apart() {
        let mut c = Memory::new(
            vec![
                pair("智能体的商业前景如何?", 1, "这个问题很大。我们看到很多公司在尝试。有些任务已经自动化了。"),
                pair("明年最让你期待的是什么?", 1, "随着智能体从小时任务演进至多日任务,软件开发会更快。"),
            ],
            &[],
            &[],
        );
        let ranking = rank(&mut c, "智能体什么时候能完成多日任务").unwrap();
        assert_eq!(ranking.ranked[0].pair_id, 2, "{:?}", ranking.ranked);
        assert!(ranking.ranked[0].features.sentence > ranking.ranked[1].features.sentence);
    }

    #[test]
    fn pairs_where_every_named_speaker_answers_come_first() {
        let mut c = Memory::new(
            vec![
                pair("AGI 什么时候实现?", 1, "AGI 还很远。"),
                PairText {
                    question: "AGI 是否已经实现?".into(),
                    alternates: vec![],
                    turns: vec![(1, "AGI 会到来。".into()), (2, "没人接近 AGI。".into())],
                    ..PairText::default()
                },
            ],
            &[],
            &[(1, "奥特曼".into()), (2, "纳德拉".into())],
        );
        let ranking = rank(&mut c, "奥特曼和纳德拉对 AGI 看法一样吗").unwrap();
        assert_eq!(ranking.ranked[0].pair_id, 2);
        assert_eq!(ranking.ranked[0].features.speaker_match, Some(1.0));
        assert_eq!(ranking.ranked[1].features.speaker_match, Some(0.5));
    }

    #[test]
    fn a_word_found_only_across_two_words_of_a_pair_is_not_found() {
        let mut c = Memory::new(vec![pair("未来两三年会否出现过剩?", 1, "供应过剩必将出现。")], &[], &[]);
        let (_, confidence) = best(&mut c, "年会怎么办");
        assert!(confidence < DEFAULT_THRESHOLD, "{confidence}");
        let (id, confidence) = best(&mut c, "两三年内会过剩吗");
        assert_eq!(id, 1);
        assert!(confidence >= DEFAULT_THRESHOLD, "{confidence}");
    }

    #[test]
    fn a_sentence_quoted_from_an_answer_is_answered_even_when_it_names_someone_else() {
        let mut c = Memory::new(
            vec![
                pair("你们的合作怎么样?", 1, "起初没人看好。早期全靠纳德拉的坚定支持,我们才有今天。"),
                pair("微软为什么投资?", 2, "我们看好这个方向。"),
            ],
            &[],
            &[(1, "奥特曼".into()), (2, "纳德拉".into())],
        );
        let ranking = rank(&mut c, "早期全靠纳德拉的坚定支持,我们才有今天").unwrap();
        assert!(ranking.query.speakers.is_empty(), "纳德拉 is mentioned, not asked");
        assert_eq!(ranking.ranked[0].pair_id, 1);
        assert!(ranking.ranked[0].confidence >= DEFAULT_THRESHOLD, "{:?}", ranking.ranked[0]);
    }

    #[test]
    fn what_a_speaker_said_is_not_answered_with_someone_elses_words() {
        let mut c = corpus();
        // Pair 4 matches fully, but only speaker 1 answers it.
        let ranking = rank(&mut c, "纳德拉对员工平均年龄怎么说").unwrap();
        assert_eq!(ranking.query.speakers, [2]);
        let top = &ranking.ranked[0];
        assert_eq!(top.pair_id, 4);
        assert!(top.confidence < DEFAULT_THRESHOLD, "{top:?}");
        let (id, confidence) = best(&mut c, "奥特曼对员工平均年龄怎么说");
        assert_eq!(id, 4);
        assert!(confidence >= DEFAULT_THRESHOLD);
    }

    #[test]
    fn shared_characters_alone_are_no_evidence() {
        let mut c = Memory::new(vec![pair("你是哪一年加入的?", 1, "我是很多年前来的。")], &[], &[(1, "奥特曼".into())]);
        // Found through the speaker; 年 and 加 are in the stored question, no word of the question is.
        let ranking = rank(&mut c, "奥特曼年底加薪吗").unwrap();
        let top = &ranking.ranked[0];
        assert!(top.features.coverage > 0.0);
        assert_eq!(top.features.evidence, 0.0);
        assert_eq!(top.confidence, 0.0);
    }

    #[test]
    fn by_words_alone_confidence_is_the_hand_made_evidence() {
        let mut c = corpus();
        for q in ["微软为什么投资 OpenAI?", "奥特曼年底加薪吗", "OpenAI?"] {
            let ranking = rank(&mut c, q).unwrap();
            assert!(!ranking.context.dense);
            let mut ceiling = f64::INFINITY;
            for s in &ranking.ranked {
                ceiling = ceiling.min(s.features.evidence);
                assert_eq!(s.confidence, ceiling, "{q}: {s:?}");
                assert_eq!(s.score, s.features.lexical);
            }
        }
    }

    #[test]
    fn the_script_of_a_text_is_what_most_of_it_is_written_in() {
        assert_eq!(han_script("算力有多紧张"), Some(true));
        assert_eq!(han_script("Is power the limit for compute?"), Some(false));
        // A character weighs about a short word: a Chinese question naming a product is Chinese.
        assert_eq!(han_script("OpenAI 的估值"), Some(true));
        assert_eq!(han_script("2026 ?"), None);
    }

    /// The corpus of [`corpus`] with made-up vectors: pair similarities by passage and by stored
    /// question are given, not computed.
    struct WithMeaning {
        words: Memory,
        passages: Vec<(i64, f64)>,
        questions: Vec<(i64, f64)>,
        answers: Vec<(i64, f64)>,
    }

    impl Corpus for WithMeaning {
        fn pair_count(&mut self) -> Result<u64> {
            self.words.pair_count()
        }
        fn term(&mut self, term: &str) -> Result<Option<(i64, u64)>> {
            self.words.term(term)
        }
        fn posting_lists(&mut self, term_id: i64) -> Result<Vec<Vec<u8>>> {
            self.words.posting_lists(term_id)
        }
        fn pair_texts(&mut self, ids: &[i64]) -> Result<Vec<(i64, PairText)>> {
            self.words.pair_texts(ids)
        }
        fn vocabulary(&mut self) -> Result<Arc<Vocabulary>> {
            self.words.vocabulary()
        }
        fn dense_neighbours(&mut self, _query: &[f32], k: usize) -> Result<Vec<(i64, f64)>> {
            Ok(self.passages.iter().copied().take(k).collect())
        }
        fn dense_similarities(&mut self, _query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
            Ok(self.passages.iter().copied().filter(|(id, _)| ids.contains(id)).collect())
        }
        fn question_similarities(&mut self, _query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
            Ok(self.questions.iter().copied().filter(|(id, _)| ids.contains(id)).collect())
        }
        fn answer_similarities(&mut self, _query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
            Ok(self.answers.iter().copied().filter(|(id, _)| ids.contains(id)).collect())
        }
    }

    #[test]
    fn the_stored_questions_similarity_is_read_and_weighed_in_the_ranking() {
        // An English question nobody's words match: the passages hardly differ, the stored
        // questions do.
        let mut c = WithMeaning {
            words: corpus(),
            passages: vec![(3, 0.83), (4, 0.82), (1, 0.80), (2, 0.79)],
            questions: vec![(1, 0.80), (2, 0.78), (3, 0.81), (4, 0.90)],
            answers: Vec::new(),
        };
        let ranking = rank_with(&mut c, "How old are the staff on average", Some(&[1.0])).unwrap();
        assert!(ranking.context.dense);
        let four = ranking.ranked.iter().find(|s| s.pair_id == 4).unwrap();
        assert_eq!(four.features.dense_question, Some(0.90));
        assert!(four.features.cross_script, "an English question, a Chinese pair");
        let weights = |dense_weight, question_weight| Calibration {
            dense_weight,
            question_weight,
            ..calibration::shipped().clone()
        };
        assert_eq!(finish(ranking.ranked.clone(), &ranking.context, &weights(6.0, 0.0))[0].pair_id, 3);
        assert_eq!(finish(ranking.ranked.clone(), &ranking.context, &weights(6.0, 3.0))[0].pair_id, 4);
    }

    /// A question about something said deep in an answer: the passages (question and start of
    /// the answer) and the stored questions leave pair 2 behind; the nearest chunk of its answer
    /// brings it first, as far as the weight of the answer says.
    #[test]
    fn the_nearest_chunk_of_the_answer_is_read_and_weighed_in_the_ranking() {
        let mut c = WithMeaning {
            words: corpus(),
            passages: vec![(1, 0.86), (2, 0.85), (3, 0.84), (4, 0.83)],
            questions: vec![(1, 0.86), (2, 0.85), (3, 0.84), (4, 0.83)],
            answers: vec![(1, 0.84), (2, 0.92), (3, 0.83)],
        };
        let ranking = rank_with(&mut c, "生孩子的人多吗", Some(&[1.0])).unwrap();
        let two = ranking.ranked.iter().find(|s| s.pair_id == 2).unwrap();
        assert_eq!(two.features.dense_answer, Some(0.92));
        // Pair 4 has no answer vectors yet: its passage stands in.
        let four = ranking.ranked.iter().find(|s| s.pair_id == 4).unwrap();
        assert_eq!(four.features.dense_answer, None);
        assert_eq!(Similarities::of(&ranking.ranked).pair(&four.features).answer, 0.83);
        let weights = |answer_weight| Calibration {
            dense_weight: 6.0,
            question_weight: 3.0,
            answer_weight,
            ..calibration::shipped().clone()
        };
        let first = |w| finish(ranking.ranked.clone(), &ranking.context, &weights(w))[0].pair_id;
        let lexical_first = first(0.0);
        assert_ne!(lexical_first, 2);
        assert_eq!(first(6.0), 2);
    }

    /// Across scripts the answer's chunks are not read: the passage stands in for them.
    #[test]
    fn across_scripts_the_passage_stands_in_for_the_answers_chunks() {
        let features = |cross_script| Features {
            dense: Some(0.80),
            dense_question: Some(0.81),
            dense_answer: Some(0.95),
            cross_script,
            ..Features::default()
        };
        let read = Similarities { floor: 0.7, shift: Meaning { passage: 0.05, question: 0.04, answer: 0.0 } };
        assert_eq!(read.pair(&features(false)), Meaning { passage: 0.80, question: 0.81, answer: 0.95 });
        let across = read.pair(&features(true));
        assert!((across.answer - 0.85).abs() < 1e-12 && (across.passage - 0.85).abs() < 1e-12, "{across:?}");
    }

    #[test]
    fn across_scripts_the_speaker_rules_step_aside_when_meaning_decides() {
        let features = Features {
            evidence: 0.03,
            mass: 3.0,
            unknown_speaker: true,
            speaker_match: Some(0.0),
            dense: Some(0.9),
            dense_question: Some(0.92),
            ..Features::default()
        };
        let confidence = |cross_script: bool, dense: bool| {
            let scored =
                Scored { pair_id: 1, score: 0.0, confidence: 0.0, features: Features { cross_script, ..features } };
            let context = Context { pairs: 100, unknown_terms: 0.5, dense };
            finish(vec![scored], &context, calibration::shipped())[0].confidence
        };
        // Same script: the question asks someone who speaks in no interview.
        assert!(confidence(false, true) <= 0.03);
        // Another script: the name may be spelt otherwise in the interview; meaning decides.
        assert!(confidence(true, true) > 0.03);
        // Without meaning nothing changes.
        assert!(confidence(true, false) <= 0.03);
    }

    #[test]
    fn calibration_is_monotone_and_lands_the_threshold_on_one_half() {
        assert_eq!(calibrate(EVIDENCE_THRESHOLD), DEFAULT_THRESHOLD);
        assert_eq!(calibrate(0.0), 0.0);
        assert_eq!(calibrate(1.0), 1.0);
        let mut last = -1.0;
        for i in 0..=100 {
            let c = calibrate(f64::from(i) / 100.0);
            assert!(c > last);
            last = c;
        }
    }

    /// A candidate with these similarities by meaning, in the question's script or not.
    fn candidate(pair_id: i64, lexical: f64, dense: f64, cross_script: bool) -> Scored {
        let features = Features {
            lexical,
            dense: Some(dense),
            dense_question: Some(dense),
            cross_script,
            mass: 3.0,
            ..Features::default()
        };
        Scored { pair_id, score: 0.0, confidence: 0.0, features }
    }

    #[test]
    fn a_pair_in_the_other_script_is_compared_with_its_own_kind() {
        // Three unrelated pairs in the question's script sit near 0.85, three in the other script
        // near 0.75; pair 7, in the other script at 0.82, stands out among its kind by more than
        // pair 1 does among the question's.
        let mut ranked = vec![
            candidate(1, 0.0, 0.86, false),
            candidate(2, 0.0, 0.85, false),
            candidate(3, 0.0, 0.84, false),
            candidate(5, 0.0, 0.75, true),
            candidate(6, 0.0, 0.74, true),
            candidate(7, 0.0, 0.82, true),
        ];
        let similarities = Similarities::of(&ranked);
        assert!((similarities.shift.passage - 0.10).abs() < 1e-9, "{similarities:?}");
        let context = Context { pairs: 6, unknown_terms: 0.0, dense: true };
        let finished = finish(ranked.clone(), &context, calibration::shipped());
        assert_eq!(finished[0].pair_id, 7);
        // The shift only raises: pairs of the other script that are closer than the question's
        // own are left as they are.
        for s in &mut ranked[3..] {
            s.features.dense = s.features.dense.map(|d| d + 0.2);
            s.features.dense_question = s.features.dense;
        }
        assert_eq!(Similarities::of(&ranked).shift, Meaning::default());
        // With fewer than three candidates on a side there is no median to compare with.
        ranked.truncate(5);
        assert_eq!(Similarities::of(&ranked[..4]).shift, Meaning::default());
    }
}
