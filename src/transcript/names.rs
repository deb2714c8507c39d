//! People's names in running text: who an intro says is interviewed, and how to display a name
//! that a transcript writes in capitals.

pub(crate) use crate::text::is_han;

/// Words after which an intro names the interviewee (`专访林晓`, `An interview with Maria Chen`).
/// Latin cues are matched case-insensitively.
const CUES: &[&str] = &[
    "专访",
    "对话",
    "对谈",
    "访谈",
    "采访",
    "连线",
    "做客",
    "嘉宾",
    "受访者",
    "受访人",
    "interview with",
    "conversation with",
    "talks with",
    "talking with",
    "speaks with",
    "q&a with",
    "chat with",
    "talk to",
    "talks to",
    "talked to",
    "spoke to",
    "spoke with",
    "sat down with",
    "interview:",
];

/// Words after the interviewee's name (`产品负责人李明接受了群访`, `王强回答了…`,
/// `Jane Doe answered`).
const CUES_AFTER_NAME: &[&str] = &["接受", "回答", "做客", " answered", " answers", " took questions"];

/// Capitalised words that start a sentence before a name, not part of it.
const SENTENCE_STARTS: &[&str] = &[
    "afterwards",
    "after",
    "then",
    "today",
    "yesterday",
    "later",
    "here",
    "there",
    "the",
    "this",
    "that",
    "finally",
    "also",
    "meanwhile",
    "when",
    "before",
    "now",
    "in",
    "on",
    "at",
    "our",
    "we",
    "and",
    "but",
    "so",
    "here,",
];

/// Organisation words that stand before a name as titles do (`对话某公司王强`).
const ORGS_ZH: &[&str] = &["公司", "集团", "科技", "银行", "大学", "资本", "基金", "研究院", "实验室"];

/// Common Chinese surnames: a name inside a longer run of Han text starts with one of them.
const SURNAMES_ZH: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤楼雷";

/// Job titles that stand between an organisation and a name (`云帆科技创始人林晓`,
/// `OpenAI CEO Sam Altman`); the name is what follows the last of them.
const TITLES_ZH: &[&str] = &[
    "联合创始人",
    "创始人",
    "董事长",
    "副总裁",
    "总裁",
    "首席执行官",
    "首席技术官",
    "首席科学家",
    "总经理",
    "经理",
    "总监",
    "负责人",
    "院长",
    "所长",
    "校长",
    "教授",
    "研究员",
    "科学家",
    "工程师",
    "架构师",
    "设计师",
    "主席",
    "合伙人",
    "负责人",
    "主理人",
    "制作人",
    "导演",
    "作家",
    "主编",
    "记者",
    "专家",
    "学者",
    "医生",
    "博士",
    "部长",
    "市长",
];
const TITLES_EN: &[&str] = &[
    "ceo",
    "cto",
    "coo",
    "cfo",
    "founder",
    "co-founder",
    "cofounder",
    "president",
    "chairman",
    "chairwoman",
    "chair",
    "director",
    "chief",
    "head",
    "partner",
    "editor",
    "author",
];
/// Honorifics dropped from the front of a Latin name.
const HONORIFICS: &[&str] = &["dr", "mr", "mrs", "ms", "miss", "prof", "professor", "sir", "dame"];
/// Han words that follow a cue but are not names (`访谈实录`, `对话内容`).
const NOT_NAMES_ZH: &[&str] = &[
    "实录", "全文", "节选", "内容", "记录", "纪要", "节目", "现场", "视频", "音频", "文字", "环节", "嘉宾", "中", "时",
];
/// Verbs and polite suffixes that may follow a name directly (`林晓表示`, `林晓先生`).
const NAME_SUFFIXES_ZH: &[&str] = &["先生", "女士", "表示", "认为", "指出", "坦言", "透露", "谈", "说", "称", "时"];

