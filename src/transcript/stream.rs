//! Reading a JSONL file one interview at a time, so that memory does not grow with the file.
//!
//! UTF-8 files (with or without BOM) are streamed line by line. Files in another encoding
//! (UTF-16, GB18030), which are rare for JSONL, are decoded whole first, as [`super::read_file`]
//! does.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{decode, json, FileError, Interview, ParseError};

/// How much of a file is looked at to choose between streaming and decoding it whole.
const SNIFF: usize = 64 * 1024;

/// The interviews of a JSONL file, each with the 1-based line it is on, read lazily. An error
/// ends the iteration; a file without any interview yields one error.
pub struct JsonLines {
    inner: Inner,
    path: std::path::PathBuf,
    yielded: usize,
    done: bool,
}

enum Inner {
    Stream { reader: BufReader<File>, line_no: usize, buf: Vec<u8> },
    Whole(std::vec::IntoIter<(usize, Interview)>),
}

impl JsonLines {
    /// Open a JSONL file for reading.
    pub fn open(path: &Path) -> Result<JsonLines, FileError> {
        let fail = |error| FileError { path: path.to_path_buf(), error };
        let cannot_read = |e: std::io::Error| fail(ParseError::whole(format!("cannot read: {e}")));
        let mut file = File::open(path).map_err(cannot_read)?;
        let mut head = Vec::with_capacity(SNIFF);
        (&mut file).take(SNIFF as u64).read_to_end(&mut head).map_err(cannot_read)?;
        let inner = if streams(&head) {
            file.seek(SeekFrom::Start(0)).map_err(cannot_read)?;
            Inner::Stream { reader: BufReader::with_capacity(256 * 1024, file), line_no: 0, buf: Vec::new() }
        } else {
            let mut bytes = head;
            file.read_to_end(&mut bytes).map_err(cannot_read)?;
            let (content, _) = decode::decode(&bytes).map_err(fail)?;
            drop(bytes);
            Inner::Whole(json::parse_lines(&content).map_err(fail)?.into_iter())
        };
        Ok(JsonLines { inner, path: path.to_path_buf(), yielded: 0, done: false })
    }

    fn next_line(&mut self) -> Result<Option<(usize, Interview)>, ParseError> {
        let (reader, line_no, buf) = match &mut self.inner {
            Inner::Whole(items) => return Ok(items.next()),
            Inner::Stream { reader, line_no, buf } => (reader, line_no, buf),
        };
        loop {
            buf.clear();
            // One line is never longer than a whole file may be: a huge file without line ends
            // (a sparse file, a stray binary) must not be read into memory.
            let limit = super::file::DEFAULT_MAX_FILE_SIZE;
            let read = (&mut *reader)
                .take(limit + 1)
                .read_until(b'\n', buf)
                .map_err(|e| ParseError::at(*line_no + 1, format!("cannot read: {e}")))?;
            if read == 0 {
                return Ok(None);
            }
            if read as u64 > limit {
                return Err(ParseError::at(*line_no + 1, "a line longer than 64 MB: this does not look like JSONL"));
            }
            *line_no += 1;
            let bytes = if *line_no == 1 { buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf) } else { &buf[..] };
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                // A line in another encoding: decoding it alone says what is wrong, or reads it.
                Err(_) => {
                    let (text, _) = decode::decode(bytes).map_err(|e| ParseError::at(*line_no, e.message))?;
                    std::borrow::Cow::Owned(text)
                }
            };
            if text.contains('\0') {
                return Err(ParseError::at(*line_no, "the file contains NUL bytes: it looks binary, not like JSONL"));
            }
            let text = text.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            return json::parse_line(text, *line_no).map(|iv| Some((*line_no, iv)));
        }
    }
}

impl Iterator for JsonLines {
    type Item = Result<(usize, Interview), FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.next_line() {
            Ok(Some(item)) => Ok(item),
            Ok(None) if self.yielded > 0 => {
                self.done = true;
                return None;
            }
            Ok(None) => Err(ParseError::whole("the JSONL file holds no interviews")),
            Err(e) => Err(e),
        };
        self.done = item.is_err();
        self.yielded += 1;
        Some(item.map_err(|error| FileError { path: self.path.clone(), error }))
    }
}

/// Whether a file starting with `head` can be read line by line as UTF-8: it is UTF-8 (a
/// character cut by the end of `head` aside) and not UTF-16.
fn streams(head: &[u8]) -> bool {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return false;
    }
    // UTF-16 without BOM has NUL bytes in ASCII text; UTF-8 JSON has none.
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"title":"T","pairs":[{"question":"Q?","turns":[{"speaker":"甲","text":"答。"}]}]}"#;

    fn write(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn streams_lines_with_their_numbers_and_stops_at_the_first_error() {
        let text = format!("\u{FEFF}{LINE}\r\n\n{LINE}\n{{\"title\": 1}}\n{LINE}\n");
        let (_dir, path) = write(text.as_bytes());
        let items: Vec<_> = JsonLines::open(&path).unwrap().collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].as_ref().unwrap().0, 1);
        assert_eq!(items[1].as_ref().unwrap().0, 3);
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.error.line, Some(4), "{err}");
    }

    #[test]
    fn utf16_files_are_read_whole() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in format!("{LINE}\n{LINE}\n").encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (_dir, path) = write(&bytes);
        let items: Vec<_> = JsonLines::open(&path).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn an_empty_file_is_one_error() {
        let (_dir, path) = write(b"\n\n");
        let items: Vec<_> = JsonLines::open(&path).unwrap().collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].as_ref().unwrap_err().to_string().contains("holds no interviews"));
    }
}
