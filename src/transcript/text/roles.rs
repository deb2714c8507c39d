//! Which labels are speakers, who asks, and who `答:` is.

use super::*;

use std::collections::{HashMap, HashSet};

use super::frontmatter::FrontMatter;
use crate::transcript::{ascii_fold, names, Speaker};

/// Names the front matter (or the command line) declares, by label key → canonical name.
pub(super) struct Names {
    pub(super) canonical: HashMap<String, String>,
    pub(super) interviewer: HashSet<String>,
    pub(super) answerers: Vec<String>,
    /// `--answerer`: who answers when the file names no one.
    pub(super) answerer_fallback: Option<String>,
}

impl Names {
    pub(super) fn from_front_matter(fm: &FrontMatter, options: &ParseOptions) -> Names {
        let mut canonical = HashMap::new();
        let mut interviewer = HashSet::new();
        let mut add = |s: &Speaker| {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                canonical.insert(label_key(n), s.name.clone());
            }
        };
        fm.speakers.iter().for_each(&mut add);
        if let Some(s) = &fm.interviewer {
            add(s);
            interviewer.extend(std::iter::once(&s.name).chain(&s.aliases).map(|n| label_key(n)));
        }
        // `ANNA:` in a transcript whose front matter (or header) names Anna Weber is her.
        let declared: Vec<&Speaker> = fm.speakers.iter().chain(&fm.interviewer).collect();
        for (part, name) in name_parts(&declared) {
            if fm.interviewer.as_ref().is_some_and(|s| s.name == name) {
                interviewer.insert(part.clone());
            }
            canonical.entry(part).or_insert(name);
        }
        let answerers = fm.speakers.iter().map(|s| s.name.clone()).collect();
        Names { canonical, interviewer, answerers, answerer_fallback: options.answerer.clone() }
    }
}

/// The parts of declared names that a label may use alone (`anna` and `weber` of `Anna Weber`,
/// `杰克` of `杰克·李`), as label keys with the name they stand for. A part shared by two declared
/// people, or shorter than two characters, stands for nobody.
fn name_parts(declared: &[&Speaker]) -> Vec<(String, String)> {
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut shared: HashSet<String> = HashSet::new();
    for speaker in declared {
        let key = label_key(&speaker.name);
        let pieces: Vec<&str> =
            key.split(|c: char| c.is_whitespace() || matches!(c, '\u{B7}' | '\u{2022}' | '\u{30FB}' | '.')).collect();
        if pieces.len() < 2 {
            continue;
        }
        for piece in pieces.into_iter().filter(|p| p.chars().count() >= 2) {
            if parts.iter().any(|(p, n)| p == piece && *n != speaker.name) {
                shared.insert(piece.to_owned());
            }
            parts.push((piece.to_owned(), speaker.name.clone()));
        }
    }
    parts.retain(|(p, _)| !shared.contains(p));
    parts
}

/// Which labels are speakers, who asks, and who `答:` is.
pub(super) struct Roles {
    /// label key → canonical speaker name, for answering speakers.
    pub(super) answerers: HashMap<String, String>,
    /// label keys of the interviewer.
    pub(super) askers: HashSet<String>,
    /// A name for the interviewer when one was inferred from the labels.
    pub(super) interviewer_name: Option<String>,
    /// label key → key of the longer label it shortens (`rossi` → `elena rossi`).
    pub(super) same_as: HashMap<String, String>,
    /// Speaker labels in order of first appearance: (key, label as first written).
    pub(super) written: Vec<(String, String)>,
    /// Who `答:`/`A:` is, when the file uses such labels, with the other names the intro gives.
    pub(super) answer_role: Option<Speaker>,
}

/// How answering labels are used, to tell speakers from list items.
#[derive(Default)]
pub(super) struct LabelUsage {
    /// label key → the label as first written.
    written: HashMap<String, String>,
    /// Labels that open an answer (right after a question).
    opens: HashSet<String>,
    /// label key → the answers (by number) it appears in.
    answers_seen: HashMap<String, HashSet<usize>>,
    /// Labels seen at least once outside a list.
    outside_lists: HashSet<String>,
}

