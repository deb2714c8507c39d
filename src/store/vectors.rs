//! Sentence-embedding vectors of pairs: the `pair_vectors` table, and what the three vector tables
//! (`pair_vectors`, `question_vectors`, `answer_vectors`) have in common.
//!
//! A vector is stored as a BLOB of `dim` little-endian f32 values, tagged with the identity of the
//! model that made it and of the recipe of its text (`name@hash+recipe`). Triggers in schema.sql
//! delete a pair's vector when its question, alternates or answer turns change, or when it is
//! deleted, whoever makes the change;
//! the next `qabot embed` fills what is missing. Vectors of two models are never mixed: readers
//! ask for one model's vectors, and [`Store::vector_models`] tells which models are present.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rusqlite::{params, TransactionBehavior};

use super::answer_vectors::{AnswerChunks, ChunkRecipe};
use super::{get_meta, index, set_meta, Store, VectorSet};
use crate::search::postings::PairText;

/// How the text embedded for a pair (its passage) is built from what the database stores. The
/// store does not decide it: callers pass the embedding recipe (`embed::recipe::pair_passage`),
/// so the database room depends on no model code, and a stale-passage check compares texts built
/// the same way as the ones embedded.
pub type PassageRecipe = fn(&PairText) -> String;

/// A pair's passage, as read for embedding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The pair.
    pub pair_id: i64,
    /// Its passage text (built by a [`PassageRecipe`]), or its stored question.
    pub text: String,
}

/// What pairs still lack, as [`Store::pairs_missing_vectors`] reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MissingVectors {
    /// Passages to embed (pairs without a passage vector).
    pub passages: Vec<Passage>,
    /// Stored questions to embed as questions (pairs without a question vector).
    pub questions: Vec<Passage>,
    /// Answers in chunks to embed (pairs without answer vectors).
    pub answers: Vec<AnswerChunks>,
    /// The last pair id read: where the next call starts (`None`: nothing is missing above).
    pub last: Option<i64>,
}

impl MissingVectors {
    /// How many different pairs lack something.
    pub fn pairs(&self) -> usize {
        let passages = self.passages.iter().map(|p| p.pair_id);
        let questions = self.questions.iter().map(|p| p.pair_id);
        let answers = self.answers.iter().map(|a| a.pair_id);
        passages.chain(questions).chain(answers).collect::<std::collections::BTreeSet<_>>().len()
    }
}

