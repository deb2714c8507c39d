//! Text normalisation, applied identically to stored text (when indexing) and to questions.
//!
//! Steps, in order:
//! 1. Unicode NFKC: full-width letters, digits and punctuation become ASCII (`OpenAI?` → `OpenAI?`).
//! 2. Traditional → simplified Chinese (OpenCC tables via `zhconv`): `微軟為什麼` → `微软为什么`.
//! 3. Lower case.
//! 4. Punctuation and symbols become spaces, except `.` inside numbers (`1.4`) and `-` inside
//!    words (`gpt-6`); name dots (`山姆·奥特曼`) are removed; whitespace collapses to one space.
//! 5. Chinese numerals where unambiguous: `二〇二六` → `2026`, `三十` → `30`, `二十八` → `28`.

use unicode_normalization::UnicodeNormalization;
use zhconv::{zhconv, Variant};

pub use crate::text::is_han;

/// Normalise text for matching. See the module docs for the steps.
pub fn normalize(text: &str) -> String {
    let simplified = fold_script(text);
    let folded = fold_punctuation(&lowercase(&simplified));
    let numbers = convert_numerals(folded);
    if numbers.bytes().any(|b| b == b's') {
        numbers.split(' ').map(singular).collect::<Vec<_>>().join(" ")
    } else {
        numbers
    }
}

/// Steps 1 and 2 alone (NFKC, traditional → simplified): script variants of a text become one,
/// while case and punctuation stay. This is also what the embedding model is given.
pub fn fold_script(text: &str) -> String {
    // Most stored text is already in NFKC form but for its full-width punctuation (`，`). Only
    // the runs between ideographs are checked (the ideographs are their own form, and looking
    // each up cost a tenth of a load), and only those that fail the quick check are composed.
    // ASCII is its own NFKC form, and nothing in another run composes with it.
    let nfkc = map_between_han(text, |run| match run.is_ascii() || is_nfkc(run) {
        true => None,
        false => Some(run.nfkc().collect()),
    });
    if nfkc.chars().any(is_han) {
        zhconv(&nfkc, Variant::ZhHans)
    } else {
        nfkc
    }
}

fn is_nfkc(text: &str) -> bool {
    unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
}

/// Whether `c` is a CJK unified ideograph of the basic block or extension A, the bulk of Chinese
/// text. NFKC and lower-casing leave each alone, and none combines with a neighbour (in Unicode's
/// terms, they are "stable" code points: a starter that nothing composes with), so a text can be
/// normalised run by run between them with the same result as whole (tested below).
fn is_stable_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// `text` with each maximal run of characters other than stable ideographs replaced by `f(run)`
/// (`None`: unchanged); the ideographs are copied as they are.
fn map_between_han(text: &str, mut f: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let (other, tail) = rest.split_at(rest.find(is_stable_han).unwrap_or(rest.len()));
        if !other.is_empty() {
            out.push_str(f(other).as_deref().unwrap_or(other));
        }
        let (han, tail) = tail.split_at(tail.find(|c| !is_stable_han(c)).unwrap_or(tail.len()));
        out.push_str(han);
        rest = tail;
    }
    out
}

/// `str::to_lowercase` without looking each ideograph up in the case tables. The final-sigma
/// rule reads neighbouring letters, but an ideograph is neither cased nor case-ignorable, so it
/// ends that context exactly as the end of a run does.
fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    map_between_han(text, |run| Some(run.to_lowercase()))
}

/// English words that end in `s` without being plurals (words under four letters are left alone).
const NOT_PLURAL: &[&str] = &[
    "saas",
    "paas",
    "iaas",
    "news",
    "series",
    "species",
    "analysis",
    "basis",
    "thesis",
    "crisis",
    "bias",
    "alias",
    "always",
    "perhaps",
    "whereas",
    "plus",
    "chaos",
    "canvas",
    "atlas",
    "windows",
    "kubernetes",
    "status",
    "campus",
    "virus",
    "bonus",
    "focus",
    "consensus",
    "census",
    "corpus",
    "radius",
    "genius",
    "process",
    "business",
    "access",
    "success",
    "across",
    "unless",
    "less",
    "express",
    "address",
    "class",
    "mass",
    "boss",
    "loss",
    "gross",
    "press",
    "chess",
    "glass",
    "grass",
    "stress",
    "progress",
    "congress",
    "physics",
    "economics",
    "ethics",
    "politics",
    "mathematics",
    "statistics",
    "analytics",
    "robotics",
    "electronics",
    "logistics",
    "semantics",
    "linguistics",
    "versus",
    "thus",
    "minus",
    "bus",
    "gas",
    "yes",
    "does",
    "towards",
    "besides",
];

