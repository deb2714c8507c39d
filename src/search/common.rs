//! Everyday Chinese words (`data/common_words.txt`), to tell general vocabulary from specific terms.
//!
//! Missing an everyday word (时候, 导致, 公司) says little: paraphrases swap such words freely.
//! Missing a specific one (比特币, 英伟达) says the question is about something else. Characters of
//! a question that fall inside an everyday word therefore weigh less when coverage is computed.

/// Longest word in the list, in characters.
const MAX_LEN: usize = 4;

pub use crate::text::is_common;

/// [`is_common`] for a run of characters, without allocating.
fn is_common_chars(chars: &[char]) -> bool {
    if chars.len() > MAX_LEN {
        return false;
    }
    let mut buf = [0u8; 4 * MAX_LEN];
    let mut len = 0;
    for c in chars {
        len += c.encode_utf8(&mut buf[len..]).len();
    }
    std::str::from_utf8(&buf[..len]).is_ok_and(is_common)
}

/// For each character of a Han run, the index of the word it belongs to: everyday words found by
/// forward maximum matching over the list form one word each, any other character is a word of
/// its own.
pub fn segments(run: &[char]) -> Vec<u32> {
    let mut ids = vec![0; run.len()];
    let mut i = 0;
    let mut word = 0;
    while i < run.len() {
        let len = (2..=MAX_LEN.min(run.len() - i)).rev().find(|&n| is_common_chars(&run[i..i + n])).unwrap_or(1);
        ids[i..i + len].iter_mut().for_each(|id| *id = word);
        word += 1;
        i += len;
    }
    ids
}

/// For each character of a Han run, whether it belongs to an everyday word.
pub fn common_chars(run: &[char]) -> Vec<bool> {
    let ids = segments(run);
    (0..run.len()).map(|i| (i > 0 && ids[i - 1] == ids[i]) || ids.get(i + 1) == Some(&ids[i])).collect()
}

/// Whether the characters at `i` and `i + 1` of `chars` belong to different words: maximum
/// matching over the everyday-word list, forwards and backwards alike, puts them in different
/// words, at least one of them inside a longer word (`年会` in `三年会否`, where `三年` is a word).
/// Such a pair is a junk bigram there, not the word it spells elsewhere. When the two readings
/// disagree (`少有机构`: `少|有机|构` or `少有|机构`?) or no everyday word is around (names,
/// terms), nothing is known and the pair is not called split.
pub fn splits_pair(chars: &[char], i: usize) -> bool {
    let split = |ids: &[u32]| {
        let alone = |k: usize| (k == 0 || ids[k - 1] != ids[k]) && ids.get(k + 1) != Some(&ids[k]);
        ids[i] != ids[i + 1] && !(alone(i) && alone(i + 1))
    };
    split(&segments(chars)) && split(&segments_backward(chars))
}

/// Like [`segments`], matching from the end of the run backwards.
fn segments_backward(run: &[char]) -> Vec<u32> {
    let mut ids = vec![0; run.len()];
    let mut end = run.len();
    let mut word = u32::try_from(run.len()).unwrap_or(u32::MAX);
    while end > 0 {
        let len = (2..=MAX_LEN.min(end)).rev().find(|&n| is_common_chars(&run[end - n..end])).unwrap_or(1);
        ids[end - len..end].iter_mut().for_each(|id| *id = word);
        word -= 1;
        end -= len;
    }
    ids
}

/// Whether the Han pair `pair` occurs in `text` as a unit at least once, not only split across
/// two words (see [`splits_pair`]).
pub fn occurs_unsplit(text: &str, pair: &str) -> bool {
    // `contains` first: most pairs are absent from most texts, and it says so without building
    // the searcher `match_indices` needs (a measurable share of a question's time).
    if !text.contains(pair) {
        return false;
    }
    text.match_indices(pair).any(|(start, _)| {
        let mut window = [' '; 2 * MAX_LEN];
        let mut i = 0;
        for c in text[..start].chars().rev().take(MAX_LEN - 1) {
            i += 1;
            window[MAX_LEN - 1 - i] = c;
        }
        let mut end = MAX_LEN - 1;
        for c in text[start..].chars().take(2 + MAX_LEN - 1) {
            window[end] = c;
            end += 1;
        }
        let window = &window[MAX_LEN - 1 - i..end];
        // Split needs an everyday word holding one character but not the other: one that ends
        // at the first or starts at the second. Usually there is none.
        let ends_at_first = (2..=MAX_LEN.min(i + 1)).any(|n| is_common_chars(&window[i + 1 - n..=i]));
        let starts_at_second =
            (2..=MAX_LEN.min(window.len() - i - 1)).any(|n| is_common_chars(&window[i + 1..i + 1 + n]));
        !(ends_at_first || starts_at_second) || !splits_pair(window, i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_words_are_marked() {
        let run: Vec<char> = "英伟达今年卖".chars().collect();
        assert_eq!(common_chars(&run), [false, false, false, true, true, false]);
        assert_eq!(segments(&run), [0, 1, 2, 3, 3, 4]);
        assert!(is_common("时候"));
        assert!(!is_common("比特币"));
    }

    #[test]
    fn pairs_split_by_everyday_words() {
        let chars: Vec<char> = "两三年会否出现".chars().collect();
        assert!(splits_pair(&chars, 2), "三年 | 会");
        let chars: Vec<char> = "公司年会".chars().collect();
        assert!(splits_pair(&chars, 1), "公司 | 年");
        assert!(!splits_pair(&chars, 2), "nothing known about 年会 here");
        let chars: Vec<char> = "年轻人".chars().collect();
        assert!(!splits_pair(&chars, 1), "轻人 inside 年轻人");
        assert!(!occurs_unsplit("未来两三年会否出现", "年会"));
        assert!(occurs_unsplit("公司的年会在周五", "年会"));
        assert!(occurs_unsplit("两三年会否 | 年会", "年会"));
    }
}
