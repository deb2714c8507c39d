//! Turning answers into text: terminal, JSON, Telegram HTML. One place, so every front end cites
//! the same way.

use serde::Serialize;
use serde_json::Value;

use crate::answer::Answer;
use crate::store::PairRecord;
use crate::text::sentences;
/// Re-exported for callers that cut text where they render it.
pub use crate::text::shorten;

/// Telegram's limit on a message, in UTF-16 code units of the text after entity parsing.
pub const TELEGRAM_LIMIT: usize = 4096;

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The citation line: where the answer comes from and how sure the match is.
pub fn citation(record: &PairRecord, confidence: Option<f64>) -> String {
    let mut line = format!("{} · question {} (pair #{})", record.interview_title, record.position, record.id);
    if let Some(date) = &record.date {
        line.push_str(&format!(" · {date}"));
    }
    if let Some(c) = confidence {
        line.push_str(&format!(" · confidence {c:.2}"));
    }
    line
}

/// The `ask --json` object (shape documented in README.md and `ask --help`, both from these
/// types; fields may be added, never renamed).
#[derive(Serialize)]
struct JsonAnswer<'a> {
    /// The question as matched: its first [`crate::answer::MAX_QUESTION_CHARS`] characters.
    query: String,
    answered: bool,
    confidence: f64,
    #[serde(rename = "match")]
    matched: Option<JsonMatch<'a>>,
    suggestions: Vec<JsonSuggestion<'a>>,
    suggestions_are_examples: bool,
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    pair_id: i64,
    interview: JsonInterview<'a>,
    position: i64,
    question: &'a str,
    turns: Vec<JsonTurn<'a>>,
}

#[derive(Serialize)]
struct JsonInterview<'a> {
    id: i64,
    title: &'a str,
    source: Option<&'a str>,
    date: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonTurn<'a> {
    speaker: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonSuggestion<'a> {
    pair_id: i64,
    question: &'a str,
    confidence: f64,
}

impl<'a> JsonAnswer<'a> {
    fn new(answer: &'a Answer) -> JsonAnswer<'a> {
        let matched = answer.matched.as_ref().map(|m| JsonMatch {
            pair_id: m.id,
            interview: JsonInterview {
                id: m.interview_id,
                title: &m.interview_title,
                source: m.source.as_deref(),
                date: m.date.as_deref(),
            },
            position: m.position,
            question: &m.question,
            turns: m.turns.iter().map(|t| JsonTurn { speaker: &t.speaker, text: &t.text }).collect(),
        });
        JsonAnswer {
            query: answer.query.chars().take(crate::answer::MAX_QUESTION_CHARS).collect(),
            answered: answer.answered,
            confidence: round3(answer.confidence),
            matched,
            suggestions: answer
                .suggestions
                .iter()
                .map(|s| JsonSuggestion { pair_id: s.pair_id, question: &s.question, confidence: round3(s.confidence) })
                .collect(),
            suggestions_are_examples: answer.examples,
        }
    }
}

/// The `ask --json` object for `answer`.
pub fn json(answer: &Answer) -> Value {
    serde_json::to_value(JsonAnswer::new(answer)).expect("plain data serialises")
}

/// The shape of the `ask --json` object, field names only (`{"query", …, "match": {…}}`), made
/// from the same types as the output so the help cannot fall behind it.
pub fn json_shape() -> String {
    let turn = JsonTurn { speaker: "", text: "" };
    let sample = JsonAnswer {
        query: String::new(),
        answered: true,
        confidence: 0.0,
        matched: Some(JsonMatch {
            pair_id: 0,
            interview: JsonInterview { id: 0, title: "", source: None, date: None },
            position: 0,
            question: "",
            turns: vec![turn],
        }),
        suggestions: vec![JsonSuggestion { pair_id: 0, question: "", confidence: 0.0 }],
        suggestions_are_examples: false,
    };
    shape(&serde_json::to_value(sample).expect("plain data serialises"))
}

fn shape(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(key, v)| match v {
                    Value::Object(_) | Value::Array(_) => format!("\"{key}\": {}", shape(v)),
                    _ => format!("\"{key}\""),
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.first().map(shape).unwrap_or_default()),
        _ => String::new(),
    }
}

