//! Turning the bytes of a file into text.
//!
//! Transcripts arrive from many places: UTF-8 (with or without a byte-order mark), UTF-16 from
//! Windows tools, and GB18030/GBK from older Chinese software. Detection order: byte-order mark,
//! then strict UTF-8, then BOM-less UTF-16 (many NUL bytes), then GB18030 when the result reads
//! as Chinese and the bytes are not UTF-8 with a few corrupt bytes. Anything else (Latin-1,
//! Windows-1252, broken UTF-8) is an error at the first byte that is not UTF-8. Line ends are
//! normalised to `\n`.

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};

use super::ParseError;
use crate::text::is_han;

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without byte-order mark.
    Utf8,
    /// UTF-8 with byte-order mark.
    Utf8Bom,
    /// UTF-16 little endian.
    Utf16Le,
    /// UTF-16 big endian.
    Utf16Be,
    /// GB18030 (a superset of GBK and GB2312).
    Gb18030,
}

impl Encoding {
    /// Conventional name of the encoding.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Gb18030 => "GB18030",
        }
    }
}

/// Decode `bytes` to text with `\n` line ends, or explain why it is not text.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), ParseError> {
    let (text, encoding) = decode_raw(bytes)?;
    if let Some(pos) = text.find('\0') {
        return Err(ParseError::at(
            line_of(&text, pos),
            "the file contains NUL bytes: it looks binary, not like a transcript",
        ));
    }
    Ok((normalise_line_ends(&text), encoding))
}

fn decode_raw(bytes: &[u8]) -> Result<(String, Encoding), ParseError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return strict_utf8(rest).map(|t| (t, Encoding::Utf8Bom));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, Encoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, Encoding::Utf16Be);
    }
    if let Some(encoding) = bomless_utf16(bytes).or_else(|| chinese_utf16(bytes)) {
        return utf16(bytes, encoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), Encoding::Utf8));
    }
    if let Some(text) = GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        if !mostly_utf8(bytes) && reads_as_chinese(&text) {
            return Ok((text.into_owned(), Encoding::Gb18030));
        }
    }
    // Report the UTF-8 problem: it is the encoding the curator most likely meant.
    strict_utf8(bytes).map(|t| (t, Encoding::Utf8))
}

fn strict_utf8(bytes: &[u8]) -> Result<String, ParseError> {
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| {
        let valid = e.valid_up_to();
        let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
        ParseError::at(
            line,
            format!(
                "not valid text: byte 0x{:02X} is not UTF-8, and the file is not UTF-16 or \
                 GB18030/GBK either; re-save it as UTF-8",
                bytes[valid]
            ),
        )
    })
}

fn utf16(bytes: &[u8], encoding: Encoding) -> Result<(String, Encoding), ParseError> {
    let codec = if encoding == Encoding::Utf16Le { UTF_16LE } else { UTF_16BE };
    match codec.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok((text.into_owned(), encoding)),
        None => Err(ParseError::whole(format!(
            "the file starts like {} but is not valid {} (odd length or broken surrogate pair)",
            encoding.name(),
            encoding.name()
        ))),
    }
}

/// UTF-16 without a byte-order mark shows up as a NUL in every other byte for ASCII text.
fn bomless_utf16(bytes: &[u8]) -> Option<Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let pairs = bytes.len() / 2;
    let even_nuls = bytes.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nuls = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nuls * 10 >= pairs * 3 && even_nuls * 10 < pairs {
        Some(Encoding::Utf16Le)
    } else if even_nuls * 10 >= pairs * 3 && odd_nuls * 10 < pairs {
        Some(Encoding::Utf16Be)
    } else {
        None
    }
}

/// Chinese UTF-16 without a byte-order mark has few NUL bytes (Han characters have none), so the
/// share test above misses it; but UTF-8 and GB18030 text has no NUL at all. With any NUL, try
/// both byte orders and keep the one that decodes strictly and reads as Chinese.
fn chinese_utf16(bytes: &[u8]) -> Option<Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) || !bytes.contains(&0) {
        return None;
    }
    [(UTF_16LE, Encoding::Utf16Le), (UTF_16BE, Encoding::Utf16Be)].into_iter().find_map(|(codec, encoding)| {
        let text = codec.decode_without_bom_handling_and_without_replacement(bytes)?;
        (!text.contains('\0') && reads_as_chinese(&text)).then_some(encoding)
    })
}

