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

use super::embed::load_model;
use crate::answer::{self, Semantic};
use crate::search::Ranking;
use crate::store::Store;

/// One evaluation question.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// What a person types.
    pub question: String,
    /// Substring of the expected pair's stored question; `None` when nothing should be answered.
    pub expected: Option<String>,
    /// Category, for the breakdown.
    pub kind: String,
    /// The interview the question is about (for leave-one-interview-out fitting).
    #[serde(default)]
    pub interview: Option<String>,
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
    /// The best pair is the expected one, answered or not (what the confidence estimates).
    pub best_right: bool,
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
    /// Sum of the best pair's confidence (see [`Tally::mean_confidence`]).
    pub confidence_sum: f64,
    /// Questions whose best pair is the right answer, answered or not (none when out of scope).
    pub best_right: usize,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        self.n += 1;
        self.correct += usize::from(o.correct);
        self.top3 += usize::from(o.top3);
        self.false_rejections += usize::from(o.expected.is_some() && !o.answered);
        self.confidence_sum += o.confidence;
        self.best_right += usize::from(o.best_right);
    }

    /// Mean confidence in the best pair: with a calibrated confidence, close to
    /// [`Tally::best_accuracy`].
    pub fn mean_confidence(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.confidence_sum / self.n as f64
        }
    }

    /// Share of questions whose best pair is the right answer.
    pub fn best_accuracy(&self) -> f64 {
        ratio(self.best_right, self.n)
    }
}

/// Questions whose best pair's confidence falls in one range, and how often it was right.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Bin {
    /// Lower end of the range (inclusive).
    pub from: f64,
    /// Upper end (exclusive, except 1).
    pub to: f64,
    /// Questions.
    pub n: usize,
    /// Mean confidence.
    pub mean_confidence: f64,
    /// Share whose best pair was the right answer.
    pub accuracy: f64,
}

/// Confidence bins of [`Report::calibration`].
pub const BINS: [f64; 6] = [0.0, 0.2, 0.4, 0.5, 0.6, 0.8];

/// Calibration table: for each confidence range, mean confidence against accuracy.
pub fn calibration(items: &[Outcome]) -> Vec<Bin> {
    let mut bins: Vec<Bin> = BINS
        .iter()
        .enumerate()
        .map(|(i, &from)| Bin { from, to: BINS.get(i + 1).copied().unwrap_or(1.0), ..Bin::default() })
        .collect();
    for o in items {
        let i = BINS.iter().rposition(|&from| o.confidence >= from).unwrap_or(0);
        let bin = &mut bins[i];
        bin.n += 1;
        bin.mean_confidence += o.confidence;
        bin.accuracy += f64::from(u8::from(o.best_right));
    }
    for bin in &mut bins {
        if bin.n > 0 {
            bin.mean_confidence /= bin.n as f64;
            bin.accuracy /= bin.n as f64;
        }
    }
    bins
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
    /// Mean confidence against accuracy of the best pair, by confidence range.
    pub calibration: Vec<Bin>,
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

/// `qabot eval`: evaluate a question file and print the report (text, or JSON). With a model
/// (`--model`, `$QABOT_MODEL` or `qabot model`), questions are matched by meaning too.
pub fn run(
    store: &mut Store,
    model: Option<&Path>,
    file: &Path,
    json: bool,
    threshold: f64,
    out: &mut impl Write,
) -> Result<()> {
    run_with_samples(store, model, file, json, threshold, None, out)
}

/// A judged question with everything the calibration fits on (see `examples/calibrate.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    /// The question.
    pub item: Item,
    /// Every candidate with its features, best first.
    pub ranked: Vec<crate::search::Scored>,
    /// The question and corpus as a whole.
    pub context: crate::search::Context,
    /// Candidates that are the expected pair.
    pub right: Vec<i64>,
    /// Stored questions of the candidates.
    pub questions: BTreeMap<i64, String>,
}

/// [`run`], also writing one [`Sample`] per question as JSON Lines to `samples` (`--samples`).
pub fn run_with_samples(
    store: &mut Store,
    model: Option<&Path>,
    file: &Path,
    json: bool,
    threshold: f64,
    samples: Option<&Path>,
    out: &mut impl Write,
) -> Result<()> {
    let items = read_items(file)?;
    warn_unmatched(store, file, &items, &mut std::io::stderr())?;
    let mut semantic = load_model(store, model)?.map(Semantic::new);
    if let Some(path) = samples {
        write_samples(store, semantic.as_mut(), &items, threshold, path)?;
    }
    let report = evaluate(store, semantic.as_mut(), &file.display().to_string(), &items, threshold)?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", text(&report))?;
    }
    Ok(())
}

/// Say which `expected` texts no stored question contains: a misspelt key, or an interview that
/// is not loaded. They still count (as misses), so that a file that failed to load lowers the
/// figures instead of stopping the run.
pub fn warn_unmatched(store: &Store, file: &Path, items: &[Item], err: &mut impl Write) -> Result<()> {
    let mut unmatched = Vec::new();
    for expected in items.iter().filter_map(|i| i.expected.as_deref()) {
        if !store.some_question_contains(expected)? && !unmatched.contains(&expected) {
            unmatched.push(expected);
        }
    }
    if let Some(first) = unmatched.first() {
        let more = if unmatched.len() > 1 { format!(" and {} more", unmatched.len() - 1) } else { String::new() };
        writeln!(
            err,
            "warning: {}: no stored question contains the expected `{first}`{more}: those questions count as \
             misses (a misspelt `expected`, or an interview that is not loaded)",
            file.display()
        )?;
    }
    Ok(())
}

