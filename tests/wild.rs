//! Interviews from the wild: layouts seen on real pages, written as small invented fixtures.
//! Local problems are warnings with a line; speakers are named from labels, intros or the
//! command line; label variants of one person are one speaker with aliases.

mod common;

use std::path::PathBuf;

use common::{stderr, stdout, TempDb};
use qabot::transcript::{self, Interview, ParseOptions};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The interview in a fixture and its warnings as (line, message).
fn read(name: &str) -> (Interview, Vec<(usize, String)>) {
    let parsed = transcript::read_file(&fixture(name)).unwrap_or_else(|e| panic!("{e}"));
    let warnings = parsed.warnings.into_iter().map(|w| (w.line, w.message)).collect();
    (parsed.interviews.into_iter().next().expect("one interview").1, warnings)
}

/// (question, speakers of its turns) for every pair.
fn shape(iv: &Interview) -> Vec<(String, Vec<String>)> {
    iv.pairs.iter().map(|p| (p.question.clone(), p.turns.iter().map(|t| t.speaker.clone()).collect())).collect()
}

fn speakers_of(iv: &Interview) -> Vec<String> {
    iv.turn_speakers().into_iter().map(str::to_owned).collect()
}

fn aliases(iv: &Interview) -> Vec<(String, Vec<String>)> {
    iv.speakers.iter().map(|s| (s.name.clone(), s.aliases.clone())).collect()
}

#[test]
fn wen_da_group_interview_names_the_answerer_from_the_intro_and_skips_a_remark() {
    let (iv, warnings) = read("wild_wenda_group_interview.zh.txt");
    assert_eq!(speakers_of(&iv), ["李明"], "`…负责人李明接受了…群访` names who answers");
    let questions: Vec<String> = shape(&iv).into_iter().map(|(q, _)| q).collect();
    assert_eq!(questions, ["折叠屏明年会降价吗？", "海外市场打算怎么做？", "铰链的寿命有多长？"]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, 17, "the remark that draws no answer: {warnings:?}");
    assert!(iv.pairs[1].turns[0].text.ends_with("准备了两年。"), "the caption is not part of the answer");
    assert!(iv.notes.iter().any(|n| n.contains("群访")), "{:?}", iv.notes);
}

