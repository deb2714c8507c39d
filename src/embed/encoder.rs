//! A BERT encoder's forward pass for one sequence at a time, written for the question at ask
//! time: a few dozen tokens, where candle's general batched tensors spent most of their time
//! packing weights and allocating (see [`super::kernels`]).
//!
//! The weights are laid out once at load in the order the product reads them
//! ([`kernels::Panels`]), query, key and value fused into one matrix. One sequence needs no padding and no
//! attention mask, so the result equals the batched model's on the same tokens (within float
//! rounding): embeddings (word + position + token type 0) and layer norm, then per layer
//! self-attention, residual and layer norm, GELU feed-forward, residual and layer norm.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use candle_transformers::models::bert::{Config, HiddenAct};

use super::kernels::{self, Kernel, Panels};
use super::weights::{Array, Rows, Values};

/// The word embeddings' tensor name (after the model's prefix).
pub const WORD_EMBEDDINGS: &str = "embeddings.word_embeddings.weight";

/// Products with fewer multiply-adds than this run on one thread: below it, handing half to
/// another thread costs more than it saves.
const SPLIT_MIN_WORK: usize = 1 << 20;

/// A layer norm's scale and shift.
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

/// One transformer layer.
struct Layer {
    /// Query, key and value in one: outputs `[q | k | v]`.
    qkv: Panels,
    attention_out: Panels,
    attention_norm: Norm,
    up: Panels,
    down: Panels,
    out_norm: Norm,
}

/// A BERT encoder ready to run (see the module docs).
pub struct Encoder {
    hidden: usize,
    heads: usize,
    eps: f32,
    activation: HiddenAct,
    max_positions: usize,
    vocab: usize,
    /// `[vocab][hidden]`: only the question's rows are read.
    word: WordTable,
    /// `[max_positions][hidden]`.
    position: Vec<f32>,
    /// Token type 0's embedding (every input is a single segment).
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    kernel: Kernel,
    /// [`SPLIT_MIN_WORK`], lowered by tests to split the tiny model's products too.
    split_min_work: usize,
}

/// Where the word embeddings are.
enum WordTable {
    /// In memory, in the file's precision.
    Memory(Values),
    /// Left in the model file, read row by row.
    File(Rows),
}

/// Whether one sequence's matrix products are split across threads (rayon's global pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// All on the calling thread (when sequences already run in parallel).
    One,
    /// Large products split in two halves of their outputs.
    Split,
}

impl Encoder {
    /// Take the weights of a BERT model out of `arrays` (as read by [`super::weights::load_arrays`]
    /// or [`super::weights::load_f32_arrays`]; names with or without a `bert.` prefix). The word
    /// embeddings and the Linear layers keep their precision (fp16 or f32); the rest is converted
    /// to f32.
    pub fn new(arrays: HashMap<String, Array>, config: &Config) -> Result<Encoder> {
        Encoder::with_rows(arrays, HashMap::new(), config)
    }

    /// [`Encoder::new`] with tensors left in the file ([`super::weights::load_arrays_leaving`]):
    /// the word embeddings are read row by row from there when `rows` has them.
    pub fn with_rows(
        mut arrays: HashMap<String, Array>,
        mut rows: HashMap<String, Rows>,
        config: &Config,
    ) -> Result<Encoder> {
        let prefix = model_prefix(|name| arrays.contains_key(name) || rows.contains_key(name), config);
        let word_name = format!("{prefix}{WORD_EMBEDDINGS}");
        let word_shape = [config.vocab_size, config.hidden_size];
        let file_word = rows.remove(&word_name);
        let mut get = |name: &str, shape: &[usize]| take(&mut arrays, &format!("{prefix}{name}"), shape);
        let h = config.hidden_size;
        if h == 0 || config.num_attention_heads == 0 || !h.is_multiple_of(config.num_attention_heads) {
            bail!("hidden_size {h} is not a multiple of num_attention_heads {}", config.num_attention_heads);
        }
        let mut token_type = get("embeddings.token_type_embeddings.weight", &[config.type_vocab_size, h])?.into_f32();
        token_type.truncate(h);
        let mut encoder = Encoder {
            hidden: h,
            heads: config.num_attention_heads,
            eps: config.layer_norm_eps as f32,
            activation: config.hidden_act,
            max_positions: config.max_position_embeddings,
            vocab: config.vocab_size,
            word: match file_word {
                Some(rows) if rows.shape() != word_shape => {
                    bail!("tensor `{word_name}` has shape {:?}, config.json says {word_shape:?}", rows.shape())
                }
                Some(rows) => WordTable::File(rows),
                None => WordTable::Memory(get(WORD_EMBEDDINGS, &word_shape)?),
            },
            position: get("embeddings.position_embeddings.weight", &[config.max_position_embeddings, h])?.into_f32(),
            token_type,
            embedding_norm: norm(&mut get, "embeddings.LayerNorm", h)?,
            layers: Vec::with_capacity(config.num_hidden_layers),
            kernel: Kernel::best(),
            split_min_work: SPLIT_MIN_WORK,
        };
        for i in 0..config.num_hidden_layers {
            encoder.layers.push(layer(&mut get, &format!("encoder.layer.{i}."), config)?);
        }
        Ok(encoder)
    }

