//! JSON interviews (one object per file) and JSONL bulk exports (one object per line).
//!
//! ```json
//! {"title": "…", "source": "https://…", "date": "2025-11-01", "interviewer": "…",
//!  "notes": "intro paragraph\nanother paragraph",
//!  "speakers": [{"name": "山姆·奥特曼", "aliases": ["Sam Altman", "奥特曼"]}],
//!  "pairs": [{"question": "…", "alternates": ["…"],
//!             "turns": [{"speaker": "山姆·奥特曼", "text": "…"}]}]}
//! ```
//! `notes` may also be a list of paragraphs. Unknown keys are errors, so typos do not go unseen,
//! and so are blank `slug` and `source` values (they are identities). Errors name the field by
//! its path (`pairs[2].alternates: expected a list of strings, got null`); indices count from 0.
//! This is also the format `qabot export` writes.

use serde::Deserialize;
use serde_path_to_error::Segment;

use super::{Interview, Pair, ParseError, Speaker, Turn};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInterview {
    title: String,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    interviewer: Option<String>,
    #[serde(default)]
    notes: Option<Notes>,
    #[serde(default)]
    speakers: Vec<Speaker>,
    pairs: Vec<RawPair>,
}

/// `notes`: one string (paragraphs separated by newlines) or a list of paragraphs.
enum Notes {
    Text(String),
    Paragraphs(Vec<String>),
}

impl<'de> Deserialize<'de> for Notes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NotesVisitor;
        impl<'de> serde::de::Visitor<'de> for NotesVisitor {
            type Value = Notes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Notes, E> {
                Ok(Notes::Text(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Notes, A::Error> {
                let mut list = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    list.push(item);
                }
                Ok(Notes::Paragraphs(list))
            }
        }
        deserializer.deserialize_any(NotesVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    question: String,
    #[serde(default)]
    alternates: Vec<String>,
    turns: Vec<Turn>,
}

impl RawInterview {
    fn into_interview(self) -> Interview {
        let notes = match self.notes {
            None => Vec::new(),
            Some(Notes::Text(text)) => {
                text.split('\n').map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
            }
            Some(Notes::Paragraphs(list)) => list,
        };
        Interview {
            title: self.title,
            slug: self.slug,
            source: self.source,
            date: self.date,
            interviewer: self.interviewer,
            notes,
            speakers: self.speakers,
            pairs: self
                .pairs
                .into_iter()
                .map(|p| Pair { question: p.question, alternates: p.alternates, turns: p.turns, line: None })
                .collect(),
        }
    }
}

/// Parse a file holding one JSON interview object.
pub fn parse_one(content: &str) -> Result<Interview, ParseError> {
    let raw = from_json(content, None)?;
    if let Err(key) = raw.check_identity() {
        let line = key_lines(content, key).first().copied().unwrap_or(1);
        return Err(blank_identity(line, key));
    }
    let mut interview = raw.into_interview();
    let lines = question_lines(content);
    if lines.len() == interview.pairs.len() {
        for (pair, line) in interview.pairs.iter_mut().zip(lines) {
            pair.line = Some(line);
        }
    }
    interview.validate_json()?;
    Ok(interview)
}

/// Parse JSONL: one interview object per non-blank line. Returns each with its line number.
pub fn parse_lines(content: &str) -> Result<Vec<(usize, Interview)>, ParseError> {
    let mut interviews = Vec::new();
    for (i, line) in content.split('\n').enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        interviews.push((line_no, parse_line(line, line_no)?));
    }
    if interviews.is_empty() {
        return Err(ParseError::whole("the JSONL file holds no interviews"));
    }
    Ok(interviews)
}

/// Parse one non-blank line of a JSONL file, the `line_no`th.
pub fn parse_line(line: &str, line_no: usize) -> Result<Interview, ParseError> {
    let raw = from_json(line, Some(line_no))?;
    raw.check_identity().map_err(|key| blank_identity(line_no, key))?;
    let interview = raw.into_interview();
    interview.validate_json().map_err(|e| ParseError::at(line_no, e.message))?;
    Ok(interview)
}

/// Deserialize one interview object. `line` is the line of a JSONL record, `None` for a whole
/// `.json` file (errors then carry the line serde_json reports).
fn from_json(content: &str, line: Option<usize>) -> Result<RawInterview, ParseError> {
    // A list would deserialize field by field into the struct: say what is wrong instead.
    let start = content.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if start.starts_with('[') {
        let at = line.unwrap_or_else(|| 1 + content[..content.len() - start.len()].matches('\n').count());
        let message = if line.is_none() {
            "expected one interview object (`{\"title\": …, \"pairs\": […]}`), found a list; for many \
             interviews use .jsonl (one object per line)"
        } else {
            "expected one interview object on this line, found a list: write one object per line"
        };
        return Err(ParseError::at(at, message));
    }
    let mut de = serde_json::Deserializer::from_str(content);
    let raw: RawInterview = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = line.unwrap_or(e.inner().line());
        json_error(e.inner(), Some(e.path()), at)
    })?;
    de.end().map_err(|e| json_error(&e, None, line.unwrap_or(e.line())))?;
    Ok(raw)
}

