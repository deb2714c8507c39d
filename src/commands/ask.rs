//! `qabot ask`: answer one question, or one per line of standard input.

use std::io::{BufRead, Write};

use anyhow::{Context, Result};

use crate::answer::{self, Answer};
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

/// Answer `question`, or every line of standard input when it is `None`.
pub fn run(store: &mut Store, question: Option<&str>, options: &AskOptions) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match question {
        Some(q) => print(&mut out, &ask_one(store, q, options)?, options)?,
        None => {
            let mut first = true;
            for line in std::io::stdin().lock().lines() {
                let line = line.context("cannot read questions from standard input")?;
                let q = line.trim();
                if q.is_empty() {
                    continue;
                }
                if !first && !options.json {
                    writeln!(out, "{}", "-".repeat(60))?;
                }
                first = false;
                print(&mut out, &ask_one(store, q, options)?, options)?;
                out.flush()?;
            }
        }
    }
    Ok(())
}

fn ask_one(store: &mut Store, question: &str, options: &AskOptions) -> Result<Answer> {
    let (answer, ranking) = answer::ask_ranked(store, question, options.threshold)?;
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
