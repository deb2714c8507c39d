//! Question vectors: each pair's stored question embedded as a question (`query: ` + question),
//! in the `question_vectors` table, beside the passage vectors of `pair_vectors`.
//!
//! e5 compares a question with a passage asymmetrically; two questions that ask the same thing
//! in other words (or in the other language) are closer when both are embedded as questions. The
//! table has the layout and model tag of `pair_vectors`; triggers in schema.sql delete a row when
//! its pair is deleted or its stored question changes, and `qabot embed` fills what is missing.
//! Vectors are read for a question's candidates only (a few dozen rows by primary key), so they
//! cost no memory in a serving process.

use anyhow::{Context, Result};
use rusqlite::{params, TransactionBehavior};

use super::vector_set::dot;
use super::vectors::{decode, encode, Passage};
use super::Store;

impl Store {
    /// How many pairs have no question vector from `model`.
    pub fn missing_question_vectors(&self, model: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM pairs AS p
              WHERE NOT EXISTS (SELECT 1 FROM question_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)",
            [model],
            |r| r.get(0),
        )?)
    }

    /// Up to `limit` stored questions (as [`Passage`]s) of pairs with ids above `after` that have no
    /// question vector from `model`, lowest ids first.
    pub fn questions_missing(&self, model: &str, after: i64, limit: usize) -> Result<Vec<Passage>> {
        let ids = self.pairs_lacking("question_vectors", model, after, limit)?;
        self.stored_questions(&ids)
    }

    /// The stored questions of `ids`, as [`Passage`]s to embed (all must exist).
    pub(super) fn stored_questions(&self, ids: &[i64]) -> Result<Vec<Passage>> {
        let mut question = self.conn.prepare_cached("SELECT question FROM pairs WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for &pair_id in ids {
            out.push(Passage { pair_id, text: question.query_row([pair_id], |r| r.get(0))? });
        }
        Ok(out)
    }

    /// Store question vectors made by `model`, in one transaction. A pair deleted, or whose question
    /// changed since it was read, is skipped. Returns how many were stored.
    pub fn put_question_vectors(&mut self, model: &str, rows: &[(Passage, Vec<f32>)]) -> Result<usize> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut stored = 0;
        {
            let mut current = tx.prepare_cached("SELECT question FROM pairs WHERE id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO question_vectors(pair_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (question, vector) in rows {
                let now: Option<String> =
                    current.query_row([question.pair_id], |r| r.get(0)).map(Some).or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })?;
                if now.as_deref() == Some(question.text.as_str()) {
                    insert.execute(params![question.pair_id, model, vector.len() as i64, encode(vector)])?;
                    stored += 1;
                }
            }
        }
        tx.commit().context("cannot store question vectors")?;
        Ok(stored)
    }

    /// Cosine similarity of `query` (a unit vector from `model`) to the question vectors of `ids`;
    /// pairs without one (or with one of another length) are left out.
    pub fn question_vector_similarities(&self, model: &str, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        let list = serde_json::to_string(ids).expect("ids serialise");
        let mut stmt = self.conn.prepare_cached(
            "SELECT pair_id, vector FROM question_vectors
              WHERE model = ?1 AND pair_id IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = stmt.query_map(params![model, list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Vec::with_capacity(ids.len());
        for row in rows {
            let (id, blob) = row?;
            let vector = decode(&blob);
            if vector.len() == query.len() {
                out.push((id, f64::from(dot(&vector, query))));
            }
        }
        Ok(out)
    }
}
