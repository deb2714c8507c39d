//! Loading again: what a curator's second, third and renamed loads do to what is stored, and how
//! `ask` reads questions from standard input.

mod common;

use std::path::Path;
use std::process::Output;

use common::{snapshot, stderr, stdout, TempDb};
use serde_json::Value;

/// A small 问/答 interview with front matter.
fn interview(title: &str, source: Option<&str>, speakers: &str, answer: &str) -> String {
    let source = source.map(|s| format!("source: {s}\n")).unwrap_or_default();
    format!(
        "---\ntitle: {title}\n{source}speakers: {speakers}\n---\n\n\
         问:芯片国产化还要多久?\n\n答:{answer}\n\n问:人才从哪里来?\n\n答:主要靠高校联合培养。\n"
    )
}

fn load(db: &TempDb, paths: &[&Path], extra: &[&str]) -> Output {
    let mut args = vec!["load"];
    args.extend_from_slice(extra);
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    db.qabot(&args)
}

fn titles(db: &TempDb) -> Vec<String> {
    let mut titles: Vec<String> = db.store().interviews().unwrap().into_iter().map(|i| i.title).collect();
    titles.sort();
    titles
}

#[test]
fn a_shared_source_that_replaces_another_title_is_warned_about() {
    let db = TempDb::new();
    let a = db.file("zhang.txt", interview("专访张伟:芯片", Some("财新周刊"), "张伟", "至少五年。"));
    let b = db.file("li.txt", interview("专访李娜:网球", Some("财新周刊"), "李娜", "三年。"));
    assert!(load(&db, &[&a], &[]).status.success());
    let out = load(&db, &[&b], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("replaces \u{300C}专访张伟:芯片\u{300D}") && err.contains("财新周刊"), "{err}");
    assert!(err.contains("slug"), "the warning says how to keep both: {err}");
}

#[test]
fn symlinked_folders_are_not_followed_and_broken_links_do_not_fail() {
    let db = TempDb::new();
    let good = db.file("folder/good.txt", interview("专访张伟", None, "张伟", "至少五年。"));
    db.file("elsewhere/other.txt", interview("别处的访谈", None, "李娜", "三年。"));
    let folder = good.parent().unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("..", folder.join("loop")).unwrap();
        std::os::unix::fs::symlink(db.dir.path().join("elsewhere"), folder.join("link")).unwrap();
        std::os::unix::fs::symlink(folder.join("gone.txt"), folder.join("dangling.txt")).unwrap();
    }
    let out = load(&db, &[folder], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("files           1"), "{}", stdout(&out));
    #[cfg(unix)]
    {
        let err = stderr(&out);
        assert!(err.contains("symbolic link to a folder, not followed"), "{err}");
        assert!(err.contains("broken symbolic link"), "{err}");
    }
    assert!(!titles(&db).contains(&"别处的访谈".to_string()));
}

