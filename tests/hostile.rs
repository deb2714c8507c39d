//! Files a load should never hang on or exhaust memory with, and folders it cannot fully read.

mod common;

use common::{stderr, stdout, TempDb};

const GOOD: &str = "---\ntitle: 小测试\nspeakers: 张伟\n---\n\n问:芯片国产化还要多久?\n\n答:至少五年。\n";

#[test]
fn files_over_the_size_limit_are_refused_before_reading() {
    let db = TempDb::new();
    let big = db.file("big.txt", GOOD.repeat(20));
    let out = db.qabot(&["load", "--max-file-size", "1K", big.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("larger than the limit of 1 KB"), "{}", stderr(&out));
    // A sparse file claiming 2 GB is refused by its size, without reading (or allocating) it.
    let sparse = db.dir.path().join("sparse.txt");
    std::fs::File::create(&sparse).unwrap().set_len(2 << 30).unwrap();
    let out = db.qabot(&["load", sparse.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("the file is 2 GB, larger than the limit of 64 MB"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn pipes_and_devices_are_refused_without_waiting() {
    let db = TempDb::new();
    let folder = db.dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("good.txt"), GOOD).unwrap();
    let fifo = std::ffi::CString::new(folder.join("pipe.txt").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", folder.join("zero.txt")).unwrap();
    let out = db.qabot(&["load", folder.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(!out.status.success(), "what was asked for was not all loaded");
    assert!(err.contains("pipe.txt: not a regular file (a named pipe)"), "{err}");
    assert!(err.contains("zero.txt: not a regular file (a device)"), "{err}");
    assert!(stdout(&out).contains("loaded          1"), "{}", stdout(&out));
}

#[test]
fn personal_data_typed_into_a_question_is_not_logged() {
    let db = TempDb::new();
    let out = db.qabot(&["ask", "我是张三,电话 138-0013-8000,邮箱 zhang.san@example.com,身份证 11010519491231002X"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let logged: String =
        db.store().connection().query_row("SELECT group_concat(query, '|') FROM query_log", [], |r| r.get(0)).unwrap();
    for secret in ["138", "8000", "zhang", "example", "110105"] {
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
    assert!(logged.contains("redacted-number") && logged.contains("redacted-email"), "{logged}");
}

#[test]
fn escape_sequences_in_titles_and_names_never_reach_the_terminal() {
    let db = TempDb::new();
    drop(db.empty_store());
    let json = r#"{"title": "\u001b]0;pwned\u0007\u001b[2J访谈\u202e", "pairs": [{"question": "芯片国产化还要多久?",
        "turns": [{"speaker": "\u001b[31mEVE\u200b", "text": "至少五年\u001b[0m。"}]}]}"#;
    let file = db.file("evil.json", json);
    assert!(db.qabot(&["load", file.to_str().unwrap()]).status.success());
    let stored: (String, String) = db
        .store()
        .connection()
        .query_row("SELECT i.title, s.name FROM interviews i, speakers s WHERE s.name LIKE '%EVE%'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(stored, ("]0;pwned[2J访谈".to_owned(), "[31mEVE".to_owned()), "removed at load");
    // Whatever arrives another way (an SQL edit) is shown escaped.
    db.store().connection().execute("UPDATE interviews SET title = title || char(27) || '[2J'", []).unwrap();
    for args in [&["interviews"][..], &["ask", "芯片国产化还要多久?"], &["sql", "SELECT title FROM interviews"]]
    {
        let out = db.qabot(args);
        let text = stdout(&out);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{args:?}: {text:?}"
        );
    }
    assert!(stdout(&db.qabot(&["interviews"])).contains("\\u{1b}[2J"));
}

#[test]
fn a_damaged_database_is_refused_before_loading_into_it() {
    let db = TempDb::new();
    let file = db.file("a.txt", GOOD);
    let big = db.file("big.jsonl", (0..40).map(|i| format!(
        "{{\"title\": \"访谈{i}\", \"pairs\": [{{\"question\": \"问题{i}是什么?\", \"turns\": [{{\"speaker\": \"张伟\", \"text\": \"{}\"}}]}}]}}\n",
        "很长的回答。".repeat(200)
    )).collect::<String>());
    assert!(db.qabot(&["load", big.to_str().unwrap()]).status.success());
    // Byte flips through the second half of the file (the header and schema stay readable).
    let mut bytes = std::fs::read(&db.path).unwrap();
    for i in (bytes.len() / 2..bytes.len()).step_by(997) {
        bytes[i] ^= 0x5A;
    }
    std::fs::write(&db.path, bytes).unwrap();
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("is damaged") && err.contains("restore a backup"), "{err}");
    assert!(err.contains("qabot export"), "readers still read it: {err}");
}

#[test]
fn a_database_too_damaged_to_open_does_not_send_the_user_to_export() {
    let db = TempDb::new();
    drop(db.store());
    let bytes = std::fs::read(&db.path).unwrap();
    std::fs::write(&db.path, &bytes[..bytes.len().min(20_000)]).unwrap();
    for args in [&["ask", "微软为什么投资 OpenAI?"][..], &["export"]] {
        let out = db.qabot(args);
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("is damaged") && err.contains("restore a backup"), "{args:?}: {err}");
        assert!(!err.contains("`qabot export`"), "export cannot read it either: {err}");
    }
}

#[test]
fn the_database_does_not_keep_the_curators_folders() {
    let db = TempDb::new();
    let file = db.file("private/folder/talk.txt", GOOD);
    assert!(db.qabot(&["load", file.to_str().unwrap()]).status.success());
    let origins: String = db
        .store()
        .connection()
        .query_row("SELECT group_concat(origin, '|') FROM interviews", [], |r| r.get(0))
        .unwrap();
    assert!(origins.contains("talk.txt #") && !origins.contains("private/folder"), "{origins}");
    // The same file is still recognised when loaded again by another path.
    let dotted = db.dir.path().join("private/./folder/talk.txt");
    let out = db.qabot(&["load", dotted.to_str().unwrap()]);
    assert!(stdout(&out).contains("unchanged       1"), "{}", stdout(&out));
}

#[test]
fn the_bundled_interview_repeated_a_hundred_times_in_one_file_parses() {
    // Twice was enough to break it: a sentence with a colon seen twice was taken for a speaker.
    let seed = include_str!("../data/openai-microsoft-interview.zh.txt");
    for copies in [2, 100] {
        let text = vec![seed; copies].join("\n");
        let parsed = qabot::transcript::parse_bytes(text.as_bytes(), qabot::transcript::Format::Text, "seed")
            .unwrap_or_else(|e| panic!("{copies} copies: {e}"));
        assert_eq!(parsed.interviews[0].1.pairs.len(), 14 * copies);
    }
}