/// Labelled paragraphs: (line, label, text after the label).
type Labelled = Vec<(usize, String, String)>;

impl Roles {
    pub(super) fn detect(paras: &[Para], names: &Names, warnings: &mut Vec<Warning>) -> Roles {
        let labelled = labelled_paragraphs(paras);
        let first_label = speaker_labels(paras, &labelled, names);
        let mut roles = Roles {
            answerers: HashMap::new(),
            askers: HashSet::new(),
            interviewer_name: None,
            same_as: HashMap::new(),
            written: first_label.clone(),
            answer_role: None,
        };
        roles.assign(&first_label, paras, names);
        roles.merge_short_labels(&first_label);
        if roles.askers.is_empty() {
            roles.infer_interviewer(&labelled);
        }
        if let Some((line, label)) = roles.answer_role_used(&labelled) {
            let answerer = answerer_for(paras, names, line, &format!("`{label}:` turns"), warnings);
            for role in ANSWER_ROLES {
                roles.answerers.insert((*role).to_owned(), answerer.name.clone());
            }
            roles.answer_role = Some(answerer);
        }
        roles.drop_embedded_labels(paras, names);
        roles
    }

    /// Sort speaker labels into askers and answerers.
    fn assign(&mut self, first_label: &[(String, String)], paras: &[Para], names: &Names) {
        let texts: Vec<&str> = paras.iter().map(|p| p.text.as_str()).collect();
        for (key, label) in first_label {
            if names.interviewer.contains(key) || ASKER_ROLES.contains(&key.as_str()) {
                self.askers.insert(key.clone());
            } else if let Some(name) = asker_with_name(label).filter(|_| !names.canonical.contains_key(key)) {
                self.askers.insert(key.clone());
                self.interviewer_name.get_or_insert(name);
            } else if !ANSWER_ROLES.contains(&key.as_str()) {
                let name = names.canonical.get(key).cloned().unwrap_or_else(|| names::display_name(label, &texts));
                self.answerers.insert(key.clone(), name);
            }
        }
    }

    /// `答:` at the start of a paragraph, or after the question mark of an interviewer turn
    /// (`问:…?答:…`): its line and the label as written.
    fn answer_role_used(&self, labelled: &Labelled) -> Option<(usize, String)> {
        labelled.iter().find_map(|(line, label, rest)| {
            if ANSWER_ROLES.contains(&label_key(label).as_str()) {
                Some((*line, label.clone()))
            } else if self.askers.contains(&self.key(label)) {
                inline_answer_role(rest).map(|l| (*line, l))
            } else {
                None
            }
        })
    }

    /// The other labels of each answering speaker (`Per` for `Per Olav Lindqvist`, `J.M.`
    /// for `JANE MORROW`), as speakers with aliases.
    pub(super) fn aliases(&self) -> Vec<Speaker> {
        let mut out: Vec<Speaker> = Vec::new();
        let position = |key: &String| self.written.iter().position(|(k, _)| k == key);
        let mut shorts: Vec<(&String, &String)> = self.same_as.iter().collect();
        shorts.sort_by_key(|(short, long)| (position(long), position(short)));
        for (short, long) in shorts {
            let label = self.written.iter().find(|(k, _)| k == short).map(|(_, l)| l);
            let (Some(name), Some(label)) = (self.answerers.get(long), label) else { continue };
            let alias = names::display_name(label, &[]);
            match out.iter_mut().find(|s| &s.name == name) {
                Some(s) => s.aliases.push(alias),
                None => out.push(Speaker { name: name.clone(), aliases: vec![alias] }),
            }
        }
        out
    }

    /// The key a label stands for: its own, or that of the longer label it shortens.
    pub(super) fn key(&self, label: &str) -> String {
        let key = label_key(label);
        self.same_as.get(&key).cloned().unwrap_or(key)
    }

