//! Small listing commands: `interviews`, `speakers`, `misses`, `export`, `remove`.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::render::terminal_safe;
use crate::store::Store;
use crate::text::shorten;

/// `qabot interviews`: loaded interviews with pair counts and speakers.
pub fn interviews(store: &Store, out: &mut impl Write) -> Result<()> {
    let list = store.interviews()?;
    if list.is_empty() {
        writeln!(out, "No interviews loaded. Load some with `qabot load FILE…`.")?;
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
        writeln!(out, "{}", terminal_safe(&line))?;
    }
    Ok(())
}

/// `qabot speakers`: who answers, with aliases.
pub fn speakers(store: &Store, out: &mut impl Write) -> Result<()> {
    for s in store.speakers()? {
        let aliases = if s.aliases.is_empty() { String::new() } else { format!(" (also: {})", s.aliases.join(", ")) };
        let line = format!("{}{aliases}: {} turns in {} interview(s)", s.name, s.turns, s.interviews);
        writeln!(out, "{}", terminal_safe(&line))?;
    }
    Ok(())
}

/// How much of a question or stored question a `misses` row shows.
const MISS_CHARS: usize = 60;

/// `qabot misses`: frequent questions answered badly or not at all (`limit` 0: all of them).
pub fn misses(store: &Store, below: f64, limit: usize, json: bool, out: &mut impl Write) -> Result<()> {
    let limit = if limit == 0 { i64::MAX as usize } else { limit };
    let misses = store.misses(below, limit)?;
    if json {
        let rows: Vec<serde_json::Value> = misses
            .iter()
            .map(|m| {
                serde_json::json!({"query": m.query, "count": m.count, "answered": m.answered,
                    "best_confidence": m.best_confidence, "closest": m.closest, "last_asked": m.last_asked})
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    if misses.is_empty() {
        writeln!(out, "No unanswered or low-confidence questions in the query log.")?;
        return Ok(());
    }
    writeln!(out, "{:>5}  {:>5}  question → closest stored question", "asked", "conf")?;
    for m in misses {
        let closest = m.closest.map(|c| format!(" → {}", shorten(&c, MISS_CHARS))).unwrap_or_default();
        let line = format!("{:>5}  {:>5.2}  {}{closest}", m.count, m.best_confidence, shorten(&m.query, MISS_CHARS));
        writeln!(out, "{}", terminal_safe(&line))?;
    }
    writeln!(out, "\nAdd alternate phrasings (table `alternates`) or load interviews that answer these.")?;
    Ok(())
}

/// `qabot export`: every interview as JSONL, to the file `to` or else to `out`.
pub fn export(store: &Store, to: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let interviews = store.export()?;
    let mut text = String::new();
    for iv in &interviews {
        text.push_str(&serde_json::to_string(iv)?);
        text.push('\n');
    }
    match to {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("exported {} interview(s) to {}", interviews.len(), path.display());
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// `qabot remove`: delete an interview by slug.
pub fn remove(store: &mut Store, slug: &str, out: &mut impl Write) -> Result<()> {
    store.check_integrity()?;
    if !store.remove(slug)? {
        bail!("no interview has the slug `{slug}` (see `qabot interviews`)");
    }
    writeln!(out, "removed {slug}")?;
    Ok(())
}
