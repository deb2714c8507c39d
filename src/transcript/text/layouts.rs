//! Layouts: turning classified paragraphs into a headline, notes and pairs.

use super::*;

use crate::transcript::{fold_str, Pair, Turn};

#[derive(Debug, Default)]
pub(super) struct Layout {
    pub(super) title: Option<String>,
    pub(super) notes: Vec<String>,
    pub(super) pairs: Vec<Pair>,
}

impl Layout {
    /// Paragraphs before the first question: the headline, then notes. Section headings are not
    /// notes.
    pub(super) fn front(&mut self, paras: &[&Para]) {
        for p in without_headings(paras, true) {
            if self.title.is_none() {
                self.title = Some(p.text.clone());
            } else {
                self.notes.push(p.text.clone());
            }
        }
    }
}

/// `paras` without Markdown headings and without heading-like lines at the end (those stand
/// right before a question). With `keep_first`, the first paragraph stays (it is the headline),
/// unless it is a label heading a section (`**王五：**`).
pub(super) fn without_headings<'a>(paras: &[&'a Para], keep_first: bool) -> Vec<&'a Para> {
    let headline = |p: &Para| !split_label(&p.text).is_some_and(|(_, rest)| rest.is_empty());
    let mut kept: Vec<&Para> = paras
        .iter()
        .enumerate()
        .filter(|&(i, p)| !p.heading || (keep_first && i == 0 && headline(p)))
        .map(|(_, p)| *p)
        .collect();
    let floor = usize::from(keep_first);
    while kept.len() > floor && kept.last().is_some_and(|p| is_heading(&p.text)) {
        kept.pop();
    }
    kept
}

pub(super) fn push_paragraph(target: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !target.is_empty() {
        target.push('\n');
    }
    target.push_str(text);
}

/// Add a turn, merging it into the previous one when the same speaker continues.
pub(super) fn push_turn(pair: &mut Pair, speaker: &str, text: &str) {
    match pair.turns.last_mut() {
        Some(last) if last.speaker == speaker => push_paragraph(&mut last.text, text),
        _ => pair.turns.push(Turn { speaker: speaker.to_owned(), text: text.to_owned() }),
    }
}

fn new_pair(question: &str, line: usize) -> Pair {
    Pair { question: question.to_owned(), alternates: Vec::new(), turns: Vec::new(), line: Some(line) }
}

/// Every turn labelled, the interviewer's too.
pub(super) fn labelled_layout(paras: &[Para], kinds: &[Kind], warnings: &mut Vec<Warning>) -> Layout {
    let mut layout = Layout::default();
    let first_ask = kinds.iter().position(|k| matches!(k, Kind::Ask(_))).unwrap_or(0);
    let front: Vec<&Para> = paras[..first_ask].iter().collect();
    layout.front(&front);
    let mut current: Option<Pair> = None;
    for (i, (p, kind)) in paras.iter().zip(kinds).enumerate().skip(first_ask) {
        match kind {
            // `Right.` from the host between two parts of one answer: not a new question.
            Kind::Ask(rest) if is_acknowledgement(rest) && continues_answer(current.as_ref(), kinds.get(i + 1)) => {}
            Kind::Ask(rest) => ask(&mut layout, &mut current, p, rest, warnings),
            Kind::Answer(speaker, rest) => {
                push_turn(current.as_mut().expect("layout starts at an interviewer turn"), speaker, rest)
            }
            Kind::Plain => {
                let pair = current.as_mut().expect("layout starts at an interviewer turn");
                plain_after_label(pair, p, matches!(kinds.get(i + 1), Some(Kind::Ask(_))));
            }
        }
    }
    if let Some(pair) = current {
        finish_labelled(&mut layout, pair, warnings);
    }
    layout
}

/// Words an interviewer says to show they listen (`Right.`, `Mm-hmm.`, `对。`, `嗯嗯，是的`),
/// compared lower-cased, one by one.
const ACKNOWLEDGEMENTS: &[&str] = &[
    "right",
    "yes",
    "yeah",
    "yep",
    "ok",
    "okay",
    "sure",
    "mm",
    "mmm",
    "hmm",
    "mm-hmm",
    "mhm",
    "uh-huh",
    "wow",
    "i see",
    "got it",
    "exactly",
    "indeed",
    "great",
    "interesting",
    "absolutely",
    "of course",
    "true",
    "totally",
    "oh",
    "ah",
    "对",
    "嗯",
    "是",
    "是的",
    "好",
    "好的",
    "哦",
    "噢",
    "啊",
    "哇",
    "没错",
    "明白",
    "确实",
    "有意思",
    "真的",
    "对的",
];

