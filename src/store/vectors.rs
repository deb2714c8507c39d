//! Sentence-embedding vectors of pairs: the `pair_vectors` table.
//!
//! A vector is stored as a BLOB of `dim` little-endian f32 values, tagged with the identity of the
//! model that made it (`name@hash`). Triggers in schema.sql delete a pair's vector when its
//! question, alternates or answer turns change, or when it is deleted, whoever makes the change;
//! the next `qabot embed` fills what is missing. Vectors of two models are never mixed: readers
//! ask for one model's vectors, and [`Store::vector_models`] tells which models are present.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rusqlite::{params, TransactionBehavior};

use super::{get_meta, index, set_meta, Store};
use crate::search::postings::PairText;

/// How much of the answer goes into a pair's passage, in characters (after the question and its
/// alternates). Provisional: the question alone misses questions about answer content, whole
/// answers dilute the vector; `examples/passage_experiment.rs` measures the alternatives.
pub const PASSAGE_ANSWER_CHARS: usize = 200;

/// The text of a pair that is embedded: question, alternates, then the start of the answer.
pub fn passage_text(text: &PairText) -> String {
    let mut out = text.question.clone();
    for alternate in &text.alternates {
        out.push('\n');
        out.push_str(alternate);
    }
    let answer: String = text.turns.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n");
    let start: String = answer.chars().take(PASSAGE_ANSWER_CHARS).collect();
    if !start.is_empty() {
        out.push('\n');
        out.push_str(&start);
    }
    out
}

/// A pair's passage, as read for embedding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The pair.
    pub pair_id: i64,
    /// Its passage text ([`passage_text`]).
    pub text: String,
}

/// Vectors of one model, held in memory for brute-force search: `ids[i]`'s vector is
/// `data[i * dim .. (i + 1) * dim]`.
#[derive(Debug, Clone, Default)]
pub struct VectorSet {
    /// Vector length.
    pub dim: usize,
    /// Pair ids, ascending.
    pub ids: Vec<i64>,
    /// All vectors, one after another.
    pub data: Vec<f32>,
}

impl VectorSet {
    /// How many vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The `i`-th vector.
    pub fn vector(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The `k` pairs whose vectors have the largest dot product with `query` (cosine similarity
    /// for unit vectors), best first.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<(i64, f32)> {
        if k == 0 || self.dim == 0 || query.len() != self.dim {
            return Vec::new();
        }
        let mut scored: Vec<(i64, f32)> =
            self.data.chunks_exact(self.dim).zip(&self.ids).map(|(v, &id)| (id, dot(v, query))).collect();
        let k = k.min(scored.len());
        if k < scored.len() {
            scored.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1));
            scored.truncate(k);
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

/// Dot product (written so the compiler vectorises it).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac.remainder().iter().zip(bc.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            sums[i] += x[i] * y[i];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// The BLOB form of a vector: little-endian f32.
pub fn encode(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A vector from its BLOB form.
pub fn decode(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

impl Store {
    /// Which models made the stored vectors, with how many each (normally one model, or none).
    pub fn vector_models(&self) -> Result<Vec<(String, i64)>> {
        // Question vectors count too: a model that made only those still made vectors.
        let mut stmt = self.conn.prepare(
            "SELECT model, max(n) FROM (SELECT model, count(*) AS n FROM pair_vectors GROUP BY model
                                        UNION ALL
                                        SELECT model, count(*) AS n FROM question_vectors GROUP BY model)
              GROUP BY model ORDER BY max(n) DESC",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>().context("cannot read the vector table")
    }

    /// How many pairs lack a vector from `model` (a passage vector, a question vector, or both).
    pub fn missing_vectors(&self, model: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM pairs AS p
              WHERE NOT EXISTS (SELECT 1 FROM pair_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)
                 OR NOT EXISTS (SELECT 1 FROM question_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)",
            [model],
            |r| r.get(0),
        )?)
    }

    /// Up to `limit` passages of pairs with ids above `after` that have no vector from `model`,
    /// lowest ids first (`after` lets a caller walk forward without rescanning done pairs).
    pub fn passages_missing(&self, model: &str, after: i64, limit: usize) -> Result<Vec<Passage>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM pairs AS p
              WHERE id > ?2
                AND NOT EXISTS (SELECT 1 FROM pair_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)
              ORDER BY id LIMIT ?3",
        )?;
        let ids: Vec<i64> =
            stmt.query_map(params![model, after, limit as i64], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let texts = index::pair_texts(&self.conn, &ids)?;
        Ok(texts.into_iter().map(|(pair_id, t)| Passage { pair_id, text: passage_text(&t) }).collect())
    }

    /// Store vectors made by `model` from `passages`, in one transaction. A pair deleted or whose
    /// passage changed since it was read is skipped (its new text gets embedded next time).
    /// Returns how many were stored.
    pub fn put_vectors(&mut self, model: &str, rows: &[(Passage, Vec<f32>)]) -> Result<usize> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = rows.iter().map(|(p, _)| p.pair_id).collect();
        let current: std::collections::HashMap<i64, String> =
            index::pair_texts(&tx, &ids)?.into_iter().map(|(id, t)| (id, passage_text(&t))).collect();
        let mut stored = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO pair_vectors(pair_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (passage, vector) in rows {
                if current.get(&passage.pair_id) == Some(&passage.text) {
                    insert.execute(params![passage.pair_id, model, vector.len() as i64, encode(vector)])?;
                    stored += 1;
                }
            }
        }
        tx.commit().context("cannot store vectors")?;
        Ok(stored)
    }

