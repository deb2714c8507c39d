//! Small listing commands: `interviews`, `speakers`, `misses`, `export`, `remove`.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::render::terminal_safe;
use crate::store::Store;

/// `qabot interviews`: loaded interviews with pair counts and speakers.
pub fn interviews(store: &Store) -> Result<()> {
    let list = store.interviews()?;
    if list.is_empty() {
        println!("No interviews loaded. Load some with `qabot load FILE…`.");
    }
    for iv in list {
        let date = iv.date.map(|d| format!(" ({d})")).unwrap_or_default();
        let line = format!(
            "#{:<4} {}{date}\n      {} pairs · {} · slug: {}",
            iv.id,
            iv.title,
            iv.pairs,
            iv.speakers.join(", "),
            iv.slug
        );
        println!("{}", terminal_safe(&line));
    }
    Ok(())
}

/// `qabot speakers`: who answers, with aliases.
pub fn speakers(store: &Store) -> Result<()> {
    for s in store.speakers()? {
        let aliases = if s.aliases.is_empty() { String::new() } else { format!(" (also: {})", s.aliases.join(", ")) };
        println!(
            "{}",
            terminal_safe(&format!("{}{aliases}: {} turns in {} interview(s)", s.name, s.turns, s.interviews))
        );
    }
    Ok(())
}

/// `qabot misses`: frequent questions answered badly or not at all.
pub fn misses(store: &Store, below: f64, limit: usize, json: bool) -> Result<()> {
    let misses = store.misses(below, limit)?;
    if json {
        let rows: Vec<serde_json::Value> = misses
            .iter()
            .map(|m| {
                serde_json::json!({"query": m.query, "count": m.count, "answered": m.answered,
                    "best_confidence": m.best_confidence, "closest": m.closest, "last_asked": m.last_asked})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if misses.is_empty() {
        println!("No unanswered or low-confidence questions in the query log.");
        return Ok(());
    }
    println!("{:>5}  {:>5}  question → closest stored question", "asked", "conf");
    for m in misses {
        let closest = m.closest.map(|c| format!(" → {c}")).unwrap_or_default();
        println!("{}", terminal_safe(&format!("{:>5}  {:>5.2}  {}{closest}", m.count, m.best_confidence, m.query)));
    }
    println!("\nAdd alternate phrasings (table `alternates`) or load interviews that answer these.");
    Ok(())
}

/// `qabot export`: every interview as JSONL, to a file or standard output.
pub fn export(store: &Store, out: Option<&Path>) -> Result<()> {
    let interviews = store.export()?;
    let mut text = String::new();
    for iv in &interviews {
        text.push_str(&serde_json::to_string(iv)?);
        text.push('\n');
    }
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("exported {} interview(s) to {}", interviews.len(), path.display());
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

/// `qabot remove`: delete an interview by slug.
pub fn remove(store: &mut Store, slug: &str) -> Result<()> {
    store.check_integrity()?;
    if !store.remove(slug)? {
        bail!("no interview has the slug `{slug}` (see `qabot interviews`)");
    }
    println!("removed {slug}");
    Ok(())
}
