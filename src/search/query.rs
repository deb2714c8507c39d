//! Reading a question: who it names, which words carry its meaning, what to look up.
//!
//! A question is normalised, then:
//! 1. speaker names and aliases are taken out: they are not content, and steer ranking only when
//!    the speaker is the one asked (`奥特曼怎么看…`), not when merely mentioned (`萨提亚的支持…`);
//!    a name the corpus has never seen, asked for a view, marks an [`UNKNOWN_SPEAKER`];
//! 2. synonym terms become *concepts*: present in a pair when any member of the group is;
//! 3. question words, particles and pronouns (`为什么`, `吗`, `的`, `我们` …) are masked;
//! 4. what remains becomes *units*: Chinese character bigrams (a lone character stands alone),
//!    Latin words and numbers. A bigram straddling two everyday words (`年会` in `明年会`) is
//!    marked split: it is no evidence, and a bigram is only found where it is not split.
//!
//! Each unit has a weight: how informative it is in this corpus (inverse document frequency,
//! scaled to 0–1; a term the corpus never uses weighs [`UNKNOWN_WEIGHT`]). Coverage of these weights by a pair is
//! what confidence is built from, so a question whose content is mostly absent from the corpus
//! cannot score high because one common word matched.

use std::ops::Range;

use super::common::{common_chars, occurs_unsplit, segments, splits_pair};
use super::normalize::{is_han, normalize};
use super::tokenize::{han_terms, is_stopword, runs, word_terms, Run};
use super::vocab::{is_whole, Vocabulary};

/// Interrogatives, particles, pronouns and conversational frames: not content in a question.
/// Longer entries are matched first.
#[rustfmt::skip]
const STOP_PHRASES: &[&str] = &[
    "可不可以", "是不是", "有没有", "会不会", "能不能", "要不要", "为什么", "怎么样", "怎么办", "怎么看", "什么样", "告诉我", "请告诉", "为何", "怎样",
    "怎么", "什么", "多少", "有多", "多大", "多久", "多长", "几个", "哪些", "哪个", "哪里", "哪儿", "是否", "如何", "请问", "一下", "到底",
    "究竟", "还是", "或者", "这个", "那个", "这些", "那些", "这样", "那样", "你们", "我们", "他们", "她们", "它们", "咱们", "大家", "谈谈",
    "聊聊", "讲讲", "说说", "认为", "觉得", "看待", "看法", "评价", "评论", "回应", "解释", "介绍", "描述", "表示", "提到", "指出", "观点",
    "态度", "想法", "意见", "关于", "有关", "以及", "对于", "什么时候", "的时候", "何时", "吗", "呢", "吧", "啊", "对", "呀", "嘛", "哪",
    "的", "了", "着", "是", "和", "与", "及", "或", "就", "也", "都", "说", "讲", "在", "您", "你", "我", "他", "她", "它", "这",
    "那", "把", "被", "又", "很", "还", "么", "谁", "几",
];

/// Phrase lists by first character, longest first (so `什么时候` wins over `什么`), built once:
/// scanning a text then costs one lookup per character.
struct PhraseIndex(rustc_hash::FxHashMap<char, Vec<&'static str>>);

impl PhraseIndex {
    fn new(phrases: &[&'static str]) -> PhraseIndex {
        let mut map: rustc_hash::FxHashMap<char, Vec<&'static str>> = rustc_hash::FxHashMap::default();
        for phrase in phrases {
            let first = phrase.chars().next().expect("phrases are not empty");
            let list = map.entry(first).or_default();
            if !list.contains(phrase) {
                list.push(phrase);
            }
        }
        for list in map.values_mut() {
            list.sort_by_key(|p| std::cmp::Reverse(p.len()));
        }
        PhraseIndex(map)
    }

    /// The phrases that could start at the beginning of `rest`, longest first.
    fn candidates(&self, rest: &str) -> &[&'static str] {
        rest.chars().next().and_then(|c| self.0.get(&c)).map_or(&[], Vec::as_slice)
    }
}

fn stop_index() -> &'static PhraseIndex {
    static INDEX: std::sync::OnceLock<PhraseIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| PhraseIndex::new(STOP_PHRASES))
}

fn protected_index() -> &'static PhraseIndex {
    static INDEX: std::sync::OnceLock<PhraseIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| PhraseIndex::new(PROTECTED))
}

/// Words that contain a stop character but are content (`现在` is not `在`).
#[rustfmt::skip]
const PROTECTED: &[&str] = &[
    "目的", "的确", "现在", "存在", "正在", "实在", "所在", "潜在", "内在", "外在", "总和", "和平", "和谐", "参与", "及时", "涉及", "普及",
    "提及", "成就", "就业", "首都", "着手", "着重", "执着", "把握", "被动", "了解", "小说", "说明", "说服", "传说", "学说", "他人", "你我",
    "还款", "还债", "归还", "是非", "哪吒", "对手", "面对", "针对", "相对", "对话", "绝对", "反对", "对比", "对冲", "应对", "对外", "对象",
    "对称",
];