/// A pair for the terminal: question, each turn under its speaker, citation.
pub fn terminal_pair(record: &PairRecord, confidence: Option<f64>) -> String {
    let mut out = format!("Q: {}\n", record.question);
    for turn in &record.turns {
        out.push_str(&format!("\n{}:\n", turn.speaker));
        for para in turn.text.split('\n') {
            out.push_str(&format!("  {para}\n"));
        }
    }
    out.push_str(&format!("\n— {}\n", citation(record, confidence)));
    terminal_safe(&out)
}

/// An answer for the terminal, or the "no close answer" message with suggestions.
pub fn terminal(answer: &Answer) -> String {
    terminal_safe(&terminal_unescaped(answer))
}

/// `text` safe to print on a terminal: control characters other than line breaks and tabs (an
/// escape sequence could retitle the window, clear the screen or fake output) and bidi controls
/// (which reorder what is shown) are written as visible `\u{…}` escapes. Loading removes them from
/// names and titles already; this covers whatever arrives by other ways (SQL edits, questions).
pub fn terminal_safe(text: &str) -> String {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn terminal_unescaped(answer: &Answer) -> String {
    if let Some(record) = &answer.matched {
        let mut out = terminal_pair(record, Some(answer.confidence));
        if !answer.suggestions.is_empty() {
            out.push_str("\nSee also:\n");
            out.push_str(&suggestion_lines(answer));
        }
        return out;
    }
    let mut out = format!(
        "No stored answer is close enough to \"{}\" (best confidence {:.2}).\n",
        shorten(&answer.query, ECHO_CHARS),
        answer.confidence
    );
    if answer.suggestions.is_empty() {
        out.push_str("Nothing in the loaded interviews resembles it.\n");
    } else if answer.examples {
        out.push_str("Nothing in the loaded interviews resembles it. Questions they do answer:\n");
        out.push_str(&suggestion_lines(answer));
    } else {
        out.push_str("Closest questions:\n");
        out.push_str(&suggestion_lines(answer));
    }
    out
}

fn suggestion_lines(answer: &Answer) -> String {
    answer
        .suggestions
        .iter()
        .map(|s| {
            // Examples are not matches: a confidence of 0.00 beside each would only puzzle.
            if answer.examples {
                format!("  [#{}] {}\n", s.pair_id, s.question)
            } else {
                format!("  [#{}] {} (confidence {:.2})\n", s.pair_id, s.question, s.confidence)
            }
        })
        .collect()
}

/// How a question was read and why the top candidates scored as they did (`ask --explain`).
pub fn explanation(ranking: &crate::search::Ranking, questions: &[(i64, String)]) -> String {
    let q = ranking.reading();
    let mut out = format!("normalised: {}\n", q.normalized);
    if !q.speakers.is_empty() {
        let ids: Vec<String> = q.speakers.iter().map(|id| format!("#{id}")).collect();
        out.push_str(&format!("asks for the words of speaker {}\n", ids.join(", ")));
    }
    if q.outside_speaker {
        out.push_str("asks for the view of someone who speaks in no interview\n");
    }
    out.push_str("content units (weight; ~ a synonym group):");
    for unit in &q.units {
        let tag = if unit.concept { "~" } else { "" };
        out.push_str(&format!(" {tag}{}({:.2})", unit.text, unit.weight));
    }
    out.push_str("\ncandidates:\n");
    for s in ranking.ranked.iter().take(8) {
        let question = questions.iter().find(|(id, _)| *id == s.pair_id).map_or("", |(_, q)| q.as_str());
        let f = &s.features;
        out.push_str(&format!(
            "  #{:<4} score {:.3} conf {:.3} | cover {:.2} in-question {:.2} passage {:.2} sim {:.2} \
             speaker {} links {:.2} retrieval {:.2} | {}\n",
            s.pair_id,
            s.score,
            s.confidence,
            f.coverage,
            f.question_coverage,
            f.sentence,
            f.similarity,
            f.speaker_match.map_or("-".to_owned(), |x| format!("{x:.2}")),
            f.links,
            f.retrieval,
            shorten(question, 30)
        ));
        if let Some(meaning) = meaning_line(f) {
            out.push_str(&meaning);
        }
    }
    out
}

/// The similarities by meaning of a candidate, when the ranking had them (a model was given):
/// to its passage, its stored question and the nearest chunk of its answer.
fn meaning_line(f: &crate::search::Features) -> Option<String> {
    let dense = f.dense?;
    let show = |x: Option<f64>| x.map_or("-".to_owned(), |x| format!("{x:.3}"));
    let script = if f.cross_script { " (other script)" } else { "" };
    Some(format!(
        "        meaning: passage {dense:.3} question {} answer {}{script}\n",
        show(f.dense_question),
        show(f.dense_answer)
    ))
}

/// Escape text for Telegram HTML (`<`, `>`, `&`; quotes too, so text is safe in attributes).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A piece of a Telegram message: its HTML and the length Telegram counts (visible UTF-16 units).
struct Block {
    html: String,
    visible: usize,
}

impl Block {
    fn text(text: &str) -> Block {
        Block { html: escape_html(text), visible: utf16_len(text) }
    }

    fn wrapped(tag: &str, text: &str) -> Block {
        Block { html: format!("<{tag}>{}</{tag}>", escape_html(text)), visible: utf16_len(text) }
    }

    fn join(parts: Vec<Block>) -> Block {
        Block { html: parts.iter().map(|b| b.html.as_str()).collect(), visible: parts.iter().map(|b| b.visible).sum() }
    }
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// A pair as Telegram HTML messages, each within [`TELEGRAM_LIMIT`]: the quoted stored question,
/// each turn with the speaker in bold, the citation in italics. Messages are filled in order (the
/// first holds the question and the start of the answer); a turn goes on in the next message at a
/// line break or sentence end, and a sentence longer than a message is cut after a space or clause
/// mark, else between characters; never inside a tag or a character.
pub fn telegram_pair(record: &PairRecord, confidence: Option<f64>) -> Vec<String> {
    telegram_pair_with_limit(record, confidence, TELEGRAM_LIMIT)
}

fn telegram_pair_with_limit(record: &PairRecord, confidence: Option<f64>, limit: usize) -> Vec<String> {
    let mut layout = Layout::new(limit);
    layout.push("", &Block::text("❓ "));
    // Cut rather than leave "❓" alone in a message.
    layout.flow("", &record.question, Some("i"), true);
    for (i, turn) in record.turns.iter().enumerate() {
        let header = Block::join(vec![Block::wrapped("b", &shorten(&turn.speaker, SPEAKER_CHARS)), Block::text(":")]);
        let first = turn.text.split('\n').next().and_then(|p| sentences(p).first().copied()).unwrap_or("");
        let first = utf16_len(first);
        let before = layout.sep_len("\n\n") + header.visible + 1;
        let room = layout.room();
        let here = if i == 0 {
            // The first turn starts next to the question whenever a little of it fits there (its
            // first sentence is cut if need be): a first message holding only the question says
            // nothing, and it is all an inline result shows.
            before + first.min(MIN_CUT) <= room
        } else {
            // Later turns start in a new message rather than cut their first sentence, unless it
            // is cut anyway (longer than a message).
            before + first <= room || (header.visible + 1 + first > limit && before + MIN_CUT <= room)
        };
        if !here {
            layout.new_message();
        }
        layout.push("\n\n", &header);
        layout.flow("\n", &turn.text, None, i == 0);
    }
    let cite = format!("— {}", citation(record, confidence));
    if utf16_len(&cite) <= limit {
        layout.block("\n\n", &Block::wrapped("i", &cite));
    } else {
        layout.flow("\n\n", &cite, Some("i"), false);
    }
    layout.finish()
}

/// When a turn's first sentence is cut (longer than a message, or the first turn), at least this
/// much of it goes next to the turn's header, else the turn starts in a new message.
const MIN_CUT: usize = 32;
/// Longest speaker name shown in a turn header, in characters.
const SPEAKER_CHARS: usize = 200;

/// Messages being filled in order, each within `limit` visible UTF-16 units.
struct Layout {
    limit: usize,
    messages: Vec<String>,
    html: String,
    visible: usize,
}

/// Text being placed in the current message (plain; escaped and wrapped when flushed), and the
/// separator before it when the message already holds something.
struct Run<'a> {
    sep: &'a str,
    text: String,
    len: usize,
}

impl Run<'_> {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
        self.len += utf16_len(text);
    }
}

