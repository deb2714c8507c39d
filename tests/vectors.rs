//! Sentence-embedding vectors in the database: migration, consistency with the pairs, model
//! mismatches, resumable filling, and the commands around them. Models are tiny and random.

mod common;

use std::path::{Path, PathBuf};

use common::TempDb;
use qabot::commands::embed::{self, VectorState};
use qabot::commands::load::{self as load_cmd, LoadOptions};
use qabot::embed::recipe::{pair_answer_chunks, pair_passage};
use qabot::embed::tiny::{self, Layout};
use qabot::embed::Embedder;
use qabot::store::{Seed, Store};

/// A tiny model in `dir/name`.
fn tiny_model(dir: &Path, name: &str) -> (PathBuf, Embedder) {
    let folder = dir.join(name);
    tiny::write(&folder, 1, Layout::F16).unwrap();
    let embedder = Embedder::load(&folder).unwrap();
    (folder, embedder)
}

fn count(store: &Store, sql: &str) -> i64 {
    store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn vectors(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM pair_vectors")
}

fn has_vector(store: &Store, pair: i64) -> bool {
    count(store, &format!("SELECT count(*) FROM pair_vectors WHERE pair_id = {pair}")) == 1
}

/// A store with the bundled interview, every pair embedded by `embedder`.
fn embedded_store(db: &TempDb, embedder: &Embedder) -> Store {
    let mut store = db.store();
    let report = embed::fill_missing(&mut store, embedder, None, false).unwrap();
    assert_eq!(report.missing, 0);
    assert_eq!(report.embedded as i64, count(&store, "SELECT count(*) FROM pairs"));
    store
}

const INTERVIEW_V1: &str = r#"{"title": "River boats", "slug": "boats", "pairs": [
  {"question": "why boats", "turns": [{"speaker": "Ann Lee", "text": "the river is wide"}]},
  {"question": "what music", "turns": [{"speaker": "Ann Lee", "text": "piano music"}]}]}"#;
const INTERVIEW_V2: &str = r#"{"title": "River boats", "slug": "boats", "pairs": [
  {"question": "why boats", "turns": [{"speaker": "Ann Lee", "text": "the river is wide and slow"}]},
  {"question": "what music", "turns": [{"speaker": "Ann Lee", "text": "piano music"}]}]}"#;

/// Every table, index, trigger and view of a database, by type and name.
fn schema_names(store: &Store) -> Vec<(String, String)> {
    let mut stmt = store.connection().prepare("SELECT type, name FROM sqlite_schema ORDER BY type, name").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// The bundled interview embedded by `embedder` in `db`, turned back into an older schema by
/// `downgrade`, then opened again: checked to be migrated to exactly the schema of a new database.
fn embedded_then_migrated(db: &TempDb, embedder: &Embedder, downgrade: fn(&rusqlite::Connection)) -> Store {
    let expected = schema_names(&TempDb::new().store());
    drop(embedded_store(db, embedder));
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    downgrade(&conn);
    drop(conn);
    let store = Store::open(&db.path, Seed::Bundled).unwrap();
    assert_eq!(count(&store, "PRAGMA user_version"), 6);
    assert_eq!(schema_names(&store), expected);
    store
}

#[test]
fn a_version_2_database_is_migrated_to_the_same_schema_as_a_new_one() {
    let expected = schema_names(&TempDb::new().store());
    let db = TempDb::new();
    drop(db.store());
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    common::downgrade_to_v2(&conn);
    assert_eq!(count_conn(&conn, "SELECT count(*) FROM sqlite_schema WHERE name = 'pairs_ad'"), 1);
    drop(conn);
    let store = Store::open(&db.path, Seed::Bundled).unwrap();
    assert_eq!(count(&store, "PRAGMA user_version"), 6);
    assert_eq!(schema_names(&store), expected);
    // The names sqlite-utils gives its FTS triggers are free now.
    store
        .connection()
        .execute_batch("CREATE TRIGGER pairs_ad AFTER DELETE ON pairs BEGIN SELECT 1; END; DROP TRIGGER pairs_ad;")
        .unwrap();
    // The renamed triggers still queue SQL edits for the index.
    store.connection().execute("UPDATE pairs SET question = question || '?' WHERE id = 1", []).unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM index_queue"), 1);
}

fn count_conn(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn sql_edits_invalidate_exactly_the_edited_pairs_vector() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let store = embedded_store(&db, &embedder);
    let total = vectors(&store);
    let conn = store.connection();
    conn.execute("UPDATE pairs SET question = 'why the river' WHERE id = 1", []).unwrap();
    conn.execute("UPDATE turns SET text = text || '!' WHERE pair_id = 2 AND position = 1", []).unwrap();
    conn.execute("INSERT INTO alternates(pair_id, text) VALUES (3, 'another way to ask')", []).unwrap();
    conn.execute("DELETE FROM turns WHERE pair_id = 4 AND position = 1", []).unwrap();
    for pair in 1..=4 {
        assert!(!has_vector(&store, pair), "pair {pair} kept a stale vector");
    }
    assert!(has_vector(&store, 5));
    assert_eq!(vectors(&store), total - 4);
    // Deleting a pair with foreign keys off (the sqlite3 shell's default) still removes its vector.
    conn.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM pairs WHERE id = 5; PRAGMA foreign_keys = ON;").unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM pair_vectors WHERE pair_id NOT IN (SELECT id FROM pairs)"), 0);
    assert_eq!(vectors(&store), total - 5);
}