/// Weight given to a lone Chinese character (its document frequency is not indexed).
const SINGLE_CHAR_WEIGHT: f64 = 0.5;
/// Weight of a term no stored pair uses. Lower than the rarest known term: an unknown word is as
/// likely a paraphrase of stored wording as a sign of an uncovered topic.
pub const UNKNOWN_WEIGHT: f64 = 0.6;
/// How much a synonym's index terms count in retrieval, relative to the question's own words.
pub const SYNONYM_FACTOR: f64 = 0.8;

/// How a unit is matched in a pair's text.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitKind {
    /// Two characters at `pos`, `pos + 1` of Han run `run`.
    Bigram { run: usize, pos: usize },
    /// A Han run of one character.
    Char,
    /// A Latin word or number.
    Word,
    /// A synonym group: present when any of `forms` is.
    Concept,
}

/// A piece of question content.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Normalised strings; the unit is present in a text containing any of them.
    pub forms: Vec<String>,
    /// How it is matched.
    pub kind: UnitKind,
    /// Informativeness, 0–1 per character (bigrams) or per unit (words, concepts: up to 2).
    pub weight: f64,
    /// Found by chance in any long text (a lone character, a small number): weak evidence when
    /// only an answer contains it.
    pub weak: bool,
    /// A bigram that straddles two words of the question (`年会` in `明年会降价`): it spells no
    /// word the question uses, so finding it in a pair is no evidence (see
    /// [`super::common::splits_pair`]).
    pub split: bool,
    /// No stored pair uses it (a concept: none of its forms): a question made of such words is
    /// likely about something the interviews never discuss.
    pub unknown: bool,
}

/// A question, read.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The normalised question.
    pub normalized: String,
    /// Its content without stop phrases and spaces, for edit similarity (see [`content_text`]).
    pub content: String,
    /// Speakers whose words the question asks for (not those it only mentions), or
    /// [`UNKNOWN_SPEAKER`] for someone the corpus does not know.
    pub speakers: Vec<i64>,
    /// Content units.
    pub units: Vec<Unit>,
    /// The Han runs bigram units point into.
    pub han_runs: Vec<Vec<char>>,
    /// Per character of each Han run: whether it is part of an everyday word.
    pub han_common: Vec<Vec<bool>>,
    /// Per character of each Han run: the word it belongs to (see [`super::common::segments`]).
    pub han_words: Vec<Vec<u32>>,
    /// Adjacent content across a script change (`投资` + `openai` → `投资openai`): matching it
    /// exactly is evidence of the same phrase, not just the same words.
    /// Each link lists its spellings (the question's own first, then with other forms of a concept).
    pub links: Vec<Vec<String>>,
    /// Index terms to retrieve candidates with, and their weight factors.
    pub terms: Vec<(String, f64)>,
}

/// Document frequencies the analysis needs: `df(term)` and the number of pairs.
pub trait TermFrequencies {
    /// Number of pairs whose text contains `term`.
    fn df(&mut self, term: &str) -> u64;
    /// Number of pairs in the corpus.
    fn pair_count(&self) -> u64;
}

/// Weight of a term: its scaled inverse document frequency, or [`UNKNOWN_WEIGHT`] when no pair
/// uses it.
pub fn term_weight(df: u64, pairs: u64) -> f64 {
    if df == 0 {
        UNKNOWN_WEIGHT
    } else {
        informativeness(df, pairs)
    }
}

/// Inverse document frequency scaled to 0–1: 1 for a term no pair uses.
pub fn informativeness(df: u64, pairs: u64) -> f64 {
    let n = pairs as f64 + 1.0;
    let full = (n / 0.5).ln();
    if full <= 0.0 {
        return 1.0;
    }
    ((n / (df as f64 + 0.5)).ln() / full).clamp(0.0, 1.0)
}