    /// Use `kernel` for the arithmetic (the fastest the processor runs is the default).
    pub fn with_kernel(mut self, kernel: Kernel) -> Encoder {
        self.kernel = kernel;
        self
    }

    /// Split products of at least `work` multiply-adds when asked ([`Threads::Split`]).
    pub fn with_split_min_work(mut self, work: usize) -> Encoder {
        self.split_min_work = work;
        self
    }

    /// Whether the word embeddings and every Linear layer are held in fp16 (as an fp16 file stores
    /// them) rather than f32.
    pub fn holds_f16(&self) -> bool {
        let linears = self.layers.iter().flat_map(|l| [&l.qkv, &l.attention_out, &l.up, &l.down]);
        !matches!(self.word, WordTable::Memory(Values::F32(_))) && linears.into_iter().all(Panels::is_f16)
    }

    /// Whether the word embeddings are read from the model file rather than held in memory.
    pub fn reads_words_from_file(&self) -> bool {
        matches!(self.word, WordTable::File(_))
    }

    /// The longest sequence accepted, in tokens.
    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// The last hidden state of `ids` mean-pooled over every token and scaled to unit length.
    pub fn embed(&self, ids: &[u32], threads: Threads) -> Result<Vec<f32>> {
        let mut x = self.embeddings(ids)?;
        for layer in &self.layers {
            x = self.layer(layer, &x, ids.len(), threads);
        }
        Ok(mean_pool_normalize(&x, ids.len(), self.hidden))
    }

    /// Word + position + token-type embeddings, layer-normed: `tokens × hidden`.
    fn embeddings(&self, ids: &[u32]) -> Result<Vec<f32>> {
        let h = self.hidden;
        if ids.is_empty() || ids.len() > self.max_positions {
            bail!("{} tokens: the model takes 1 to {}", ids.len(), self.max_positions);
        }
        let mut x = Vec::with_capacity(ids.len() * h);
        for (position, &id) in ids.iter().enumerate() {
            let id = id as usize;
            if id >= self.vocab {
                bail!("token id {id} is outside the vocabulary ({} tokens)", self.vocab);
            }
            let at = &self.position[position * h..(position + 1) * h];
            let sum = at.iter().zip(&self.token_type);
            match &self.word {
                WordTable::Memory(Values::F32(word)) => {
                    x.extend(word[id * h..][..h].iter().zip(sum).map(|(w, (p, t))| w + t + p))
                }
                WordTable::Memory(Values::F16(word)) => {
                    x.extend(word[id * h..][..h].iter().zip(sum).map(|(w, (p, t))| w.to_f32() + t + p))
                }
                WordTable::File(rows) => {
                    let start = x.len();
                    rows.read_into(id, &mut x)?;
                    x[start..].iter_mut().zip(sum).for_each(|(w, (p, t))| *w = *w + t + p);
                }
            }
        }
        layer_norm(&mut x, &self.embedding_norm, self.eps);
        Ok(x)
    }

    /// One transformer layer on `x` (`tokens × hidden`).
    fn layer(&self, layer: &Layer, x: &[f32], tokens: usize, threads: Threads) -> Vec<f32> {
        let qkv = self.linear(&layer.qkv, x, tokens, threads);
        let context = attention(&qkv, tokens, self.hidden, self.heads);
        let mut attended = self.linear(&layer.attention_out, &context, tokens, threads);
        add_and_norm(&mut attended, x, &layer.attention_norm, self.eps);
        let mut up = self.linear(&layer.up, &attended, tokens, threads);
        match self.activation {
            HiddenAct::Gelu => kernels::gelu_in_place(self.kernel, &mut up),
            HiddenAct::GeluApproximate => up.iter_mut().for_each(|v| *v = gelu_tanh(*v)),
            HiddenAct::Relu => up.iter_mut().for_each(|v| *v = v.max(0.0)),
        }
        let mut out = self.linear(&layer.down, &up, tokens, threads);
        add_and_norm(&mut out, &attended, &layer.out_norm, self.eps);
        out
    }

