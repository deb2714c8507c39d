//! Reading interview files into plain structs.
//!
//! Two families of input are understood:
//! - transcript text (`.txt`, `.md`), parsed by the crate-private `text`: a headline, intro
//!   paragraphs, then questions and `Name: answer` turns in any of the common layouts, with an
//!   optional front-matter block (`frontmatter`); page furniture and people's names in running
//!   text are handled by two more private helpers, `furniture` and `names`;
//! - JSON (one interview per file) and JSONL (one per line), parsed by [`json`].
//!
//! Bytes are decoded first ([`decode`]): UTF-8 with or without BOM, UTF-16 and GB18030/GBK.
//! Errors carry the 1-based line and say what was expected ([`ParseError`], [`FileError`]).
//! Nothing here touches the database.

mod clean;
pub mod decode;
pub mod file;
pub(crate) mod frontmatter;
mod furniture;
pub mod json;
mod names;
pub mod stream;
pub(crate) mod text;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Map full-width ASCII variants (`:`, `?`, `(`, …, U+FF01–U+FF5E) and the ideographic space to
/// their ASCII forms, so punctuation checks need only one spelling.
pub fn ascii_fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// [`ascii_fold`] over a whole string.
pub fn fold_str(text: &str) -> String {
    text.chars().map(ascii_fold).collect()
}

/// What the curator says about files that do not name their speakers (`qabot load --answerer`,
/// `--interviewer`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Who answers when the file names no one (`答:`, `A:`, unlabelled answers).
    pub answerer: Option<String>,
    /// Who asks, when the file does not say.
    pub interviewer: Option<String>,
}

/// One interview: who spoke, what was asked, what was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interview {
    /// Headline of the interview.
    pub title: String,
    /// Stable identity used to replace an interview on reload (front matter `slug`, else derived
    /// from `source` or the file name by the loader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Where the transcript was published (URL or citation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Publication or recording date, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Who asked the questions, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interviewer: Option<String>,
    /// Intro and summary paragraphs that are not question/answer pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Speakers declared by the file, with other names they go by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speakers: Vec<Speaker>,
    /// The questions and their answers, in order.
    pub pairs: Vec<Pair>,
}

/// A person and the other names they are called by in questions and transcripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speaker {
    /// Canonical display name.
    pub name: String,
    /// Other names: short forms, other scripts, English names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// A question and the turns that answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// The interviewer's question (paragraphs separated by newlines).
    pub question: String,
    /// Other phrasings of the question that should find this pair.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternates: Vec<String>,
    /// The answer, one turn per change of speaker.
    pub turns: Vec<Turn>,
    /// Line of the question in the source file (not part of the content).
    #[serde(skip)]
    pub line: Option<usize>,
}

/// One speaker's contribution to an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// Who said it, as named in the file (resolved to a canonical speaker on load).
    pub speaker: String,
    /// What was said (paragraphs separated by newlines).
    pub text: String,
}

/// A problem at a place in an input file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line number, when the problem has a place.
    pub line: Option<usize>,
    /// What was wrong and, where useful, what was expected.
    pub message: String,
}

impl ParseError {
    /// An error at a 1-based line.
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        ParseError { line: Some(line), message: message.into() }
    }

    /// An error about the file as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        ParseError { line: None, message: message.into() }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A broken invariant of an [`Interview`]: the pair (0-based) it is in, what is wrong, and the
/// field's path in the JSON form (`pairs[2].turns[0].speaker`).
struct Problem {
    pair: Option<usize>,
    what: String,
    path: String,
}

/// A [`ParseError`] together with the file it came from; displays as `path:line: message`.
#[derive(Debug, thiserror::Error)]
pub struct FileError {
    /// The file that could not be read or parsed.
    pub path: PathBuf,
    /// What went wrong.
    pub error: ParseError,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.error.message),
            None => write!(f, "{}: {}", self.path.display(), self.error.message),
        }
    }
}

/// A note about input that was accepted but looks suspicious (unknown front-matter key, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number.
    pub line: usize,
    /// What looked wrong.
    pub message: String,
}

/// What a file yielded: its interviews (several for JSONL), each with the line it started on.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// Interviews in file order, with the 1-based line each starts on.
    pub interviews: Vec<(usize, Interview)>,
    /// Things worth telling the curator that did not stop the load.
    pub warnings: Vec<Warning>,
    /// The text encoding that was detected.
    pub encoding: decode::Encoding,
}

/// The kinds of file qabot reads, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Transcript text (`.txt`, `.md`, `.markdown`, `.text`).
    Text,
    /// One interview as a JSON object (`.json`).
    Json,
    /// One interview per line (`.jsonl`, `.ndjson`).
    JsonLines,
}

