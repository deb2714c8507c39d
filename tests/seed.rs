//! The seed interview, exactly as published, parses into the expected shape and stores cleanly.

mod common;

use common::{data, TempDb};
use qabot::transcript::{read_file, Interview};

const ALTMAN: &str = "山姆·奥特曼";
const NADELLA: &str = "萨提亚·纳德拉";

fn seed() -> Interview {
    let parsed = read_file(&data("openai-microsoft-interview.zh.txt")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.interviews.len(), 1);
    parsed.interviews[0].1.clone()
}

#[test]
fn seed_has_title_and_notes_but_no_furniture() {
    let iv = seed();
    assert_eq!(iv.title, "OpenAI资本架构重塑与微软深度协作:AI技术革命与未来战略前瞻");
    assert!(iv.notes.first().unwrap().starts_with("近期,OpenAI 完成了其资本结构的重大调整"));
    assert!(iv.notes.last().unwrap().starts_with("以下对话内容经整理"));
    let all = format!("{}\n{}", iv.notes.join("\n"), serde_json::to_string(&iv.pairs).unwrap());
    assert!(!all.contains("当前位置"), "navigation must not be content");
    assert!(!all.contains("第1张"), "image captions must not be content");
}

#[test]
fn seed_has_fourteen_pairs_with_their_speakers_in_order() {
    let iv = seed();
    let expected: [&[&str]; 14] = [
        &[ALTMAN],
        &[ALTMAN],
        &[ALTMAN],
        &[ALTMAN],
        &[NADELLA],
        &[ALTMAN, NADELLA, ALTMAN],
        &[ALTMAN],
        &[ALTMAN, NADELLA],
        &[ALTMAN],
        &[NADELLA],
        &[NADELLA],
        &[NADELLA],
        &[NADELLA],
        &[NADELLA],
    ];
    assert_eq!(iv.pairs.len(), 14);
    for (i, (pair, speakers)) in iv.pairs.iter().zip(expected).enumerate() {
        let got: Vec<&str> = pair.turns.iter().map(|t| t.speaker.as_str()).collect();
        assert_eq!(got, speakers, "pair {}", i + 1);
        assert!(pair.question.ends_with('?'), "pair {} question: {}", i + 1, pair.question);
    }
    assert!(iv.pairs[0].question.starts_with("OpenAI 员工的平均年龄是多少"));
    assert!(iv.pairs[5].question.contains("陪审团"));
    assert!(iv.pairs[13].question.contains("40亿美元亏损"));
}

#[test]
fn label_on_its_own_line_and_inline_both_work() {
    let iv = seed();
    // Inline: `山姆·奥特曼:并不夸张,…`
    assert_eq!(iv.pairs[0].turns[0].text, "并不夸张,平均年龄大概三十出头?生育趋势确实在上升。");
    // Standalone label followed by four paragraphs.
    let text = &iv.pairs[1].turns[0].text;
    assert!(text.starts_with("我认为这确实是技术史上最伟大的合作之一。"));
    assert_eq!(text.lines().count(), 4);
    // Pair 6's third turn is inline after two standalone-label turns.
    assert!(iv.pairs[5].turns[2].text.starts_with("布拉德,显而易见的是"));
}

#[test]
fn colon_paragraphs_inside_answers_stay_answer_text() {
    let iv = seed();
    let saas = &iv.pairs[10];
    assert_eq!(saas.turns.len(), 1);
    assert!(saas.turns[0].text.contains("需从两方面审视价值:"));
    assert!(saas.turns[0].text.contains("Token 工厂:这不仅是硬件"));
    assert!(saas.turns[0].text.contains("智能体工厂:新一代 SaaS 应用"));
}

#[test]
fn the_bundled_database_holds_the_seed() {
    let db = TempDb::new();
    let store = db.store();
    assert_eq!(store.pair_total().unwrap(), 14);
    let interviews = store.interviews().unwrap();
    assert_eq!(interviews.len(), 1);
    assert_eq!(interviews[0].pairs, 14);
    assert_eq!(interviews[0].speakers, [ALTMAN, NADELLA]);
    let pair6 = store.pair(6).unwrap().unwrap();
    let speakers: Vec<&str> = pair6.turns.iter().map(|t| t.speaker.as_str()).collect();
    assert_eq!(speakers, [ALTMAN, NADELLA, ALTMAN]);
    assert_eq!(pair6.position, 6);
}

#[test]
fn the_data_copy_is_the_published_text() {
    // data/ must hold the seed exactly as published; compare when the shared copy is around.
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seed/openai-microsoft-interview.zh.txt");
    if let Ok(original) = std::fs::read(shared) {
        assert_eq!(std::fs::read(data("openai-microsoft-interview.zh.txt")).unwrap(), original);
    }
}