/// Who the intro says is interviewed: the name after a cue, preferring the one the intro mentions
/// most often. `texts` are the paragraphs before the first question.
pub(crate) fn interviewee_in(texts: &[&str]) -> Option<String> {
    let mut candidates: Vec<String> = Vec::new();
    for text in texts {
        let lower = text.to_ascii_lowercase();
        for cue in CUES {
            for (pos, _) in lower.match_indices(cue) {
                if let Some(name) = name_after_cue(&text[pos + cue.len()..]) {
                    if !candidates.contains(&name) {
                        candidates.push(name);
                    }
                }
            }
        }
        for cue in CUES_AFTER_NAME {
            for (pos, _) in lower.match_indices(cue) {
                if let Some(name) = name_before_cue(&text[..pos]) {
                    if !candidates.contains(&name) {
                        candidates.push(name);
                    }
                }
            }
        }
    }
    if let Some(name) = texts.first().and_then(|headline| name_on_topic(headline)) {
        if !candidates.contains(&name) {
            candidates.push(name);
        }
    }
    let mentions = |name: &String| texts.iter().map(|t| t.matches(name.as_str()).count()).sum::<usize>();
    // `max_by_key` keeps the last of equals; iterate reversed so the first found wins ties.
    candidates.iter().rev().max_by_key(|n| mentions(n)).cloned()
}

/// A headline that starts with a name and says what the person talks about: `Sarah Kim on
/// writing her first novel`. Only a name that is the whole of what comes before ` on `.
fn name_on_topic(headline: &str) -> Option<String> {
    let (before, _) = headline.split_once(" on ")?;
    let words = before.split_whitespace().count();
    let name = latin_name(before)?;
    ((2..=4).contains(&words) && name == before.trim()).then_some(name)
}

/// Lower-case words that may stand between a cue and a name, describing the person
/// (`with novelist Sarah Kim`, `with urban farmer Carlos Mendez`); these end the search instead,
/// since what follows them is not the person (`with the founder of Acme`).
const NOT_DESCRIPTIONS: &[&str] =
    &["the", "a", "an", "of", "from", "at", "for", "about", "and", "my", "our", "his", "her"];

/// The name at the start of `text` (what follows a cue), if it looks like one.
fn name_after_cue(text: &str) -> Option<String> {
    let text = text.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(super::ascii_fold(c), ':' | '了' | '是' | '为' | '与' | '和')
    });
    let first = text.chars().next()?;
    if is_han(first) {
        han_name(&latin_titles_as_han(text))
    } else if first.is_ascii_uppercase() {
        latin_name(text)
    } else if first.is_ascii_lowercase() {
        // Up to three describing words before the name.
        let mut rest = text;
        for _ in 0..3 {
            let (word, after) = rest.split_once(' ')?;
            if NOT_DESCRIPTIONS.contains(&word) || !word.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                return None;
            }
            rest = after.trim_start();
            if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
                return latin_name(rest);
            }
        }
        None
    } else {
        None
    }
}

