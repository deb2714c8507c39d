//! Confidence as a probability: a logistic model over what the ranker knows about a pair (how much
//! of the question it covers, how far it leads the runner-up, how much of the question the corpus
//! has never seen, how large the corpus is, …) estimates the chance that the pair is the right
//! answer. Its coefficients are data ([`shipped`], `data/calibration.json`), fitted on labelled
//! questions by `examples/calibrate.rs`, one model for ranking with a sentence-embedding model and
//! one without.

use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// Names of the signals the lexical-only model reads, in [`Signals::values`] order.
pub const LEXICAL_SIGNALS: &[&str] = &[
    "evidence",
    "coverage",
    "question_coverage",
    "sentence",
    "similarity",
    "margin",
    "unknown_terms",
    "log_pairs",
    "speaker_answers",
    "speaker_silent",
    "unknown_speaker",
    "mass",
];

/// Names of the signals the model with dense similarities reads: the lexical ones, then these.
pub const DENSE_SIGNALS: &[&str] =
    &["dense", "dense_margin", "dense_best", "dense_question", "question_margin", "question_best", "cross_script"];

/// Signals that measure shared words. Between a question and a pair written in different scripts
/// they are not observed (no word can be shared), so the model with embeddings reads them as
/// their average there: they neither raise nor lower the confidence (see [`Calibration::probability`]).
pub const WORD_SIGNALS: &[&str] = &["evidence", "coverage", "question_coverage", "sentence", "similarity"];

/// Which way a signal may move the confidence: `1` (more of it never lowers it: coverage,
/// similarities, margins), `-1` (never raises it: terms or speakers found nowhere), `0` (either:
/// corpus size, question weight, script). Used by [`Logistic::fit_monotone`].
pub fn direction(signal: &str) -> i8 {
    match signal {
        "unknown_terms" | "speaker_silent" | "unknown_speaker" => -1,
        "log_pairs" | "mass" | "cross_script" => 0,
        _ => 1,
    }
}

/// What the calibration reads about one ranked pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// The hand-made evidence score (coverage less chance, floors for quoted passages and
    /// near-verbatim questions), 0–1.
    pub evidence: f64,
    /// Share of the question's content found anywhere in the pair.
    pub coverage: f64,
    /// Share found in the stored question.
    pub question_coverage: f64,
    /// Largest share found within one passage.
    pub sentence: f64,
    /// Edit similarity to the stored question.
    pub similarity: f64,
    /// Ranking score less the best other candidate's (negative below the top).
    pub margin: f64,
    /// Share of the question's content units that no stored pair uses.
    pub unknown_terms: f64,
    /// log10 of the number of stored pairs: chance overlaps grow with the corpus.
    pub log_pairs: f64,
    /// The question asks named speakers and all of them answer in the pair (1), or not (0).
    pub speaker_answers: f64,
    /// The question asks named speakers and none of them answers in the pair.
    pub speaker_silent: f64,
    /// The question asks someone who speaks in no interview.
    pub unknown_speaker: f64,
    /// Informative weight of the question, capped at 4 (vague questions weigh little).
    pub mass: f64,
    /// Cosine similarity of the sentence embeddings of question and pair (0 without a model);
    /// for a pair in another script than the question, raised as the ranking reads it (compared
    /// with the candidates of its own script, see `rank::Similarities`).
    pub dense: f64,
    /// `dense` less the best other candidate's.
    pub dense_margin: f64,
    /// 1 when no other candidate is closer by embedding.
    pub dense_best: f64,
    /// Cosine similarity of the question and the stored question, both embedded as questions
    /// (`dense` when the pair has no question vector), raised across scripts as `dense` is.
    pub dense_question: f64,
    /// `dense_question` less the best other candidate's.
    pub question_margin: f64,
    /// 1 when no other candidate's stored question is closer by embedding.
    pub question_best: f64,
    /// 1 when the question is written in another script than the pair: its words cannot be
    /// found there, so their absence says nothing.
    pub cross_script: f64,
}

impl Signals {
    /// The values a model with `dense` signals (or without) reads, in [`Signals::names`] order.
    pub fn values(&self, dense: bool) -> Vec<f64> {
        Signals::names(dense).iter().map(|n| self.get(n).expect("every listed signal is known")).collect()
    }

