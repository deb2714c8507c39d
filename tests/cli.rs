//! The command line end to end: asking, loading, the embedded default, `sql`, `eval`, `export`.

mod common;

use common::{snapshot, stderr, stdout, TempDb};
use serde_json::Value;

const BATTERY: &str = include_str!("data/battery-interview.zh.txt");

fn json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "qabot failed: {}", stderr(out));
    serde_json::from_str(stdout(out).trim()).unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", stdout(out)))
}

fn is_confidence(v: &Value) -> bool {
    v.as_f64().is_some_and(|c| (0.0..=1.0).contains(&c))
}

#[test]
fn ask_prints_question_turns_and_citation() {
    let db = TempDb::new();
    let out = db.qabot(&["ask", "微软为什么投资 OpenAI?"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Q: "), "{text}");
    assert!(text.contains("萨提亚·纳德拉:"), "{text}");
    assert!(text.contains("OpenAI资本架构重塑与微软深度协作"), "citation names the interview: {text}");
    assert!(text.contains("confidence"), "{text}");
}

#[test]
fn ask_json_when_answered_has_the_documented_shape() {
    let db = TempDb::new();
    let v = json(&db.qabot(&["ask", "--json", "將來算力會過剩嗎\u{FF1F}"]));
    assert_eq!(v["query"], "將來算力會過剩嗎\u{FF1F}");
    assert_eq!(v["answered"], true);
    assert!(is_confidence(&v["confidence"]));
    let m = &v["match"];
    assert!(m["pair_id"].is_i64());
    assert!(m["interview"]["id"].is_i64());
    assert!(m["interview"]["title"].is_string());
    assert_eq!(m["position"], 8);
    assert!(m["question"].as_str().unwrap().contains("算力限制"));
    let turns = m["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0]["speaker"], "山姆·奥特曼");
    assert_eq!(turns[1]["speaker"], "萨提亚·纳德拉");
    assert!(turns.iter().all(|t| t["text"].as_str().is_some_and(|s| !s.is_empty())));
    for s in v["suggestions"].as_array().unwrap() {
        assert!(s["pair_id"].is_i64() && s["question"].is_string() && is_confidence(&s["confidence"]));
    }
}

#[test]
fn ask_json_when_not_answered_has_null_match_and_suggestions() {
    let db = TempDb::new();
    let v = json(&db.qabot(&["ask", "--json", "明天广州天气如何?"]));
    assert_eq!(v["answered"], false);
    assert!(v["match"].is_null());
    assert!(is_confidence(&v["confidence"]));
    assert!(v["suggestions"].is_array());
    // A vague question gets the closest questions instead of an answer.
    let v = json(&db.qabot(&["ask", "--json", "OpenAI?"]));
    assert_eq!(v["answered"], false);
    assert!(v["match"].is_null());
    let suggestions = v["suggestions"].as_array().unwrap();
    assert!(!suggestions.is_empty() && suggestions.len() <= 3, "{v}");
    for s in suggestions {
        assert!(s["pair_id"].is_i64() && s["question"].is_string() && is_confidence(&s["confidence"]));
    }
}

#[test]
fn ask_text_when_not_answered_says_so_and_lists_closest_questions() {
    let db = TempDb::new();
    let text = stdout(&db.qabot(&["ask", "OpenAI?"]));
    assert!(text.contains("No stored answer is close enough"), "{text}");
    assert!(text.contains("Closest questions:"), "{text}");
}

#[test]
fn ask_reads_one_question_per_line_from_stdin() {
    let db = TempDb::new();
    let out = db.qabot_stdin(
        &["ask", "--json"],
        "将来算力会过剩吗\n\n明天广州天气如何?\nHow much has Microsoft lost on OpenAI?\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "blank lines are skipped");
    assert_eq!(lines[0]["answered"], true);
    assert_eq!(lines[1]["answered"], false);
    assert_eq!(lines[2]["match"]["position"], 14);
}

#[test]
fn the_first_command_creates_the_database_with_the_bundled_interview() {
    let db = TempDb::new();
    let nested = db.dir.path().join("a/b/qabot.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qabot"))
        .args(["--db", nested.to_str().unwrap(), "ask", "--no-log", "微软为什么投资 OpenAI?"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("created a new database"), "{}", stderr(&out));
    assert!(nested.exists());
    let out = db.qabot(&["--db", nested.to_str().unwrap(), "sql", "SELECT count(*) AS n FROM qa"]);
    assert!(stdout(&out).contains("14"), "{}", stdout(&out));
}

#[test]
fn no_bundled_starts_empty() {
    let db = TempDb::new();
    assert!(db.qabot(&["--no-bundled", "interviews"]).status.success());
    let out = db.qabot(&["sql", "SELECT count(*) FROM pairs"]);
    assert!(stdout(&out).lines().nth(2).unwrap().trim() == "0", "{}", stdout(&out));
}

#[test]
fn sql_refuses_a_missing_database_and_creates_nothing() {
    let db = TempDb::new();
    let missing = db.dir.path().join("typo/qabot.db");
    let out = db.qabot(&["--db", missing.to_str().unwrap(), "sql", "SELECT 1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no database at"), "{}", stderr(&out));
    assert!(!missing.parent().unwrap().exists(), "no folder is created");
    let out = db.qabot(&["sql", "SELECT 1"]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_dir(db.dir.path()).unwrap().count(), 0, "no database, -wal or -shm is created");
}

#[test]
fn sql_leaves_no_wal_or_shm_files_and_reads_where_they_cannot_be_made() {
    let db = TempDb::new();
    drop(db.store());
    let side = |suffix: &str| db.dir.path().join(format!("qabot.db{suffix}"));
    assert!(!side("-wal").exists() && !side("-shm").exists(), "a clean close removes them");
    let out = db.qabot(&["sql", "SELECT count(*) FROM pairs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!side("-wal").exists() && !side("-shm").exists(), "sql cleans up after itself");
    // Where SQLite cannot make its -shm file (a read-only folder or mount; simulated with a folder
    // in the way, since permissions do not stop root), the file is still read.
    std::fs::create_dir(side("-shm")).unwrap();
    let out = db.qabot(&["sql", "SELECT count(*) AS n FROM pairs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("14"), "{}", stdout(&out));
}

#[test]
fn sql_prints_a_table_and_refuses_writes() {
    let db = TempDb::new();
    drop(db.store());
    let out = db.qabot(&["sql", "SELECT position, speakers FROM qa WHERE position IN (6, 8) ORDER BY position"]);
    let text = stdout(&out);
    assert!(text.contains("position | speakers"), "{text}");
    assert!(text.contains("山姆·奥特曼, 萨提亚·纳德拉"), "{text}");
    assert!(text.contains("(2 rows)"), "{text}");
    let out = db.qabot(&["sql", "DELETE FROM pairs"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(db.store().pair_total().unwrap(), 14);
    let out = db.qabot(&["sql", "--json", "SELECT position FROM qa WHERE position = 1"]);
    assert_eq!(serde_json::from_str::<Value>(&stdout(&out)).unwrap(), serde_json::json!([{"position": 1}]));
    // Keys keep the SELECT's column order, not alphabetical order.
    let out = db.qabot(&["sql", "--json", "SELECT question, position, interview FROM qa WHERE position = 1"]);
    let text = stdout(&out);
    let (q, p, i) =
        (text.find("\"question\"").unwrap(), text.find("\"position\"").unwrap(), text.find("\"interview\"").unwrap());
    assert!(q < p && p < i, "{text}");
}

#[test]
fn loading_the_same_content_twice_changes_nothing() {
    let db = TempDb::new();
    let file = db.file("battery.txt", BATTERY);
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("loaded "), "{}", stdout(&out));
    let before = snapshot(&db.store());
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert_eq!(snapshot(&db.store()), before);
}

#[test]
fn a_changed_version_replaces_the_old_one() {
    let db = TempDb::new();
    let file = db.file("battery.txt", BATTERY);
    db.qabot(&["load", file.to_str().unwrap()]);
    std::fs::write(&file, BATTERY.replace("一千二百座", "两千座")).unwrap();
    let out = db.qabot(&["load", "--dry-run", file.to_str().unwrap()]);
    assert!(stdout(&out).contains("would be replaced"), "{}", stdout(&out));
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(stdout(&out).contains("replaced"), "{}", stdout(&out));
    let store = db.store();
    assert_eq!(store.interviews().unwrap().len(), 2);
    let v = json(&db.qabot(&["ask", "--json", "超充站建了多少座"]));
    assert!(v["match"]["turns"][0]["text"].as_str().unwrap().contains("两千座"), "{v}");
    // The old text is gone from the index too.
    let v = json(&db.qabot(&["ask", "--json", "--no-log", "一千二百座超充站"]));
    assert!(!v["match"].to_string().contains("一千二百座"), "{v}");
}

fn assert_load_fails(name: &str, contents: &[u8], line: usize, expect: &str) {
    let db = TempDb::new();
    let before = snapshot(&db.store());
    let file = db.file(name, contents);
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(!out.status.success(), "loading {name} should fail");
    let err = stderr(&out);
    assert!(err.contains(&format!("{name}:{line}:")), "error names file and line {line}: {err}");
    assert!(err.contains(expect), "error explains ({expect}): {err}");
    assert_eq!(snapshot(&db.store()), before, "a failed load leaves the database as it was");
}

#[test]
fn a_question_without_answer_is_an_error_with_its_line() {
    let text = format!("{BATTERY}\n\n最后一个问题没有回答?\n");
    let line = text.lines().count();
    assert_load_fails("unanswered.txt", text.as_bytes(), line, "no answer");
}

#[test]
fn a_file_without_pairs_is_an_error() {
    assert_load_fails("article.txt", "一篇普通的文章。\n\n没有任何问答。\n".as_bytes(), 1, "no question/answer pairs");
}

#[test]
fn invalid_utf8_is_an_error_with_its_line() {
    let mut bytes = "标题\n\n问题?\n\n甲:回答。\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"\xFF\xFE\xFD broken\n");
    assert_load_fails("broken.txt", &bytes, 6, "not valid text");
}

#[test]
fn a_bad_file_in_a_folder_does_not_stop_the_good_ones_unless_strict() {
    let db = TempDb::new();
    db.file("in/a-battery.txt", BATTERY);
    db.file("in/b-broken.txt", "只是文章。\n");
    db.file(
        "in/c-small.json",
        r#"{"title":"小访谈","pairs":[{"question":"好吗?","turns":[{"speaker":"甲","text":"好。"}]}]}"#,
    );
    db.file("in/notes.pdf", "ignored: unknown extension inside a folder");
    let folder = db.dir.path().join("in");
    let before = snapshot(&db.store());
    let out = db.qabot(&["load", "--strict", folder.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nothing loaded"), "{}", stderr(&out));
    assert_eq!(snapshot(&db.store()), before);

    let out = db.qabot(&["load", folder.to_str().unwrap()]);
    assert!(!out.status.success(), "exit status reports the failure");
    assert!(stderr(&out).contains("b-broken.txt:1:"), "{}", stderr(&out));
    let summary = stdout(&out);
    assert!(summary.contains("loaded          2"), "{summary}");
    assert!(summary.contains("failed          1"), "{summary}");
    assert_eq!(db.store().interviews().unwrap().len(), 3);
}

#[test]
fn export_then_load_round_trips() {
    let db = TempDb::new();
    let file = db.file("battery.txt", BATTERY);
    db.qabot(&["load", file.to_str().unwrap()]);
    db.store()
        .connection()
        .execute("INSERT INTO alternates(pair_id, text) VALUES (15, '固态电池哪年能用上')", [])
        .unwrap();
    let first = db.dir.path().join("export.jsonl");
    let out = db.qabot(&["export", "--out", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let other = TempDb::new();
    let out = other.qabot(&["--no-bundled", "load", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = other.qabot(&["export"]);
    assert_eq!(stdout(&again), std::fs::read_to_string(&first).unwrap());
    assert!(stdout(&again).contains("固态电池哪年能用上"));
    // Loading the same export again changes nothing, in either database.
    let out = other.qabot(&["load", first.to_str().unwrap()]);
    assert!(stdout(&out).contains("unchanged       2"), "{}", stdout(&out));
    let out = db.qabot(&["load", first.to_str().unwrap()]);
    assert!(stdout(&out).contains("unchanged       2"), "{}", stdout(&out));
}

#[test]
fn eval_reports_accuracy_and_misses() {
    let db = TempDb::new();
    let file = db.file("battery.txt", BATTERY);
    db.qabot(&["load", file.to_str().unwrap()]);
    let questions = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ev-questions.jsonl");
    let out = db.qabot(&["eval", questions]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let last: Vec<&str> = text.lines().rev().take(3).collect();
    assert!(last[2].starts_with("in-scope: top-1 1.000 (5/5), top-3 1.000 (5/5), false rejections 0/5"), "{text}");
    assert!(last[1].starts_with("out-of-scope: declined 1/1"), "{text}");
    let v = json(&db.qabot(&["eval", "--json", questions]));
    assert_eq!(v["in_scope"]["n"], 5);
    assert_eq!(v["items"].as_array().unwrap().len(), 6);
    assert!(v["kinds"]["paraphrase"]["n"].as_u64() == Some(4));
    // Evaluation questions are not user questions: they stay out of the query log.
    assert_eq!(common::dump(&db.store(), "SELECT count(*) FROM query_log"), vec![vec!["Integer(0)".to_string()]]);
}

#[test]
fn misses_lists_frequent_unanswered_questions() {
    let db = TempDb::new();
    for q in ["以太坊明年会涨吗?", "以太坊明年会涨吗", "将来算力会过剩吗"] {
        db.qabot(&["ask", q]);
    }
    db.qabot(&["ask", "--no-log", "特斯拉的股价"]);
    let text = stdout(&db.qabot(&["misses"]));
    assert!(text.contains("以太坊明年会涨吗"), "{text}");
    assert!(!text.contains("特斯拉"), "--no-log questions are not recorded: {text}");
    let v: Value = serde_json::from_str(&stdout(&db.qabot(&["misses", "--json"]))).unwrap();
    assert_eq!(v[0]["query"], "以太坊明年会涨吗");
    assert_eq!(v[0]["count"], 2);
    let logged = common::dump(&db.store(), "SELECT frontend, answered FROM query_log ORDER BY id");
    assert_eq!(logged.len(), 3);
    assert!(logged.iter().all(|row| row[0] == "Text(\"cli\")"));
}

#[test]
fn help_teaches() {
    let db = TempDb::new();
    let text = stdout(&db.qabot(&["--help"]));
    for needle in ["ask", "load", "sql", "eval", "serve", "Examples:"] {
        assert!(text.contains(needle), "--help mentions {needle}: {text}");
    }
    let text = stdout(&db.qabot(&["ask", "--help"]));
    assert!(text.contains("--json") && text.contains("standard input"), "{text}");
}

#[test]
fn no_progress_bar_when_output_is_piped() {
    let db = TempDb::new();
    for i in 0..6 {
        db.file(
            &format!("many/{i}.json"),
            format!(r#"{{"title":"访谈{i}","pairs":[{{"question":"问题{i}?","turns":[{{"speaker":"甲","text":"回答{i}。"}}]}}]}}"#),
        );
    }
    let out = db.qabot(&["load", db.dir.path().join("many").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains("files") && !err.contains('\r') && !err.contains('\u{1b}'), "no bar on a pipe: {err:?}");
    assert!(stdout(&out).contains("loaded          6"), "{}", stdout(&out));
}

#[test]
fn same_file_names_in_different_folders_do_not_replace_each_other() {
    let db = TempDb::new();
    let a = db.file("a/interview.txt", "甲访谈\n\n火箭什么时候发射?\n\n甲:下个月。\n\n甲:\n\n对。\n");
    let b = db.file("b/interview.txt", "乙访谈\n\n电池能用多久?\n\n乙:十年。\n");
    assert!(db.qabot(&["load", a.to_str().unwrap()]).status.success());
    let out = db.qabot(&["load", b.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("has the identity `interview`") && err.contains("slug"), "{err}");
    let titles: Vec<String> = db.store().interviews().unwrap().into_iter().map(|i| i.title).collect();
    assert!(titles.contains(&"甲访谈".to_string()), "{titles:?}");
    // The same file, edited (even its title), replaces its earlier version.
    std::fs::write(&a, "甲访谈(修订)\n\n火箭什么时候发射?\n\n甲:后天。\n").unwrap();
    let out = db.qabot(&["load", a.to_str().unwrap()]);
    assert!(stdout(&out).contains("replaced"), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn load_reports_empty_folders_missing_paths_and_repeated_files() {
    let db = TempDb::new();
    std::fs::create_dir_all(db.dir.path().join("empty")).unwrap();
    let out = db.qabot(&["load", db.dir.path().join("empty").to_str().unwrap()]);
    assert!(stderr(&out).contains("no interview files"), "{}", stderr(&out));

    let file = db.file("battery.txt", BATTERY);
    let missing = db.dir.path().join("missing.txt");
    let before = snapshot(&db.store());
    let out = db.qabot(&["load", "--strict", file.to_str().unwrap(), missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nothing loaded"), "{}", stderr(&out));
    assert_eq!(snapshot(&db.store()), before);

    // The same file twice, by two spellings of its path, is read once.
    let dotted = db.dir.path().join(".").join("battery.txt");
    let out = db.qabot(&["load", file.to_str().unwrap(), dotted.to_str().unwrap()]);
    assert!(stdout(&out).contains("files           1"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("replaced"), "{}", stderr(&out));
}

#[test]
fn a_dry_run_simulates_files_in_order() {
    let db = TempDb::new();
    let a = db.file(
        "a.json",
        r#"{"title":"版本一","slug":"same","pairs":[{"question":"Q?","turns":[{"speaker":"甲","text":"一。"}]}]}"#,
    );
    let b = db.file(
        "b.json",
        r#"{"title":"版本二","slug":"same","pairs":[{"question":"Q?","turns":[{"speaker":"甲","text":"二。"}]}]}"#,
    );
    let before = snapshot(&db.store());
    let out = db.qabot(&["load", "--dry-run", a.to_str().unwrap(), b.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("would be loaded") && text.contains("would be replaced"), "{text}");
    assert!(text.contains("Dry run: nothing was written."), "{text}");
    assert_eq!(snapshot(&db.store()), before);
}