/// `星河公司CEO王强`: a Latin job title (`CEO`, `CTO`) inside Han text is a title like
/// `首席执行官`, so the name after it is found as after a Han one.
fn latin_titles_as_han(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if TITLES_EN.contains(&word.to_ascii_lowercase().as_str()) {
            out.push_str("负责人");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The name that ends `text` (what precedes a cue such as `接受`), if it looks like one.
fn name_before_cue(text: &str) -> Option<String> {
    let last = text.chars().next_back()?;
    if is_han(last) {
        let run: String = {
            let mut rev: Vec<char> = text.chars().rev().take_while(|&c| is_name_dot(c) || is_han(c)).collect();
            rev.reverse();
            rev.into_iter().collect()
        };
        return han_name(&run);
    }
    let words: Vec<&str> =
        text.split_whitespace().rev().take_while(|w| w.starts_with(|c: char| c.is_uppercase())).collect();
    let mut words: Vec<&str> = words.into_iter().rev().collect();
    // `Afterwards Jane Doe answered`: a capital that only starts the sentence.
    while words.len() > 1 && SENTENCE_STARTS.contains(&words[0].to_ascii_lowercase().as_str()) {
        words.remove(0);
    }
    (!words.is_empty() && !words.iter().any(|w| w.ends_with(['.', ',', ':'])))
        .then(|| words.join(" "))
        .and_then(|n| latin_name(&n))
}

/// A Han name inside a longer run of Han text: the last two or three characters, starting with
/// a common surname (`今天王强` → `王强`).
fn surname_tail(run: &str) -> Option<&str> {
    let chars: Vec<(usize, char)> = run.char_indices().collect();
    [3, 2].into_iter().filter(|&n| chars.len() > n).find_map(|n| {
        let (at, first) = chars[chars.len() - n];
        SURNAMES_ZH.contains(first).then(|| &run[at..])
    })
}

fn han_name(text: &str) -> Option<String> {
    let run: String = text.chars().take_while(|&c| is_name_dot(c) || is_han(c)).collect();
    let mut name = run.as_str();
    if let Some((pos, title)) =
        TITLES_ZH.iter().chain(ORGS_ZH).filter_map(|t| name.rfind(t).map(|p| (p, *t))).max_by_key(|&(p, t)| p + t.len())
    {
        name = &name[pos + title.len()..];
    } else if !name.contains(is_name_dot) {
        name = surname_tail(name).unwrap_or(name);
    }
    for suffix in NAME_SUFFIXES_ZH {
        if let Some(stripped) = name.strip_suffix(suffix) {
            if stripped.chars().count() >= 2 {
                name = stripped;
            }
        }
    }
    let chars = name.chars().count();
    let dotted = name.contains(is_name_dot);
    let plausible = if dotted { (3..=16).contains(&chars) } else { (2..=4).contains(&chars) };
    (plausible && !NOT_NAMES_ZH.contains(&name)).then(|| name.to_owned())
}

fn latin_name(text: &str) -> Option<String> {
    let mut words: Vec<&str> = Vec::new();
    for raw in text.split_whitespace().take(8) {
        let word = raw.trim_end_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_uppercase()) {
            break;
        }
        words.push(word);
        // `Dr.` continues a name; `Chen,` or `Chen:` ends it.
        let honorific = HONORIFICS.contains(&word.to_ascii_lowercase().as_str());
        if raw.len() != word.len() && !honorific {
            break;
        }
    }
    if let Some(last_title) = words.iter().rposition(|w| TITLES_EN.contains(&w.to_ascii_lowercase().as_str())) {
        words.drain(..=last_title);
    }
    while words.first().is_some_and(|w| HONORIFICS.contains(&w.to_ascii_lowercase().as_str())) {
        words.remove(0);
    }
    ((1..=4).contains(&words.len()) && words[0].len() >= 2).then(|| words.join(" "))
}

/// A nickname the intro gives `name`: `… Maria Lopez who is known to her crew as "ML."` → `ML`.
pub(crate) fn nickname_of(name: &str, texts: &[&str]) -> Option<String> {
    for text in texts {
        for (pos, _) in text.match_indices(name) {
            let after: String = text[pos + name.len()..].chars().take(120).collect();
            let Some(at) = after.find(" as \"").or_else(|| after.find(" as \u{201C}")) else { continue };
            let quoted = after[at + 4..].trim_start_matches(['"', '\u{201C}']);
            let end = quoted.find(['"', '\u{201D}'])?;
            let nick = quoted[..end].trim_end_matches(['.', ',']).trim();
            if (1..=12).contains(&nick.chars().count()) && nick.starts_with(char::is_uppercase) {
                return Some(nick.to_owned());
            }
        }
    }
    None
}

/// The name in another script that the intro writes in parentheses beside `name` (or beside a
/// longer name containing it): `陈静怡（Grace）` gives `Grace` the alias `陈静怡` and `陈静怡` the
/// alias `Grace`; `Mei Lin Tan (陈美玲)` gives `Mei Lin` the alias `陈美玲`.
pub(crate) fn other_script_name(name: &str, texts: &[&str]) -> Option<String> {
    bilingual_names(texts).into_iter().find_map(|(before, inside)| {
        if contains_name(&before, name) && is_han_name(&inside) != is_han_name(name) {
            Some(inside)
        } else if contains_name(&inside, name) && is_han_name(&before) != is_han_name(name) {
            Some(before)
        } else {
            None
        }
    })
}

/// Names followed by a name in another script in parentheses (`李宏玮（Jenny）`,
/// `Jenny Lee (李宏玮)`): (the name before, the name inside), in order of appearance.
fn bilingual_names(texts: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for text in texts {
        for (open, paren) in text.match_indices(['(', '\u{FF08}']) {
            let after = &text[open + paren.len()..];
            let Some(close) = after.find([')', '\u{FF09}']) else { continue };
            let inner = after[..close].split([',', '\u{FF0C}', '\u{3001}', ';', '\u{FF1B}']).next().unwrap_or("");
            let (Some(inside), Some(before)) = (name_alone(inner.trim()), name_ending(text[..open].trim_end())) else {
                continue;
            };
            if is_han_name(&before) != is_han_name(&inside) {
                out.push((before, inside));
            }
        }
    }
    out
}

/// `text` when it is a name and nothing else: Han (`陈美玲`) or capitalised Latin words
/// (`Grace`, `Jenny Lee`); not an acronym in capitals (`GGV`, `CEO`).
fn name_alone(text: &str) -> Option<String> {
    let name = match text.chars().next()? {
        c if is_han(c) => han_name(text)?,
        c if c.is_ascii_uppercase() && !is_all_caps(text) => latin_name(text)?,
        _ => return None,
    };
    (name == text).then_some(name)
}

/// The name that ends `text` (what stands before a parenthesis): the Han name at the end of a
/// run of Han text (`…合伙人李宏玮`), or the capitalised words at the end (`the designer Mei Lin
/// Tan`), titles and acronyms in capitals (`GGV Partner`) left out.
fn name_ending(text: &str) -> Option<String> {
    let last = text.chars().next_back()?;
    if is_han(last) {
        return name_before_cue(text);
    }
    let mut words: Vec<&str> =
        text.split_whitespace().rev().take_while(|w| w.starts_with(|c: char| c.is_ascii_uppercase())).collect();
    words.reverse();
    let skip = |w: &&str| {
        let lower = w.to_ascii_lowercase();
        is_all_caps(w) || SENTENCE_STARTS.contains(&lower.as_str()) || TITLES_EN.contains(&lower.as_str())
    };
    while words.first().is_some_and(skip) {
        words.remove(0);
    }
    (!words.is_empty() && !words.iter().any(|w| w.ends_with(['.', ',', ':'])))
        .then(|| words.join(" "))
        .and_then(|n| latin_name(&n))
}

/// Whether `short`'s words (or `·`-separated parts) are a run of `long`'s, case aside.
fn contains_name(long: &str, short: &str) -> bool {
    let parts = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || is_name_dot(c))
            .filter(|p| !p.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (long, short) = (parts(long), parts(short));
    !short.is_empty() && long.windows(short.len()).any(|w| w == short.as_slice())
}

/// Whether a name is written in Han characters: a parenthesised name in the other script (Han or
/// not) is an alias.
fn is_han_name(name: &str) -> bool {
    name.chars().any(is_han)
}

/// Han numerals, for ordinals such as `第二步` and `步骤三`.
const HAN_NUMERALS: &str = "一二三四五六七八九十百千零〇两";
/// Han words that order the points of an answer (`首先:` … `最后:`).
const SEQUENCE_WORDS_ZH: &str = "首先, 其次, 再次, 然后, 接着, 随后, 最后, 最终, 此外, 另外, \
    同时, 总之, 一方面, 另一方面";
/// Han nouns that number the points of an answer (`步骤一`, `方法2`, `要点三`, `方案A`).
const ENUMERATED_NOUNS_ZH: &str = "步骤, 方法, 方案, 要点, 原因, 理由, 阶段, 部分, 选项, 场景, \
    案例, 观点, 建议, 条件, 目标, 难点, 挑战, 例子, 示例, 措施, 做法, 策略, 原则, 好处, 优势, 劣势, \
    优点, 缺点, 风险, 特点, 结论, 教训, 经验, 因素, 环节, 任务, 维度, 层面, 方面, 问题, 答案, 路径, \
    模式, 场合";
/// Latin words that order the points of an answer (`Firstly:`, `Finally:`).
const SEQUENCE_WORDS_EN: &str = "first, second, third, fourth, fifth, firstly, secondly, thirdly, finally, lastly, \
    next, then, also, plus, last, final";
/// Latin nouns that number the points of an answer (`Step 1`, `Option B`, `Part two`).
const ENUMERATED_NOUNS_EN: &str = "step, part, point, option, phase, stage, tip, lesson, rule, reason, item, idea, \
    example, method, approach, chapter, section, scenario, case, factor, takeaway, \
    number, round, level, principle, myth, fact, goal, priority, question, answer, \
    problem, solution, thought";
/// Latin words that head the items of a list in an answer and are nobody's name (`Pros:`,
/// `Cons:`, `Bottom line:`).
const LIST_HEADS_EN: &str = "pro, pros, con, cons, advantage, advantages, disadvantage, disadvantages, benefit, \
    benefits, drawback, drawbacks, upside, upsides, downside, downsides, strength, \
    strengths, weakness, weaknesses, risk, risks, opportunity, opportunities, threat, \
    threats, bottom line, takeaway, key takeaway, verdict, yes, no, before, after, myth, \
    reality, problem, solution, result, outcome, lesson, goal, why, how, what";
/// Measure words that may follow `第` and a numeral in an ordinal (`第二步`, `第三点`); `第五伦`
/// is a name.
const ORDINAL_MEASURES_ZH: &str = "步点条个项种类次轮层章节课期集名件天年";

/// Whether `key` is one of the comma-separated words of `list`.
fn listed(list: &str, key: &str) -> bool {
    words(list).any(|w| w == key)
}

fn words(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim)
}

