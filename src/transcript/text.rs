//! Parsing transcript text: headline, intro notes, questions and labelled answer turns.
//!
//! Two layouts are recognised, chosen per file:
//! - **bare questions** (the seed interview): the interviewer's question is an unlabelled paragraph
//!   ending in a question mark, followed by `Name:` turns. Unlabelled paragraphs after a turn
//!   continue it.
//! - **labelled interviewer**: every turn is labelled, the interviewer's too (`主持人:`, `记者:`,
//!   `问:`/`答:`, `Q:`/`A:`, `主持人 李梅:`, `李梅(主持人):`, a name that front matter calls the
//!   interviewer, or the name whose turns are mostly questions and who speaks first). Each
//!   interviewer turn starts a new pair; `答:`/`A:` is the one interviewee named in front matter
//!   or in the headline or intro (`专访…创始人林晓`, `An interview with Dr. Maria Chen`).
//!
//! A label (`Name:`, `Name:`, `【Name】`, `NAME :`, `Name (00:01:10):`) counts as a speaker only
//! when it behaves like one: it is short and name-like and it recurs as a turn opener (or front
//! matter declares it). Everything else stays text: `需从两方面审视价值:`, `Token 工厂:…`, list
//! items (`- 优势:…`, `1. 风险:…`), and labels that never open an answer and only ever follow a
//! lead-in ending in a colon (`两点:` → `优势:…` `风险:…`), even when they recur. Ordinals and
//! list heads (`第一步:`, `步骤二:`, `一是:`, `首先:`, `Step 1:`, `Pros:`) are never speakers, and
//! an undeclared label that never opens an answer must also look like a name: not an everyday
//! Chinese word (`预算:`), and in capitals when every speaker who opens an answer is labelled in
//! capitals (`BAKER:` … `Budget:`). A label made of part of another speaker's label (`纳德拉:`
//! after `萨提亚·纳德拉:`) is that speaker.
//!
//! Hard-wrapped lines are joined back into paragraphs; recording timestamps are dropped; page
//! furniture is dropped (see `furniture.rs`) and a byline's date dates the interview. Section
//! headings between exchanges are dropped; asides in parentheses after the last answer become
//! notes; an interviewer's closing remark without an answer is left out with a warning.

use std::collections::{HashMap, HashSet};

use unicode_width::UnicodeWidthStr;

use super::frontmatter::{self, FrontMatter};
use super::{ascii_fold, fold_str, furniture, names, Interview, Pair, ParseError, Speaker, Turn, Warning};

/// A parsed transcript and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct ParsedText {
    /// The interview; `title` is empty when the text has neither front-matter title nor headline.
    pub interview: Interview,
    /// Non-fatal observations.
    pub warnings: Vec<Warning>,
}

/// Labels that always mean "the interviewer speaks".
const ASKER_ROLES: &[&str] =
    &["问", "提问", "主持人", "主持", "记者", "采访者", "q", "question", "interviewer", "host", "moderator"];
/// Interviewer labels that mark a question rather than name a person: each one starts a new
/// question, so two in a row without an answer between are an unanswered question. (Two turns of
/// `主持人:` or of a name in a row are one question in two paragraphs.)
const QUESTION_MARKERS: &[&str] = &["问", "提问", "q", "question"];
/// Labels that always mean "the (single) interviewee answers".
const ANSWER_ROLES: &[&str] = &["答", "回答", "a", "answer"];
/// Words that end a line like a label but are discourse markers, not people.
const NOT_NAMES: &[&str] = &[
    "例如",
    "比如",
    "注意",
    "注",
    "备注",
    "总结",
    "结论",
    "首先",
    "其次",
    "再次",
    "最后",
    "第一",
    "第二",
    "第三",
    "优点",
    "缺点",
    "问题",
    "原因",
    "背景",
    "提示",
    "要点",
    "观点",
    "原文",
    "来源",
    "编者按",
    "编辑",
    "责任编辑",
    "作者",
    "时间",
    "地点",
    "标签",
    "关键词",
    "摘要",
    "简介",
    "导语",
    "图",
    "图片",
    "note",
    "notes",
    "example",
    "summary",
    "update",
    "source",
    "editor",
    "photo",
    "image",
    "tags",
    "tl;dr",
    "warning",
    "tip",
    "step",
];

#[derive(Debug, Clone)]
struct Para {
    /// 1-based line of the paragraph's first line.
    line: usize,
    text: String,
    /// A Markdown heading (`# …`): structure, not content (except as the headline).
    heading: bool,
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

/// Parse decoded transcript text.
pub fn parse(content: &str) -> Result<ParsedText, ParseError> {
    let lines: Vec<&str> = content.split('\n').collect();
    let mut warnings = Vec::new();
    if content.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}').is_empty() {
        return Err(ParseError::whole(
            "the file is empty: expected a transcript (a headline, then questions and `Name:` answers)",
        ));
    }
    let (fm, body_start) = frontmatter::split(&lines, &mut warnings)?;
    let body = paragraphs(&lines, body_start);
    if body.paras.is_empty() {
        let line = (body_start + 1).min(lines.len());
        let why = if body_start > 0 {
            "there is no text after the front matter"
        } else {
            "the file holds only page furniture"
        };
        return Err(ParseError::at(line, format!("no question/answer pairs found: {why}")));
    }
    let names = Names::from_front_matter(&fm);
    let roles = Roles::detect(&body.paras, &names)?;
    let paras = split_inline_answers(body.paras, &roles);
    let kinds: Vec<Kind> = paras.iter().map(|p| roles.classify(&p.text)).collect();
    check_labels_have_text(&paras, &kinds)?;
    let (paras, kinds, asides) = split_trailing_asides(paras, kinds);

    let mut layout = if kinds.iter().any(|k| matches!(k, Kind::Ask(_))) {
        labelled_layout(&paras, &kinds, &mut warnings)?
    } else {
        bare_layout(&paras, &kinds)?
    };
    layout.notes.extend(asides);
    if let Some(title) = fm.title.clone() {
        if let Some(headline) = layout.title.take() {
            if fold_str(&headline).split_whitespace().ne(fold_str(&title).split_whitespace()) {
                layout.notes.insert(0, headline);
            }
        }
        layout.title = Some(title);
    }
    let mut speakers = fm.speakers.clone();
    if let Some(interviewer) = &fm.interviewer {
        speakers.push(interviewer.clone());
    }
    let interview = Interview {
        title: layout.title.unwrap_or_default(),
        slug: fm.slug,
        source: fm.source,
        date: fm.date.or(body.date),
        interviewer: fm.interviewer.map(|s| s.name).or(roles.interviewer_name),
        notes: layout.notes,
        speakers,
        pairs: layout.pairs,
    };
    for pair in &interview.pairs {
        if pair.turns.iter().any(|t| t.text.is_empty()) {
            let empty = pair.turns.iter().find(|t| t.text.is_empty()).map(|t| t.speaker.clone());
            return Err(ParseError::at(
                pair.line.unwrap_or(1),
                format!("an answer turn of {} has a label but no text", empty.unwrap_or_default()),
            ));
        }
    }
    Ok(ParsedText { interview, warnings })
}

