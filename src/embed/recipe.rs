//! What text the model is given: the one place that decides it (the "recipe").
//!
//! A vector is only comparable with vectors made by the same model from text built the same way,
//! so the recipe's tag ([`RECIPE`]) is part of the identity recorded beside every stored vector
//! (see [`super::ModelIdentity`]). Change anything here and the tag must change too: the test
//! `the_recipe_is_pinned_to_its_tag` fails until it does, and databases then re-embed instead of
//! mixing vectors of two recipes.
//!
//! - Every text (question asked, stored question, passage) is script-folded first
//!   ([`model_text`]): Unicode NFKC and traditional → simplified Chinese, the first two steps of
//!   the lexical normalisation. A question in traditional characters then embeds like the same
//!   question in simplified ones, as it matches the same words. Case and punctuation are kept:
//!   the model was trained on them.
//! - A pair's passage is its question, its alternates, then the first [`PASSAGE_ANSWER_CHARS`]
//!   characters of its answer ([`passage`]).
//! - A pair's answer is also read in chunks ([`answer_chunks`]): each answer turn's sentences
//!   packed, in order, into chunks of up to [`ANSWER_CHUNK_UNITS`], every chunk embedded as a
//!   passage on its own. The passage holds only the start of the answer; a question about
//!   something said further on is near the chunk that says it.

use crate::search::normalize::fold_script;
use crate::search::postings::PairText;
use crate::text::{is_han, sentences};

/// The tag of this recipe, recorded with every vector (`name@hash+RECIPE`). Vectors stored before
/// recipes were tagged (raw text, 200 answer characters) carry no tag.
pub const RECIPE: &str = "fold-a200";

/// How much of the answer goes into a pair's passage, in characters (after the question and its
/// alternates): chosen with `examples/passage_experiment.rs` (see README, "What is embedded").
pub const PASSAGE_ANSWER_CHARS: usize = 200;

/// How long a chunk of an answer may grow, in units of about one token of the model: a Chinese
/// character counts 1, any other character a quarter (an English word of four letters and its
/// space is about one token). Chosen with `examples/answer_chunk_experiment.rs` (README, "What
/// is embedded"): chunks of 100 and 200 ranked alike; 200 makes fewer vectors to store.
pub const ANSWER_CHUNK_UNITS: f64 = 200.0;

/// The text the model is given for `text` (before its `query: `/`passage: ` prefix).
pub fn model_text(text: &str) -> String {
    fold_script(text)
}

/// A pair's passage: question, alternates, then the first `answer_chars` characters of the
/// answer turns (joined by line breaks). Not yet script-folded: the embedder does that.
pub fn passage<'a>(
    question: &str,
    alternates: &[String],
    answer_turns: impl IntoIterator<Item = &'a str>,
    answer_chars: usize,
) -> String {
    let mut out = question.to_owned();
    for alternate in alternates {
        out.push('\n');
        out.push_str(alternate);
    }
    let answer = answer_turns.into_iter().collect::<Vec<_>>().join("\n");
    let start: String = answer.chars().take(answer_chars).collect();
    if !start.is_empty() {
        out.push('\n');
        out.push_str(&start);
    }
    out
}

/// A stored pair's passage, as this recipe builds it: [`passage`] with [`PASSAGE_ANSWER_CHARS`]
/// of its answer turns. This is what the store is given to read and check passages.
pub fn pair_passage(text: &PairText) -> String {
    let turns = text.turns.iter().map(|(_, t)| t.as_str());
    passage(&text.question, &text.alternates, turns, PASSAGE_ANSWER_CHARS)
}

/// Answer turns in chunks: each turn's sentences (a line break ends one too) packed, in order,
/// into chunks of up to `units` (see [`ANSWER_CHUNK_UNITS`]); a chunk never spans two turns. A
/// sentence longer than a chunk (a transcript without punctuation) is cut into pieces of a
/// chunk, at a space where there is one, so that no part of a long answer falls beyond the
/// model's input limit. Not yet script-folded: the embedder does that.
pub fn answer_chunks<'a>(answer_turns: impl IntoIterator<Item = &'a str>, units: f64) -> Vec<String> {
    let mut out = Vec::new();
    for turn in answer_turns {
        let (mut chunk, mut size) = (String::new(), 0.0);
        let sentences = turn.split('\n').flat_map(sentences).flat_map(|s| pieces(s, units));
        for sentence in sentences.map(str::trim).filter(|s| !s.is_empty()) {
            let n = size_of(sentence);
            if size > 0.0 && size + n > units {
                out.push(std::mem::take(&mut chunk));
                size = 0.0;
            }
            if !chunk.is_empty() {
                chunk.push(' ');
            }
            chunk.push_str(sentence);
            size += n;
        }
        if !chunk.is_empty() {
            out.push(chunk);
        }
    }
    out
}

