//! What the bot says, as data: Telegram HTML messages with optional keyboards, and inline query
//! results, built from answers and store contents (some read the store; none talks to Telegram),
//! so they are tested without a server. Answers themselves are rendered by [`crate::render`],
//! shared with the other front ends.

use anyhow::Result;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult, InlineQueryResultArticle, InputMessageContent,
    InputMessageContentText, LinkPreviewOptions, ParseMode,
};

use crate::answer::{self, Answer, Suggestion};
use crate::render::{self, escape_html};
use crate::store::{InterviewInfo, PairRecord, SpeakerInfo, Store};
use crate::text::shorten;

/// One message to send: Telegram HTML (every piece of stored or user text escaped) and an optional
/// inline keyboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The text, in Telegram HTML, within [`render::TELEGRAM_LIMIT`].
    pub html: String,
    /// Buttons under the message.
    pub keyboard: Option<InlineKeyboardMarkup>,
}

impl Outgoing {
    fn plain(html: String) -> Outgoing {
        Outgoing { html, keyboard: None }
    }
}

/// Prefix of the callback data of a button that shows a pair.
const PAIR_PREFIX: &str = "pair:";
/// Longest label on a button, in characters (clients cut longer ones anyway).
const BUTTON_CHARS: usize = 48;
/// Most inline results offered for an empty inline query (a browsable sample).
const INLINE_SAMPLES: usize = 5;
/// Longest inline result title, in characters.
const TITLE_CHARS: usize = 120;

/// Callback data of a button that shows pair `id` (Telegram allows 64 bytes: ids, never text).
pub fn callback_data(pair_id: i64) -> String {
    format!("{PAIR_PREFIX}{pair_id}")
}

/// The pair id in callback data made by [`callback_data`].
pub fn parse_callback(data: &str) -> Option<i64> {
    data.strip_prefix(PAIR_PREFIX)?.parse().ok().filter(|id| *id > 0)
}

/// Link previews would show pages quoted in answers; answers are the point.
pub fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

fn pair_buttons(pairs: &[(i64, String)], mark: &str) -> Option<InlineKeyboardMarkup> {
    (!pairs.is_empty()).then(|| {
        InlineKeyboardMarkup::new(pairs.iter().map(|(id, question)| {
            [InlineKeyboardButton::callback(format!("{mark}{}", shorten(question, BUTTON_CHARS)), callback_data(*id))]
        }))
    })
}

fn suggestion_pairs(suggestions: &[Suggestion]) -> Vec<(i64, String)> {
    suggestions.iter().map(|s| (s.pair_id, s.question.clone())).collect()
}

/// A stored pair as messages (split when long); `keyboard` goes under the last one.
pub fn pair_messages(
    record: &PairRecord,
    confidence: Option<f64>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Vec<Outgoing> {
    let mut messages: Vec<Outgoing> =
        render::telegram_pair(record, confidence).into_iter().map(Outgoing::plain).collect();
    if let Some(last) = messages.last_mut() {
        last.keyboard = keyboard;
    }
    messages
}

/// The reply to a question: the answer with "see also" buttons, or the "no close answer" message
/// with the closest questions as buttons.
pub fn answer_messages(answer: &Answer) -> Vec<Outgoing> {
    let buttons = suggestion_pairs(&answer.suggestions);
    if let Some(record) = &answer.matched {
        return pair_messages(record, Some(answer.confidence), pair_buttons(&buttons, "↪ "));
    }
    let mut html = render::telegram_no_answer(answer);
    if buttons.is_empty() {
        html.push_str("\n\n换个说法试试,或用 /interviews 看看收录了什么。\nTry other words, or see what I know: /help");
    }
    vec![Outgoing { html, keyboard: pair_buttons(&buttons, "") }]
}

/// What /start and /help need from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    /// Loaded interviews.
    pub interviews: Vec<InterviewInfo>,
    /// Speakers who answer, most turns first.
    pub speakers: Vec<String>,
    /// Example questions (pair id, question), short ones preferred.
    pub examples: Vec<(i64, String)>,
}

impl Overview {
    /// Read the overview from the store; examples are drawn at random among stored pairs.
    pub fn read(store: &Store) -> Result<Overview> {
        let interviews = store.interviews()?;
        let speakers = store.speakers()?.into_iter().map(|s| s.name).collect();
        let mut candidates: Vec<(i64, String)> = Vec::new();
        for _ in 0..12 {
            let Some(pair) = store.random_pair()? else { break };
            if !candidates.iter().any(|(id, _)| *id == pair.id) {
                candidates.push((pair.id, pair.question));
            }
        }
        // Short questions make better examples; keep the random order among short ones.
        candidates.sort_by_key(|(_, q)| q.chars().count().max(40));
        candidates.truncate(2);
        Ok(Overview { interviews, speakers, examples: candidates })
    }
}