// ---------------------------------------------------------------------------------------------
// Paragraphs

/// The content of a transcript body, furniture removed.
struct Body {
    paras: Vec<Para>,
    /// The date of the first byline, as `YYYY-MM-DD`.
    date: Option<String>,
}

/// Non-empty lines become paragraphs; furniture is dropped; hard-wrapped lines are joined back
/// together.
fn paragraphs(lines: &[&str], start: usize) -> Body {
    let wrap = wrap_width(&lines[start.min(lines.len())..]);
    let mut paras: Vec<Para> = Vec::new();
    let mut date = None;
    // The previous line, when it is content that ended up at the end of `paras.last()`.
    let mut previous: Option<&str> = None;
    for (i, raw) in lines.iter().enumerate().skip(start) {
        let last_line = previous.take();
        let heading = is_markdown_heading(raw);
        let text = clean_markup(raw);
        if text.is_empty() {
            continue;
        }
        if furniture::is_footer_heading(&text) {
            break;
        }
        if let Some(d) = furniture::byline_date(&text) {
            date.get_or_insert(d);
            continue;
        }
        if furniture::is_furniture(&text) {
            continue;
        }
        let continues = !heading
            && paras.last().is_some_and(|p| !p.heading)
            && last_line.is_some_and(|prev| continues_line(prev, raw, &text, wrap));
        match paras.last_mut() {
            Some(last) if continues => join_line(&mut last.text, &text),
            _ => paras.push(Para { line: i + 1, text, heading }),
        }
        previous = Some(raw);
    }
    Body { paras, date }
}

/// Trim, drop Markdown heading marks, emphasis and quote markers.
fn clean_markup(raw: &str) -> String {
    let mut text = raw.trim().trim_start_matches('\u{FEFF}').trim();
    if text.starts_with('#') {
        text = text.trim_start_matches('#').trim();
    }
    if let Some(rest) = text.strip_prefix("> ") {
        text = rest.trim();
    }
    let text = text.replace("**", "").replace("__", "");
    let text = without_timestamps(text.trim());
    let text = text.trim();
    // A whole line in single emphasis: `*From our series …*`.
    for mark in ['*', '_'] {
        if let Some(inner) = text.strip_prefix(mark).and_then(|t| t.strip_suffix(mark)) {
            if !inner.is_empty() && !inner.starts_with(char::is_whitespace) && !inner.contains(mark) {
                return inner.trim().to_owned();
            }
        }
    }
    text.to_owned()
}

/// Recording timestamps are not content: `[00:01:10] Host: …`, `(01:15) Jane: …` and
/// `00:01:10 Host: …` at the start of a line, `HOST (00:01:10): …` inside a label.
fn without_timestamps(text: &str) -> String {
    let mut text = text;
    if let Some(len) = bracketed_timestamp_len(text) {
        let rest = text[len..].trim_start();
        let bracketed = text.starts_with(['[', '(', '\u{FF08}']);
        let separated = len == text.len() || text[len..].starts_with(char::is_whitespace);
        if separated && (bracketed || split_label(rest).is_some()) {
            text = rest.trim_start_matches(['-', '\u{2013}', '\u{2014}']).trim_start();
        }
    }
    let in_label =
        text.char_indices().take(48).filter(|&(_, c)| matches!(c, '(' | '[' | '\u{FF08}')).find_map(|(i, _)| {
            let len = bracketed_timestamp_len(&text[i..])?;
            text[i + len..].trim_start().starts_with([':', '\u{FF1A}']).then_some((i, len))
        });
    match in_label {
        Some((i, len)) => format!("{}{}", text[..i].trim_end(), text[i + len..].trim_start()),
        None => text.to_owned(),
    }
}

/// Byte length of a timestamp at the start of `text`, brackets included: `0:05`, `00:01:10`,
/// `01:02:03.5`, `[00:05]`, `(00:01:10)`.
fn bracketed_timestamp_len(text: &str) -> Option<usize> {
    for (open, close) in [('[', ']'), ('(', ')'), ('\u{FF08}', '\u{FF09}')] {
        if let Some(rest) = text.strip_prefix(open) {
            let inner = rest.trim_start();
            let len = timestamp_len(inner)?;
            let after = inner[len..].trim_start();
            let closed = after.strip_prefix(close)?;
            return Some(text.len() - closed.len());
        }
    }
    timestamp_len(text)
}

fn timestamp_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let digits_at = |start: usize| bytes[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = digits_at(0);
    if !(1..=2).contains(&end) {
        return None;
    }
    let mut groups = 1;
    while groups < 3 && bytes.get(end) == Some(&b':') && digits_at(end + 1) == 2 {
        end += 3;
        groups += 1;
    }
    if groups < 2 {
        return None;
    }
    if matches!(bytes.get(end), Some(b'.' | b',')) && digits_at(end + 1) > 0 {
        end += 1 + digits_at(end + 1);
    }
    (!bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric())).then_some(end)
}

fn is_markdown_heading(raw: &str) -> bool {
    let t = raw.trim_start();
    t.starts_with('#') && t.trim_start_matches('#').starts_with(char::is_whitespace)
}

