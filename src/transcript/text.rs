//! Parsing transcript text: headline, intro notes, questions and labelled answer turns.
//!
//! Two layouts are recognised, chosen per file:
//! - **bare questions** (the seed interview): the interviewer's question is an unlabelled paragraph
//!   ending in a question mark, followed by `Name:` turns. Unlabelled paragraphs after a turn
//!   continue it.
//! - **labelled interviewer**: every turn is labelled, the interviewer's too (`主持人:`, `记者:`,
//!   `问:`/`答:`, `Q:`/`A:`, or a name that front matter calls the interviewer, or that asks
//!   mostly questions). Each interviewer turn starts a new pair.
//!
//! A label (`Name:`, `Name:`, `【Name】`, `NAME :`) counts as a speaker only when it behaves like
//! one: it is short and name-like and it recurs as a turn opener (or front matter declares it).
//! Everything else — `需从两方面审视价值:`, `Token 工厂:…` — stays text. Site navigation, image
//! captions and page footers are dropped.

use std::collections::{HashMap, HashSet};

use super::frontmatter::{self, FrontMatter};
use super::{ascii_fold, fold_str, Interview, Pair, ParseError, Speaker, Turn, Warning};

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
/// Footer headings: everything from here to the end of the file is page furniture.
const FOOTER_HEADINGS: &[&str] = &[
    "相关阅读",
    "推荐阅读",
    "相关文章",
    "相关推荐",
    "延伸阅读",
    "热门推荐",
    "热门文章",
    "猜你喜欢",
    "上一篇",
    "下一篇",
    "相关新闻",
    "related articles",
    "read more",
    "related posts",
];
/// Single lines of page furniture, recognised by how they start.
const FURNITURE_PREFIXES: &[&str] = &[
    "当前位置",
    "您的位置",
    "你的位置",
    "您现在的位置",
    "责任编辑",
    "编辑:",
    "校对",
    "审核:",
    "版权声明",
    "免责声明",
    "原标题",
    "本文来源",
    "文章来源",
    "来源:",
    "分享到",
    "扫码",
    "扫描二维码",
    "关注公众号",
    "点击阅读原文",
    "阅读原文",
    "点赞",
    "收藏",
    "举报",
    "返回顶部",
    "返回首页",
    "图片来源",
    "图源",
    "©",
    "copyright",
    "all rights reserved",
    "share this",
    "advertisement",
];

#[derive(Debug, Clone)]
struct Para {
    line: usize,
    text: String,
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
    let (fm, body_start) = frontmatter::split(&lines, &mut warnings)?;
    let paras = paragraphs(&lines, body_start);
    let names = Names::from_front_matter(&fm);
    let roles = Roles::detect(&paras, &names)?;
    let paras = split_inline_answers(paras, &roles);
    let kinds: Vec<Kind> = paras.iter().map(|p| roles.classify(&p.text)).collect();

    let mut layout = if kinds.iter().any(|k| matches!(k, Kind::Ask(_))) {
        labelled_layout(&paras, &kinds)?
    } else {
        bare_layout(&paras, &kinds)?
    };
    if let Some(title) = fm.title.clone() {
        if let Some(headline) = layout.title.take() {
            layout.notes.insert(0, headline);
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
        date: fm.date,
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

/// Non-empty lines become paragraphs; furniture is dropped; hard-wrapped English lines are
/// joined back together.
fn paragraphs(lines: &[&str], start: usize) -> Vec<Para> {
    let mut paras: Vec<Para> = Vec::new();
    let mut previous_blank = true;
    for (i, raw) in lines.iter().enumerate().skip(start) {
        let text = clean_markup(raw);
        if text.is_empty() {
            previous_blank = true;
            continue;
        }
        if is_footer_heading(&text) {
            break;
        }
        if is_furniture(&text) {
            previous_blank = false;
            continue;
        }
        let continues = !previous_blank
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && paras.last().is_some_and(|p| !ends_sentence(&p.text));
        match paras.last_mut() {
            Some(last) if continues => {
                last.text.push(' ');
                last.text.push_str(&text);
            }
            _ => paras.push(Para { line: i + 1, text }),
        }
        previous_blank = false;
    }
    paras
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
    text.replace("**", "").replace("__", "").trim().to_owned()
}

fn is_footer_heading(text: &str) -> bool {
    let t = fold_str(text).trim_end_matches(':').trim().to_lowercase();
    t.chars().count() <= 12 && FOOTER_HEADINGS.iter().any(|h| t.starts_with(h))
}

fn is_furniture(text: &str) -> bool {
    let lower = fold_str(text).to_lowercase();
    if FURNITURE_PREFIXES.iter().any(|p| lower.starts_with(p)) && text.chars().count() <= 80 {
        return true;
    }
    // Breadcrumbs: 首页 > 科技 > 正文
    if lower.matches(['>', '»']).count() >= 2 && text.chars().count() <= 60 {
        return true;
    }
    is_caption(text)
}

/// Image captions such as `… 第1张` or `(图:…)`.
fn is_caption(text: &str) -> bool {
    let t = text.trim_end();
    if let Some(before) = t.strip_suffix('张') {
        let digits = before.trim_end_matches(|c: char| c.is_ascii_digit());
        if digits.len() < before.len() && digits.trim_end().ends_with('第') {
            return true;
        }
    }
    let t = fold_str(t);
    t.starts_with("(图") || t.starts_with("[图") || t.starts_with("图注")
}

/// Whether text ends like a finished sentence (so the next line starts a new paragraph).
fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’」』)]".contains(ascii_fold(c)));
    t.ends_with(|c: char| ".!?:;。…".contains(ascii_fold(c)))
}