/// Whether `text` is nothing but acknowledgements (`Right, right.`, `嗯嗯，对对对。`).
pub(super) fn is_acknowledgement(text: &str) -> bool {
    if ends_with_question(text) {
        return false;
    }
    let lower = text.to_lowercase();
    let parts: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == ' '))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let known = |part: &str| {
        ACKNOWLEDGEMENTS.contains(&part)
            // `对对对`, `嗯嗯`: one Chinese acknowledgement repeated.
            || part.chars().next().is_some_and(|c| {
                ACKNOWLEDGEMENTS.contains(&c.to_string().as_str()) && part.chars().all(|d| d == c)
            })
    };
    !parts.is_empty() && parts.iter().all(|p| known(p))
}

/// Whether the next paragraph is another turn of whoever answers last in `current`.
fn continues_answer(current: Option<&Pair>, next: Option<&Kind>) -> bool {
    let last = current.and_then(|pair| pair.turns.last());
    matches!((last, next), (Some(turn), Some(Kind::Answer(speaker, _))) if &turn.speaker == speaker)
}

/// An interviewer turn: a new question, or the next paragraph of one still unanswered.
fn ask(layout: &mut Layout, current: &mut Option<Pair>, p: &Para, rest: &str, warnings: &mut Vec<Warning>) {
    match current.as_mut() {
        Some(pair) if pair.turns.is_empty() && !pair.question.is_empty() => match question_marker(&p.text) {
            // `问:` starts a new question each time: the one before draws no answer.
            Some(marker) => {
                warnings.push(Warning {
                    line: pair.line.unwrap_or(p.line),
                    message: format!(
                        "this question draws no answer: `{marker}:` on line {} starts another question; \
                         left out (expected an answer turn such as `答:`, `A:` or `Name: …` before it)",
                        p.line
                    ),
                });
                *current = Some(new_pair(rest, p.line));
            }
            None => push_paragraph(&mut pair.question, rest),
        },
        Some(pair) if pair.turns.is_empty() => push_paragraph(&mut pair.question, rest),
        _ => {
            if let Some(pair) = current.take() {
                close_pair(layout, pair, warnings);
            }
            *current = Some(new_pair(rest, p.line));
        }
    }
}

/// An unlabelled paragraph: a section heading (dropped), else more of the answer or question.
/// After a finished question in a section whose heading names a guest, it is that guest's answer.
fn plain_after_label(pair: &mut Pair, p: &Para, next_asks: bool) {
    let last_has_text = pair.turns.last().is_some_and(|t| !t.text.is_empty());
    if p.heading || (next_asks && last_has_text && is_caption_or_heading(&p.text)) {
        return;
    }
    match (pair.turns.last_mut(), &p.section) {
        (Some(turn), _) => push_paragraph(&mut turn.text, &p.text),
        (None, Some(guest)) if ends_with_question(&pair.question) => push_turn(pair, guest, &p.text),
        (None, _) => push_paragraph(&mut pair.question, &p.text),
    }
}

/// Keep an answered pair; an empty question is left out with a warning.
fn close_pair(layout: &mut Layout, pair: Pair, warnings: &mut Vec<Warning>) {
    if pair.question.trim().is_empty() {
        warnings.push(Warning {
            line: pair.line.unwrap_or(1),
            message: "the interviewer's label has no question text (expected the question after the label, \
                      on the same line or the next); its answer is left out"
                .to_owned(),
        });
    } else {
        layout.pairs.push(pair);
    }
}

/// The last interviewer turn: kept when answered, else left out with a warning.
fn finish_labelled(layout: &mut Layout, pair: Pair, warnings: &mut Vec<Warning>) {
    let line = pair.line.unwrap_or(1);
    if !pair.turns.is_empty() {
        close_pair(layout, pair, warnings);
    } else if fold_str(&pair.question).contains('?') {
        warnings.push(Warning {
            line,
            message: "this question draws no answer (expected an answer turn `Name: …` after it); left out".to_owned(),
        });
    } else {
        warnings.push(Warning {
            line,
            message: "the interviewer's last turn asks nothing and has no answer (a closing remark?); left out"
                .to_owned(),
        });
    }
}

