//! The inverted index's data: which pairs contain a term, and how strongly.
//!
//! A posting list (`postings.data` in the database) is a byte string of entries in ascending pair
//! id order. Each entry is the id's distance from the previous one as a LEB128 varint, then one
//! impact byte: high nibble = weight of the term in the question (and alternates), low nibble =
//! weight in the answer, each 0–15. Weights are BM25 term-frequency saturation computed at index
//! time against fixed reference lengths, so a list never needs rewriting when the corpus grows.
//! Speaker terms (`@<id>`) carry answer weight 15.

use std::collections::HashMap;

use super::normalize::normalize;
use super::tokenize::terms;

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
}

/// Distinct index terms of a pair with their impact bytes.
pub fn pair_terms(pair: &PairText) -> Vec<(String, u8)> {
    let mut question: HashMap<String, u32> = HashMap::new();
    let mut q_len = 0u32;
    for text in std::iter::once(&pair.question).chain(&pair.alternates) {
        terms(&normalize(text), |t| {
            *question.entry(t.to_owned()).or_default() += 1;
            q_len += 1;
        });
    }
    let mut answer: HashMap<String, u32> = HashMap::new();
    let mut a_len = 0u32;
    for text in pair.turns.iter().map(|(_, t)| t).chain(&pair.notes) {
        terms(&normalize(text), |t| {
            *answer.entry(t.to_owned()).or_default() += 1;
            a_len += 1;
        });
    }
    let mut out: Vec<(String, u8)> = Vec::with_capacity(question.len() + answer.len());
    for (term, &tf) in &question {
        let a = answer.get(term).map_or(0, |&tf_a| level(tf_a, a_len, ANSWER_REF_LEN));
        out.push((term.clone(), (level(tf, q_len, QUESTION_REF_LEN) << 4) | a));
    }
    for (term, &tf) in &answer {
        if !question.contains_key(term) {
            out.push((term.clone(), level(tf, a_len, ANSWER_REF_LEN)));
        }
    }
    for (speaker, _) in &pair.turns {
        let term = speaker_term(*speaker);
        if !out.iter().any(|(t, _)| t == &term) {
            out.push((term, 0x0F));
        }
    }
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
    debug_assert!(id > last || (last == 0 && id == 0), "ids must ascend");
    let mut delta = id - last;
    loop {
        let byte = (delta & 0x7F) as u8;
        delta >>= 7;
        if delta == 0 {
            list.push(byte);
            break;
        }
        list.push(byte | 0x80);
    }
    list.push(impact);
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
            notes: vec![],
        };
        let terms: HashMap<String, u8> = pair_terms(&pair).into_iter().collect();
        assert!(terms["算力"] >> 4 > 0 && terms["算力"] & 0x0F > 0);
        assert_eq!(terms["电力"] >> 4, 0);
        assert_eq!(terms["@3"], 0x0F);
    }

    #[test]
    fn repeated_terms_saturate() {
        assert!(level(1, 30, 30.0) < level(3, 30, 30.0));
        assert!(level(3, 30, 30.0) <= 15);
        assert!(level(1, 3000, 300.0) < level(1, 30, 300.0));
    }
}
