//! Small text helpers every layer may use: what counts as a Chinese character, the everyday-word
//! list, cutting text into sentences, and cutting text down for display. The bottom layer: it
//! depends on no other module, so `transcript/` and `search/` can share these without depending
//! on each other.

use std::sync::OnceLock;

use unicode_width::UnicodeWidthChar;

/// Whether `c` is a Han (Chinese) character: the unified ideographs with their extensions, the
/// compatibility ideographs and the ideographic zero `〇`.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2EBEF}' | '\u{F900}'..='\u{FAFF}' | '\u{3007}')
}

const COMMON_WORDS: &str = include_str!("../data/common_words.txt");

/// Whether `word` is an everyday Chinese word (`data/common_words.txt`, a general frequency list):
/// paraphrases swap such words freely, and a label made of one is not a name.
pub fn is_common(word: &str) -> bool {
    static WORDS: OnceLock<rustc_hash::FxHashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| COMMON_WORDS.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect()).contains(word)
}

/// `text` on one line (runs of whitespace become one space), cut to `max` characters with an
/// ellipsis when it is longer: how a question or title is quoted back.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` cut to `max` terminal columns (East Asian characters take two), with an ellipsis when
/// cut; `max` 0 means no limit. For tables, where the width on screen matters, not the count.
pub fn fit_width(text: &str, max: usize) -> String {
    if max == 0 || unicode_width::UnicodeWidthStr::width(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut width = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if width + w + 1 > max {
            break;
        }
        out.push(c);
        width += w;
    }
    out.push('…');
    out
}

/// Sentence ends: 。! ? ; in full width always, and in ASCII (with `.`) only before whitespace or
/// at the end of the paragraph, so "3.5", "openai.com" and "Yahoo!News" are not cut.
fn is_wide_end(c: char) -> bool {
    matches!(c, '。' | '\u{FF01}' | '\u{FF1F}' | '\u{FF0E}' | '\u{FF1B}' | '\u{FF61}')
}

fn is_ascii_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';')
}

/// Closing quotes and brackets, which belong to the sentence they close.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '\u{2019}'
            | '\u{201D}'
            | '\u{300D}'
            | '\u{300F}'
            | '\u{FF09}'
            | '\u{300B}'
            | '\u{3009}'
            | '\u{3011}'
            | '\u{3015}'
            | '\u{FF3D}'
            | '\u{FF02}'
            | '\u{FF07}'
    )
}

/// A paragraph as sentences (joined, they give it back): each ends after its end marks, the
/// closing quotes or brackets right after them, and any spaces.
pub fn sentences(para: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = para.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if !is_wide_end(c) && !is_ascii_end(c) {
            continue;
        }
        let mut wide = is_wide_end(c);
        while let Some(&(_, n)) = chars.peek() {
            if !(is_wide_end(n) || is_ascii_end(n) || is_closer(n)) {
                break;
            }
            wide |= is_wide_end(n);
            chars.next();
        }
        if !wide && chars.peek().is_some_and(|&(_, n)| !n.is_whitespace()) {
            continue;
        }
        while chars.peek().is_some_and(|&(_, n)| n.is_whitespace()) {
            chars.next();
        }
        let end = chars.peek().map_or(para.len(), |&(i, _)| i);
        out.push(&para[start..end]);
        start = end;
    }
    if start < para.len() {
        out.push(&para[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_covers_extensions_and_compatibility_forms() {
        for c in ['中', '㐀', '𠀀', '〇', '\u{F900}'] {
            assert!(is_han(c), "{c}");
        }
        for c in ['a', '。', '·', 'ア'] {
            assert!(!is_han(c), "{c}");
        }
    }

    #[test]
    fn shorten_counts_characters_and_keeps_one_line() {
        assert_eq!(shorten("短问题", 5), "短问题");
        assert_eq!(shorten("一二三四五六", 4), "一二三…");
        assert_eq!(shorten("a\n b", 10), "a b");
        assert_eq!(shorten(&"问".repeat(30_000), 200).chars().count(), 200);
    }

    #[test]
    fn fit_width_counts_columns() {
        assert_eq!(fit_width("一二三四五", 6), "一二…");
        assert_eq!(fit_width("abc", 6), "abc");
        assert_eq!(fit_width("abcdefgh", 0), "abcdefgh");
    }

    #[test]
    fn everyday_words() {
        assert!(is_common("时候"));
        assert!(!is_common("比特币"));
    }
}