/// Display width of the widest line when the text looks hard-wrapped (at least two lines run on
/// into the next as a wrapping tool leaves them), else `None`.
fn wrap_width(lines: &[&str]) -> Option<usize> {
    let width = lines.iter().map(|l| l.trim_end().width()).max()?;
    if !(20..=100).contains(&width) {
        return None;
    }
    let wrapped = lines
        .windows(2)
        .filter(|w| !w[0].trim().is_empty() && !w[1].trim().is_empty())
        .filter(|w| wraps_into(w[0], w[1], width) && !starts_new_paragraph(w[0], w[1]))
        .count();
    (wrapped >= 2).then_some(width)
}

/// Whether `next` was moved off line `prev` by a wrapping tool: the first word of `next` would
/// not have fit on `prev`. CJK lines must also not end a sentence.
fn wraps_into(prev: &str, next: &str, width: usize) -> bool {
    let prev = prev.trim_end();
    let next = next.trim();
    let first_word = match next.chars().next() {
        Some(c) if is_wide(c) => c.to_string().width(),
        _ => next.split_whitespace().next().map_or(0, |w| w.width()),
    };
    let cjk = prev.chars().last().is_some_and(is_wide);
    prev.width() + 1 + first_word + 3 > width && !(cjk && ends_sentence(prev))
}

/// Whether line `next` (raw) begins a paragraph of its own rather than continuing `prev`.
fn starts_new_paragraph(prev: &str, next: &str) -> bool {
    let text = clean_markup(next);
    next.starts_with(char::is_whitespace)
        || is_markdown_heading(next)
        || is_list_item(&text)
        || split_label(&text).is_some_and(|(label, _)| {
            !label.starts_with(|c: char| c.is_ascii_lowercase())
                || ASKER_ROLES.contains(&label_key(&label).as_str())
                || ANSWER_ROLES.contains(&label_key(&label).as_str())
        })
        || split_label(&clean_markup(prev)).is_some_and(|(_, rest)| rest.is_empty())
}

/// Whether line `raw` (cleaned: `text`) continues the paragraph whose last line was `prev`.
fn continues_line(prev: &str, raw: &str, text: &str, wrap: Option<usize>) -> bool {
    let lowercase = text.starts_with(|c: char| c.is_ascii_lowercase()) && !ends_sentence(&clean_markup(prev));
    (lowercase || wrap.is_some_and(|width| wraps_into(prev, raw, width))) && !starts_new_paragraph(prev, raw)
}

/// Append a wrapped line: with a space between Latin words, directly after CJK text.
fn join_line(target: &mut String, line: &str) {
    let cjk = target.chars().last().is_some_and(is_wide) || line.chars().next().is_some_and(is_wide);
    if !cjk {
        target.push(' ');
    }
    target.push_str(line);
}

fn is_wide(c: char) -> bool {
    unicode_width::UnicodeWidthChar::width(c) == Some(2)
}

/// Whether text ends like a finished sentence (so the next line starts a new paragraph).
pub(crate) fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’」』)]".contains(ascii_fold(c)));
    t.ends_with(|c: char| ".!?:;。…".contains(ascii_fold(c)))
}

/// Whether a paragraph ends with a question mark (closing quotes and brackets aside).
fn ends_with_question(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’」』)]".contains(ascii_fold(c)));
    t.ends_with(|c: char| ascii_fold(c) == '?')
}

/// Whether a line is a list item: `- x`, `* x`, `• x`, `1. x`, `2、x`, `(3) x`, `① x`.
fn is_list_item(text: &str) -> bool {
    let t: String = text.trim_start().chars().take(8).map(ascii_fold).collect();
    let mut chars = t.chars();
    let Some(first) = chars.next() else { return false };
    let rest = chars.as_str();
    match first {
        '-' | '*' | '+' => rest.starts_with(char::is_whitespace),
        '•' | '▪' | '◦' | '·' | '●' | '○' | '■' | '□' | '◆' | '►' => true,
        '\u{2460}'..='\u{2473}' => true,
        '(' => {
            let inner = rest.split(')').next().unwrap_or("");
            rest.contains(')')
                && !inner.is_empty()
                && inner.chars().count() <= 2
                && inner.chars().all(char::is_alphanumeric)
        }
        c if c.is_ascii_digit() => {
            let after = t.trim_start_matches(|c: char| c.is_ascii_digit());
            let digits = t.len() - after.len();
            digits <= 3
                && (after.starts_with(['、', ')'])
                    || after.strip_prefix('.').is_some_and(|a| !a.starts_with(|c: char| c.is_ascii_digit())))
        }
        _ => false,
    }
}

/// `(…)` around a whole paragraph of some length: an aside such as an editor's note.
fn is_aside(text: &str) -> bool {
    let t = text.trim();
    let bracketed = |c: Option<char>, want: char| c.is_some_and(|c| ascii_fold(c) == want);
    if !bracketed(t.chars().next(), '(') || !bracketed(t.chars().last(), ')') {
        return false;
    }
    let t = fold_str(t);
    t.chars().count() >= 8 && t.starts_with('(') && t.ends_with(')') && t[1..].find(')') == Some(t.len() - 2)
}

// ---------------------------------------------------------------------------------------------
// Labels and speakers

/// Split `Name: text`, `Name:text`, `【Name】text` into the label and the rest, if the prefix is
/// shaped like a name. Says nothing yet about whether the label is a speaker.
fn split_label(text: &str) -> Option<(String, String)> {
    if is_list_item(text) {
        return None;
    }
    for (open, close) in [('【', '】'), ('〖', '〗'), ('[', ']'), ('\u{FF3B}', '\u{FF3D}')] {
        if let Some(rest) = text.strip_prefix(open) {
            let end = rest.find(close)?;
            let label = rest[..end].trim();
            let after = rest[end + close.len_utf8()..].trim_start();
            let after = after.strip_prefix([':', '\u{FF1A}']).unwrap_or(after).trim();
            return name_shaped(label).then(|| (label.to_owned(), after.to_owned()));
        }
    }
    let (colon, colon_char) = text.char_indices().take(32).find(|&(_, c)| ascii_fold(c) == ':')?;
    let label = text[..colon].trim();
    let after = &text[colon + colon_char.len_utf8()..];
    // `10:30`, `https://…`: a colon inside a number or URL is not a label.
    if after.starts_with("//")
        || (label.ends_with(|c: char| c.is_ascii_digit()) && after.starts_with(|c: char| c.is_ascii_digit()))
    {
        return None;
    }
    let label = with_role_first(label)?;
    name_shaped(&label).then(|| (label, after.trim().to_owned()))
}