/// /start and /help: what the bot knows, how to ask (in this chat first: a group only hears
/// /ask, replies and mentions; elsewhere; inline), example questions (also as buttons), the other
/// commands.
pub fn help(overview: &Overview, username: &str, in_group: bool) -> Outgoing {
    let mut html = String::from(
        "<b>向访谈提问 · Ask the interviews</b>\n\
         I answer questions with what was actually said in interview transcripts, quoting the \
         question, each speaker's words, and where it comes from.\n\n",
    );
    let pairs: i64 = overview.interviews.iter().map(|i| i.pairs).sum();
    if overview.interviews.is_empty() {
        html.push_str("No interviews are loaded yet (the operator adds them with <code>qabot load</code>).\n\n");
    } else {
        html.push_str(&format!(
            "I know {} with {} answered question{}",
            plural(overview.interviews.len(), "interview"),
            pairs,
            if pairs == 1 { "" } else { "s" }
        ));
        if !overview.speakers.is_empty() {
            let names: Vec<String> = overview.speakers.iter().take(6).map(|s| escape_html(s)).collect();
            let more = overview.speakers.len().saturating_sub(6);
            html.push_str(&format!(", answered by {}", names.join(", ")));
            if more > 0 {
                html.push_str(&format!(" and {more} more"));
            }
        }
        html.push_str(":\n");
        for interview in overview.interviews.iter().take(5) {
            html.push_str(&format!("• {} ({})\n", escape_html(&shorten(&interview.title, 80)), interview.pairs));
        }
        if overview.interviews.len() > 5 {
            html.push_str(&format!("• … {} more: /interviews\n", overview.interviews.len() - 5));
        }
        html.push('\n');
    }
    let bot = escape_html(username);
    let in_groups = format!("<code>/ask your question</code>, reply to one of my messages, or mention @{bot}");
    html.push_str("<b>How to ask</b>\n");
    if in_group {
        html.push_str(&format!(
            "• In this group: {in_groups}. Other messages here are not for me.\n\
             • In a private chat with me: just send your question, in Chinese or English.\n"
        ));
    } else {
        html.push_str(&format!(
            "• In this chat: just send your question, in Chinese or English.\n\
             • In groups: {in_groups}.\n"
        ));
    }
    html.push_str(&format!("• In any chat: type <code>@{bot} your question</code> and pick an answer.\n"));
    html.push_str(if in_group {
        "When nothing stored is close enough I stay quiet, except for /ask, where I say so and offer the \
         closest questions instead.\n"
    } else {
        "When nothing stored is close enough I say so and offer the closest questions instead.\n"
    });
    if !overview.examples.is_empty() {
        html.push_str("\n<b>Try</b>\n");
        for (_, question) in &overview.examples {
            html.push_str(&format!("• {}\n", escape_html(question)));
        }
    }
    html.push_str("\n/interviews what is loaded · /speakers who answers · /random a random answer");
    Outgoing { html, keyboard: pair_buttons(&overview.examples, "▶ ") }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Usage of /ask, with an example from the data when there is one.
pub fn ask_usage(example: Option<&str>) -> Outgoing {
    let example = example.map_or_else(|| "What did they say about compute?".to_owned(), |q| shorten(q, 60));
    Outgoing::plain(format!(
        "Ask like this: <code>/ask {}</code>\nOr reply to a message with /ask to ask its text.",
        escape_html(&example)
    ))
}

/// /interviews: each interview with date, number of pairs and speakers.
pub fn interviews(list: &[InterviewInfo]) -> Vec<String> {
    if list.is_empty() {
        return vec!["No interviews are loaded yet.".to_owned()];
    }
    let mut blocks = vec![format!("<b>Interviews ({})</b>", list.len())];
    for (i, interview) in list.iter().enumerate() {
        let mut line = format!("<b>{}. {}</b>\n", i + 1, escape_html(&shorten(&interview.title, 200)));
        if let Some(date) = &interview.date {
            line.push_str(&format!("{} · ", escape_html(date)));
        }
        line.push_str(&plural(interview.pairs as usize, "question"));
        if !interview.speakers.is_empty() {
            line.push_str(&format!(" · {}", escape_html(&shorten(&interview.speakers.join(", "), 200))));
        }
        blocks.push(line);
    }
    render::telegram_pack(&blocks)
}

/// /speakers: each speaker with aliases, number of answers and interviews.
pub fn speakers(list: &[SpeakerInfo]) -> Vec<String> {
    if list.is_empty() {
        return vec!["No speakers yet: no interviews are loaded.".to_owned()];
    }
    let mut blocks = vec![format!("<b>Speakers ({})</b>", list.len())];
    for speaker in list {
        let mut line = format!("<b>{}</b>", escape_html(&shorten(&speaker.name, 100)));
        if !speaker.aliases.is_empty() {
            line.push_str(&format!(" ({})", escape_html(&shorten(&speaker.aliases.join(", "), 150))));
        }
        line.push_str(&format!(
            "\n{} in {}",
            plural(speaker.turns as usize, "answer"),
            plural(speaker.interviews as usize, "interview")
        ));
        blocks.push(line);
    }
    render::telegram_pack(&blocks)
}

/// The answer to an inline query: results (title = stored question, description = speakers,
/// message = the rendered answer in one message) and the answer to log (`None` for an empty
/// query, which offers a random sample of stored questions). A query nothing stored resembles
/// gets one result that says so.
pub fn inline_results(
    store: &mut Store,
    query: &str,
    threshold: f64,
    username: &str,
) -> Result<(Vec<InlineQueryResult>, Option<Answer>)> {
    let note = format!("… (the answer goes on: ask @{username} for all of it)");
    if query.trim().is_empty() {
        let mut seen = Vec::new();
        let mut results = Vec::new();
        for _ in 0..INLINE_SAMPLES * 3 {
            let Some(record) = store.random_pair()? else { break };
            if seen.contains(&record.id) {
                continue;
            }
            seen.push(record.id);
            results.push(inline_article(&record, None, speakers_of(&record), &note));
            if results.len() == INLINE_SAMPLES {
                break;
            }
        }
        return Ok((results, None));
    }
    let answer = answer::ask(store, query, threshold)?;
    if answer.matched.is_none() && (answer.examples || answer.suggestions.is_empty()) {
        // Nothing stored resembles the query: the suggestions are examples, not answers to offer.
        return Ok((vec![inline_no_answer(&answer, username)], Some(answer)));
    }
    let mut results = Vec::new();
    if let Some(record) = &answer.matched {
        results.push(inline_article(record, Some(answer.confidence), speakers_of(record), &note));
    }
    for suggestion in &answer.suggestions {
        if let Some(record) = store.pair(suggestion.pair_id)? {
            let mut description = speakers_of(&record);
            if !answer.answered {
                description.push_str(&format!(" · closest match ({:.2})", suggestion.confidence));
            }
            results.push(inline_article(&record, Some(suggestion.confidence), description, &note));
        }
    }
    Ok((results, Some(answer)))
}

/// The one inline result for a query nothing stored resembles: says so, and where to see what the
/// bot knows (sent as is if picked).
fn inline_no_answer(answer: &Answer, username: &str) -> InlineQueryResult {
    let query = shorten(&answer.query, 60);
    let html = format!(
        "没有足够接近的答案。\nNo stored answer is close enough to <i>{}</i>.\n\n\
         To see what I know, send /help to @{}.",
        escape_html(&shorten(&answer.query, 200)),
        escape_html(username)
    );
    let content = InputMessageContent::Text(
        InputMessageContentText::new(html).parse_mode(ParseMode::Html).link_preview_options(no_preview()),
    );
    InlineQueryResult::Article(
        InlineQueryResultArticle::new("none", "没有接近的答案 · No close answer", content)
            .description(format!("Nothing stored resembles \u{201C}{query}\u{201D}: try other words")),
    )
}

fn speakers_of(record: &PairRecord) -> String {
    let mut names: Vec<&str> = Vec::new();
    for turn in &record.turns {
        if !names.contains(&turn.speaker.as_str()) {
            names.push(&turn.speaker);
        }
    }
    names.join(", ")
}

fn inline_article(record: &PairRecord, confidence: Option<f64>, description: String, note: &str) -> InlineQueryResult {
    let html = render::telegram_pair_single(record, confidence, note);
    let content = InputMessageContent::Text(
        InputMessageContentText::new(html).parse_mode(ParseMode::Html).link_preview_options(no_preview()),
    );
    InlineQueryResult::Article(
        InlineQueryResultArticle::new(callback_data(record.id), shorten(&record.question, TITLE_CHARS), content)
            .description(description),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_round_trips_and_rejects_junk() {
        assert_eq!(parse_callback(&callback_data(123)), Some(123));
        assert!(callback_data(i64::MAX).len() <= 64);
        for junk in ["", "pair:", "pair:x", "pair:-1", "pair:0", "iv:1", "pair:1 2"] {
            assert_eq!(parse_callback(junk), None, "{junk}");
        }
    }

    #[test]
    fn help_escapes_and_lists_examples() {
        let overview = Overview {
            interviews: vec![InterviewInfo {
                id: 1,
                slug: "x".into(),
                title: "A <b> & B".into(),
                date: None,
                pairs: 2,
                speakers: vec!["甲".into()],
            }],
            speakers: vec!["甲 <i>".into()],
            examples: vec![(1, "Why <x>?".into()), (2, "How & when?".into())],
        };
        let reply = help(&overview, "test_bot", false);
        let visible = render::telegram_visible_text(&reply.html).expect("well-formed");
        assert!(visible.contains("A <b> & B (2)"), "{visible}");
        assert!(visible.contains("answered by 甲 <i>"), "{visible}");
        assert!(visible.contains("• Why <x>?\n• How & when?"), "{visible}");
        assert!(visible.contains("mention @test_bot"), "{visible}");
        assert_eq!(reply.keyboard.unwrap().inline_keyboard.len(), 2);
        let empty = help(&Overview::default(), "b", true);
        assert!(render::telegram_visible_text(&empty.html).unwrap().contains("No interviews are loaded yet"));
        assert!(empty.keyboard.is_none());
    }
}