    /// `x W^T + b` for `tokens` rows; split in two halves of the outputs over rayon's pool when
    /// asked and large enough.
    fn linear(&self, w: &Panels, x: &[f32], tokens: usize, threads: Threads) -> Vec<f32> {
        let n = w.outputs();
        let mut out = vec![0f32; tokens * n];
        let panels = w.count();
        if threads == Threads::One || panels < 2 || tokens * n * w.inputs() < self.split_min_work {
            kernels::linear(self.kernel, x, tokens, w, 0..panels, &mut out);
            return out;
        }
        let (first, second) = (0..panels / 2, panels / 2..panels);
        let half = w.columns(&first).len();
        let mut left = vec![0f32; tokens * half];
        let mut right = vec![0f32; tokens * (n - half)];
        rayon::join(
            || kernels::linear(self.kernel, x, tokens, w, first, &mut left),
            || kernels::linear(self.kernel, x, tokens, w, second, &mut right),
        );
        for ((row, l), r) in out.chunks_exact_mut(n).zip(left.chunks_exact(half)).zip(right.chunks_exact(n - half)) {
            row[..half].copy_from_slice(l);
            row[half..].copy_from_slice(r);
        }
        out
    }
}

/// Where the model's tensors are named from: candle's `BertModel` accepts `embeddings.…`,
/// `bert.embeddings.…` and `{model_type}.embeddings.…`.
fn model_prefix(has: impl Fn(&str) -> bool, config: &Config) -> String {
    let mut candidates = vec![String::new(), "bert.".to_owned()];
    if let Some(model_type) = &config.model_type {
        candidates.push(format!("{model_type}."));
    }
    let found = candidates.into_iter().find(|p| has(&format!("{p}{WORD_EMBEDDINGS}")));
    found.unwrap_or_default()
}

/// Remove the array `name` from `arrays`, checking its shape.
fn take(arrays: &mut HashMap<String, Array>, name: &str, shape: &[usize]) -> Result<Values> {
    let array = arrays.remove(name).with_context(|| format!("no tensor `{name}`"))?;
    if array.shape != shape {
        bail!("tensor `{name}` has shape {:?}, config.json says {shape:?}", array.shape);
    }
    Ok(array.values)
}

type Take<'a> = dyn FnMut(&str, &[usize]) -> Result<Values> + 'a;

fn norm(take: &mut Take, name: &str, size: usize) -> Result<Norm> {
    Ok(Norm {
        gamma: take(&format!("{name}.weight"), &[size])?.into_f32(),
        beta: take(&format!("{name}.bias"), &[size])?.into_f32(),
    })
}

fn linear(take: &mut Take, name: &str, inputs: usize, outputs: usize) -> Result<Panels> {
    let weight = take(&format!("{name}.weight"), &[outputs, inputs])?;
    let bias = take(&format!("{name}.bias"), &[outputs])?.into_f32();
    Ok(Panels::new(&weight, bias, inputs, outputs))
}

/// Weights stacked one after the other (outputs of the first, then of the second…): fp16 if all
/// are, otherwise f32.
fn concatenate(parts: Vec<Values>) -> Values {
    if parts.iter().all(|p| matches!(p, Values::F16(_))) {
        Values::F16(parts.into_iter().flat_map(|p| if let Values::F16(v) = p { v } else { Vec::new() }).collect())
    } else {
        Values::F32(parts.into_iter().flat_map(Values::into_f32).collect())
    }
}

/// One layer's weights (`prefix` is `encoder.layer.N.`), query, key and value fused.
fn layer(take: &mut Take, prefix: &str, config: &Config) -> Result<Layer> {
    let (h, i) = (config.hidden_size, config.intermediate_size);
    let (mut weights, mut bias) = (Vec::with_capacity(3), Vec::with_capacity(3 * h));
    for part in ["query", "key", "value"] {
        let name = format!("{prefix}attention.self.{part}");
        weights.push(take(&format!("{name}.weight"), &[h, h])?);
        bias.extend(take(&format!("{name}.bias"), &[h])?.into_f32());
    }
    Ok(Layer {
        qkv: Panels::new(&concatenate(weights), bias, h, 3 * h),
        attention_out: linear(take, &format!("{prefix}attention.output.dense"), h, h)?,
        attention_norm: norm(take, &format!("{prefix}attention.output.LayerNorm"), h)?,
        up: linear(take, &format!("{prefix}intermediate.dense"), h, i)?,
        down: linear(take, &format!("{prefix}output.dense"), i, h)?,
        out_norm: norm(take, &format!("{prefix}output.LayerNorm"), h)?,
    })
}