/// Read a question. `stats` supplies document frequencies for unit weights.
pub fn analyze(question: &str, vocab: &Vocabulary, stats: &mut dyn TermFrequencies) -> Query {
    let normalized = normalize(question);
    let mut query = Query { normalized: normalized.clone(), content: content_text(&normalized), ..Query::default() };
    let mut masked: Vec<Range<usize>> = Vec::new();

    for found in vocab.find_speakers(&normalized) {
        // Someone named only as the object of the question (`萨提亚的支持起了什么作用`) is what
        // it is about, not who should answer: no preference for their words.
        if !only_mentioned(&normalized, &found.range) && !query.speakers.contains(&found.id) {
            query.speakers.push(found.id);
        }
        masked.push(found.range);
    }
    if query.speakers.is_empty() && unknown_person(&normalized, stats) {
        query.speakers.push(UNKNOWN_SPEAKER);
    }
    let mut concepts = vocab.find_synonyms(&normalized, &masked);
    // A group none of whose terms the corpus uses would only hide the question's own characters,
    // which may still partly match (科技巨头 in 科技七巨头): read such text as plain text.
    concepts.retain(|found| vocab.groups[found.id as usize].terms.iter().any(|f| form_df(f, stats) > 0));
    for found in &concepts {
        masked.push(found.range.clone());
        let forms = vocab.groups[found.id as usize].terms.clone();
        let df = forms.iter().map(|f| form_df(f, stats)).max().unwrap_or(0);
        let weight = 2.0 * term_weight(df, stats.pair_count());
        for form in &forms {
            for_each_term(form, |t| query.terms.push((t.to_owned(), SYNONYM_FACTOR)));
        }
        let unknown = df == 0;
        query.units.push(Unit { forms, kind: UnitKind::Concept, weight, weak: false, split: false, unknown });
    }
    masked.extend(stop_ranges(&normalized, &masked));

    let content = mask(&normalized, &masked);
    let runs = runs(&content);
    let mut spans: Vec<(Range<usize>, &[String])> =
        concepts.iter().map(|c| (c.range.clone(), vocab.groups[c.id as usize].terms.as_slice())).collect();
    for run in &runs {
        let text = run_text(run);
        let start = text.as_ptr() as usize - content.as_ptr() as usize;
        spans.push((start..start + text.len(), &[]));
        match *run {
            Run::Han(han) => add_han_run(&mut query, han, stats),
            Run::Word(word) => add_word(&mut query, word, stats),
        }
    }
    query.links = links(&normalized, spans);
    for speaker in &query.speakers {
        query.terms.push((super::postings::speaker_term(*speaker), 1.0));
    }
    dedup_terms(&mut query.terms);
    query
}

/// Stands for a person the question asks about who speaks in no interview (see `unknown_person`).
pub const UNKNOWN_SPEAKER: i64 = -1;

/// Phrases that may open a question before the person it asks about (`你觉得马斯克怎么看`).
const LEADING_FRAMES: &[&str] =
    &["请问", "你觉得", "您觉得", "你认为", "您认为", "你知道", "您知道", "我想知道", "想知道", "你说", "那么", "那"];

/// Adverbs between a name and its verb (`奥特曼一直认为`, `纳德拉曾说`).
const ADVERBS: &[&str] = &[
    "一直", "曾经", "曾", "也", "还", "又", "到底", "究竟", "当初", "最初", "后来", "之前", "以前", "现在", "本人",
    "自己",
];

/// Right after a name: asking for that person's view (`X怎么看`, `X认为`, `X说`).
const VIEW_VERBS: &[&str] = &[
    "怎么看",
    "如何看",
    "怎样看",
    "怎么评价",
    "如何评价",
    "怎么说",
    "怎么想",
    "怎么回应",
    "如何回应",
    "认为",
    "觉得",
    "说",
    "表示",
    "看待",
    "回应",
    "评价",
    "评论",
    "预测",
    "相信",
    "提到",
    "讲",
];

/// Later in `X对…` / `X关于…`: the view asked for (`马斯克对AGI怎么看`, `…的看法`).
const VIEW_WORDS: &[&str] = &[
    "怎么看",
    "如何看",
    "怎样看",
    "看法",
    "看待",
    "评价",
    "观点",
    "态度",
    "想法",
    "意见",
    "立场",
    "怎么说",
    "说了什么",
    "认为",
    "怎么想",
    "回应",
    "评论",
];

/// After `X的`: a view (`马斯克的看法`), not a thing of theirs (`萨提亚的支持`).
const VIEW_NOUNS: &[&str] =
    &["看法", "观点", "评价", "态度", "想法", "意见", "立场", "说法", "回应", "判断", "预测", "评论", "原话"];

/// Words for people in general, never one unknown person (`专家怎么看`, `What do investors think`).
const GENERIC_PEOPLE: &[&str] = &[
    "专家",
    "网友",
    "外界",
    "业内",
    "业界",
    "分析师",
    "分析人士",
    "业内人士",
    "投资人",
    "用户",
    "媒体",
    "公众",
    "学者",
    "同行",
    "别人",
    "他人",
    "其他人",
    "大家",
    "人们",
    "普通人",
    "people",
    "expert",
    "analyst",
    "investor",
    "critic",
    "user",
    "everyone",
    "anyone",
    "someone",
    "other",
    "industry",
    "market",
    "you",
    "they",
    "he",
    "she",
    "we",
    "most",
    "many",
    "researcher",
    "scientist",
    "economist",
    "insider",
    "observer",
];