/// `李梅(主持人)` → `主持人 李梅`, `Jane Doe (Host)` → `Host Jane Doe`: a role in parentheses
/// after a name goes in front, where [`Roles`] looks for it; anything else in parentheses
/// (`Sam Altman (OpenAI)`, `王芳(嘉宾)`) is dropped. Labels without parentheses are unchanged.
fn with_role_first(label: &str) -> Option<String> {
    let folded = fold_str(label);
    let Some(inner) = folded.strip_suffix(')') else { return Some(label.to_owned()) };
    let open = inner.rfind('(')?;
    let (name, role) = (inner[..open].trim(), inner[open + 1..].trim());
    if !name_shaped(name) || !name_shaped(role) || role.chars().count() > 12 {
        return None;
    }
    // `folded` maps full-width characters one to one, so its char positions are the label's.
    let name: String = label.chars().take(inner[..open].trim_end().chars().count()).collect();
    let name = name.trim();
    Some(if ASKER_ROLES.contains(&label_key(role).as_str()) { format!("{role} {name}") } else { name.to_owned() })
}

/// `主持人 李梅`, `记者王五`, `Host Jane Doe`: an interviewer role followed by a name. Returns the
/// name.
fn asker_with_name(label: &str) -> Option<String> {
    let key = label_key(label);
    let role = ASKER_ROLES.iter().filter(|r| r.chars().count() >= 2).find(|r| key.starts_with(**r))?;
    let name = label.chars().skip(role.chars().count()).collect::<String>();
    let name = name.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{B7}').trim();
    let han = name.chars().filter(|&c| names::is_han(c)).count();
    let latin = role.is_ascii() && label.is_char_boundary(role.len()) && label[role.len()..].starts_with(' ');
    let plausible = (2..=4).contains(&han) && han == name.chars().count()
        || latin && name.split_whitespace().all(|w| w.starts_with(|c: char| c.is_uppercase()));
    (plausible && !name.is_empty()).then(|| name.to_owned())
}

/// Short, without sentence punctuation, not a number: could be a person or a role.
fn name_shaped(label: &str) -> bool {
    let chars = label.chars().count();
    if chars == 0 || chars > 24 || label.split_whitespace().count() > 4 {
        return false;
    }
    if label.chars().all(|c| c.is_ascii_digit() || c.is_whitespace()) {
        return false;
    }
    const FORBIDDEN: &str = ",。!?;、\"“”‘’「」『』()《》<>/\\|@#$%^&*=+~`…:";
    !label.chars().any(|c| FORBIDDEN.contains(ascii_fold(c)))
}

/// Case- and width-insensitive key for comparing labels.
fn label_key(label: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    label.nfkc().collect::<String>().to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Names the front matter declares, by label key → canonical name.
struct Names {
    canonical: HashMap<String, String>,
    interviewer: HashSet<String>,
    answerers: Vec<String>,
}

impl Names {
    fn from_front_matter(fm: &FrontMatter) -> Names {
        let mut canonical = HashMap::new();
        let mut interviewer = HashSet::new();
        let mut add = |s: &Speaker| {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                canonical.insert(label_key(n), s.name.clone());
            }
        };
        fm.speakers.iter().for_each(&mut add);
        if let Some(s) = &fm.interviewer {
            add(s);
            interviewer.extend(std::iter::once(&s.name).chain(&s.aliases).map(|n| label_key(n)));
        }
        let answerers = fm.speakers.iter().map(|s| s.name.clone()).collect();
        Names { canonical, interviewer, answerers }
    }
}

/// Which labels are speakers, who asks, and who `答:` is.
struct Roles {
    /// label key → canonical speaker name, for answering speakers.
    answerers: HashMap<String, String>,
    /// label keys of the interviewer.
    askers: HashSet<String>,
    /// A name for the interviewer when one was inferred from the labels.
    interviewer_name: Option<String>,
    /// label key → key of the longer label it shortens (`rossi` → `elena rossi`).
    same_as: HashMap<String, String>,
}

