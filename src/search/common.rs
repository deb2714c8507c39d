//! Everyday Chinese words (`data/common_words.txt`), to tell general vocabulary from specific terms.
//!
//! Missing an everyday word (时候, 导致, 公司) says little: paraphrases swap such words freely.
//! Missing a specific one (比特币, 英伟达) says the question is about something else. Characters of
//! a question that fall inside an everyday word therefore weigh less when coverage is computed.

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("../../data/common_words.txt");
/// Longest word in the list, in characters.
const MAX_LEN: usize = 4;

fn words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| LIST.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect())
}

/// Whether `word` is an everyday word.
pub fn is_common(word: &str) -> bool {
    words().contains(word)
}

/// For each character of a Han run, the index of the word it belongs to: everyday words found by
/// forward maximum matching over the list form one word each, any other character is a word of
/// its own.
pub fn segments(run: &[char]) -> Vec<u32> {
    let mut ids = vec![0; run.len()];
    let mut i = 0;
    let mut word = 0;
    while i < run.len() {
        let len = (2..=MAX_LEN.min(run.len() - i))
            .rev()
            .find(|&n| is_common(&run[i..i + n].iter().collect::<String>()))
            .unwrap_or(1);
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
}
