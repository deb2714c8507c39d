//! The database as a product: schema properties, the README's SQL examples, the stock `sqlite3`
//! shell, curator edits made with SQL, and concurrent use.

mod common;

use std::process::Command;

use common::{require_sqlite3, TempDb};
use qabot::answer::ask;
use qabot::search::DEFAULT_THRESHOLD;
use qabot::store::{Origin, Seed, Store};

/// The ```sql blocks of README.md, in order.
fn readme_sql() -> Vec<String> {
    let readme = include_str!("../README.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sql") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.push(current.take().unwrap()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn schema_is_versioned_with_foreign_keys_and_wal() {
    let db = TempDb::new();
    let store = db.store();
    let conn = store.connection();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 6);
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 1);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let problems: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(problems, 0);
}

/// Version 5 dropped the postings' index by segment (every load paid for it, one rare clean-up
/// read it): a version 4 database loses it on open and keeps answering.
#[test]
fn a_version_4_database_loses_the_segment_index() {
    let db = TempDb::new();
    drop(db.store());
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    common::downgrade_to_v5(&conn);
    conn.execute_batch("CREATE INDEX postings_segment ON postings(segment); PRAGMA user_version = 4;").unwrap();
    drop(conn);
    let mut store = Store::open(&db.path, Seed::Bundled).unwrap();
    let conn = store.connection();
    assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), 6);
    let left: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'postings_segment'", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0);
    assert!(qabot::answer::ask(&mut store, "微软为什么投资 OpenAI?", 0.5).unwrap().answered);
}

#[test]
fn a_version_1_database_is_migrated_forward_keeping_its_alternates() {
    let db = TempDb::new();
    drop(db.store());
    // Turn the new database back into what version 1 wrote.
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    common::downgrade_to_v2(&conn);
    conn.execute_batch(
        "DROP INDEX interviews_content_hash;
         DROP INDEX interviews_origin;
         ALTER TABLE alternates DROP COLUMN origin;
         INSERT INTO alternates(pair_id, text) VALUES (1, '一个旧版本留下的问法');
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let store = Store::open(&db.path, Seed::Bundled).unwrap();
    let conn = store.connection();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 6);
    let origin: String =
        conn.query_row("SELECT origin FROM alternates WHERE text = '一个旧版本留下的问法'", [], |r| r.get(0)).unwrap();
    assert_eq!(origin, "user");
    let indexed: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'interviews_content_hash'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexed, 1);
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() {
    let db = TempDb::new();
    drop(db.store());
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&db.path, Seed::Bundled).err().unwrap();
    assert!(format!("{err:#}").contains("newer than this qabot"), "{err:#}");
}

#[test]
fn a_foreign_sqlite_file_is_not_touched() {
    let db = TempDb::new();
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.execute("CREATE TABLE mine(x)", []).unwrap();
    drop(conn);
    let err = Store::open(&db.path, Seed::Bundled).err().unwrap();
    assert!(format!("{err:#}").contains("not a qabot one"), "{err:#}");
}