impl RawInterview {
    /// `slug` and `source` identify the interview on reload: blank ones would make unrelated
    /// interviews the same. Returns the blank key.
    fn check_identity(&self) -> Result<(), &'static str> {
        let blank = |v: &Option<String>| v.as_ref().is_some_and(|v| v.trim().is_empty());
        if blank(&self.slug) {
            return Err("slug");
        }
        if blank(&self.source) {
            return Err("source");
        }
        Ok(())
    }
}

fn blank_identity(line: usize, key: &str) -> ParseError {
    let what = if key == "slug" {
        "give the interview a non-blank identity, or leave the key out to derive one from `source` \
         or the file name"
    } else {
        "give where the interview was published, or leave the key out"
    };
    ParseError::at(line, format!("`{key}` is blank: {what}"))
}

/// 1-based lines of the `"question"` keys in a JSON text, in order: where each pair starts.
/// (Unknown keys are rejected, so `question` keys occur in pairs only.)
fn question_lines(content: &str) -> Vec<usize> {
    key_lines(content, "question")
}

/// 1-based lines where `"key":` occurs as an object key in a JSON text, in order.
fn key_lines(content: &str, key: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut line = 1;
    let mut chars = content.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            '\n' => line += 1,
            '"' => {
                let start_line = line;
                let mut end = content.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = i;
                            break;
                        }
                        '\n' => line += 1,
                        _ => {}
                    }
                }
                let is_key = content[end..].trim_start_matches('"').trim_start().starts_with(':');
                if is_key && &content[start + 1..end] == key {
                    lines.push(start_line);
                }
            }
            _ => {}
        }
    }
    lines
}

/// An error of serde_json as a [`ParseError`] at `line`, with the path of the field it is about
/// (`pairs[2].alternates: expected a list of strings, got null`).
fn json_error(e: &serde_json::Error, path: Option<&serde_path_to_error::Path>, line: usize) -> ParseError {
    // serde_json appends "at line L column C"; keep the column, the line is ours.
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(pos) => message[..pos].to_owned(),
        None => message,
    };
    let mut segments: Vec<&Segment> = path.map(|p| p.iter().collect()).unwrap_or_default();
    let message = if let Some(len) = object_given_as_list(&segments) {
        // serde reads a struct from a list field by field: the error is about the list itself.
        segments.truncate(len);
        format!("expected {}, got a list", expected_at(&segments).unwrap_or("an object"))
    } else {
        match message.strip_prefix("invalid type: ").and_then(|m| m.rsplit_once(", expected ")) {
            Some((got, expected)) => {
                let expected = expected_at(&segments).unwrap_or(expected);
                format!("expected {expected}, got {}", type_name(got))
            }
            None => message,
        }
    };
    if message.starts_with("unknown field") && matches!(segments.last(), Some(Segment::Map { .. })) {
        segments.pop(); // the path ends at the unknown key itself, which the message names
    }
    let message =
        if !segments.is_empty() && e.is_data() { format!("{}: {message}", path_text(&segments)) } else { message };
    let message = if e.column() > 0 {
        format!("invalid interview JSON: {message} (column {})", e.column())
    } else {
        format!("invalid interview JSON: {message}")
    };
    ParseError::at(line.max(1), message)
}