impl Roles {
    fn detect(paras: &[Para], names: &Names) -> Result<Roles, ParseError> {
        let labelled: Vec<(usize, String, String)> =
            paras.iter().filter_map(|p| split_label(&p.text).map(|(l, rest)| (p.line, l, rest))).collect();
        // Occurrences count once per distinct text they introduce: a phrase with a colon is not
        // a speaker because the whole transcript appears twice in one file.
        let mut own_counts: HashMap<String, usize> = HashMap::new();
        let mut seen: HashSet<(String, &str)> = HashSet::new();
        for (i, p) in paras.iter().enumerate() {
            let Some((label, rest)) = split_label(&p.text) else { continue };
            let after = if rest.is_empty() { paras.get(i + 1).map_or("", |n| n.text.as_str()) } else { &p.text };
            if seen.insert((label_key(&label), after)) {
                *own_counts.entry(label_key(&label)).or_default() += 1;
            }
        }
        // `山姆·奥特曼:` once and `奥特曼:` once is one speaker labelled twice.
        let mut counts = own_counts.clone();
        let own: Vec<&String> = own_counts.keys().collect();
        for (long, shorts) in shortened_labels(&own) {
            for short in shorts {
                *counts.get_mut(long).expect("a key") += own_counts[short];
                *counts.get_mut(short).expect("a key") += own_counts[long];
            }
        }
        // A label seen once still counts when it answers a question directly (a guest who speaks
        // once), provided it is short.
        let mut answers_question: HashSet<String> = HashSet::new();
        for pair in paras.windows(2) {
            if let Some((label, _)) = split_label(&pair[1].text) {
                if ends_with_question(&pair[0].text) && label.chars().count() <= 12 {
                    answers_question.insert(label_key(&label));
                }
            }
        }
        let declared = |key: &str| names.canonical.contains_key(key) || names.interviewer.contains(key);
        let is_speaker = |key: &str, count: usize| {
            declared(key)
                || ASKER_ROLES.contains(&key)
                || ANSWER_ROLES.contains(&key)
                || ((count >= 2 || answers_question.contains(key))
                    && !NOT_NAMES.contains(&key)
                    && !names::is_list_label(key))
        };

        let texts: Vec<&str> = paras.iter().map(|p| p.text.as_str()).collect();
        let mut roles = Roles {
            answerers: HashMap::new(),
            askers: HashSet::new(),
            interviewer_name: None,
            same_as: HashMap::new(),
        };
        // Speaker labels in order of first appearance, as first written.
        let mut first_label: Vec<(String, String)> = Vec::new();
        for (_, label, _) in &labelled {
            let key = label_key(label);
            let speaks = is_speaker(&key, counts[&key]) || asker_with_name(label).is_some();
            if speaks && !first_label.iter().any(|(k, _)| *k == key) {
                first_label.push((key, label.clone()));
            }
        }
        for (key, label) in &first_label {
            if names.interviewer.contains(key) || ASKER_ROLES.contains(&key.as_str()) {
                roles.askers.insert(key.clone());
            } else if let Some(name) = asker_with_name(label).filter(|_| !names.canonical.contains_key(key)) {
                roles.askers.insert(key.clone());
                roles.interviewer_name.get_or_insert(name);
            } else if !ANSWER_ROLES.contains(&key.as_str()) {
                let name = names.canonical.get(key).cloned().unwrap_or_else(|| names::display_name(label, &texts));
                roles.answerers.insert(key.clone(), name);
            }
        }
        roles.merge_short_labels(&first_label);
        if roles.askers.is_empty() {
            roles.infer_interviewer(&labelled);
        }
        // `答:` at the start of a paragraph, or after the question mark of an interviewer turn
        // (`问:…?答:…`).
        let answer_role_used = labelled.iter().find_map(|(line, label, rest)| {
            if ANSWER_ROLES.contains(&label_key(label).as_str()) {
                Some((line, label.clone()))
            } else if roles.askers.contains(&roles.key(label)) {
                inline_answer_role(rest).map(|l| (line, l))
            } else {
                None
            }
        });
        if let Some((line, label)) = answer_role_used {
            let answerer = resolve_answerer(paras, names).ok_or_else(|| {
                ParseError::at(
                    *line,
                    format!(
                        "`{label}:` turns need to know who answers: name one speaker in front matter \
                         (`speakers: Name`) or in the headline or intro (e.g. `专访Name`, \
                         `An interview with Name`)"
                    ),
                )
            })?;
            for role in ANSWER_ROLES {
                roles.answerers.insert((*role).to_owned(), answerer.clone());
            }
        }
        roles.drop_embedded_labels(paras, names);
        Ok(roles)
    }

    /// The key a label stands for: its own, or that of the longer label it shortens.
    fn key(&self, label: &str) -> String {
        let key = label_key(label);
        self.same_as.get(&key).cloned().unwrap_or(key)
    }

    /// `ROSSI:` after `ELENA ROSSI:`, `纳德拉:` after `萨提亚·纳德拉:`: a label made of some of the
    /// words of exactly one other speaker label is that speaker.
    fn merge_short_labels(&mut self, labels: &[(String, String)]) {
        let keys: Vec<String> = self.answerers.keys().chain(&self.askers).cloned().collect();
        let key_refs: Vec<&String> = keys.iter().collect();
        let mut longer_of: HashMap<&String, Vec<&String>> = HashMap::new();
        for (long, shorts) in shortened_labels(&key_refs) {
            for short in shorts {
                longer_of.entry(short).or_default().push(long);
            }
        }
        for (short, label) in labels {
            let Some([long]) = longer_of.get(short).map(Vec::as_slice) else { continue };
            let name = self.answerers.get(*long).cloned();
            if self.answerers.get(short).is_some_and(|n| Some(n) != name.as_ref() && !n.eq_ignore_ascii_case(label)) {
                continue; // declared in front matter as someone else
            }
            self.answerers.remove(short);
            self.askers.remove(short);
            self.same_as.insert(short.clone(), (*long).clone());
        }
    }

    /// Without a role label, the interviewer is the speaker whose turns are mostly questions;
    /// among speakers who ask about as often, the one who speaks first.
    fn infer_interviewer(&mut self, labelled: &[(usize, String, String)]) {
        // label key → (turns, asking turns, index of first turn)
        let mut stats: HashMap<String, (usize, usize, usize)> = HashMap::new();
        for (i, (_, label, rest)) in labelled.iter().enumerate() {
            let key = self.key(label);
            if self.answerers.contains_key(&key) {
                let entry = stats.entry(key).or_insert((0, 0, i));
                entry.0 += 1;
                let asks = ends_with_question(rest) || (rest.chars().count() <= 120 && fold_str(rest).contains('?'));
                if asks {
                    entry.1 += 1;
                }
            }
        }
        if stats.len() < 2 {
            return;
        }
        let percent = |&(turns, asks, _): &(usize, usize, usize)| asks * 100 / turns;
        let eligible: Vec<(&String, &(usize, usize, usize))> =
            stats.iter().filter(|(_, s)| s.0 >= 2 && percent(s) >= 60).collect();
        let Some(top) = eligible.iter().map(|(_, s)| percent(s)).max() else { return };
        let best = eligible.iter().filter(|(_, s)| percent(s) + 15 >= top).min_by_key(|(_, s)| s.2);
        if let Some((key, _)) = best {
            let key = (*key).clone();
            self.interviewer_name = self.answerers.remove(&key);
            self.askers.insert(key);
        }
    }