    /// The value of the signal called `name`, or `None` for a name this version does not compute.
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "evidence" => self.evidence,
            "coverage" => self.coverage,
            "question_coverage" => self.question_coverage,
            "sentence" => self.sentence,
            "similarity" => self.similarity,
            "margin" => self.margin,
            "unknown_terms" => self.unknown_terms,
            "log_pairs" => self.log_pairs,
            "speaker_answers" => self.speaker_answers,
            "speaker_silent" => self.speaker_silent,
            "unknown_speaker" => self.unknown_speaker,
            "mass" => self.mass,
            "dense" => self.dense,
            "dense_margin" => self.dense_margin,
            "dense_best" => self.dense_best,
            "dense_question" => self.dense_question,
            "question_margin" => self.question_margin,
            "question_best" => self.question_best,
            "cross_script" => self.cross_script,
            _ => return None,
        })
    }

    /// Signal names matching [`Signals::values`].
    pub fn names(dense: bool) -> Vec<&'static str> {
        let mut names = LEXICAL_SIGNALS.to_vec();
        if dense {
            names.extend(DENSE_SIGNALS);
        }
        names
    }
}

/// A logistic model over standardised signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// Signal names, in order.
    pub signals: Vec<String>,
    /// Mean of each signal in the fitting data (subtracted before weighting).
    pub mean: Vec<f64>,
    /// Spread of each signal in the fitting data (divided by before weighting).
    pub scale: Vec<f64>,
    /// One weight per standardised signal.
    pub weights: Vec<f64>,
    /// Intercept.
    pub bias: f64,
}

impl Logistic {
    /// Estimated probability for signal values in [`Logistic::signals`] order.
    pub fn probability(&self, x: &[f64]) -> f64 {
        let z: f64 = x
            .iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .zip(&self.weights)
            .map(|(((x, m), s), w)| w * (x - m) / s)
            .sum::<f64>()
            + self.bias;
        1.0 / (1.0 + (-z).exp())
    }

    /// Fit by Newton's method (L2 penalty `l2` on the standardised weights, not the intercept).
    /// `rows` are signal values in `names` order; `labels` whether each was right.
    pub fn fit(names: &[&str], rows: &[Vec<f64>], labels: &[bool], l2: f64) -> Logistic {
        Logistic::fit_without(names, rows, labels, l2, &vec![false; names.len()])
    }

    /// [`Logistic::fit`], with every signal's weight of the sign its [`direction`] says (or
    /// zero). Correlated signals (the passage and stored-question similarities, their margins)
    /// otherwise share out weights of both signs that fit the training interviews and reverse on
    /// others: a question closer to the pair in every respect must never get a lower confidence.
    /// The signal most against its direction is left out and the rest refitted, until none is.
    pub fn fit_monotone(names: &[&str], rows: &[Vec<f64>], labels: &[bool], l2: f64) -> Logistic {
        let mut left_out = vec![false; names.len()];
        loop {
            let model = Logistic::fit_without(names, rows, labels, l2, &left_out);
            let worst = (0..names.len())
                .filter(|&j| !left_out[j])
                .map(|j| (j, model.weights[j] * f64::from(direction(names[j]))))
                .filter(|&(_, signed)| signed < 0.0)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match worst {
                Some((j, _)) => left_out[j] = true,
                None => return model,
            }
        }
    }