/// The size of `text` in chunk units: a Chinese character 1, any other character a quarter.
fn size_of(text: &str) -> f64 {
    text.chars().map(unit_of).sum()
}

fn unit_of(c: char) -> f64 {
    if is_han(c) {
        1.0
    } else {
        0.25
    }
}

/// `sentence` cut into pieces of at most `units` (one piece when it fits): each piece ends at
/// the last space within it when it has one, else where it is full.
fn pieces(sentence: &str, units: f64) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut size, mut space) = (0, 0.0, None);
    for (i, c) in sentence.char_indices() {
        if size + unit_of(c) > units && i > start {
            let cut = space.filter(|&s| s > start).unwrap_or(i);
            out.push(&sentence[start..cut]);
            size = size_of(&sentence[cut..i]);
            start = cut;
            space = None;
        }
        if c.is_whitespace() {
            space = Some(i);
        }
        size += unit_of(c);
    }
    out.push(&sentence[start..]);
    out
}

/// A stored pair's answer in chunks, as this recipe cuts it: [`answer_chunks`] of its answer
/// turns with [`ANSWER_CHUNK_UNITS`].
pub fn pair_answer_chunks(text: &PairText) -> Vec<String> {
    answer_chunks(text.turns.iter().map(|(_, t)| t.as_str()), ANSWER_CHUNK_UNITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_variants_are_given_to_the_model_alike() {
        assert_eq!(model_text("微軟為什麼投資？"), model_text("微软为什么投资?"));
        assert_eq!(model_text("ＧＰＴ－４"), "GPT-4");
        // Case and punctuation stay: the model reads them.
        assert_eq!(model_text("Why, Sam?"), "Why, Sam?");
    }

    #[test]
    fn a_passage_is_question_alternates_and_the_answer_start() {
        let alternates = vec!["Why the river?".to_owned()];
        let text = passage("Why the boat?", &alternates, ["It floats.", "And sails."], 12);
        assert_eq!(text, "Why the boat?\nWhy the river?\nIt floats.\nA");
        assert_eq!(passage("Q?", &[], std::iter::empty(), 200), "Q?");
    }

    #[test]
    fn an_answer_is_cut_into_chunks_of_whole_sentences_within_a_turn() {
        let turns = ["一二三。四五六！七八九？", "Short one. And another\nthird line"];
        // Four characters a chunk: sentences never split, turns never joined.
        let chunks = answer_chunks(turns, 4.0);
        assert_eq!(chunks, ["一二三。", "四五六！", "七八九？", "Short one.", "And another", "third line"]);
        let chunks = answer_chunks(turns, 8.0);
        assert_eq!(chunks, ["一二三。 四五六！", "七八九？", "Short one. And another third line"]);
        // A sentence longer than a chunk is cut into pieces of a chunk, at a space when it has
        // one; empty turns give nothing.
        assert_eq!(answer_chunks(["一二三四五六。七。", " "], 3.0), ["一二三", "四五六", "。 七。"]);
        let unpunctuated = "so we kept going and the river took us further every day";
        let chunks = answer_chunks([unpunctuated], 4.0);
        assert_eq!(chunks, ["so we kept", "going and the", "river took us", "further every day"]);
        assert_eq!(chunks.join(" "), unpunctuated);
    }

    /// Fails when the text given to the model changes: bump [`RECIPE`] (so stored vectors are
    /// re-embedded, never mixed) and update the expected texts here.
    #[test]
    fn the_recipe_is_pinned_to_its_tag() {
        let answer = "答".repeat(250);
        let built =
            model_text(&passage("臺灣的ＡＩ？", &["Ａnother".to_owned()], [answer.as_str()], PASSAGE_ANSWER_CHARS));
        let expected = format!("台湾的AI?\nAnother\n{}", "答".repeat(200));
        assert_eq!((RECIPE, built), ("fold-a200", expected));
        // The answer's chunks are part of the recipe too (they were added under the same tag,
        // before any database held chunk vectors).
        let answer = format!("{}。{}。", "答".repeat(150), "问".repeat(100));
        let chunks: Vec<String> =
            answer_chunks([answer.as_str()], ANSWER_CHUNK_UNITS).iter().map(|c| model_text(c)).collect();
        assert_eq!(chunks, [format!("{}。", "答".repeat(150)), format!("{}。", "问".repeat(100))]);
        let unpunctuated = "答".repeat(450);
        let chunks = answer_chunks([unpunctuated.as_str()], ANSWER_CHUNK_UNITS);
        assert_eq!(chunks, ["答".repeat(200), "答".repeat(200), "答".repeat(50)]);
    }
}
