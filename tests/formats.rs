//! Every transcript layout, JSON/JSONL and every encoding the loader accepts, parsed from the
//! fixtures in `tests/fixtures/` (written by `tests/fixtures/make_fixtures.py`).
//!
//! Expected strings are compared after [`fold`], which maps Chinese punctuation to ASCII, so the
//! expectations can be written (and read) with plain `:?,.`; exact bytes are checked where the
//! punctuation itself matters.

use std::path::{Path, PathBuf};

use qabot::transcript::decode::Encoding;
use qabot::transcript::{self, Format, Interview, ParseError};

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

fn parse_as(text: &str, format: Format) -> Result<Vec<(usize, Interview)>, ParseError> {
    transcript::parse_bytes(text.as_bytes(), format, "fallback").map(|p| p.interviews)
}

/// The error a transcript gives, as (line, message).
fn error_of(text: &str, format: Format) -> (Option<usize>, String) {
    match parse_as(text, format) {
        Ok(ivs) => panic!("expected an error, got {:?}", ivs.iter().map(|(_, iv)| shape(iv)).collect::<Vec<_>>()),
        Err(e) => (e.line, e.message),
    }
}

/// A transcript that loads with warnings: the interview and the warnings as (line, message).
fn warnings_of(text: &str) -> (Interview, Vec<(usize, String)>) {
    let parsed = transcript::parse_bytes(text.as_bytes(), Format::Text, "fallback").unwrap_or_else(|e| panic!("{e}"));
    let warnings = parsed.warnings.into_iter().map(|w| (w.line, w.message)).collect();
    (parsed.interviews.into_iter().next().expect("one interview").1, warnings)
}

// ---------------------------------------------------------------------------------------------
// The seed

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

// ---------------------------------------------------------------------------------------------
// Layout 1: every turn labelled

#[test]
fn layout1_role_label_and_two_interleaving_guests() {
    let iv = load("layout1_host_two_guests.zh.txt");
    assert_eq!(fold(&iv.title), "价格战之后:两位车企高管谈电池,利润与出海");
    assert_eq!(iv.date.as_deref(), Some("2024-05-12"), "date taken from the byline");
    assert_eq!(iv.notes.len(), 1, "{:?}", iv.notes);
    assert!(iv.notes[0].starts_with("本期"));
    assert_eq!(iv.interviewer, None, "a role label is not a name");
    let (li, wang) = ("李建国", "王芳");
    expect_shape(
        &iv,
        &[
            ("欢迎两位.先问一个大家最关心的问题:这一轮价格战还会持续多久?", &[li, wang]),
            ("那你们自己的利润率受到了多大影响?", &[li]),
            ("王总,电池成本还能降多少?", &[wang]),
            ("出海方面,欧洲加征关税会不会改变你们的计划?", &[wang, li, wang]),
            ("最后,给想进入这个行业的年轻人一句建议?", &[wang, li]),
        ],
    );
    assert_eq!(turn_text(&iv, 2, 0), "去年我们的毛利率下降了三个百分点.\n但今年一季度已经企稳,主要靠电池成本下降.");
    assert_eq!(turn_text(&iv, 5, 1), "同意.再加一句:要有耐心.", "(完), 责任编辑, 相关阅读 are not content");
    assert!(iv.pairs[0].question.ends_with('\u{FF1F}'), "punctuation is kept as written");
}

#[test]
fn layout1_interviewer_named_in_front_matter() {
    let iv = load("layout1_named_interviewer.zh.md");
    assert_eq!(fold(&iv.title), "专访芯片架构师陈立:国产 GPU 还差什么");
    assert_eq!(iv.source.as_deref(), Some("https://example.com/interviews/chen-li"));
    assert_eq!(iv.date.as_deref(), Some("2024-09-03"));
    assert_eq!(iv.interviewer.as_deref(), Some("周婷"));
    assert_eq!(
        iv.notes.iter().map(|n| fold(n)).collect::<Vec<_>>(),
        ["陈立在 GPU 行业工作了十五年,去年创办了一家芯片设计公司.本文经受访者审阅."],
        "the repeated headline and the section headings are not notes"
    );
    let chen: &[&str] = &["陈立"];
    expect_shape(
        &iv,
        &[
            ("你们第一款芯片流片失败过吗?", chen),
            ("第二次失败后,团队士气怎么样?", chen),
            ("现在和英伟达的差距有多大?", chen),
            ("软件生态具体指什么?", chen),
            ("最后一个问题,你会建议年轻工程师加入芯片行业吗?", chen),
        ],
    );
    assert_eq!(turn_text(&iv, 2, 0), "说实话很低落.我们停下来做了两周复盘,把验证流程重写了一遍.", "alias label");
    assert_eq!(
        turn_text(&iv, 4, 0),
        "主要是三块:\n- 编译器:把模型变成高效的指令,这是最难的;\n- 算子库:常用算子要手工调优;\n\
         - 调试工具:开发者出了问题要能定位.\n这三块我们都在补,但需要时间."
    );
    let names: Vec<&str> = iv.speakers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["陈立", "周婷"]);
}