#[test]
fn readme_sql_examples_run_against_the_bundled_database() {
    let blocks = readme_sql();
    assert!(blocks.len() >= 6, "README has SQL examples");
    let db = TempDb::new();
    let store = db.store();
    for block in &blocks {
        let sql = block.trim();
        if sql.to_uppercase().starts_with("SELECT") {
            let mut stmt = store.connection().prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            let rows = stmt.query_map([], |_| Ok(())).unwrap().count();
            assert!(rows > 0, "README example returns rows: {sql}");
        } else {
            store.connection().execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

#[test]
fn readme_sql_examples_run_in_the_sqlite3_shell() {
    require_sqlite3();
    let db = TempDb::new();
    drop(db.store());
    for block in readme_sql() {
        let out = Command::new("sqlite3").arg("-bail").arg(&db.path).arg(block.trim()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "sqlite3 ran `{}`: {err}", block.trim());
    }
    let out = Command::new("sqlite3").arg(&db.path).arg("SELECT count(*) FROM qa;").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "14");
}

#[test]
fn every_table_and_view_reads_in_the_sqlite3_shell() {
    require_sqlite3();
    let db = TempDb::new();
    let store = db.store();
    let names: Vec<String> = store
        .connection()
        .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(names.len() >= 15, "{names:?}");
    drop(store);
    for name in names {
        let out = Command::new("sqlite3")
            .arg("-bail")
            .arg(&db.path)
            .arg(format!("SELECT * FROM \"{name}\" LIMIT 3;"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "sqlite3 reads {name}: {err}");
    }
}

#[test]
fn alternates_added_with_sql_are_searchable() {
    let db = TempDb::new();
    let mut store = db.store();
    let question = "哪个更缺:显卡还是发电厂?";
    let before = ask(&mut store, question, DEFAULT_THRESHOLD).unwrap();
    assert!(before.confidence < 0.9, "{}", before.confidence);
    // A curator working in another process (here: another connection) adds a phrasing.
    let curator = rusqlite::Connection::open(&db.path).unwrap();
    curator.execute("INSERT INTO alternates(pair_id, text) VALUES (8, ?1)", [question]).unwrap();
    drop(curator);
    let after = ask(&mut store, question, DEFAULT_THRESHOLD).unwrap();
    assert!(after.answered);
    assert_eq!(after.matched.unwrap().position, 8);
    assert!(after.confidence > 0.9, "{}", after.confidence);
    // Deleting it takes it out of the index again.
    let curator = rusqlite::Connection::open(&db.path).unwrap();
    curator.execute("DELETE FROM alternates WHERE text = ?1", [question]).unwrap();
    drop(curator);
    let gone = ask(&mut store, question, DEFAULT_THRESHOLD).unwrap();
    assert!(gone.confidence < 0.9, "{}", gone.confidence);
    let queued: i64 = store.connection().query_row("SELECT count(*) FROM index_queue", [], |r| r.get(0)).unwrap();
    assert_eq!(queued, 0);
}

#[test]
fn speaker_aliases_added_with_sql_are_recognised() {
    let db = TempDb::new();
    let mut store = db.store();
    store
        .connection()
        .execute("INSERT INTO speaker_aliases(alias, speaker_id) SELECT 'Sammy', id FROM speakers WHERE name = '山姆·奥特曼'", [])
        .unwrap();
    let ranking = {
        store.refresh().unwrap();
        qabot::search::rank(&mut store, "Sammy怎么看 AGI").unwrap()
    };
    assert_eq!(ranking.query.speakers.len(), 1);
    assert_eq!(ranking.ranked[0].features.speaker_match, Some(1.0));
}

#[test]
fn readers_and_a_writer_never_see_database_is_locked() {
    let db = TempDb::new();
    drop(db.store());
    let path = db.path.clone();
    let battery = include_str!("data/battery-interview.zh.txt");
    let writer = std::thread::spawn({
        let path = path.clone();
        move || {
            let mut store = Store::open(&path, Seed::Bundled).unwrap();
            for i in 0..15 {
                let parsed =
                    qabot::transcript::parse_bytes(battery.as_bytes(), qabot::transcript::Format::Text, "b").unwrap();
                let mut iv = parsed.interviews[0].1.clone();
                iv.slug = Some(format!("battery-{}", i % 3));
                iv.title = format!("{} #{i}", iv.title);
                let origin = Origin { path: "battery.txt".into(), stem: "battery".into() };
                store.load(&[iv], &origin, false).unwrap();
            }
        }
    });
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path, Seed::Bundled).unwrap();
                for _ in 0..30 {
                    let answer = ask(&mut store, "将来算力会过剩吗", DEFAULT_THRESHOLD).unwrap();
                    assert!(answer.answered);
                    qabot::answer::log(&store, "cli", &answer);
                    let answer = ask(&mut store, "固态电池什么时候装车", DEFAULT_THRESHOLD).unwrap();
                    // Either before the first load or after: never a half-loaded interview.
                    if let Some(m) = answer.matched {
                        assert!(!m.turns.is_empty());
                    }
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
    let store = Store::open(&path, Seed::Bundled).unwrap();
    assert_eq!(store.interviews().unwrap().len(), 4);
    let logged: i64 = store.connection().query_row("SELECT count(*) FROM query_log", [], |r| r.get(0)).unwrap();
    assert_eq!(logged, 90);
}

#[test]
fn speakers_merge_by_alias_but_declared_names_never_merge_people() {
    let db = TempDb::new();
    let mut store = db.empty_store();
    let load = |store: &mut Store, json: &str, stem: &str| {
        let iv: qabot::transcript::Interview = serde_json::from_str(json).unwrap();
        store.load(&[iv], &Origin { path: format!("{stem}.json"), stem: stem.into() }, false).unwrap()
    };
    load(
        &mut store,
        r#"{"title":"A","speakers":[{"name":"Ada Byron","aliases":["Ada","Byron"]}],
            "pairs":[{"question":"Q1?","turns":[{"speaker":"Ada Byron","text":"One."}]}]}"#,
        "a",
    );
    // A label using an alias is the same person when the title or intro confirms it ...
    let reports = load(
        &mut store,
        r#"{"title":"B: Ada Byron again","pairs":[{"question":"Q2?","turns":[{"speaker":"Byron","text":"Two."}]}]}"#,
        "b",
    );
    assert!(reports[0].new_speakers.is_empty() && reports[0].resembling.is_empty(), "{reports:?}");
    // ... and another person, who the report says resembles her, when nothing does.
    let reports = load(
        &mut store,
        r#"{"title":"B2","pairs":[{"question":"Q2b?","turns":[{"speaker":"Byron","text":"Other."}]}]}"#,
        "b2",
    );
    assert_eq!(reports[0].new_speakers, ["Byron"]);
    assert_eq!(reports[0].resembling[0].existing, "Ada Byron");
    // Another person who is also called Ada stays another person.
    let reports = load(
        &mut store,
        r#"{"title":"C","speakers":[{"name":"Ada Yonath","aliases":["Ada","Yonath"]}],
            "pairs":[{"question":"Q3?","turns":[{"speaker":"Yonath","text":"Three."}]}]}"#,
        "c",
    );
    assert_eq!(reports[0].new_speakers, ["Ada Yonath"]);
    let speakers = store.speakers().unwrap();
    let byron = speakers.iter().find(|s| s.name == "Ada Byron").unwrap();
    assert_eq!(byron.turns, 2);
    assert!(byron.aliases.contains(&"Ada".to_string()));
    let yonath = speakers.iter().find(|s| s.name == "Ada Yonath").unwrap();
    assert_eq!(yonath.turns, 1);
    assert_eq!(yonath.aliases, ["Yonath"]);
}

#[test]
fn a_files_own_speakers_win_over_aliases_from_elsewhere() {
    let db = TempDb::new();
    let mut store = db.store();
    // 山姆 is an alias of 山姆·奥特曼 in the bundled vocabulary; this file says who its 山姆 is.
    let iv: qabot::transcript::Interview = serde_json::from_str(
        r#"{"title":"另一位山姆","speakers":[{"name":"山姆·班克曼","aliases":["山姆"]}],
            "pairs":[{"question":"客户资金去哪了?","turns":[{"speaker":"山姆","text":"我们挪用了客户资金。"}]}]}"#,
    )
    .unwrap();
    let reports = store.load(&[iv], &Origin { path: "sbf.json".into(), stem: "sbf".into() }, false).unwrap();
    assert_eq!(reports[0].new_speakers, ["山姆·班克曼"]);
    let speaker: String = store
        .connection()
        .query_row("SELECT speaker FROM turns_by_speaker WHERE text LIKE '%挪用%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(speaker, "山姆·班克曼");
    // Without a declaration, a known alias attributes the turn when the title confirms who it is,
    // and the load report says so.
    let iv: qabot::transcript::Interview = serde_json::from_str(
        r#"{"title":"短访山姆·奥特曼","pairs":[{"question":"AGI 近了吗?","turns":[{"speaker":"奥特曼","text":"越来越近。"}]}]}"#,
    )
    .unwrap();
    let reports = store.load(&[iv], &Origin { path: "short.json".into(), stem: "short".into() }, false).unwrap();
    assert_eq!(reports[0].attributed, [("奥特曼".to_string(), "山姆·奥特曼".to_string())]);
    assert!(reports[0].new_speakers.is_empty());
}

#[test]
fn a_short_label_nobody_has_is_named_in_full_by_the_title() {
    let db = TempDb::new();
    let mut store = db.empty_store();
    for (title, label, full) in [
        ("A morning with yoga teacher Priya Rao", "Priya", "Priya Rao"),
        ("Robert Smith on the future of defense", "Smith", "Robert Smith"),
        ("面包师杰克·李：凌晨三点的烤箱", "杰克", "杰克·李"),
    ] {
        let json = format!(
            r#"{{"title":"{title}","pairs":[{{"question":"How did it start?","turns":[{{"speaker":"{label}","text":"Slowly."}}]}}]}}"#
        );
        let iv: qabot::transcript::Interview = serde_json::from_str(&json).unwrap();
        let origin = Origin { path: format!("{label}.json"), stem: label.into() };
        let reports = store.load(&[iv], &origin, false).unwrap();
        assert_eq!(reports[0].new_speakers, [full], "{title}");
        let alias: String = store
            .connection()
            .query_row(
                "SELECT alias FROM speaker_aliases JOIN speakers ON speakers.id = speaker_id WHERE name = ?1",
                [full],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(alias, label, "asking by the label still finds them");
    }
}

#[test]
fn deletes_in_a_shell_with_foreign_keys_off_leave_no_ghosts() {
    let db = TempDb::new();
    drop(db.store());
    let shell = rusqlite::Connection::open(&db.path).unwrap();
    shell.pragma_update(None, "foreign_keys", false).unwrap();
    shell.execute("DELETE FROM pairs WHERE position = 10", []).unwrap();
    shell.execute("DELETE FROM interviews", []).unwrap();
    drop(shell);
    let mut store = db.store();
    let orphans: i64 = store
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM pairs) + (SELECT count(*) FROM turns) + (SELECT count(*) FROM postings)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    let answer = ask(&mut store, "将来算力会过剩吗", DEFAULT_THRESHOLD).unwrap();
    assert!(!answer.answered && answer.matched.is_none());
    assert!(answer.suggestions.is_empty(), "{:?}", answer.suggestions);
}

#[test]
fn a_pair_id_beyond_the_index_range_is_reported_not_fatal() {
    let db = TempDb::new();
    drop(db.store());
    let shell = rusqlite::Connection::open(&db.path).unwrap();
    shell
        .execute(
            "INSERT INTO pairs(id, interview_id, position, question) VALUES (5000000000, 1, 99, '巨大的编号?')",
            [],
        )
        .unwrap();
    drop(shell);
    let mut store = db.store();
    assert!(ask(&mut store, "将来算力会过剩吗", DEFAULT_THRESHOLD).unwrap().answered);
}

#[test]
fn synonyms_added_with_sql_change_matching() {
    let db = TempDb::new();
    let mut store = db.store();
    let question = "GPU农场够不够用";
    let before = ask(&mut store, question, DEFAULT_THRESHOLD).unwrap();
    let curator = rusqlite::Connection::open(&db.path).unwrap();
    curator
        .execute_batch(
            "INSERT INTO synonyms(group_id, term, origin) VALUES (5000, 'GPU农场', 'user'), (5000, '算力', 'user');",
        )
        .unwrap();
    drop(curator);
    let after = ask(&mut store, question, DEFAULT_THRESHOLD).unwrap();
    assert!(after.confidence > before.confidence, "{} -> {}", before.confidence, after.confidence);
    assert!(after.answered);
    assert!(after.matched.unwrap().question.contains("算力"));
}

/// The stock-shell commands of the README's "Browse and query with other tools" run against a
/// new database, and its figures on full-text search of Chinese hold.
#[test]
fn readme_tool_commands_run_in_the_sqlite3_shell() {
    require_sqlite3();
    let db = TempDb::new();
    drop(db.store());
    let readme = include_str!("../README.md");
    let section = readme.split("### Browse and query with other tools").nth(1).expect("the section");
    let section = section.split("\n## ").next().unwrap();
    let commands: Vec<&str> = section.lines().filter(|l| l.starts_with("sqlite3 ")).collect();
    assert!(!commands.is_empty());
    for line in commands {
        // sqlite3 OPTIONS… PATH "QUERY"
        let (head, query) = line.split_once(" \"").expect("a quoted query");
        let mut options: Vec<&str> = head.split_whitespace().skip(1).collect();
        options.pop();
        let out =
            Command::new("sqlite3").args(&options).arg(&db.path).arg(query.trim_end_matches('"')).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "`{line}`: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 15, "a header and 14 pairs: `{line}`");
    }
    let sql =
        "CREATE VIRTUAL TABLE pairs_fts USING fts5(question, content=pairs, content_rowid=id, tokenize='trigram');
        INSERT INTO pairs_fts(pairs_fts) VALUES('rebuild');
        SELECT (SELECT count(*) FROM pairs_fts WHERE pairs_fts MATCH '算力'),
               (SELECT count(*) FROM pairs_fts WHERE pairs_fts MATCH '算力限制'),
               (SELECT count(*) FROM pairs WHERE question LIKE '%算力%');";
    let out = Command::new("sqlite3").arg(&db.path).arg(sql).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0|1|2", "{}", String::from_utf8_lossy(&out.stderr));
}
