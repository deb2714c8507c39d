//! `qabot ask`: answer one question, or one per line of standard input.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result};

use crate::answer::{self, Answer, Semantic};
use crate::render;
use crate::store::Store;

/// Options of `qabot ask`.
#[derive(Debug, Clone)]
pub struct AskOptions {
    /// Print one JSON object per question instead of text.
    pub json: bool,
    /// Confidence needed to answer.
    pub threshold: f64,
    /// Record questions in the query log.
    pub log: bool,
    /// Also print how the question was read and how candidates scored.
    pub explain: bool,
}

/// Answer `question`, or every line of standard input when it is `None`. On a terminal, standard
/// input is read interactively: a hint, then a prompt (on standard error) before each question.
/// With `semantic` (see [`super::embed::semantic`]), questions are matched by meaning too.
pub fn run(
    store: &mut Store,
    mut semantic: Option<&mut Semantic>,
    question: Option<&str>,
    options: &AskOptions,
    out: &mut impl Write,
) -> Result<()> {
    match question {
        Some(q) => print(out, &ask_one(store, semantic, q, options)?, options),
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Type a question and press Enter; Ctrl-D (Ctrl-Z, Enter on Windows) ends.");
                run_lines(store, semantic.as_deref_mut(), stdin.lock(), options, out, Some(&mut std::io::stderr()))
            } else {
                run_lines(store, semantic, stdin.lock(), options, out, None)
            }
        }
    }
}

/// Answer every line of `input`, skipping empty ones. With a `prompt` writer (a person typing),
/// "> " is written to it before each question and a blank line follows each answer; otherwise
/// answers are separated by a rule.
pub fn run_lines(
    store: &mut Store,
    mut semantic: Option<&mut Semantic>,
    input: impl BufRead,
    options: &AskOptions,
    out: &mut impl Write,
    mut prompt: Option<&mut dyn Write>,
) -> Result<()> {
    let mut first = true;
    let mut lines = questions(input).enumerate();
    loop {
        if let Some(p) = prompt.as_mut() {
            write!(p, "> ")?;
            p.flush()?;
        }
        let Some((number, line)) = lines.next() else { break };
        let line = line.context("cannot read questions from standard input")?;
        let q = match std::str::from_utf8(&line) {
            Ok(q) => std::borrow::Cow::Borrowed(q),
            // One bad line must not cost the rest of a batch its answers.
            Err(_) => {
                eprintln!("warning: standard input line {}: not valid UTF-8; bad bytes replaced", number + 1);
                String::from_utf8_lossy(&line)
            }
        };
        let q = q.trim_start_matches('\u{feff}').trim();
        if q.is_empty() {
            continue;
        }
        if !first && !options.json && prompt.is_none() {
            writeln!(out, "{}", "-".repeat(60))?;
        }
        first = false;
        print(out, &ask_one(store, semantic.as_deref_mut(), q, options)?, options)?;
        if prompt.is_some() && !options.json {
            writeln!(out)?;
        }
        out.flush()?;
    }
    if let Some(p) = prompt {
        // End the line of the last prompt.
        writeln!(p)?;
    }
    Ok(())
}

/// Lines of raw bytes, ended by LF, CRLF or a lone CR (old Mac files), without the ending.
fn questions(mut input: impl BufRead) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    let mut pending: std::collections::VecDeque<Vec<u8>> = Default::default();
    std::iter::from_fn(move || loop {
        if let Some(line) = pending.pop_front() {
            return Some(Ok(line));
        }
        let mut buf = Vec::new();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => return None,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                // A CR before LF ends the same line; any other CR ends one more.
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                pending.extend(buf.split(|&b| b == b'\r').map(<[u8]>::to_vec));
            }
            Err(e) => return Some(Err(e)),
        }
    })
}

fn ask_one(store: &mut Store, semantic: Option<&mut Semantic>, question: &str, options: &AskOptions) -> Result<Answer> {
    let (answer, ranking) = answer::ask_hybrid(store, semantic, question, options.threshold)?;
    if options.explain {
        let mut questions = Vec::new();
        for s in ranking.ranked.iter().take(8) {
            questions.push((s.pair_id, store.question(s.pair_id)?.unwrap_or_default()));
        }
        eprint!("{}", render::explanation(&ranking, &questions));
    }
    if options.log {
        answer::log(store, "cli", &answer);
    }
    Ok(answer)
}

fn print(out: &mut impl Write, answer: &Answer, options: &AskOptions) -> Result<()> {
    if options.json {
        writeln!(out, "{}", render::json(answer))?;
    } else {
        write!(out, "{}", render::terminal(answer))?;
    }
    Ok(())
}