#[test]
fn alternates_added_with_sql_survive_a_replacing_load() {
    let db = TempDb::new();
    let file = db.file("zhang.txt", interview("专访张伟", None, "张伟", "至少五年。"));
    assert!(load(&db, &[&file], &[]).status.success());
    db.store()
        .connection()
        .execute_batch(
            "INSERT INTO alternates(pair_id, text)
               SELECT id, '自研芯片哪年能用上' FROM pairs WHERE question LIKE '%芯片国产化%';
             INSERT INTO alternates(pair_id, text)
               SELECT id, '工程师去哪招' FROM pairs WHERE question LIKE '%人才%';",
        )
        .unwrap();
    // The answer to the first question changes; the second question is reworded.
    let edited = interview("专访张伟", None, "张伟", "至少八年。").replace("人才从哪里来?", "人才缺口怎么补?");
    std::fs::write(&file, edited).unwrap();
    let out = load(&db, &[&file], &[]);
    assert!(stdout(&out).contains("replaced"), "{}", stdout(&out));
    assert!(stdout(&out).contains("kept 1 alternate(s) added with SQL"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("dropped 1 alternate(s)") && stderr(&out).contains("工程师去哪招"),
        "{}",
        stderr(&out)
    );
    let v: Value =
        serde_json::from_str(&stdout(&db.qabot(&["ask", "--json", "--no-log", "自研芯片哪年能用上"]))).unwrap();
    assert_eq!(v["answered"], true, "{v}");
    assert!(v["match"]["turns"][0]["text"].as_str().unwrap().contains("八年"), "{v}");
    let origin: String = db
        .store()
        .connection()
        .query_row("SELECT origin FROM alternates WHERE text = '自研芯片哪年能用上'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(origin, "user");
}

#[test]
fn alternates_from_the_file_follow_the_file() {
    let db = TempDb::new();
    let pair = |alternates: &str| {
        format!(
            r#"{{"title":"访谈","slug":"t","pairs":[{{"question":"电池能用多久?","alternates":[{alternates}],"turns":[{{"speaker":"甲","text":"十年。"}}]}}]}}"#
        )
    };
    let file = db.file("t.json", pair(r#""电池寿命多长""#));
    assert!(load(&db, &[&file], &[]).status.success());
    std::fs::write(&file, pair(r#""电池几年会坏""#)).unwrap();
    assert!(load(&db, &[&file], &[]).status.success());
    let store = db.store();
    let rows: Vec<(String, String)> = store
        .connection()
        .prepare("SELECT text, origin FROM alternates ORDER BY text")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, vec![("电池几年会坏".to_string(), "file".to_string())]);
}

#[test]
fn aliases_declared_later_are_recorded_even_when_the_content_is_unchanged() {
    let db = TempDb::new();
    let file = db.file("lin.txt", interview("专访林晓", None, "林晓 (林总)", "至少五年。"));
    assert!(load(&db, &[&file], &[]).status.success());
    std::fs::write(&file, interview("专访林晓", None, "林晓 (林总, Lin Xiao)", "至少五年。")).unwrap();
    let out = load(&db, &[&file], &[]);
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert!(stdout(&out).contains("new alias: Lin Xiao for 林晓"), "{}", stdout(&out));
    let speakers = stdout(&db.qabot(&["speakers"]));
    assert!(speakers.contains("Lin Xiao"), "{speakers}");
}

#[test]
fn giving_a_loaded_file_a_source_replaces_it_instead_of_copying_it() {
    let db = TempDb::new();
    let file = db.file("lin.txt", interview("专访林晓", None, "林晓", "至少五年。"));
    assert!(load(&db, &[&file], &[]).status.success());
    let before = db.store().interviews().unwrap().len();
    std::fs::write(&file, interview("专访林晓", Some("https://example.com/lin"), "林晓", "至少五年。")).unwrap();
    let out = load(&db, &[&file], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("replaces `lin` from the same file"), "{}", stdout(&out));
    assert_eq!(db.store().interviews().unwrap().len(), before);
}

#[test]
fn the_same_content_under_another_name_or_encoding_is_not_loaded_twice() {
    let db = TempDb::new();
    let text = interview("专访张伟", None, "张伟", "至少五年。");
    let a = db.file("a.txt", &text);
    let crlf = text.replace('\n', "\r\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&crlf);
    let b = db.file("copy-in-gbk.txt", gbk.as_ref());
    let out = load(&db, &[&a, &b], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("same content as the stored interview `a`"), "{}", stdout(&out));
    assert_eq!(titles(&db).iter().filter(|t| *t == "专访张伟").count(), 1);
    // The bundled interview's own file is recognised too.
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/openai-microsoft-interview.zh.txt");
    let before = snapshot(&db.store());
    let out = load(&db, &[&bundled], &[]);
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert_eq!(snapshot(&db.store()), before);
}

#[test]
fn the_same_identity_twice_in_one_run_is_described_truthfully() {
    let db = TempDb::new();
    let text = interview("专访张伟", None, "张伟", "至少五年。");
    let x = db.file("x/a.txt", &text);
    let y = db.file("y/a.txt", &text);
    let out = load(&db, &[&x, &y], &[]);
    let err = stderr(&out);
    assert!(err.contains("and the same content"), "{err}");
    assert!(!err.contains("replaced it"), "{err}");
}

#[test]
fn strict_runs_name_the_failing_file_and_strict_dry_runs_list_every_problem() {
    let db = TempDb::new();
    let a = db.file("a/interview.txt", interview("专访张伟", None, "张伟", "至少五年。"));
    let b = db.file("b/interview.txt", interview("专访李娜", None, "李娜", "三年。"));
    let before = snapshot(&db.store());
    let out = load(&db, &[&a, &b], &["--strict"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("b/interview.txt") && err.contains("nothing loaded"), "{err}");
    assert!(!err.contains("stored interview"), "nothing was stored yet: {err}");
    assert_eq!(snapshot(&db.store()), before);

    let bad1 = db.file("c/bad1.txt", "只有标题\n");
    let bad2 = db.file("c/bad2.json", "{\"title\": 1}");
    let out = load(&db, &[&a, &bad1, &bad2], &["--strict", "--dry-run"]);
    let err = stderr(&out);
    assert!(err.contains("bad1.txt") && err.contains("bad2.json"), "{err}");
    assert!(err.contains("nothing would be loaded"), "{err}");
    assert_eq!(snapshot(&db.store()), before);
}

#[test]
fn a_new_database_is_announced_and_remove_needs_an_existing_one() {
    let db = TempDb::new();
    let out = db.qabot(&["ask", "OpenAI 员工的平均年龄是多少?"]);
    assert!(stderr(&out).contains("note: created a new database"), "{}", stderr(&out));
    let out = db.qabot(&["interviews"]);
    assert!(!stderr(&out).contains("created"), "{}", stderr(&out));

    let missing = db.dir.path().join("typo.db");
    let out = common::qabot_command()
        .args(["--db", missing.to_str().unwrap(), "remove", "openai-microsoft-interview"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no database at"), "{}", stderr(&out));
    assert!(!missing.exists());
}

/// Run `ask --json` with raw bytes on standard input.
fn ask_bytes(db: &TempDb, input: &[u8]) -> Output {
    let mut cmd = common::qabot_command();
    cmd.args(["ask", "--json", "--no-log"]).env("QABOT_DB", &db.path);
    common::run_with_input(cmd, input)
}

fn queries(out: &Output) -> Vec<String> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["query"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn stdin_questions_survive_bad_bytes_a_bom_and_old_line_ends() {
    let db = TempDb::new();
    let out = ask_bytes(
        &db,
        "微软亏了多少\n"
            .as_bytes()
            .iter()
            .chain(b"\xff\xfe bad\n")
            .chain("算力够吗\n".as_bytes())
            .copied()
            .collect::<Vec<u8>>()
            .as_slice(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(queries(&out).len(), 3, "{}", stdout(&out));
    assert!(stderr(&out).contains("line 2: not valid UTF-8"), "{}", stderr(&out));

    let out = ask_bytes(&db, "\u{feff}微软亏了多少\r算力够吗\r\n电力够吗\r".as_bytes());
    assert_eq!(queries(&out), vec!["微软亏了多少", "算力够吗", "电力够吗"]);
}

#[test]
fn a_surname_label_is_not_given_to_a_famous_namesake_the_title_rules_out() {
    let db = TempDb::new();
    let file = db.file(
        "gates.txt",
        "Robert Gates on Leading the Pentagon\n\n\
         Interviewer: What was the hardest part of the job?\n\n\
         GATES: Budgets. Every service wanted more than the country could pay for.\n\n\
         Interviewer: Would you do it again?\n\n\
         GATES: Yes, but I would start the reforms in the first year.\n",
    );
    let out = load(&db, &[&file], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Not 比尔·盖茨's words; the report names him only as the person `Gates` resembles.
    assert!(
        stdout(&out).contains("new speaker Robert Gates (labelled `Gates`) is kept apart from 比尔·盖茨"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("is 比尔·盖茨 (known alias)"), "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&db.qabot(&[
        "ask",
        "--json",
        "--no-log",
        "What was the hardest part of the job?",
    ])))
    .unwrap();
    assert_eq!(v["match"]["turns"][0]["speaker"], "Robert Gates", "{v}");

    // The namesake the alias means is recognised when the title or intro confirms it.
    let bill = db.file(
        "bill.txt",
        "Bill Gates on Vaccines and Philanthropy\n\n\
         Interviewer: Why vaccines?\n\n\
         GATES: Because they save the most lives per dollar.\n\n\
         Interviewer: What comes next?\n\n\
         GATES: Malaria.\n",
    );
    let out = load(&db, &[&bill], &[]);
    assert!(stdout(&out).contains("is 比尔·盖茨 (known alias)"), "{}", stdout(&out));
}
