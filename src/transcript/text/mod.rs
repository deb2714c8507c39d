//! Parsing transcript text: headline, intro notes, questions and labelled answer turns.
//!
//! Three layouts are recognised, chosen per file (in `layouts`):
//! - **labelled interviewer**: every turn is labelled, the interviewer's too (`主持人:`, `记者:`,
//!   `问:`/`答:`, `Q:`/`A:`, `主持人 李梅:`, `李梅(主持人):`, `《夜航》:`, a name that front matter
//!   calls the interviewer, or the name whose turns are mostly questions and who speaks first).
//!   Each interviewer turn starts a new pair; `答:`/`A:` is the one interviewee named in front
//!   matter, by `--answerer`, or in the headline or intro (`专访…创始人林晓`, `…李明接受了群访`,
//!   `An interview with Dr. Maria Chen`), else a neutral `受访者`/`Interviewee` with a warning.
//! - **bare questions** (the seed interview): the interviewer's question is an unlabelled paragraph
//!   ending in a question mark, followed by `Name:` turns. Unlabelled paragraphs after a turn
//!   continue it.
//! - **bold questions**, no labels at all: paragraphs bold as a whole are questions, the plain
//!   paragraphs after each its answer, by the person the intro names.
//!
//! A label (`Name:`, `Name:`, `【Name】`, `NAME :`, `Name (00:01:10):`, `A/B/C:`) counts as a
//! speaker only when it behaves like one (in `roles`): it is short and name-like and it recurs as
//! a turn opener (or front matter declares it). Everything else stays text: `需从两方面审视价值:`,
//! `Token 工厂:…`, list items (`- 优势:…`, `1. 风险:…`), and labels that never open an answer and
//! only ever follow a lead-in ending in a colon (`两点:` → `优势:…` `风险:…`), even when they
//! recur. Ordinals and list heads (`第一步:`, `步骤二:`, `一是:`, `首先:`, `Step 1:`, `Pros:`) are
//! never speakers, and an undeclared label that never opens an answer must also look like a name:
//! not an everyday Chinese word (`预算:`), and in capitals when every speaker who opens an answer
//! is labelled in capitals (`BAKER:` … `Budget:`). A label made of part of another speaker's label
//! (`纳德拉:` after `萨提亚·纳德拉:`) or of its initials (`J.M.:` after `JANE MORROW:`) is that
//! speaker, and is recorded as their alias.
//!
//! Hard-wrapped lines are joined back into paragraphs, a bold label glued to the end of a line
//! gets a line of its own, recording timestamps are dropped, page furniture is dropped (see
//! `furniture.rs`) and a byline's date dates the interview (in `paragraphs`). Section headings
//! and captions between exchanges are dropped; asides in parentheses after the last answer become
//! notes. Local problems (a question that draws no answer, a label without text) leave out what
//! they concern with a [`Warning`] at its line; only a file without any pair is an error.

mod labels;
mod layouts;
mod paragraphs;
mod roles;
mod sections;

use super::frontmatter;
use super::{fold_str, names, Interview, ParseError, ParseOptions, Speaker, Warning};
use labels::*;
use layouts::*;
use paragraphs::*;
use roles::*;
use sections::*;

pub(crate) use paragraphs::ends_sentence;

/// A parsed transcript and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct ParsedText {
    /// The interview; `title` is empty when the text has neither front-matter title nor headline.
    pub interview: Interview,
    /// Non-fatal observations.
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone)]
struct Para {
    /// 1-based line of the paragraph's first line.
    line: usize,
    text: String,
    /// A Markdown heading (`# …`): structure, not content (except as the headline).
    heading: bool,
    /// The whole paragraph was in bold (`**…**`): pages without labels bold their questions.
    bold: bool,
    /// Who answers in the section this paragraph stands in, when a heading names them (see
    /// `sections`): unlabelled answers there are theirs.
    section: Option<String>,
}