#[test]
fn layout1_interviewer_inferred_from_who_asks() {
    let parsed = transcript::read_file(&fixture("layout1_inferred_interviewer.zh.txt")).unwrap();
    let iv = &parsed.interviews[0].1;
    assert_eq!(iv.interviewer.as_deref(), Some("杨帆"));
    assert_eq!(fold(&iv.title), "从程序员到独立游戏制作人:吴磊的七年");
    let wu: &[&str] = &["吴磊"];
    expect_shape(
        iv,
        &[
            ("你是怎么从大厂辞职做独立游戏的?", wu),
            ("这两年里最难的是什么?", wu),
            ("听起来很辛苦.", wu),
            ("<归途>的美术风格很特别,灵感来自哪里?", wu),
            ("下一部作品有计划了吗?", wu),
        ],
    );
    // The closing thank-you is not a question: dropped, with a warning at its line.
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    assert_eq!(parsed.warnings[0].line, 25);
}

// ---------------------------------------------------------------------------------------------
// Layout 2: 问/答 and Q/A

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
fn layout2_wenda_answerer_from_the_intro_with_inline_answers() {
    let iv = load("layout2_wenda_intro.zh.txt");
    let lin: &[&str] = &["林晓"];
    expect_shape(
        &iv,
        &[("你们的客户主要是哪些企业?", lin), ("中型工厂付得起 AI 的钱吗?", lin), ("这种模式的风险由谁承担?", lin)],
    );
    assert_eq!(turn_text(&iv, 2, 0), "付得起,关键是按效果收费.我们只在良品率提升之后才收钱.");
    assert_eq!(turn_text(&iv, 3, 0), "我们自己.所以选客户很重要.");
    assert_eq!(iv.notes.len(), 1);
}

#[test]
fn layout2_english_qa_with_answerer_from_the_headline() {
    let iv = load("layout2_qa_intro.en.txt");
    assert_eq!(iv.title, "Soil, Carbon and Patience: A Conversation with Dr. Maria Chen");
    assert_eq!(
        iv.notes,
        ["An interview with Dr. Maria Chen, soil scientist at the Northfield Agricultural Institute, about \
          carbon farming and why it takes a decade to see results."],
        "hard-wrapped lines are joined back"
    );
    let chen: &[&str] = &["Maria Chen"];
    expect_shape(
        &iv,
        &[
            ("How much carbon can farmland actually store?", chen),
            ("Why does it level off?", chen),
            ("What should farmers do first?", chen),
            ("Is carbon farming worth it financially?", chen),
        ],
    );
    assert_eq!(
        iv.pairs[0].turns[0].text,
        "More than most people think, but less than the brochures promise. A well-managed field can add \
         around half a ton of carbon per hectare per year for the first decade, and after that I would expect \
         it to level off."
    );
}

// ---------------------------------------------------------------------------------------------
// Layout 3: brackets, colons, spaces, one-line exchanges

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

// ---------------------------------------------------------------------------------------------
// Layout 4: panels, bullets, headings, furniture

#[test]
fn layout4_panel_with_recurring_bullet_labels_headings_and_furniture() {
    let iv = load("layout4_panel_furniture.zh.txt");
    assert_eq!(fold(&iv.title), "圆桌:大模型进入企业的第二年");
    assert_eq!(iv.date.as_deref(), Some("2024-06-18"));
    assert_eq!(
        iv.notes.iter().map(|n| fold(n)).collect::<Vec<_>>(),
        [
            "本期圆桌邀请了三位嘉宾:云服务商架构师赵一鸣,医疗 AI 公司 CTO 钱多多,制造业数字化负责人孙立.",
            "(本文根据现场录音整理,未经嘉宾审阅.)",
        ]
    );
    let (zhao, qian, sun) = ("赵一鸣", "钱多多", "孙立");
    expect_shape(
        &iv,
        &[
            ("企业今年在大模型上的投入,和去年相比有什么变化?", &[zhao, qian, sun, zhao]),
            ("私有化部署到底贵在哪里?", &[sun, zhao, qian]),
            ("企业最缺什么样的人才?", &[qian, sun, zhao]),
        ],
    );
    assert_eq!(
        turn_text(&iv, 1, 1),
        "医疗行业更慢一些.我们的客户今年主要在做两件事:\n优势:病历结构化已经比人工快十倍.\n\
         风险:幻觉问题在临床场景不可接受.\n所以我们只做辅助,不做诊断."
    );
    assert_eq!(turn_text(&iv, 1, 3), "补充一句,今年客户问得最多的是私有化部署的成本.", "heading dropped");
    assert_eq!(turn_text(&iv, 3, 2), "还有能做评测的人.评测是被低估的环节.", "footer dropped");
}

#[test]
fn layout4_english_markdown_with_bullets_that_are_not_speakers() {
    let iv = load("layout4_bullets.en.md");
    assert_eq!(iv.title, "Two Founders on Remote Work");
    assert_eq!(iv.notes, ["From our series on how small companies actually work."]);
    let (priya, tom) = ("Priya Raman", "Tom Becker");
    expect_shape(
        &iv,
        &[
            ("How did you decide to go fully remote?", &[priya, tom]),
            ("What do you lose without an office?", &[tom, priya]),
            ("Would you go back to an office if you could?", &[priya, tom]),
        ],
    );
    assert_eq!(
        iv.pairs[1].turns[0].text,
        "Spontaneous conversations. We compensate, but not fully. Our list looks like this:\n\
         - Pros: you can hire anywhere, and people get their commute back.\n\
         - Cons: onboarding is slower, and junior people learn less by osmosis."
    );
    assert_eq!(
        iv.pairs[2].turns[1].text,
        "Maybe two days a week, for the juniors. On balance remote still wins:\n\
         Pros: hiring, focus, and no commute.\nCons: mentoring takes deliberate effort."
    );
}

// ---------------------------------------------------------------------------------------------
// Layout 5: English with NAME: labels, hard-wrapped