/// English verbs and nouns after a name that ask for a view (`What does X think about`).
const ENGLISH_VIEW: &[&str] = &[
    "think", "say", "said", "feel", "believe", "view", "see", "expect", "predict", "opinion", "take", "stance",
    "position", "thought", "argue", "claim", "make",
];

/// Words after which a name in English is the one asked about.
const ENGLISH_AUX: &[&str] = &["does", "did", "do", "would", "will", "is", "was", "has", "had"];

/// `text` without leading frames and adverbs from `list`, repeatedly.
fn strip_leading<'a>(mut text: &'a str, list: &[&str]) -> &'a str {
    loop {
        text = text.trim_start();
        match list.iter().find(|w| text.starts_with(*w)) {
            Some(w) => text = &text[w.len()..],
            None => return text,
        }
    }
}

/// Whether `after` (the text following a name) asks for that person's view: `怎么看…`, `认为…`,
/// `对…怎么看`, `对…的看法`, `的看法`.
fn asks_view(after: &str) -> bool {
    let after = strip_leading(after, ADVERBS);
    if VIEW_VERBS.iter().any(|v| after.starts_with(v)) {
        return true;
    }
    if let Some(rest) = ["对于", "关于", "对", "就"].iter().find_map(|p| after.strip_prefix(p)) {
        return VIEW_WORDS.iter().any(|w| rest.contains(w));
    }
    after.strip_prefix('的').is_some_and(|rest| VIEW_NOUNS.iter().any(|n| rest.trim_start().starts_with(n)))
}

/// Whether a speaker named at `range` is only mentioned, not asked: the object of a preposition
/// (`特别是萨提亚…`, `给奥特曼…`) or the owner of something that is not a view (`萨提亚早期的支持`,
/// but not `萨提亚的看法`). Anyone else named is taken to be the person whose words are wanted.
fn only_mentioned(text: &str, range: &Range<usize>) -> bool {
    if asks_view(&text[range.end..]) {
        return false;
    }
    let before = text[..range.start].trim_end();
    if ["是", "向", "给", "被", "把", "替"].iter().any(|p| before.ends_with(p)) {
        return true;
    }
    // Up to two characters of modifier (`早期`) may stand between the name and `的`, when they are
    // content, not grammar (`萨提亚说的` is what he said).
    let after = text[range.end..].trim_start();
    let modifier_len: usize = after.chars().take_while(|&c| is_han(c) && c != '的').take(2).map(char::len_utf8).sum();
    let modifier = &after[..modifier_len];
    let rest = if stop_ranges(modifier, &[]).is_empty() { &after[modifier_len..] } else { after };
    rest.strip_prefix('的').is_some_and(|rest| !VIEW_NOUNS.iter().any(|n| rest.trim_start().starts_with(n)))
}

/// Whether the question asks what someone thinks who is not in the corpus: a name the corpus has
/// never seen (not a speaker, not a word any pair uses, not a word for people in general), at the
/// start of the question or of a clause, followed by a request for their view (`马斯克怎么看AGI`,
/// `你觉得马斯克对AGI怎么看`, `埃隆·马斯克的看法`, `What does Musk think about AGI`). Answering
/// with someone else's words would be wrong.
fn unknown_person(normalized: &str, stats: &mut dyn TermFrequencies) -> bool {
    let mut unknown = |name: &str| {
        let mut terms = Vec::new();
        for_each_term(name, |t| terms.push(t.to_owned()));
        !terms.is_empty() && terms.iter().all(|t| stats.df(t) == 0)
    };
    // Chinese (or a Latin name in a Chinese question): each clause, after any opening frame.
    let clause_starts = std::iter::once(0).chain(normalized.match_indices(' ').map(|(i, _)| i + 1));
    for start in clause_starts.collect::<Vec<_>>() {
        let clause = strip_leading(&normalized[start..], LEADING_FRAMES);
        // A Han name of two to six characters (`埃隆·马斯克` is normalised to `埃隆马斯克`), the
        // shortest that is followed by a request for a view.
        let han: Vec<(usize, char)> = clause.char_indices().take_while(|&(_, c)| is_han(c)).take(7).collect();
        for len in 2..han.len().min(7) {
            let end = han.get(len).map_or(clause.len(), |&(i, _)| i);
            let name = &clause[..end];
            if asks_view(&clause[end..]) {
                if is_person_name(name) && unknown(name) {
                    return true;
                }
                break;
            }
        }
        // Latin words then a Chinese request (`Musk 怎么看 AGI`).
        let words: Vec<&str> = clause.split(' ').take_while(|w| is_latin_word(w)).take(3).collect();
        if !words.is_empty() {
            let name_len = words.iter().map(|w| w.len()).sum::<usize>() + words.len() - 1;
            let name = &clause[..name_len];
            if asks_view(&clause[name_len..]) && words.iter().all(|w| !GENERIC_PEOPLE.contains(w)) && unknown(name) {
                return true;
            }
        }
    }
    // English: `what does X think/say about`, `what is X('s) view on`, `X thinks`.
    let tokens: Vec<&str> = normalized.split(' ').collect();
    for (i, _) in tokens.iter().enumerate() {
        let start = if i == 0 {
            0
        } else if ENGLISH_AUX.contains(&tokens[i - 1]) {
            i
        } else {
            continue;
        };
        for len in 1..=3 {
            let Some(next) = tokens.get(start + len) else { break };
            let name = &tokens[start..start + len];
            if !name.iter().all(|w| is_latin_word(w) && !GENERIC_PEOPLE.contains(w) && !is_stopword(w)) {
                break;
            }
            if ENGLISH_VIEW.contains(&next.trim_end_matches('s')) || ENGLISH_VIEW.contains(next) {
                if unknown(&name.join(" ")) {
                    return true;
                }
                break;
            }
        }
    }
    false
}

