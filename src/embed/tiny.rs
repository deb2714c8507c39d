//! A tiny random BERT model written to a folder, for tests and benchmarks of the plumbing.
//!
//! Real weights are never part of the repository; this writes a model with the same layout as
//! `intfloat/multilingual-e5-small` (config.json, tokenizer.json, model.safetensors) but a few
//! dozen invented whole-word tokens and random weights, in milliseconds. Its vectors mean nothing;
//! they are deterministic for a given folder, which is all the plumbing needs.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use serde_json::json;

/// The words the tiny tokenizer knows (lower-cased input, split at whitespace); anything else is
/// `<unk>`. `query:` and `passage:` are tokens so that prefixes change the input.
pub const WORDS: &[&str] = &[
    "query:", "passage:", "what", "why", "how", "who", "is", "did", "the", "a", "of", "to", "and", "river", "boat",
    "piano", "music", "apples", "farm", "orchard", "lamp", "harbour", "kite", "garden", "winter", "summer", "bridge",
    "train", "clock", "stone", "paper", "market", "rain", "tomorrow", "1", "2", "3",
];

/// How the weights are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// fp16 tensors named `embeddings.…`/`encoder.…` (as the prepared test model).
    F16,
    /// fp32 tensors named `bert.embeddings.…`, with an unused pooler (as many original models).
    F32Prefixed,
}

/// Write a random model with `layers` layers into `dir` (created if needed).
pub fn write(dir: &Path, layers: usize, layout: Layout) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let config = config(layers);
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config_json(&config))?)?;
    std::fs::write(dir.join("tokenizer.json"), serde_json::to_string_pretty(&tokenizer_json())?)?;
    let tensors = random_weights(&config)?;
    let tensors: HashMap<String, Tensor> = match layout {
        Layout::F16 => tensors.into_iter().map(|(k, t)| Ok((k, t.to_dtype(DType::F16)?))).collect::<Result<_>>()?,
        Layout::F32Prefixed => {
            let mut out: HashMap<String, Tensor> = tensors.into_iter().map(|(k, t)| (format!("bert.{k}"), t)).collect();
            let h = config.hidden_size;
            out.insert("bert.pooler.dense.weight".into(), Tensor::randn(0f32, 0.1, (h, h), &Device::Cpu)?);
            out.insert("bert.pooler.dense.bias".into(), Tensor::zeros(h, DType::F32, &Device::Cpu)?);
            out
        }
    };
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors"))?;
    Ok(())
}

/// The model's configuration: 16 dimensions, 2 heads, 32 positions.
pub fn config(layers: usize) -> Config {
    Config {
        vocab_size: 4 + WORDS.len(),
        hidden_size: 16,
        num_hidden_layers: layers,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 32,
        ..Config::default()
    }
}

fn config_json(c: &Config) -> serde_json::Value {
    json!({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "vocab_size": c.vocab_size, "hidden_size": c.hidden_size, "num_hidden_layers": c.num_hidden_layers,
        "num_attention_heads": c.num_attention_heads, "intermediate_size": c.intermediate_size,
        "max_position_embeddings": c.max_position_embeddings, "type_vocab_size": c.type_vocab_size,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "pad_token_id": 1, "position_embedding_type": "absolute",
        "classifier_dropout": null,
    })
}

/// A word-level tokenizer in the Hugging Face format, with XLM-R's specials and `<s> $A </s>`.
fn tokenizer_json() -> serde_json::Value {
    let mut vocab = serde_json::Map::new();
    for (i, token) in ["<s>", "<pad>", "</s>", "<unk>"].iter().chain(WORDS).enumerate() {
        vocab.insert((*token).to_owned(), json!(i));
    }
    let special = |t: &str| json!({"SpecialToken": {"id": t, "type_id": 0}});
    let seq = |s: &str| json!({"Sequence": {"id": s, "type_id": 0}});
    json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special("<s>"), seq("A"), special("</s>")],
            "pair": [special("<s>"), seq("A"), special("</s>"), seq("B"), special("</s>")],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]},
            },
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"},
    })
}

/// Every tensor `BertModel` reads, random (layer norms too, so none is the identity).
fn random_weights(config: &Config) -> Result<HashMap<String, Tensor>> {
    let varmap = VarMap::new();
    BertModel::load(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu), config)?;
    let vars = varmap.data().lock().expect("varmap lock");
    let mut out = HashMap::new();
    for (name, var) in vars.iter() {
        let t = var.as_tensor();
        let random = if name.ends_with("LayerNorm.weight") {
            (Tensor::randn(0f32, 0.2, t.shape(), &Device::Cpu)? + 1.0)?
        } else {
            Tensor::randn(0f32, 0.3, t.shape(), &Device::Cpu)?
        };
        out.insert(name.clone(), random);
    }
    Ok(out)
}