/// How a paragraph reads once speakers are known.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Plain,
    /// An interviewer turn; payload: text after the label.
    Ask(String),
    /// An answer turn; payload: canonical speaker name, text after the label.
    Answer(String, String),
}

/// Parse decoded transcript text with default options.
#[cfg(test)]
pub fn parse(content: &str) -> Result<ParsedText, ParseError> {
    parse_with(content, &ParseOptions::default())
}

/// Parse decoded transcript text; `options` name the answerer and interviewer for files that
/// name no one.
pub fn parse_with(content: &str, options: &ParseOptions) -> Result<ParsedText, ParseError> {
    let mut lines: Vec<&str> = content.split('\n').collect();
    let mut warnings = Vec::new();
    if content.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}').is_empty() {
        return Err(ParseError::whole(
            "the file is empty: expected a transcript (a headline, then questions and `Name:` answers)",
        ));
    }
    let (mut fm, body_start) = frontmatter::split(&lines, &mut warnings)?;
    for i in frontmatter::header_block(&lines, body_start, &mut fm) {
        lines[i] = "";
    }
    let relabelled = relabel(&lines);
    let lines: Vec<&str> = lines.iter().zip(&relabelled).map(|(l, r)| r.as_deref().unwrap_or(l)).collect();
    let body = read_paragraphs(&lines, body_start);
    if body.paras.is_empty() {
        let line = (body_start + 1).min(lines.len());
        let why = if body_start > 0 {
            "there is no text after the front matter"
        } else {
            "the file holds only page furniture"
        };
        return Err(ParseError::at(line, format!("no question/answer pairs found: {why}")));
    }
    let names = Names::from_front_matter(&fm, options);
    let roles = Roles::detect(&body.paras, &names, &mut warnings);
    let mut paras = split_inline_answers(body.paras, &roles);
    // A Markdown heading is structure, even when it reads like a label (`## 王五:谈教育`).
    let mut kinds: Vec<Kind> =
        paras.iter().map(|p| if p.heading { Kind::Plain } else { roles.classify(&p.text) }).collect();
    // `**王五：**` alone, then the host's question: a section heading, not a turn.
    mark_section_headings(&mut paras, &mut kinds, &roles);
    let (paras, kinds) = drop_empty_labels(paras, kinds, &mut warnings);
    let (paras, kinds, asides) = split_trailing_asides(paras, kinds);
    let (mut layout, answerer) = choose_layout(&paras, &kinds, &names, &mut warnings)?;
    if layout.pairs.is_empty() {
        return Err(unanswered_error(&paras, &kinds));
    }
    layout.notes.extend(asides);
    let mut speakers = fm.speakers.clone();
    speakers.extend(roles.answer_role.clone().into_iter().chain(answerer).filter(|s| !s.aliases.is_empty()));
    for alias in roles.aliases() {
        if !speakers.iter().any(|s| s.name == alias.name) {
            speakers.push(alias);
        }
    }
    add_other_script_aliases(&mut speakers, &layout);
    if let Some(interviewer) = &fm.interviewer {
        speakers.push(interviewer.clone());
    }
    let interviewer = fm.interviewer.map(|s| s.name).or(roles.interviewer_name).or(options.interviewer.clone());
    let interview = Interview {
        title: headline(layout.title.take(), fm.title, &mut layout.notes),
        slug: fm.slug,
        source: fm.source,
        date: fm.date.or(body.date),
        interviewer,
        notes: layout.notes,
        speakers,
        pairs: layout.pairs,
    };
    Ok(ParsedText { interview, warnings })
}

/// Lines that label a turn in a way the label reader does not know, rewritten as `Name:` labels
/// (`None`: as written): speaker-and-time lines of speech-to-text exports, and `Q.` / `A.`.
fn relabel(lines: &[&str]) -> Vec<Option<String>> {
    let mut out = timestamp_labels(lines);
    for (slot, dotted) in out.iter_mut().zip(dotted_qa_labels(lines)) {
        if slot.is_none() {
            *slot = dotted;
        }
    }
    out
}