#[test]
fn layout5_english_caps_labels_hard_wrapped() {
    let iv = load("layout5_caps_wrapped.en.txt");
    assert_eq!(iv.title, "The Grid Is the Bottleneck: Dana Whitfield on Power for AI");
    assert_eq!(iv.notes, ["Recorded March 4, 2025. This transcript has been lightly edited for clarity."]);
    let dana: &[&str] = &["Dana Whitfield"];
    expect_shape(
        &iv,
        &[
            ("Dana, you have said that the limiting factor for AI is no longer chips. What do you mean by that?", dana),
            ("Is that a permitting problem or an engineering problem?", dana),
            ("So what do data center builders do in the meantime?", dana),
            ("Last question. Will efficiency gains make this problem go away?", dana),
        ],
    );
    assert_eq!(
        iv.pairs[0].turns[0].text,
        "I mean that you can buy the chips, but you cannot plug them in. Utilities quote five to seven years \
         for a new high-voltage connection, and a data center that draws a gigawatt needs one."
    );
    assert_eq!(
        iv.pairs[2].turns[0].text,
        "They build their own generation. Gas turbines on site, and increasingly small nuclear reactors on \
         paper, though none of those are running yet.\nSome of them are also moving to where the power already \
         is: Quebec, Norway, Texas."
    );
}

#[test]
fn layout5_header_block_names_host_guest_and_date() {
    let iv = load("layout5_header_block.en.txt");
    assert_eq!(iv.title, "Episode 7 - Rebuilding after the flood");
    assert!(iv.notes.is_empty(), "the header is not an intro note: {:?}", iv.notes);
    assert_eq!(iv.date.as_deref(), Some("2024-05-01"));
    assert_eq!(iv.interviewer.as_deref(), Some("Tom Fischer"));
    let anna: &[&str] = &["Anna Weber"];
    expect_shape(&iv, &[("What did the flood destroy?", anna), ("How long until you reopened?", anna)]);
    assert_eq!(
        turn_text(&iv, 2, 0),
        "Eleven weeks. The neighbours lent us their kitchen, and we baked there every night."
    );
}

#[test]
fn layout5_speech_to_text_export_with_speaker_and_time_lines() {
    let iv = load("layout5_speech_to_text.en.txt");
    assert_eq!(iv.title, "Interview with Priya Natarajan about bees");
    let priya: &[&str] = &["Priya Natarajan"];
    expect_shape(
        &iv,
        &[
            ("Why did you become a beekeeper?", priya),
            ("How many hives do you have now?", priya),
            ("What do the bees do in winter?", priya),
        ],
    );
    assert_eq!(
        turn_text(&iv, 1, 0),
        "My grandfather kept bees in Kerala. I inherited his smoker and his stubbornness."
    );
}

#[test]
fn layout5_podcast_with_timestamps_and_a_surname_label() {
    let iv = load("layout5_podcast_timestamps.en.txt");
    assert_eq!(iv.title, "Tides of Data, Episode 41: Elena Rossi on Ocean Sensors");
    assert!(iv.notes.is_empty(), "{:?}", iv.notes);
    assert_eq!(iv.interviewer.as_deref(), Some("Marcus Hale"));
    let rossi: &[&str] = &["Elena Rossi"];
    expect_shape(
        &iv,
        &[
            ("Elena, welcome. You have spent ten years putting sensors in the ocean. What is the hardest part?", rossi),
            ("How long does a sensor last out there?", rossi),
            ("That sounds expensive. Who pays for it?", rossi),
            ("Last question: what would you build with unlimited money?", rossi),
        ],
    );
    assert_eq!(
        iv.pairs[2].turns[0].text,
        "Mostly research grants, and more and more the insurance industry. They want better storm data."
    );
    // The surname is recorded as an alias (asking by it works); the store merges another file's
    // `ROSSI:` into Elena Rossi only when that file confirms it is her (tests/speakers.rs).
    let aliases: Vec<(&str, &[String])> = iv.speakers.iter().map(|s| (s.name.as_str(), &s.aliases[..])).collect();
    assert_eq!(aliases, [("Elena Rossi", &["Rossi".to_owned()][..])]);
}

#[test]
fn layout5_list_labels_under_capital_speaker_labels_are_text() {
    let iv = load("layout5_caps_list_labels.en.txt");
    let (baker, lee) = ("Baker", "Lee");
    expect_shape(
        &iv,
        &[
            ("Why did you pick Macs for the high schools?", &[baker, lee]),
            ("And Chromebooks for the primary schools?", &[baker, lee]),
            ("What would you buy today?", &[baker]),
        ],
    );
    assert_eq!(
        iv.pairs[1].turns[0].text,
        "Cheaper, but they break.\nPros: Cheap to replace.\nCons: Short support window.\n\
         Budget: half of the Mac budget.\nStep 1: Pilot in two schools.\nStep 2: Roll out if breakage stays low."
    );
    assert_eq!(iv.turn_speakers(), [baker, lee]);
}

#[test]
fn layout4_ordinal_and_everyday_word_labels_are_text() {
    let iv = load("layout4_numbered_steps.zh.txt");
    let (zhang, li) = ("张伟", "李娜");
    expect_shape(
        &iv,
        &[("高中的电脑是怎么选的?", &[zhang, li]), ("小学呢?", &[zhang, li]), ("明年还会换吗?", &[zhang])],
    );
    assert_eq!(
        turn_text(&iv, 2, 0),
        "小学也差不多.\n步骤一:开会讨论.\n第一步:选定型号.\n第二步:在两所学校试用.\n预算:高中的一半."
    );
    assert_eq!(iv.turn_speakers(), [zhang, li]);
}

