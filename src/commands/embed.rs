//! `qabot embed` (fill missing vectors), `qabot model` (record the model folder), and the checks
//! every command with a model makes: which folder to use, and whether the database's vectors
//! came from that model.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::answer::Semantic;
use crate::embed::recipe::{pair_answer_chunks, pair_passage};
use crate::embed::Embedder;
use crate::store::{AnswerChunks, Store};

/// Pairs embedded and stored per transaction: an interrupted run loses at most this many.
const FILL_BATCH: usize = 64;

/// Where the model folder came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelSource {
    /// `--model DIR` or `$QABOT_MODEL`.
    Flag,
    /// Recorded in the database with `qabot model DIR`.
    Database,
}

/// The model folder to use: `--model`/`$QABOT_MODEL` (`flag`), else the one recorded in the
/// database, else none (lexical matching only).
pub fn model_dir(store: &Store, flag: Option<&Path>) -> Result<Option<(PathBuf, ModelSource)>> {
    if let Some(dir) = flag.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(Some((dir.to_path_buf(), ModelSource::Flag)));
    }
    Ok(store.model_dir()?.map(|d| (d, ModelSource::Database)))
}

/// Load the model to use, if any (see [`model_dir`]).
pub fn load_model(store: &Store, flag: Option<&Path>) -> Result<Option<Embedder>> {
    let Some((dir, source)) = model_dir(store, flag)? else { return Ok(None) };
    let embedder = Embedder::load(&dir).with_context(|| match source {
        ModelSource::Flag => "cannot load the model given with --model or $QABOT_MODEL".to_owned(),
        ModelSource::Database => {
            "cannot load the model recorded with `qabot model` (record another, or `qabot model --clear`)".to_owned()
        }
    })?;
    Ok(Some(embedder))
}

/// The matcher for a process that answers questions (`qabot ask`, `qabot serve`): created once,
/// with the configured model (see [`model_dir`]), or `None` to match by words alone. When the
/// database's vectors are missing or not all from that model, the note saying what to run goes
/// to `err`, once; questions are then matched by words (by words and meaning where vectors of
/// this model exist). Vectors of another model give `None`: they cannot be compared.
pub fn semantic(store: &Store, flag: Option<&Path>, err: &mut impl Write) -> Result<Option<Semantic>> {
    let Some(embedder) = load_model(store, flag)? else { return Ok(None) };
    let model = embedder.identity().to_string();
    let state = VectorState::of(store, &model)?;
    if let Some(note) = state.note(&model) {
        writeln!(err, "note: {note}")?;
    }
    Ok(match state {
        VectorState::OtherModel { .. } => None,
        _ => Some(Semantic::new(embedder)),
    })
}

/// How the database's vectors relate to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VectorState {
    /// Every pair has a vector from this model.
    Ready,
    /// Vectors come from this model, but `missing` pairs have none yet.
    Partial {
        /// Pairs without a vector.
        missing: i64,
    },
    /// Some vectors come from another model (`others`: identity and count): they cannot be compared.
    OtherModel {
        /// Models that made vectors, with their counts.
        others: Vec<(String, i64)>,
    },
}

impl VectorState {
    /// The state of `store`'s vectors for the model with identity `model`.
    pub fn of(store: &Store, model: &str) -> Result<VectorState> {
        let others: Vec<(String, i64)> = store.vector_models()?.into_iter().filter(|(m, _)| m != model).collect();
        if !others.is_empty() {
            return Ok(VectorState::OtherModel { others });
        }
        match store.missing_vectors(model)? {
            0 => Ok(VectorState::Ready),
            missing => Ok(VectorState::Partial { missing }),
        }
    }