    /// `ROSSI:` after `ELENA ROSSI:`, `纳德拉:` after `萨提亚·纳德拉:`: a label made of some of the
    /// words of exactly one other speaker label is that speaker.
    pub(super) fn merge_short_labels(&mut self, labels: &[(String, String)]) {
        let keys: Vec<String> = self.answerers.keys().chain(&self.askers).cloned().collect();
        let key_refs: Vec<&String> = keys.iter().collect();
        let mut longer_of: HashMap<&String, Vec<&String>> = HashMap::new();
        for (long, shorts) in shortened_labels(&key_refs) {
            for short in shorts {
                longer_of.entry(short).or_default().push(long);
            }
        }
        // `J.M.` for `Jane Morrow`: initials are that speaker when only one label fits.
        for short in key_refs.iter().filter(|k| is_initials(k)) {
            for long in key_refs.iter().filter(|long| has_initials(long, short)) {
                longer_of.entry(short).or_default().push(long);
            }
        }
        for (short, label) in labels {
            let Some([long]) = longer_of.get(short).map(Vec::as_slice) else { continue };
            let name = self.answerers.get(*long).cloned();
            if self.answerers.get(short).is_some_and(|n| Some(n) != name.as_ref() && !n.eq_ignore_ascii_case(label)) {
                continue; // declared in front matter as someone else
            }
            self.answerers.remove(short);
            self.askers.remove(short);
            self.same_as.insert(short.clone(), (*long).clone());
        }
    }

    /// Without a role label, the interviewer is the speaker whose turns are mostly questions;
    /// among speakers who ask about as often, the one who speaks first.
    pub(super) fn infer_interviewer(&mut self, labelled: &[(usize, String, String)]) {
        // label key → (turns, asking turns, index of first turn)
        let mut stats: HashMap<String, (usize, usize, usize)> = HashMap::new();
        for (i, (_, label, rest)) in labelled.iter().enumerate() {
            let key = self.key(label);
            if self.answerers.contains_key(&key) {
                let entry = stats.entry(key).or_insert((0, 0, i));
                entry.0 += 1;
                let asks = ends_with_question(rest) || (rest.chars().count() <= 120 && fold_str(rest).contains('?'));
                if asks {
                    entry.1 += 1;
                }
            }
        }
        if stats.len() < 2 {
            return;
        }
        let percent = |&(turns, asks, _): &(usize, usize, usize)| asks * 100 / turns;
        let eligible: Vec<(&String, &(usize, usize, usize))> =
            stats.iter().filter(|(_, s)| s.0 >= 2 && percent(s) >= 60).collect();
        let Some(top) = eligible.iter().map(|(_, s)| percent(s)).max() else { return };
        let best = eligible.iter().filter(|(_, s)| percent(s) + 15 >= top).min_by_key(|(_, s)| s.2);
        if let Some((key, _)) = best {
            let key = (*key).clone();
            self.interviewer_name = self.answerers.remove(&key);
            self.askers.insert(key);
        }
    }

    /// A label that never opens an answer is a list item (`优势:` … `劣势:`), not a person, when
    /// it only ever appears inside one answer, or when it only ever follows a lead-in ending in a
    /// colon (`主要有两点:`) or another such item, or when it does not look like a name: an
    /// everyday Chinese word (`预算:`), or a mixed-case label where every speaker who opens an
    /// answer is labelled in capitals (`BAKER:` … `Budget:`). Front matter can declare any of them
    /// a speaker.
    pub(super) fn drop_embedded_labels(&mut self, paras: &[Para], names: &Names) {
        let usage = self.label_usage(paras);
        let LabelUsage { written, opens, answers_seen, outside_lists } = &usage;
        let openers: Vec<&String> =
            self.answerers.keys().filter(|k| opens.contains(*k) && !ANSWER_ROLES.contains(&k.as_str())).collect();
        let capitals =
            !openers.is_empty() && openers.iter().all(|k| written.get(*k).is_some_and(|l| names::is_all_caps(l)));
        let name_like = |key: &str| {
            let label = written.get(key).map_or(key, String::as_str);
            let everyday_word = label.chars().all(crate::text::is_han) && crate::text::is_common(label);
            let lower_case = capitals && label.chars().any(|c| c.is_ascii_lowercase());
            !everyday_word && !lower_case
        };
        let declared = |key: &str| names.canonical.contains_key(key) || names.interviewer.contains(key);
        let embedded: Vec<String> = self
            .answerers
            .keys()
            .filter(|k| !ANSWER_ROLES.contains(&k.as_str()) && !opens.contains(*k) && !declared(k))
            .filter(|k| {
                answers_seen.get(*k).is_some_and(|s| s.len() <= 1) || !outside_lists.contains(*k) || !name_like(k)
            })
            .cloned()
            .collect();
        for key in embedded {
            self.answerers.remove(&key);
        }
    }

