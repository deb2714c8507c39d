//! Who is who: resolving names and aliases to speakers while writing.
//!
//! A label nobody has is named by the fuller name the title or intro gives it (`PRIYA:` under
//! "yoga teacher Priya Rao"), the label kept as an alias.
//!
//! The merge rule across interviews: a turn's label joins a stored speaker when it is that
//! speaker's full name, or when it is one of their aliases and the interview's title or intro
//! confirms it (names them by their full name or a longer alias). Otherwise a new speaker is
//! created (named by the fuller name the title or intro gives: `面包师山姆·李` for `山姆:`, `yoga
//! teacher Satya Rao` for `SATYA:`), and the load report says whom it resembles and how to merge
//! them. Front matter (`speakers: Name (alias)`) declares an alias explicitly and always wins.

use std::collections::HashMap;

use anyhow::Result;
use rusqlite::{params, Connection};

use crate::search::normalize;
use crate::transcript::Interview;

/// A new speaker kept apart from a stored one whose alias it shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resemblance {
    /// The label in the file (`山姆`).
    pub label: String,
    /// The speaker created for it (`山姆·李`).
    pub new: String,
    /// Its id.
    pub new_id: i64,
    /// The stored person the label is an alias of (`山姆·奥特曼`).
    pub existing: String,
    /// Their id.
    pub existing_id: i64,
}

/// Speaker names and aliases by normalised form (case, width and script folded), for the length
/// of one transaction.
pub struct SpeakerResolver {
    by_key: HashMap<String, i64>,
    names: HashMap<i64, String>,
    aliases: HashMap<i64, Vec<String>>,
    /// Labels of the interview being resolved → speaker, so every turn of a label agrees.
    local: HashMap<String, i64>,
    /// Speakers created, in order.
    pub created: Vec<String>,
    /// New speakers that share an alias with a stored one, in order.
    pub resembling: Vec<Resemblance>,
}

impl SpeakerResolver {
    /// Read every speaker and alias.
    pub fn new(conn: &Connection) -> Result<SpeakerResolver> {
        let mut resolver = SpeakerResolver {
            by_key: HashMap::new(),
            names: HashMap::new(),
            aliases: HashMap::new(),
            local: HashMap::new(),
            created: Vec::new(),
            resembling: Vec::new(),
        };
        let mut stmt = conn.prepare("SELECT id, name FROM speakers")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, name) = row?;
            resolver.by_key.entry(normalize(&name)).or_insert(id);
            resolver.names.insert(id, name);
        }
        let mut stmt = conn.prepare("SELECT speaker_id, alias FROM speaker_aliases")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, alias) = row?;
            resolver.by_key.entry(normalize(&alias)).or_insert(id);
            resolver.aliases.entry(id).or_default().push(alias);
        }
        Ok(resolver)
    }

    /// The speaker with this name or alias.
    pub fn find(&self, name: &str) -> Option<i64> {
        self.by_key.get(&normalize(name)).copied()
    }

    /// The canonical name of a speaker.
    pub fn name(&self, id: i64) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// The speaker called `name` (by name or alias), created if nobody is.
    pub fn resolve(&mut self, conn: &Connection, name: &str) -> Result<i64> {
        match self.find(name) {
            Some(id) => Ok(id),
            None => self.create(conn, name),
        }
    }

    fn create(&mut self, conn: &Connection, name: &str) -> Result<i64> {
        conn.execute("INSERT INTO speakers(name) VALUES (?1)", [name])?;
        let id = conn.last_insert_rowid();
        // A name that is someone else's alias does not take the alias over.
        self.by_key.entry(normalize(name)).or_insert(id);
        self.names.insert(id, name.to_owned());
        self.created.push(name.to_owned());
        Ok(id)
    }

    /// Record `alias` for a speaker unless the alias is taken already (by them or anyone else).
    /// Returns whether it was new.
    pub fn add_alias(&mut self, conn: &Connection, speaker_id: i64, alias: &str) -> Result<bool> {
        if self.find(alias).is_some() {
            return Ok(false);
        }
        conn.execute(
            "INSERT OR IGNORE INTO speaker_aliases(alias, speaker_id) VALUES (?1, ?2)",
            params![alias, speaker_id],
        )?;
        self.by_key.insert(normalize(alias), speaker_id);
        self.aliases.entry(speaker_id).or_default().push(alias.to_owned());
        Ok(true)
    }

    /// Start on the turns of another interview.
    pub fn begin_interview(&mut self) {
        self.local.clear();
    }

    /// The speaker of a turn labelled `label` in `interview`, by the merge rule above.
    pub fn resolve_turn(&mut self, conn: &Connection, interview: &Interview, label: &str) -> Result<i64> {
        let key = normalize(label);
        if let Some(&id) = self.local.get(&key) {
            return Ok(id);
        }
        let id = self.decide(conn, interview, label)?;
        self.local.insert(key, id);
        Ok(id)
    }

    fn decide(&mut self, conn: &Connection, interview: &Interview, label: &str) -> Result<i64> {
        let Some(known) = self.find(label) else { return self.create_fuller(conn, interview, label) };
        let existing = self.name(known).unwrap_or_default().to_owned();
        if normalize(&existing) == normalize(label) || self.confirmed(known, interview, label) {
            return Ok(known);
        }
        let name = fuller_name(interview, label).filter(|f| self.find(f) != Some(known));
        let name = name.unwrap_or_else(|| label.to_owned());
        let new_id = match self.find(&name) {
            Some(id) if self.name(id).is_some_and(|n| normalize(n) == normalize(&name)) => id,
            _ => self.create(conn, &name)?,
        };
        let resemblance = Resemblance { label: label.to_owned(), new: name, new_id, existing, existing_id: known };
        self.resembling.push(resemblance);
        Ok(new_id)
    }

    /// A label nobody has: the person the title or intro names in full (`PRIYA:` under "yoga
    /// teacher Priya Rao" is Priya Rao, `杰克:` under "面包师杰克·李" is 杰克·李), the label kept
    /// as their alias; else the label itself.
    fn create_fuller(&mut self, conn: &Connection, interview: &Interview, label: &str) -> Result<i64> {
        let Some(full) = fuller_name(interview, label).filter(|f| normalize(f) != normalize(label)) else {
            return self.create(conn, label);
        };
        let id = match self.find(&full) {
            Some(id) => id,
            None => self.create(conn, &full)?,
        };
        self.add_alias(conn, id, label)?;
        Ok(id)
    }

    /// Whether the interview's title or intro names speaker `id` by something longer than the
    /// alias `label`: their full name or a longer alias.
    fn confirmed(&self, id: i64, interview: &Interview, label: &str) -> bool {
        let texts: Vec<String> =
            std::iter::once(&interview.title).chain(&interview.notes).map(|t| normalize(t)).collect();
        let short = normalize(label).chars().count();
        let names = self.names.get(&id).into_iter().chain(self.aliases.get(&id).into_iter().flatten());
        names.map(|n| normalize(n)).filter(|n| n.chars().count() > short).any(|n| texts.iter().any(|t| t.contains(&n)))
    }
}