    /// A note for the user when the state is not [`VectorState::Ready`], saying what to run.
    pub fn note(&self, model: &str) -> Option<String> {
        match self {
            VectorState::Ready => None,
            VectorState::Partial { missing } => {
                Some(format!("{missing} pairs have no vector from {model} yet: run `qabot embed` to add them"))
            }
            VectorState::OtherModel { others } => Some(format!(
                "the database's vectors were made by {} and this model is {model}; vectors of different \
                 models (or of text built another way, the part after `+`) cannot be compared, so only \
                 lexical matching is used. Run `qabot embed` to \
                 re-embed every pair with {model}, or use the model that made them",
                others.iter().map(|(m, n)| format!("{m} ({n} pairs)")).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// What [`fill_missing`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FillReport {
    /// Pairs given their missing vectors (passage, question, or both).
    pub embedded: usize,
    /// Pairs still without a vector (more than `limit`, or changed while embedding).
    pub missing: i64,
    /// Seconds spent.
    pub seconds: f64,
}

/// Embed pairs that have no vector from `embedder`'s model, at most `limit`, committing every
/// [`FILL_BATCH`] pairs, with a progress bar when `progress`. Refuses when vectors of another
/// model are present (the caller decides whether to delete them first).
pub fn fill_missing(
    store: &mut Store,
    embedder: &Embedder,
    limit: Option<usize>,
    progress: bool,
) -> Result<FillReport> {
    let model = embedder.identity().to_string();
    let state = VectorState::of(store, &model)?;
    if let VectorState::OtherModel { .. } = state {
        bail!("{}", state.note(&model).unwrap_or_default());
    }
    let todo = store.missing_vectors(&model)?.min(limit.map_or(i64::MAX, |l| l as i64)) as u64;
    let bar = if progress { bar(todo) } else { ProgressBar::hidden() };
    let start = Instant::now();
    let mut report = FillReport::default();
    let (mut after, mut seen) = (0, 0u64);
    while seen < todo {
        let want = FILL_BATCH.min((todo - seen) as usize);
        let missing = store.pairs_missing_vectors(&model, after, want, pair_passage, pair_answer_chunks)?;
        let Some(last) = missing.last else { break };
        let pairs = missing.pairs();
        after = last;
        seen += pairs as u64;
        // Pairs changed meanwhile are skipped and stay missing, for the next run.
        let texts: Vec<&str> = missing.passages.iter().map(|p| p.text.as_str()).collect();
        let vectors = embedder.embed_passages(&texts)?;
        let rows: Vec<_> = missing.passages.into_iter().zip(vectors).collect();
        store.put_vectors(&model, &rows, pair_passage)?;
        // The stored question alone, embedded as a question (see `question_vectors` in schema.sql).
        let texts: Vec<&str> = missing.questions.iter().map(|p| p.text.as_str()).collect();
        let vectors = embedder.embed_queries(&texts)?;
        let rows: Vec<_> = missing.questions.into_iter().zip(vectors).collect();
        store.put_question_vectors(&model, &rows)?;
        // The answer in chunks, each embedded as a passage (see `answer_vectors`).
        let rows = embed_answers(embedder, missing.answers)?;
        store.put_answer_vectors(&model, &rows, pair_answer_chunks)?;
        report.embedded += pairs;
        bar.inc(pairs as u64);
    }
    bar.finish_and_clear();
    report.seconds = start.elapsed().as_secs_f64();
    report.missing = store.missing_vectors(&model)?;
    Ok(report)
}

/// Every chunk of `answers` embedded as a passage (all in one call, so the model batches chunks
/// of several pairs together), given back to their pairs in order.
fn embed_answers(embedder: &Embedder, answers: Vec<AnswerChunks>) -> Result<Vec<(AnswerChunks, Vec<Vec<f32>>)>> {
    let texts: Vec<&str> = answers.iter().flat_map(|a| a.chunks.iter().map(String::as_str)).collect();
    let mut vectors = embedder.embed_passages(&texts)?.into_iter();
    Ok(answers
        .into_iter()
        .map(|a| {
            let mine = vectors.by_ref().take(a.chunks.len()).collect();
            (a, mine)
        })
        .collect())
}

fn bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("embedding {bar:30} {pos}/{len} pairs, {per_sec}, {eta} left")
            .expect("valid template"),
    );
    bar
}

/// `qabot embed`: give every pair a vector from the model (replacing another model's vectors).
pub fn run(store: &mut Store, flag: Option<&Path>, limit: Option<usize>, out: &mut impl Write) -> Result<()> {
    let Some(embedder) = load_model(store, flag)? else {
        bail!(
            "no model: give a model folder with --model DIR (or $QABOT_MODEL), or record one with \
             `qabot model DIR`; see README.md, \"Sentence embeddings\", for how to download one"
        );
    };
    let model = embedder.identity().to_string();
    let replaced = store.delete_other_vectors(&model)?;
    if replaced > 0 {
        writeln!(out, "deleted {replaced} vectors made by another model")?;
    }
    let report = fill_missing(store, &embedder, limit, super::interactive_stderr())?;
    let rate = report.embedded as f64 / report.seconds.max(1e-9);
    write!(out, "embedded {} pairs with {model}", report.embedded)?;
    if report.embedded > 0 {
        write!(out, " ({rate:.1} pairs/s)")?;
    }
    match report.missing {
        0 => writeln!(out, "; every pair has a vector")?,
        n => writeln!(out, "; {n} pairs still have none (run `qabot embed` again to continue)")?,
    }
    Ok(())
}

/// After `qabot load`: embed the newly loaded pairs when a model is configured. Problems are
/// warnings: the load itself has committed, and `qabot embed` can finish the job later.
pub fn after_load(store: &mut Store, flag: Option<&Path>, err: &mut impl Write) -> Result<()> {
    let embedder = match load_model(store, flag) {
        Ok(Some(embedder)) => embedder,
        Ok(None) => return Ok(()),
        Err(e) => {
            writeln!(err, "warning: loaded, but not embedded: {e:#}")?;
            return Ok(());
        }
    };
    let model = embedder.identity().to_string();
    let state = VectorState::of(store, &model)?;
    if let VectorState::OtherModel { .. } = state {
        writeln!(err, "warning: loaded, but not embedded: {}", state.note(&model).unwrap_or_default())?;
        return Ok(());
    }
    let report = fill_missing(store, &embedder, None, super::interactive_stderr())?;
    if report.embedded > 0 {
        writeln!(err, "embedded {} pairs with {model}", report.embedded)?;
    }
    Ok(())
}

/// `qabot model [DIR | --clear]`: record, show or forget the model folder.
pub fn model(
    store: &mut Store,
    dir: Option<&Path>,
    clear: bool,
    flag: Option<&Path>,
    out: &mut impl Write,
) -> Result<()> {
    if clear {
        store.set_model_dir(None)?;
        writeln!(out, "no model recorded: matching is lexical unless --model or $QABOT_MODEL names one")?;
        return Ok(());
    }
    if let Some(dir) = dir {
        let embedder = Embedder::load(dir)?;
        let absolute = dir.canonicalize().with_context(|| format!("cannot resolve {}", dir.display()))?;
        store.set_model_dir(Some(&absolute))?;
        writeln!(out, "recorded model {} ({})", embedder.identity(), absolute.display())?;
        return describe(store, &embedder, out);
    }
    match model_dir(store, flag)? {
        None => {
            writeln!(out, "no model: matching is lexical only")?;
            writeln!(out, "record one with `qabot model DIR` (see README.md, \"Sentence embeddings\")")?;
        }
        Some((dir, source)) => {
            let from = if source == ModelSource::Flag { "--model or $QABOT_MODEL" } else { "recorded" };
            writeln!(out, "model folder: {} ({from})", dir.display())?;
            let embedder = Embedder::load(&dir)?;
            writeln!(out, "model: {}", embedder.identity())?;
            describe(store, &embedder, out)?;
        }
    }
    Ok(())
}

/// Say how the database's vectors relate to the model.
fn describe(store: &Store, embedder: &Embedder, out: &mut impl Write) -> Result<()> {
    let model = embedder.identity().to_string();
    match VectorState::of(store, &model)? {
        VectorState::Ready => writeln!(out, "every pair has a vector from this model")?,
        state => writeln!(out, "{}", state.note(&model).unwrap_or_default())?,
    }
    Ok(())
}
