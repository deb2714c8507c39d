//! The optional `---` … `---` block at the top of a transcript.
//!
//! ```text
//! ---
//! title: 对话纳德拉
//! source: https://example.com/interview
//! date: 2025-11-01
//! interviewer: 布拉德·格斯特纳 (Brad Gerstner)
//! speakers: 山姆·奥特曼 (Sam Altman, 奥特曼), 萨提亚·纳德拉 (Satya Nadella, 纳德拉)
//! ---
//! ```
//!
//! Values override what the parser would infer. `speakers` and `interviewer` take names with
//! optional aliases in parentheses; `speakers` may also be a YAML-style list (`- name` lines).
//! Keys may use ASCII or full-width colons.

use super::{ascii_fold, ParseError, Speaker, Warning};

/// Values read from a front-matter block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    /// `title:` the interview headline.
    pub title: Option<String>,
    /// `slug:` identity for replacing on reload.
    pub slug: Option<String>,
    /// `source:` URL or citation.
    pub source: Option<String>,
    /// `date:` as written.
    pub date: Option<String>,
    /// `interviewer:` who asks.
    pub interviewer: Option<Speaker>,
    /// `speakers:` who answers (and their aliases).
    pub speakers: Vec<Speaker>,
}

const KEYS: &[&str] = &["title", "slug", "source", "date", "interviewer", "speakers"];

/// Split a front-matter block off the start of `lines`. Returns the values and how many lines it
/// used (0 when the text has no front matter).
pub fn split(lines: &[&str], warnings: &mut Vec<Warning>) -> Result<(FrontMatter, usize), ParseError> {
    let Some(start) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return Ok((FrontMatter::default(), 0));
    };
    if lines[start].trim() != "---" {
        return Ok((FrontMatter::default(), 0));
    }
    let end = lines[start + 1..]
        .iter()
        .position(|l| matches!(l.trim(), "---" | "..."))
        .map(|i| start + 1 + i)
        .ok_or_else(|| ParseError::at(start + 1, "front matter starts with `---` but has no closing `---` line"))?;

    let mut fm = FrontMatter::default();
    let mut list_key: Option<&str> = None;
    for (offset, raw) in lines[start + 1..end].iter().enumerate() {
        let line_no = start + 2 + offset;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            match list_key {
                Some("speakers") => fm.speakers.push(parse_speaker(item, line_no)?),
                _ => {
                    return Err(ParseError::at(line_no, "a `- item` line must follow `speakers:`"));
                }
            }
            continue;
        }
        let Some((key, value)) = split_key(line) else {
            return Err(ParseError::at(line_no, format!("expected `key: value` in front matter, found `{line}`")));
        };
        let key = key.to_ascii_lowercase();
        let value = unquote(value.trim());
        list_key = None;
        match key.as_str() {
            "title" => fm.title = non_empty(value),
            "slug" | "id" => fm.slug = non_empty(value),
            "source" | "url" => fm.source = non_empty(value),
            "date" => fm.date = non_empty(value),
            "interviewer" | "host" => {
                fm.interviewer = if value.is_empty() { None } else { Some(parse_speaker(value, line_no)?) }
            }
            "speakers" | "speaker" | "guests" | "guest" => {
                if value.is_empty() {
                    list_key = Some("speakers");
                } else {
                    for item in split_top_level(value) {
                        fm.speakers.push(parse_speaker(&item, line_no)?);
                    }
                }
            }
            other => warnings.push(Warning {
                line: line_no,
                message: format!("unknown front-matter key `{other}` ignored (known: {})", KEYS.join(", ")),
            }),
        }
    }
    Ok((fm, end + 1))
}

/// Header keys that name who asks, who answers, and when; other known keys (where, which
/// episode, who edited) are furniture. Compared after ASCII folding and lower-casing.
const HEADER_ASKERS: &[&str] =
    &["host", "hosts", "interviewer", "moderator", "主持人", "主持", "采访", "采访者", "记者"];
