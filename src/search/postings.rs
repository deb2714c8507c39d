//! The inverted index's data: which pairs contain a term, and how strongly.
//!
//! A posting list (`postings.data` in the database) is a byte string of entries in ascending pair
//! id order. Each entry is the id's distance from the previous one as a LEB128 varint, then one
//! impact byte: high nibble = weight of the term in the question (and alternates), low nibble =
//! weight in the answer, each 0–15. Weights are BM25 term-frequency saturation computed at index
//! time against fixed reference lengths, so a list never needs rewriting when the corpus grows.
//! Speaker terms (`@<id>`) carry answer weight 15.

use rustc_hash::FxHashMap;

use super::normalize::{is_han, normalize};
use super::tokenize::terms;

/// Version of the index format: tokenisation, normalisation, impact rules and the key layout
/// below. Bump it when any of them changes; databases indexed with another version are
/// re-indexed on open.
pub const INDEX_VERSION: &str = "2";

/// BM25 term-frequency saturation constant.
const K1: f64 = 1.2;
/// BM25 length normalisation strength.
const B: f64 = 0.5;
/// Reference lengths (in terms) of a question and of an answer.
const QUESTION_REF_LEN: f64 = 30.0;
const ANSWER_REF_LEN: f64 = 300.0;

/// The term used to index (and query) a speaker.
pub fn speaker_term(speaker_id: i64) -> String {
    format!("@{speaker_id}")
}

/// The text of a pair that is indexed.
#[derive(Debug, Clone, Default)]
pub struct PairText {
    /// The question.
    pub question: String,
    /// Extra phrasings of the question.
    pub alternates: Vec<String>,
    /// Answer turns: (speaker id, text).
    pub turns: Vec<(i64, String)>,
    /// Intro notes linked to the pair; indexed like answer text.
    pub notes: Vec<String>,
    /// The title of the pair's interview (empty when unknown): what all of its pairs are about.
    /// Read when ranking, never indexed (see `rank::Fields`).
    pub title: String,
}

/// A term as a number. Chinese terms of one or two characters, nine in ten of all terms, are
/// packed into the number itself, so counting and indexing them needs no string table; other
/// terms get an id from an [`Interner`], marked by the top bit (see [`word_id`]).
pub type TermKey = u64;

/// Set in keys of interned (non-Chinese) terms.
const WORD_BIT: TermKey = 1 << 63;

/// The interned id inside the key of a non-Chinese term; `None` for a packed Chinese term.
pub fn word_id(key: TermKey) -> Option<u32> {
    (key & WORD_BIT != 0).then_some((key & !WORD_BIT) as u32)
}

/// The packed key of a one- or two-character Chinese term.
pub fn pack_han(term: &str) -> Option<TermKey> {
    let mut chars = term.chars();
    let first = chars.next().filter(|&c| is_han(c))?;
    let second = match chars.next() {
        Some(c) if is_han(c) => u64::from(c),
        Some(_) => return None,
        None => 0,
    };
    chars.next().is_none().then_some((u64::from(first) << 21) | second)
}

/// The term a key stands for, given the interned terms by id.
pub fn key_term(key: TermKey, words: &[Box<str>]) -> String {
    key_chars(key, words).collect()
}

/// The characters of the term a key stands for, without building it: keys compare in the order
/// of their terms by comparing these (character order is UTF-8 byte order).
pub fn key_chars(key: TermKey, words: &[Box<str>]) -> impl Iterator<Item = char> + '_ {
    let (word, han) = match word_id(key) {
        Some(id) => (&*words[id as usize], [0, 0]),
        None => ("", [key >> 21, key & 0x1F_FFFF]),
    };
    word.chars().chain(han.into_iter().filter(|&c| c != 0).filter_map(|c| char::from_u32(c as u32)))
}

/// Turns non-Chinese terms into dense ids (see [`TermKey`]).
pub trait Interner {
    /// The id of `term`, assigned on first sight.
    fn id(&mut self, term: &str) -> u32;

    /// The key of any term.
    fn key(&mut self, term: &str) -> TermKey {
        pack_han(term).unwrap_or_else(|| WORD_BIT | u64::from(self.id(term)))
    }
}

/// A plain in-memory interner that also remembers the terms.
#[derive(Debug, Default)]
pub struct LocalTerms {
    ids: FxHashMap<Box<str>, u32>,
    /// Terms by id.
    pub terms: Vec<Box<str>>,
}

impl Interner for LocalTerms {
    fn id(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.terms.push(term.into());
        self.ids.insert(term.into(), id);
        id
    }
}