/// Whether a paragraph ends with a question mark (closing quotes and brackets aside).
fn ends_with_question(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’」』)]".contains(ascii_fold(c)));
    t.ends_with(|c: char| ascii_fold(c) == '?')
}

// ---------------------------------------------------------------------------------------------
// Labels and speakers

/// Split `Name: text`, `Name:text`, `【Name】text` into the label and the rest, if the prefix is
/// shaped like a name. Says nothing yet about whether the label is a speaker.
fn split_label(text: &str) -> Option<(String, String)> {
    for (open, close) in [('【', '】'), ('〖', '〗'), ('[', ']'), ('\u{FF3B}', '\u{FF3D}')] {
        if let Some(rest) = text.strip_prefix(open) {
            let end = rest.find(close)?;
            let label = rest[..end].trim();
            let after = rest[end + close.len_utf8()..].trim_start();
            let after = after.strip_prefix([':', '\u{FF1A}']).unwrap_or(after).trim();
            return name_shaped(label).then(|| (label.to_owned(), after.to_owned()));
        }
    }
    let colon = text.char_indices().take(32).find(|&(_, c)| ascii_fold(c) == ':')?.0;
    let label = text[..colon].trim();
    let after = text[colon..].chars().skip(1).collect::<String>();
    // `10:30`, `https://…`: a colon inside a number or URL is not a label.
    if after.starts_with("//")
        || (label.ends_with(|c: char| c.is_ascii_digit()) && after.starts_with(|c: char| c.is_ascii_digit()))
    {
        return None;
    }
    name_shaped(label).then(|| (label.to_owned(), after.trim().to_owned()))
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
}

impl Roles {
    fn detect(paras: &[Para], names: &Names) -> Result<Roles, ParseError> {
        let labelled: Vec<(usize, String, String)> =
            paras.iter().filter_map(|p| split_label(&p.text).map(|(l, rest)| (p.line, l, rest))).collect();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (_, label, _) in &labelled {
            *counts.entry(label_key(label)).or_default() += 1;
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
                || ((count >= 2 || answers_question.contains(key)) && !NOT_NAMES.contains(&key))
        };

        let mut roles = Roles { answerers: HashMap::new(), askers: HashSet::new(), interviewer_name: None };
        let mut first_label: HashMap<String, String> = HashMap::new();
        for (_, label, _) in &labelled {
            let key = label_key(label);
            if is_speaker(&key, counts[&key]) {
                first_label.entry(key).or_insert_with(|| label.clone());
            }
        }
        for (key, label) in &first_label {
            if names.interviewer.contains(key) || ASKER_ROLES.contains(&key.as_str()) {
                roles.askers.insert(key.clone());
            } else if !ANSWER_ROLES.contains(&key.as_str()) {
                let name = names.canonical.get(key).cloned().unwrap_or_else(|| label.clone());
                roles.answerers.insert(key.clone(), name);
            }
        }
        if roles.askers.is_empty() {
            roles.infer_interviewer(&labelled);
        }
        let answer_role_used = labelled.iter().find(|(_, l, _)| ANSWER_ROLES.contains(&label_key(l).as_str()));
        if let Some((line, label, _)) = answer_role_used {
            let answerer = resolve_answerer(paras, names).ok_or_else(|| {
                ParseError::at(
                    *line,
                    format!(
                        "`{label}:` turns need to know who answers: name one speaker in front matter \
                         (`speakers: Name`) or in the intro (e.g. `专访Name`)"
                    ),
                )
            })?;
            for role in ANSWER_ROLES {
                roles.answerers.insert((*role).to_owned(), answerer.clone());
            }
        }
        roles.drop_embedded_labels(paras);
        Ok(roles)
    }