impl Format {
    /// The format for a path, or `None` when the extension is not one qabot reads.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "txt" | "md" | "markdown" | "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// Decode and parse the bytes of a file in the given format. A transcript without headline or
/// front-matter title gets `fallback_title` (the loader passes the file name).
pub fn parse_bytes(bytes: &[u8], format: Format, fallback_title: &str) -> Result<ParsedFile, ParseError> {
    parse_bytes_with(bytes, format, fallback_title, &ParseOptions::default())
}

/// [`parse_bytes`] with the curator's [`ParseOptions`] (transcript text only).
pub fn parse_bytes_with(
    bytes: &[u8],
    format: Format,
    fallback_title: &str,
    options: &ParseOptions,
) -> Result<ParsedFile, ParseError> {
    let (content, encoding) = decode::decode(bytes)?;
    let (mut interviews, warnings) = match format {
        Format::Text => {
            let mut parsed = text::parse_with(&content, options)?;
            if parsed.interview.title.is_empty() {
                parsed.interview.title = fallback_title.to_owned();
            }
            (vec![(1, parsed.interview)], parsed.warnings)
        }
        Format::Json => (vec![(1, json::parse_one(&content)?)], Vec::new()),
        Format::JsonLines => (json::parse_lines(&content)?, Vec::new()),
    };
    // Cleaning can empty a field (a title made of escape codes), so validation comes after it.
    for (line, interview) in &mut interviews {
        interview.clean();
        let at_line = |e: ParseError| match (format, e.line) {
            (Format::JsonLines, None) => ParseError::at(*line, e.message),
            _ => e,
        };
        interview.validate().map_err(at_line)?;
    }
    Ok(ParsedFile { interviews, warnings, encoding })
}

/// Read and parse one file; the format comes from its extension. Files over
/// [`file::DEFAULT_MAX_FILE_SIZE`] and anything but regular files are refused.
pub fn read_file(path: &Path) -> Result<ParsedFile, FileError> {
    read_file_with(path, &ParseOptions::default(), file::DEFAULT_MAX_FILE_SIZE)
}

/// [`read_file`] with the curator's [`ParseOptions`] and another size limit, in bytes.
pub fn read_file_with(path: &Path, options: &ParseOptions, max_size: u64) -> Result<ParsedFile, FileError> {
    let fail = |error| FileError { path: path.to_path_buf(), error };
    let format = Format::of(path).ok_or_else(|| {
        fail(ParseError::whole("unknown file type: expected .txt or .md (transcript), .json or .jsonl"))
    })?;
    let bytes = file::read_limited(path, max_size).map_err(|e| fail(ParseError::whole(e.0)))?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    parse_bytes_with(&bytes, format, &stem, options).map_err(fail)
}

impl Interview {
    /// Every distinct speaker name used in answer turns, in order of first appearance.
    pub fn turn_speakers(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for turn in self.pairs.iter().flat_map(|p| &p.turns) {
            if !names.contains(&turn.speaker.as_str()) {
                names.push(&turn.speaker);
            }
        }
        names
    }

    /// Check the invariants every interview must satisfy before it is stored.
    pub fn validate(&self) -> Result<(), ParseError> {
        self.problem().map_or(Ok(()), |problem| Err(self.error_of(&problem)))
    }

    /// [`Interview::validate`] for an interview read from JSON: the message also names the field
    /// (`pairs[2].turns[0].speaker`), since a pair's line in a pretty-printed file is not the
    /// line of the field at fault.
    pub fn validate_json(&self) -> Result<(), ParseError> {
        let Some(problem) = self.problem() else { return Ok(()) };
        let error = self.error_of(&problem);
        Err(ParseError { message: format!("{} (at `{}`)", error.message, problem.path), ..error })
    }

    /// A problem said at its pair's line, or by the pair's number when it has none.
    fn error_of(&self, problem: &Problem) -> ParseError {
        let Some(i) = problem.pair else { return ParseError::whole(problem.what.clone()) };
        match self.pairs[i].line {
            Some(line) => ParseError::at(line, problem.what.clone()),
            None => ParseError::whole(format!("pair {}: {}", i + 1, problem.what)),
        }
    }

    /// The first invariant this interview breaks.
    fn problem(&self) -> Option<Problem> {
        let whole = |what: &str, path: &str| Some(Problem { pair: None, what: what.to_owned(), path: path.to_owned() });
        if self.title.trim().is_empty() {
            return whole("the interview has no title", "title");
        }
        if self.pairs.is_empty() {
            return whole("no question/answer pairs found", "pairs");
        }
        for (i, pair) in self.pairs.iter().enumerate() {
            let at =
                |what: String, path: String| Some(Problem { pair: Some(i), what, path: format!("pairs[{i}]{path}") });
            if pair.question.trim().is_empty() {
                return at("the question is empty".into(), ".question".into());
            }
            if pair.turns.is_empty() {
                return at("the question has no answer".into(), ".turns".into());
            }
            for (j, turn) in pair.turns.iter().enumerate() {
                if turn.speaker.trim().is_empty() {
                    return at("an answer turn has no speaker".into(), format!(".turns[{j}].speaker"));
                }
                if turn.text.trim().is_empty() {
                    return at(format!("the answer turn of {} is empty", turn.speaker), format!(".turns[{j}].text"));
                }
            }
        }
        None
    }
}
