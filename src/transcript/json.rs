//! JSON interviews (one object per file) and JSONL bulk exports (one object per line).
//!
//! ```json
//! {"title": "…", "source": "https://…", "date": "2025-11-01", "interviewer": "…",
//!  "notes": "intro paragraph\nanother paragraph",
//!  "speakers": [{"name": "山姆·奥特曼", "aliases": ["Sam Altman", "奥特曼"]}],
//!  "pairs": [{"question": "…", "alternates": ["…"],
//!             "turns": [{"speaker": "山姆·奥特曼", "text": "…"}]}]}
//! ```
//! `notes` may also be a list of paragraphs. Unknown keys are errors, so typos do not go unseen.
//! This is also the format `qabot export` writes.

use serde::Deserialize;

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
    let raw: RawInterview = serde_json::from_str(content).map_err(|e| json_error(&e, e.line()))?;
    let mut interview = raw.into_interview();
    let lines = question_lines(content);
    if lines.len() == interview.pairs.len() {
        for (pair, line) in interview.pairs.iter_mut().zip(lines) {
            pair.line = Some(line);
        }
    }
    interview.validate()?;
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
        let raw: RawInterview = serde_json::from_str(line).map_err(|e| json_error(&e, line_no))?;
        let interview = raw.into_interview();
        interview.validate().map_err(|e| ParseError::at(line_no, e.message))?;
        interviews.push((line_no, interview));
    }
    if interviews.is_empty() {
        return Err(ParseError::whole("the JSONL file holds no interviews"));
    }
    Ok(interviews)
}

/// 1-based lines of the `"question"` keys in a JSON text, in order: where each pair starts.
/// (Unknown keys are rejected, so `question` keys occur in pairs only.)
fn question_lines(content: &str) -> Vec<usize> {
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
                if is_key && &content[start + 1..end] == "question" {
                    lines.push(start_line);
                }
            }
            _ => {}
        }
    }
    lines
}

fn json_error(e: &serde_json::Error, line: usize) -> ParseError {
    // serde_json appends "at line L column C"; keep the column, the line is ours.
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(pos) => format!("invalid interview JSON: {} (column {})", &message[..pos], e.column()),
        None => format!("invalid interview JSON: {message}"),
    };
    ParseError::at(line.max(1), message)
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
    fn notes_as_text() {
        let iv = parse_one(&ONE.replace(r#"["a","b"]"#, r#""a\nb""#)).unwrap();
        assert_eq!(iv.notes, vec!["a", "b"]);
    }
}
