//! Asking: rank the stored pairs for a question, decide whether to answer, gather what the front
//! ends show. Shared by the command line and the Telegram bot so they always agree.

use anyhow::Result;

use crate::search::{self, Scored};
use crate::store::{PairRecord, Store};

/// Suggestions shown with an answer must reach this confidence (without an answer, the closest
/// questions are shown whatever their confidence).
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

/// Rank `question` against the store and build the reply, answering only at or above `threshold`.
pub fn ask(store: &mut Store, question: &str, threshold: f64) -> Result<Answer> {
    store.refresh()?;
    let ranking = search::rank(store, question)?;
    let best = ranking.ranked.first();
    let answered = best.is_some_and(|b| b.confidence >= threshold);
    let matched = match best {
        Some(b) if answered => store.pair(b.pair_id)?,
        _ => None,
    };
    let others: Vec<&Scored> = if answered {
        ranking.ranked.iter().skip(1).filter(|s| s.confidence >= SEE_ALSO_MIN).collect()
    } else {
        ranking.ranked.iter().filter(|s| s.score > 0.0).collect()
    };
    let mut suggestions = Vec::new();
    for scored in others.into_iter().take(MAX_SUGGESTIONS) {
        if let Some(q) = store.question(scored.pair_id)? {
            suggestions.push(Suggestion { pair_id: scored.pair_id, question: q, confidence: scored.confidence });
        }
    }
    Ok(Answer {
        query: question.to_owned(),
        normalized: ranking.query.normalized.clone(),
        answered: matched.is_some(),
        confidence: best.map_or(0.0, |b| b.confidence),
        matched,
        best_pair: best.map(|b| b.pair_id),
        suggestions,
    })
}

/// Record an answer in the query log; logging problems are reported, never fatal.
pub fn log(store: &Store, frontend: &str, answer: &Answer) {
    if let Err(e) = store.log_query(frontend, &answer.normalized, answer.best_pair, answer.confidence, answer.answered)
    {
        log::warn!("could not write the query log: {e:#}");
    }
}
