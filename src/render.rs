//! Turning answers into text: terminal, JSON, Telegram HTML. One place, so every front end cites
//! the same way.

use serde_json::{json, Value};

use crate::answer::Answer;
use crate::store::PairRecord;

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

/// The `ask --json` object (shape documented in README.md; fields may be added, never renamed).
pub fn json(answer: &Answer) -> Value {
    let matched = answer.matched.as_ref().map(|m| {
        json!({
            "pair_id": m.id,
            "interview": {"id": m.interview_id, "title": m.interview_title, "source": m.source, "date": m.date},
            "position": m.position,
            "question": m.question,
            "turns": m.turns.iter().map(|t| json!({"speaker": t.speaker, "text": t.text})).collect::<Vec<_>>(),
        })
    });
    json!({
        "query": answer.query,
        "answered": answer.answered,
        "confidence": round3(answer.confidence),
        "match": matched,
        "suggestions": answer.suggestions.iter().map(|s| json!({
            "pair_id": s.pair_id, "question": s.question, "confidence": round3(s.confidence)
        })).collect::<Vec<_>>(),
        "suggestions_are_examples": answer.examples,
    })
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
    out
}

/// An answer for the terminal, or the "no close answer" message with suggestions.
pub fn terminal(answer: &Answer) -> String {
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
        answer.query, answer.confidence
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
        .map(|s| format!("  [#{}] {} (confidence {:.2})\n", s.pair_id, s.question, s.confidence))
        .collect()
}

/// How a question was read and why the top candidates scored as they did (`ask --explain`).
pub fn explanation(ranking: &crate::search::Ranking, questions: &[(i64, String)]) -> String {
    use crate::search::query::UnitKind;
    let q = &ranking.query;
    let mut out = format!("normalised: {}\n", q.normalized);
    if !q.speakers.is_empty() {
        out.push_str(&format!("speakers named (ids): {:?}\n", q.speakers));
    }
    out.push_str("content units (weight):");
    for unit in &q.units {
        let tag = if unit.kind == UnitKind::Concept { "~" } else { "" };
        out.push_str(&format!(" {tag}{}({:.2})", unit.forms[0], unit.weight));
    }
    out.push_str("\ncandidates:\n");
    for s in ranking.ranked.iter().take(8) {
        let question = questions.iter().find(|(id, _)| *id == s.pair_id).map_or("", |(_, q)| q.as_str());
        let f = &s.features;
        out.push_str(&format!(
            "  #{:<4} score {:.3} conf {:.3} | cover {:.2} in-question {:.2} passage {:.2} sim {:.2} \
             speaker {:?} links {:.2} retrieval {:.2} | {}\n",
            s.pair_id,
            s.score,
            s.confidence,
            f.coverage,
            f.question_coverage,
            f.sentence,
            f.similarity,
            f.speaker_match,
            f.links,
            f.retrieval,
            shorten(question, 30)
        ));
    }
    out
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
/// each turn with the speaker in bold, the citation in italics. Long turns are split at paragraph,
/// then sentence boundaries, never inside a tag or a character.
pub fn telegram_pair(record: &PairRecord, confidence: Option<f64>) -> Vec<String> {
    telegram_pair_with_limit(record, confidence, TELEGRAM_LIMIT)
}

fn telegram_pair_with_limit(record: &PairRecord, confidence: Option<f64>, limit: usize) -> Vec<String> {
    // The question and citation are short in practice; split them like answers if they are not.
    let wrapped = |tag: &str, text: &str, room: usize| -> Vec<Block> {
        pieces(text, room.max(1)).iter().map(|p| Block::wrapped(tag, p)).collect()
    };
    let mut question = wrapped("i", &record.question, limit.saturating_sub(2));
    question[0] = Block::join(vec![Block::text("❓ "), std::mem::replace(&mut question[0], Block::text(""))]);
    let mut blocks = question;
    for turn in &record.turns {
        let header = Block::join(vec![Block::wrapped("b", &turn.speaker), Block::text(":")]);
        let mut pieces = pieces(&turn.text, limit.saturating_sub(header.visible + 2).max(1));
        let first = pieces.remove(0);
        blocks.push(Block::join(vec![header, Block::text("\n"), Block::text(&first)]));
        blocks.extend(pieces.iter().map(|p| Block::text(p)));
    }
    blocks.extend(wrapped("i", &format!("— {}", citation(record, confidence)), limit));
    pack(blocks, limit)
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

/// Split text into pieces of at most `limit` UTF-16 units: at paragraph breaks, else after
/// sentence ends (`。!?.!?` and full-width forms), else at a character boundary.
fn pieces(text: &str, limit: usize) -> Vec<String> {
    if utf16_len(text) <= limit {
        return vec![text.to_owned()];
    }
    let mut out: Vec<String> = Vec::new();
    for para in text.split('\n') {
        for (i, unit) in sentences_within(para, limit).into_iter().enumerate() {
            // Sentences of one paragraph join directly; paragraphs join with a line break.
            let sep = if i == 0 { "\n" } else { "" };
            match out.last_mut() {
                Some(last) if utf16_len(last) + sep.len() + utf16_len(&unit) <= limit => {
                    last.push_str(sep);
                    last.push_str(&unit);
                }
                _ => out.push(unit),
            }
        }
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// A paragraph as units of at most `limit`: whole if it fits, else sentence runs, else hard cuts.
fn sentences_within(para: &str, limit: usize) -> Vec<String> {
    if utf16_len(para) <= limit {
        return vec![para.to_owned()];
    }
    let mut sentences: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in para.chars() {
        current.push(c);
        if matches!(c, '。' | '!' | '?' | '.' | '\u{FF01}' | '\u{FF1F}' | '\u{FF0E}' | ';' | '\u{FF1B}') {
            sentences.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        sentences.push(current);
    }
    let mut out: Vec<String> = Vec::new();
    let mut chunk = String::new();
    for sentence in sentences {
        if utf16_len(&chunk) + utf16_len(&sentence) > limit && !chunk.is_empty() {
            out.push(std::mem::take(&mut chunk));
        }
        if utf16_len(&sentence) > limit {
            for c in sentence.chars() {
                if utf16_len(&chunk) + c.len_utf16() > limit {
                    out.push(std::mem::take(&mut chunk));
                }
                chunk.push(c);
            }
        } else {
            chunk.push_str(&sentence);
        }
    }
    if !chunk.is_empty() {
        out.push(chunk);
    }
    out
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

/// `text` cut to `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

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
        assert!(visible.iter().any(|v| v.ends_with("第一句话。第二句话。第三句话。")), "{visible:?}");
        assert!(visible.iter().any(|v| v == "第四句话。"), "{visible:?}");
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