/// Whether a speaker label (as a lower-case label key) counts or orders the points of an answer
/// instead of naming a person: `第二步`, `步骤一`, `一是`, `其二`, `首先`, `Step 1`, `Firstly`,
/// `Second point`, or heads a list item: `Pros`, `Cons`, `Bottom line`.
pub(crate) fn is_list_label(key: &str) -> bool {
    let key = key.trim();
    if [SEQUENCE_WORDS_ZH, SEQUENCE_WORDS_EN, LIST_HEADS_EN].iter().any(|list| listed(list, key)) {
        return true;
    }
    let numeral = |c: char| HAN_NUMERALS.contains(c) || c.is_ascii_digit();
    let numbered = |rest: &str| {
        let rest = rest.trim_start_matches(['#', ' ', '-', '.']);
        let count = rest.chars().count();
        (1..=3).contains(&count) && rest.chars().all(numeral)
            || count == 1 && rest.chars().all(|c| c.is_ascii_alphabetic())
    };
    // 第二, 第三步, 第1条, 第一部分
    if let Some(rest) = key.strip_prefix('第') {
        let tail = rest.trim_start_matches(numeral);
        let measure = tail.is_empty() || (tail.chars().count() == 1 && ORDINAL_MEASURES_ZH.contains(tail));
        if tail.len() < rest.len() && (measure || listed(ENUMERATED_NOUNS_ZH, tail)) {
            return true;
        }
    }
    // 一是, 二来, 其一
    let chars: Vec<char> = key.chars().collect();
    if let [a, b] = chars[..] {
        if (numeral(a) && matches!(b, '是' | '来' | '则')) || (a == '其' && numeral(b)) {
            return true;
        }
    }
    // 步骤一, 方法2, 方案A; Step 1, Option B, Part two
    if words(ENUMERATED_NOUNS_ZH).any(|noun| key.strip_prefix(noun).is_some_and(numbered)) {
        return true;
    }
    let words: Vec<&str> = key.split_whitespace().collect();
    const NUMBER_WORDS: &[&str] = &["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    match words[..] {
        [noun, number] if listed(ENUMERATED_NOUNS_EN, noun) => {
            numbered(number) || NUMBER_WORDS.contains(&number) || listed(SEQUENCE_WORDS_EN, number)
        }
        // First step, Second point, Final thought
        [ordinal, noun] => {
            listed(SEQUENCE_WORDS_EN, ordinal) && listed(ENUMERATED_NOUNS_EN, noun.trim_end_matches('s'))
        }
        _ => false,
    }
}

