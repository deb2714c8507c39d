//! Reading an input file safely: regular files only, never more than a size limit.
//!
//! A load is pointed at folders it did not make, so what looks like `notes.txt` may be a named
//! pipe (reading would wait forever), a link to `/dev/zero` (endless), or a sparse file claiming
//! gigabytes. The file is opened without blocking, checked to be a regular file on the open
//! handle (no race with a swap after a check by name), its size checked before reading, and the
//! reading itself stops at the limit in case the file grows meanwhile.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The default largest file `load` reads: far above any real transcript, far below memory.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Refuse anything at `path` that is not a regular file (a named pipe, a device, a socket), before
/// it is opened for streaming.
pub fn check_regular(path: &Path) -> Result<(), ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| ReadError(format!("cannot read: {e}")))?;
    if !meta.file_type().is_file() {
        return Err(ReadError(format!("not a regular file ({}): only regular files are read", kind(&meta))));
    }
    Ok(())
}

/// The bytes of the regular file at `path`, refused when larger than `max` bytes.
pub fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_nonblocking(path).map_err(|e| ReadError(format!("cannot read: {e}")))?;
    let meta = file.metadata().map_err(|e| ReadError(format!("cannot read: {e}")))?;
    if !meta.file_type().is_file() {
        return Err(ReadError(format!("not a regular file ({}): only regular files are read", kind(&meta))));
    }
    if meta.len() > max {
        return Err(too_large(meta.len(), max));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| ReadError(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64, max));
    }
    Ok(bytes)
}

fn too_large(size: u64, max: u64) -> ReadError {
    ReadError(format!(
        "the file is {}, larger than the limit of {}; --max-file-size raises the limit",
        human(size),
        human(max)
    ))
}

/// A size for people: bytes, KB, MB or GB (powers of 1024).
fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Parse a size such as `64M`, `512k`, `2G` or a number of bytes (for `--max-file-size`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, factor) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let factor = match c.to_ascii_lowercase() {
                'k' => 1024,
                'm' => 1024 * 1024,
                'g' => 1024 * 1024 * 1024,
                _ => return Err(format!("unknown unit {c:?}: use a number of bytes or K, M, G")),
            };
            (&text[..i], factor)
        }
        _ => (text, 1),
    };
    let n: u64 =
        digits.trim().parse().map_err(|_| format!("expected a size such as 64M, 512K or 1000000, not {text:?}"))?;
    n.checked_mul(factor).filter(|n| *n > 0).ok_or_else(|| "expected a size above 0".to_owned())
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Without O_NONBLOCK, opening a FIFO waits for a writer, before any check could run.
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(unix)]
fn kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a named pipe"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("64M"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err() && parse_size("5X").is_err() && parse_size("-1").is_err());
        assert_eq!(human(64 * 1024 * 1024), "64 MB");
        assert_eq!(human(1536), "1.5 KB");
        assert_eq!(human(10), "10 bytes");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_one_at_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_limited(&path, 10).unwrap().len(), 10);
        let e = read_limited(&path, 9).unwrap_err().0;
        assert!(e.contains("larger than the limit of 9 bytes") && e.contains("--max-file-size"), "{e}");
    }
}