/// Judge every item and write its [`Sample`] to `path`.
fn write_samples(
    store: &mut Store,
    mut semantic: Option<&mut Semantic>,
    items: &[Item],
    threshold: f64,
    path: &Path,
) -> Result<()> {
    let mut out = String::new();
    for item in items {
        let (_, ranking, expected) = judge(store, semantic.as_deref_mut(), item, threshold)?;
        let right = ranking.ranked.iter().zip(&expected).filter(|(_, &e)| e).map(|(s, _)| s.pair_id).collect();
        let mut questions = BTreeMap::new();
        for s in &ranking.ranked {
            questions.insert(s.pair_id, store.question(s.pair_id)?.unwrap_or_default());
        }
        let sample = Sample { item: item.clone(), ranked: ranking.ranked, context: ranking.context, right, questions };
        out.push_str(&serde_json::to_string(&sample)?);
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

/// A line as written: `expected` must be there, even when it is `null`, so that a misspelt key
/// (`"expect"`) is not read as "should be declined".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    question: String,
    #[serde(default, deserialize_with = "present")]
    expected: Option<Option<String>>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    interview: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// What every line of a question file looks like, for error messages.
const LINE_FORMAT: &str = r#"each line is {"question": "…", "expected": "part of the stored question" or null, "kind": "…"} (optionally "interview": "…")"#;

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
        items.push(Item { question: parsed.question, expected, kind: parsed.kind, interview: parsed.interview });
    }
    Ok(items)
}

/// Evaluate every item against the store.
pub fn evaluate(
    store: &mut Store,
    mut semantic: Option<&mut Semantic>,
    file: &str,
    items: &[Item],
    threshold: f64,
) -> Result<Report> {
    store.refresh()?;
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        outcomes.push(judge(store, semantic.as_deref_mut(), item, threshold)?.0);
    }
    Ok(report(file, threshold, outcomes))
}

/// Ask one item's question and judge the reply; also returns the ranking and, per ranked pair,
/// whether it is the expected one (what `examples/calibrate.rs` fits on).
pub fn judge(
    store: &mut Store,
    semantic: Option<&mut Semantic>,
    item: &Item,
    threshold: f64,
) -> Result<(Outcome, Ranking, Vec<bool>)> {
    let (answer, ranking) = answer::ask_hybrid(store, semantic, &item.question, threshold)?;
    let mut expected = Vec::with_capacity(ranking.ranked.len());
    let mut top = Vec::new();
    for scored in &ranking.ranked {
        let question = store.question(scored.pair_id)?.unwrap_or_default();
        expected.push(item.expected.as_ref().is_some_and(|e| question.contains(e.as_str())));
        if top.len() < 3 {
            top.push((scored.pair_id, question, scored.confidence));
        }
    }
    let best_right = expected.first().copied().unwrap_or(false);
    let (correct, top3) = match &item.expected {
        Some(_) => (answer.answered && best_right, expected.iter().take(3).any(|&e| e)),
        None => (!answer.answered, false),
    };
    let outcome = Outcome {
        question: item.question.clone(),
        expected: item.expected.clone(),
        kind: item.kind.clone(),
        answered: answer.answered,
        confidence: answer.confidence,
        top,
        correct,
        top3,
        best_right,
    };
    Ok((outcome, ranking, expected))
}

/// Totals, per kind and calibration bins for judged outcomes.
pub fn report(file: &str, threshold: f64, items: Vec<Outcome>) -> Report {
    let mut in_scope = Tally::default();
    let mut out_of_scope = Tally::default();
    let mut kinds: BTreeMap<String, Tally> = BTreeMap::new();
    for o in &items {
        let tally = if o.expected.is_some() { &mut in_scope } else { &mut out_of_scope };
        tally.add(o);
        kinds.entry(o.kind.clone()).or_default().add(o);
    }
    Report { file: file.to_owned(), threshold, in_scope, out_of_scope, kinds, calibration: calibration(&items), items }
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
    out.push_str(&summary(report));
    out
}

/// The report without the list of misses: per-kind table, calibration table, summary lines.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&kinds_table(report));
    out.push('\n');
    out.push_str(&calibration_table(&report.calibration));
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

/// Per kind: questions, answered right (in scope) or declined (out of scope), top-3, false
/// declines, and the best pair's mean confidence beside how often it was right.
fn kinds_table(report: &Report) -> String {
    let mut out = format!(
        "{:<16}{:>4}{:>7}{:>7}{:>10}{:>8}{:>8}{:>8}\n",
        "kind", "n", "top-1", "top-3", "declined", "false", "conf", "right"
    );
    for (kind, t) in &report.kinds {
        let in_scope = report.items.iter().any(|o| &o.kind == kind && o.expected.is_some());
        let dash = || "-".to_owned();
        let (top1, top3, declined, false_declined) = if in_scope {
            (t.correct.to_string(), t.top3.to_string(), dash(), t.false_rejections.to_string())
        } else {
            (dash(), dash(), t.correct.to_string(), dash())
        };
        out.push_str(&format!(
            "{kind:<16}{:>4}{top1:>7}{top3:>7}{declined:>10}{false_declined:>8}{:>8.2}{:>8.2}\n",
            t.n,
            t.mean_confidence(),
            t.best_accuracy()
        ));
    }
    out
}

/// Calibration: per confidence range, how many questions, their mean confidence and how often the
/// best pair was right. A calibrated confidence has the two close.
fn calibration_table(bins: &[Bin]) -> String {
    let mut out = format!("{:<12}{:>4}{:>8}{:>8}\n", "confidence", "n", "mean", "right");
    for bin in bins.iter().filter(|b| b.n > 0) {
        let range = format!("{:.1}-{:.1}", bin.from, bin.to);
        out.push_str(&format!("{range:<12}{:>4}{:>8.2}{:>8.2}\n", bin.n, bin.mean_confidence, bin.accuracy));
    }
    out
}