impl Layout {
    fn new(limit: usize) -> Layout {
        Layout { limit, messages: Vec::new(), html: String::new(), visible: 0 }
    }

    /// Units left in the current message.
    fn room(&self) -> usize {
        self.limit.saturating_sub(self.visible)
    }

    /// Length of `sep` before the next thing in the current message (none at its start).
    fn sep_len(&self, sep: &str) -> usize {
        if self.html.is_empty() {
            0
        } else {
            utf16_len(sep)
        }
    }

    fn new_message(&mut self) {
        if !self.html.is_empty() {
            self.messages.push(std::mem::take(&mut self.html));
            self.visible = 0;
        }
    }

    /// Append `block` after `sep` (no separator at the start of a message).
    fn push(&mut self, sep: &str, block: &Block) {
        if !self.html.is_empty() {
            self.html.push_str(sep);
            self.visible += utf16_len(sep);
        }
        self.html.push_str(&block.html);
        self.visible += block.visible;
    }

    /// Append `block` whole: here if it fits, else at the start of a new message.
    fn block(&mut self, sep: &str, block: &Block) {
        if self.sep_len(sep) + block.visible > self.room() {
            self.new_message();
        }
        self.push(sep, block);
    }

    /// Append plain `text` after `sep`, going on in new messages as needed, each message's part
    /// wrapped in `tag` (if any). Paragraphs keep their line breaks; a paragraph split between
    /// messages simply goes on in the next one. Sentences are kept whole when they fit in a
    /// message (`cut_first`: except the first, which fills what is left of this one).
    fn flow(&mut self, sep: &str, text: &str, tag: Option<&str>, cut_first: bool) {
        let mut run = Run { sep, text: String::new(), len: 0 };
        let mut cut = cut_first;
        for (p, para) in text.split('\n').enumerate() {
            let lead = if p == 0 { "" } else { "\n" };
            let units = sentences(para);
            if units.is_empty() {
                // An empty line is kept (except at the start of a message).
                self.place(&mut run, lead, "", tag, false);
            }
            for (s, unit) in units.into_iter().enumerate() {
                self.place(&mut run, if s == 0 { lead } else { "" }, unit, tag, std::mem::take(&mut cut));
            }
        }
        self.flush(&mut run, tag);
    }