/// Whether a Han string could be a person's name: not an everyday word, a question word or a
/// word for people in general, no grammar character (`们`, `的`, `来`) inside (`简单来说` is no
/// one saying anything).
fn is_person_name(name: &str) -> bool {
    !super::common::is_common(name)
        && !GENERIC_PEOPLE.contains(&name)
        && !name.chars().any(|c| "们的了是在和与及或你我他她它这那谁什么哪".contains(c) || FUNCTION_CHARS.contains(c))
        && !stop_index().candidates(name).contains(&name)
}

/// A word of Latin letters only (a name, not a number).
fn is_latin_word(word: &str) -> bool {
    word.len() >= 2 && word.chars().all(|c| c.is_alphabetic() && !is_han(c))
}

/// Characters that, standing alone, are grammar rather than content (negation, modal verbs,
/// prepositions). Inside longer runs they still take part in bigrams.
pub const FUNCTION_CHARS: &str = "不没会能要有让从向给到去来将可得地更最再才已被把却而且";

fn add_han_run(query: &mut Query, han: &str, stats: &mut dyn TermFrequencies) {
    let chars: Vec<char> = han.chars().collect();
    if chars.len() == 1 && FUNCTION_CHARS.contains(chars[0]) {
        return;
    }
    if chars.len() == 1 {
        query.terms.push((han.to_owned(), SINGLE_CHAR_WEIGHT));
        query.units.push(Unit {
            forms: vec![han.to_owned()],
            kind: UnitKind::Char,
            weight: SINGLE_CHAR_WEIGHT,
            weak: true,
            split: false,
            // Lone characters are not indexed: unknown only in the sense of no evidence.
            unknown: false,
        });
        return;
    }
    let run = query.han_runs.len();
    query.han_common.push(common_chars(&chars));
    query.han_words.push(segments(&chars));
    query.han_runs.push(chars.clone());
    let pairs = stats.pair_count();
    for pos in 0..chars.len() - 1 {
        let bigram: String = chars[pos..pos + 2].iter().collect();
        let df = stats.df(&bigram);
        let weight = term_weight(df, pairs);
        query.terms.push((bigram.clone(), 1.0));
        let split = splits_pair(&chars, pos);
        let kind = UnitKind::Bigram { run, pos };
        query.units.push(Unit { forms: vec![bigram], kind, weight, weak: false, split, unknown: df == 0 });
    }
}

fn add_word(query: &mut Query, word: &str, stats: &mut dyn TermFrequencies) {
    // A lone letter (the `s` of a stray apostrophe, a list marker) carries no meaning.
    if is_stopword(word) || (word.chars().count() == 1 && !word.starts_with(|c: char| c.is_ascii_digit())) {
        return;
    }
    let mut first = None;
    word_terms(word, &mut |t| {
        query.terms.push((t.to_owned(), 1.0));
        first.get_or_insert_with(|| t.to_owned());
    });
    let Some(joined) = first else { return };
    // A word weighs like a two-character Chinese word; a number like one character, and a small
    // number (1, 10) half that: they turn up everywhere.
    let small_number = word.parse::<f64>().is_ok_and(|n| n < 100.0 && !word.contains('.'));
    let scale = match word.parse::<f64>() {
        Ok(_) if small_number => 0.5,
        Ok(_) => 1.0,
        Err(_) => 2.0,
    };
    let df = stats.df(&joined);
    let weight = scale * term_weight(df, stats.pair_count());
    if query.units.iter().any(|u| u.kind == UnitKind::Word && u.forms[0] == word) {
        return;
    }
    query.units.push(Unit {
        forms: vec![word.to_owned(), joined],
        kind: UnitKind::Word,
        weight,
        weak: small_number,
        split: false,
        unknown: df == 0,
    });
}