#[test]
fn replacing_and_removing_interviews_keep_vectors_in_step() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = embedded_store(&db, &embedder);
    let bundled = vectors(&store);
    let file = db.file("boats.json", INTERVIEW_V1);
    load_cmd::run(&mut store, std::slice::from_ref(&file), &LoadOptions::default()).unwrap();
    assert_eq!(embed::fill_missing(&mut store, &embedder, None, false).unwrap().embedded, 2);
    std::fs::write(&file, INTERVIEW_V2).unwrap();
    load_cmd::run(&mut store, &[file], &LoadOptions::default()).unwrap();
    // The replaced interview's pairs are new rows without vectors; the old vectors are gone.
    assert_eq!(vectors(&store), bundled);
    assert_eq!(store.missing_vectors(&embedder.identity().to_string()).unwrap(), 2);
    assert!(store.remove("boats").unwrap());
    assert_eq!(store.missing_vectors(&embedder.identity().to_string()).unwrap(), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM pair_vectors WHERE pair_id NOT IN (SELECT id FROM pairs)"), 0);
}

#[test]
fn stored_vectors_are_the_models_vectors_of_the_passage() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let store = embedded_store(&db, &embedder);
    let model = embedder.identity().to_string();
    let passage = store.passages_missing("some other model", 0, 1, pair_passage).unwrap().remove(0);
    let expected = embedder.embed_passages(&[&passage.text]).unwrap().remove(0);
    let got = store.vectors_for(&model, &[passage.pair_id]).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, passage.pair_id);
    // Embedded in a batch with others: equal up to rounding.
    assert!(got[0].1.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-5), "{got:?} vs {expected:?}");
    // The BLOB is little-endian f32, readable without qabot.
    let blob: Vec<u8> = store
        .connection()
        .query_row("SELECT vector FROM pair_vectors WHERE pair_id = ?1", [passage.pair_id], |r| r.get(0))
        .unwrap();
    assert_eq!(blob.len(), 4 * embedder.dim());
    assert_eq!(f32::from_le_bytes(blob[..4].try_into().unwrap()), got[0].1[0]);
    // The full scan holds the same vectors (quantised to 8 bits: within half a step of each
    // stored value), and its top-k is the brute-force order of its similarities, which are
    // within rounding of the f32 ones.
    let all = store.all_vectors(&model).unwrap();
    assert_eq!(all.len() as i64, vectors(&store));
    let held = all.vector(all.ids().binary_search(&passage.pair_id).unwrap());
    let step = got[0].1.iter().fold(0f32, |m, x| m.max(x.abs())) / 127.0;
    assert!(held.iter().zip(&got[0].1).all(|(a, b)| (a - b).abs() <= step / 2.0 + 1e-6), "{held:?}");
    let query = embedder.embed_queries(&["why the river"]).unwrap().remove(0);
    let mut brute: Vec<(i64, f32)> = all.ids().iter().map(|&id| (id, all.similarity(id, &query).unwrap())).collect();
    brute.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let top = all.top_k(&query, 3);
    assert_eq!(top, brute[..3].to_vec());
    for (id, similarity) in top {
        let stored = store.vectors_for(&model, &[id]).unwrap().remove(0).1;
        assert!((qabot::store::dot(&stored, &query) - similarity).abs() < 0.01, "pair {id}");
    }
}

