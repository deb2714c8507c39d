//! Answer vectors: each pair's answer cut into chunks (see `embed::recipe::answer_chunks`), every
//! chunk embedded as a passage, in the `answer_vectors` table beside `pair_vectors` and
//! `question_vectors`.
//!
//! A pair's passage vector holds its question and the start of its answer; a question about a
//! sentence further on is near the chunk that holds it. One row a pair, its chunks' vectors one
//! after another in one BLOB, so that "which pairs lack answer vectors" is the same question as
//! for the other two tables (a pair whose answer has no text has a row of 0 chunks). Triggers in
//! schema.sql delete the row when the pair is deleted or its answer turns change. Read for a
//! question's candidates only (a few dozen rows by primary key), so they cost no memory in a
//! serving process.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use rusqlite::{params, TransactionBehavior};

use super::vector_set::dot;
use super::vectors::{decode, encode};
use super::{index, Store};
use crate::search::postings::PairText;

/// How a pair's answer is cut into chunks for embedding. As with [`super::PassageRecipe`], the
/// store does not decide it: callers pass `embed::recipe::pair_answer_chunks`, and the stale
/// check compares chunks cut the same way.
pub type ChunkRecipe = fn(&PairText) -> Vec<String>;

/// A pair's answer in chunks, as read for embedding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerChunks {
    /// The pair.
    pub pair_id: i64,
    /// Its answer's chunks, in order (none when the answer has no text).
    pub chunks: Vec<String>,
}

impl Store {
    /// Up to `limit` pairs with ids above `after` that have no answer vectors from `model`,
    /// lowest ids first, with their answers cut by `recipe`.
    pub fn answers_missing(
        &self,
        model: &str,
        after: i64,
        limit: usize,
        recipe: ChunkRecipe,
    ) -> Result<Vec<AnswerChunks>> {
        let ids = self.pairs_lacking("answer_vectors", model, after, limit)?;
        let texts = index::pair_texts(&self.conn, &ids)?;
        Ok(texts.into_iter().map(|(pair_id, t)| AnswerChunks { pair_id, chunks: recipe(&t) }).collect())
    }

    /// Store answer vectors made by `model`: for each pair, one vector per chunk, in the chunks'
    /// order; in one transaction. A pair deleted, or whose answer was cut differently since it was
    /// read (its turns changed), is skipped: its new answer gets embedded next time. Returns how
    /// many pairs were stored.
    pub fn put_answer_vectors(
        &mut self,
        model: &str,
        rows: &[(AnswerChunks, Vec<Vec<f32>>)],
        recipe: ChunkRecipe,
    ) -> Result<usize> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = rows.iter().map(|(a, _)| a.pair_id).collect();
        let current: HashMap<i64, Vec<String>> =
            index::pair_texts(&tx, &ids)?.into_iter().map(|(id, t)| (id, recipe(&t))).collect();
        let mut stored = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO answer_vectors(pair_id, model, dim, chunks, vectors)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (answer, vectors) in rows {
                if vectors.len() != answer.chunks.len() {
                    bail!(
                        "pair {}: {} answer chunks but {} vectors",
                        answer.pair_id,
                        answer.chunks.len(),
                        vectors.len()
                    );
                }
                if current.get(&answer.pair_id) != Some(&answer.chunks) {
                    continue;
                }
                let dim = vectors.first().map_or(0, Vec::len);
                if vectors.iter().any(|v| v.len() != dim) {
                    bail!("pair {}: answer vectors of different lengths", answer.pair_id);
                }
                let blob: Vec<u8> = vectors.iter().flat_map(|v| encode(v)).collect();
                insert.execute(params![answer.pair_id, model, dim as i64, vectors.len() as i64, blob])?;
                stored += 1;
            }
        }
        tx.commit().context("cannot store answer vectors")?;
        Ok(stored)
    }

    /// For each of `ids`, the cosine similarity of `query` (a unit vector from `model`) to the
    /// nearest chunk of its answer; pairs without answer vectors, with no chunks, or with vectors
    /// of another length are left out.
    pub fn answer_vector_similarities(&self, model: &str, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        let list = serde_json::to_string(ids).expect("ids serialise");
        let mut stmt = self.conn.prepare_cached(
            "SELECT pair_id, dim, vectors FROM answer_vectors
              WHERE model = ?1 AND pair_id IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = stmt.query_map(params![model, list], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?))
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for row in rows {
            let (id, dim, blob) = row?;
            if dim as usize != query.len() || query.is_empty() {
                continue;
            }
            let vectors = decode(&blob);
            let best = vectors.chunks_exact(query.len()).map(|v| dot(v, query)).fold(f32::NEG_INFINITY, f32::max);
            if best.is_finite() {
                out.push((id, f64::from(best)));
            }
        }
        Ok(out)
    }
}