    /// Units left for the run.
    fn avail(&self, run: &Run) -> usize {
        self.room().saturating_sub(self.sep_len(run.sep) + run.len)
    }

    /// Put the run into the current message.
    fn flush(&mut self, run: &mut Run, tag: Option<&str>) {
        if !run.text.is_empty() {
            let block = match tag {
                Some(tag) => Block::wrapped(tag, &run.text),
                None => Block::text(&run.text),
            };
            self.push(run.sep, &block);
        }
        run.text.clear();
        run.len = 0;
    }

    fn place(&mut self, run: &mut Run, lead: &str, unit: &str, tag: Option<&str>, cut: bool) {
        // A line break at the start of a message is the message break itself.
        let lead = if run.text.is_empty() { "" } else { lead };
        let len = utf16_len(unit);
        if utf16_len(lead) + len <= self.avail(run) {
            run.push(lead);
            run.push(unit);
            return;
        }
        if len <= self.limit && !cut {
            self.flush(run, tag);
            self.new_message();
            run.push(unit);
            return;
        }
        // Cut: fill this message, go on in the next ones.
        if utf16_len(lead) < self.avail(run) {
            run.push(lead);
        }
        let mut rest = unit;
        while !rest.is_empty() {
            let avail = self.avail(run);
            if utf16_len(rest) <= avail {
                run.push(rest);
                break;
            }
            let mut at = cut_point(rest, avail);
            if at == 0 && run.text.is_empty() && self.html.is_empty() {
                // Not one character fits in an empty message (a limit below 2): take one anyway.
                at = rest.chars().next().map_or(rest.len(), char::len_utf8);
            }
            run.push(&rest[..at]);
            rest = &rest[at..];
            self.flush(run, tag);
            self.new_message();
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.new_message();
        self.messages
    }
}

/// Where to cut `text` to fit `room` UTF-16 units (a byte offset on a character boundary): after
/// the last space or clause mark (,、:;) in the part that fits, unless that wastes more than
/// half of it; else after the last character that fits.
fn cut_point(text: &str, room: usize) -> usize {
    let (mut end, mut end_units, mut soft, mut soft_units) = (0, 0, 0, 0);
    for (i, c) in text.char_indices() {
        if end_units + c.len_utf16() > room {
            break;
        }
        end = i + c.len_utf8();
        end_units += c.len_utf16();
        if c.is_whitespace() || matches!(c, '\u{FF0C}' | '\u{3001}' | '\u{FF1A}' | '\u{FF1B}') {
            (soft, soft_units) = (end, end_units);
        }
    }
    if soft > 0 && soft_units * 2 >= end_units {
        soft
    } else {
        end
    }
}

/// A pair as one Telegram HTML message within [`TELEGRAM_LIMIT`] (inline results carry exactly
/// one message): like [`telegram_pair`] when that fits in one message, else its first message,
/// then `note` (plain text, e.g. where to read the rest) and the citation.
pub fn telegram_pair_single(record: &PairRecord, confidence: Option<f64>, note: &str) -> String {
    let mut messages = telegram_pair(record, confidence);
    if messages.len() == 1 {
        return messages.remove(0);
    }
    let tail = vec![Block::text(note), Block::wrapped("i", &format!("— {}", citation(record, confidence)))];
    let room = tail.iter().map(|b| b.visible + 2).sum::<usize>();
    let mut first = telegram_pair_with_limit(record, confidence, TELEGRAM_LIMIT.saturating_sub(room)).remove(0);
    for block in tail {
        first.push_str("\n\n");
        first.push_str(&block.html);
    }
    first
}

/// Pack well-formed HTML blocks (list entries, each well within the limit) into as few Telegram
/// messages as possible, blocks separated by blank lines, none over [`TELEGRAM_LIMIT`].
pub fn telegram_pack(blocks: &[String]) -> Vec<String> {
    let blocks = blocks
        .iter()
        .map(|html| Block {
            visible: utf16_len(&telegram_visible_text(html).unwrap_or_else(|| html.clone())),
            html: html.clone(),
        })
        .collect();
    pack(blocks, TELEGRAM_LIMIT)
}

/// Pack blocks into messages separated by blank lines, none over `limit` visible units.
fn pack(blocks: Vec<Block>, limit: usize) -> Vec<String> {
    let mut messages = Vec::new();
    let mut html = String::new();
    let mut visible = 0;
    for block in blocks {
        let sep = if html.is_empty() { 0 } else { 2 };
        if visible + sep + block.visible > limit && !html.is_empty() {
            messages.push(std::mem::take(&mut html));
            visible = 0;
        }
        if !html.is_empty() {
            html.push_str("\n\n");
            visible += 2;
        }
        html.push_str(&block.html);
        visible += block.visible;
    }
    if !html.is_empty() {
        messages.push(html);
    }
    messages
}

/// The "no close answer" message (suggestion buttons are added by the bot).
pub fn telegram_no_answer(answer: &Answer) -> String {
    let mut out = format!(
        "没有足够接近的答案(置信度 {:.2})。\nNo stored answer is close enough to <i>{}</i>.",
        answer.confidence,
        escape_html(&shorten(&answer.query, ECHO_CHARS))
    );
    if answer.examples {
        out.push_str("\n\n可以问这些 / Questions I can answer:");
    } else if !answer.suggestions.is_empty() {
        out.push_str("\n\n你是不是想问 / Did you mean:");
    }
    out
}

/// How much of a question is quoted back: enough to recognise it, never enough to overflow a
/// message.
const ECHO_CHARS: usize = 200;

/// What Telegram would display for an HTML message: tags removed, entities decoded. Used to check
/// lengths and well-formedness; returns `None` for malformed HTML (unclosed or unknown tags).
pub fn telegram_visible_text(html: &str) -> Option<String> {
    let mut out = String::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>')?;
                let tag = &rest[1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    if stack.pop().as_deref() != Some(name) {
                        return None;
                    }
                } else {
                    let name = tag.split_whitespace().next()?;
                    if !["b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"].contains(&name) {
                        return None;
                    }
                    stack.push(name.to_owned());
                }
                rest = &rest[end + 1..];
            }
            '&' => {
                let end = rest.find(';')?;
                out.push(match &rest[..=end] {
                    "&lt;" => '<',
                    "&gt;" => '>',
                    "&amp;" => '&',
                    "&quot;" => '"',
                    _ => return None,
                });
                rest = &rest[end + 1..];
            }
            '>' => return None,
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    stack.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TurnRecord;