    /// How each answering label is used across the paragraphs.
    fn label_usage(&self, paras: &[Para]) -> LabelUsage {
        let mut usage = LabelUsage::default();
        let LabelUsage { written, opens, answers_seen, outside_lists } = &mut usage;
        let mut answer_no = 0usize;
        let mut after_question = true;
        let mut previous: Option<&Para> = None;
        let mut previous_in_list = false;
        for p in paras {
            let mut in_list = false;
            let label = split_label(&p.text).map(|(l, _)| l);
            let key = label.as_ref().map(|l| self.key(l));
            if let (Some(label), Some(key)) = (label, &key) {
                written.entry(key.clone()).or_insert(label);
            }
            match key {
                Some(key) if self.askers.contains(&key) => {
                    answer_no += 1;
                    after_question = true;
                }
                Some(key) if self.answerers.contains_key(&key) => {
                    if after_question {
                        opens.insert(key.clone());
                    }
                    in_list = previous_in_list || previous.is_some_and(|q| is_lead_in(&q.text));
                    if !in_list {
                        outside_lists.insert(key.clone());
                    }
                    answers_seen.entry(key).or_default().insert(answer_no);
                    after_question = false;
                }
                _ if ends_with_question(&p.text) => {
                    answer_no += 1;
                    after_question = true;
                }
                _ => {}
            }
            previous = Some(p);
            previous_in_list = in_list;
        }
        usage
    }

    pub(super) fn classify(&self, text: &str) -> Kind {
        let Some((label, rest)) = split_label(text) else { return Kind::Plain };
        let key = self.key(&label);
        if self.askers.contains(&key) {
            Kind::Ask(rest)
        } else if let Some(name) = self.answerers.get(&key) {
            Kind::Answer(name.clone(), rest)
        } else {
            Kind::Plain
        }
    }
}

/// Paragraphs that start with a label: (line, label, text). A label alone on its line
/// (`**Lily:**`) takes the text of the next paragraph, so that its turn can be seen to ask;
/// not a question that the same label answers next (`**王五:**` / `…?` / `王五:…`): that label
/// heads a section (see `sections`).
fn labelled_paragraphs(paras: &[Para]) -> Labelled {
    let mut out = Vec::new();
    for (i, p) in paras.iter().enumerate().filter(|(_, p)| !p.heading) {
        let Some((label, rest)) = split_label(&p.text) else { continue };
        let answered_by_label = |n: &Para| {
            let after = paras.get(i + 2).and_then(|a| split_label(&a.text));
            ends_with_question(&n.text) && after.is_some_and(|(l, _)| label_key(&l) == label_key(&label))
        };
        let next =
            paras.get(i + 1).filter(|n| rest.is_empty() && split_label(&n.text).is_none() && !answered_by_label(n));
        out.push((p.line, label, next.map_or(rest, |n| n.text.clone())));
    }
    out
}

