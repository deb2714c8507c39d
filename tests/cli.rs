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
    assert!(db.qabot(&["--no-bundled", "ask", "hello"]).status.success());
    let out = db.qabot(&["sql", "SELECT count(*) FROM pairs"]);
    assert!(stdout(&out).lines().nth(2).unwrap().trim() == "0", "{}", stdout(&out));
}

#[test]
fn reports_refuse_a_missing_database_and_create_nothing() {
    let db = TempDb::new();
    let backup = db.dir.path().join("backup.jsonl");
    for args in [&["export", "--out", backup.to_str().unwrap()][..], &["interviews"], &["speakers"], &["misses"]] {
        let out = db.qabot(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains("no database at"), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--db"), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(std::fs::read_dir(db.dir.path()).unwrap().count(), 0, "no database and no export are created");
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
    // 0 rows at most means no limit, as 0 does for --width and --timeout.
    let text = stdout(&db.qabot(&["sql", "--max-rows", "0", "SELECT position FROM qa"]));
    assert!(text.contains("(14 rows)") && !text.contains("left out"), "{text}");
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
fn a_question_without_answer_is_a_warning_with_its_line_and_an_error_with_strict() {
    let text = format!("{BATTERY}\n\n最后一个问题没有回答?\n");
    let line = text.lines().count();
    let db = TempDb::new();
    let file = db.file("unanswered.txt", text.as_bytes());
    let before = snapshot(&db.store());
    let out = db.qabot(&["load", "--strict", file.to_str().unwrap()]);
    assert!(!out.status.success(), "with --strict a warning fails the load");
    assert!(stderr(&out).contains(&format!("error: {}:{line}:", file.display())), "{}", stderr(&out));
    assert_eq!(snapshot(&db.store()), before, "a failed load leaves the database as it was");
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("warning: {}:{line}:", file.display())) && err.contains("no answer"), "{err}");
    assert!(stdout(&out).contains("loaded"), "the answered pairs load: {}", stdout(&out));
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

#[test]
fn an_empty_qabot_db_counts_as_unset() {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    let out = common::qabot_command()
        .args(["ask", "OpenAI 员工的平均年龄是多少?"])
        .env("QABOT_DB", "")
        .env("XDG_DATA_HOME", &data)
        .env("HOME", db.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("OpenAI"), "{}", stdout(&out));
    if cfg!(target_os = "linux") {
        assert!(data.join("qabot/qabot.db").exists(), "the per-user default was used: {}", stderr(&out));
    }
}

#[test]
fn a_very_long_question_is_quoted_back_shortened() {
    let db = TempDb::new();
    let question = "猫咪喜欢吃什么".repeat(5000);
    let out = db.qabot(&["ask", &question]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.len() < 4000, "{} bytes echoed", text.len());
    assert!(text.contains("猫咪喜欢吃什么猫咪") && text.contains('…'), "{text}");
    let misses = stdout(&db.qabot(&["misses"]));
    assert!(misses.contains("猫咪喜欢吃什么"), "{misses}");
    assert!(misses.lines().all(|l| l.chars().count() < 200), "{misses}");
    // JSON echoes the question as matched: its first 500 characters.
    let json: serde_json::Value = serde_json::from_slice(&db.qabot(&["ask", "--json", &question]).stdout).unwrap();
    assert_eq!(json["query"].as_str().unwrap().chars().count(), 500);
}

/// The question column of `misses`' table rows.
fn miss_rows(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().skip(2).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn misses_leaves_out_punctuation_only_questions_and_limit_0_lists_all() {
    let db = TempDb::new();
    for q in ["?", "\u{FF1F}\u{FF1F}\u{FF1F}", "以太坊明年会涨吗?", "特斯拉的股价会涨吗"] {
        db.qabot(&["ask", q]);
    }
    let rows = miss_rows(&stdout(&db.qabot(&["misses"])));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| !r.is_empty()), "{rows:?}");
    assert_eq!(miss_rows(&stdout(&db.qabot(&["misses", "--limit", "0"]))).len(), 2);
    assert_eq!(miss_rows(&stdout(&db.qabot(&["misses", "--limit", "1"]))).len(), 1);
}

#[test]
fn example_questions_are_offered_without_a_confidence() {
    let db = TempDb::new();
    let text = stdout(&db.qabot(&["ask", "tell me about cats and dogs"]));
    assert!(text.contains("Questions they do answer:"), "{text}");
    assert!(!text.contains("(confidence"), "{text}");
}

#[test]
fn see_also_lists_only_pairs_that_reach_the_threshold() {
    let db = TempDb::new();
    for threshold in ["0.5", "0.9"] {
        let v = json(&db.qabot(&["ask", "--json", "--threshold", threshold, "微软为什么投资 OpenAI?"]));
        assert_eq!(v["answered"], true, "{v}");
        let threshold: f64 = threshold.parse().unwrap();
        for s in v["suggestions"].as_array().unwrap() {
            assert!(s["confidence"].as_f64().unwrap() >= threshold, "{threshold}: {v}");
        }
    }
}

#[test]
fn a_missing_file_is_one_error_and_the_summary_is_aligned() {
    let db = TempDb::new();
    let out = db.qabot(&["load", "nosuch.txt"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nosuch.txt: no such file"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("no interview files"), "no contradicting warning: {}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(rows.len(), 7, "{text}");
    assert!(rows.iter().all(|r| r.chars().count() == rows[0].chars().count()), "numbers end in one column:\n{text}");
}

#[test]
fn a_strict_dry_run_with_a_failure_does_not_claim_files_would_load() {
    let db = TempDb::new();
    let file = db.file("battery.txt", BATTERY);
    let out = db.qabot(&["load", "--strict", "--dry-run", file.to_str().unwrap(), "nosuch.txt"]);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(text.contains("With --strict nothing would be loaded"), "{text}");
    assert!(stderr(&out).contains("nothing would be loaded"), "{}", stderr(&out));
}

#[test]
fn eval_errors_name_the_line_and_column_and_expected_is_required() {
    let db = TempDb::new();
    let good = r#"{"question": "奥特曼怎么看算力", "expected": "算力限制", "kind": "speaker"}"#;
    let file = db.file("q.jsonl", format!("{good}\n\n{{\"question\": 3, \"expected\": null}}\n"));
    let err = stderr(&db.qabot(&["eval", file.to_str().unwrap()]));
    assert!(err.contains("q.jsonl:3:14: invalid type"), "{err}");
    assert!(!err.contains("line 1"), "one line number: {err}");

    // A misspelt key is named, as `load` names one; a missing `expected` is not read as null.
    let file = db.file("q.jsonl", format!("{good}\n{{\"question\": \"天气\", \"expect\": null}}\n"));
    let out = db.qabot(&["eval", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("q.jsonl:2:") && stderr(&out).contains("unknown field `expect`"), "{}", stderr(&out));
    let file = db.file("q.jsonl", format!("{good}\n{{\"question\": \"天气\", \"kind\": \"off-topic\"}}\n"));
    let out = db.qabot(&["eval", file.to_str().unwrap()]);
    assert!(stderr(&out).contains("q.jsonl:2: no `expected`"), "{}", stderr(&out));

    // An `expected` no stored question contains is said, and counted as a miss.
    let typo = r#"{"question": "奥特曼怎么看算力", "expected": "算力限止", "kind": "speaker"}"#;
    let file = db.file("q.jsonl", format!("{good}\n{typo}\n"));
    let out = db.qabot(&["eval", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("no stored question contains the expected `算力限止`"), "{}", stderr(&out));
    assert!(stdout(&out).contains("top-1 0.500 (1/2)"), "{}", stdout(&out));

    let file = db.file("q.jsonl", format!("{good}\n"));
    let text = stdout(&db.qabot(&["eval", file.to_str().unwrap()]));
    assert!(text.contains(" · 1 question · "), "{text}");
}

/// The field names of a JSON value, in the notation of `ask --help`.
fn shape(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let fields: Vec<String> =
                map.iter()
                    .map(|(k, v)| {
                        if v.is_object() || v.is_array() {
                            format!("\"{k}\": {}", shape(v))
                        } else {
                            format!("\"{k}\"")
                        }
                    })
                    .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.first().map(shape).unwrap_or_default()),
        _ => String::new(),
    }
}

#[test]
fn ask_help_shows_the_shape_ask_json_prints() {
    let db = TempDb::new();
    let v = json(&db.qabot(&["ask", "--json", "微软为什么投资 OpenAI?"]));
    let help = stdout(&db.qabot(&["ask", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains(&shape(&v)), "{}\nnot in:\n{help}", shape(&v));
}

#[test]
fn explain_prints_no_rust_debug_output() {
    let db = TempDb::new();
    let err = stderr(&db.qabot(&["ask", "--explain", "奥特曼怎么看 AGI?"]));
    assert!(err.contains("candidates:"), "{err}");
    assert!(!err.contains("Some(") && !err.contains("None") && !err.contains("[1]"), "{err}");
}

#[test]
fn typed_questions_get_a_prompt_and_no_rules() {
    use qabot::commands::ask::{run_lines, AskOptions};
    let db = TempDb::new();
    let mut store = db.store();
    let options = AskOptions { json: false, threshold: 0.5, log: false, explain: false };
    let (mut out, mut prompt) = (Vec::new(), Vec::new());
    let input = "微软为什么投资 OpenAI?\n\n将来算力会过剩吗\n";
    run_lines(&mut store, None, input.as_bytes(), &options, &mut out, Some(&mut prompt)).unwrap();
    assert_eq!(String::from_utf8(prompt).unwrap(), "> > > > \n");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.matches("Q: ").count(), 2, "{out}");
    assert!(!out.contains("-----"), "{out}");
}

/// A writer that always fails, like a full disk.
struct Failing;

impl std::io::Write for Failing {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk full"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn commands_report_write_errors() {
    use qabot::commands::info;
    let db = TempDb::new();
    let store = db.store();
    assert!(info::interviews(&store, &mut Failing).is_err());
    assert!(info::speakers(&store, &mut Failing).is_err());
    assert!(info::misses(&store, 0.65, 20, false, &mut Failing).is_err());
    assert!(info::export(&store, None, &mut Failing).is_err());
}

#[test]
fn the_example_evaluation_file_runs_as_the_readme_says() {
    let db = TempDb::new();
    let out = db.qabot(&["eval", concat!(env!("CARGO_MANIFEST_DIR"), "/eval/example.jsonl")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("top-1 1.000 (12/12)") && text.contains("declined 4/4"), "{text}");
    assert!(text.contains(" · 16 questions · "), "{text}");
}