    /// Without a role label, the interviewer is the speaker whose turns are mostly questions.
    fn infer_interviewer(&mut self, labelled: &[(usize, String, String)]) {
        let mut stats: HashMap<String, (usize, usize)> = HashMap::new();
        for (_, label, rest) in labelled {
            let key = label_key(label);
            if self.answerers.contains_key(&key) {
                let entry = stats.entry(key).or_default();
                entry.0 += 1;
                if ends_with_question(rest) {
                    entry.1 += 1;
                }
            }
        }
        let best = stats
            .iter()
            .filter(|(_, &(turns, questions))| turns >= 2 && questions * 10 >= turns * 6)
            .max_by_key(|(_, &(turns, questions))| (questions * 100 / turns, turns));
        if let Some((key, _)) = best {
            let key = key.clone();
            if stats.len() >= 2 {
                self.interviewer_name = self.answerers.remove(&key);
                self.askers.insert(key);
            }
        }
    }

    /// A recurring label that never opens an answer and only ever appears inside one answer is a
    /// list item (`优势:` … `劣势:`), not a person.
    fn drop_embedded_labels(&mut self, paras: &[Para]) {
        let mut opens: HashSet<String> = HashSet::new();
        let mut answers_seen: HashMap<String, HashSet<usize>> = HashMap::new();
        let mut answer_no = 0usize;
        let mut after_question = true;
        for p in paras {
            match split_label(&p.text).map(|(l, _)| label_key(&l)) {
                Some(key) if self.askers.contains(&key) => {
                    answer_no += 1;
                    after_question = true;
                }
                Some(key) if self.answerers.contains_key(&key) => {
                    if after_question {
                        opens.insert(key.clone());
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
        }
        let embedded: Vec<String> = self
            .answerers
            .keys()
            .filter(|k| !ANSWER_ROLES.contains(&k.as_str()))
            .filter(|k| !opens.contains(*k) && answers_seen.get(*k).is_some_and(|s| s.len() <= 1))
            .cloned()
            .collect();
        for key in embedded {
            self.answerers.remove(&key);
        }
    }

    fn classify(&self, text: &str) -> Kind {
        let Some((label, rest)) = split_label(text) else { return Kind::Plain };
        let key = label_key(&label);
        if self.askers.contains(&key) {
            Kind::Ask(rest)
        } else if let Some(name) = self.answerers.get(&key) {
            Kind::Answer(name.clone(), rest)
        } else {
            Kind::Plain
        }
    }
}

/// Who `答:` means: the one answering speaker in front matter, else a name in the intro.
fn resolve_answerer(paras: &[Para], names: &Names) -> Option<String> {
    match names.answerers.as_slice() {
        [one] => return Some(one.clone()),
        [] => {}
        _ => return None,
    }
    const CUES: &[&str] =
        &["专访", "对话", "访谈", "采访", "嘉宾", "受访者", "受访人", "Interview with ", "interview with "];
    for p in paras.iter().take(12) {
        for cue in CUES {
            let found = p.text.match_indices(cue).find_map(|(pos, _)| leading_name(&p.text[pos + cue.len()..]));
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

/// The name at the start of `text`: Han characters (with `·`) or capitalised Latin words.
fn leading_name(text: &str) -> Option<String> {
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || ":是为".contains(ascii_fold(c)));
    let han: String = text.chars().take_while(|&c| c == '·' || c == '•' || is_han(c)).collect();
    let han_len = han.chars().count();
    if (2..=8).contains(&han_len) {
        return Some(han);
    }
    let words: Vec<&str> = text
        .split_whitespace()
        .take(3)
        .take_while(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// `问:…?答:…` on one line becomes two paragraphs.
fn split_inline_answers(paras: Vec<Para>, roles: &Roles) -> Vec<Para> {
    let mut out = Vec::with_capacity(paras.len());
    for p in paras {
        let is_ask = matches!(roles.classify(&p.text), Kind::Ask(_));
        let split_at = is_ask.then(|| find_inline_answer(&p.text, roles)).flatten();
        match split_at {
            Some(pos) => {
                out.push(Para { line: p.line, text: p.text[..pos].trim().to_owned() });
                out.push(Para { line: p.line, text: p.text[pos..].trim().to_owned() });
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
            if roles.answerers.contains_key(&label_key(&label)) {
                return Some(start);
            }
        }
    }
    None
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
    /// Paragraphs before the first question: the headline, then notes.
    fn front(&mut self, paras: &[&Para]) {
        for p in paras {
            if self.title.is_none() {
                self.title = Some(p.text.clone());
            } else {
                self.notes.push(p.text.clone());
            }
        }
    }
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
fn labelled_layout(paras: &[Para], kinds: &[Kind]) -> Result<Layout, ParseError> {
    let mut layout = Layout::default();
    let first_ask = kinds.iter().position(|k| matches!(k, Kind::Ask(_))).unwrap_or(0);
    let front: Vec<&Para> = paras[..first_ask].iter().collect();
    layout.front(&front);
    let mut current: Option<Pair> = None;
    for (i, (p, kind)) in paras.iter().zip(kinds).enumerate().skip(first_ask) {
        match kind {
            Kind::Ask(rest) => match current.as_mut() {
                Some(pair) if pair.turns.is_empty() => push_paragraph(&mut pair.question, rest),
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
                if next_asks && is_heading(&p.text) && !pair.turns.is_empty() {
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
        if pair.turns.is_empty() {
            return Err(ParseError::at(pair.line.unwrap_or(1), "this question has no answer"));
        }
        layout.pairs.push(pair);
    }
    for pair in &layout.pairs {
        if pair.question.trim().is_empty() {
            return Err(ParseError::at(pair.line.unwrap_or(1), "the interviewer's label has no question text"));
        }
    }
    Ok(layout)
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
        let starts_pair = current.is_none() || run.last().is_some_and(|q| ends_with_question(&q.text));
        if starts_pair {
            let previous_has_text = current.as_ref().is_none_or(|c| c.turns.iter().all(|t| !t.text.is_empty()));
            let keep = if previous_has_text { 0 } else { 1 };
            let q_start = question_start(&run, keep);
            let (before, question) = run.split_at(q_start);
            match current.as_mut() {
                None => layout.front(before),
                Some(pair) => before.iter().for_each(|b| continue_turn(pair, &b.text)),
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
            run.iter().for_each(|b| continue_turn(pair, &b.text));
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
    run.iter().for_each(|b| continue_turn(&mut pair, &b.text));
    layout.pairs.push(pair);
    Ok(layout)
}

/// Index in `run` where the question block starts: the last paragraph, plus directly preceding
/// paragraphs that also end in a question mark; `keep` paragraphs stay with the previous turn.
fn question_start(run: &[&Para], keep: usize) -> usize {
    let mut start = run.len().saturating_sub(1).max(keep.min(run.len()));
    while start > keep && ends_with_question(&run[start - 1].text) {
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
    fn furniture_is_dropped() {
        assert!(is_furniture("当前位置:首页 > 科技资讯 > 正文"));
        assert!(is_furniture("OpenAI资本重组 微软战略合作 第1张"));
        assert!(is_furniture("责任编辑:张三"));
        assert!(!is_furniture("OpenAI 员工的平均年龄是多少?"));
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
    fn interviewer_is_inferred_from_questions() {
        let iv = parse_ok(
            "Title\n\nALICE: Why now?\nBOB: Because.\nALICE: And then?\nBOB: Nothing.\nALICE: Really?\nBOB: Yes.\n",
        );
        assert_eq!(iv.pairs.len(), 3);
        assert_eq!(iv.interviewer.as_deref(), Some("ALICE"));
        assert_eq!(iv.pairs[2].turns[0].speaker, "BOB");
    }
}