    /// A label that never opens an answer is a list item (`优势:` … `劣势:`), not a person, when
    /// it only ever appears inside one answer, or when it only ever follows a lead-in ending in a
    /// colon (`主要有两点:`) or another such item, or when it does not look like a name: an
    /// everyday Chinese word (`预算:`), or a mixed-case label where every speaker who opens an
    /// answer is labelled in capitals (`BAKER:` … `Budget:`). Front matter can declare any of them
    /// a speaker.
    fn drop_embedded_labels(&mut self, paras: &[Para], names: &Names) {
        // label key → the label as first written
        let mut written: HashMap<String, String> = HashMap::new();
        let mut opens: HashSet<String> = HashSet::new();
        let mut answers_seen: HashMap<String, HashSet<usize>> = HashMap::new();
        let mut outside_lists: HashSet<String> = HashSet::new();
        let mut answer_no = 0usize;
        let mut after_question = true;
        let mut previous: Option<&Para> = None;
        let mut previous_in_list = false;
        for p in paras {
            let mut in_list = false;
            let label = split_label(&p.text).map(|(l, _)| l);
            let key = label.as_ref().map(|l| self.key(l));
            if let (Some(label), Some(key)) = (label, &key) {
                written.entry(key.clone()).or_insert(label);
            }
            match key {
                Some(key) if self.askers.contains(&key) => {
                    answer_no += 1;
                    after_question = true;
                }
                Some(key) if self.answerers.contains_key(&key) => {
                    if after_question {
                        opens.insert(key.clone());
                    }
                    in_list = previous_in_list || previous.is_some_and(|q| is_lead_in(&q.text));
                    if !in_list {
                        outside_lists.insert(key.clone());
                    }
                    answers_seen.entry(key).or_default().insert(answer_no);
                    after_question = false;
                }
                _ if ends_with_question(&p.text) => {
                    answer_no += 1;
                    after_question = true;
                }
                _ => {}
            }
            previous = Some(p);
            previous_in_list = in_list;
        }
        let openers: Vec<&String> =
            self.answerers.keys().filter(|k| opens.contains(*k) && !ANSWER_ROLES.contains(&k.as_str())).collect();
        let capitals =
            !openers.is_empty() && openers.iter().all(|k| written.get(*k).is_some_and(|l| names::is_all_caps(l)));
        let name_like = |key: &str| {
            let label = written.get(key).map_or(key, String::as_str);
            let everyday_word = label.chars().all(names::is_han) && crate::search::common::is_common(label);
            let lower_case = capitals && label.chars().any(|c| c.is_ascii_lowercase());
            !everyday_word && !lower_case
        };
        let declared = |key: &str| names.canonical.contains_key(key) || names.interviewer.contains(key);
        let embedded: Vec<String> = self
            .answerers
            .keys()
            .filter(|k| !ANSWER_ROLES.contains(&k.as_str()) && !opens.contains(*k) && !declared(k))
            .filter(|k| {
                answers_seen.get(*k).is_some_and(|s| s.len() <= 1) || !outside_lists.contains(*k) || !name_like(k)
            })
            .cloned()
            .collect();
        for key in embedded {
            self.answerers.remove(&key);
        }
    }

    fn classify(&self, text: &str) -> Kind {
        let Some((label, rest)) = split_label(text) else { return Kind::Plain };
        let key = self.key(&label);
        if self.askers.contains(&key) {
            Kind::Ask(rest)
        } else if let Some(name) = self.answerers.get(&key) {
            Kind::Answer(name.clone(), rest)
        } else {
            Kind::Plain
        }
    }
}