#[test]
fn a_guest_who_never_answers_first_is_still_a_speaker() {
    // Mixed-case labels: a second guest is not held to the capitals rule.
    let text = "Panel\n\nWhy remote?\n\nPriya Raman: Hiring.\n\nTom Becker: Focus.\n\nWhy not?\n\n\
                Priya Raman: Mentoring.\n\nTom Becker: Culture.\n";
    let ivs = parse_as(text, Format::Text).unwrap_or_else(|e| panic!("{e}"));
    expect_shape(
        &ivs[0].1,
        &[("Why remote?", &["Priya Raman", "Tom Becker"]), ("Why not?", &["Priya Raman", "Tom Becker"])],
    );
    // A guest whose name is also an everyday word (高峰, "peak") must be declared when they
    // never answer first; declared, they are a speaker.
    let text = "圆桌\n\n第一个问题?\n\n张伟:先说两句。\n\n高峰:我补充。\n\n第二个问题?\n\n张伟:好。\n\n高峰:同意。\n";
    let ivs = parse_as(text, Format::Text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ivs[0].1.turn_speakers(), ["张伟"]);
    let ivs =
        parse_as(&format!("---\nspeakers: 张伟, 高峰\n---\n{text}"), Format::Text).unwrap_or_else(|e| panic!("{e}"));
    expect_shape(&ivs[0].1, &[("第一个问题?", &["张伟", "高峰"]), ("第二个问题?", &["张伟", "高峰"])]);
    // A declared guest who speaks once, after another guest, is a speaker too.
    let text = "---\nspeakers: 张伟, 李娜\n---\n圆桌\n\n第一个问题?\n\n张伟:先说两句。\n\n李娜:我补充。\n\n\
                第二个问题?\n\n张伟:好。\n";
    let ivs = parse_as(text, Format::Text).unwrap_or_else(|e| panic!("{e}"));
    expect_shape(&ivs[0].1, &[("第一个问题?", &["张伟", "李娜"]), ("第二个问题?", &["张伟"])]);
}

#[test]
fn timestamps_before_the_label() {
    let text =
        "Episode 12: Building Rockets\n\n[00:00:05] Host: Welcome. Why rockets?\n\n[00:00:09] Jane Park: Because \
                they are hard.\n\n00:01:10 Host: What failed first?\n\n(01:15) Jane Park: The engine.\n";
    let ivs = parse_as(text, Format::Text).unwrap_or_else(|e| panic!("{e}"));
    let iv = &ivs[0].1;
    expect_shape(iv, &[("Welcome. Why rockets?", &["Jane Park"]), ("What failed first?", &["Jane Park"])]);
    assert_eq!(iv.pairs[0].turns[0].text, "Because they are hard.");
}

// ---------------------------------------------------------------------------------------------
// Encodings and line ends

/// `text` as each encoding and line-end convention a curator's files arrive in, with the
/// encoding the reader should detect. GBK is left out when the text has characters GBK lacks.
fn encoded(text: &str) -> Vec<(&'static str, Vec<u8>, Encoding)> {
    let utf16 = |le: bool| -> Vec<u8> {
        let bom: [u8; 2] = if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] };
        bom.into_iter()
            .chain(text.encode_utf16().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() }))
            .collect()
    };
    let mut out = vec![
        ("UTF-8", text.as_bytes().to_vec(), Encoding::Utf8),
        ("UTF-8 with BOM", [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(), Encoding::Utf8Bom),
        ("UTF-16LE with BOM", utf16(true), Encoding::Utf16Le),
        ("UTF-16BE with BOM", utf16(false), Encoding::Utf16Be),
        ("UTF-8, CRLF", text.replace('\n', "\r\n").into_bytes(), Encoding::Utf8),
        ("UTF-8, CR", text.replace('\n', "\r").into_bytes(), Encoding::Utf8),
    ];
    if !text.is_ascii() {
        let (gb, _, unmappable) = encoding_rs::GB18030.encode(text);
        assert!(!unmappable);
        out.push(("GB18030", gb.into_owned(), Encoding::Gb18030));
        let crlf = text.replace('\n', "\r\n");
        let (gb, _, _) = encoding_rs::GB18030.encode(&crlf);
        out.push(("GB18030, CRLF", gb.into_owned(), Encoding::Gb18030));
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
        if !unmappable {
            out.push(("GBK", gbk.into_owned(), Encoding::Gb18030));
        }
    }
    out
}

#[test]
fn every_transcript_parses_the_same_in_every_encoding() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| Format::of(p) == Some(Format::Text))
        .collect();
    files.sort();
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/openai-microsoft-interview.zh.txt"));
    assert!(files.len() >= 12, "{files:?}");
    let mut gbk_files = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let original = transcript::parse_bytes(text.as_bytes(), Format::Text, "t").unwrap().interviews;
        for (label, bytes, encoding) in encoded(&text) {
            let parsed =
                transcript::parse_bytes(&bytes, Format::Text, "t").unwrap_or_else(|e| panic!("{name} in {label}: {e}"));
            assert_eq!(parsed.encoding, encoding, "{name} in {label}");
            assert_eq!(parsed.interviews[0].1, original[0].1, "{name} in {label}");
            assert_eq!(
                parsed.interviews[0].1.pairs.iter().map(|p| p.line).collect::<Vec<_>>(),
                original[0].1.pairs.iter().map(|p| p.line).collect::<Vec<_>>(),
                "{name} in {label}: line numbers"
            );
            gbk_files += usize::from(label == "GBK");
        }
    }
    assert!(gbk_files >= 7, "only {gbk_files} fixtures were tried in GBK");
}