#[test]
fn a_passage_changed_while_embedding_is_not_stored() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = db.store();
    let model = embedder.identity().to_string();
    let passages = store.passages_missing(&model, 0, 2, pair_passage).unwrap();
    let vectors_made = embedder.embed_passages(&[&passages[0].text, &passages[1].text]).unwrap();
    let first = passages[0].pair_id;
    store.connection().execute("UPDATE pairs SET question = 'edited meanwhile' WHERE id = ?1", [first]).unwrap();
    let rows: Vec<_> = passages.into_iter().zip(vectors_made).collect();
    assert_eq!(store.put_vectors(&model, &rows, pair_passage).unwrap(), 1);
    assert!(!has_vector(&store, first));
}

#[test]
fn vectors_of_another_model_are_detected_and_never_mixed() {
    let db = TempDb::new();
    let models = db.dir.path().join("models");
    let (_a, first) = tiny_model(&models, "first");
    let (second_dir, second) = tiny_model(&models, "second");
    let mut store = embedded_store(&db, &first);
    let a = first.identity().to_string();
    let b = second.identity().to_string();
    assert_eq!(VectorState::of(&store, &a).unwrap(), VectorState::Ready);
    let state = VectorState::of(&store, &b).unwrap();
    assert!(matches!(state, VectorState::OtherModel { .. }));
    let note = state.note(&b).unwrap();
    assert!(note.contains(&a) && note.contains("qabot embed") && note.contains("lexical"), "{note}");
    // Filling with the second model refuses; `qabot embed` with it replaces everything.
    let err = embed::fill_missing(&mut store, &second, None, false).unwrap_err();
    assert!(format!("{err:#}").contains(&a));
    let mut out = Vec::new();
    embed::run(&mut store, Some(&second_dir), None, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("deleted") && out.contains("every pair has a vector"), "{out}");
    assert_eq!(store.vector_models().unwrap().len(), 1);
    assert_eq!(VectorState::of(&store, &b).unwrap(), VectorState::Ready);
    assert!(store.all_vectors(&a).unwrap().is_empty());
    let pairs = count(&store, "SELECT count(*) FROM pairs");
    assert_eq!(count(&store, &format!("SELECT count(*) FROM answer_vectors WHERE model = '{b}'")), pairs);
}

#[test]
fn vectors_of_text_built_by_another_recipe_are_stale_and_re_embedded() {
    let db = TempDb::new();
    let (folder, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = embedded_store(&db, &embedder);
    let current = embedder.identity().to_string();
    // The same model's vectors as tagged before recipes were recorded (raw text, `name@hash`).
    let identity = embedder.identity();
    let older = format!("{}@{}", identity.name, identity.hash);
    for table in ["pair_vectors", "question_vectors"] {
        store.connection().execute(&format!("UPDATE {table} SET model = ?1"), [&older]).unwrap();
    }
    let state = VectorState::of(&store, &current).unwrap();
    assert_eq!(state, VectorState::OtherModel { others: vec![(older.clone(), vectors(&store))] });
    assert!(state.note(&current).unwrap().contains("qabot embed"));
    let mut out = Vec::new();
    embed::run(&mut store, Some(&folder), None, &mut out).unwrap();
    assert_eq!(VectorState::of(&store, &current).unwrap(), VectorState::Ready);
    assert!(store.all_vectors(&older).unwrap().is_empty());
}

#[test]
fn embedding_resumes_where_it_stopped() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = db.store();
    let pairs = count(&store, "SELECT count(*) FROM pairs");
    let model = embedder.identity().to_string();
    let report = embed::fill_missing(&mut store, &embedder, Some(3), false).unwrap();
    assert_eq!((report.embedded, report.missing), (3, pairs - 3));
    assert_eq!(VectorState::of(&store, &model).unwrap(), VectorState::Partial { missing: pairs - 3 });
    // A new connection (as after an interrupted process) sees what was committed.
    drop(store);
    let mut store = db.store();
    assert_eq!(vectors(&store), 3);
    let report = embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    assert_eq!((report.embedded as i64, report.missing), (pairs - 3, 0));
}

