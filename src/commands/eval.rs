//! `qabot eval`: measure answer quality on a question file.
//!
//! The file is JSONL, one `{"question", "expected", "kind"}` per line (the format of the shared
//! evaluation set): `expected` is a substring of the one stored question that should come first,
//! or `null` when the right reply is "no close answer". Questions are not written to the query log.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Deserializer, Serialize};

use crate::answer;
use crate::store::Store;

/// One evaluation question.
#[derive(Debug, Clone)]
pub struct Item {
    /// What a person types.
    pub question: String,
    /// Substring of the expected pair's stored question; `None` when nothing should be answered.
    pub expected: Option<String>,
    /// Category, for the breakdown.
    pub kind: String,
}

/// The outcome for one question.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The question.
    pub question: String,
    /// What was expected.
    pub expected: Option<String>,
    /// Its category.
    pub kind: String,
    /// Whether the best pair reached the threshold.
    pub answered: bool,
    /// Confidence of the best pair.
    pub confidence: f64,
    /// The three best stored questions with their pair ids and confidences.
    pub top: Vec<(i64, String, f64)>,
    /// Right answer given (in scope), or correctly declined (out of scope).
    pub correct: bool,
    /// Expected pair among the top three (in scope only).
    pub top3: bool,
}

/// Totals for a group of outcomes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Questions.
    pub n: usize,
    /// In scope: answered with the expected pair. Out of scope: declined.
    pub correct: usize,
    /// In scope: expected pair in the top three.
    pub top3: usize,
    /// In scope: declined although a pair was expected.
    pub false_rejections: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The question file.
    pub file: String,
    /// Confidence threshold used.
    pub threshold: f64,
    /// Questions with an expected pair.
    pub in_scope: Tally,
    /// Questions that should be declined.
    pub out_of_scope: Tally,
    /// Per kind.
    pub kinds: BTreeMap<String, Tally>,
    /// Every question's outcome.
    pub items: Vec<Outcome>,
}

impl Report {
    /// In-scope top-1 accuracy.
    pub fn top1(&self) -> f64 {
        ratio(self.in_scope.correct, self.in_scope.n)
    }
    /// In-scope top-3 accuracy.
    pub fn top3(&self) -> f64 {
        ratio(self.in_scope.top3, self.in_scope.n)
    }
    /// Share of out-of-scope questions declined.
    pub fn rejection(&self) -> f64 {
        ratio(self.out_of_scope.correct, self.out_of_scope.n)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// `qabot eval`: evaluate a question file and print the report (text, or JSON).
pub fn run(store: &mut Store, file: &Path, json: bool, threshold: f64, out: &mut impl Write) -> Result<()> {
    let items = read_items(file)?;
    let report = evaluate(store, &file.display().to_string(), &items, threshold)?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", text(&report))?;
    }
    Ok(())
}

/// A line as written: `expected` must be there, even when it is `null`, so that a misspelt key
/// (`"expect"`) is not read as "should be declined".
#[derive(Deserialize)]
struct Line {
    question: String,
    #[serde(default, deserialize_with = "present")]
    expected: Option<Option<String>>,
    #[serde(default)]
    kind: String,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// What every line of a question file looks like, for error messages.
const LINE_FORMAT: &str =
    r#"each line is {"question": "…", "expected": "part of the stored question" or null, "kind": "…"}"#;

/// Read a question file. Errors name the file, line and column.
pub fn read_items(path: &Path) -> Result<Vec<Item>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), i + 1);
        let parsed: Line = match serde_json::from_str(line) {
            Ok(parsed) => parsed,
            Err(e) => {
                // serde_json counts lines within the one line it was given: keep only the column.
                let message = e.to_string();
                let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
                bail!("{at}:{}: {message}; {LINE_FORMAT}", e.column());
            }
        };
        let Some(expected) = parsed.expected else {
            bail!("{at}: no `expected` (use null for a question that should be declined); {LINE_FORMAT}");
        };
        items.push(Item { question: parsed.question, expected, kind: parsed.kind });
    }
    Ok(items)
}