/// UTF-8 with a few corrupt bytes, rather than text in another encoding: valid multi-byte
/// characters far outnumber broken sequences. (GBK text read as UTF-8 is mostly broken.)
fn mostly_utf8(bytes: &[u8]) -> bool {
    let mut valid = 0usize;
    let mut invalid = 0usize;
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    valid >= invalid * 4
}

/// GB18030 can decode most byte soup, Latin-1 and Windows-1252 text included (`é` followed by a
/// letter is a valid GBK pair). Accept it only when the result reads as Chinese: the non-ASCII
/// text is mostly Han characters and CJK punctuation, and Chinese makes up a real share of the
/// text or it uses Chinese punctuation, as any Chinese prose does.
fn reads_as_chinese(text: &str) -> bool {
    let mut non_ascii = 0usize;
    let mut chinese = 0usize;
    let mut punctuation = 0usize;
    let mut visible = 0usize;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        visible += 1;
        if c.is_ascii() {
            continue;
        }
        non_ascii += 1;
        if is_han(c) {
            chinese += 1;
        } else if ('\u{3000}'..='\u{303F}').contains(&c) || ('\u{FF00}'..='\u{FFEF}').contains(&c) {
            chinese += 1;
            punctuation += 1;
        }
    }
    non_ascii > 0 && chinese * 10 >= non_ascii * 8 && (punctuation > 0 || chinese * 5 >= visible)
}

fn normalise_line_ends(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    }
}

fn line_of(text: &str, byte_pos: usize) -> usize {
    1 + text[..byte_pos].matches('\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("问:你好\r\n".as_bytes()).unwrap(), ("问:你好\n".into(), Encoding::Utf8));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("答:好\r".as_bytes());
        assert_eq!(decode(&bom).unwrap(), ("答:好\n".into(), Encoding::Utf8Bom));
    }

    #[test]
    fn utf16_with_bom_and_without() {
        let text = "山姆·奥特曼:是的。\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap().1, Encoding::Utf16Le);
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(&be).unwrap().0, "山姆·奥特曼:是的。\n");
        let bare: Vec<u8> = "Q: hello?\nA: hi.\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(decode(&bare).unwrap(), ("Q: hello?\nA: hi.\n".into(), Encoding::Utf16Le));
    }

    #[test]
    fn chinese_utf16_without_bom_is_detected() {
        let text = "标题:测试访谈\n\n问:电池还能便宜多少?\n\n答:每年大约一成。\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&le).unwrap(), (text.to_owned(), Encoding::Utf16Le));
        assert_eq!(decode(&be).unwrap(), (text.to_owned(), Encoding::Utf16Be));
    }

    #[test]
    fn gbk_is_detected() {
        let (bytes, _, _) = GB18030.encode("微软为什么投资 OpenAI?\n纳德拉:因为算力。\n");
        let (text, encoding) = decode(&bytes).unwrap();
        assert_eq!(encoding, Encoding::Gb18030);
        assert!(text.starts_with("微软为什么投资"));
    }

    #[test]
    fn garbage_is_an_error_with_a_line() {
        let err = decode(b"first line\nsecond \xFF\xFE\xFF line\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("0xFF"), "{}", err.message);
    }

    #[test]
    fn latin1_is_not_mistaken_for_gbk() {
        // `Café Müller` in Windows-1252: `é M` is not GBK, but `ü` + `l` is a valid GBK pair.
        let err = decode(b"Title\n\nQ: Caf\xe9 M\xfcller?\nA: Oui.\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("0xE9") && err.message.contains("UTF-8"), "{}", err.message);
        let err = decode(b"M\xfcller und S\xf6hne\n").unwrap_err();
        assert_eq!(err.line, Some(1), "{}", err.message);
    }

    #[test]
    fn binary_is_rejected() {
        let err = decode(b"abc\n\0\0\0\x01").unwrap_err();
        assert!(err.message.contains("binary"));
    }
}