#[test]
fn a_headline_dialogue_with_a_company_names_the_answerer() {
    let (iv, warnings) = read("wild_headline_duihua.zh.txt");
    assert_eq!(speakers_of(&iv), ["王强"]);
    assert_eq!(iv.pairs.len(), 2);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn bold_labels_glued_to_paragraphs_and_colons_outside_the_bold() {
    let (iv, warnings) = read("wild_bold_labels_glued.zh.md");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(iv.interviewer.as_deref(), Some("Mia"));
    let expected = [
        ("您当时为什么要做点评网站？", vec!["陈默"]),
        ("Nora，您当时是怎么认识陈默的？", vec!["Nora"]),
        ("后来你们还出了一本书。", vec!["陈默"]),
        ("店名叫什么？", vec!["陈默", "Nora"]),
        ("最后一个问题，给年轻创业者一句话？", vec!["陈默"]),
    ];
    let expected: Vec<(String, Vec<String>)> =
        expected.iter().map(|(q, s)| (q.to_string(), s.iter().map(|s| s.to_string()).collect())).collect();
    assert_eq!(shape(&iv), expected);
    // The self-introduction before the first question is a note, without the glued label.
    assert!(iv.notes.iter().any(|n| n.ends_with("现在主要在做投资。")), "{:?}", iv.notes);
}

#[test]
fn a_programme_as_interviewer_in_every_pasted_spelling() {
    let (iv, warnings) = read("wild_programme_interviewer.zh.md");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(iv.interviewer.as_deref(), Some("《晚风》"));
    assert_eq!(speakers_of(&iv), ["周岚"]);
    let questions: Vec<String> = shape(&iv).into_iter().map(|(q, _)| q).collect();
    assert_eq!(questions.len(), 4, "{questions:?}");
    assert!(questions.iter().all(|q| !q.contains('：') && !q.contains("晚风")), "{questions:?}");
    assert!(iv.pairs.iter().all(|p| !p.turns[0].text.contains("小标题")), "a section heading is dropped");
}

#[test]
fn bold_questions_and_plain_answers_with_the_answerer_named_in_the_intro() {
    let (iv, warnings) = read("wild_boldq_unlabelled.en.md");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(aliases(&iv), [("Maria Lopez Garcia".to_owned(), vec!["ML".to_owned()])]);
    assert_eq!(speakers_of(&iv), ["Maria Lopez Garcia"]);
    let questions: Vec<String> = shape(&iv).into_iter().map(|(q, _)| q).collect();
    assert_eq!(questions.len(), 5, "breadcrumbs and the `Background` heading are not questions: {questions:?}");
    assert_eq!(questions[0], "How did you get the nickname \"ML?\"");
    assert!(questions[2].starts_with("Stage lighting"), "a remark in bold is a question too");
    assert_eq!(iv.pairs[1].turns[0].text, "It was six lamps on a wooden bar, wired by hand in a school gym. (laughs)\nThe school still uses it, I am told.");
    assert_eq!(
        iv.pairs[3].turns[0].text, "A ship captain. I drew harbours all the time.",
        "an empty bold pair is not a question"
    );
    assert_eq!(
        iv.pairs[4].turns[0].text, "Through the theatre's stage door, the old-fashioned way.",
        "`top` and rules are furniture"
    );
}

#[test]
fn unlabelled_answers_without_a_name_get_a_neutral_speaker_or_the_command_line_one() {
    let text = "**A talk**\n\nSome words about the evening.\n\n**Why did you come?**\n\nFor the music.\n\n**Will you come back?**\n\nNext year.\n";
    let parsed = transcript::parse_bytes(text.as_bytes(), transcript::Format::Text, "x").unwrap();
    let iv = &parsed.interviews[0].1;
    assert_eq!(iv.turn_speakers(), ["Interviewee"]);
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].line, 5);
    assert!(parsed.warnings[0].message.contains("--answerer NAME"), "{:?}", parsed.warnings);
    let options = ParseOptions { answerer: Some("Ana Pires".into()), interviewer: Some("Leo Brandt".into()) };
    let parsed = transcript::parse_bytes_with(text.as_bytes(), transcript::Format::Text, "x", &options).unwrap();
    let iv = &parsed.interviews[0].1;
    assert_eq!((iv.turn_speakers(), iv.interviewer.as_deref()), (vec!["Ana Pires"], Some("Leo Brandt")));
    assert!(parsed.warnings.is_empty());
}