/// The fuller name the title or intro gives a short label: `Satya Rao` for `SATYA`, `Robert
/// Gates` for `GATES`, `山姆·李` for `山姆`.
pub fn fuller_name(interview: &Interview, label: &str) -> Option<String> {
    let texts = std::iter::once(interview.title.as_str()).chain(interview.notes.iter().map(String::as_str));
    let latin = !label.is_empty() && label.chars().all(|c| c.is_ascii_alphabetic() || c == '-' || c == '\'');
    for text in texts {
        let found = if latin { latin_fuller(text, label) } else { han_fuller(text, label) };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Two capitalised words, one of them `label`: `Tom Becker` for `BECKER`, `Satya Rao` for `SATYA`.
fn latin_fuller(text: &str, label: &str) -> Option<String> {
    let words: Vec<&str> =
        text.split(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '\'')).filter(|w| !w.is_empty()).collect();
    let capitalised = |w: &str| w.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    words.windows(2).find_map(|pair| {
        let (a, b) = (pair[0], pair[1]);
        let fits = (b.eq_ignore_ascii_case(label) || a.eq_ignore_ascii_case(label)) && !a.eq_ignore_ascii_case(b);
        (fits && capitalised(a) && capitalised(b)).then(|| format!("{a} {b}"))
    })
}

/// A dotted Han name with `label` as one part: `山姆·李` in `面包师山姆·李的店`.
fn han_fuller(text: &str, label: &str) -> Option<String> {
    const DOTS: &[char] = &['\u{B7}', '\u{2022}', '\u{30FB}'];
    const STOPS: &str = "的说在是和与了也都就";
    let han = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c) && !STOPS.contains(c);
    for (pos, _) in text.match_indices(label) {
        let after = &text[pos + label.len()..];
        if let Some(rest) = after.strip_prefix(DOTS) {
            let tail: String = rest.chars().take_while(|&c| han(c)).take(3).collect();
            if !tail.is_empty() {
                return Some(format!("{label}\u{B7}{tail}"));
            }
        }
        let before = &text[..pos];
        if let Some(head) = before.strip_suffix(DOTS) {
            let mut lead: Vec<char> = head.chars().rev().take_while(|&c| han(c)).take(3).collect();
            lead.reverse();
            if !lead.is_empty() {
                return Some(format!("{}\u{B7}{label}", lead.into_iter().collect::<String>()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titled(title: &str) -> Interview {
        Interview {
            title: title.to_owned(),
            slug: None,
            source: None,
            date: None,
            interviewer: None,
            notes: Vec::new(),
            speakers: Vec::new(),
            pairs: Vec::new(),
        }
    }

    #[test]
    fn fuller_names_from_the_title() {
        assert_eq!(fuller_name(&titled("面包师山姆·李：凌晨三点的烤箱"), "山姆").as_deref(), Some("山姆·李"));
        assert_eq!(fuller_name(&titled("老李·山姆的店"), "山姆").as_deref(), Some("老李·山姆"));
        assert_eq!(
            fuller_name(&titled("A morning with yoga teacher Satya Rao"), "Satya").as_deref(),
            Some("Satya Rao")
        );
        assert_eq!(fuller_name(&titled("Robert Gates on the Pentagon"), "Gates").as_deref(), Some("Robert Gates"));
        assert_eq!(fuller_name(&titled("凌晨三点的烤箱"), "山姆"), None);
        assert_eq!(fuller_name(&titled("On vaccines"), "Gates"), None);
    }
}