/// Multi-head self-attention over all tokens: `qkv` is `tokens × 3·hidden` (`[q | k | v]` per
/// token), the result `tokens × hidden` (heads side by side, as BERT concatenates them).
fn attention(qkv: &[f32], tokens: usize, hidden: usize, heads: usize) -> Vec<f32> {
    let d = hidden / heads;
    let scale = 1.0 / (d as f32).sqrt();
    let row = |t: usize, part: usize, head: usize| {
        let start = t * 3 * hidden + part * hidden + head * d;
        &qkv[start..start + d]
    };
    let mut out = vec![0f32; tokens * hidden];
    let mut weights = vec![0f32; tokens];
    for head in 0..heads {
        for t in 0..tokens {
            let q = row(t, 0, head);
            for (s, w) in weights.iter_mut().enumerate() {
                *w = q.iter().zip(row(s, 1, head)).map(|(a, b)| a * b).sum::<f32>() * scale;
            }
            softmax(&mut weights);
            let context = &mut out[t * hidden + head * d..t * hidden + (head + 1) * d];
            for (s, &w) in weights.iter().enumerate() {
                context.iter_mut().zip(row(s, 2, head)).for_each(|(c, v)| *c += w * v);
            }
        }
    }
    out
}

/// Softmax in place (the maximum subtracted first, as candle does).
fn softmax(xs: &mut [f32]) {
    let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in xs.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    xs.iter_mut().for_each(|x| *x /= sum);
}

/// `x += residual`, then layer norm of each row.
fn add_and_norm(x: &mut [f32], residual: &[f32], norm: &Norm, eps: f32) {
    x.iter_mut().zip(residual).for_each(|(a, b)| *a += b);
    layer_norm(x, norm, eps);
}

