//! Lines to paragraphs: markup, timestamps and furniture removed, hard wraps joined.

use super::*;

use unicode_width::UnicodeWidthStr;

use crate::transcript::{ascii_fold, fold_str, furniture};

/// The content of a transcript body, furniture removed.
pub(super) struct Body {
    pub(super) paras: Vec<Para>,
    /// The date of the first byline, as `YYYY-MM-DD`.
    pub(super) date: Option<String>,
}

/// Non-empty lines become paragraphs; furniture is dropped; hard-wrapped lines are joined back
/// together.
pub(super) fn read_paragraphs(lines: &[&str], start: usize) -> Body {
    let wrap = wrap_width(&lines[start.min(lines.len())..]);
    let mut paras: Vec<Para> = Vec::new();
    let mut date = None;
    // The previous line, when it is content that ended up at the end of `paras.last()`.
    let mut previous: Option<&str> = None;
    for (i, raw) in unglued_lines(lines, start) {
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
            _ => paras.push(Para { line: i + 1, text, heading, bold: is_bold(raw), section: None }),
        }
        previous = Some(raw);
    }
    Body { paras, date }
}

/// Lines with their 0-based index, a bold label glued to the end of a line (`…谢谢。**Lily:**`,
/// `**片名叫什么?** **王五:**`) moved to a line of its own (same index): pasted pages lose the
/// line break before a label.
fn unglued_lines<'a>(lines: &[&'a str], start: usize) -> Vec<(usize, &'a str)> {
    let mut out = Vec::with_capacity(lines.len());
    for (i, raw) in lines.iter().enumerate().skip(start) {
        match glued_label_at(raw) {
            Some(at) => {
                out.push((i, &raw[..at]));
                out.push((i, &raw[at..]));
            }
            None => out.push((i, raw)),
        }
    }
    out
}

/// Byte offset of a bold `**Name:**` (or `**Name**:`) that ends `raw` after other text.
fn glued_label_at(raw: &str) -> Option<usize> {
    let t = raw.trim_end();
    let label = t.strip_suffix("**").map(|s| s.trim_end_matches([':', '\u{FF1A}']).strip_suffix("**"));
    let body = match label {
        Some(Some(inner)) => inner.trim_end_matches("**"),
        Some(None) => t.strip_suffix("**")?.strip_suffix([':', '\u{FF1A}'])?,
        None => t.strip_suffix([':', '\u{FF1A}'])?.strip_suffix("**")?,
    };
    let open = body.rfind("**")?;
    let name = &body[open + 2..];
    let before = body[..open].trim();
    let glued = !before.is_empty() && before.trim_matches('*').chars().any(char::is_alphanumeric);
    (glued && !name.is_empty() && name.chars().count() <= 12 && name_shaped(name)).then_some(open)
}

/// Whether a line is bold as a whole: `**…**`, with any empty `****` at its ends ignored.
fn is_bold(raw: &str) -> bool {
    let t = raw.trim().trim_start_matches('#').trim();
    let t = t.trim_start_matches("****").trim_end_matches("****");
    t.len() > 4 && t.starts_with("**") && t.ends_with("**") && !t[2..t.len() - 2].trim().is_empty()
}

/// Trim, drop Markdown heading marks, emphasis and quote markers.
pub(super) fn clean_markup(raw: &str) -> String {
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
pub(super) fn without_timestamps(text: &str) -> String {
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
    let text = match in_label {
        Some((i, len)) => format!("{}{}", text[..i].trim_end(), text[i + len..].trim_start()),
        None => text.to_owned(),
    };
    without_inline_timestamps(text)
}

/// `…in the hills. [00:01:20] Most are…`: a timestamp in square brackets after a space, inside a
/// line, marks where the recording was, not what was said. (Round brackets may hold a time that
/// was said: `会议定在(10:30)`.)
fn without_inline_timestamps(text: String) -> String {
    let found = |t: &str| {
        t.match_indices('[').find_map(|(i, _)| {
            let spaced = t[..i].ends_with(char::is_whitespace);
            bracketed_timestamp_len(&t[i..]).filter(|_| spaced).map(|len| (i, len))
        })
    };
    let mut text = text;
    while let Some((i, len)) = found(&text) {
        let after = text[i + len..].trim_start();
        // `hills [01:02].`: no space is left before the punctuation that followed.
        let joined =
            after.is_empty() || after.starts_with(|c: char| c.is_ascii_punctuation() || "。，、；：？！".contains(c));
        text = if joined { format!("{}{after}", text[..i].trim_end()) } else { format!("{}{after}", &text[..i]) };
    }
    text
}

/// Byte length of a timestamp at the start of `text`, brackets included: `0:05`, `00:01:10`,
/// `01:02:03.5`, `[00:05]`, `(00:01:10)`.
pub(super) fn bracketed_timestamp_len(text: &str) -> Option<usize> {
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

pub(super) fn timestamp_len(text: &str) -> Option<usize> {
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

pub(super) fn is_markdown_heading(raw: &str) -> bool {
    let t = raw.trim_start();
    t.starts_with('#') && t.trim_start_matches('#').starts_with(char::is_whitespace)
}

/// Display width of the widest line when the text looks hard-wrapped (at least two lines run on
/// into the next as a wrapping tool leaves them), else `None`.
pub(super) fn wrap_width(lines: &[&str]) -> Option<usize> {
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
pub(super) fn wraps_into(prev: &str, next: &str, width: usize) -> bool {
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
pub(super) fn starts_new_paragraph(prev: &str, next: &str) -> bool {
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
pub(super) fn continues_line(prev: &str, raw: &str, text: &str, wrap: Option<usize>) -> bool {
    let lowercase = text.starts_with(|c: char| c.is_ascii_lowercase()) && !ends_sentence(&clean_markup(prev));
    (lowercase || wrap.is_some_and(|width| wraps_into(prev, raw, width))) && !starts_new_paragraph(prev, raw)
}

/// Append a wrapped line: with a space between Latin words, directly after CJK text.
pub(super) fn join_line(target: &mut String, line: &str) {
    let cjk = target.chars().last().is_some_and(is_wide) || line.chars().next().is_some_and(is_wide);
    if !cjk {
        target.push(' ');
    }
    target.push_str(line);
}

pub(super) fn is_wide(c: char) -> bool {
    unicode_width::UnicodeWidthChar::width(c) == Some(2)
}

/// Whether text ends like a finished sentence (so the next line starts a new paragraph).
pub(crate) fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’」』)]".contains(ascii_fold(c)));
    t.ends_with(|c: char| ".!?:;。…".contains(ascii_fold(c)))
}

/// Whether a paragraph ends with a question mark (closing quotes and brackets aside).
pub(super) fn ends_with_question(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’」』)]".contains(ascii_fold(c)));
    t.ends_with(|c: char| ascii_fold(c) == '?')
}

/// Whether a line is a list item: `- x`, `* x`, `• x`, `1. x`, `2、x`, `(3) x`, `① x`.
pub(super) fn is_list_item(text: &str) -> bool {
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
pub(super) fn is_aside(text: &str) -> bool {
    let t = text.trim();
    let bracketed = |c: Option<char>, want: char| c.is_some_and(|c| ascii_fold(c) == want);
    if !bracketed(t.chars().next(), '(') || !bracketed(t.chars().last(), ')') {
        return false;
    }
    let t = fold_str(t);
    t.chars().count() >= 8 && t.starts_with('(') && t.ends_with(')') && t[1..].find(')') == Some(t.len() - 2)
}