    /// Fit with the signals marked in `left_out` held at weight zero.
    fn fit_without(names: &[&str], rows: &[Vec<f64>], labels: &[bool], l2: f64, left_out: &[bool]) -> Logistic {
        let d = names.len();
        let n = rows.len().max(1) as f64;
        let mean: Vec<f64> = (0..d).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n).collect();
        let scale: Vec<f64> = (0..d)
            .map(|j| {
                let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
                if var > 1e-12 {
                    var.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        // Standardised design with the intercept last.
        let standard = |r: &Vec<f64>, j: usize| if left_out[j] { 0.0 } else { (r[j] - mean[j]) / scale[j] };
        let xs: Vec<Vec<f64>> = rows.iter().map(|r| (0..d).map(|j| standard(r, j)).chain([1.0]).collect()).collect();
        let mut w = vec![0.0; d + 1];
        for _ in 0..50 {
            let step = newton_step(&xs, labels, &w, l2);
            let size: f64 = step.iter().map(|s| s.abs()).sum();
            for (w, s) in w.iter_mut().zip(&step) {
                *w -= s;
            }
            if size < 1e-9 {
                break;
            }
        }
        let bias = w.pop().unwrap_or(0.0);
        Logistic { signals: names.iter().map(|s| (*s).to_owned()).collect(), mean, scale, weights: w, bias }
    }
}

/// One Newton step for penalised logistic regression: H⁻¹ g.
fn newton_step(xs: &[Vec<f64>], labels: &[bool], w: &[f64], l2: f64) -> Vec<f64> {
    let k = w.len();
    let mut grad = vec![0.0; k];
    let mut hess = vec![vec![0.0; k]; k];
    for (x, &y) in xs.iter().zip(labels) {
        let z: f64 = x.iter().zip(w).map(|(a, b)| a * b).sum();
        let p = 1.0 / (1.0 + (-z).exp());
        let r = p - f64::from(u8::from(y));
        let v = (p * (1.0 - p)).max(1e-9);
        for i in 0..k {
            grad[i] += r * x[i];
            for j in 0..k {
                hess[i][j] += v * x[i] * x[j];
            }
        }
    }
    // No penalty on the intercept (last).
    for i in 0..k - 1 {
        grad[i] += l2 * w[i];
        hess[i][i] += l2;
    }
    hess[k - 1][k - 1] += 1e-9;
    solve(hess, grad)
}

/// Solve `a x = b` by Gaussian elimination with partial pivoting (small, well-conditioned systems).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let p = a[col][col];
        if p.abs() < 1e-15 {
            continue;
        }
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (offset, row) in rest.iter_mut().enumerate() {
            let f = row[col] / p;
            for (x, y) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * y;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = if a[row][row].abs() < 1e-15 { 0.0 } else { (b[row] - s) / a[row][row] };
    }
    x
}

/// Both models and the weights of embedding similarity in the ranking score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// How the coefficients were made (command, data), for people reading the file.
    pub fitted: String,
    /// Ranking score = lexical score + `dense_weight` × cosine similarity to the pair's passage,
    /// plus `question_weight` × cosine similarity to its stored question, plus `answer_weight` ×
    /// cosine similarity to the nearest chunk of its answer, when vectors exist.
    pub dense_weight: f64,
    /// See `dense_weight`.
    #[serde(default)]
    pub question_weight: f64,
    /// See `dense_weight`.
    #[serde(default)]
    pub answer_weight: f64,
    /// Model for rankings without embeddings.
    pub lexical: Logistic,
    /// Model for rankings with embeddings.
    pub dense: Logistic,
}

impl Calibration {
    /// Parse and check a calibration file: every model must read signals this version computes
    /// (the model without embeddings none of the dense ones), one coefficient each.
    pub fn parse(text: &str) -> Result<Calibration> {
        let calibration: Calibration = serde_json::from_str(text).context("calibration file: not the expected JSON")?;
        for (model, dense) in [(&calibration.lexical, false), (&calibration.dense, true)] {
            let names = Signals::names(dense);
            let lengths = [model.mean.len(), model.scale.len(), model.weights.len()];
            let known = model.signals.iter().all(|s| names.contains(&s.as_str()));
            if !known || lengths.iter().any(|&l| l != model.signals.len()) {
                bail!(
                    "calibration file: the {} model reads {:?}, this version computes {:?}; refit with \
                     `cargo run --release --example calibrate -- --write`",
                    if dense { "dense" } else { "lexical" },
                    model.signals,
                    names
                );
            }
        }
        Ok(calibration)
    }

    /// Probability that a pair with these signals is the right answer.
    pub fn probability(&self, signals: &Signals, dense: bool) -> f64 {
        let model = if dense { &self.dense } else { &self.lexical };
        let unobserved = |name: &str| dense && signals.cross_script > 0.0 && WORD_SIGNALS.contains(&name);
        let values: Vec<f64> = model
            .signals
            .iter()
            .zip(&model.mean)
            .map(|(n, mean)| if unobserved(n) { *mean } else { signals.get(n).unwrap_or(0.0) })
            .collect();
        model.probability(&values)
    }
}