/// A pair's terms counted per field (question with alternates; answer with linked notes).
#[derive(Debug, Default)]
pub struct TermCounts {
    counts: FxHashMap<TermKey, (u32, u32)>,
    question_len: u32,
    answer_len: u32,
    speakers: Vec<TermKey>,
}

impl TermCounts {
    /// Count the terms of a pair's question, alternates and answer turns (and any notes it
    /// already carries), and note its speakers.
    pub fn of(pair: &PairText, interner: &mut impl Interner) -> TermCounts {
        let questions = std::iter::once(pair.question.as_str()).chain(pair.alternates.iter().map(String::as_str));
        let turns = pair.turns.iter().map(|(speaker, text)| (*speaker, text.as_str()));
        let mut counts = TermCounts::of_parts(questions, turns, interner);
        for note in &pair.notes {
            counts.add(&normalize(note), false, interner);
        }
        counts
    }

    /// [`TermCounts::of`] a pair given in parts (the question and its alternates; the answer's
    /// turns), without notes: for text that is not held in a [`PairText`].
    pub fn of_parts<'t>(
        questions: impl Iterator<Item = &'t str>,
        turns: impl Iterator<Item = (i64, &'t str)> + Clone,
        interner: &mut impl Interner,
    ) -> TermCounts {
        let mut counts = TermCounts::default();
        for text in questions {
            counts.add(&normalize(text), true, interner);
        }
        for (_, text) in turns.clone() {
            counts.add(&normalize(text), false, interner);
        }
        for (speaker, _) in turns {
            let key = interner.key(&speaker_term(speaker));
            if !counts.speakers.contains(&key) {
                counts.speakers.push(key);
            }
        }
        counts
    }

    /// Count the terms of already-normalised text into the question or the answer field.
    pub fn add(&mut self, normalized: &str, question: bool, interner: &mut impl Interner) {
        // Room for about a term per character of Chinese, so the table does not grow in steps.
        self.counts.reserve(normalized.len() / 3);
        terms(normalized, |t| {
            let entry = self.counts.entry(interner.key(t)).or_default();
            if question {
                entry.0 += 1;
                self.question_len += 1;
            } else {
                entry.1 += 1;
                self.answer_len += 1;
            }
        });
    }

    /// Keys of the distinct terms of the text (speakers aside).
    pub fn keys(&self) -> impl Iterator<Item = TermKey> + '_ {
        self.counts.keys().copied()
    }

    /// Whether the pair has the term (speakers aside).
    pub fn contains(&self, key: TermKey) -> bool {
        self.counts.contains_key(&key)
    }

    /// Each distinct term with its impact byte (see the module docs), speakers included.
    pub fn impacts(&self) -> Vec<(TermKey, u8)> {
        // Sized exactly: a batch's lists are the largest part of a load's memory but for the
        // postings themselves.
        let mut out: Vec<(TermKey, u8)> = Vec::with_capacity(self.counts.len() + self.speakers.len());
        out.extend(self.counts.iter().map(|(&key, &(q, a))| {
            let q = level(q, self.question_len, QUESTION_REF_LEN);
            let a = level(a, self.answer_len, ANSWER_REF_LEN);
            (key, (q << 4) | a)
        }));
        out.extend(self.speakers.iter().map(|&key| (key, 0x0F)));
        out
    }
}

/// Distinct index terms of a pair with their impact bytes, sorted by term.
pub fn pair_terms(pair: &PairText) -> Vec<(String, u8)> {
    let mut local = LocalTerms::default();
    let counts = TermCounts::of(pair, &mut local);
    let mut out: Vec<(String, u8)> =
        counts.impacts().into_iter().map(|(key, impact)| (key_term(key, &local.terms), impact)).collect();
    out.sort_unstable();
    out
}

/// BM25 saturation of `tf` in a field of `len` terms, scaled to 1–15 (0 when absent).
fn level(tf: u32, len: u32, reference: f64) -> u8 {
    if tf == 0 {
        return 0;
    }
    let tf = f64::from(tf);
    let norm = 1.0 - B + B * f64::from(len.max(1)) / reference;
    let saturation = tf * (K1 + 1.0) / (tf + K1 * norm) / (K1 + 1.0);
    (saturation * 15.0).ceil().clamp(1.0, 15.0) as u8
}

/// Question and answer weights (each 0–1) of an impact byte.
pub fn impact_weights(impact: u8) -> (f64, f64) {
    (f64::from(impact >> 4) / 15.0, f64::from(impact & 0x0F) / 15.0)
}