/// Evaluate every item against the store.
pub fn evaluate(store: &mut Store, file: &str, items: &[Item], threshold: f64) -> Result<Report> {
    store.refresh()?;
    let mut report = Report {
        file: file.to_owned(),
        threshold,
        in_scope: Tally::default(),
        out_of_scope: Tally::default(),
        kinds: BTreeMap::new(),
        items: Vec::new(),
    };
    for item in items {
        let (answer, ranking) = answer::ask_ranked(store, &item.question, threshold)?;
        let answered = answer.answered;
        let mut top = Vec::new();
        for scored in ranking.ranked.iter().take(3) {
            let question = store.question(scored.pair_id)?.unwrap_or_default();
            top.push((scored.pair_id, question, scored.confidence));
        }
        let hit = |q: &(i64, String, f64)| item.expected.as_ref().is_some_and(|e| q.1.contains(e.as_str()));
        let (correct, top3) = match &item.expected {
            Some(_) => (answered && top.first().is_some_and(hit), top.iter().any(hit)),
            None => (!answered, false),
        };
        let tally = if item.expected.is_some() { &mut report.in_scope } else { &mut report.out_of_scope };
        for t in [tally, report.kinds.entry(item.kind.clone()).or_default()] {
            t.n += 1;
            t.correct += usize::from(correct);
            t.top3 += usize::from(top3);
            t.false_rejections += usize::from(item.expected.is_some() && !answered);
        }
        report.items.push(Outcome {
            question: item.question.clone(),
            expected: item.expected.clone(),
            kind: item.kind.clone(),
            answered,
            confidence: answer.confidence,
            top,
            correct,
            top3,
        });
    }
    Ok(report)
}

/// The human-readable report: misses, per-kind table, then three summary lines.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let misses: Vec<&Outcome> = report.items.iter().filter(|o| !o.correct).collect();
    if !misses.is_empty() {
        out.push_str("Misses:\n");
        for o in misses {
            let got = o
                .top
                .first()
                .map_or("(nothing)".to_owned(), |t| format!("\u{300C}{}\u{300D}", crate::text::shorten(&t.1, 37)));
            match &o.expected {
                Some(e) => out.push_str(&format!(
                    "  [{}] {}\n      expected \u{300C}{e}\u{300D}; got {got} ({:.2}, {})\n",
                    o.kind,
                    o.question,
                    o.confidence,
                    if o.answered { "answered" } else { "declined" }
                )),
                None => out.push_str(&format!(
                    "  [{}] {}\n      should decline; answered {got} ({:.2})\n",
                    o.kind, o.question, o.confidence
                )),
            }
        }
        out.push('\n');
    }
    out.push_str(&format!("{:<16}{:>4}{:>8}{:>8}{:>10}\n", "kind", "n", "right", "top-3", "declined"));
    for (kind, t) in &report.kinds {
        let in_scope = report.items.iter().any(|o| &o.kind == kind && o.expected.is_some());
        let top3 = if in_scope { format!("{}", t.top3) } else { "-".into() };
        let declined = if in_scope { t.false_rejections } else { t.correct };
        out.push_str(&format!("{kind:<16}{:>4}{:>8}{top3:>8}{declined:>10}\n", t.n, t.correct));
    }
    out.push('\n');
    let s = &report.in_scope;
    out.push_str(&format!(
        "in-scope: top-1 {:.3} ({}/{}), top-3 {:.3} ({}/{}), false rejections {}/{}\n",
        report.top1(),
        s.correct,
        s.n,
        report.top3(),
        s.top3,
        s.n,
        s.false_rejections,
        s.n
    ));
    let o = &report.out_of_scope;
    out.push_str(&format!("out-of-scope: declined {}/{} ({:.3})\n", o.correct, o.n, report.rejection()));
    let n = report.items.len();
    let questions = if n == 1 { "question" } else { "questions" };
    out.push_str(&format!("threshold {:.2} · {n} {questions} · {}\n", report.threshold, report.file));
    out
}