/// `Q. How long…?` / `A. About two days.`: question and answer markers written with a full stop,
/// read as `Q:` / `A:` when the file has at least two of each (a lone `A. Smith said` is a name).
fn dotted_qa_labels(lines: &[&str]) -> Vec<Option<String>> {
    let marker = |line: &str, m: &str| line.trim_start().strip_prefix(m).map(str::to_owned);
    let count = |m: &str| lines.iter().filter(|l| marker(l, m).is_some()).count();
    if count("Q. ") < 2 || count("A. ") < 2 {
        return vec![None; lines.len()];
    }
    lines
        .iter()
        .map(|l| {
            marker(l, "Q. ")
                .map(|rest| format!("Q: {rest}"))
                .or_else(|| marker(l, "A. ").map(|rest| format!("A: {rest}")))
        })
        .collect()
}

/// Speech-to-text exports (Otter.ai, Zoom, Descript) put each turn's speaker and time on a line of
/// their own, the words below (`Priya Natarajan  0:05`). Such lines become `Priya Natarajan:`
/// labels when at least two of them occur; everything else is left as it is (`None`).
fn timestamp_labels(lines: &[&str]) -> Vec<Option<String>> {
    let labels: Vec<Option<String>> = lines.iter().map(|l| timestamp_label(l)).collect();
    if labels.iter().flatten().count() < 2 {
        return vec![None; lines.len()];
    }
    labels
}

/// `Name  0:05` or `Speaker 1  01:02:03` → `Name:`: a short name (capitalised, or in Chinese
/// characters) then a time, nothing else on the line.
fn timestamp_label(line: &str) -> Option<String> {
    let line = line.trim();
    let (name, time) = line.rsplit_once(char::is_whitespace)?;
    let name = name.trim();
    let parts: Vec<&str> = time.split(':').collect();
    let digits = |p: &&str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
    let is_time = (2..=3).contains(&parts.len()) && parts.iter().all(digits) && parts[1..].iter().all(|p| p.len() == 2);
    let first = name.chars().next()?;
    let short = name.split_whitespace().count() <= 4 && name.chars().count() <= 40;
    let name_like = (first.is_uppercase() || names::is_han(first))
        && !name.contains([':', '\u{FF1A}'])
        && !name.ends_with(|c: char| c.is_ascii_punctuation() || "。？！，、".contains(c));
    (is_time && short && name_like).then(|| format!("{name}:"))
}

/// `陈静怡（Grace）` in the headline or intro and `Grace:` labels: the name in the other script is
/// an alias of the answering speaker, so asking by either finds her.
fn add_other_script_aliases(speakers: &mut Vec<Speaker>, layout: &Layout) {
    let intro: Vec<&str> = layout.title.iter().chain(&layout.notes).take(12).map(String::as_str).collect();
    let mut answering: Vec<&str> = Vec::new();
    for turn in layout.pairs.iter().flat_map(|p| &p.turns) {
        if !answering.contains(&turn.speaker.as_str()) {
            answering.push(&turn.speaker);
        }
    }
    for name in answering {
        let Some(alias) = names::other_script_name(name, &intro) else { continue };
        let taken = |s: &Speaker| s.name == alias || s.aliases.contains(&alias);
        if speakers.iter().any(taken) || layout.pairs.iter().flat_map(|p| &p.turns).any(|t| t.speaker == alias) {
            continue;
        }
        match speakers.iter_mut().find(|s| s.name == name) {
            Some(s) => s.aliases.push(alias),
            None => speakers.push(Speaker { name: name.to_owned(), aliases: vec![alias] }),
        }
    }
}

/// A front-matter title wins over the headline, which then becomes the first note (unless the
/// two say the same).
fn headline(headline: Option<String>, title: Option<String>, notes: &mut Vec<String>) -> String {
    let Some(title) = title else { return headline.unwrap_or_default() };
    if let Some(headline) = headline {
        if fold_str(&headline).split_whitespace().ne(fold_str(&title).split_whitespace()) {
            notes.insert(0, headline);
        }
    }
    title
}