/// Label counts and the labels that are speakers, in order of first appearance (key, label as
/// first written).
fn speaker_labels(paras: &[Para], labelled: &Labelled, names: &Names) -> Vec<(String, String)> {
    // Occurrences count once per distinct text they introduce: a phrase with a colon is not a
    // speaker because the whole transcript appears twice in one file.
    let mut own_counts: HashMap<String, usize> = HashMap::new();
    let mut seen: HashSet<(String, &str)> = HashSet::new();
    for (_, label, text) in labelled {
        if seen.insert((label_key(label), text.as_str())) {
            *own_counts.entry(label_key(label)).or_default() += 1;
        }
    }
    // `山姆·奥特曼:` once and `奥特曼:` once is one speaker labelled twice.
    let mut counts = own_counts.clone();
    let own: Vec<&String> = own_counts.keys().collect();
    let mut variants: Vec<(&String, &String)> = Vec::new();
    for (long, shorts) in shortened_labels(&own) {
        variants.extend(shorts.into_iter().map(|short| (long, short)));
    }
    // `B.O.:` once and `BEN OKAFOR:` once, likewise.
    for short in own.iter().filter(|k| is_initials(k)) {
        variants.extend(own.iter().filter(|long| has_initials(long, short)).map(|long| (*long, *short)));
    }
    for (long, short) in variants {
        *counts.get_mut(long).expect("a key") += own_counts[short];
        *counts.get_mut(short).expect("a key") += own_counts[long];
    }
    // A label seen once still counts when it answers a question directly (a guest who speaks
    // once), provided it is short.
    let mut answers_question: HashSet<String> = HashSet::new();
    for pair in paras.windows(2) {
        if let Some((label, _)) = split_label(&pair[1].text) {
            if ends_with_question(&pair[0].text) && label.chars().count() <= 12 {
                answers_question.insert(label_key(&label));
            }
        }
    }
    let declared = |key: &str| names.canonical.contains_key(key) || names.interviewer.contains(key);
    let is_speaker = |key: &str, count: usize| {
        declared(key)
            || ASKER_ROLES.contains(&key)
            || ANSWER_ROLES.contains(&key)
            || ((count >= 2 || answers_question.contains(key))
                && !NOT_NAMES.contains(&key)
                && !names::is_list_label(key))
    };
    let mut first_label: Vec<(String, String)> = Vec::new();
    for (_, label, _) in labelled {
        let key = label_key(label);
        let speaks = is_speaker(&key, counts[&key]) || asker_with_name(label).is_some();
        if speaks && !first_label.iter().any(|(k, _)| *k == key) {
            first_label.push((key, label.clone()));
        }
    }
    first_label
}

/// Who answers when no label names them (`答:`, `A:`, unlabelled answers): the one answering
/// speaker in front matter, else `--answerer`, else the person the headline or intro says is
/// interviewed, else a neutral `受访者`/`Interviewee` with a warning at `line` saying how to name
/// them. `what` says what needed the name.
pub(super) fn answerer_for(
    paras: &[Para],
    names: &Names,
    line: usize,
    what: &str,
    warnings: &mut Vec<Warning>,
) -> Speaker {
    let named = |name: &String| Speaker { name: name.clone(), aliases: Vec::new() };
    if let [one] = names.answerers.as_slice() {
        return named(one);
    }
    if let Some(name) = &names.answerer_fallback {
        return named(name);
    }
    if names.answerers.is_empty() {
        let is_role_turn = |p: &Para| {
            split_label(&p.text).is_some_and(|(l, _)| {
                let key = label_key(&l);
                ASKER_ROLES.contains(&key.as_str()) || ANSWER_ROLES.contains(&key.as_str())
            })
        };
        let intro: Vec<&str> =
            paras.iter().take_while(|p| !is_role_turn(p)).take(12).map(|p| p.text.as_str()).collect();
        if let Some(name) = names::interviewee_in(&intro) {
            let aliases = names::nickname_of(&name, &intro).into_iter().collect();
            return Speaker { name, aliases };
        }
    }
    let han = paras.iter().take(20).flat_map(|p| p.text.chars()).filter(|&c| names::is_han(c)).count();
    let neutral = if han >= 10 { "受访者" } else { "Interviewee" };
    let why = if names.answerers.is_empty() {
        "neither the headline nor the intro names who is interviewed"
    } else {
        "front matter lists several speakers"
    };
    warnings.push(Warning {
        line,
        message: format!(
            "{what} need to know who answers, but {why}: attributed to `{neutral}`; to name them, \
             load with `--answerer NAME` or add front matter `speakers: NAME`"
        ),
    });
    named(&neutral.to_owned())
}