/// For each label key among `keys` that others shorten, those shorter keys: made of some of its
/// words (or `·`-separated parts), in order (`rossi` of `elena rossi`, `纳德拉` of
/// `萨提亚·纳德拉`). Linear in the number of keys.
fn shortened_labels<'a>(keys: &[&'a String]) -> Vec<(&'a String, Vec<&'a String>)> {
    let parts = |key: &str| -> Vec<String> {
        key.split(|c: char| c.is_whitespace() || matches!(c, '\u{B7}' | '\u{2022}' | '\u{30FB}' | '.'))
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let by_parts: HashMap<Vec<String>, &String> = keys.iter().map(|k| (parts(k), *k)).collect();
    let mut out = Vec::new();
    for long in keys {
        let long_parts = parts(long);
        let mut shorts: Vec<&String> = Vec::new();
        for len in 1..long_parts.len() {
            for window in long_parts.windows(len) {
                if window.iter().any(|p| p.chars().count() < 2) {
                    continue;
                }
                if let Some(short) = by_parts.get(window) {
                    if *short != *long && !shorts.contains(short) {
                        shorts.push(short);
                    }
                }
            }
        }
        if !shorts.is_empty() {
            out.push((*long, shorts));
        }
    }
    out
}

/// A paragraph that introduces a list: it ends in a colon and is not a bare speaker label.
fn is_lead_in(text: &str) -> bool {
    text.trim_end().ends_with([':', '\u{FF1A}']) && !split_label(text).is_some_and(|(_, rest)| rest.is_empty())
}

/// Who `答:` means: the one answering speaker in front matter, else the person the headline or
/// intro says is interviewed.
fn resolve_answerer(paras: &[Para], names: &Names) -> Option<String> {
    match names.answerers.as_slice() {
        [one] => return Some(one.clone()),
        [] => {}
        _ => return None,
    }
    let is_role_turn = |p: &Para| {
        split_label(&p.text).is_some_and(|(l, _)| {
            let key = label_key(&l);
            ASKER_ROLES.contains(&key.as_str()) || ANSWER_ROLES.contains(&key.as_str())
        })
    };
    let intro: Vec<&str> = paras.iter().take_while(|p| !is_role_turn(p)).take(12).map(|p| p.text.as_str()).collect();
    names::interviewee_in(&intro)
}

/// `问:…?答:…` on one line becomes two paragraphs.
fn split_inline_answers(paras: Vec<Para>, roles: &Roles) -> Vec<Para> {
    let mut out = Vec::with_capacity(paras.len());
    for p in paras {
        let is_ask = matches!(roles.classify(&p.text), Kind::Ask(_));
        let split_at = is_ask.then(|| find_inline_answer(&p.text, roles)).flatten();
        match split_at {
            Some(pos) => {
                out.push(Para { line: p.line, text: p.text[..pos].trim().to_owned(), heading: false });
                out.push(Para { line: p.line, text: p.text[pos..].trim().to_owned(), heading: false });
            }
            None => out.push(p),
        }
    }
    out
}

/// Byte offset of an answer label that follows a question mark inside `text`.
fn find_inline_answer(text: &str, roles: &Roles) -> Option<usize> {
    for (i, c) in text.char_indices() {
        if ascii_fold(c) != '?' {
            continue;
        }
        let after = i + c.len_utf8();
        let rest = &text[after..];
        let start = after + (rest.len() - rest.trim_start().len());
        if let Some((label, _)) = split_label(&text[start..]) {
            if roles.answerers.contains_key(&roles.key(&label)) {
                return Some(start);
            }
        }
    }
    None
}

/// An answer-role label (`答:`, `A:`) right after a question mark inside `text`, as written.
fn inline_answer_role(text: &str) -> Option<String> {
    text.char_indices().filter(|&(_, c)| ascii_fold(c) == '?').find_map(|(i, c)| {
        let (label, _) = split_label(text[i + c.len_utf8()..].trim_start())?;
        ANSWER_ROLES.contains(&label_key(&label).as_str()).then_some(label)
    })
}

/// A speaker label with nothing after it must be followed by the text it introduces.
fn check_labels_have_text(paras: &[Para], kinds: &[Kind]) -> Result<(), ParseError> {
    for (i, (p, kind)) in paras.iter().zip(kinds).enumerate() {
        let (Kind::Ask(rest) | Kind::Answer(_, rest)) = kind else { continue };
        let text_follows = matches!(kinds.get(i + 1), Some(Kind::Plain)) && !paras[i + 1].heading;
        if !rest.is_empty() || text_follows {
            continue;
        }
        let label = split_label(&p.text).map(|(l, _)| l).unwrap_or_default();
        let what = if matches!(kind, Kind::Ask(_)) { "the question" } else { "the answer" };
        return Err(ParseError::at(
            p.line,
            format!("`{label}` has no text: expected {what} after the label, on the same line or the next"),
        ));
    }
    Ok(())
}

/// Paragraphs in parentheses after the last answer (`(本文根据录音整理…)`) are notes about the
/// interview, not part of the answer. Returns the rest and those notes.
fn split_trailing_asides(mut paras: Vec<Para>, mut kinds: Vec<Kind>) -> (Vec<Para>, Vec<Kind>, Vec<String>) {
    let mut tail = paras.len();
    while tail > 1 && kinds[tail - 1] == Kind::Plain && is_aside(&paras[tail - 1].text) {
        tail -= 1;
    }
    let asides = paras.split_off(tail).into_iter().map(|p| p.text).collect();
    kinds.truncate(tail);
    (paras, kinds, asides)
}

// ---------------------------------------------------------------------------------------------
// Layouts

#[derive(Debug, Default)]
struct Layout {
    title: Option<String>,
    notes: Vec<String>,
    pairs: Vec<Pair>,
}

impl Layout {
    /// Paragraphs before the first question: the headline, then notes. Section headings are not
    /// notes.
    fn front(&mut self, paras: &[&Para]) {
        for p in without_headings(paras, true) {
            if self.title.is_none() {
                self.title = Some(p.text.clone());
            } else {
                self.notes.push(p.text.clone());
            }
        }
    }
}

/// `paras` without Markdown headings and without heading-like lines at the end (those stand
/// right before a question). With `keep_first`, the first paragraph stays (it is the headline).
fn without_headings<'a>(paras: &[&'a Para], keep_first: bool) -> Vec<&'a Para> {
    let mut kept: Vec<&Para> =
        paras.iter().enumerate().filter(|&(i, p)| !p.heading || (keep_first && i == 0)).map(|(_, p)| *p).collect();
    let floor = usize::from(keep_first);
    while kept.len() > floor && kept.last().is_some_and(|p| is_heading(&p.text)) {
        kept.pop();
    }
    kept
}

fn push_paragraph(target: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !target.is_empty() {
        target.push('\n');
    }
    target.push_str(text);
}

/// Add a turn, merging it into the previous one when the same speaker continues.
fn push_turn(pair: &mut Pair, speaker: &str, text: &str) {
    match pair.turns.last_mut() {
        Some(last) if last.speaker == speaker => push_paragraph(&mut last.text, text),
        _ => pair.turns.push(Turn { speaker: speaker.to_owned(), text: text.to_owned() }),
    }
}

/// Every turn labelled, the interviewer's too.
fn labelled_layout(paras: &[Para], kinds: &[Kind], warnings: &mut Vec<Warning>) -> Result<Layout, ParseError> {
    let mut layout = Layout::default();
    let first_ask = kinds.iter().position(|k| matches!(k, Kind::Ask(_))).unwrap_or(0);
    let front: Vec<&Para> = paras[..first_ask].iter().collect();
    layout.front(&front);
    let mut current: Option<Pair> = None;
    for (i, (p, kind)) in paras.iter().zip(kinds).enumerate().skip(first_ask) {
        match kind {
            Kind::Ask(rest) => match current.as_mut() {
                Some(pair) if pair.turns.is_empty() => {
                    if let Some(marker) = question_marker(&p.text) {
                        return Err(ParseError::at(
                            pair.line.unwrap_or(p.line),
                            format!(
                                "this question has no answer: `{marker}:` on line {} starts another \
                                 question; expected an answer turn (`答:`, `A:` or `Name: …`) before it",
                                p.line
                            ),
                        ));
                    }
                    push_paragraph(&mut pair.question, rest)
                }
                _ => {
                    layout.pairs.extend(current.take());
                    current = Some(Pair {
                        question: rest.clone(),
                        alternates: Vec::new(),
                        turns: Vec::new(),
                        line: Some(p.line),
                    });
                }
            },
            Kind::Answer(speaker, rest) => {
                let pair = current.as_mut().expect("layout starts at an interviewer turn");
                push_turn(pair, speaker, rest);
            }
            Kind::Plain => {
                let pair = current.as_mut().expect("layout starts at an interviewer turn");
                let next_asks = matches!(kinds.get(i + 1), Some(Kind::Ask(_)));
                let last_has_text = pair.turns.last().is_some_and(|t| !t.text.is_empty());
                if p.heading || (next_asks && last_has_text && is_heading(&p.text)) {
                    continue;
                }
                match pair.turns.last_mut() {
                    Some(turn) => push_paragraph(&mut turn.text, &p.text),
                    None => push_paragraph(&mut pair.question, &p.text),
                }
            }
        }
    }
    if let Some(pair) = current {
        let line = pair.line.unwrap_or(1);
        if !pair.turns.is_empty() {
            layout.pairs.push(pair);
        } else if fold_str(&pair.question).contains('?') {
            return Err(ParseError::at(
                line,
                "this question has no answer: expected an answer turn (`Name: …`) after it",
            ));
        } else {
            warnings.push(Warning {
                line,
                message: "the interviewer's last turn asks nothing and has no answer (a closing remark?); \
                          left out"
                    .to_owned(),
            });
        }
    }
    for pair in &layout.pairs {
        if pair.question.trim().is_empty() {
            return Err(ParseError::at(pair.line.unwrap_or(1), "the interviewer's label has no question text"));
        }
    }
    Ok(layout)
}