    fn record(turn_text: &str) -> PairRecord {
        PairRecord {
            id: 7,
            interview_id: 1,
            interview_title: "T <&>".into(),
            source: None,
            date: None,
            position: 3,
            question: "Q <b>?".into(),
            turns: vec![TurnRecord { speaker: "甲 & 乙".into(), text: turn_text.into() }],
        }
    }

    #[test]
    fn the_explanation_shows_meaning_only_when_the_ranking_had_it() {
        use crate::search::Features;
        assert_eq!(meaning_line(&Features::default()), None, "words alone: no meaning line");
        let f = Features { dense: Some(0.9), dense_answer: Some(0.95), cross_script: true, ..Features::default() };
        assert_eq!(
            meaning_line(&f).unwrap(),
            "        meaning: passage 0.900 question - answer 0.950 (other script)\n"
        );
    }

    #[test]
    fn hostile_text_is_escaped() {
        let messages = telegram_pair(&record("<b>bold</b> & co"), Some(0.9));
        assert_eq!(messages.len(), 1);
        let visible = telegram_visible_text(&messages[0]).unwrap();
        assert!(visible.contains("<b>bold</b> & co"));
        assert!(visible.contains("甲 & 乙:"));
        assert!(messages[0].contains("<b>甲 &amp; 乙</b>"));
    }

