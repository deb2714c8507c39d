//! The embedding model plumbing, on a tiny random model generated here (never real weights).

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::BertModel;
use qabot::embed::tiny::{self, Layout};
use qabot::embed::{weights, Embedder};

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
fn queries_and_passages_are_script_folded_before_the_model_reads_them() {
    let (_dir, embedder) = model(Layout::F16);
    // Full-width letters are unknown to the tiny tokenizer; folded (NFKC), they are words it knows.
    let wide = "why the ｒｉｖｅｒ";
    let folded = embedder.embed_raw(&["query: why the river"]).unwrap();
    assert_close(&embedder.embed_queries(&[wide]).unwrap()[0], &folded[0], 1e-6);
    assert!(embedder.embed_raw(&[&format!("query: {wide}")]).unwrap()[0] != folded[0]);
    let passage = embedder.embed_raw(&["passage: why the river"]).unwrap();
    assert_close(&embedder.embed_passages(&[wide]).unwrap()[0], &passage[0], 1e-6);
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
    // The recipe of the embedded text is part of the identity; tags from before it had none.
    assert_eq!(first.recipe, qabot::embed::recipe::RECIPE);
    assert!(first.to_string().ends_with(&format!("@{}+{}", first.hash, first.recipe)));
    let old = qabot::embed::ModelIdentity::parse(&format!("tiny-e5@{}", first.hash)).unwrap();
    assert_eq!((old.hash.as_str(), old.recipe.as_str()), (first.hash.as_str(), ""));
    assert_ne!(old, first);
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

/// The old loading path (candle's memory-mapped VarBuilder) and the tensor-by-tensor one give
/// bit-identical hidden states, hence identical vectors.
#[test]
fn weights_read_tensor_by_tensor_equal_the_memory_mapped_ones() {
    for layout in [Layout::F16, Layout::F32Prefixed] {
        let dir = tempfile::tempdir().unwrap();
        tiny::write(dir.path(), 2, layout).unwrap();
        let file = dir.path().join("model.safetensors");
        let config = tiny::config(2);
        let old = unsafe { VarBuilder::from_mmaped_safetensors(&[&file], DType::F32, &Device::Cpu) }.unwrap();
        let old = BertModel::load(old, &config).unwrap();
        let tensors = weights::load_f32(&file, &Device::Cpu).unwrap();
        let new = BertModel::load(VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu), &config).unwrap();
        let ids = Tensor::new(&[[0u32, 6, 8, 21, 3, 2], [0, 13, 14, 9, 2, 1]], &Device::Cpu).unwrap();
        let run = |m: &BertModel| -> Vec<Vec<Vec<f32>>> {
            m.forward(&ids, &ids.zeros_like().unwrap(), None).unwrap().to_vec3().unwrap()
        };
        assert_eq!(run(&old), run(&new), "{layout:?}");
    }
}

/// F32, F16 and BF16 tensors all come back as f32 with exactly the values candle converts to.
#[test]
fn weights_in_every_supported_dtype_convert_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    let base = Tensor::randn(0f32, 1.0, (3, 5), &Device::Cpu).unwrap();
    let mut tensors = std::collections::HashMap::new();
    for (name, dtype) in [("a", DType::F32), ("b", DType::F16), ("c", DType::BF16)] {
        tensors.insert(name.to_owned(), base.to_dtype(dtype).unwrap());
    }
    candle_core::safetensors::save(&tensors, &file).unwrap();
    let got = weights::load_f32(&file, &Device::Cpu).unwrap();
    assert_eq!(got.len(), 3);
    for (name, expected) in &tensors {
        assert_eq!(got[name].dtype(), DType::F32);
        let want: Vec<Vec<f32>> = expected.to_dtype(DType::F32).unwrap().to_vec2().unwrap();
        assert_eq!(got[name].to_vec2::<f32>().unwrap(), want, "{name}");
    }
}

/// A safetensors file from a header (JSON) and data bytes, as the format lays it out.
fn write_raw(path: &Path, header: &str, data: &[u8]) {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

fn load_err(path: &Path) -> String {
    format!("{:#}", weights::load_f32(path, &Device::Cpu).err().unwrap())
}

#[test]
fn a_truncated_weights_file_is_explained_with_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    tiny::write(dir.path(), 1, Layout::F16).unwrap();
    let file = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 10]).unwrap();
    let err = format!("{:#}", Embedder::load(dir.path()).err().unwrap());
    assert!(err.contains("model.safetensors") && err.contains("truncated") && err.contains("tensor `"), "{err}");
    std::fs::write(&file, &bytes[..5]).unwrap();
    let err = format!("{:#}", Embedder::load(dir.path()).err().unwrap());
    assert!(err.contains("model.safetensors") && err.contains("8-byte header length"), "{err}");
}

#[test]
fn a_corrupt_weights_header_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    std::fs::write(&file, huge).unwrap();
    let err = load_err(&file);
    assert!(err.contains("model.safetensors") && err.contains("does not fit"), "{err}");
    write_raw(&file, "{\"w\": [1, 2", &[]);
    assert!(load_err(&file).contains("not a JSON object"), "{}", load_err(&file));
    write_raw(&file, r#"{"w": {"dtype": "F32", "shape": [2]}}"#, &[0; 8]);
    let err = load_err(&file);
    assert!(err.contains("tensor `w`") && err.contains("malformed header entry"), "{err}");
    write_raw(&file, r#"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, &[0; 8]);
    let err = load_err(&file);
    assert!(err.contains("tensor `w`") && err.contains("do not hold shape [3]"), "{err}");
}

#[test]
fn an_unsupported_weight_dtype_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    let header = r#"{"__metadata__": {"format": "pt"}, "ids": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}"#;
    write_raw(&file, header, &[0; 8]);
    let err = load_err(&file);
    assert!(
        err.contains("model.safetensors") && err.contains("tensor `ids`") && err.contains("unsupported dtype I64"),
        "{err}"
    );
}