/// The label of an interviewer turn that marks a new question (`问:`, `Q:`), as written.
fn question_marker(text: &str) -> Option<String> {
    split_label(text).map(|(label, _)| label).filter(|label| QUESTION_MARKERS.contains(&label_key(label).as_str()))
}

/// Short line without closing punctuation: a section heading between exchanges.
fn is_heading(text: &str) -> bool {
    text.chars().count() <= 30 && !ends_sentence(text) && !fold_str(text).contains(['。', ','])
}

/// Questions are unlabelled paragraphs ending in a question mark, right before an answer turn.
fn bare_layout(paras: &[Para], kinds: &[Kind]) -> Result<Layout, ParseError> {
    let mut layout = Layout::default();
    let Some(first_turn) = kinds.iter().position(|k| matches!(k, Kind::Answer(..))) else {
        return Err(no_pairs_error(paras));
    };
    if first_turn == 0 {
        return Err(ParseError::at(
            paras[0].line,
            "the transcript starts with an answer: expected a question paragraph before the first `Name:` turn",
        ));
    }
    let mut current: Option<Pair> = None;
    let mut run: Vec<&Para> = Vec::new();
    for (p, kind) in paras.iter().zip(kinds) {
        let Kind::Answer(speaker, rest) = kind else {
            run.push(p);
            continue;
        };
        // A new question: the text before this turn ends in a question mark, or the same
        // speaker takes the floor again after unlabelled text (`请谈谈…。` / `张三:…` / `再说说
        //教育。` / `张三:…`): someone else spoke in between, and only the interviewer is unlabelled.
        let same_speaker_again = !run.is_empty()
            && current
                .as_ref()
                .and_then(|c| c.turns.last())
                .is_some_and(|t| &t.speaker == speaker && !t.text.is_empty());
        let starts_pair =
            current.is_none() || same_speaker_again || run.last().is_some_and(|q| ends_with_question(&q.text));
        if starts_pair {
            let previous_has_text = current.as_ref().is_none_or(|c| c.turns.iter().all(|t| !t.text.is_empty()));
            let keep = if previous_has_text { 0 } else { 1 };
            let q_start = question_start(&run, keep);
            let (before, question) = run.split_at(q_start);
            match current.as_mut() {
                None => layout.front(before),
                Some(pair) => {
                    let (kept, rest) = before.split_at(keep.min(before.len()));
                    kept.iter().chain(&without_headings(rest, false)).for_each(|b| continue_turn(pair, &b.text));
                }
            }
            layout.pairs.extend(current.take());
            let mut pair = Pair {
                question: String::new(),
                alternates: Vec::new(),
                turns: Vec::new(),
                line: question.first().map(|q| q.line),
            };
            for q in question {
                push_paragraph(&mut pair.question, &q.text);
            }
            current = Some(pair);
        } else if let Some(pair) = current.as_mut() {
            run.iter().filter(|b| !b.heading).for_each(|b| continue_turn(pair, &b.text));
        }
        run.clear();
        let pair = current.as_mut().expect("a pair was started above");
        if rest.is_empty() && pair.turns.last().is_some_and(|t| t.text.is_empty()) {
            return Err(ParseError::at(p.line, "the previous speaker label has no text"));
        }
        push_turn(pair, speaker, rest);
    }
    let mut pair = current.expect("there is at least one turn");
    if let Some(last) = run.last() {
        if ends_with_question(&last.text) {
            return Err(ParseError::at(last.line, "this question has no answer: expected a `Name:` turn after it"));
        }
    }
    run.iter().filter(|b| !b.heading).for_each(|b| continue_turn(&mut pair, &b.text));
    layout.pairs.push(pair);
    Ok(layout)
}

/// Index in `run` where the question block starts: the last paragraph, plus directly preceding
/// paragraphs that also end in a question mark; `keep` paragraphs stay with the previous turn.
fn question_start(run: &[&Para], keep: usize) -> usize {
    let mut start = run.len().saturating_sub(1).max(keep.min(run.len()));
    while start > keep && ends_with_question(&run[start - 1].text) && !run[start - 1].heading {
        start -= 1;
    }
    start
}

fn continue_turn(pair: &mut Pair, text: &str) {
    if let Some(turn) = pair.turns.last_mut() {
        push_paragraph(&mut turn.text, text);
    }
}

fn no_pairs_error(paras: &[Para]) -> ParseError {
    let line = paras.first().map_or(1, |p| p.line);
    ParseError::at(
        line,
        "no question/answer pairs found: expected question paragraphs followed by `Name: answer` \
         turns (a speaker label must recur, or be listed under `speakers:` in front matter), or \
         `问:`/`答:` (`Q:`/`A:`) lines",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn question_without_answer_is_an_error() {
        let err = parse("T\n\nQ1?\n\n甲:答。\n\nQ2?\n\n甲:答。\n\nQ3?\n").unwrap_err();
        assert_eq!(err.line, Some(11));
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
    fn wen_da_without_answerer_is_an_error() {
        let err = parse("访谈\n\n问:你好吗?\n答:很好。\n").unwrap_err();
        assert_eq!(err.line, Some(4));
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
        // Not recorded as an alias: the store would then merge any other `奥特曼` into this one.
        assert!(iv.speakers.is_empty());
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
}