    #[test]
    fn long_answers_split_within_the_limit() {
        let sentence = "这是一个很长的句子,用来测试分段。";
        let para = sentence.repeat(40);
        let text = vec![para; 12].join("\n") + &"😀".repeat(3000);
        let messages = telegram_pair(&record(&text), Some(0.9));
        assert!(messages.len() > 2);
        let mut total = String::new();
        for m in &messages {
            let visible = telegram_visible_text(m).expect("well-formed HTML");
            assert!(utf16_len(&visible) <= TELEGRAM_LIMIT, "{}", utf16_len(&visible));
            total.push_str(&visible);
        }
        assert_eq!(total.matches("😀").count(), 3000);
        assert_eq!(total.matches(sentence).count(), 480);
    }

    #[test]
    fn small_limits_split_at_sentences() {
        let messages = telegram_pair_with_limit(&record("第一句话。第二句话。第三句话。第四句话。"), None, 24);
        let visible: Vec<String> = messages.iter().map(|m| telegram_visible_text(m).unwrap()).collect();
        assert!(visible.iter().all(|v| utf16_len(v) <= 24), "{visible:?}");
        assert_eq!(visible[0], "❓ Q <b>?\n\n甲 & 乙:\n第一句话。", "{visible:?}");
        assert!(visible[1].starts_with("第二句话。第三句话。第四句话。"), "{visible:?}");
    }

