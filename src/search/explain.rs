//! How a question was read, summarised for people (`ask --explain`): what a reader needs to see,
//! so front ends do not reach into the matcher's internals.

use super::query::{UnitKind, UNKNOWN_SPEAKER};
use super::rank::Ranking;

/// How a question was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The normalised question.
    pub normalized: String,
    /// Ids of the speakers whose words the question asks for.
    pub speakers: Vec<i64>,
    /// Whether the question asks for the view of someone who speaks in no interview.
    pub outside_speaker: bool,
    /// The content the question is matched on, in the question's order.
    pub units: Vec<ReadUnit>,
}

/// One piece of a question's content.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadUnit {
    /// Its text (for a synonym group: the form the question used).
    pub text: String,
    /// How informative it is (0–2).
    pub weight: f64,
    /// A synonym group, matched by any of its members.
    pub concept: bool,
}

impl Ranking {
    /// How the question behind this ranking was read.
    pub fn reading(&self) -> Reading {
        let q = &self.query;
        Reading {
            normalized: q.normalized.clone(),
            speakers: q.speakers.iter().copied().filter(|&id| id != UNKNOWN_SPEAKER).collect(),
            outside_speaker: q.speakers.contains(&UNKNOWN_SPEAKER),
            units: q
                .units
                .iter()
                .map(|u| ReadUnit {
                    text: u.forms.first().cloned().unwrap_or_default(),
                    weight: u.weight,
                    concept: u.kind == UnitKind::Concept,
                })
                .collect(),
        }
    }
}
