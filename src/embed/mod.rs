//! Sentence embeddings, computed in-process: a BERT model in the Hugging Face folder layout
//! (`config.json`, `tokenizer.json`, `model.safetensors`, fp32, fp16 or bf16) run by
//! [`encoder`], a forward pass written for one sequence at a time (candle's `BertModel` is the
//! reference it is tested against).
//!
//! The default model is `intfloat/multilingual-e5-small`: texts are prefixed with `query: ` or
//! `passage: `, the last hidden state is mean-pooled over the tokens (special tokens
//! included) and L2-normalised, so the dot product of two vectors is their cosine similarity.
//! Inputs longer than the model's limit (512 tokens at most) are truncated.
//!
//! This module knows nothing about the database: it turns strings into vectors. What text the
//! model is given (script-folded, which part of a pair) is decided in [`recipe`], whose tag is part
//! of the recorded identity; where vectors are stored is decided by the callers.

pub mod encoder;
mod identity;
pub mod kernels;
pub mod recipe;
pub mod tiny;
pub mod weights;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Tensor};
use candle_transformers::models::bert::Config;
use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use encoder::{Encoder, Threads};
pub use identity::ModelIdentity;

/// The longest input any supported model accepts, in tokens (e5's limit).
pub const MAX_TOKENS: usize = 512;

/// The prefix e5 models expect before a question.
pub const QUERY_PREFIX: &str = "query: ";
/// The prefix e5 models expect before a text to be found.
pub const PASSAGE_PREFIX: &str = "passage: ";

/// A loaded sentence-embedding model.
pub struct Embedder {
    encoder: Encoder,
    tokenizer: Tokenizer,
    identity: ModelIdentity,
    dim: usize,
    max_tokens: usize,
}

impl Embedder {
    /// Load the model in `dir` (see the module docs for the layout). Errors name the missing or
    /// unreadable file and what to do about it.
    pub fn load(dir: &Path) -> Result<Embedder> {
        let files = ModelFiles::find(dir)?;
        let config_text = std::fs::read_to_string(&files.config)
            .with_context(|| format!("cannot read {}", files.config.display()))?;
        let config: Config = serde_json::from_str(&config_text)
            .with_context(|| format!("{}: not a BERT model configuration", files.config.display()))?;
        let identity = ModelIdentity::of(dir, &files.config, &files.tokenizer, &files.weights)?;
        let max_tokens = config.max_position_embeddings.min(MAX_TOKENS);
        let tokenizer = load_tokenizer(&files.tokenizer, max_tokens)?;
        // Read tensor by tensor, fp16 kept as fp16 (see `weights` for why not mmap); the word
        // embeddings stay in the file (a question reads a few dozen of their rows).
        let (arrays, rows) =
            weights::load_arrays_leaving(&files.weights, |name| name.ends_with(encoder::WORD_EMBEDDINGS))?;
        let encoder = Encoder::with_rows(arrays, rows, &config).with_context(|| {
            format!("{}: not the weights of a BERT model matching config.json", files.weights.display())
        })?;
        Ok(Embedder { encoder, tokenizer, identity, dim: config.hidden_size, max_tokens })
    }

    /// Which model this is (name and content hash), as recorded beside stored vectors.
    pub fn identity(&self) -> &ModelIdentity {
        &self.identity
    }

    /// The length of every vector this model returns.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The longest input in tokens; longer texts are truncated.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Embed questions (script-folded, with the `query: ` prefix). One unit vector per text, in order.
    pub fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_prefixed(QUERY_PREFIX, texts)
    }

    /// Embed texts to be found (script-folded, with the `passage: ` prefix). One unit vector per
    /// text, in order.
    pub fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_prefixed(PASSAGE_PREFIX, texts)
    }

    /// Embed texts exactly as given (no prefix). One unit vector per text, in order.
    pub fn embed_raw(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let owned: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
        self.embed_owned(owned)
    }

    fn embed_prefixed(&self, prefix: &str, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_owned(texts.iter().map(|t| format!("{prefix}{}", recipe::model_text(t))).collect())
    }

    /// Tokenize everything, then run the model on each text alone (no padding): one text splits
    /// its matrix products over two threads, several texts run side by side on rayon's pool.
    fn embed_owned(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        let encodings =
            self.tokenizer.encode_batch(texts, true).map_err(|e| anyhow::anyhow!("cannot tokenize: {e}"))?;
        match encodings.as_slice() {
            [one] => Ok(vec![self.encoder.embed(one.get_ids(), Threads::Split)?]),
            many => many.par_iter().map(|e| self.encoder.embed(e.get_ids(), Threads::One)).collect(),
        }
    }
}

/// Mean of `hidden` (batch, tokens, dim) over the tokens where `mask` (batch, tokens) is 1, then
/// each row scaled to unit length: what [`Embedder`] computes, for candle's batched output.
pub fn mean_pool_normalize(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?;
    let summed = hidden.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
    let counts = mask.sum_keepdim(1)?.clamp(1f32, f32::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
    mean.broadcast_div(&norm)
}

/// Read `tokenizer.json` and truncate to `max_tokens`. The tokenizer's own padding is switched
/// off: every text runs alone, so nothing is padded.
fn load_tokenizer(path: &Path, max_tokens: usize) -> Result<Tokenizer> {
    let mut tokenizer = Tokenizer::from_file(path)
        .map_err(|e| anyhow::anyhow!("{}: not a Hugging Face tokenizer.json ({e})", path.display()))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
        .map_err(|e| anyhow::anyhow!("{}: cannot set truncation ({e})", path.display()))?;
    Ok(tokenizer)
}

/// The three files of a model folder.
struct ModelFiles {
    config: PathBuf,
    tokenizer: PathBuf,
    weights: PathBuf,
}

impl ModelFiles {
    fn find(dir: &Path) -> Result<ModelFiles> {
        if !dir.is_dir() {
            bail!(
                "the model folder {} does not exist; download one with \
                 `huggingface-cli download intfloat/multilingual-e5-small --local-dir {}`",
                dir.display(),
                dir.display()
            );
        }
        let file = |name: &str| -> Result<PathBuf> {
            let path = dir.join(name);
            if !path.is_file() {
                bail!(
                    "{} has no {name}: a model folder needs config.json, tokenizer.json and \
                     model.safetensors (the Hugging Face layout)",
                    dir.display()
                );
            }
            Ok(path)
        };
        Ok(ModelFiles {
            config: file("config.json")?,
            tokenizer: file("tokenizer.json")?,
            weights: file("model.safetensors")?,
        })
    }
}
