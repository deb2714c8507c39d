//! Linking an interview's intro notes to the pairs they summarise.
//!
//! Articles often open with a summary of the conversation ("1.4万亿美元支出计划:针对外界对…的质疑,
//! 奥特曼表现出…"). Such a paragraph says, in other words, what one pair is about, so it is indexed
//! with that pair as extra answer-level text: questions phrased like the summary find the pair. A
//! note is linked only when one pair clearly shares more rare vocabulary with it than any other.

use rustc_hash::{FxHashMap, FxHashSet};

use super::normalize::normalize;
use super::postings::{Interner, LocalTerms, PairText, TermCounts, TermKey};
use super::tokenize::terms;

/// A note must share at least this much idf-weighted vocabulary with its pair…
const MIN_SCORE: f64 = 6.0;
/// …and this many times more than with the runner-up pair,
const MIN_LEAD: f64 = 1.5;
/// or two pairs both share at least this fraction of the best score while the third shares less
/// than [`THIRD_SHARE`].
const PAIR_SHARE: f64 = 0.65;
const THIRD_SHARE: f64 = 0.6;

/// The distinct term keys of a normalised text.
pub fn term_keys(normalized: &str, interner: &mut impl Interner) -> FxHashSet<TermKey> {
    let mut set = FxHashSet::default();
    terms(normalized, |t| {
        set.insert(interner.key(t));
    });
    set
}

/// For each note (as its distinct term ids), the indexes of the pairs (by their terms) it summarises:
/// one pair that clearly stands out, two that stand out together (a note often sums up two
/// related exchanges), or none.
pub fn link_terms(notes: &[FxHashSet<TermKey>], pairs: &[TermCounts]) -> Vec<Vec<usize>> {
    if notes.is_empty() {
        return Vec::new();
    }
    let mut df: FxHashMap<TermKey, usize> = FxHashMap::default();
    for set in pairs {
        for t in set.keys() {
            *df.entry(t).or_default() += 1;
        }
    }
    let n = pairs.len() as f64;
    notes
        .iter()
        .map(|note| {
            let mut scores: Vec<(usize, f64)> = pairs
                .iter()
                .enumerate()
                .map(|(i, set)| {
                    let score = note.iter().filter(|t| set.contains(**t)).map(|t| (1.0 + n / df[t] as f64).ln()).sum();
                    (i, score)
                })
                .collect();
            scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let score = |i: usize| scores.get(i).map_or(0.0, |s| s.1);
            let best = score(0);
            if best < MIN_SCORE {
                Vec::new()
            } else if score(1) * MIN_LEAD < best {
                vec![scores[0].0]
            } else if score(1) >= PAIR_SHARE * best && score(2) < THIRD_SHARE * best {
                vec![scores[0].0, scores[1].0]
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// [`link_terms`] for texts: notes as written, pairs as stored.
pub fn link(notes: &[String], pairs: &[PairText]) -> Vec<Vec<usize>> {
    let mut local = LocalTerms::default();
    let pair_terms: Vec<TermCounts> = pairs.iter().map(|p| TermCounts::of(p, &mut local)).collect();
    let note_sets: Vec<FxHashSet<TermKey>> = notes.iter().map(|n| term_keys(&normalize(n), &mut local)).collect();
    link_terms(&note_sets, &pair_terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(q: &str, a: &str) -> PairText {
        PairText { question: q.into(), alternates: vec![], turns: vec![(1, a.into())], ..PairText::default() }
    }

    #[test]
    fn a_summary_links_to_its_pair_and_vague_notes_to_none() {
        let pairs = vec![
            pair("算力限制多严重?", "最大问题是电力,芯片供应不是问题,缺乏温壳接入电源。"),
            pair("员工平均年龄?", "三十出头,生育趋势上升。"),
            pair("搜索业务利润?", "搜索有固定成本,聊天经济效益不同,免费增值与订阅。"),
        ];
        let notes = vec![
            "算力瓶颈的实质:当前最主要的限制已非芯片供应,而是电力资源,无法为它们供电。".to_string(),
            "这一变革标志着新阶段。".to_string(),
        ];
        assert_eq!(link(&notes, &pairs), vec![vec![0], vec![]]);
    }
}