/// Content spans (byte ranges of `text`, with the synonyms of a concept span) that touch in the
/// question (nothing but a space between) and differ in script, joined without spaces: `投资` +
/// `openai` → `投资openai`. The Han side contributes its two characters nearest the seam. A
/// concept side may be any of its Chinese forms (`押注openai` also reads `投资openai`): each link
/// lists its spellings, the question's own first.
fn links(text: &str, mut spans: Vec<(Range<usize>, &[String])>) -> Vec<Vec<String>> {
    spans.sort_by_key(|(r, _)| r.start);
    let han_start = |r: &Range<usize>| text[r.clone()].starts_with(is_han);
    let han_end = |r: &Range<usize>| text[r.clone()].ends_with(is_han);
    let last_two = |s: &str| {
        let chars: Vec<char> = s.chars().collect();
        chars[chars.len().saturating_sub(2)..].iter().collect::<String>()
    };
    let first_two = |s: &str| s.chars().take(2).collect::<String>();
    let mut out = Vec::new();
    for pair in spans.windows(2) {
        let ((left, left_forms), (right, right_forms)) = (&pair[0], &pair[1]);
        let gap = text.get(left.end..right.start).unwrap_or("x");
        if !gap.trim().is_empty() || gap.len() > 1 || han_end(left) == han_start(right) {
            continue;
        }
        let l: String = if han_end(left) {
            last_two(&text[left.clone()])
        } else {
            text[left.clone()].rsplit(' ').next().unwrap_or_default().to_owned()
        };
        let r: String = if han_start(right) {
            first_two(&text[right.clone()])
        } else {
            text[right.clone()].split(' ').next().unwrap_or_default().to_owned()
        };
        let han_side = if han_end(left) { &l } else { &r };
        if han_side.chars().count() != 2 || is_stopword(&l) || is_stopword(&r) {
            continue;
        }
        let mut spellings = vec![format!("{l}{r}")];
        // Other Chinese forms of a concept on the Han side.
        let (forms, han_is_left) = if han_end(left) { (*left_forms, true) } else { (*right_forms, false) };
        for form in forms.iter().filter(|f| f.chars().count() >= 2 && f.chars().all(is_han)) {
            let spelling =
                if han_is_left { format!("{}{r}", last_two(form)) } else { format!("{l}{}", first_two(form)) };
            if !spellings.contains(&spelling) {
                spellings.push(spelling);
            }
        }
        out.push(spellings);
    }
    out
}

fn run_text<'a>(run: &Run<'a>) -> &'a str {
    match *run {
        Run::Han(s) | Run::Word(s) => s,
    }
}

/// Pairs containing a form: for a Chinese phrase, at most the rarest of its bigrams' counts.
fn form_df(form: &str, stats: &mut dyn TermFrequencies) -> u64 {
    let mut dfs = Vec::new();
    for_each_term(form, |t| dfs.push(t.to_owned()));
    dfs.iter().map(|t| stats.df(t)).min().unwrap_or(0)
}

fn for_each_term(text: &str, mut f: impl FnMut(&str)) {
    for run in runs(text) {
        match run {
            Run::Han(han) => han_terms(han, &mut f),
            Run::Word(word) => word_terms(word, &mut f),
        }
    }
}

/// The content of a normalised text: stop phrases and spaces removed (`openai员工的平均年龄是多少`
/// → `openai员工平均年龄`). Edit similarity on content compares what two questions ask about,
/// not their shared question frame.
pub fn content_text(normalized: &str) -> String {
    mask(normalized, &stop_ranges(normalized, &[])).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Byte ranges of stop phrases in `text` that do not overlap `taken` or a protected word.
fn stop_ranges(text: &str, taken: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    'scan: while i < text.len() {
        let rest = &text[i..];
        let step = rest.chars().next().map_or(1, char::len_utf8);
        if !rest.starts_with(is_han) || taken.iter().any(|t| t.contains(&i)) {
            i += step;
            continue;
        }
        if let Some(word) = protected_index().candidates(rest).iter().find(|w| rest.starts_with(*w)) {
            i += word.len();
            continue;
        }
        for phrase in stop_index().candidates(rest) {
            if rest.starts_with(phrase) {
                let range = i..i + phrase.len();
                if !taken.iter().any(|t| t.start < range.end && range.start < t.end) {
                    out.push(range);
                    i += phrase.len();
                    continue 'scan;
                }
            }
        }
        i += step;
    }
    out
}