/// Pages without labels: paragraphs bold as a whole are the questions, the plain paragraphs
/// after each one its answer, by the person the section's heading names, else by `answerer`. `None` unless at least two bold paragraphs read
/// like questions (not headings) and draw an answer.
pub(super) fn bold_layout(paras: &[Para], answerer: &str) -> Option<Layout> {
    let is_question = |i: usize| {
        let p = &paras[i];
        p.bold && !p.heading && !is_heading(&p.text) && paras.get(i + 1).is_some_and(|n| !n.bold)
    };
    let questions: Vec<usize> = (0..paras.len()).filter(|&i| is_question(i)).collect();
    if questions.len() < 2 {
        return None;
    }
    let mut layout = Layout::default();
    let front: Vec<&Para> = paras[..questions[0]].iter().collect();
    layout.front(&front);
    for (n, &q) in questions.iter().enumerate() {
        let end = questions.get(n + 1).copied().unwrap_or(paras.len());
        let mut pair = new_pair(&paras[q].text, paras[q].line);
        let answerer = paras[q].section.as_deref().unwrap_or(answerer);
        let answer = paras[q + 1..end].iter().filter(|p| !(p.heading || (p.bold && is_heading(&p.text))));
        answer.for_each(|p| push_turn(&mut pair, answerer, &p.text));
        if !pair.turns.is_empty() {
            layout.pairs.push(pair);
        }
    }
    Some(layout)
}

/// The label of an interviewer turn that marks a new question (`问:`, `Q:`), as written.
pub(super) fn question_marker(text: &str) -> Option<String> {
    split_label(text).map(|(label, _)| label).filter(|label| QUESTION_MARKERS.contains(&label_key(label).as_str()))
}

/// Right before the next question, after an answer: a section heading, or a caption that a
/// pasted page left between turns (`The club was founded in 1921`): up to 60
/// characters, not a sentence.
fn is_caption_or_heading(text: &str) -> bool {
    is_heading(text) || (text.chars().count() <= 60 && !ends_sentence(text) && !fold_str(text).contains([',', '。']))
}

/// Short line without closing punctuation: a section heading between exchanges.
pub(super) fn is_heading(text: &str) -> bool {
    text.chars().count() <= 30 && !ends_sentence(text) && !fold_str(text).contains(['。', ','])
}

/// Questions are unlabelled paragraphs ending in a question mark, right before an answer turn.
pub(super) fn bare_layout(paras: &[Para], kinds: &[Kind], warnings: &mut Vec<Warning>) -> Result<Layout, ParseError> {
    let lead = kinds.iter().take_while(|k| matches!(k, Kind::Answer(..))).count();
    if lead > 0 && lead < paras.len() {
        return answer_first(paras, kinds, lead, warnings);
    }
    let mut layout = Layout::default();
    if kinds.first().is_none_or(|k| matches!(k, Kind::Answer(..)))
        || !kinds.iter().any(|k| matches!(k, Kind::Answer(..)))
    {
        return Err(no_pairs_error(paras));
    }
    if let Some(error) = only_questions(paras, kinds) {
        return Err(error);
    }
    let mut current: Option<Pair> = None;
    let mut run: Vec<&Para> = Vec::new();
    for (p, kind) in paras.iter().zip(kinds) {
        let Kind::Answer(speaker, rest) = kind else {
            run.push(p);
            continue;
        };
        // A new question: the text before this turn ends in a question mark, or the same
        // speaker takes the floor again after unlabelled text (`请谈谈…。` / `张三:…` / `再说说
        //教育。` / `张三:…`): someone else spoke in between, and only the interviewer is unlabelled.
        let same_speaker_again = !run.is_empty()
            && current
                .as_ref()
                .and_then(|c| c.turns.last())
                .is_some_and(|t| &t.speaker == speaker && !t.text.is_empty());
        let starts_pair =
            current.is_none() || same_speaker_again || run.last().is_some_and(|q| ends_with_question(&q.text));
        if starts_pair {
            start_bare_pair(&mut layout, &mut current, &run);
        } else if let Some(pair) = current.as_mut() {
            run.iter().filter(|b| !b.heading).for_each(|b| continue_turn(pair, &b.text));
        }
        run.clear();
        let pair = current.as_mut().expect("a pair was started above");
        push_turn(pair, speaker, rest);
    }
    let mut pair = current.expect("there is at least one turn");
    if let Some(last) = run.pop_if(|last| ends_with_question(&last.text)) {
        warnings.push(Warning {
            line: last.line,
            message: "this question draws no answer (expected a `Name:` turn after it); left out".to_owned(),
        });
    }
    run.iter().filter(|b| !b.heading).for_each(|b| continue_turn(&mut pair, &b.text));
    layout.pairs.push(pair);
    Ok(layout)
}

/// Someone speaks before any question (a self-introduction): a note, not a pair.
fn answer_first(
    paras: &[Para],
    kinds: &[Kind],
    lead: usize,
    warnings: &mut Vec<Warning>,
) -> Result<Layout, ParseError> {
    warnings.push(Warning {
        line: paras[0].line,
        message: "the transcript starts with an answer before any question; kept as a note".to_owned(),
    });
    let mut layout = bare_layout(&paras[lead..], &kinds[lead..], warnings)?;
    let notes = paras[..lead].iter().map(|p| p.text.clone());
    let at = usize::from(layout.title.is_some()).min(layout.notes.len());
    layout.notes.splice(at..at, notes);
    Ok(layout)
}