/// The coefficients shipped in the binary (`data/calibration.json`).
pub fn shipped() -> &'static Calibration {
    static SHIPPED: OnceLock<Calibration> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        Calibration::parse(include_str!("../../data/calibration.json"))
            .expect("data/calibration.json is checked by a test")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_coefficients_parse_and_read_every_signal() {
        let c = Calibration::parse(include_str!("../../data/calibration.json")).unwrap();
        assert_eq!(c.lexical.signals, Signals::names(false));
        assert_eq!(c.dense.signals, Signals::names(true));
    }

    #[test]
    fn a_model_with_mismatched_signals_is_refused_with_the_fix() {
        let mut c = shipped().clone();
        c.lexical.signals.pop();
        let err = Calibration::parse(&serde_json::to_string(&c).unwrap()).unwrap_err().to_string();
        assert!(err.contains("refit"), "{err}");
        let mut c = shipped().clone();
        c.dense.signals[0] = "a signal from another version".to_owned();
        let err = Calibration::parse(&serde_json::to_string(&c).unwrap()).unwrap_err().to_string();
        assert!(err.contains("refit"), "{err}");
    }

    #[test]
    fn a_monotone_fit_never_weighs_a_similarity_against_the_confidence() {
        // The second similarity is the first plus something that goes with wrong answers: a free
        // fit weighs it against the confidence; the monotone fit keeps no weight below zero.
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let a = f64::from(i) / 60.0;
            let b = f64::from((i * 37) % 60) / 60.0;
            rows.push(vec![a, a + b]);
            labels.push((a - 0.6 * b > 0.2) != (i % 11 == 0));
        }
        let names = ["dense", "dense_question"];
        let free = Logistic::fit(&names, &rows, &labels, 0.0);
        assert!(free.weights.iter().any(|&w| w < 0.0), "{:?}", free.weights);
        let monotone = Logistic::fit_monotone(&names, &rows, &labels, 0.0);
        assert!(monotone.weights.iter().all(|&w| w >= 0.0), "{:?}", monotone.weights);
        assert!(monotone.probability(&[0.9, 0.9]) > monotone.probability(&[0.2, 0.2]));
        assert_eq!((direction("unknown_terms"), direction("dense_margin"), direction("mass")), (-1, 1, 0));
    }

    #[test]
    fn fitting_recovers_a_separable_signal_and_probabilities_follow_it() {
        // Label is true when x > 0.5, with one flipped example on each side so the fit is finite.
        let xs: Vec<f64> = (0..40).map(|i| f64::from(i) / 40.0).collect();
        let mut labels: Vec<bool> = xs.iter().map(|&x| x > 0.5).collect();
        labels[5] = true;
        labels[35] = false;
        let rows: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x, 1.0]).collect();
        let m = Logistic::fit(&["x", "constant"], &rows, &labels, 0.1);
        let p = |x: f64| m.probability(&[x, 1.0]);
        assert!(p(0.9) > 0.8 && p(0.1) < 0.2, "{} {}", p(0.9), p(0.1));
        assert!((p(0.5) - 0.5).abs() < 0.15, "{}", p(0.5));
        assert!(p(0.7) > p(0.6));
    }

    #[test]
    fn across_scripts_shared_words_neither_raise_nor_lower_the_confidence() {
        let c = shipped();
        let base = Signals { dense: 0.85, dense_question: 0.87, cross_script: 1.0, mass: 3.0, ..Signals::default() };
        let full =
            Signals { evidence: 1.0, coverage: 1.0, question_coverage: 1.0, sentence: 1.0, similarity: 1.0, ..base };
        assert_eq!(c.probability(&base, true), c.probability(&full, true));
        // In the same script they count.
        let (same, same_full) = (Signals { cross_script: 0.0, ..base }, Signals { cross_script: 0.0, ..full });
        assert!(c.probability(&same_full, true) > c.probability(&same, true));
    }

    #[test]
    fn solve_handles_pivoting() {
        let x = solve(vec![vec![0.0, 2.0], vec![3.0, 1.0]], vec![4.0, 5.0]);
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12, "{x:?}");
    }
}