    #[test]
    fn single_message_keeps_the_citation() {
        let short = record("很短的回答。");
        assert_eq!(telegram_pair_single(&short, Some(0.9), "…"), telegram_pair(&short, Some(0.9))[0]);
        let long = record(&"这是一个很长的句子,用来测试分段。".repeat(600));
        let single = telegram_pair_single(&long, Some(0.9), "(continued)");
        let visible = telegram_visible_text(&single).expect("well-formed HTML");
        assert!(utf16_len(&visible) <= TELEGRAM_LIMIT, "{}", utf16_len(&visible));
        assert!(visible.starts_with("❓ Q <b>?"), "{visible}");
        assert!(visible.ends_with("(continued)\n\n— T <&> · question 3 (pair #7) · confidence 0.90"), "{visible}");
    }

    fn visible_messages(messages: &[String]) -> Vec<String> {
        messages
            .iter()
            .map(|m| {
                let v = telegram_visible_text(m).unwrap_or_else(|| panic!("malformed HTML: {m}"));
                assert!(utf16_len(&v) <= TELEGRAM_LIMIT, "{}", utf16_len(&v));
                v
            })
            .collect()
    }

    #[test]
    fn the_first_message_holds_the_question_and_the_start_of_a_long_answer() {
        let sentence = "这是一个很长的回答里的一句话,用来测试第一条消息。";
        let mut long = record(&sentence.repeat(6000 / sentence.chars().count() + 1));
        long.question = "请问".repeat(60);
        let visible = visible_messages(&telegram_pair(&long, Some(0.9)));
        assert!(visible.len() >= 2);
        assert!(visible[0].starts_with(&format!("❓ {}\n\n甲 & 乙:\n{sentence}", long.question)), "{}", visible[0]);
        assert!(
            utf16_len(&visible[0]) > TELEGRAM_LIMIT - 100,
            "the first message is filled: {}",
            utf16_len(&visible[0])
        );

        let single = telegram_pair_single(&long, Some(0.9), "(continued)");
        let single = telegram_visible_text(&single).expect("well-formed HTML");
        assert!(utf16_len(&single) <= TELEGRAM_LIMIT);
        assert!(single.matches(sentence).count() > 50, "the inline result carries the answer: {single}");
        assert!(single.ends_with("(continued)\n\n— T <&> · question 3 (pair #7) · confidence 0.90"), "{single}");
    }

    #[test]
    fn ascii_periods_end_sentences_only_before_whitespace() {
        let text = "GPT-3.5 came from openai.com, e.g. in 2023. It was fine! Really? Yes. ".repeat(8);
        for limit in 40..90 {
            let visible: Vec<String> = visible_parts(text.trim_end(), limit);
            assert!(visible.iter().all(|v| utf16_len(v) <= limit), "{limit}: {visible:?}");
            // Counted message by message: a split inside a word shows as a missing word.
            let count = |word: &str| visible.iter().map(|v| v.matches(word).count()).sum::<usize>();
            assert_eq!(count("GPT-3.5"), 8, "{limit}: {visible:?}");
            assert_eq!(count("openai.com"), 8, "{limit}: {visible:?}");
        }
    }

    /// The text a user sees in each message of a one-turn pair split at `limit`.
    fn visible_parts(text: &str, limit: usize) -> Vec<String> {
        telegram_pair_with_limit(&record(text), None, limit).iter().map(|m| telegram_visible_text(m).unwrap()).collect()
    }