/// Close the current pair (the unlabelled paragraphs of `run` before the question go to its last
/// turn, or to the front when there is none yet) and start one with the question in `run`.
fn start_bare_pair(layout: &mut Layout, current: &mut Option<Pair>, run: &[&Para]) {
    let previous_has_text = current.as_ref().is_none_or(|c| c.turns.iter().all(|t| !t.text.is_empty()));
    let keep = if previous_has_text { 0 } else { 1 };
    let (before, question) = run.split_at(question_start(run, keep));
    match current.as_mut() {
        None => layout.front(before),
        Some(pair) => {
            let (kept, rest) = before.split_at(keep.min(before.len()));
            kept.iter().chain(&without_headings(rest, false)).for_each(|b| continue_turn(pair, &b.text));
        }
    }
    layout.pairs.extend(current.take());
    let mut pair = new_pair("", question.first().map_or(1, |q| q.line));
    pair.line = question.first().map(|q| q.line);
    for q in question {
        push_paragraph(&mut pair.question, &q.text);
    }
    *current = Some(pair);
}

/// Index in `run` where the question block starts: the last paragraph, plus directly preceding
/// paragraphs that also end in a question mark; `keep` paragraphs stay with the previous turn.
pub(super) fn question_start(run: &[&Para], keep: usize) -> usize {
    let mut start = run.len().saturating_sub(1).max(keep.min(run.len()));
    while start > keep && ends_with_question(&run[start - 1].text) && !run[start - 1].heading {
        start -= 1;
    }
    start
}

pub(super) fn continue_turn(pair: &mut Pair, text: &str) {
    if let Some(turn) = pair.turns.last_mut() {
        push_paragraph(&mut turn.text, text);
    }
}

/// Every labelled turn is a question (`Kate: How long…?` `Kate: What is…?`): the labels are the
/// interviewer's, and nothing answers. Storing the headline as the question and the questions as
/// its answer would cite the interviewer for words they asked.
fn only_questions(paras: &[Para], kinds: &[Kind]) -> Option<ParseError> {
    let turns: Vec<(&Para, &str, &str)> = paras
        .iter()
        .zip(kinds)
        .filter_map(|(p, k)| match k {
            Kind::Answer(speaker, rest) => Some((p, speaker.as_str(), rest.as_str())),
            _ => None,
        })
        .collect();
    if turns.iter().any(|(_, _, text)| !ends_with_question(text)) {
        return None;
    }
    let mut who: Vec<&str> = Vec::new();
    for (_, speaker, _) in &turns {
        if !who.contains(speaker) {
            who.push(speaker);
        }
    }
    let lines: Vec<String> = turns.iter().take(5).map(|t| t.0.line.to_string()).collect();
    Some(ParseError::at(
        turns[0].0.line,
        format!(
            "no question/answer pairs found: every labelled turn is a question ({} by `{}`, lines {}{}) and \
             nothing answers them; expected answer turns (`Name: …`) after the questions",
            turns.len(),
            who.join("`, `"),
            lines.join(", "),
            if turns.len() > 5 { ", …" } else { "" }
        ),
    ))
}

/// The labelled layout found questions but no answer to any of them (`问:` lines only).
pub(super) fn unanswered_error(paras: &[Para], kinds: &[Kind]) -> ParseError {
    let asks: Vec<usize> =
        paras.iter().zip(kinds).filter(|(_, k)| matches!(k, Kind::Ask(_))).map(|(p, _)| p.line).collect();
    let Some(&first) = asks.first() else { return no_pairs_error(paras) };
    let lines: Vec<String> = asks.iter().take(5).map(usize::to_string).collect();
    ParseError::at(
        first,
        format!(
            "no question/answer pairs found: {} question(s) (lines {}{}) and no answer after any of them; \
             expected an answer turn (`答:`, `A:` or `Name: …`) after each question",
            asks.len(),
            lines.join(", "),
            if asks.len() > 5 { ", …" } else { "" }
        ),
    )
}

pub(super) fn no_pairs_error(paras: &[Para]) -> ParseError {
    let line = paras.first().map_or(1, |p| p.line);
    ParseError::at(
        line,
        "no question/answer pairs found: expected question paragraphs followed by `Name: answer` \
         turns (a speaker label must recur, or be listed under `speakers:` in front matter), or \
         `问:`/`答:` (`Q:`/`A:`) lines",
    )
}