/// The labelled layout when the interviewer has a label, the bare layout when answers do, else
/// bold questions with unlabelled answers (whose answerer is returned too).
fn choose_layout(
    paras: &[Para],
    kinds: &[Kind],
    names: &Names,
    warnings: &mut Vec<Warning>,
) -> Result<(Layout, Option<Speaker>), ParseError> {
    if kinds.iter().any(|k| matches!(k, Kind::Ask(_))) {
        return Ok((labelled_layout(paras, kinds, warnings), None));
    }
    if kinds.iter().any(|k| matches!(k, Kind::Answer(..))) {
        return Ok((bare_layout(paras, kinds, warnings)?, None));
    }
    let first_bold = paras.iter().position(|p| p.bold && !p.heading && !is_heading(&p.text)).unwrap_or(0);
    let line = paras.get(first_bold).map_or(1, |p| p.line);
    let mut found = Vec::new();
    // When every question stands in a section whose heading names who answers, nobody else does.
    let answerer = match paras.get(first_bold).and_then(|p| p.section.as_ref()) {
        Some(_) => None,
        None => Some(answerer_for(&paras[..first_bold], names, line, "unlabelled answers", &mut found)),
    };
    let name = answerer.as_ref().map_or("", |a| a.name.as_str());
    match bold_layout(paras, name) {
        Some(layout) => {
            warnings.extend(found);
            Ok((layout, answerer))
        }
        None => Err(no_pairs_error(paras)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::transcript::Pair;

    fn parse_ok(text: &str) -> Interview {
        parse(text).unwrap_or_else(|e| panic!("{e}")).interview
    }

    fn speakers(pair: &Pair) -> Vec<&str> {
        pair.turns.iter().map(|t| t.speaker.as_str()).collect()
    }

    #[test]
    fn labels_are_recognised_in_all_their_forms() {
        assert_eq!(split_label("山姆·奥特曼:并不夸张"), Some(("山姆·奥特曼".into(), "并不夸张".into())));
        assert_eq!(split_label("答 : 是的"), Some(("答".into(), "是的".into())));
        assert_eq!(split_label("【萨提亚】说得好"), Some(("萨提亚".into(), "说得好".into())));
        assert_eq!(split_label("SAM ALTMAN: Yes."), Some(("SAM ALTMAN".into(), "Yes.".into())));
        assert_eq!(split_label("会议在 10:30 开始"), None);
        assert_eq!(split_label("见 https://example.com"), None);
        assert_eq!(split_label("“开放”的分销协议:OpenAI"), None);
    }

    #[test]
    fn full_width_punctuation_works_like_ascii() {
        let iv = parse_ok("标题\n\n问题一\u{FF1F}\n\n甲\u{FF1A}回答一。\n\n问题二?\n\n甲 \u{FF1A} 回答二。\n");
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[0].question, "问题一\u{FF1F}");
        assert_eq!(iv.pairs[1].turns[0].text, "回答二。");
    }

    #[test]
    fn bare_questions_with_standalone_and_inline_labels() {
        let iv = parse_ok(
            "标题\n\n导语。\n\n问题一?\n\n甲:\n\n回答一。\n\n第二段。\n\n问题二?\n\n乙:回答二。\n\n甲:补充。\n",
        );
        assert_eq!(iv.title, "标题");
        assert_eq!(iv.notes, vec!["导语。"]);
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[0].question, "问题一?");
        assert_eq!(iv.pairs[0].turns[0].text, "回答一。\n第二段。");
        assert_eq!(speakers(&iv.pairs[1]), ["乙", "甲"]);
    }

    #[test]
    fn colon_paragraphs_inside_answers_stay_text() {
        let iv = parse_ok("T\n\nQ1?\n\n甲:\n\n需从两方面审视价值:\n\nToken 工厂:硬件。\n\nQ2?\n\n甲:好。\n");
        assert_eq!(iv.pairs[0].turns.len(), 1);
        assert_eq!(iv.pairs[0].turns[0].text, "需从两方面审视价值:\nToken 工厂:硬件。");
    }

    #[test]
    fn question_without_answer_is_left_out_with_a_warning() {
        let parsed = parse("T\n\nQ1?\n\n甲:答。\n\nQ2?\n\n甲:答。\n\nQ3?\n").unwrap();
        assert_eq!(parsed.interview.pairs.len(), 2);
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].line, 11);
        assert!(parsed.warnings[0].message.contains("draws no answer"), "{:?}", parsed.warnings);
    }

    #[test]
    fn text_without_pairs_is_an_error() {
        let err = parse("只是一篇文章。\n\n没有问答。\n").unwrap_err();
        assert!(err.message.contains("no question/answer pairs"), "{err}");
    }

    #[test]
    fn wen_da_with_answerer_from_front_matter() {
        let iv = parse_ok("---\nspeakers: 李四\n---\n访谈\n\n问:你好吗?\n答:很好。\n问 :然后呢?答:没了。\n");
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[1].question, "然后呢?");
        assert_eq!(iv.pairs[1].turns[0].speaker, "李四");
        assert_eq!(iv.pairs[1].turns[0].text, "没了。");
    }

    #[test]
    fn wen_da_without_answerer_gets_a_neutral_speaker_and_a_warning() {
        let parsed = parse("访谈\n\n问:你好吗?\n答:很好。\n").unwrap();
        assert_eq!(parsed.interview.pairs[0].turns[0].speaker, "Interviewee");
        assert_eq!(parsed.warnings[0].line, 4);
        assert!(parsed.warnings[0].message.contains("--answerer"), "{:?}", parsed.warnings);
        let options = ParseOptions { answerer: Some("李四".into()), interviewer: Some("王五".into()) };
        let parsed = parse_with("访谈\n\n问:你好吗?\n答:很好。\n", &options).unwrap();
        assert_eq!(parsed.interview.pairs[0].turns[0].speaker, "李四");
        assert_eq!(parsed.interview.interviewer.as_deref(), Some("王五"));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    }

    #[test]
    fn a_shortened_label_is_the_same_speaker() {
        let parsed = parse(
            "标题\n\n问题一?\n\n萨提亚\u{B7}纳德拉:回答一。\n\n山姆\u{B7}奥特曼:补充。\n\n问题二?\n\n纳德拉:回答二。\n\n\
             问题三?\n\n奥特曼:回答三。\n",
        )
        .unwrap();
        let iv = parsed.interview;
        let (altman, nadella) = ("山姆\u{B7}奥特曼", "萨提亚\u{B7}纳德拉");
        assert_eq!(speakers(&iv.pairs[0]), [nadella, altman]);
        assert_eq!(speakers(&iv.pairs[1]), [nadella]);
        assert_eq!(speakers(&iv.pairs[2]), [altman]);
        // Recorded as aliases, so asking by the short name finds them; the store merges another
        // file's `奥特曼` into this speaker only when that file confirms it is the same person.
        let aliases: Vec<(&str, &[String])> = iv.speakers.iter().map(|s| (s.name.as_str(), &s.aliases[..])).collect();
        assert_eq!(aliases, [(nadella, &["纳德拉".to_owned()][..]), (altman, &["奥特曼".to_owned()][..])]);
    }

    #[test]
    fn roles_written_next_to_names() {
        let iv = parse_ok("访谈\n\n李梅(主持人):第一个问题?\n\n张伟(嘉宾):很好。\n\n李梅(主持人):第二个问题?\n\n张伟(嘉宾):也很好。\n");
        assert_eq!(iv.interviewer.as_deref(), Some("李梅"));
        assert_eq!(iv.pairs.iter().map(|p| speakers(p)).collect::<Vec<_>>(), [["张伟"], ["张伟"]]);
        let iv = parse_ok("访谈\n\n主持人 李梅:你好吗?\n\n张伟:很好。\n\n主持人 李梅:然后呢?\n\n张伟:没了。\n");
        assert_eq!(iv.interviewer.as_deref(), Some("李梅"));
        let iv = parse_ok("T\n\nInterviewer: Why?\n\nSam Altman (OpenAI): Because.\n\nInterviewer: How?\n\nSam Altman (OpenAI): Slowly.\n");
        assert_eq!(iv.pairs[1].turns[0].speaker, "Sam Altman");
    }

    #[test]
    fn a_time_in_an_answer_is_not_a_timestamp() {
        let iv = parse_ok("标题\n\n问题一?\n\n甲:10:30 我们到了现场。\n\n问题二?\n\n甲:好。\n\n10:45 大家都到了。\n");
        assert_eq!(iv.pairs[0].turns[0].text, "10:30 我们到了现场。");
        assert_eq!(iv.pairs[1].turns[0].text, "好。\n10:45 大家都到了。");
        // A recording timestamp in square brackets inside a line is dropped, one in words stays.
        let iv = parse_ok(
            "Title\n\nHow many?\n\nPRIYA: Forty-two. [00:01:20] Most are in the hills [01:02].\n\n\
                           When?\n\nPRIYA: At 10:30 sharp [00:02:05], not (10:45).\n",
        );
        assert_eq!(iv.pairs[0].turns[0].text, "Forty-two. Most are in the hills.");
        assert_eq!(iv.pairs[1].turns[0].text, "At 10:30 sharp, not (10:45).");
    }

    #[test]
    fn interviewer_is_inferred_from_questions() {
        let iv = parse_ok(
            "Title\n\nALICE: Why now?\nBOB: Because.\nALICE: And then?\nBOB: Nothing.\nALICE: Really?\nBOB: Yes.\n",
        );
        assert_eq!(iv.pairs.len(), 3);
        assert_eq!(iv.interviewer.as_deref(), Some("Alice"), "capitals are displayed in title case");
        assert_eq!(iv.pairs[2].turns[0].speaker, "Bob");
    }

    #[test]
    fn a_header_block_says_what_front_matter_would() {
        let text = "Episode 7 – After the flood\nDate: 2024-05-01\nGuest: Anna Weber\nHost: Tom Fischer\n\n\
                    TOM: What did the flood destroy?\n\nANNA: The ground floor.\n\n\
                    TOM: How long until you reopened?\n\nANNA: Eleven weeks.\n";
        let iv = parse_ok(text);
        assert_eq!(iv.title, "Episode 7 – After the flood");
        assert_eq!(iv.date.as_deref(), Some("2024-05-01"));
        assert_eq!(iv.interviewer.as_deref(), Some("Tom Fischer"));
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[0].question, "What did the flood destroy?");
        assert_eq!(speakers(&iv.pairs[1]), ["Anna Weber"], "a label using part of a declared name is that person");

        let iv = parse_ok("第七期：洪水之后\n时间：2024年5月1日\n地点：德累斯顿\n嘉宾：安娜\n主持人：汤姆\n\n\
                           汤姆：洪水毁掉了什么？\n\n安娜：整个一楼。\n\n汤姆：多久之后重新开业的？\n\n安娜：十一周。\n");
        assert_eq!((iv.title.as_str(), iv.date.as_deref()), ("第七期：洪水之后", Some("2024年5月1日")));
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[1].question, "多久之后重新开业的？");
        assert_eq!(speakers(&iv.pairs[0]), ["安娜"]);
    }

    #[test]
    fn turns_that_look_like_a_header_are_turns() {
        // `主持人：` labels the host's turns further down: the first line is the first turn.
        let iv = parse_ok("访谈\n\n主持人：你好\n\n张伟：你好，谢谢邀请。\n\n主持人：最近在忙什么？\n\n张伟：写书。\n");
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[0].question, "你好");
        // A sentence is not a header value, nor is a block that runs into the first exchange.
        let iv = parse_ok("Host: Welcome back to the show!\n\nHost: What are you working on?\n\nJANE: A book.\n");
        assert_eq!(iv.pairs[0].question, "Welcome back to the show!\nWhat are you working on?");
        let iv = parse_ok("Title\nGuest: Jane Roe\nHOST: What are you working on?\n\nJANE: A book.\n");
        assert_eq!(iv.pairs.len(), 1);
        assert!(iv.date.is_none());
    }

    #[test]
    fn a_file_of_questions_only_is_an_error_that_says_so() {
        let err = parse(
            "Interview questions for Bob\n\nKate: How long have you kept this light?\n\n\
                         Kate: What is a normal day like?\n\nKate: Do you get lonely?\n",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("every labelled turn is a question (3 by `Kate`, lines 3, 5, 7)"), "{err}");
        let err = parse("采访提纲\n\n问：你为什么创业？\n\n问：最大的挑战是什么？\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("2 question(s) (lines 3, 5) and no answer"), "{err}");
    }

    #[test]
    fn a_host_acknowledging_mid_answer_does_not_start_a_question() {
        let iv = parse_ok(
            "Dinner at Marco's\n\nANNA: What did you cook first?\n\nMARCO: Risotto, badly.\n\n\
                           ANNA: Right.\n\nMARCO: It took a year to get it right.\n\n\
                           ANNA: Mm-hmm. And dessert?\n\nMARCO: Tiramisu.\n\nANNA: 对对对。\n\nMARCO: Always.\n\n\
                           ANNA: Who taught you?\n\nMARCO: My aunt.\n\nANNA: Where?\n\nMARCO: In Bari.\n",
        );
        assert_eq!(iv.interviewer.as_deref(), Some("Anna"));
        assert_eq!(iv.pairs.len(), 4);
        assert_eq!(iv.pairs[0].turns[0].text, "Risotto, badly.\nIt took a year to get it right.");
        assert_eq!(iv.pairs[1].question, "Mm-hmm. And dessert?");
        assert_eq!(iv.pairs[1].turns[0].text, "Tiramisu.\nAlways.");
        // A short remark that is not an acknowledgement, or one before someone else speaks, is a turn.
        assert!(!is_acknowledgement("Your childhood."));
        assert!(!is_acknowledgement("Right?"));
    }

    #[test]
    fn speech_to_text_exports_put_the_speaker_and_time_on_their_own_line() {
        let iv = parse_ok("Interview with Priya Natarajan about bees\n\nInterviewer  0:00\nWhy did you become a beekeeper?\n\n\
                           Priya Natarajan  0:05\nMy grandfather kept bees.\n\nInterviewer  1:12\nHow many hives now?\n\n\
                           Priya Natarajan  1:15\nForty-two.\n");
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[1].question, "How many hives now?");
        assert_eq!(speakers(&iv.pairs[0]), ["Priya Natarajan"]);
        assert_eq!(iv.pairs[0].turns[0].text, "My grandfather kept bees.");
        // One such line is not a layout: `Meeting at 10:30` stays text.
        assert_eq!(timestamp_labels(&["Meeting  10:30", "text"]), vec![None, None]);
        assert_eq!(timestamp_label("Speaker 2  01:02:03").as_deref(), Some("Speaker 2:"));
        assert_eq!(timestamp_label("it ends at 10:30"), None);
    }

    #[test]
    fn question_and_answer_markers_with_a_full_stop() {
        let iv = parse_ok(
            "Interview with Tom Reyes, blacksmith\n\nQ. How long does a knife take?\nA. About two days.\n\n\
                           Q. What steel do you use?\nA. Mostly 1084. It forgives mistakes.\n",
        );
        assert_eq!(iv.pairs.len(), 2);
        assert_eq!(iv.pairs[1].question, "What steel do you use?");
        assert_eq!(iv.pairs[1].turns[0].text, "Mostly 1084. It forgives mistakes.");
        assert_eq!(speakers(&iv.pairs[0]), ["Tom Reyes"]);
        // An initial at the start of a line is not a marker.
        assert_eq!(dotted_qa_labels(&["A. Smith said so.", "Q. Why?"]), vec![None, None]);
    }
}