/// Fold a regular English plural to its singular (`agents` → `agent`, `companies` → `company`), so
/// questions and stored text meet whatever number they use. Other tokens pass through.
fn singular(word: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let plain = word.len() >= 4 && word.bytes().all(|b| b.is_ascii_lowercase());
    let not_plural = ["ss", "ous", "is"].iter().any(|end| word.ends_with(end)) || NOT_PLURAL.contains(&word);
    if !plain || !word.ends_with('s') || not_plural {
        return Cow::Borrowed(word);
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return Cow::Owned(format!("{stem}y"));
    }
    for suffix in ["ches", "shes", "xes", "sses"] {
        if word.ends_with(suffix) {
            return Cow::Borrowed(&word[..word.len() - 2]);
        }
    }
    Cow::Borrowed(&word[..word.len() - 1])
}

/// Punctuation to spaces (with the exceptions in the module docs), whitespace collapsed.
fn fold_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut skip_s = false;
    // A window over the characters: the one before, this one, the two after (a space beyond
    // either end, as the rules below read it).
    let mut ahead = text.chars();
    let (mut prev, mut this, mut next, mut after) = (' ', ahead.next(), ahead.next(), ahead.next());
    while let Some(c) = this {
        let next_c = next.unwrap_or(' ');
        let keep = if (c == '\'' || c == '\u{2019}') && next_c == 's' && !after.is_some_and(char::is_alphanumeric) {
            skip_s = true; // possessive: microsoft's → microsoft
            None
        } else if std::mem::take(&mut skip_s) {
            None
        } else if is_stable_han(c) || c.is_alphanumeric() {
            Some(true)
        } else if c == '.' {
            Some(prev.is_ascii_digit() && next_c.is_ascii_digit())
        } else if c == '-' {
            Some(is_word_char(prev) && is_word_char(next_c))
        } else if is_name_dot(c) {
            None // 山姆·奥特曼 → 山姆奥特曼
        } else {
            Some(false)
        };
        match keep {
            Some(true) => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
            Some(false) => pending_space = true,
            None => {}
        }
        (prev, this, next, after) = (c, next, after, ahead.next());
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

fn is_name_dot(c: char) -> bool {
    matches!(c, '\u{00B7}' | '\u{2022}' | '\u{30FB}' | '\u{2027}' | '\u{2219}' | '\u{FF65}')
}

const DIGITS: &str = "〇零一二三四五六七八九";

fn digit_value(c: char) -> Option<u64> {
    match c {
        '〇' | '零' => Some(0),
        '两' => Some(2),
        _ => DIGITS.chars().position(|d| d == c).map(|p| p.saturating_sub(1) as u64),
    }
}

fn unit_value(c: char) -> Option<u64> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

/// Replace runs of Chinese numerals that read unambiguously as numbers.
///
/// A run converts when it spells digits one by one and is long enough not to be a word
/// (`二〇二六`, `一九九五`), or uses 十/百/千 with digits (`三十`, `十五`, `一百二十`). Single
/// characters (`一定`, `十分`) and 万/亿 (which Arabic numbers keep: `130亿`) are left alone.
fn convert_numerals(text: String) -> String {
    // Most texts convert nothing (a lone 一 in 一个 is no number): they are returned as they
    // came, and a copy is only made at the first run that converts.
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !is_numeral(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(at, c)) = chars.peek().filter(|(_, c)| is_numeral(*c)) {
            end = at + c.len_utf8();
            chars.next();
        }
        if let Some(value) = numeral_value(&text[start..end]) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..start]);
            out.push_str(&value);
            copied = end;
        }
    }
    match out {
        None => text,
        Some(mut out) => {
            out.push_str(&text[copied..]);
            out
        }
    }
}

/// A Chinese digit or one of the units 十, 百, 千.
fn is_numeral(c: char) -> bool {
    matches!(c, '〇' | '零' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '两' | '十' | '百' | '千')
}