#[test]
fn the_model_command_records_shows_and_forgets_a_folder() {
    let db = TempDb::new();
    let (folder, embedder) = tiny_model(db.dir.path(), "tiny-e5");
    let folder = folder.to_str().unwrap();
    let out = db.qabot(&["model"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("lexical only"));
    let out = db.qabot(&["model", folder]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&embedder.identity().to_string()) && text.contains("qabot embed"), "{text}");
    let out = db.qabot(&["embed", "--limit", "2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("embedded 2 pairs") && text.contains("run `qabot embed` again"), "{text}");
    let out = db.qabot(&["embed"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("every pair has a vector"));
    let out = db.qabot(&["model"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(recorded)") && text.contains("every pair has a vector"), "{text}");
    // Asking works with the recorded model and its vectors.
    assert!(db.qabot(&["ask", "--no-log", "微软为什么投资 OpenAI?"]).status.success());
    let out = db.qabot(&["model", "--clear"]);
    assert!(out.status.success());
    let out = db.qabot(&["embed"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no model") && err.contains("--model"), "{err}");
}

#[test]
fn load_with_a_model_embeds_the_new_pairs_after_committing() {
    let db = TempDb::new();
    let (folder, embedder) = tiny_model(db.dir.path(), "m");
    let file = db.file("boats.json", INTERVIEW_V1);
    let out = db.qabot(&["--model", folder.to_str().unwrap(), "load", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = db.store();
    // Every pair, the bundled interview's included, has a vector now.
    assert_eq!(VectorState::of(&store, &embedder.identity().to_string()).unwrap(), VectorState::Ready);
    // A model folder that vanished: the load still succeeds, with a warning.
    std::fs::write(&file, INTERVIEW_V2).unwrap();
    let gone = db.dir.path().join("gone");
    let out = db.qabot(&["--model", gone.to_str().unwrap(), "load", file.to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loaded, but not embedded") && err.contains("does not exist"), "{err}");
}

#[test]
fn without_a_model_nothing_changes() {
    let db = TempDb::new();
    let file = db.file("boats.json", INTERVIEW_V1);
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("embed"));
    let out = db.qabot(&["ask", "--no-log", "why boats"]);
    assert!(out.status.success());
    assert_eq!(vectors(&db.store()), 0);
}

#[test]
fn an_empty_model_variable_means_no_model() {
    let db = TempDb::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qabot"))
        .args(["embed"])
        .env("QABOT_DB", &db.path)
        .env("QABOT_MODEL", "")
        .env_remove("TELOXIDE_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no model: give a model folder"), "{err}");
}

/// Questions for the `ask` tests: one close to a stored question, one sharing no word with any.
const ASKED: &str = "微软为什么投资 OpenAI?\nzebra quilt\n";

/// `qabot ask --json` of [`ASKED`], with `model` when given: the answers, and standard error.
fn ask_json(db: &TempDb, model: Option<&Path>) -> (Vec<serde_json::Value>, String) {
    let mut args = Vec::new();
    if let Some(m) = model {
        args.extend(["--model", m.to_str().unwrap()]);
    }
    args.extend(["ask", "--json", "--no-log"]);
    let out = db.qabot_stdin(&args, ASKED);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    (stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect(), err)
}

#[test]
fn ask_with_a_model_matches_by_meaning_with_the_databases_vectors() {
    let db = TempDb::new();
    let (folder, _) = tiny_model(db.dir.path(), "m");
    assert!(db.qabot(&["--model", folder.to_str().unwrap(), "embed"]).status.success());
    let (words, _) = ask_json(&db, None);
    let (meaning, err) = ask_json(&db, Some(&folder));
    assert!(!err.contains("note"), "{err}");
    // Ranked with the vectors, confidence is the probability learnt with meaning, not the
    // hand-made lexical one.
    assert_ne!(words[0]["confidence"], meaning[0]["confidence"], "{words:?}\n{meaning:?}");
    // Nothing shares a word with the second question, but the nearest pairs by meaning are close
    // questions, not examples.
    assert_eq!(words[1]["suggestions_are_examples"], true, "{:?}", words[1]);
    assert_eq!(meaning[1]["suggestions_are_examples"], false, "{:?}", meaning[1]);
}

#[test]
fn ask_without_usable_vectors_says_so_once_and_matches_by_words() {
    let db = TempDb::new();
    let models = db.dir.path().join("models");
    let (first, _) = tiny_model(&models, "first");
    let (second, _) = tiny_model(&models, "second");
    drop(db.store());
    let (words, err) = ask_json(&db, None);
    assert_eq!(err, "");
    // No vectors yet.
    let (answers, err) = ask_json(&db, Some(&first));
    assert_eq!(answers, words);
    assert_eq!(err.matches("note:").count(), 1, "{err}");
    assert!(err.contains("have no vector") && err.contains("qabot embed"), "{err}");
    // Vectors of another model.
    assert!(db.qabot(&["--model", first.to_str().unwrap(), "embed"]).status.success());
    let (answers, err) = ask_json(&db, Some(&second));
    assert_eq!(answers, words);
    assert_eq!(err.matches("note:").count(), 1, "{err}");
    assert!(err.contains("only lexical matching") && err.contains("qabot embed"), "{err}");
}

fn question_vectors(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM question_vectors")
}

fn has_question_vector(store: &Store, pair: i64) -> bool {
    count(store, &format!("SELECT count(*) FROM question_vectors WHERE pair_id = {pair}")) == 1
}

#[test]
fn every_pair_gets_its_question_embedded_as_a_question() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let store = embedded_store(&db, &embedder);
    let model = embedder.identity().to_string();
    assert_eq!(question_vectors(&store), count(&store, "SELECT count(*) FROM pairs"));
    let (id, question): (i64, String) = store
        .connection()
        .query_row("SELECT id, question FROM pairs ORDER BY id LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    // The vector is the model's `query: ` embedding of the stored question alone, so the question
    // asked word for word is at similarity 1 with it.
    let asked = embedder.embed_queries(&[&question]).unwrap().remove(0);
    let got = store.question_vector_similarities(&model, &asked, &[id, -5]).unwrap();
    assert_eq!(got.len(), 1, "pairs without a vector are left out");
    assert_eq!(got[0].0, id);
    assert!((got[0].1 - 1.0).abs() < 1e-4, "{got:?}");
    // Plain little-endian f32 BLOBs, like the passage vectors.
    let blob: Vec<u8> = store
        .connection()
        .query_row("SELECT vector FROM question_vectors WHERE pair_id = ?1", [id], |r| r.get(0))
        .unwrap();
    assert_eq!(blob.len(), 4 * embedder.dim());
    assert!((f32::from_le_bytes(blob[..4].try_into().unwrap()) - asked[0]).abs() < 1e-5);
    // Another model's question vectors are not read.
    assert!(store.question_vector_similarities("another model", &asked, &[id]).unwrap().is_empty());
}

#[test]
fn question_vectors_follow_sql_edits_of_the_question_only() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let store = embedded_store(&db, &embedder);
    let total = question_vectors(&store);
    let conn = store.connection();
    conn.execute("UPDATE pairs SET question = 'why the river' WHERE id = 1", []).unwrap();
    // An answer or an alternate changes the passage, not the stored question.
    conn.execute("UPDATE turns SET text = text || '!' WHERE pair_id = 2 AND position = 1", []).unwrap();
    conn.execute("INSERT INTO alternates(pair_id, text) VALUES (3, 'another way to ask')", []).unwrap();
    assert!(!has_question_vector(&store, 1));
    assert!(has_question_vector(&store, 2) && has_question_vector(&store, 3));
    assert!(!has_vector(&store, 2) && !has_vector(&store, 3));
    conn.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM pairs WHERE id = 4; PRAGMA foreign_keys = ON;").unwrap();
    assert!(!has_question_vector(&store, 4));
    assert_eq!(question_vectors(&store), total - 2);
    // A pair missing either vector counts as missing, and the next fill restores both.
    let model = embedder.identity().to_string();
    assert_eq!(store.missing_vectors(&model).unwrap(), 3);
    let mut store = store;
    let report = embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    assert_eq!((report.embedded, report.missing), (3, 0));
    assert_eq!(question_vectors(&store), total - 1);
}

#[test]
fn replacing_and_removing_interviews_keep_question_vectors_in_step() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = embedded_store(&db, &embedder);
    let bundled = question_vectors(&store);
    let file = db.file("boats.json", INTERVIEW_V1);
    load_cmd::run(&mut store, std::slice::from_ref(&file), &LoadOptions::default()).unwrap();
    embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    assert_eq!(question_vectors(&store), bundled + 2);
    std::fs::write(&file, INTERVIEW_V2).unwrap();
    load_cmd::run(&mut store, &[file], &LoadOptions::default()).unwrap();
    assert_eq!(question_vectors(&store), bundled);
    assert!(store.remove("boats").unwrap());
    assert_eq!(count(&store, "SELECT count(*) FROM question_vectors WHERE pair_id NOT IN (SELECT id FROM pairs)"), 0);
}

#[test]
fn a_question_changed_while_embedding_is_not_stored() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = db.store();
    let model = embedder.identity().to_string();
    let questions = store.questions_missing(&model, 0, 2).unwrap();
    let made = embedder.embed_queries(&[&questions[0].text, &questions[1].text]).unwrap();
    let first = questions[0].pair_id;
    store.connection().execute("UPDATE pairs SET question = 'edited meanwhile' WHERE id = ?1", [first]).unwrap();
    let rows: Vec<_> = questions.into_iter().zip(made).collect();
    assert_eq!(store.put_question_vectors(&model, &rows).unwrap(), 1);
    assert!(!has_question_vector(&store, first));
}

#[test]
fn a_version_3_database_gets_question_vectors_at_the_next_embed() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let model = embedder.identity().to_string();
    let mut store = embedded_then_migrated(&db, &embedder, common::downgrade_to_v3);
    // The passage vectors stay; the question vectors are missing until the next embed.
    let pairs = count(&store, "SELECT count(*) FROM pairs");
    assert_eq!(vectors(&store), pairs);
    assert_eq!(VectorState::of(&store, &model).unwrap(), VectorState::Partial { missing: pairs });
    let report = embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    assert_eq!((report.embedded as i64, report.missing), (pairs, 0));
    assert_eq!((vectors(&store), question_vectors(&store)), (pairs, pairs));
}

fn answer_vectors(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM answer_vectors")
}

fn has_answer_vectors(store: &Store, pair: i64) -> bool {
    count(store, &format!("SELECT count(*) FROM answer_vectors WHERE pair_id = {pair}")) == 1
}

const LONG_ANSWER: &str = r#"{"title": "River boats", "slug": "boats", "pairs": [
  {"question": "why boats", "turns": [{"speaker": "Ann Lee", "text": "PLACEHOLDER"}]},
  {"question": "no words", "turns": [{"speaker": "Ann Lee", "text": "…"}]}]}"#;

/// A long answer is stored as several chunk vectors in one plain BLOB, each the model's passage
/// embedding of its chunk, and the nearest chunk is what a question is compared with: a question
/// about the last sentence finds it at similarity 1.
#[test]
fn every_answer_is_embedded_in_chunks_and_read_by_its_nearest_chunk() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = embedded_store(&db, &embedder);
    let model = embedder.identity().to_string();
    assert_eq!(answer_vectors(&store), count(&store, "SELECT count(*) FROM pairs"));
    let sentences: Vec<String> =
        (0..40).map(|i| format!("The river bend number {i} is where the boats turn.")).collect();
    let file = db.file("boats.json", LONG_ANSWER.replace("PLACEHOLDER", &sentences.join(" ")));
    load_cmd::run(&mut store, &[file], &LoadOptions::default()).unwrap();
    assert_eq!(embed::fill_missing(&mut store, &embedder, None, false).unwrap().missing, 0);
    let id: i64 = count(&store, "SELECT id FROM pairs WHERE question = 'why boats'");
    let text = qabot::search::Corpus::pair_texts(&mut store, &[id]).unwrap().remove(0).1;
    let chunks = qabot::embed::recipe::pair_answer_chunks(&text);
    assert!(chunks.len() >= 2, "{chunks:?}");
    let (stored, dim, blob): (i64, i64, Vec<u8>) = store
        .connection()
        .query_row("SELECT chunks, dim, vectors FROM answer_vectors WHERE pair_id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(
        (stored as usize, dim as usize, blob.len()),
        (chunks.len(), embedder.dim(), 4 * embedder.dim() * chunks.len())
    );
    let last = chunks.last().unwrap();
    let made = embedder.embed_passages(&[last]).unwrap().remove(0);
    let offset = 4 * embedder.dim() * (chunks.len() - 1);
    assert!((f32::from_le_bytes(blob[offset..offset + 4].try_into().unwrap()) - made[0]).abs() < 1e-5);
    let got = store.answer_vector_similarities(&model, &made, &[id, -5]).unwrap();
    assert_eq!(got.len(), 1, "pairs without answer vectors are left out");
    assert!((got[0].1 - 1.0).abs() < 1e-4, "{got:?}");
    // A row of no chunks (an answer with no text) is embedded, but never near anything.
    let other: i64 = count(&store, "SELECT id FROM pairs WHERE question = 'no words'");
    store
        .connection()
        .execute("UPDATE answer_vectors SET chunks = 0, vectors = x'' WHERE pair_id = ?1", [other])
        .unwrap();
    assert!(store.answer_vector_similarities(&model, &made, &[other]).unwrap().is_empty());
    assert!(store.answer_vector_similarities("another model", &made, &[id]).unwrap().is_empty());
}

/// Answer vectors follow edits of the answer made with SQL (not of the question), deletions,
/// replacing loads and removals; the next fill restores what is missing.
#[test]
fn answer_vectors_follow_edits_of_the_answer_replace_and_remove() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = embedded_store(&db, &embedder);
    let total = answer_vectors(&store);
    let conn = store.connection();
    conn.execute("UPDATE pairs SET question = 'why the river' WHERE id = 1", []).unwrap();
    conn.execute("UPDATE turns SET text = text || '!' WHERE pair_id = 2 AND position = 1", []).unwrap();
    conn.execute("DELETE FROM turns WHERE pair_id = 3 AND position = 1", []).unwrap();
    conn.execute("INSERT INTO alternates(pair_id, text) VALUES (4, 'another way to ask')", []).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM pairs WHERE id = 5; PRAGMA foreign_keys = ON;").unwrap();
    assert!(has_answer_vectors(&store, 1) && has_answer_vectors(&store, 4), "the answer did not change");
    assert!(!has_answer_vectors(&store, 2) && !has_answer_vectors(&store, 3));
    assert_eq!(answer_vectors(&store), total - 3);
    let report = embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    assert_eq!(report.missing, 0);
    assert_eq!(answer_vectors(&store), total - 1);
    let file = db.file("boats.json", INTERVIEW_V1);
    load_cmd::run(&mut store, std::slice::from_ref(&file), &LoadOptions::default()).unwrap();
    embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    assert_eq!(answer_vectors(&store), total + 1);
    std::fs::write(&file, INTERVIEW_V2).unwrap();
    load_cmd::run(&mut store, &[file], &LoadOptions::default()).unwrap();
    assert_eq!(answer_vectors(&store), total - 1, "the replaced pairs' answer vectors are gone");
    assert!(store.remove("boats").unwrap());
    assert_eq!(count(&store, "SELECT count(*) FROM answer_vectors WHERE pair_id NOT IN (SELECT id FROM pairs)"), 0);
}

#[test]
fn an_answer_changed_while_embedding_is_not_stored() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let mut store = db.store();
    let model = embedder.identity().to_string();
    let answers = store.answers_missing(&model, 0, 2, pair_answer_chunks).unwrap();
    let made: Vec<Vec<Vec<f32>>> = answers
        .iter()
        .map(|a| embedder.embed_passages(&a.chunks.iter().map(String::as_str).collect::<Vec<_>>()).unwrap())
        .collect();
    let first = answers[0].pair_id;
    store.connection().execute("UPDATE turns SET text = 'edited meanwhile' WHERE pair_id = ?1", [first]).unwrap();
    let rows: Vec<_> = answers.into_iter().zip(made).collect();
    assert_eq!(store.put_answer_vectors(&model, &rows, pair_answer_chunks).unwrap(), 1);
    assert!(!has_answer_vectors(&store, first));
}

/// A database of schema version 5 (passage and question vectors, no answer vectors) is migrated
/// to the schema of a new one; its vectors stay and the answers are embedded at the next fill.
#[test]
fn a_version_5_database_gets_answer_vectors_at_the_next_embed() {
    let db = TempDb::new();
    let (_dir, embedder) = tiny_model(&db.dir.path().join("models"), "m");
    let model = embedder.identity().to_string();
    let mut store = embedded_then_migrated(&db, &embedder, common::downgrade_to_v5);
    let pairs = count(&store, "SELECT count(*) FROM pairs");
    assert_eq!((vectors(&store), question_vectors(&store), answer_vectors(&store)), (pairs, pairs, 0));
    assert_eq!(VectorState::of(&store, &model).unwrap(), VectorState::Partial { missing: pairs });
    let report = embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    assert_eq!((report.embedded as i64, report.missing), (pairs, 0));
    assert_eq!(answer_vectors(&store), pairs);
}
