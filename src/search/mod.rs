//! Matching questions to stored pairs: normalisation, tokenisation, ranking, confidence.
//!
//! Pure functions over text, plus [`rank()`], which reads the index through the [`Corpus`] trait
//! (implemented by the store), so this module knows nothing of SQL. Submodules are private to the
//! crate where nothing outside needs them; what the front ends use is re-exported here.

mod accumulate;
pub mod calibration;
pub mod common;
pub(crate) mod explain;
pub(crate) mod normalize;
pub mod notes;
pub mod postings;
pub mod query;
pub(crate) mod rank;
pub mod tokenize;
pub(crate) mod vocab;

pub use explain::{ReadUnit, Reading};
pub use normalize::normalize;
pub use rank::{finish, rank, rank_with, signals, Context, Corpus, Features, Ranking, Scored, DEFAULT_THRESHOLD};
pub use vocab::Vocabulary;