fn numeral_value(run: &str) -> Option<String> {
    run.chars().nth(1)?; // a single character is a word (一定, 十分), not a number
    let chars: Vec<char> = run.chars().collect();
    let has_unit = chars.iter().any(|&c| unit_value(c).is_some());
    if !has_unit {
        let has_zero = chars.iter().any(|&c| c == '〇' || c == '零');
        if chars.len() < 3 && !has_zero || chars.contains(&'两') {
            return None;
        }
        return Some(chars.iter().map(|&c| char::from(b'0' + digit_value(c).unwrap_or(0) as u8)).collect());
    }
    // Positional: digit unit digit unit … [digit]; 十 alone at the start means 10.
    let mut total = 0u64;
    let mut pending: Option<u64> = None;
    let mut last_unit = u64::MAX;
    for &c in &chars {
        if let Some(d) = digit_value(c) {
            if pending.is_some() && d != 0 {
                return None; // two digits in a row: 三五十 is not a number
            }
            pending = Some(d);
        } else if let Some(u) = unit_value(c) {
            if u >= last_unit {
                return None;
            }
            total += pending.take().unwrap_or(1) * u;
            last_unit = u;
        }
    }
    Some((total + pending.unwrap_or(0)).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case() {
        assert_eq!(normalize("\u{FF2F}\u{FF50}\u{FF45}\u{FF4E}ＡＩ\u{FF1F}"), "openai");
        assert_eq!(normalize("GPT-6 與 Azure,2032年"), "gpt-6 与 azure 2032年");
    }

    #[test]
    fn traditional_becomes_simplified() {
        assert_eq!(normalize("微軟當初為何押注OpenAI?"), "微软当初为何押注openai");
        assert_eq!(normalize("電力會不會不夠用?"), "电力会不会不够用");
    }

    #[test]
    fn punctuation_folds_but_numbers_and_words_survive() {
        assert_eq!(normalize("1.4万亿美元,“无状态 API”!"), "1.4万亿美元 无状态 api");
        assert_eq!(normalize("山姆·奥特曼:是的。"), "山姆奥特曼 是的");
        assert_eq!(normalize("  a\t\tb \n c "), "a b c");
        assert_eq!(normalize("-x- 1.a"), "x 1 a");
    }

    #[test]
    fn english_plurals_and_possessives_fold() {
        assert_eq!(normalize("Microsoft's AI agents"), "microsoft ai agent");
        assert_eq!(normalize("companies’ chips and SaaS businesses"), "company chip and saas business");
        assert_eq!(normalize("GPUs, losses, boxes, status, famous"), "gpu loss box status famous");
        // A function word is not a plural: `does` stays a stop word, not a `doe`.
        assert_eq!(normalize("What does it cost"), "what does it cost");
    }

    /// Pseudo-random strings over characters that exercise composition, case and script: CJK,
    /// Latin with combining marks, full-width forms, Hangul jamo, Greek sigma, compatibility
    /// ideographs, radicals, ligatures.
    fn mixed_strings() -> Vec<String> {
        const ALPHABET: &[char] = &[
            '微', '软', '一', '國', '\u{3400}', '\u{9FFF}', 'A', 'b', 'E', 'e', 'Σ', 'σ', 'ς', ' ', '.', '-', '，',
            '？', 'Ａ', 'ｂ', '\u{301}', '\u{308}', '\u{316}', '\u{1100}', '\u{1161}', '\u{11A8}', '가', '\u{F900}',
            '\u{2F00}', '〇', '·', '1', '①', 'ﬁ', 'İ', 'ß', 'Ω', '\u{212B}',
        ];
        let mut state = 11u64;
        (0..3000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let len = (state >> 40) as usize % 24;
                (0..len)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        ALPHABET[(state >> 33) as usize % ALPHABET.len()]
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn run_by_run_folding_equals_folding_the_whole_text() {
        for text in mixed_strings() {
            let whole: String = text.nfkc().collect();
            let whole = if whole.chars().any(is_han) { zhconv(&whole, Variant::ZhHans) } else { whole };
            assert_eq!(fold_script(&text), whole, "{text:?}");
            assert_eq!(lowercase(&text), text.to_lowercase(), "{text:?}");
        }
    }

    #[test]
    fn stable_ideographs_are_left_alone_by_nfkc_and_case() {
        for c in ('\u{3400}'..='\u{4DBF}').chain('\u{4E00}'..='\u{9FFF}') {
            let one = c.to_string();
            assert!(is_stable_han(c) && c.is_alphanumeric(), "{c:?}");
            assert_eq!(one.nfkc().collect::<String>(), one, "{c:?}");
            assert_eq!(one.to_lowercase(), one, "{c:?}");
        }
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(normalize("二〇二六年"), "2026年");
        assert_eq!(normalize("二零三二年"), "2032年");
        assert_eq!(normalize("三十出头"), "30出头");
        assert_eq!(normalize("二十八岁"), "28岁");
        assert_eq!(normalize("一百二十"), "120");
        assert_eq!(normalize("十五"), "15");
        // Words that merely contain numerals stay words.
        assert_eq!(normalize("一定 十分 之一 两三年 五六年"), "一定 十分 之一 两三年 五六年");
        assert_eq!(normalize("130亿"), "130亿");
        // Several runs in one text, text around and between them kept.
        assert_eq!(normalize("一九九五到二〇二六,一个三十年"), "1995到2026 一个30年");
    }

    /// The quick test for numerals names exactly the characters that have a value.
    #[test]
    fn numerals_are_the_characters_with_a_value() {
        for c in ('\u{3000}'..='\u{9FFF}').chain('0'..='9') {
            assert_eq!(is_numeral(c), digit_value(c).is_some() || unit_value(c).is_some(), "{c}");
        }
    }
}