/// Whether a label is written in Latin capitals (`BAKER`, `DANA WHITFIELD`).
pub(crate) fn is_all_caps(label: &str) -> bool {
    let letters = label.chars().filter(|c| c.is_alphabetic());
    letters.clone().count() >= 2 && letters.clone().all(|c| c.is_ascii_uppercase())
}

/// How to display a speaker label: an all-capitals Latin label (`SAM ALTMAN`) is written the way
/// the rest of the text writes it (`Sam Altman`), else in title case; other labels as they are.
pub(crate) fn display_name(label: &str, texts: &[&str]) -> String {
    if !is_all_caps(label) {
        return label.to_owned();
    }
    let wanted = label.to_ascii_lowercase();
    for text in texts {
        let lower = text.to_ascii_lowercase();
        for (pos, _) in lower.match_indices(&wanted) {
            let found = &text[pos..pos + wanted.len()];
            let bounded = !text[..pos].ends_with(char::is_alphanumeric)
                && !text[pos + wanted.len()..].starts_with(char::is_alphanumeric);
            if bounded && found != label && found.chars().any(|c| c.is_ascii_lowercase()) {
                return found.to_owned();
            }
        }
    }
    title_case(label)
}

/// `DANA WHITFIELD` → `Dana Whitfield`, `JEAN-LUC O'NEIL` → `Jean-Luc O'Neil`.
fn title_case(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut start_of_word = true;
    for c in label.chars() {
        out.extend(if start_of_word { c.to_uppercase().collect::<Vec<_>>() } else { c.to_lowercase().collect() });
        start_of_word = !c.is_alphanumeric();
    }
    out
}