const HEADER_ANSWERERS: &[&str] = &["guest", "guests", "interviewee", "嘉宾", "受访者", "受访人", "对话嘉宾"];
const HEADER_DATES: &[&str] = &["date", "recorded", "日期", "时间", "采访时间"];
const HEADER_OTHER: &[&str] =
    &["location", "place", "episode", "duration", "length", "editor", "地点", "地址", "时长", "整理", "编辑", "期数"];

/// A header block: lines such as `Host: Tom Fischer`, `嘉宾：安娜`, `Date: 2024-05-01` at the top
/// of a transcript (after front matter, if any), before the first exchange (after at most one headline
/// line), one per line and ended by a blank line. They say what front matter would, so they fill
/// in what front matter left unset, and the lines are blanked (left out of the text, line
/// numbers kept). Without this, `Host: Tom Fischer` reads as the host's first question.
///
/// To be a header line, a line needs a known key, a short value that does not end a sentence,
/// and a key used once in the block; a role key (`Host`, `主持人`) must not open any later line,
/// since then it is the label of the turns (`主持人：你好` starts an exchange). Returns the
/// 0-based indexes of the lines used.
pub fn header_block(lines: &[&str], start: usize, fm: &mut FrontMatter) -> Vec<usize> {
    let Some(first) = (start..lines.len()).find(|&i| !lines[i].trim().is_empty()) else { return Vec::new() };
    let begin = if header_line(lines, first).is_some() { first } else { first + 1 };
    let mut used: Vec<(usize, String, String)> = Vec::new();
    for i in (begin..lines.len()).take_while(|&i| !lines[i].trim().is_empty()) {
        match header_line(lines, i) {
            Some((key, value)) if !used.iter().any(|(_, k, _)| *k == key) => used.push((i, key, value)),
            _ => return Vec::new(),
        }
    }
    for (_, key, value) in &used {
        apply_header(fm, key, value);
    }
    used.into_iter().map(|(i, _, _)| i).collect()
}

/// A line's `Key:` (folded to ASCII and lower case, bold marks dropped) and what follows it.
fn line_key(line: &str) -> Option<(String, &str)> {
    let line = line.trim().trim_start_matches("**");
    let pos = line.find([':', '\u{FF1A}'])?;
    let key = line[..pos].trim().trim_end_matches("**").trim().chars().map(ascii_fold).collect::<String>();
    let colon = line[pos..].chars().next()?.len_utf8();
    Some((key.to_lowercase(), line[pos + colon..].trim().trim_start_matches("**").trim()))
}

/// `(key, value)` when line `i` is a header line (see [`header_block`]).
fn header_line(lines: &[&str], i: usize) -> Option<(String, String)> {
    let (key, value) = line_key(lines[i])?;
    let known =
        [HEADER_ASKERS, HEADER_ANSWERERS, HEADER_DATES, HEADER_OTHER].iter().any(|keys| keys.contains(&key.as_str()));
    let words = value.split_whitespace().count();
    let han = value.chars().filter(|c| crate::text::is_han(*c)).count();
    let ends_sentence = value.ends_with(['?', '？', '!', '！', '。']);
    if !known || value.is_empty() || ends_sentence || words > 8 || han > 20 {
        return None;
    }
    let role = HEADER_ASKERS.contains(&key.as_str()) || HEADER_ANSWERERS.contains(&key.as_str());
    if role && lines[i + 1..].iter().any(|l| line_key(l).is_some_and(|(k, _)| k == key)) {
        return None;
    }
    Some((key, value.to_owned()))
}

