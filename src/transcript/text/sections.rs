//! Section headings that read like speaker labels.
//!
//! A panel transcript may start each guest's section with the guest's name alone on a line
//! (`**王五：**`), then the host's questions, then that guest's answers. Such a line looks exactly
//! like a label whose text follows on the next line (`**Jenny:**` / `她的回答…`); what tells them
//! apart is what comes next. A label line with no text of its own is a **heading**, not a turn,
//! when what follows is not that person's words but:
//! - an interviewer turn (`主持人：…`, `**Lily:**`);
//! - another speaker's label, unless the line stands right after a question (there it is an
//!   answer without text, left out with a warning as before);
//! - on a page without interviewer labels, a question in the page's own form: a bold question
//!   on a page whose questions are bold and whose answers are unlabelled, or an unlabelled
//!   paragraph ending in a question mark that the named person answers next.
//!
//! Only a label that names someone (a speaker, or a label shaped like a name) can be a heading,
//! and it sets who answers in its section: unlabelled answers up to the next such heading are
//! theirs. A Markdown heading made of a label alone (`## 王五：`) names its section the same way.

use super::*;

use crate::transcript::names;

/// Mark the label lines that head a section (they become headings, not turns) and record on
/// every paragraph whom the section it stands in names as the answerer.
pub(super) fn mark_section_headings(paras: &mut [Para], kinds: &mut [Kind], roles: &Roles) {
    let page = Page::of(paras, kinds);
    let texts: Vec<String> = paras.iter().take(20).map(|p| p.text.clone()).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut section: Option<String> = None;
    for i in 0..paras.len() {
        // Only a label naming someone heads a section: `以下为实录：` before the first turn is a
        // lead-in, kept as it was.
        let named = lone_label(&paras[i], roles).and_then(|label| match roles.classify(&paras[i].text) {
            Kind::Answer(name, _) => Some(name),
            _ => person_like(&label).then(|| names::display_name(&label, &texts)),
        });
        if let Some(named) = named {
            if paras[i].heading || heads_section(paras, kinds, i, &named, &page) {
                paras[i].heading = true;
                kinds[i] = Kind::Plain;
                section = Some(named);
            }
        }
        paras[i].section = section.clone();
    }
}

/// How the page marks its questions and answers.
struct Page {
    /// Some turns are labelled as the interviewer's.
    labelled_asks: bool,
    /// No interviewer labels and no labelled answers: bold paragraphs are the questions.
    bold_questions: bool,
}

impl Page {
    fn of(paras: &[Para], kinds: &[Kind]) -> Page {
        let labelled_asks = kinds.iter().any(|k| matches!(k, Kind::Ask(_)));
        // A label alone before a bold paragraph may be a heading itself: it labels no answer.
        let labels_an_answer = |i: usize| match &kinds[i] {
            Kind::Answer(_, rest) => !rest.is_empty() || paras.get(i + 1).is_some_and(|n| !n.bold),
            _ => false,
        };
        let bold_questions = !labelled_asks && !(0..kinds.len()).any(labels_an_answer);
        Page { labelled_asks, bold_questions }
    }
}

/// The label of a line that is a label and nothing else (`王五：`), unless it is the
/// interviewer's or an answer role (`答：` alone is an answer without text).
fn lone_label(p: &Para, roles: &Roles) -> Option<String> {
    let (label, rest) = split_label(&p.text)?;
    let key = label_key(&label);
    let role = ASKER_ROLES.contains(&key.as_str()) || ANSWER_ROLES.contains(&key.as_str());
    let asks = matches!(roles.classify(&p.text), Kind::Ask(_)) || asker_with_name(&label).is_some();
    (rest.is_empty() && !role && !asks).then_some(label)
}

/// Whether the lone label at `i` (naming `named`) is followed by a question or another label
/// rather than by that person's words.
fn heads_section(paras: &[Para], kinds: &[Kind], i: usize, named: &str, page: &Page) -> bool {
    let Some(next) = (i + 1..paras.len()).find(|&j| !paras[j].heading) else { return false };
    match &kinds[next] {
        Kind::Ask(_) => true,
        Kind::Answer(..) => !awaits_answer(paras, kinds, i),
        Kind::Plain if page.labelled_asks => false,
        Kind::Plain if page.bold_questions => paras[next].bold && !is_heading(&paras[next].text),
        Kind::Plain => {
            let answered_by_named = matches!(kinds.get(next + 1), Some(Kind::Answer(who, _)) if who == named);
            ends_with_question(&paras[next].text) && answered_by_named
        }
    }
}

/// Whether the paragraph before `i` (headings aside) is a question still waiting for its answer.
fn awaits_answer(paras: &[Para], kinds: &[Kind], i: usize) -> bool {
    let Some(prev) = (0..i).rev().find(|&j| !paras[j].heading) else { return false };
    match &kinds[prev] {
        Kind::Ask(_) => true,
        Kind::Plain => ends_with_question(&paras[prev].text),
        Kind::Answer(..) => false,
    }
}

/// Whether a label that is not a speaker could still be a person's name: two to four Han
/// characters (more with a name dot: `山姆·李`) or one to four capitalised Latin words, and not a
/// discourse word (`背景：`, `总结：`), a list head (`第一步：`) or an everyday Chinese word (`预算：`).
fn person_like(label: &str) -> bool {
    let key = label_key(label);
    let dotted = label.contains('\u{B7}');
    let han = label.chars().all(|c| crate::text::is_han(c) || c == '\u{B7}')
        && (if dotted { 3..=16 } else { 2..=4 }).contains(&label.chars().count());
    let words: Vec<&str> = label.split_whitespace().collect();
    let latin = (1..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.starts_with(|c: char| c.is_ascii_uppercase()) && w.chars().all(|c| c.is_alphabetic() || "-'.".contains(c))
        });
    let everyday = !dotted && han && crate::text::is_common(label);
    (han || latin) && !everyday && !NOT_NAMES.contains(&key.as_str()) && !names::is_list_label(&key)
}