/// `pairs[2].alternates`: a path as written in jq and JavaScript.
fn path_text(segments: &[&Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// When an object of the format (a pair, turn or speaker) was given as a list, the length of
/// the path to that object: `pairs[1][0]` → 2 (`pairs[1]`).
fn object_given_as_list(segments: &[&Segment]) -> Option<usize> {
    segments
        .windows(3)
        .position(|w| {
            let is_object_list =
                matches!(w[0], Segment::Map { key } if matches!(key.as_str(), "pairs" | "turns" | "speakers"));
            is_object_list && matches!(w[1], Segment::Seq { .. }) && matches!(w[2], Segment::Seq { .. })
        })
        .map(|i| i + 2)
}

/// What the interview format wants at a path, in words.
fn expected_at(segments: &[&Segment]) -> Option<&'static str> {
    let key = |s: &Segment| match s {
        Segment::Map { key } => Some(key.clone()),
        _ => None,
    };
    match segments {
        [] => Some("one interview object (`{\"title\": …, \"pairs\": […]}`)"),
        [.., parent, Segment::Seq { .. }] => match key(parent)?.as_str() {
            "pairs" => Some("a pair object (`{\"question\": …, \"turns\": […]}`)"),
            "turns" => Some("a turn object (`{\"speaker\": …, \"text\": …}`)"),
            "speakers" => Some("a speaker object (`{\"name\": …, \"aliases\": […]}`)"),
            "notes" | "alternates" | "aliases" => Some("a string"),
            _ => None,
        },
        [.., last] => match key(last)?.as_str() {
            "pairs" => Some("a list of pairs"),
            "turns" => Some("a list of turns"),
            "speakers" => Some("a list of speakers"),
            "alternates" | "aliases" => Some("a list of strings"),
            "notes" => Some("a string or a list of strings"),
            "title" | "slug" | "source" | "date" | "interviewer" | "question" | "speaker" | "text" | "name" => {
                Some("a string")
            }
            _ => None,
        },
    }
}

/// serde's name of a JSON value's type, in the words of the format (`map` → `an object`).
fn type_name(got: &str) -> String {
    match got {
        "map" => "an object".to_owned(),
        "sequence" => "a list".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"title":"T","notes":["a","b"],"pairs":[{"question":"Q?","alternates":["Q2"],"turns":[{"speaker":"甲","text":"答。"}]}]}"#;

    #[test]
    fn one_object() {
        let iv = parse_one(ONE).unwrap();
        assert_eq!(iv.notes, vec!["a", "b"]);
        assert_eq!(iv.pairs[0].alternates, vec!["Q2"]);
    }

    #[test]
    fn lines_report_their_line() {
        let text = format!("{ONE}\n\n{}\n", r#"{"title":"T","pairs":[]}"#);
        let err = parse_lines(&text).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("no question/answer pairs"), "{}", err.message);
    }

    #[test]
    fn unknown_keys_are_errors_at_every_level() {
        for json in [
            r#"{"title":"T","pairs":[{"question":"Q?","turns":[{"speaker":"甲","txt":"答。"}]}]}"#,
            r#"{"title":"T","speakers":[{"name":"甲","alias":["乙"]}],"pairs":[{"question":"Q?","turns":[{"speaker":"甲","text":"答。"}]}]}"#,
            r#"{"title":"T","pairs":[{"question":"Q?","answer":"x","turns":[{"speaker":"甲","text":"答。"}]}]}"#,
        ] {
            let err = parse_one(json).unwrap_err();
            assert!(err.message.contains("unknown field"), "{}", err.message);
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = parse_one(r#"{"titel":"T","pairs":[]}"#).unwrap_err();
        assert!(err.message.contains("unknown field `titel`"), "{}", err.message);
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn pairs_know_the_line_of_their_question() {
        let text = "{\"title\": \"T \\\"question\\\": x\",\n \"pairs\": [\n  {\"question\": \"Q1\",\n   \"turns\": [{\"speaker\": \"question\", \"text\": \"a\"}]},\n  {\"question\":\"Q2\", \"turns\": []}]}";
        assert_eq!(question_lines(text), [3, 5]);
        let err = parse_one(text).unwrap_err();
        assert_eq!(err.line, Some(5), "{err}");
    }

    #[test]
    fn a_broken_field_is_named_by_its_path() {
        let text = "{\"title\": \"T\",\n \"pairs\": [\n  {\"question\": \"Q1\",\n   \"turns\": [{\"speaker\": \"甲\", \"text\": \"a\"}]},\n  \
                    {\"question\": \"Q2\",\n   \"turns\": [{\"speaker\": \"甲\", \"text\": \"b\"},\n {\"speaker\": \"\", \"text\": \"c\"}]}]}";
        let err = parse_one(text).unwrap_err();
        assert_eq!(err.line, Some(5), "{err}");
        assert!(err.message.ends_with("(at `pairs[1].turns[1].speaker`)"), "{err}");
        let err = parse_lines(r#"{"title":"T","pairs":[{"question":" ","turns":[]}]}"#).unwrap_err();
        assert!(err.message.contains("the question is empty (at `pairs[0].question`)"), "{err}");
    }

    #[test]
    fn notes_as_text() {
        let iv = parse_one(&ONE.replace(r#"["a","b"]"#, r#""a\nb""#)).unwrap();
        assert_eq!(iv.notes, vec!["a", "b"]);
    }
}
