//! Sentence embeddings, computed in-process: a BERT model in the Hugging Face folder layout
//! (`config.json`, `tokenizer.json`, `model.safetensors`, fp32, fp16 or bf16) run with candle.
//!
//! The default model is `intfloat/multilingual-e5-small`: texts are prefixed with `query: ` or
//! `passage: `, the last hidden state is mean-pooled over the non-padding tokens (special tokens
//! included) and L2-normalised, so the dot product of two vectors is their cosine similarity.
//! Inputs longer than the model's limit (512 tokens at most) are truncated.
//!
//! This module knows nothing about the database: it turns strings into vectors. What text the
//! model is given (script-folded, which part of a pair) is decided in [`recipe`], whose tag is part
//! of the recorded identity; where vectors are stored is decided by the callers.

mod identity;
pub mod recipe;
pub mod tiny;
pub mod weights;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

pub use identity::ModelIdentity;

/// The longest input any supported model accepts, in tokens (e5's limit).
pub const MAX_TOKENS: usize = 512;

/// Texts run through the model together. Larger batches amortise overhead but pad more; inputs
/// are sorted by length first, so padding stays small either way.
const BATCH: usize = 16;

/// The prefix e5 models expect before a question.
pub const QUERY_PREFIX: &str = "query: ";
/// The prefix e5 models expect before a text to be found.
pub const PASSAGE_PREFIX: &str = "passage: ";

/// A loaded sentence-embedding model.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    identity: ModelIdentity,
    dim: usize,
    max_tokens: usize,
    /// The token batches are padded with (masked out, so its value does not change results).
    pad_id: u32,
    device: Device,
}

impl Embedder {
    /// Load the model in `dir` (see the module docs for the layout). Errors name the missing or
    /// unreadable file and what to do about it.
    pub fn load(dir: &Path) -> Result<Embedder> {
        let files = ModelFiles::find(dir)?;
        fix_thread_count();
        let config_text = std::fs::read_to_string(&files.config)
            .with_context(|| format!("cannot read {}", files.config.display()))?;
        let config: Config = serde_json::from_str(&config_text)
            .with_context(|| format!("{}: not a BERT model configuration", files.config.display()))?;
        let identity = ModelIdentity::of(dir, &files.config, &files.tokenizer, &files.weights)?;
        let max_tokens = config.max_position_embeddings.min(MAX_TOKENS);
        let (tokenizer, pad_id) = load_tokenizer(&files.tokenizer, &config, max_tokens)?;
        let device = Device::Cpu;
        // Read tensor by tensor into f32 (fp16/bf16 converted): see `weights` for why not mmap.
        let tensors = weights::load_f32(&files.weights, &device)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let model = BertModel::load(vb, &config).with_context(|| {
            format!("{}: not the weights of a BERT model matching config.json", files.weights.display())
        })?;
        Ok(Embedder { model, tokenizer, identity, dim: config.hidden_size, max_tokens, pad_id, device })
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

    /// Tokenize everything once, then run batches of similar length and put results back in order.
    fn embed_owned(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        let encodings =
            self.tokenizer.encode_batch(texts, true).map_err(|e| anyhow::anyhow!("cannot tokenize: {e}"))?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); ids.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i]).collect();
            for (&i, vector) in chunk.iter().zip(self.run_batch(&batch)?) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    /// Run the model on token sequences (padded here to the longest), mean-pool, normalise.
    fn run_batch(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let len = batch.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
        let pad = self.pad_id;
        let mut ids = Vec::with_capacity(batch.len() * len);
        let mut mask = Vec::with_capacity(batch.len() * len);
        for seq in batch {
            ids.extend_from_slice(seq);
            ids.extend(std::iter::repeat_n(pad, len - seq.len()));
            mask.extend(std::iter::repeat_n(1u32, seq.len()));
            mask.extend(std::iter::repeat_n(0u32, len - seq.len()));
        }
        let shape = (batch.len(), len);
        let ids = Tensor::from_vec(ids, shape, &self.device)?;
        let mask = Tensor::from_vec(mask, shape, &self.device)?;
        let hidden = self.model.forward(&ids, &ids.zeros_like()?, Some(&mask))?;
        Ok(mean_pool_normalize(&hidden, &mask)?.to_vec2::<f32>()?)
    }
}

/// Make candle's thread count a constant. Without `RAYON_NUM_THREADS` set, candle works out how
/// many threads a matrix product may use, at every product, by reading `/proc/cpuinfo` (the
/// physical core count is not cached): about a hundred reads a question, 10–20% of the CPU time of
/// embedding one (measured with `examples/dense_bench.rs`, serving at 100k pairs). Setting the
/// variable to the count candle would work out (once, when the first model is loaded) keeps its
/// choice and skips the reads (rayon's global pool, when built after this, gets that count too).
/// A value the user set is left alone.
fn fix_thread_count() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            let threads = candle_core::utils::get_num_threads();
            std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
        }
    });
}

/// Mean of `hidden` (batch, tokens, dim) over the tokens where `mask` (batch, tokens) is 1, then
/// each row scaled to unit length.
pub fn mean_pool_normalize(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?;
    let summed = hidden.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
    let counts = mask.sum_keepdim(1)?.clamp(1f32, f32::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
    mean.broadcast_div(&norm)
}

/// Read `tokenizer.json` and truncate to `max_tokens`. Returns the tokenizer and the padding
/// token's id. The tokenizer's own padding is switched off: batches are padded in
/// [`Embedder::run_batch`], after sorting by length, and masked out of attention and pooling.
fn load_tokenizer(path: &Path, config: &Config, max_tokens: usize) -> Result<(Tokenizer, u32)> {
    let mut tokenizer = Tokenizer::from_file(path)
        .map_err(|e| anyhow::anyhow!("{}: not a Hugging Face tokenizer.json ({e})", path.display()))?;
    let pad_id = tokenizer
        .get_padding()
        .map(|p| p.pad_id)
        .or_else(|| ["<pad>", "[PAD]"].iter().find_map(|t| tokenizer.token_to_id(t)))
        .unwrap_or(config.pad_token_id as u32);
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
        .map_err(|e| anyhow::anyhow!("{}: cannot set truncation ({e})", path.display()))?;
    Ok((tokenizer, pad_id))
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_thread_count_is_fixed_once_a_model_may_run() {
        super::fix_thread_count();
        let threads = std::env::var("RAYON_NUM_THREADS").expect("set");
        assert!(threads.parse::<usize>().is_ok_and(|n| n > 0), "{threads}");
    }
}
