//! The embedding model plumbing, on a tiny random model generated here (never real weights).

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::BertModel;
use qabot::embed::tiny::{self, Layout};
use qabot::embed::Embedder;

fn model(layout: Layout) -> (tempfile::TempDir, Embedder) {
    let dir = tempfile::tempdir().unwrap();
    tiny::write(dir.path(), 2, layout).unwrap();
    let embedder = Embedder::load(dir.path()).unwrap();
    (dir, embedder)
}

fn assert_close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol, "{a:?}\n!=\n{b:?}");
    }
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

/// Mean pooling and normalisation recomputed by hand from the model's raw hidden states.
fn by_hand(dir: &Path, text: &str) -> Vec<f32> {
    let tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
    let ids = tokenizer.encode(text, true).unwrap().get_ids().to_vec();
    let n = ids.len();
    let config = tiny::config(2);
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[dir.join("model.safetensors")], DType::F32, &Device::Cpu) }
        .unwrap();
    let bert = BertModel::load(vb, &config).unwrap();
    let ids = Tensor::from_vec(ids, (1, n), &Device::Cpu).unwrap();
    let hidden: Vec<Vec<f32>> =
        bert.forward(&ids, &ids.zeros_like().unwrap(), None).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
    let mut mean = vec![0f32; hidden[0].len()];
    for row in &hidden {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += x / n as f32;
        }
    }
    let length = norm(&mean);
    mean.iter().map(|x| x / length).collect()
}

#[test]
fn vectors_are_the_normalised_mean_of_the_hidden_states() {
    let (dir, embedder) = model(Layout::F16);
    assert_eq!(embedder.dim(), 16);
    let got = embedder.embed_queries(&["Why did the boat cross the river"]).unwrap();
    assert_close(&got[0], &by_hand(dir.path(), "query: Why did the boat cross the river"), 1e-5);
    assert!((norm(&got[0]) - 1.0).abs() < 1e-5);
}

#[test]
fn batching_with_padding_changes_nothing() {
    let (_dir, embedder) = model(Layout::F16);
    let texts = ["kite", "the piano music of winter and summer in the garden by the bridge", "apples", "rain tomorrow"];
    let batched = embedder.embed_passages(&texts).unwrap();
    assert_eq!(batched.len(), texts.len());
    for (text, vector) in texts.iter().zip(&batched) {
        let alone = embedder.embed_passages(&[text]).unwrap();
        assert_close(vector, &alone[0], 1e-5);
    }
    // More texts than one batch holds come back in the order given.
    let many: Vec<String> = (0..40).map(|i| "stone ".repeat(i % 7 + 1) + WORDS_AT[i % WORDS_AT.len()]).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let all = embedder.embed_passages(&many).unwrap();
    for i in [0, 17, 39] {
        assert_close(&all[i], &embedder.embed_passages(&[many[i]]).unwrap()[0], 1e-5);
    }
}

const WORDS_AT: &[&str] = &["lamp", "harbour", "clock", "train", "market"];

#[test]
fn queries_and_passages_get_their_prefixes() {
    let (_dir, embedder) = model(Layout::F16);
    let text = "who is the farm";
    let query = embedder.embed_queries(&[text]).unwrap();
    let passage = embedder.embed_passages(&[text]).unwrap();
    assert_close(&query[0], &embedder.embed_raw(&["query: who is the farm"]).unwrap()[0], 1e-6);
    assert_close(&passage[0], &embedder.embed_raw(&["passage: who is the farm"]).unwrap()[0], 1e-6);
    let plain = embedder.embed_raw(&[text]).unwrap();
    assert!(query[0].iter().zip(&plain[0]).any(|(a, b)| (a - b).abs() > 1e-3));
    assert!(query[0].iter().zip(&passage[0]).any(|(a, b)| (a - b).abs() > 1e-3));
}

#[test]
fn long_inputs_are_truncated_to_the_model_limit() {
    let (_dir, embedder) = model(Layout::F16);
    assert_eq!(embedder.max_tokens(), 32);
    let words: Vec<&str> = tiny::WORDS[2..].iter().cycle().take(100).copied().collect();
    let long = words.join(" ");
    // 32 positions: <s>, 30 words, </s>.
    let cut = words[..30].join(" ");
    assert_close(&embedder.embed_raw(&[&long]).unwrap()[0], &embedder.embed_raw(&[&cut]).unwrap()[0], 1e-6);
}

#[test]
fn original_layout_with_bert_prefix_and_fp32_loads() {
    let (dir, embedder) = model(Layout::F32Prefixed);
    let got = embedder.embed_queries(&["what is the orchard"]).unwrap();
    assert_close(&got[0], &by_hand(dir.path(), "query: what is the orchard"), 1e-5);
}

#[test]
fn identity_is_stable_and_changes_with_the_weights() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("tiny-e5");
    tiny::write(&folder, 1, Layout::F16).unwrap();
    let first = Embedder::load(&folder).unwrap().identity().clone();
    assert_eq!(first.name, "tiny-e5");
    assert_eq!(first.hash.len(), 16);
    assert_eq!(&first, Embedder::load(&folder).unwrap().identity());
    assert_eq!(qabot::embed::ModelIdentity::parse(&first.to_string()), Some(first.clone()));
    tiny::write(&folder, 1, Layout::F16).unwrap();
    assert_ne!(first.hash, Embedder::load(&folder).unwrap().identity().hash);
}

#[test]
fn a_folder_without_weights_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    tiny::write(dir.path(), 1, Layout::F16).unwrap();
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let err = format!("{:#}", Embedder::load(dir.path()).err().unwrap());
    assert!(err.contains("model.safetensors") && err.contains("Hugging Face layout"), "{err}");
    let err = format!("{:#}", Embedder::load(&dir.path().join("nope")).err().unwrap());
    assert!(err.contains("does not exist") && err.contains("huggingface-cli download"), "{err}");
}

/// The real model, when `QABOT_TEST_MODEL` names its folder: a question and its cross-language
/// paraphrase are closer than an unrelated text. Run with `cargo test --test embed -- --ignored`.
#[test]
#[ignore = "needs a real model folder in $QABOT_TEST_MODEL"]
fn real_model_matches_across_languages() {
    let dir = std::env::var("QABOT_TEST_MODEL").expect("set QABOT_TEST_MODEL");
    let embedder = Embedder::load(Path::new(&dir)).unwrap();
    let q = embedder.embed_queries(&["How much does the new bridge cost?"]).unwrap();
    let p = embedder.embed_passages(&["新大桥的造价是多少？", "我喜欢在冬天弹钢琴。"]).unwrap();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!(dot(&q[0], &p[0]) > dot(&q[0], &p[1]));
}
