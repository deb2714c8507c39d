//! Synonyms and speaker aliases: the curated vocabulary the matcher consults.
//!
//! Both live in the database (tables `synonyms` and `speaker_aliases`), seeded from
//! `data/synonyms.txt` and `data/speakers.txt`; this module holds them in normalised form and finds
//! them in questions.

use std::collections::HashMap;
use std::ops::Range;

use super::normalize::{is_han, normalize};

/// A synonym group: normalised terms that stand for the same thing.
#[derive(Debug, Clone)]
pub struct SynonymGroup {
    /// Normalised members, longest first.
    pub terms: Vec<String>,
}

/// A vocabulary term found in a normalised question.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Byte range in the normalised question.
    pub range: Range<usize>,
    /// Index into [`Vocabulary::groups`] (synonyms) or the speaker id (aliases).
    pub id: i64,
}

/// Synonym groups and speaker aliases in normalised form.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// All synonym groups.
    pub groups: Vec<SynonymGroup>,
    /// (normalised term, group index), longest term first.
    synonym_terms: Vec<(String, usize)>,
    /// (normalised alias, speaker id), longest first.
    aliases: Vec<(String, i64)>,
}

impl Vocabulary {
    /// Build from raw rows: `(group id, term)` and `(speaker id, name or alias)`.
    pub fn new(synonyms: &[(i64, String)], aliases: &[(i64, String)]) -> Vocabulary {
        let mut by_group: HashMap<i64, Vec<String>> = HashMap::new();
        for (group, term) in synonyms {
            let norm = normalize(term);
            if !norm.is_empty() {
                let members = by_group.entry(*group).or_default();
                if !members.contains(&norm) {
                    members.push(norm);
                }
            }
        }
        let mut keys: Vec<i64> = by_group.keys().copied().collect();
        keys.sort_unstable();
        let mut vocab = Vocabulary::default();
        for key in keys {
            let mut terms = by_group.remove(&key).unwrap_or_default();
            if terms.len() < 2 {
                continue;
            }
            terms.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
            let index = vocab.groups.len();
            vocab.synonym_terms.extend(terms.iter().map(|t| (t.clone(), index)));
            vocab.groups.push(SynonymGroup { terms });
        }
        vocab.synonym_terms.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        let mut seen = std::collections::HashSet::new();
        for (speaker, alias) in aliases {
            let norm = normalize(alias);
            if !norm.is_empty() && seen.insert((norm.clone(), *speaker)) {
                vocab.aliases.push((norm, *speaker));
            }
        }
        vocab.aliases.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
        vocab
    }

    /// Speakers named in a normalised question (longest alias wins; no overlaps).
    pub fn find_speakers(&self, text: &str) -> Vec<Found> {
        find_all(text, self.aliases.iter().map(|(a, s)| (a.as_str(), *s)))
    }

    /// Synonym terms in a normalised question, skipping `taken` ranges (longest term wins).
    pub fn find_synonyms(&self, text: &str, taken: &[Range<usize>]) -> Vec<Found> {
        let mut found = find_all(text, self.synonym_terms.iter().map(|(t, g)| (t.as_str(), *g as i64)));
        found.retain(|f| !taken.iter().any(|t| overlaps(t, &f.range)));
        found
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Non-overlapping occurrences of `needles` (given longest first) in `text`. Latin needles match
/// whole words only, so `ai` does not match inside `said`.
fn find_all<'a>(text: &str, needles: impl Iterator<Item = (&'a str, i64)>) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for (needle, id) in needles {
        // Most names are absent: `contains` says so without building a searcher.
        if !text.contains(needle) {
            continue;
        }
        for (start, _) in text.match_indices(needle) {
            let range = start..start + needle.len();
            if is_whole(text, &range) && !found.iter().any(|f| overlaps(&f.range, &range)) {
                found.push(Found { range, id });
            }
        }
    }
    found.sort_by_key(|f| f.range.start);
    found
}

/// Whether a match at `range` is not part of a longer Latin word or number.
pub fn is_whole(text: &str, range: &Range<usize>) -> bool {
    let latin = |c: char| c.is_alphanumeric() && !is_han(c);
    let first = text[range.clone()].chars().next();
    let last = text[range.clone()].chars().next_back();
    let before = text[..range.start].chars().next_back();
    let after = text[range.end..].chars().next();
    let left_ok = !(first.is_some_and(latin) && before.is_some_and(latin));
    let right_ok = !(last.is_some_and(latin) && after.is_some_and(latin));
    left_ok && right_ok
}

/// Parse the curated synonym file: one group per line, terms separated by commas; `#` comments.
pub fn parse_synonym_file(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .map(|l| {
            l.split([',', '\u{FF0C}', '='])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|group| group.len() >= 2)
        .collect()
}

/// Parse the curated speaker file: `Canonical name: alias, alias` per line; `#` comments.
pub fn parse_speaker_file(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let (name, aliases) = l.split_once([':', '\u{FF1A}'])?;
            let aliases = aliases.split([',', '\u{FF0C}']).map(str::trim).filter(|a| !a.is_empty());
            Some((name.trim().to_owned(), aliases.map(String::from).collect()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        let synonyms = [
            (1, "算力".into()),
            (1, "计算资源".into()),
            (1, "compute".into()),
            (2, "AI".into()),
            (2, "人工智能".into()),
        ];
        let aliases = [(7, "山姆·奥特曼".into()), (7, "奥特曼".into()), (7, "Sam Altman".into()), (8, "纳德拉".into())];
        Vocabulary::new(&synonyms, &aliases)
    }

    #[test]
    fn speakers_are_found_by_any_alias() {
        let v = vocab();
        let text = normalize("Sam Altman和纳德拉怎么看?");
        let ids: Vec<i64> = v.find_speakers(&text).iter().map(|f| f.id).collect();
        assert_eq!(ids, [7, 8]);
        let text = normalize("山姆·奥特曼");
        assert_eq!(v.find_speakers(&text).len(), 1);
    }

    #[test]
    fn latin_terms_match_whole_words_only() {
        let v = vocab();
        assert!(v.find_synonyms("he said so", &[]).is_empty());
        assert_eq!(v.find_synonyms("ai的算力", &[]).len(), 2);
    }

    #[test]
    fn files_parse() {
        let groups = parse_synonym_file("# c\n算力, 计算资源, compute # x\n\n单独\n");
        assert_eq!(groups, vec![vec!["算力", "计算资源", "compute"]]);
        let speakers = parse_speaker_file("山姆·奥特曼: 奥特曼, Sam Altman\n");
        assert_eq!(speakers[0].1, vec!["奥特曼", "Sam Altman"]);
    }
}
