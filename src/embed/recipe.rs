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

use crate::search::normalize::fold_script;
use crate::search::postings::PairText;

/// The tag of this recipe, recorded with every vector (`name@hash+RECIPE`). Vectors stored before
/// recipes were tagged (raw text, 200 answer characters) carry no tag.
pub const RECIPE: &str = "fold-a200";

/// How much of the answer goes into a pair's passage, in characters (after the question and its
/// alternates): chosen with `examples/passage_experiment.rs` (see README, "What is embedded").
pub const PASSAGE_ANSWER_CHARS: usize = 200;

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

    /// Fails when the text given to the model changes: bump [`RECIPE`] (so stored vectors are
    /// re-embedded, never mixed) and update the expected texts here.
    #[test]
    fn the_recipe_is_pinned_to_its_tag() {
        let answer = "答".repeat(250);
        let built =
            model_text(&passage("臺灣的ＡＩ？", &["Ａnother".to_owned()], [answer.as_str()], PASSAGE_ANSWER_CHARS));
        let expected = format!("台湾的AI?\nAnother\n{}", "答".repeat(200));
        assert_eq!((RECIPE, built), ("fold-a200", expected));
    }
}
