//! Splitting normalised text into index terms.
//!
//! Chinese has no spaces, so Han text is indexed as overlapping character bigrams (`算力限制` →
//! `算力 力限 限制`); a lone Han character is indexed as itself. Everything else is words:
//! `gpt-6` gives `gpt6`, `gpt` and `6`, so `GPT-6`, `GPT6` and `GPT 6` meet; decimals stay whole
//! (`1.4`). Common English function words are not indexed.

use super::normalize::is_han;

/// A stretch of normalised text of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run<'a> {
    /// Consecutive Han characters.
    Han(&'a str),
    /// A Latin (or other non-Han) word or number, possibly with inner `-` or `.`.
    Word(&'a str),
}

/// English words too common to index or to count as content.
pub const ENGLISH_STOPWORDS: &[&str] = &[
    "a",
    "about",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "been",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "me",
    "my",
    "of",
    "on",
    "or",
    "our",
    "she",
    "so",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "should",
    "shall",
    "any",
    "there's",
    "what's",
    "tell",
    "please",
    "much",
    "many",
    "us",
    "also",
    "just",
    "really",
    "still",
    "very",
    "more",
    "most",
    "some",
    "other",
    "such",
    "own",
    "same",
    "too",
    "only",
    "not",
    "no",
    "yes",
    "all",
    "each",
    "being",
    "doing",
    "done",
    "get",
    "gets",
    "got",
    "go",
    "goes",
    "going",
    "make",
    "makes",
    "made",
    "want",
    "wants",
    "know",
    "knows",
    "like",
    "say",
    "says",
    "said",
    "think",
    "thinks",
    "thought",
    "feel",
    "feels",
    "mean",
    "means",
    "see",
    "talk",
    "talks",
    "view",
    "views",
    "opinion",
    "opinions",
    "comment",
    "comments",
    "explain",
    "describe",
    "happen",
    "happens",
    "happened",
    "way",
    "thing",
    "things",
    "anything",
    "something",
    "lot",
    "kind",
];

/// Whether a (normalised) word is an English function word.
pub fn is_stopword(word: &str) -> bool {
    ENGLISH_STOPWORDS.contains(&word)
}

/// Split normalised text into Han runs and words.
pub fn runs(text: &str) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut current: Option<(usize, bool)> = None; // (start, is Han)
    for (i, c) in text.char_indices() {
        let kind = if is_han(c) {
            Some(true)
        } else if c.is_alphanumeric() || ((c == '-' || c == '.') && matches!(current, Some((_, false)))) {
            Some(false)
        } else {
            None
        };
        if let Some((start, han)) = current {
            if kind == Some(han) {
                continue;
            }
            push_run(&mut out, &text[start..i], han);
        }
        current = kind.map(|k| (i, k));
    }
    if let Some((start, han)) = current {
        push_run(&mut out, &text[start..], han);
    }
    out
}

fn push_run<'a>(out: &mut Vec<Run<'a>>, run: &'a str, han: bool) {
    if han {
        out.push(Run::Han(run));
    } else {
        let word = run.trim_matches(['-', '.']);
        if !word.is_empty() {
            out.push(Run::Word(word));
        }
    }
}

/// The index terms of one word: the word without hyphens, plus its parts when it has several
/// (split at hyphens and letter/digit boundaries). Stopwords give nothing.
pub fn word_terms(word: &str, sink: &mut impl FnMut(&str)) {
    if is_stopword(word) {
        return;
    }
    let joined: String = word.chars().filter(|&c| c != '-').collect();
    let parts = word_parts(word);
    sink(&joined);
    if parts.len() > 1 {
        for part in parts {
            if part.len() >= 2 || part.chars().all(|c| c.is_ascii_digit()) {
                sink(part);
            }
        }
    }
}

fn word_parts(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for piece in word.split('-').filter(|p| !p.is_empty()) {
        let mut start = 0;
        let mut prev_digit: Option<bool> = None;
        for (i, c) in piece.char_indices() {
            let digit = c.is_ascii_digit() || c == '.';
            if prev_digit.is_some_and(|p| p != digit) {
                parts.push(&piece[start..i]);
                start = i;
            }
            prev_digit = Some(digit);
        }
        parts.push(&piece[start..]);
    }
    parts
}

/// Call `sink` with every index term of a normalised text, repeats included.
pub fn terms(text: &str, mut sink: impl FnMut(&str)) {
    for run in runs(text) {
        match run {
            Run::Han(han) => han_terms(han, &mut sink),
            Run::Word(word) => word_terms(word, &mut sink),
        }
    }
}

/// Bigrams of a Han run, or the character itself when the run has one.
pub fn han_terms(run: &str, sink: &mut impl FnMut(&str)) {
    let bounds: Vec<usize> = run.char_indices().map(|(i, _)| i).chain(std::iter::once(run.len())).collect();
    match bounds.len() {
        0 | 1 => {}
        2 => sink(run),
        _ => bounds.windows(3).for_each(|w| sink(&run[w[0]..w[2]])),
    }
}

/// The index terms of a text, collected (repeats included).
pub fn term_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    terms(text, |t| out.push(t.to_owned()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_bigrams_and_single_characters() {
        assert_eq!(term_list("算力限制"), ["算力", "力限", "限制"]);
        assert_eq!(term_list("钱"), ["钱"]);
        assert_eq!(term_list("电力 芯片"), ["电力", "芯片"]);
    }

    #[test]
    fn mixed_chinese_and_latin() {
        assert_eq!(term_list("openai员工"), ["openai", "员工"]);
        assert_eq!(term_list("1.4万亿美元"), ["1.4", "万亿", "亿美", "美元"]);
    }

    #[test]
    fn hyphenated_and_alphanumeric_words() {
        assert_eq!(term_list("gpt-6"), ["gpt6", "gpt", "6"]);
        assert_eq!(term_list("gpt6"), ["gpt6", "gpt", "6"]);
        assert_eq!(term_list("m365 e5"), ["m365", "365", "e5", "5"]);
    }

    #[test]
    fn english_stopwords_are_skipped() {
        assert_eq!(term_list("did microsoft lose money on openai"), ["microsoft", "lose", "money", "openai"]);
    }

    #[test]
    fn runs_split_by_kind() {
        assert_eq!(runs("gpt-6在azure上"), [Run::Word("gpt-6"), Run::Han("在"), Run::Word("azure"), Run::Han("上")]);
    }
}