/// The BLOB form of a vector: little-endian f32.
pub fn encode(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A vector from its BLOB form.
pub fn decode(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// SQL condition on a pair `p`: it lacks a vector from model `?1` in one of the three tables.
const LACKS_ANY: &str = "NOT EXISTS (SELECT 1 FROM pair_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)
     OR NOT EXISTS (SELECT 1 FROM question_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)
     OR NOT EXISTS (SELECT 1 FROM answer_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)";

impl Store {
    /// Which models made the stored vectors, with how many each (normally one model, or none).
    pub fn vector_models(&self) -> Result<Vec<(String, i64)>> {
        // Question and answer vectors count too: a model that made only those still made vectors.
        let mut stmt = self.conn.prepare(
            "SELECT model, max(n) FROM (SELECT model, count(*) AS n FROM pair_vectors GROUP BY model
                                        UNION ALL
                                        SELECT model, count(*) AS n FROM question_vectors GROUP BY model
                                        UNION ALL
                                        SELECT model, count(*) AS n FROM answer_vectors GROUP BY model)
              GROUP BY model ORDER BY max(n) DESC",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>().context("cannot read the vector table")
    }

    /// How many pairs lack a vector from `model` (a passage vector, a question vector, answer
    /// vectors, or several of these).
    pub fn missing_vectors(&self, model: &str) -> Result<i64> {
        Ok(self.conn.query_row(&format!("SELECT count(*) FROM pairs AS p WHERE {LACKS_ANY}"), [model], |r| r.get(0))?)
    }

    /// Up to `limit` pairs with ids above `after` that lack a vector from `model`, lowest ids
    /// first: for each table, the texts still to embed (passages built by `passage`, stored
    /// questions, answers cut by `chunks`), each only where that table lacks the pair.
    pub fn pairs_missing_vectors(
        &self,
        model: &str,
        after: i64,
        limit: usize,
        passage: PassageRecipe,
        chunks: ChunkRecipe,
    ) -> Result<MissingVectors> {
        let sql = format!(
            "SELECT id,
                    EXISTS (SELECT 1 FROM pair_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1),
                    EXISTS (SELECT 1 FROM question_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1),
                    EXISTS (SELECT 1 FROM answer_vectors AS v WHERE v.pair_id = p.id AND v.model = ?1)
               FROM pairs AS p
              WHERE id > ?2 AND ({LACKS_ANY})
              ORDER BY id LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows: Vec<(i64, bool, bool, bool)> = stmt
            .query_map(params![model, after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let lacking = |has: fn(&(i64, bool, bool, bool)) -> bool| -> Vec<i64> {
            rows.iter().filter(|r| !has(r)).map(|r| r.0).collect()
        };
        // Passages and answers are both built from the pair's text: read it once for either.
        let texts = index::pair_texts(&self.conn, &lacking(|r| r.1 && r.3))?;
        let (need_passage, need_answer) = (lacking(|r| r.1), lacking(|r| r.3));
        let mut missing = MissingVectors { last: rows.last().map(|r| r.0), ..MissingVectors::default() };
        for (pair_id, text) in &texts {
            if need_passage.contains(pair_id) {
                missing.passages.push(Passage { pair_id: *pair_id, text: passage(text) });
            }
            if need_answer.contains(pair_id) {
                missing.answers.push(AnswerChunks { pair_id: *pair_id, chunks: chunks(text) });
            }
        }
        missing.questions = self.stored_questions(&lacking(|r| r.2))?;
        Ok(missing)
    }

    /// Up to `limit` passages (built by `recipe`) of pairs with ids above `after` that have no
    /// vector from `model`, lowest ids first (`after` lets a caller walk forward without
    /// rescanning done pairs).
    pub fn passages_missing(
        &self,
        model: &str,
        after: i64,
        limit: usize,
        recipe: PassageRecipe,
    ) -> Result<Vec<Passage>> {
        let ids = self.pairs_lacking("pair_vectors", model, after, limit)?;
        let texts = index::pair_texts(&self.conn, &ids)?;
        Ok(texts.into_iter().map(|(pair_id, t)| Passage { pair_id, text: recipe(&t) }).collect())
    }

    /// Up to `limit` ids above `after` of pairs without a row from `model` in `table` (one of the
    /// three vector tables), lowest first.
    pub(super) fn pairs_lacking(&self, table: &str, model: &str, after: i64, limit: usize) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id FROM pairs AS p
              WHERE id > ?2
                AND NOT EXISTS (SELECT 1 FROM {table} AS v WHERE v.pair_id = p.id AND v.model = ?1)
              ORDER BY id LIMIT ?3"
        ))?;
        let ids = stmt.query_map(params![model, after, limit as i64], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// Store vectors made by `model` from `passages` (built by `recipe`), in one transaction. A
    /// pair deleted or whose passage changed since it was read is skipped (its new text gets
    /// embedded next time). Returns how many were stored.
    pub fn put_vectors(&mut self, model: &str, rows: &[(Passage, Vec<f32>)], recipe: PassageRecipe) -> Result<usize> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = rows.iter().map(|(p, _)| p.pair_id).collect();
        let current: std::collections::HashMap<i64, String> =
            index::pair_texts(&tx, &ids)?.into_iter().map(|(id, t)| (id, recipe(&t))).collect();
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

    /// Delete the vectors (passage, question and answer vectors) of every model but `model`.
    /// Returns how many pairs' passage vectors were deleted.
    pub fn delete_other_vectors(&mut self, model: &str) -> Result<usize> {
        self.conn.execute("DELETE FROM question_vectors WHERE model <> ?1", [model])?;
        self.conn.execute("DELETE FROM answer_vectors WHERE model <> ?1", [model])?;
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

    /// Every vector `model` made, for a brute-force scan, quantised as it is read (see
    /// [`VectorSet`]: about 400 bytes a pair at 384 dimensions). The room is reserved from a
    /// count first and each BLOB goes through one reused buffer, so a large set is never copied
    /// while it grows and no row gets a vector of its own.
    pub fn all_vectors(&self, model: &str) -> Result<VectorSet> {
        let (count, dim): (i64, Option<i64>) =
            self.conn.query_row("SELECT count(*), min(dim) FROM pair_vectors WHERE model = ?1", [model], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let dim = dim.unwrap_or(0) as usize;
        let mut set = VectorSet::with_capacity(dim, count as usize);
        let mut stmt =
            self.conn.prepare("SELECT pair_id, vector FROM pair_vectors WHERE model = ?1 ORDER BY pair_id")?;
        let mut rows = stmt.query([model])?;
        let mut scratch = Vec::with_capacity(dim);
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let blob = row.get_ref(1)?.as_blob()?;
            if blob.len() != dim * 4 {
                bail!("pair {id}: its vector has {} bytes, expected {} (dim {dim})", blob.len(), dim * 4);
            }
            set.push_le_bytes(id, blob, &mut scratch);
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