    #[test]
    fn closing_quotes_and_brackets_stay_with_their_sentence() {
        let text = "他说\u{FF1A}\u{201C}今天很好。\u{201D}我们走吧\u{FF01}\u{FF08}注释。\u{FF09}「好的\u{FF1F}」\"对。\"『行\u{FF01}』《书。》".repeat(6);
        for limit in 20..60 {
            let visible: Vec<String> = visible_parts(&text, limit);
            for v in &visible {
                assert!(utf16_len(v) <= limit, "{limit}: {visible:?}");
                let first = v.chars().next().unwrap();
                assert!(!"\u{201D}\u{300D}\u{300F})\u{FF09}\u{300B}\"'".contains(first), "{limit}: {visible:?}");
            }
        }
    }

    #[test]
    fn a_paragraph_continues_in_the_next_message_without_a_blank_line() {
        let text = "第一句话比较长一点。第二句。".repeat(30);
        for limit in 24..120 {
            let visible: Vec<String> = visible_parts(&text, limit);
            assert!(visible.concat().contains(&text), "{limit}: {visible:?}");
        }
    }

    #[test]
    fn every_layout_keeps_all_text_in_order_within_the_limit() {
        let texts = [
            "短。".to_owned(),
            format!("{}\n\n{}", "Hello there, world. ".repeat(20), "😀a".repeat(90)),
            format!("<b>&amp;</b> {}\n{}", "很长很长没有标点的句子".repeat(40), "x".repeat(300)),
            "\n\n开头是空行。结尾也是。\n\n".to_owned(),
            String::new(),
        ];
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        for text in &texts {
            let mut pair = record(text);
            pair.turns.push(TurnRecord { speaker: "丙".into(), text: text.clone() });
            for limit in (30..400).step_by(7) {
                let messages = telegram_pair_with_limit(&pair, Some(0.5), limit);
                let visible: Vec<String> = messages
                    .iter()
                    .map(|m| telegram_visible_text(m).unwrap_or_else(|| panic!("malformed: {m}")))
                    .collect();
                assert!(visible.iter().all(|v| utf16_len(v) <= limit && !v.trim().is_empty()), "{limit}: {visible:?}");
                let expected = format!("❓ Q <b>?甲 & 乙:{text}丙:{text}— {}", citation(&pair, Some(0.5)));
                assert_eq!(squeeze(&visible.concat()), squeeze(&expected), "{limit}: {visible:?}");
            }
        }
    }

    #[test]
    fn pack_fills_messages_up_to_the_limit() {
        let blocks: Vec<String> = (0..300).map(|i| format!("<b>{i}</b> {} &amp;", "字".repeat(40))).collect();
        let messages = telegram_pack(&blocks);
        assert!(messages.len() > 1);
        let visible: Vec<String> = messages.iter().map(|m| telegram_visible_text(m).unwrap()).collect();
        assert!(visible.iter().all(|v| utf16_len(v) <= TELEGRAM_LIMIT));
        assert!(
            visible[..visible.len() - 1].iter().all(|v| utf16_len(v) > TELEGRAM_LIMIT - 100),
            "messages are filled"
        );
        assert_eq!(visible.iter().map(|v| v.matches('&').count()).sum::<usize>(), 300);
        assert!(telegram_pack(&[]).is_empty());
    }

    #[test]
    fn the_no_answer_message_stays_short_whatever_was_asked() {
        let answer = Answer {
            query: "问".repeat(5000),
            normalized: String::new(),
            answered: false,
            confidence: 0.1,
            matched: None,
            best_pair: None,
            suggestions: vec![],
            examples: false,
        };
        let html = telegram_no_answer(&answer);
        assert!(utf16_len(&telegram_visible_text(&html).unwrap()) < 400);
    }

    #[test]
    fn visible_text_rejects_broken_html() {
        assert_eq!(telegram_visible_text("<b>x</b> &amp;"), Some("x &".into()));
        assert_eq!(telegram_visible_text("<b>x"), None);
        assert_eq!(telegram_visible_text("<script>"), None);
        assert_eq!(telegram_visible_text("a > b"), None);
    }
}
