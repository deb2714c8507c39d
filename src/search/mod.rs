//! Matching questions to stored pairs: normalisation, tokenisation, ranking, confidence.
//!
//! Pure functions over text, plus [`rank::rank`], which reads the index through the
//! [`rank::Corpus`] trait (implemented by the store), so this module knows nothing of SQL.

pub mod calibration;
pub mod common;
pub mod normalize;
pub mod notes;
pub mod postings;
pub mod query;
pub mod rank;
pub mod tokenize;
pub mod vocab;

pub use normalize::normalize;
pub use rank::{rank, rank_with, Context, Corpus, Features, Ranking, Scored, DEFAULT_THRESHOLD};
pub use vocab::Vocabulary;