/// `text` with `ranges` blanked out: each masked character becomes as many spaces as it has bytes,
/// so byte offsets stay valid in both strings.
fn mask(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if ranges.iter().any(|r| r.contains(&i)) {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

fn dedup_terms(terms: &mut Vec<(String, f64)>) {
    let mut seen: Vec<(String, f64)> = Vec::with_capacity(terms.len());
    for (term, factor) in terms.drain(..) {
        match seen.iter_mut().find(|(t, _)| *t == term) {
            Some(existing) => existing.1 = existing.1.max(factor),
            None => seen.push((term, factor)),
        }
    }
    *terms = seen;
}

/// Whether `form` occurs in normalised `text`: whole words for Latin forms; for a two-character
/// Chinese form, at least once not split across two words (`年会` is not in `两三年会否`).
pub fn occurs(text: &str, form: &str) -> bool {
    if !form.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        let mut chars = form.chars();
        if let (Some(a), Some(b), None) = (chars.next(), chars.next(), chars.next()) {
            if is_han(a) && is_han(b) {
                return occurs_unsplit(text, form);
            }
        }
        return text.contains(form);
    }
    // `contains` first: it rules out an absent form without building a searcher.
    text.contains(form) && text.match_indices(form).any(|(start, _)| is_whole(text, &(start..start + form.len())))
}

/// Whether any form of a unit occurs in `text`. A split bigram never does.
pub fn unit_occurs(unit: &Unit, text: &str) -> bool {
    !unit.split && unit.forms.iter().any(|f| occurs(text, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fixed(HashMap<&'static str, u64>, u64);
    impl TermFrequencies for Fixed {
        fn df(&mut self, term: &str) -> u64 {
            self.0.get(term).copied().unwrap_or(0)
        }
        fn pair_count(&self) -> u64 {
            self.1
        }
    }

    fn vocab() -> Vocabulary {
        Vocabulary::new(
            &[(1, "算力".into()), (1, "计算资源".into()), (1, "compute".into())],
            &[(7, "奥特曼".into()), (7, "Sam Altman".into())],
        )
    }

    fn forms(q: &Query) -> Vec<String> {
        q.units.iter().map(|u| u.forms[0].clone()).collect()
    }

    #[test]
    fn question_words_and_particles_are_not_content() {
        let mut stats = Fixed(HashMap::new(), 14);
        let q = analyze("OpenAI的研究员平均年薪是多少?", &vocab(), &mut stats);
        assert_eq!(forms(&q), ["openai", "研究", "究员", "员平", "平均", "均年", "年薪"]);
        let q = analyze("现在的目的是什么", &vocab(), &mut stats);
        assert_eq!(forms(&q), ["现在", "目的"]);
        let q = analyze("AGI什么时候实现", &vocab(), &mut stats);
        assert_eq!(forms(&q), ["agi", "实现"]);
    }

    #[test]
    fn speakers_are_detected_and_removed_from_content() {
        let mut stats = Fixed(HashMap::new(), 14);
        let q = analyze("奥特曼怎么看 AGI?", &vocab(), &mut stats);
        assert_eq!(q.speakers, [7]);
        assert_eq!(forms(&q), ["agi"]);
        assert!(q.terms.iter().any(|(t, _)| t == "@7"));
    }

    #[test]
    fn a_name_the_corpus_never_saw_is_an_unknown_speaker() {
        let mut stats = Fixed(HashMap::from([("agi", 3), ("openai", 5)]), 14);
        assert_eq!(analyze("马斯克怎么看AGI", &vocab(), &mut stats).speakers, [UNKNOWN_SPEAKER]);
        assert_eq!(analyze("Musk 怎么看 AGI", &vocab(), &mut stats).speakers, [UNKNOWN_SPEAKER]);
        assert_eq!(analyze("奥特曼怎么看AGI", &vocab(), &mut stats).speakers, [7]);
        assert!(analyze("OpenAI怎么看AGI", &vocab(), &mut stats).speakers.is_empty());
        assert!(analyze("大家怎么看AGI", &vocab(), &mut stats).speakers.is_empty());
        assert!(analyze("网友觉得AGI近吗", &vocab(), &mut stats).speakers.is_empty());
    }

    #[test]
    fn unknown_people_are_found_whatever_the_phrasing() {
        let mut stats = Fixed(HashMap::from([("agi", 3), ("openai", 5), ("微软", 4), ("简单", 2)]), 14);
        for q in [
            "贝索斯对AGI有什么看法",
            "杰夫·贝索斯如何评价OpenAI",
            "你认为贝索斯怎么看AGI",
            "贝索斯一直认为AGI很近吗",
            "贝索斯的看法是什么",
            "Bezos 对 AGI 的评价",
            "What did Bezos say about AGI?",
            "What is Jeff Bezos's view on AGI?",
        ] {
            assert_eq!(analyze(q, &vocab(), &mut stats).speakers, [UNKNOWN_SPEAKER], "{q}");
        }
        // Names the corpus knows, people in general, and phrases that only look like `X说`.
        for q in [
            "微软对AGI怎么看",
            "专家怎么看AGI",
            "简单来说AGI是什么",
            "贝索斯是谁",
            "What do people think about AGI?",
            "What does OpenAI think about AGI?",
        ] {
            assert!(analyze(q, &vocab(), &mut stats).speakers.is_empty(), "{q}");
        }
    }

    #[test]
    fn a_speaker_named_as_an_object_is_not_asked() {
        let mut stats = Fixed(HashMap::new(), 14);
        for q in ["这要归功于奥特曼的坚持", "给奥特曼带来最大惊喜的是什么", "奥特曼早年的创业经历"]
        {
            assert!(analyze(q, &vocab(), &mut stats).speakers.is_empty(), "{q}");
        }
        for q in ["奥特曼对算力的看法", "奥特曼的看法如何", "奥特曼说过什么", "奥特曼一直认为算力不够"]
        {
            assert_eq!(analyze(q, &vocab(), &mut stats).speakers, [7], "{q}");
        }
    }

    #[test]
    fn bigrams_across_two_words_of_the_question_are_split() {
        let mut stats = Fixed(HashMap::new(), 14);
        let q = analyze("明年会降价吗", &vocab(), &mut stats);
        let split: Vec<&str> = q.units.iter().filter(|u| u.split).map(|u| u.forms[0].as_str()).collect();
        assert_eq!(split, ["年会"]);
        let q = analyze("公司年会", &vocab(), &mut stats);
        assert!(!q.units.iter().any(|u| u.forms[0] == "年会" && u.split));
        // Nor is a split bigram found in stored text.
        let unit = Unit {
            forms: vec!["年会".into()],
            kind: UnitKind::Concept,
            weight: 1.0,
            weak: false,
            split: false,
            unknown: false,
        };
        assert!(!unit_occurs(&unit, "未来两三年会否出现"));
        assert!(unit_occurs(&unit, "公司年会 抽奖"));
    }

    #[test]
    fn synonyms_become_concepts() {
        let mut stats = Fixed(HashMap::from([("算力", 3)]), 14);
        let q = analyze("计算资源够吗", &vocab(), &mut stats);
        assert_eq!(q.units[0].kind, UnitKind::Concept);
        assert!(q.units[0].forms.contains(&"算力".to_string()));
        assert!(q.terms.iter().any(|(t, _)| t == "算力"));
    }

    #[test]
    fn unknown_terms_weigh_less_than_rare_ones() {
        assert_eq!(informativeness(0, 14), 1.0);
        assert_eq!(term_weight(0, 14), UNKNOWN_WEIGHT);
        assert!(term_weight(1, 14) > UNKNOWN_WEIGHT);
        assert!(informativeness(1, 14) > informativeness(7, 14));
        assert!(informativeness(13, 14) < 0.1);
        assert!(informativeness(10, 100_000) > 0.7);
    }

    #[test]
    fn links_join_words_across_scripts() {
        let mut stats = Fixed(HashMap::new(), 14);
        let q = analyze("微软为什么投资OpenAI?", &vocab(), &mut stats);
        assert_eq!(q.links, [["投资openai"]]);
        let q = analyze("GPT-6 会在亚马逊云上吗", &vocab(), &mut stats);
        assert!(q.links.is_empty(), "{:?}", q.links);
        let q = analyze("compute够不够", &vocab(), &mut stats);
        assert_eq!(q.links, [["compute够不"]]);
        // A concept's other Chinese forms spell the same link.
        let vocab = Vocabulary::new(&[(2, "投资".into()), (2, "押注".into()), (2, "invest".into())], &[]);
        let mut stats = Fixed(HashMap::from([("投资", 2)]), 14);
        let q = analyze("微软为何押注OpenAI", &vocab, &mut stats);
        assert_eq!(q.links, [["押注openai", "投资openai"]]);
    }

    #[test]
    fn traditional_question_reads_like_simplified() {
        let mut stats = Fixed(HashMap::new(), 14);
        let a = analyze("微軟當初為何押注OpenAI?", &vocab(), &mut stats);
        let b = analyze("微软当初为何押注openai", &vocab(), &mut stats);
        assert_eq!(forms(&a), forms(&b));
    }
}