#[test]
fn json_and_jsonl_parse_the_same_in_every_encoding() {
    for name in ["interview.json", "exports.jsonl"] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let format = Format::of(Path::new(name)).unwrap();
        let original = transcript::parse_bytes(text.as_bytes(), format, "t").unwrap().interviews;
        for (label, bytes, encoding) in encoded(&text) {
            let parsed =
                transcript::parse_bytes(&bytes, format, "t").unwrap_or_else(|e| panic!("{name} in {label}: {e}"));
            assert_eq!(parsed.encoding, encoding, "{name} in {label}");
            let titles = |v: &[(usize, Interview)]| v.iter().map(|(l, iv)| (*l, iv.clone())).collect::<Vec<_>>();
            assert_eq!(titles(&parsed.interviews), titles(&original), "{name} in {label}");
        }
    }
}

#[test]
fn undecodable_files_are_errors_that_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // `答` (E7 AD 94) cut short to E7 AD: a truncated character in a UTF-8 Chinese file.
    let broken_utf8 = ["标题\n\n问题一?\n\n甲:回答。\n\n问题二?\n\n甲:回".as_bytes(), b"\xe7\xad\n"].concat();
    // Short runs of UTF-8 Chinese also happen to be valid GBK (`好的` reads as `濂界殑`).
    let broken_short = ["好的\n我们\n".as_bytes(), b"\xe7\xad\n"].concat();
    let cases: [(&str, &[u8], &str); 5] = [
        // Windows-1252 `Café Müller`: neither UTF-8 nor GBK-as-Chinese.
        ("latin1.txt", b"Title\n\nQ: Caf\xe9 M\xfcller?\nA: Oui.\n", ":3: not valid text: byte 0xE9 is not UTF-8"),
        // UTF-8 Chinese with one corrupt byte: reported, not read as GB18030 mojibake.
        ("broken.txt", &broken_utf8, ":9: not valid text: byte 0xE7 is not UTF-8"),
        ("short.txt", &broken_short, ":3: not valid text: byte 0xE7 is not UTF-8"),
        ("odd.txt", b"\xFF\xFEQ\x00:\x00 \x00A", ": the file starts like UTF-16LE but is not valid UTF-16LE"),
        ("binary.json", b"{\"title\": \"x\"}\n\x00\x00\x00\x01\x02", ":2: the file contains NUL bytes"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = transcript::read_file(&path).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.contains("UTF-8") || err.contains("UTF-16") || err.contains("binary"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// JSON and JSONL

#[test]
fn json_interview_with_every_key() {
    let iv = load("interview.json");
    assert_eq!(fold(&iv.title), "对话纳米材料学家宋宁:实验室到工厂有多远");
    assert_eq!(iv.slug.as_deref(), Some("song-ning-2024"));
    assert_eq!(iv.source.as_deref(), Some("https://example.com/song-ning"));
    assert_eq!(iv.date.as_deref(), Some("2024-03-08"));
    assert_eq!(iv.interviewer.as_deref(), Some("方圆"));
    assert_eq!(iv.notes.len(), 2);
    assert_eq!(iv.speakers[0].aliases, ["Song Ning", "宋教授"]);
    expect_shape(
        &iv,
        &[("从论文到量产,最难的一步是什么?", &["宋宁"]), ("企业愿意为新材料付溢价吗?", &["宋宁", "方圆", "宋宁"])],
    );
    assert_eq!(iv.pairs[0].alternates, ["实验室成果怎么量产"]);
    assert_eq!(iv.pairs.iter().map(|p| p.line).collect::<Vec<_>>(), [Some(22), Some(34)], "pairs know their line");
}

#[test]
fn jsonl_one_interview_per_line() {
    let parsed = transcript::read_file(&fixture("exports.jsonl")).unwrap();
    let lines: Vec<usize> = parsed.interviews.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [1, 2]);
    let (english, chinese) = (&parsed.interviews[0].1, &parsed.interviews[1].1);
    expect_shape(english, &[("Why are batteries getting cheaper?", &["Lena Ortiz"])]);
    assert!(english.notes.is_empty());
    assert_eq!(
        chinese.notes.iter().map(|n| fold(n)).collect::<Vec<_>>(),
        ["第一段导语.", "第二段导语."],
        "notes as one string"
    );
    expect_shape(chinese, &[("天气预报为什么越来越准?", &["韩雪"]), ("AI 会取代数值预报吗?", &["韩雪"])]);
}

#[test]
fn json_errors_carry_the_line_and_say_what_was_expected() {
    let json = Format::Json;
    let good = std::fs::read_to_string(fixture("interview.json")).unwrap();
    // A syntax error: a missing comma after line 5.
    let broken = good.replacen("\"2024-03-08\",", "\"2024-03-08\"", 1);
    let (line, message) = error_of(&broken, json);
    assert_eq!(line, Some(6), "{message}");
    assert!(message.contains("expected `,` or `}`"), "{message}");
    // A misspelt key is an error, not ignored.
    let (line, message) = error_of(&good.replacen("\"interviewer\"", "\"interviewr\"", 1), json);
    assert_eq!(line, Some(6), "{message}");
    assert!(message.contains("unknown field `interviewr`") && message.contains("expected one of"), "{message}");
    let (line, message) = error_of(&good.replacen("\"alternates\"", "\"alternatives\"", 1), json);
    assert_eq!(line, Some(23), "{message}");
    assert!(message.contains("unknown field `alternatives`"), "{message}");
    // A pair without turns: the line of its question.
    let no_turns = r#"{"title": "T",
 "pairs": [
  {"question": "Q1?", "turns": [{"speaker": "A", "text": "yes"}]},
  {"question": "Q2?",
   "turns": []}
 ]}"#;
    let (line, message) = error_of(no_turns, json);
    assert_eq!(line, Some(4), "{message}");
    assert!(message.contains("no answer"), "{message}");
    let (line, message) = error_of(&no_turns.replace("\"text\": \"yes\"", "\"text\": \" \""), json);
    assert_eq!(line, Some(3), "{message}");
    assert!(message.contains("empty"), "{message}");
    // Wrong types say what they wanted.
    let (line, message) = error_of("{\"title\": \"T\",\n \"notes\": 5, \"pairs\": []}", json);
    assert_eq!(line, Some(2), "{message}");
    assert!(message.contains("a string or a list of strings"), "{message}");
    let (_, message) = error_of("{\"title\": \"T\", \"pairs\": [{\"question\": \"Q?\"}]}", json);
    assert!(message.contains("missing field `turns`"), "{message}");
    let (line, message) = error_of("", json);
    assert_eq!(line, Some(1), "{message}");
}

#[test]
fn json_blank_identity_is_an_error_naming_the_key() {
    let pairs = r#""pairs": [{"question": "Q?", "turns": [{"speaker": "A", "text": "yes"}]}]"#;
    for (key, value) in [("slug", ""), ("slug", "  "), ("source", " ")] {
        let json = format!("{{\"title\": \"T\",\n \"{key}\": \"{value}\",\n {pairs}}}");
        let (line, message) = error_of(&json, Format::Json);
        assert_eq!(line, Some(2), "{message}");
        assert!(message.contains(&format!("`{key}` is blank")) && message.contains("leave the key out"), "{message}");
        let (line, message) = error_of(&format!("\n{}\n", json.replace('\n', "")), Format::JsonLines);
        assert_eq!(line, Some(2), "{message}");
        assert!(message.contains(&format!("`{key}` is blank")), "{message}");
    }
}

#[test]
fn a_json_list_of_interviews_points_to_jsonl() {
    let good = std::fs::read_to_string(fixture("interview.json")).unwrap();
    let (line, message) = error_of(&format!("\n[{good}]"), Format::Json);
    assert_eq!(line, Some(2), "{message}");
    assert!(message.contains("expected one interview object") && message.contains(".jsonl"), "{message}");
    let (line, message) = error_of(&format!("{}\n[]\n", good.replace('\n', "")), Format::JsonLines);
    assert_eq!(line, Some(2), "{message}");
    assert!(message.contains("one interview object"), "{message}");
    let (_, message) = error_of("\"an interview\"", Format::Json);
    assert!(message.contains("expected one interview object"), "{message}");
}

#[test]
fn json_type_errors_name_the_path_of_the_field() {
    let json = "{\"title\": \"T\", \"pairs\": [\n\
                {\"question\": \"Q1?\", \"turns\": [{\"speaker\": \"A\", \"text\": \"yes\"}]},\n\
                {\"question\": \"Q2?\", \"turns\": [{\"speaker\": \"A\", \"text\": \"yes\"}]},\n\
                {\"question\": \"Q3?\", \"alternates\": null, \"turns\": [{\"speaker\": \"A\", \"text\": \"yes\"}]}]}";
    let (line, message) = error_of(json, Format::Json);
    assert_eq!(line, Some(4), "{message}");
    assert!(message.contains("pairs[2].alternates: expected a list of strings, got null"), "{message}");
    for (from, to, expected) in [
        ("\"speaker\": \"A\"", "\"speaker\": 5", "pairs[0].turns[0].speaker: expected a string, got integer `5`"),
        (
            "\"alternates\": null",
            "\"alternates\": [\"x\", 2]",
            "pairs[2].alternates[1]: expected a string, got integer `2`",
        ),
        (
            "\"pairs\": [",
            "\"notes\": 5, \"pairs\": [",
            "notes: expected a string or a list of strings, got integer `5`",
        ),
        ("\"title\": \"T\"", "\"title\": [\"T\"]", "title: expected a string, got a list"),
        ("{\"question\": \"Q2?\"", "[{\"question\": \"Q2?\"", "pairs[1]: expected a pair object"),
        (
            "\"turns\": [{\"speaker\": \"A\", \"text\": \"yes\"}]},\n{\"question\": \"Q2?\"",
            "\"turns\": {}},\n{\"question\": \"Q2?\"",
            "pairs[0].turns: expected a list of turns, got an object",
        ),
        (
            "\"text\": \"yes\"}]},\n{\"question\": \"Q2?\"",
            "\"txt\": \"yes\"}]},\n{\"question\": \"Q2?\"",
            "pairs[0].turns[0]: unknown field `txt`",
        ),
        (
            ", \"turns\": [{\"speaker\": \"A\", \"text\": \"yes\"}]},\n{\"question\": \"Q2?\"",
            "},\n{\"question\": \"Q2?\"",
            "pairs[0]: missing field `turns`",
        ),
    ] {
        assert!(json.contains(from), "{from}");
        let (_, message) = error_of(&json.replacen(from, to, 1), Format::Json);
        assert!(message.contains(expected), "{expected}\n{message}");
    }
    let (line, message) = error_of(&format!("\n{}", json.replace('\n', "")), Format::JsonLines);
    assert_eq!(line, Some(2), "{message}");
    assert!(message.contains("pairs[2].alternates: expected a list of strings, got null"), "{message}");
}

#[test]
fn jsonl_errors_carry_the_line_of_the_record() {
    let jsonl = Format::JsonLines;
    let good = std::fs::read_to_string(fixture("exports.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(1, "");
    lines.push("{\"title\": \"T\", \"pairs\": [{\"question\": \"Q?\", \"turns\": [], \"speakers\": []}]}");
    let (line, message) = error_of(&lines.join("\n"), jsonl);
    assert_eq!(line, Some(4), "{message}");
    assert!(message.contains("unknown field `speakers`"), "{message}");
    lines.pop();
    lines.push("{\"title\": \"T\", \"pairs\": [{\"question\": \"Q?\", \"turns\": []}]}");
    let (line, message) = error_of(&lines.join("\n"), jsonl);
    assert_eq!(line, Some(4), "{message}");
    assert!(message.contains("pair 1") && message.contains("no answer"), "{message}");
    let (line, message) = error_of("\n\n", jsonl);
    assert_eq!(line, None);
    assert!(message.contains("no interviews"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Malformed transcripts: the line, and what was expected

#[test]
fn question_without_an_answer_is_left_out_with_a_warning() {
    let (iv, warnings) = warnings_of("标题\n\n问题一?\n\n甲:回答一。\n\n问题二?\n\n甲:回答二。\n\n问题三?\n");
    assert_eq!(iv.pairs.len(), 2);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, 11);
    assert!(warnings[0].1.contains("no answer") && warnings[0].1.contains("left out"), "{warnings:?}");
    let text = "访谈\n\n主持人:第一个问题?\n甲:回答。\n主持人:第二个问题?\n甲:回答。\n主持人:第三个问题?\n";
    let (iv, warnings) = warnings_of(text);
    assert_eq!((iv.pairs.len(), warnings[0].0), (2, 7), "{warnings:?}");
    assert!(warnings[0].1.contains("no answer") && warnings[0].1.contains("expected"), "{warnings:?}");
}

#[test]
fn two_question_markers_in_a_row_are_an_unanswered_question() {
    // `问:` starts a new question each time: a second `问:` before any answer means the first
    // question draws none (a shareholder's remark). It is left out with a warning at its line.
    let wenda = "---\nspeakers: 李四\n---\n访谈\n\n问\u{FF1A}没有答案的问题\u{FF1F}\n\
                 问\u{FF1A}第二个\u{FF1F}\n答\u{FF1A}好的。\n";
    let (iv, warnings) = warnings_of(wenda);
    expect_shape(&iv, &[("第二个?", &["李四"])]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, 6);
    let message = &warnings[0].1;
    assert!(message.contains("no answer") && message.contains("line 7") && message.contains("expected"), "{message}");
    // The second question and its answer on one line.
    let inline = wenda.replace("第二个\u{FF1F}\n答", "第二个\u{FF1F} 答");
    assert_eq!(warnings_of(&inline).1[0].0, 6);
    // Even when the first question is not phrased as one.
    let statement = wenda.replace("没有答案的问题\u{FF1F}", "先说背景。");
    assert_eq!(warnings_of(&statement).1[0].0, 6);
    let qa = "---\nspeakers: Jane Park\n---\nTalk\n\nQ: First, unanswered?\n\nQ: Second?\n\nA: Fine.\n";
    let (iv, warnings) = warnings_of(qa);
    assert_eq!((iv.pairs.len(), warnings[0].0), (1, 6), "{warnings:?}");
    assert!(warnings[0].1.contains("`Q:`"), "{warnings:?}");
}

#[test]
fn an_interviewer_label_twice_in_a_row_is_one_question_in_two_paragraphs() {
    // `主持人:` names a person, not a new question: two paragraphs of the same host before the
    // answer are one question (a remark, then the question itself).
    let text = "访谈\n\n主持人:欢迎来到节目。\n主持人:第一个问题,你为什么创业?\n甲:因为喜欢。\n\
                主持人:第二个问题?\n甲:没有了。\n";
    let ivs = parse_as(text, Format::Text).unwrap_or_else(|e| panic!("{e}"));
    expect_shape(&ivs[0].1, &[("欢迎来到节目.\n第一个问题,你为什么创业?", &["甲"]), ("第二个问题?", &["甲"])]);
}

#[test]
fn wen_da_answers_may_all_be_on_the_question_line() {
    // `答:` only ever after the question mark on the `问:` line still names the answerer.
    let text = "---\nspeakers: 李四\n---\n访谈\n\n问:你好吗?答:很好。\n问:然后呢? 答:没了。\n";
    let ivs = parse_as(text, Format::Text).unwrap_or_else(|e| panic!("{e}"));
    expect_shape(&ivs[0].1, &[("你好吗?", &["李四"]), ("然后呢?", &["李四"])]);
    // Without a known answerer: a neutral speaker, and a warning at the first `答:`.
    let (iv, warnings) = warnings_of("访谈\n\n问:你好吗?答:很好。\n问:然后呢?答:没了。\n");
    expect_shape(&iv, &[("你好吗?", &["受访者"]), ("然后呢?", &["受访者"])]);
    assert_eq!(warnings[0].0, 3, "{warnings:?}");
    assert!(warnings[0].1.contains("who answers"), "{warnings:?}");
}

#[test]
fn file_without_pairs() {
    let (line, message) = error_of("一篇文章\n\n只是一段介绍。\n\n没有问答。\n", Format::Text);
    assert_eq!(line, Some(1));
    assert!(message.contains("no question/answer pairs") && message.contains("expected"), "{message}");
    let (line, message) = error_of("---\ntitle: 空\n---\n\n\n", Format::Text);
    assert_eq!((line, message.contains("no question/answer pairs")), (Some(4), true), "{message}");
    let (line, message) = error_of("", Format::Text);
    assert_eq!(line, None);
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn label_without_text() {
    // A label alone on its line, then the next speaker: that turn is left out.
    let text = "标题\n\n问题一?\n\n甲:\n\n乙:我来说。\n\n问题二?\n\n甲:好。\n\n乙:好。\n";
    let (iv, warnings) = warnings_of(text);
    expect_shape(&iv, &[("问题一?", &["乙"]), ("问题二?", &["甲", "乙"])]);
    assert_eq!(warnings[0].0, 5);
    assert!(
        warnings[0].1.contains("`甲` has no text") && warnings[0].1.contains("expected the answer"),
        "{warnings:?}"
    );
    // A label alone on the last line.
    let text = "标题\n\n问题一?\n\n甲:好。\n\n问题二?\n\n甲:\n";
    let (iv, warnings) = warnings_of(text);
    assert_eq!((iv.pairs.len(), warnings[0].0), (1, 9), "{warnings:?}");
    // An interviewer label without a question: its answer is left out too.
    let text = "访谈\n\n主持人:\n甲:回答。\n主持人:第二个问题?\n甲:回答。\n";
    let (iv, warnings) = warnings_of(text);
    assert_eq!((iv.pairs.len(), warnings[0].0), (1, 3), "{warnings:?}");
    assert!(warnings[0].1.contains("expected the question"), "{warnings:?}");
    // Nothing left at all: the file is an error.
    let text = "访谈\n\n问: \n答:好。\n";
    let (line, message) = error_of(&format!("---\nspeakers: 甲\n---\n{text}"), Format::Text);
    assert!(message.contains("no question/answer pairs"), "{line:?} {message}");
}

#[test]
fn wen_da_without_a_known_answerer() {
    let text = "一次访谈\n\n我们聊了聊。\n\n问:你好吗?\n答:很好。\n问:然后呢?\n答:没了。\n";
    let (iv, warnings) = warnings_of(text);
    expect_shape(&iv, &[("你好吗?", &["受访者"]), ("然后呢?", &["受访者"])]);
    assert_eq!(warnings[0].0, 6);
    assert!(warnings[0].1.contains("who answers") && warnings[0].1.contains("--answerer"), "{warnings:?}");
    // Two speakers in front matter: still ambiguous.
    let (_, warnings) = warnings_of(&format!("---\nspeakers: 甲, 乙\n---\n{text}"));
    assert_eq!(warnings[0].0, 9);
    assert!(warnings[0].1.contains("several speakers"), "{warnings:?}");
}

#[test]
fn broken_front_matter() {
    let (line, message) = error_of("\n---\ntitle: 访谈\n\n问题?\n\n甲:好。\n", Format::Text);
    assert_eq!(line, Some(2));
    assert!(message.contains("no closing `---`"), "{message}");
    let (line, message) = error_of("---\ntitle: 访谈\nthis is not a key\n---\n问题?\n\n甲:好。\n", Format::Text);
    assert_eq!(line, Some(3));
    assert!(message.contains("expected `key: value`"), "{message}");
    let (line, message) = error_of("---\nspeakers: 甲 (阿甲\n---\n问题?\n\n甲:好。\n", Format::Text);
    assert_eq!(line, Some(2));
    assert!(message.contains("unclosed parenthesis"), "{message}");
}

#[test]
fn many_distinct_colon_paragraphs_do_not_slow_parsing_down() {
    // 10,000 answers, each with its own `要点N:` paragraph: comparing every label with every
    // other label once took minutes here. No wall-clock assertion (shared machines are noisy):
    // a quadratic regression shows as this test taking minutes.
    let mut text = String::from("大型访谈\n\n导语。\n\n");
    for i in 0..10_000 {
        text.push_str(&format!("第{i}个问题是什么?\n\n甲:\n\n回答{i}。\n\n要点{i}:内容。\n\n乙:补充{i}。\n\n"));
    }
    let ivs = parse_as(&text, Format::Text).unwrap();
    assert_eq!(ivs[0].1.pairs.len(), 10_000);
    assert_eq!(ivs[0].1.pairs[9_999].turns[0].text, "回答9999。\n要点9999:内容。");
}

#[test]
fn an_unlabelled_paragraph_between_two_turns_of_one_speaker_is_a_question() {
    let text =
        "访谈\n\n请谈谈您对人工智能的看法。\n\n张三:我认为它会改变一切。\n\n再说说教育。\n\n张三:教育会被重塑。\n";
    let parsed = qabot::transcript::parse_bytes(text.as_bytes(), qabot::transcript::Format::Text, "x").unwrap();
    let iv = &parsed.interviews[0].1;
    assert_eq!(iv.pairs.len(), 2);
    assert_eq!(iv.pairs[1].question, "再说说教育。");
    assert_eq!(iv.pairs[0].turns[0].text, "我认为它会改变一切。");
    assert_eq!(iv.pairs[1].turns[0].text, "教育会被重塑。");
}