/// Fill in what `key: value` of a header block says, where front matter left it unset.
fn apply_header(fm: &mut FrontMatter, key: &str, value: &str) {
    if HEADER_ASKERS.contains(&key) {
        if fm.interviewer.is_none() {
            fm.interviewer = parse_speaker(value, 0).ok();
        }
    } else if HEADER_ANSWERERS.contains(&key) {
        if fm.speakers.is_empty() {
            let items = split_top_level(value);
            let items = items.iter().flat_map(|i| i.split(" & ")).flat_map(|i| i.split(" and "));
            fm.speakers = items.filter_map(|i| parse_speaker(i, 0).ok()).collect();
        }
    } else if HEADER_DATES.contains(&key) && fm.date.is_none() {
        fm.date = non_empty(value);
    }
}

fn split_key(line: &str) -> Option<(&str, &str)> {
    let pos = line.find([':', '\u{FF1A}'])?;
    let key = line[..pos].trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return None;
    }
    let colon_len = line[pos..].chars().next()?.len_utf8();
    Some((key, &line[pos + colon_len..]))
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for (open, close) in [('"', '"'), ('\'', '\'')] {
        if v.len() >= 2 && v.starts_with(open) && v.ends_with(close) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// Split `a (x, y), b` at commas that are not inside parentheses.
fn split_top_level(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in value.chars() {
        match ascii_fold(c) {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '、' | ';' if depth <= 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

/// `Name (alias, alias)` or `Name` → a [`Speaker`].
fn parse_speaker(item: &str, line: usize) -> Result<Speaker, ParseError> {
    let item = unquote(item.trim());
    let (name, aliases) = match item.find(['(', '\u{FF08}']) {
        Some(open) => {
            let inner = item[open..]
                .trim_start_matches(['(', '\u{FF08}'])
                .trim_end()
                .strip_suffix([')', '\u{FF09}'])
                .ok_or_else(|| ParseError::at(line, format!("unclosed parenthesis in `{item}`")))?;
            (item[..open].trim(), split_top_level(inner))
        }
        None => (item, Vec::new()),
    };
    if name.is_empty() {
        return Err(ParseError::at(line, format!("speaker entry `{item}` has no name")));
    }
    Ok(Speaker { name: name.to_owned(), aliases })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<(FrontMatter, usize, Vec<Warning>), ParseError> {
        let lines: Vec<&str> = text.lines().collect();
        let mut warnings = Vec::new();
        split(&lines, &mut warnings).map(|(fm, n)| (fm, n, warnings))
    }

    #[test]
    fn no_front_matter() {
        let (fm, used, _) = run("标题\n\n正文").unwrap();
        assert_eq!((fm, used), (FrontMatter::default(), 0));
    }

    #[test]
    fn all_keys_and_aliases() {
        let (fm, used, warnings) = run("---\ntitle: 对话\nsource: \"https://x.test/a\"\ndate:2025-11-01\n\
             interviewer: 布拉德 (Brad Gerstner)\n\
             speakers: 山姆·奥特曼 (Sam Altman, 奥特曼), 萨提亚·纳德拉\nmood: happy\n---\n正文")
        .unwrap();
        assert_eq!(used, 8);
        assert_eq!(fm.title.as_deref(), Some("对话"));
        assert_eq!(fm.source.as_deref(), Some("https://x.test/a"));
        assert_eq!(fm.date.as_deref(), Some("2025-11-01"));
        assert_eq!(fm.interviewer.unwrap().aliases, vec!["Brad Gerstner"]);
        assert_eq!(fm.speakers.len(), 2);
        assert_eq!(fm.speakers[0].aliases, vec!["Sam Altman", "奥特曼"]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 7);
    }

    #[test]
    fn yaml_list_of_speakers() {
        let (fm, _, _) = run("---\nspeakers:\n  - Ada Lovelace (Ada)\n  - Grace Hopper\n---\n").unwrap();
        let names: Vec<_> = fm.speakers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Ada Lovelace", "Grace Hopper"]);
    }

    #[test]
    fn unterminated_block_is_an_error() {
        let err = run("---\ntitle: x\n正文").unwrap_err();
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn bad_line_names_its_line() {
        let err = run("---\ntitle: x\nthis is not a key\n---").unwrap_err();
        assert_eq!(err.line, Some(3));
    }
}