    /// Delete the vectors (passage and question vectors) of every model but `model`. Returns how
    /// many pairs' passage vectors were deleted.
    pub fn delete_other_vectors(&mut self, model: &str) -> Result<usize> {
        self.conn.execute("DELETE FROM question_vectors WHERE model <> ?1", [model])?;
        Ok(self.conn.execute("DELETE FROM pair_vectors WHERE model <> ?1", [model])?)
    }

    /// The vectors `model` made for the given pairs (pairs without one are left out).
    pub fn vectors_for(&self, model: &str, pair_ids: &[i64]) -> Result<Vec<(i64, Vec<f32>)>> {
        let list = serde_json::to_string(pair_ids).expect("ids serialise");
        let mut stmt = self.conn.prepare_cached(
            "SELECT pair_id, vector FROM pair_vectors
              WHERE model = ?1 AND pair_id IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = stmt.query_map(params![model, list], |r| Ok((r.get(0)?, decode(&r.get::<_, Vec<u8>>(1)?))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every vector `model` made, for a brute-force scan (about 1.5 KB per pair at 384 dimensions).
    pub fn all_vectors(&self, model: &str) -> Result<VectorSet> {
        let mut set = VectorSet::default();
        let mut stmt =
            self.conn.prepare("SELECT pair_id, dim, vector FROM pair_vectors WHERE model = ?1 ORDER BY pair_id")?;
        let mut rows = stmt.query([model])?;
        while let Some(row) = rows.next()? {
            let (id, dim): (i64, usize) = (row.get(0)?, row.get(1)?);
            let blob = row.get_ref(2)?.as_blob()?;
            if set.ids.is_empty() {
                set.dim = dim;
            }
            if dim != set.dim || blob.len() != dim * 4 {
                bail!("pair {id}: its vector has {} bytes, expected {} (dim {})", blob.len(), set.dim * 4, set.dim);
            }
            set.ids.push(id);
            set.data.extend(blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        }
        Ok(set)
    }

    /// The model folder recorded with `qabot model DIR`, if any.
    pub fn model_dir(&self) -> Result<Option<PathBuf>> {
        Ok(get_meta(&self.conn, "model_dir")?.map(PathBuf::from))
    }

    /// Record (or with `None` forget) the model folder used when no `--model` is given.
    pub fn set_model_dir(&mut self, dir: Option<&Path>) -> Result<()> {
        match dir {
            Some(dir) => set_meta(&self.conn, "model_dir", &dir.to_string_lossy()),
            None => {
                self.conn.execute("DELETE FROM meta WHERE key = 'model_dir'", [])?;
                Ok(())
            }
        }
    }
}
