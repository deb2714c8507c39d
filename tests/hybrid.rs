//! Matching by meaning across databases: one model, several stores. The model is tiny and random.

mod common;

use common::TempDb;
use qabot::answer::{self, Semantic};
use qabot::commands::embed;
use qabot::commands::load::{self as load_cmd, LoadOptions};
use qabot::embed::tiny::{self, Layout};
use qabot::embed::Embedder;
use qabot::store::Store;

const BOATS: &str = r#"{"title": "River boats", "slug": "boats", "pairs": [
  {"question": "why boats", "turns": [{"speaker": "Ann Lee", "text": "the river is wide"}]},
  {"question": "what music", "turns": [{"speaker": "Ann Lee", "text": "piano music"}]}]}"#;

/// Embed every pair of `db` and reopen it, so that the store has made no changes of its own.
fn embedded(db: &TempDb, embedder: &Embedder) -> Store {
    let mut store = db.store();
    embed::fill_missing(&mut store, embedder, None, false).unwrap();
    drop(store);
    db.store()
}

#[test]
fn one_model_asked_of_two_databases_uses_each_ones_vectors() {
    let alone = TempDb::new();
    let both = TempDb::new();
    let folder = alone.dir.path().join("model");
    tiny::write(&folder, 1, Layout::F16).unwrap();
    let embedder = Embedder::load(&folder).unwrap();
    let file = both.file("boats.json", BOATS);
    load_cmd::run(&mut both.store(), &[file], &LoadOptions::default()).unwrap();
    let mut first = embedded(&alone, &embedder);
    let mut second = embedded(&both, &embedder);
    let mut semantic = Semantic::new(embedder);
    answer::ask_hybrid(&mut first, Some(&mut semantic), "why boats", 0.5).unwrap();
    let (_, ranking) = answer::ask_hybrid(&mut second, Some(&mut semantic), "why boats", 0.5).unwrap();
    // Every candidate of the second database has its similarity by meaning, the new interview's
    // pairs (which the first database does not hold) included.
    assert!(ranking.context.dense);
    let boats = second.question(ranking.ranked[0].pair_id).unwrap().unwrap_or_default();
    assert!(ranking.ranked.iter().all(|s| s.features.dense.is_some()), "{:?}", ranking.ranked);
    assert_eq!(boats, "why boats");
}
