//! Removing characters that hide or rewrite what is displayed: control characters (terminal escape
//! sequences start with one), bidirectional overrides (which reorder text on screen) and
//! zero-width characters (which make two names look the same). Nobody types them on purpose in a
//! transcript, and left in a title or speaker name they reach every terminal and chat that shows it.

use super::Interview;

/// Whether `c` is a bidirectional embedding, override or isolate control.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `c` is invisible and takes no room: zero-width spaces and joiners, word joiner, BOM.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}')
}

/// A one-line field (title, name, source): tabs and line breaks become spaces; other control,
/// bidi and zero-width characters are removed.
pub fn clean_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\t' | '\n' | '\r') {
            out.push(' ');
        } else if !(c.is_control() || is_bidi_control(c) || is_zero_width(c)) {
            out.push(c);
        }
    }
    out
}

/// Running text (questions, answers, notes): line breaks and tabs are kept, as are zero-width
/// joiners (emoji need them); other control characters and bidi controls are removed.
pub fn clean_text(text: &str) -> String {
    if !text.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)) {
        return text.to_owned();
    }
    text.chars().filter(|c| !((c.is_control() && *c != '\n' && *c != '\t') || is_bidi_control(*c))).collect()
}

fn clean_option(field: &mut Option<String>) {
    if let Some(value) = field.as_mut() {
        *value = clean_line(value);
    }
}

impl Interview {
    /// Remove hidden and control characters (see the module docs) from every field.
    pub fn clean(&mut self) {
        self.title = clean_line(&self.title);
        clean_option(&mut self.slug);
        clean_option(&mut self.source);
        clean_option(&mut self.date);
        clean_option(&mut self.interviewer);
        for note in &mut self.notes {
            *note = clean_text(note);
        }
        for speaker in &mut self.speakers {
            speaker.name = clean_line(&speaker.name);
            speaker.aliases.iter_mut().for_each(|a| *a = clean_line(a));
        }
        for pair in &mut self.pairs {
            pair.question = clean_text(&pair.question);
            pair.alternates.iter_mut().for_each(|a| *a = clean_text(a));
            for turn in &mut pair.turns {
                turn.speaker = clean_line(&turn.speaker);
                turn.text = clean_text(&turn.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_bidi_and_zero_width_characters_are_removed_from_names() {
        assert_eq!(clean_line("\u{1b}]0;pwned\u{7}\u{1b}[2JTitle"), "]0;pwned[2JTitle");
        assert_eq!(clean_line("\u{1b}[31mEVE"), "[31mEVE");
        assert_eq!(clean_line("Ad\u{200B}am \u{202E}evE\u{202C}"), "Adam evE");
        assert_eq!(clean_line("a\u{85}b\u{9b}c\td"), "abc d");
    }

    #[test]
    fn running_text_keeps_lines_tabs_and_emoji_joiners() {
        assert_eq!(clean_text("一\n二\t三 👩\u{200D}💻"), "一\n二\t三 👩\u{200D}💻");
        assert_eq!(clean_text("red\u{1b}[31m\u{202E}x\r"), "red[31mx");
    }
}