#[test]
fn initials_and_collective_labels() {
    let (iv, warnings) = read("wild_collective_initials.en.txt");
    assert!(warnings.is_empty(), "{warnings:?}");
    let expected: Vec<(String, Vec<String>)> = [
        ("How did the three of you meet?", vec!["Jane Morrow", "Ben Okafor"]),
        ("Who plans the routes?", vec!["Jane Morrow"]),
        ("What is the hardest part of touring?", vec!["A/B/C"]),
        ("Will you tour again next year?", vec!["Ben Okafor"]),
    ]
    .iter()
    .map(|(q, s)| (q.to_string(), s.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(shape(&iv), expected);
    assert_eq!(
        aliases(&iv),
        [("Jane Morrow".to_owned(), vec!["J.M.".to_owned()]), ("Ben Okafor".to_owned(), vec!["B.O.".to_owned()])]
    );
}

#[test]
fn full_and_short_name_labels_are_one_speaker_with_an_alias() {
    let (iv, _) = read("wild_becker_aphids.en.txt");
    assert_eq!(speakers_of(&iv), ["Tom Becker"]);
    assert_eq!(aliases(&iv), [("Tom Becker".to_owned(), vec!["Becker".to_owned()])]);
}

// ---------------------------------------------------------------------------------------------
// Loading: warnings, --strict, --answerer, and speakers across interviews

#[test]
fn load_reports_warnings_with_file_and_line_and_counts_them() {
    let db = TempDb::new();
    let path = fixture("wild_wenda_group_interview.zh.txt");
    let out = db.qabot(&["load", "--dry-run", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("warning: {}:17: ", path.display())), "{}", stderr(&out));
    assert!(stdout(&out).contains("would be loaded"), "{}", stdout(&out));
    let out = db.qabot(&["load", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("  speakers added  1\n  warnings        1") && text.contains(&format!("1  {}", path.display())),
        "{text}"
    );
}

#[test]
fn strict_makes_warnings_errors_and_loads_nothing() {
    let db = TempDb::new();
    let noisy = fixture("wild_wenda_group_interview.zh.txt");
    let clean = fixture("wild_headline_duihua.zh.txt");
    let out = db.qabot(&["load", "--strict", clean.to_str().unwrap(), noisy.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&format!("error: {}:17: ", noisy.display())), "{}", stderr(&out));
    let out = db.qabot(&["sql", "SELECT count(*) AS n FROM interviews WHERE title LIKE '%星河%'"]);
    assert!(stdout(&out).contains("0"), "all files or none: {}", stdout(&out));
}

#[test]
fn answerer_and_interviewer_from_the_command_line() {
    let db = TempDb::new();
    let file = db.file("nameless.txt", "访谈\n\n问：你好吗？\n答：很好。\n\n问：然后呢？\n答：没了。\n");
    let out = db.qabot(&["load", "--answerer", "赵敏", "--interviewer", "钱平", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let out = db.qabot(&["sql", "SELECT DISTINCT s.name, i.interviewer FROM turns t JOIN speakers s ON s.id = t.speaker_id JOIN pairs p ON p.id = t.pair_id JOIN interviews i ON i.id = p.interview_id WHERE i.title = '访谈'"]);
    assert!(stdout(&out).contains("赵敏") && stdout(&out).contains("钱平"), "{}", stdout(&out));
}

/// The speaker of every turn of the interview whose title contains `title`.
fn turn_speakers(db: &TempDb, title: &str) -> Vec<String> {
    let store = db.store();
    let sql = format!(
        "SELECT DISTINCT s.name FROM turns t JOIN speakers s ON s.id = t.speaker_id JOIN pairs p ON p.id = t.pair_id \
         JOIN interviews i ON i.id = p.interview_id WHERE i.title LIKE '%{title}%'"
    );
    common::dump(&store, &sql)
        .into_iter()
        .map(|row| {
            row[0]
                .trim_matches(|c| c == '"' || c == '\'')
                .replace("Text(", "")
                .replace(')', "")
                .trim_matches('"')
                .to_owned()
        })
        .collect()
}

#[test]
fn a_short_alias_of_a_known_person_is_not_merged_without_confirmation() {
    let db = TempDb::new();
    for name in ["wild_baker_sam.zh.txt", "wild_yoga_satya.en.txt"] {
        let out = db.qabot(&["load", fixture(name).to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("is kept apart from") && text.contains("speakers:"),
            "the report says how to merge: {text}"
        );
        assert!(!text.contains("known alias"), "{text}");
    }
    assert_eq!(turn_speakers(&db, "面包师"), ["山姆·李"], "the baker is not Sam Altman");
    assert_eq!(turn_speakers(&db, "yoga"), ["Satya Rao"], "the yoga teacher is not Satya Nadella");
    // The seed's people keep their words.
    let mut seed = turn_speakers(&db, "OpenAI资本架构");
    seed.sort();
    assert_eq!(seed, ["山姆·奥特曼", "萨提亚·纳德拉"]);
}

#[test]
fn a_short_alias_confirmed_by_the_intro_is_merged() {
    let db = TempDb::new();
    let file = db.file("altman.txt", "山姆·奥特曼谈算力\n\n我们和OpenAI的山姆·奥特曼聊了聊。\n\n问：算力够用吗？\n\n山姆：还远远不够。\n\n问：明年呢？\n\n山姆：会好一些。\n");
    let out = db.qabot(&["load", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("kept apart"), "{}", stdout(&out));
    assert_eq!(turn_speakers(&db, "谈算力"), ["山姆·奥特曼"]);
}

#[test]
fn asking_by_surname_finds_the_full_name_speaker() {
    let db = TempDb::new();
    let out = db.qabot(&["load", fixture("wild_becker_aphids.en.txt").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = db.qabot(&["speakers"]);
    assert!(stdout(&out).contains("Tom Becker (also: Becker)"), "{}", stdout(&out));
    let out = db.qabot(&["ask", "what did Becker say about aphids"]);
    let text = stdout(&out);
    assert!(text.contains("Tom Becker:") && text.contains("marigolds"), "{text}{}", stderr(&out));
}

#[test]
fn a_heading_that_reads_like_a_label_and_a_caption_between_turns_are_not_content() {
    let (iv, warnings) = read("wild_panel_heading_labels.zh.md");
    assert!(warnings.is_empty(), "{warnings:?}");
    let expected: Vec<(String, Vec<String>)> = [
        ("第一个问题，书店靠什么活下来？", vec!["王五", "赵六"]),
        ("活动怎么收费？", vec!["王五"]),
        ("最后，给想开书店的人一句话？", vec!["赵六"]),
    ]
    .iter()
    .map(|(q, s)| (q.to_string(), s.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(shape(&iv), expected);
    assert_eq!(iv.pairs[0].turns[1].text, "靠咖啡。说实话，咖啡的利润比书高。", "the heading is not 赵六's words");
    assert_eq!(iv.pairs[1].turns[0].text, "象征性收二十元，来的人反而更认真。", "the caption is not 王五's words");
}

// ---------------------------------------------------------------------------------------------
// Section headings that read like labels, and names in another script

/// (question, speakers) pairs from string slices.
fn expected(rows: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    rows.iter().map(|(q, s)| (q.to_string(), s.iter().map(|s| s.to_string()).collect())).collect()
}

#[test]
fn a_bold_label_alone_before_the_hosts_question_heads_a_section() {
    let (iv, warnings) = read("wild_panel_bold_headings.zh.md");
    assert!(warnings.is_empty(), "a heading is not a label without text: {warnings:?}");
    let want: &[(&str, &[&str])] = &[
        ("豆腐每天几点开始做？", &["钱多多"]),
        ("年轻人会来买吗？", &["钱多多"]),
        ("花摊为什么开在菜市场里？", &["孙小雨"]),
        ("最贵的花卖多少钱？", &["孙小雨"]),
    ];
    assert_eq!(shape(&iv), expected(want));
    // A label alone on its line followed by the person's words is still their turn.
    assert_eq!(iv.pairs[0].turns[0].text, "凌晨三点起来磨豆子，五点第一板出锅。");
    assert_eq!(
        iv.pairs[1].turns[0].text, "周末会，他们喜欢拍照，也喜欢现炸的豆腐泡。",
        "the next heading is not his words"
    );
    // The heading says who answers in its section, labelled or not.
    assert_eq!(iv.pairs[2].turns[0].text, "买菜的人顺手买一把花，比商场里的花店好卖。");
    assert_eq!(
        iv.notes,
        ["本期圆桌请来两位摊主，各占一节：每节以嘉宾的名字开头，主持人先问，嘉宾再答。"],
        "a heading is no note"
    );
}

#[test]
fn bold_questions_under_headings_naming_each_guest_are_answered_by_that_guest() {
    let (iv, warnings) = read("wild_panel_bold_headings.en.md");
    assert!(warnings.is_empty(), "the headings name who answers, so nothing is `Interviewee`: {warnings:?}");
    let want: &[(&str, &[&str])] = &[
        ("When does your shift start?", &["Priya Nair"]),
        ("What do you eat at three in the morning?", &["Priya Nair"]),
        ("How did you become a night baker?", &["Owen Blake"]),
        ("Do you ever see daylight?", &["Owen Blake"]),
    ];
    assert_eq!(shape(&iv), expected(want));
    assert_eq!(iv.pairs[1].turns[0].text, "Soup from a flask. Anything heavier makes me sleepy.");
}

#[test]
fn a_heading_before_an_unlabelled_question_that_the_named_guest_answers() {
    let text = "书店圆桌\n\n两位店主轮流回答。\n\n**王五：**\n\n你的书店开了多久？\n\n王五：十二年。\n\n\
                每天几点开门？\n\n王五：上午十点。\n\n**赵六**：\n\n你为什么开书店？\n\n赵六：因为喜欢旧书。\n\n\
                客人多吗？\n\n赵六：周末多。\n";
    let parsed = transcript::parse_bytes(text.as_bytes(), transcript::Format::Text, "x").unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let iv = &parsed.interviews[0].1;
    let want: &[(&str, &[&str])] = &[
        ("你的书店开了多久？", &["王五"]),
        ("每天几点开门？", &["王五"]),
        ("你为什么开书店？", &["赵六"]),
        ("客人多吗？", &["赵六"]),
    ];
    assert_eq!(shape(iv), expected(want));
    assert_eq!(iv.pairs[1].turns[0].text, "上午十点。", "the heading is not part of the answer before it");
    assert_eq!(iv.pairs[0].turns[0].text, "十二年。");
}

#[test]
fn a_label_alone_where_an_answer_is_due_is_still_an_empty_answer() {
    // Right after the host's question, `**钱多多：**` then another guest is an answer without
    // text (a warning), not a heading.
    let text = "访谈\n\n主持人：第一个问题？\n\n**钱多多：**\n\n**孙小雨：** 我先说。\n\n主持人：第二个问题？\n\n\
                **钱多多：** 好。\n\n**孙小雨：** 好。\n";
    let parsed = transcript::parse_bytes(text.as_bytes(), transcript::Format::Text, "x").unwrap();
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    assert!(parsed.warnings[0].message.contains("has no text"), "{:?}", parsed.warnings);
    assert_eq!(parsed.warnings[0].line, 5);
    let iv = &parsed.interviews[0].1;
    assert_eq!(shape(iv), expected(&[("第一个问题？", &["孙小雨"]), ("第二个问题？", &["钱多多", "孙小雨"])]));
}

#[test]
fn a_name_in_another_script_beside_the_label_name_is_an_alias() {
    let (iv, warnings) = read("wild_other_script_alias.zh.md");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(speakers_of(&iv), ["周川", "Grace"]);
    assert_eq!(aliases(&iv), [("Grace".to_owned(), vec!["陈静怡".to_owned()])]);
    let (iv, warnings) = read("wild_other_script_alias.en.txt");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(speakers_of(&iv), ["Marco Bellini", "Mei Lin"]);
    assert_eq!(aliases(&iv), [("Mei Lin".to_owned(), vec!["陈美玲".to_owned()])]);
}

#[test]
fn asking_by_the_other_script_name_finds_her_answers() {
    let db = TempDb::new();
    for name in ["wild_other_script_alias.zh.md", "wild_other_script_alias.en.txt"] {
        let out = db.qabot(&["load", fixture(name).to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = db.qabot(&["speakers"]);
    let text = stdout(&out);
    assert!(text.contains("Grace (also: 陈静怡)") && text.contains("Mei Lin (also: 陈美玲)"), "{text}");
    // Without the alias both are declined: the names are nobody's in the database.
    let out = db.qabot(&["ask", "陈静怡相信什么样的人"]);
    let text = stdout(&out);
    assert!(text.contains("Grace:") && text.contains("笨功夫"), "{text}{}", stderr(&out));
    let out = db.qabot(&["ask", "Does 陈美玲 still have it?"]);
    let text = stdout(&out);
    assert!(text.contains("Mei Lin:") && text.contains("seedlings"), "{text}{}", stderr(&out));
}

#[test]
fn the_readme_panel_example() {
    let text =
        "**王五：**\n\n**主持人：** 书店靠什么活下来？\n\n靠活动，每周两场读书会。\n\n**主持人：** 活动怎么收费？\n\n\
                **王五：** 象征性收二十元。\n\n**赵六：**\n\n**主持人：** 咖啡赚钱吗？\n\n**赵六：** 比书赚钱。\n";
    let parsed = transcript::parse_bytes(text.as_bytes(), transcript::Format::Text, "x").unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let want: &[(&str, &[&str])] =
        &[("书店靠什么活下来？", &["王五"]), ("活动怎么收费？", &["王五"]), ("咖啡赚钱吗？", &["赵六"])];
    assert_eq!(shape(&parsed.interviews[0].1), expected(want));
    assert_eq!(parsed.interviews[0].1.title, "x", "a section heading is not the headline (the file name is)");
}