fn is_name_dot(c: char) -> bool {
    matches!(c, '\u{B7}' | '\u{2022}' | '\u{30FB}' | '\u{FF0E}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interviewee_may_be_named_before_the_interview_word() {
        assert_eq!(interviewee_in(&["发布会后，云帆科技产品负责人李明接受了媒体群访。"]).as_deref(), Some("李明"));
        assert_eq!(interviewee_in(&["今天王强回答了大家关心的问题。"]).as_deref(), Some("王强"));
        assert_eq!(interviewee_in(&["对话星河公司王强：机器人先进工厂"]).as_deref(), Some("王强"));
        assert_eq!(
            interviewee_in(&["Afterwards Jane Doe answered questions from readers."]).as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            interviewee_in(&["This time we talk to Maria Lopez Garcia who builds stage lights."]).as_deref(),
            Some("Maria Lopez Garcia")
        );
        assert_eq!(interviewee_in(&["对话人工智能的未来"]), None);
    }

    #[test]
    fn a_nickname_after_known_as() {
        let texts = ["We talk to Maria Lopez Garcia who is known to her crew as \"ML.\" She builds rigs."];
        assert_eq!(nickname_of("Maria Lopez Garcia", &texts).as_deref(), Some("ML"));
        assert_eq!(nickname_of("Maria Lopez Garcia", &["We talk to Maria Lopez Garcia."]), None);
    }

    #[test]
    fn a_name_in_another_script_in_parentheses() {
        let zh = ["本期请到了创业者周川和晨光资本合伙人陈静怡\u{FF08}Grace\u{FF09}。"];
        assert_eq!(other_script_name("Grace", &zh).as_deref(), Some("陈静怡"));
        assert_eq!(other_script_name("陈静怡", &zh).as_deref(), Some("Grace"));
        assert_eq!(other_script_name("周川", &zh), None);
        let en = ["Our guests are the furniture maker Marco Bellini and the designer Mei Lin Tan (陈美玲)."];
        assert_eq!(other_script_name("Mei Lin", &en).as_deref(), Some("陈美玲"));
        assert_eq!(other_script_name("陈美玲", &en).as_deref(), Some("Mei Lin Tan"));
        assert_eq!(other_script_name("Marco Bellini", &en), None);
        // Same script, a role or an acronym in parentheses: no alias.
        for text in
            ["张涛\u{FF08}大众点评创始人\u{FF09}", "张涛(CEO)", "Jenny Lee (GGV)", "GGV Partner Jenny Lee (Jenny)"]
        {
            assert_eq!(other_script_name("张涛", &[text]), None, "{text}");
            assert_eq!(other_script_name("Jenny", &[text]), None, "{text}");
        }
        assert_eq!(
            other_script_name("Jenny", &["GGV Partner Jenny Lee (李宏玮) joined us."]).as_deref(),
            Some("李宏玮")
        );
    }

    #[test]
    fn interviewee_from_cues() {
        assert_eq!(interviewee_in(&["专访林晓\u{FF1A}AI 创业没有捷径"]).as_deref(), Some("林晓"));
        assert_eq!(
            interviewee_in(&[
                "专访云帆科技创始人林晓\u{FF1A}制造业的 AI",
                "本刊记者日前专访了云帆科技创始人林晓。以下为访谈实录。"
            ])
            .as_deref(),
            Some("林晓")
        );
        assert_eq!(interviewee_in(&["以下为访谈实录,略有删节。"]), None);
        assert_eq!(interviewee_in(&["本期嘉宾是山姆\u{B7}奥特曼。"]).as_deref(), Some("山姆\u{B7}奥特曼"));
        assert_eq!(
            interviewee_in(&["A Conversation with Dr. Maria Chen", "An interview with Dr. Maria Chen, soil scientist"])
                .as_deref(),
            Some("Maria Chen")
        );
        assert_eq!(interviewee_in(&["Our interview with OpenAI CEO Sam Altman."]).as_deref(), Some("Sam Altman"));
        assert_eq!(interviewee_in(&["We spoke about soil."]), None);
    }

    #[test]
    fn titles_descriptions_and_topics_around_a_name() {
        // A Latin job title inside Chinese text.
        assert_eq!(interviewee_in(&["对话星河公司CEO王强"]).as_deref(), Some("王强"));
        assert_eq!(interviewee_in(&["星河公司CEO王强接受了采访"]).as_deref(), Some("王强"));
        // Describing words between the cue and the name; not a phrase about someone else.
        assert_eq!(interviewee_in(&["In conversation with novelist Sarah Kim"]).as_deref(), Some("Sarah Kim"));
        assert_eq!(
            interviewee_in(&["Host Jane Doe talks with urban farmer Carlos Mendez"]).as_deref(),
            Some("Carlos Mendez")
        );
        assert_eq!(interviewee_in(&["An interview with the founder of Acme"]), None);
        // `Interview:` and `NAME on TOPIC` headlines.
        assert_eq!(interviewee_in(&["CEO Interview: John Smith of Acme Corp"]).as_deref(), Some("John Smith"));
        assert_eq!(interviewee_in(&["Sarah Kim on writing her first novel"]).as_deref(), Some("Sarah Kim"));
        assert_eq!(interviewee_in(&["Notes on the Future"]), None);
        assert_eq!(interviewee_in(&["A story about Bob", "Sarah Kim on writing"]), None, "the headline only");
    }

    #[test]
    fn list_labels_are_not_names() {
        let lists = "第一, 第二步, 第1条, 第三部分, 一是, 二来, 其二, 首先, 最后, 步骤一, 方法2, 要点三, 方案a, \
                     step 1, step two, part #2, option b, firstly, finally, first step, second point, \
                     final thoughts, pros, cons, bottom line";
        for key in words(lists) {
            assert!(is_list_label(key), "{key}");
        }
        let people = "张三, 李四, 王五, 林晓, 第五伦, 嘉宾一, 高峰, baker, sam altman, speaker 1, guest 2, host, \
                      ceo, alice";
        for key in words(people) {
            assert!(!is_list_label(key), "{key}");
        }
    }

    #[test]
    fn capitals_are_displayed_as_the_text_writes_them() {
        assert_eq!(display_name("DANA WHITFIELD", &["Dana Whitfield on power"]), "Dana Whitfield");
        assert_eq!(display_name("DANA WHITFIELD", &["DANA WHITFIELD: hi"]), "Dana Whitfield");
        assert_eq!(display_name("JEAN-LUC O'NEIL", &[]), "Jean-Luc O'Neil");
        assert_eq!(display_name("McKinsey Partner", &[]), "McKinsey Partner");
        assert_eq!(display_name("山姆\u{B7}奥特曼", &[]), "山姆\u{B7}奥特曼");
    }
}