/// `问:…?答:…` on one line becomes two paragraphs.
pub(super) fn split_inline_answers(paras: Vec<Para>, roles: &Roles) -> Vec<Para> {
    let mut out = Vec::with_capacity(paras.len());
    for p in paras {
        let is_ask = matches!(roles.classify(&p.text), Kind::Ask(_));
        let split_at = is_ask.then(|| find_inline_answer(&p.text, roles)).flatten();
        match split_at {
            Some(pos) => {
                out.push(Para {
                    line: p.line,
                    text: p.text[..pos].trim().to_owned(),
                    heading: false,
                    bold: false,
                    section: None,
                });
                out.push(Para {
                    line: p.line,
                    text: p.text[pos..].trim().to_owned(),
                    heading: false,
                    bold: false,
                    section: None,
                });
            }
            None => out.push(p),
        }
    }
    out
}

/// Byte offset of an answer label that follows a question mark inside `text`.
pub(super) fn find_inline_answer(text: &str, roles: &Roles) -> Option<usize> {
    for (i, c) in text.char_indices() {
        if ascii_fold(c) != '?' {
            continue;
        }
        let after = i + c.len_utf8();
        let rest = &text[after..];
        let start = after + (rest.len() - rest.trim_start().len());
        if let Some((label, _)) = split_label(&text[start..]) {
            if roles.answerers.contains_key(&roles.key(&label)) {
                return Some(start);
            }
        }
    }
    None
}

/// An answer-role label (`答:`, `A:`) right after a question mark inside `text`, as written.
pub(super) fn inline_answer_role(text: &str) -> Option<String> {
    text.char_indices().filter(|&(_, c)| ascii_fold(c) == '?').find_map(|(i, c)| {
        let (label, _) = split_label(text[i + c.len_utf8()..].trim_start())?;
        ANSWER_ROLES.contains(&label_key(&label).as_str()).then_some(label)
    })
}

/// A speaker label with nothing after it must be followed by the text it introduces. An answer
/// label without text is left out with a warning; an interviewer label without text is kept (the
/// layout leaves out its pair and says so).
pub(super) fn drop_empty_labels(
    paras: Vec<Para>,
    kinds: Vec<Kind>,
    warnings: &mut Vec<Warning>,
) -> (Vec<Para>, Vec<Kind>) {
    let mut keep = vec![true; paras.len()];
    for (i, (p, kind)) in paras.iter().zip(&kinds).enumerate() {
        let Kind::Answer(_, rest) = kind else { continue };
        let text_follows = matches!(kinds.get(i + 1), Some(Kind::Plain)) && !paras[i + 1].heading;
        if !rest.is_empty() || text_follows {
            continue;
        }
        let label = split_label(&p.text).map(|(l, _)| l).unwrap_or_default();
        warnings.push(Warning {
            line: p.line,
            message: format!(
                "`{label}` has no text: expected the answer after the label, on the same line or the next; left out"
            ),
        });
        keep[i] = false;
    }
    let mut flags = keep.into_iter();
    paras.into_iter().zip(kinds).filter(|_| flags.next().unwrap_or(true)).unzip()
}

/// Paragraphs in parentheses after the last answer (`(本文根据录音整理…)`) are notes about the
/// interview, not part of the answer. Returns the rest and those notes.
pub(super) fn split_trailing_asides(mut paras: Vec<Para>, mut kinds: Vec<Kind>) -> (Vec<Para>, Vec<Kind>, Vec<String>) {
    let mut tail = paras.len();
    while tail > 1 && kinds[tail - 1] == Kind::Plain && is_aside(&paras[tail - 1].text) {
        tail -= 1;
    }
    let asides = paras.split_off(tail).into_iter().map(|p| p.text).collect();
    kinds.truncate(tail);
    (paras, kinds, asides)
}
