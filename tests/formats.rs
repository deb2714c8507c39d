//! Every transcript layout, JSON/JSONL and every encoding the loader accepts, parsed from the
//! fixtures in `tests/fixtures/` (written by `tests/fixtures/make_fixtures.py`).
//!
//! Expected strings are compared after [`fold`], which maps Chinese punctuation to ASCII, so the
//! expectations can be written (and read) with plain `:?,.`; exact bytes are checked where the
//! punctuation itself matters.

use std::path::{Path, PathBuf};

use qabot::transcript::{self, Interview};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Parse a fixture that holds one interview.
fn load(name: &str) -> Interview {
    let parsed = transcript::read_file(&fixture(name)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.interviews.len(), 1, "{name}");
    parsed.interviews.into_iter().next().unwrap().1
}

/// Full-width and CJK punctuation as ASCII, for readable comparisons.
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match transcript::ascii_fold(c) {
            '\u{3002}' => '.',
            '\u{3001}' => ',',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{3010}' => '[',
            '\u{3011}' => ']',
            '\u{300A}' => '<',
            '\u{300B}' => '>',
            other => other,
        })
        .collect()
}

/// Each pair as (folded question, speakers of its turns in order).
fn shape(iv: &Interview) -> Vec<(String, Vec<String>)> {
    iv.pairs.iter().map(|p| (fold(&p.question), p.turns.iter().map(|t| t.speaker.clone()).collect())).collect()
}

fn expect_shape(iv: &Interview, expected: &[(&str, &[&str])]) {
    let expected: Vec<(String, Vec<String>)> =
        expected.iter().map(|(q, s)| (q.to_string(), s.iter().map(|n| n.to_string()).collect())).collect();
    assert_eq!(shape(iv), expected);
}

/// Folded text of turn `turn` (0-based) of pair `pair` (1-based, as in the database).
fn turn_text(iv: &Interview, pair: usize, turn: usize) -> String {
    fold(&iv.pairs[pair - 1].turns[turn].text)
}

#[test]
fn seed_interview_keeps_its_fourteen_pairs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/openai-microsoft-interview.zh.txt");
    let parsed = transcript::read_file(&path).unwrap();
    let iv = &parsed.interviews[0].1;
    assert_eq!(fold(&iv.title), "OpenAI资本架构重塑与微软深度协作:AI技术革命与未来战略前瞻");
    assert_eq!(iv.notes.len(), 11);
    assert!(iv.notes[0].starts_with("近期"));
    assert!(iv.notes[10].starts_with("以下对话内容经整理"));
    assert_eq!(iv.pairs.len(), 14);
    let altman = "山姆\u{B7}奥特曼";
    let nadella = "萨提亚\u{B7}纳德拉";
    let speakers: Vec<Vec<&str>> =
        iv.pairs.iter().map(|p| p.turns.iter().map(|t| t.speaker.as_str()).collect()).collect();
    let (a, n) = (altman, nadella);
    assert_eq!(
        speakers,
        [
            vec![a],
            vec![a],
            vec![a],
            vec![a],
            vec![n],
            vec![a, n, a],
            vec![a],
            vec![a, n],
            vec![a],
            vec![n],
            vec![n],
            vec![n],
            vec![n],
            vec![n]
        ]
    );
    assert_eq!(fold(&iv.pairs[0].question), "OpenAI 员工的平均年龄是多少?生育趋势是否在上升?");
    assert!(fold(&iv.pairs[10].turns[0].text).contains("\nToken 工厂:"));
}

#[test]
fn layout2_wenda_answerer_from_front_matter() {
    let iv = load("layout2_wenda_front_matter.zh.txt");
    assert_eq!(fold(&iv.title), "对话林晓:AI 创业没有捷径");
    assert_eq!(iv.notes.len(), 1);
    assert!(iv.notes[0].starts_with("导语"));
    let lin: &[&str] = &["林晓"];
    expect_shape(
        &iv,
        &[
            ("云帆最早是做什么的?", lin),
            ("为什么转向大模型?", lin),
            ("很多人说 AI 创业的窗口已经关闭了,你怎么看?", lin),
            ("对刚创业的人有什么建议?", lin),
        ],
    );
    assert_eq!(
        turn_text(&iv, 2, 0),
        "去年客户开始主动问我们,能不能用大模型做工艺知识问答.\n我们评估了半年,认为时机成熟了."
    );
    assert_eq!(iv.speakers[0].aliases, ["林总"]);
}

#[test]
fn layout3_bracket_labels() {
    let iv = load("layout3_brackets.zh.txt");
    assert_eq!(fold(&iv.title), "[对话]独立书店还能活下去吗?");
    let (su, zheng) = ("苏青", "郑远");
    expect_shape(
        &iv,
        &[
            ("苏青,你的书店开了几年了?", &[su]),
            ("后来怎么撑过来的?", &[su]),
            ("郑老师,从出版社的角度看,独立书店重要吗?", &[zheng, su]),
            ("你们怎么看电商的低价?", &[zheng, su]),
        ],
    );
    assert_eq!(turn_text(&iv, 2, 0), "办会员,做活动,卖咖啡.\n书本身的利润太薄了,只靠卖书活不下去.");
    assert_eq!(turn_text(&iv, 4, 0), "低价伤害的是整个行业,包括电商自己.");
}

#[test]
fn layout3_mixed_colons_spaces_and_one_line_exchanges() {
    let iv = load("layout3_inline_colons.zh.txt");
    assert_eq!(fold(&iv.title), "何静:城市夜跑团的第五年");
    let he: &[&str] = &["何静"];
    expect_shape(
        &iv,
        &[("最初为什么想组织夜跑?", he), ("三千人怎么管理?", he), ("有没有出过安全事故?", he), ("明年有什么计划?", he)],
    );
    assert_eq!(turn_text(&iv, 1, 0), "因为白天太热了.成都的夏天,晚上九点以后跑步才舒服.");
    assert_eq!(turn_text(&iv, 4, 0), "想办一场半程马拉松,已经在和体育局沟通了.");
}