/// Layer norm of each row of `x` (rows as long as `norm.gamma`): mean removed, divided by the
/// standard deviation (population variance + `eps`), scaled and shifted.
fn layer_norm(x: &mut [f32], norm: &Norm, eps: f32) {
    let n = norm.gamma.len();
    for row in x.chunks_exact_mut(n) {
        let mean = row.iter().sum::<f32>() / n as f32;
        row.iter_mut().for_each(|v| *v -= mean);
        let variance = row.iter().map(|v| v * v).sum::<f32>() / n as f32;
        let inverse = 1.0 / (variance + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(&norm.gamma).zip(&norm.beta) {
            *v = *v * inverse * g + b;
        }
    }
}

/// GELU's tanh approximation (`gelu_new`, candle's `gelu`).
fn gelu_tanh(x: f32) -> f32 {
    let inner = (2.0 / std::f32::consts::PI).sqrt() * (x + 0.044_715 * x * x * x);
    0.5 * x * (1.0 + inner.tanh())
}

/// The mean of the rows of `x` (`tokens × dim`), scaled to unit length.
fn mean_pool_normalize(x: &[f32], tokens: usize, dim: usize) -> Vec<f32> {
    let mut mean = vec![0f32; dim];
    for row in x.chunks_exact(dim) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= tokens.max(1) as f32);
    let length = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    mean.iter_mut().for_each(|m| *m /= length);
    mean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{tiny, weights};
    use candle_core::{DType, Device, Tensor};
    use candle_nn::VarBuilder;
    use candle_transformers::models::bert::BertModel;
    use std::path::Path;

    /// candle's `BertModel` on `ids` (one sequence, no mask), mean-pooled and normalised.
    fn candle_vector(model: &BertModel, ids: &[u32]) -> Vec<f32> {
        let ids = Tensor::from_vec(ids.to_vec(), (1, ids.len()), &Device::Cpu).unwrap();
        let hidden = model.forward(&ids, &ids.zeros_like().unwrap(), None).unwrap();
        let mask = ids.ones_like().unwrap();
        crate::embed::mean_pool_normalize(&hidden, &mask).unwrap().to_vec2::<f32>().unwrap().remove(0)
    }

    /// Our encoder as [`crate::embed::Embedder`] loads it (fp16 kept, word embeddings read from
    /// the file) and candle's model.
    fn load_both(dir: &Path, config: &Config) -> (Encoder, BertModel) {
        let file = dir.join("model.safetensors");
        let (arrays, rows) = weights::load_arrays_leaving(&file, |n| n.ends_with(WORD_EMBEDDINGS)).unwrap();
        let encoder = Encoder::with_rows(arrays, rows, config).unwrap();
        let tensors = weights::load_f32(&file, &Device::Cpu).unwrap();
        let model = BertModel::load(VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu), config).unwrap();
        (encoder, model)
    }

    fn max_difference(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    /// Token sequences of the tiny model: one token, a few, the longest it takes.
    fn sequences(max: usize, vocab: u32) -> Vec<Vec<u32>> {
        let long: Vec<u32> = (0..max as u32).map(|i| (i * 7 + 3) % vocab).collect();
        vec![vec![5], vec![0, 6, 7, 2], vec![0, 9, 14, 30, 22, 17, 3, 2], long[..max - 1].to_vec(), long]
    }

    #[test]
    fn the_encoder_matches_candle_on_a_tiny_random_model() {
        for layout in [tiny::Layout::F16, tiny::Layout::F32Prefixed] {
            let dir = tempfile::tempdir().unwrap();
            tiny::write(dir.path(), 3, layout).unwrap();
            let config = tiny::config(3);
            let (encoder, model) = load_both(dir.path(), &config);
            assert_eq!(encoder.holds_f16(), layout == tiny::Layout::F16, "{layout:?}");
            let one = Kernel::available().into_iter().map(|k| (k, Threads::One, SPLIT_MIN_WORK));
            let variants = one.chain([(Kernel::best(), Threads::Split, 0)]);
            let mut encoder = Some(encoder);
            for (kernel, threads, work) in variants {
                let e = encoder.take().unwrap().with_kernel(kernel).with_split_min_work(work);
                for ids in sequences(config.max_position_embeddings, config.vocab_size as u32) {
                    let ours = e.embed(&ids, threads).unwrap();
                    let theirs = candle_vector(&model, &ids);
                    let diff = max_difference(&ours, &theirs);
                    assert!(diff < 1e-4, "{layout:?} {kernel:?} {threads:?}, {} tokens: {diff}", ids.len());
                }
                encoder = Some(e);
            }
        }
    }

    /// Holding an fp16 file's weights in fp16 changes nothing: the vectors are those of the same
    /// values converted to f32 at load, bit for bit (same products, summed in the same order).
    #[test]
    fn fp16_weights_give_the_vectors_of_their_f32_values() {
        let dir = tempfile::tempdir().unwrap();
        tiny::write(dir.path(), 2, tiny::Layout::F16).unwrap();
        let config = tiny::config(2);
        let file = dir.path().join("model.safetensors");
        let mut f16 = Some(Encoder::new(weights::load_arrays(&file).unwrap(), &config).unwrap());
        let mut f32 = Some(Encoder::new(weights::load_f32_arrays(&file).unwrap(), &config).unwrap());
        assert!(f16.as_ref().unwrap().holds_f16() && !f32.as_ref().unwrap().holds_f16());
        for kernel in Kernel::available() {
            let (a, b) = (f16.take().unwrap().with_kernel(kernel), f32.take().unwrap().with_kernel(kernel));
            for ids in sequences(config.max_position_embeddings, config.vocab_size as u32) {
                assert_eq!(a.embed(&ids, Threads::One).unwrap(), b.embed(&ids, Threads::One).unwrap(), "{kernel:?}");
            }
            (f16, f32) = (Some(a), Some(b));
        }
    }

    /// Word embeddings left in the file and read row by row give the same vectors, bit for bit,
    /// as the table in memory, for fp16 and f32 files.
    #[test]
    fn word_embeddings_read_from_the_file_give_the_same_vectors() {
        for layout in [tiny::Layout::F16, tiny::Layout::F32Prefixed] {
            let dir = tempfile::tempdir().unwrap();
            tiny::write(dir.path(), 1, layout).unwrap();
            let config = tiny::config(1);
            let file = dir.path().join("model.safetensors");
            let memory = Encoder::new(weights::load_arrays(&file).unwrap(), &config).unwrap();
            let (arrays, rows) = weights::load_arrays_leaving(&file, |n| n.ends_with(WORD_EMBEDDINGS)).unwrap();
            assert_eq!(rows.len(), 1, "{layout:?}");
            let from_file = Encoder::with_rows(arrays, rows, &config).unwrap();
            assert!(from_file.reads_words_from_file() && !memory.reads_words_from_file());
            for ids in sequences(config.max_position_embeddings, config.vocab_size as u32) {
                let (a, b) = (memory.embed(&ids, Threads::One).unwrap(), from_file.embed(&ids, Threads::One).unwrap());
                assert_eq!(a, b, "{layout:?}");
            }
            let err = from_file.embed(&[0, config.vocab_size as u32], Threads::One).unwrap_err();
            assert!(err.to_string().contains("outside the vocabulary"), "{err}");
        }
    }

    #[test]
    fn inputs_the_model_cannot_take_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        tiny::write(dir.path(), 1, tiny::Layout::F16).unwrap();
        let config = tiny::config(1);
        let (encoder, _) = load_both(dir.path(), &config);
        assert!(encoder.embed(&[], Threads::One).is_err());
        assert!(encoder.embed(&vec![5; config.max_position_embeddings + 1], Threads::One).is_err());
        let err = encoder.embed(&[0, config.vocab_size as u32], Threads::One).unwrap_err();
        assert!(err.to_string().contains("outside the vocabulary"), "{err}");
    }

    #[test]
    fn a_missing_or_misshapen_tensor_is_named() {
        let dir = tempfile::tempdir().unwrap();
        tiny::write(dir.path(), 1, tiny::Layout::F16).unwrap();
        let file = dir.path().join("model.safetensors");
        let mut arrays = weights::load_f32_arrays(&file).unwrap();
        arrays.remove("encoder.layer.0.attention.self.key.bias");
        let err = Encoder::new(arrays, &tiny::config(1)).err().unwrap();
        assert!(format!("{err:#}").contains("encoder.layer.0.attention.self.key.bias"), "{err:#}");
        let mut config = tiny::config(1);
        config.intermediate_size += 1;
        let err = Encoder::new(weights::load_f32_arrays(&file).unwrap(), &config).err().unwrap();
        assert!(format!("{err:#}").contains("intermediate.dense.weight"), "{err:#}");
    }

    /// The real model against candle: `QABOT_MODEL=DIR cargo test --lib encoder -- --ignored`.
    #[test]
    #[ignore = "needs a real model folder in $QABOT_MODEL"]
    fn the_encoder_matches_candle_on_the_real_model() {
        let dir = std::path::PathBuf::from(std::env::var("QABOT_MODEL").expect("QABOT_MODEL"));
        let config: Config = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
        let tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
        let (encoder, model) = load_both(&dir, &config);
        let long = "The lighthouse keeper counted ships every evening. ".repeat(40);
        let texts = [
            "query: 灯塔",
            "query: Why did the orchard fail after the frost?",
            "passage: 他们在河边修了一座桥。",
            &long,
        ];
        let extra = questions_from(std::env::var_os("QABOT_QUESTIONS"));
        let mut worst_cosine = 1f32;
        for text in texts.iter().map(|t| t.to_string()).chain(extra) {
            let mut ids = tokenizer.encode(text.as_str(), true).unwrap().get_ids().to_vec();
            ids.truncate(config.max_position_embeddings);
            let theirs = candle_vector(&model, &ids);
            for threads in [Threads::One, Threads::Split] {
                let ours = encoder.embed(&ids, threads).unwrap();
                let diff = max_difference(&ours, &theirs);
                assert!(diff < 1e-4, "{} tokens, {threads:?}: {diff}", ids.len());
                worst_cosine = worst_cosine.min(ours.iter().zip(&theirs).map(|(a, b)| a * b).sum());
            }
        }
        eprintln!("lowest cosine between the encoder's and candle's vectors: {worst_cosine:.7}");
    }

    /// `query: ` + each `question` of a JSONL file (`$QABOT_QUESTIONS`), read at run time so that
    /// no evaluation question is written into the repository.
    fn questions_from(path: Option<std::ffi::OsString>) -> Vec<String> {
        let Some(path) = path else { return Vec::new() };
        let text = std::fs::read_to_string(path).unwrap();
        let question =
            |line: &str| serde_json::from_str::<serde_json::Value>(line).ok()?["question"].as_str().map(str::to_owned);
        text.lines().filter_map(question).map(|q| format!("query: {}", crate::embed::recipe::model_text(&q))).collect()
    }
}
