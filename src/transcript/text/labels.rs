//! Speaker labels: `Name:`, `【Name】`, roles next to names, and how labels compare.

use super::*;

use std::collections::HashMap;

use crate::transcript::{ascii_fold, fold_str, names};

/// Labels that always mean "the interviewer speaks".
pub(super) const ASKER_ROLES: &[&str] =
    &["问", "提问", "主持人", "主持", "记者", "采访者", "q", "question", "interviewer", "host", "moderator"];
/// Interviewer labels that mark a question rather than name a person: each one starts a new
/// question, so two in a row without an answer between are an unanswered question. (Two turns of
/// `主持人:` or of a name in a row are one question in two paragraphs.)
pub(super) const QUESTION_MARKERS: &[&str] = &["问", "提问", "q", "question"];
/// Labels that always mean "the (single) interviewee answers".
pub(super) const ANSWER_ROLES: &[&str] = &["答", "回答", "a", "answer"];
/// Words that end a line like a label but are discourse markers, not people.
pub(super) const NOT_NAMES: &[&str] = &[
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

/// Split `Name: text`, `Name:text`, `【Name】text` into the label and the rest, if the prefix is
/// shaped like a name. Says nothing yet about whether the label is a speaker.
pub(super) fn split_label(text: &str) -> Option<(String, String)> {
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
pub(super) fn with_role_first(label: &str) -> Option<String> {
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
pub(super) fn asker_with_name(label: &str) -> Option<String> {
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
pub(super) fn name_shaped(label: &str) -> bool {
    let chars = label.chars().count();
    if chars == 0 || chars > 24 || label.split_whitespace().count() > 4 {
        return false;
    }
    if label.chars().all(|c| c.is_ascii_digit() || c.is_whitespace()) {
        return false;
    }
    // `《远光灯》`, `「某刊」`: a programme or publication asks the questions.
    for (open, close) in [('《', '》'), ('「', '」')] {
        if let Some(inner) = label.strip_prefix(open).and_then(|l| l.strip_suffix(close)) {
            return name_shaped(inner.trim());
        }
    }
    // `A/B/C`, `张三/李四`: answers given together, one label for several people.
    if label.contains('/') {
        let parts: Vec<&str> = label.split('/').map(str::trim).collect();
        return (2..=6).contains(&parts.len()) && parts.iter().all(|p| p.chars().count() <= 12 && name_shaped(p));
    }
    const FORBIDDEN: &str = ",。!?;、\"“”‘’「」『』()《》<>/\\|@#$%^&*=+~`…:";
    !label.chars().any(|c| FORBIDDEN.contains(ascii_fold(c)))
}

/// Case- and width-insensitive key for comparing labels.
/// Title brackets do not matter: `《远光灯》` and `「远光灯」` are one label.
pub(super) fn label_key(label: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let label = label.trim();
    let bare = [('《', '》'), ('「', '」')]
        .iter()
        .find_map(|&(open, close)| label.strip_prefix(open).and_then(|l| l.strip_suffix(close)))
        .unwrap_or(label);
    bare.nfkc().collect::<String>().to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// For each label key among `keys` that others shorten, those shorter keys: made of some of its
/// words (or `·`-separated parts), in order (`rossi` of `elena rossi`, `纳德拉` of
/// `萨提亚·纳德拉`). Linear in the number of keys.
pub(super) fn shortened_labels<'a>(keys: &[&'a String]) -> Vec<(&'a String, Vec<&'a String>)> {
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
pub(super) fn is_lead_in(text: &str) -> bool {
    text.trim_end().ends_with([':', '\u{FF1A}']) && !split_label(text).is_some_and(|(_, rest)| rest.is_empty())
}

/// Whether a label key is initials: single letters each followed by a dot (`j.m.`, `j. m.`).
pub(super) fn is_initials(key: &str) -> bool {
    let compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
    let parts: Vec<&str> = compact.split_terminator('.').collect();
    compact.ends_with('.')
        && parts.len() >= 2
        && parts.iter().all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic))
}

/// Whether `initials` (`j.m.`) are the first letters of the words of `long` (`jane morrow`).
pub(super) fn has_initials(long: &str, initials: &str) -> bool {
    let firsts: String = long.split_whitespace().filter_map(|w| w.chars().next()).collect();
    let wanted: String = initials.chars().filter(|c| c.is_alphabetic()).collect();
    long.split_whitespace().count() >= 2 && firsts == wanted
}