/// Append an entry to an encoded list whose last id is `last` (0 for an empty list).
pub fn push_entry(list: &mut Vec<u8>, last: u32, id: u32, impact: u8) {
    let (bytes, len) = entry_bytes(last, id, impact);
    list.extend_from_slice(&bytes[..len]);
}

/// The bytes [`push_entry`] appends, and how many there are (at most six).
pub fn entry_bytes(last: u32, id: u32, impact: u8) -> ([u8; 6], usize) {
    debug_assert!(id > last || (last == 0 && id == 0), "ids must ascend");
    let (mut bytes, mut len) = ([0u8; 6], 0);
    let mut delta = id - last;
    loop {
        let byte = (delta & 0x7F) as u8;
        delta >>= 7;
        if delta == 0 {
            bytes[len] = byte;
            len += 1;
            break;
        }
        bytes[len] = byte | 0x80;
        len += 1;
    }
    bytes[len] = impact;
    (bytes, len + 1)
}

/// Encode `(pair id, impact)` entries given in ascending id order.
pub fn encode(entries: &[(u32, u8)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 3);
    let mut last = 0;
    for &(id, impact) in entries {
        push_entry(&mut out, last, id, impact);
        last = id;
    }
    out
}

/// Call `f(pair id, impact)` for each entry of an encoded list. Stops quietly at a truncated
/// entry (a damaged list loses its tail, not the query).
pub fn decode(data: &[u8], mut f: impl FnMut(u32, u8)) {
    let mut id = 0u32;
    let mut i = 0;
    while i < data.len() {
        let mut delta = 0u32;
        let mut shift = 0;
        loop {
            let Some(&byte) = data.get(i) else { return };
            i += 1;
            delta |= u32::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 28 {
                return;
            }
        }
        let Some(&impact) = data.get(i) else { return };
        i += 1;
        id = id.wrapping_add(delta);
        f(id, impact);
    }
}

/// Decode a whole list into a vector.
pub fn decode_all(data: &[u8]) -> Vec<(u32, u8)> {
    let mut out = Vec::with_capacity(data.len() / 2);
    decode(data, |id, impact| out.push((id, impact)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let entries = vec![(1, 0xF0), (2, 0x01), (300, 0x12), (70_000, 0xFF), (4_000_000_000, 0x0F)];
        assert_eq!(decode_all(&encode(&entries)), entries);
    }

    #[test]
    fn truncated_lists_lose_only_their_tail() {
        let data = encode(&[(5, 1), (600, 2)]);
        assert_eq!(decode_all(&data[..data.len() - 1]), vec![(5, 1)]);
    }

    #[test]
    fn question_terms_weigh_in_the_high_nibble() {
        let pair = PairText {
            question: "算力够吗".into(),
            alternates: vec![],
            turns: vec![(3, "算力不够,电力也不够。".into())],
            ..PairText::default()
        };
        let terms: std::collections::HashMap<String, u8> = pair_terms(&pair).into_iter().collect();
        assert!(terms["算力"] >> 4 > 0 && terms["算力"] & 0x0F > 0);
        assert_eq!(terms["电力"] >> 4, 0);
        assert_eq!(terms["@3"], 0x0F);
    }

    #[test]
    fn keys_round_trip() {
        let mut local = LocalTerms::default();
        for term in ["算力", "钱", "gpt6", "@12", "1.4"] {
            let key = local.key(term);
            assert_eq!(key_term(key, &local.terms), term);
            assert_eq!(key & WORD_BIT != 0, !term.starts_with(is_han));
        }
    }

    /// Keys sort by their characters exactly as their terms sort as strings (segments are
    /// written in term order without spelling every term out).
    #[test]
    fn keys_compare_in_term_order() {
        let mut local = LocalTerms::default();
        let terms = ["算力", "算", "钱", "gpt6", "@12", "1.4", "a", "ab", "b", "\u{4e00}", "\u{4e00}\u{4e01}", "z算"];
        let mut keys: Vec<TermKey> = terms.iter().map(|t| local.key(t)).collect();
        keys.sort_unstable_by(|a, b| key_chars(*a, &local.terms).cmp(key_chars(*b, &local.terms)));
        let by_key: Vec<String> = keys.iter().map(|&k| key_term(k, &local.terms)).collect();
        let mut by_string: Vec<String> = terms.iter().map(|t| t.to_string()).collect();
        by_string.sort_unstable();
        assert_eq!(by_key, by_string);
    }

    #[test]
    fn repeated_terms_saturate() {
        assert!(level(1, 30, 30.0) < level(3, 30, 30.0));
        assert!(level(3, 30, 30.0) <= 15);
        assert!(level(1, 3000, 300.0) < level(1, 30, 300.0));
    }
}
