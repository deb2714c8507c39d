//! The Telegram bot against teloxide_tests' fake Bot API server (no network, no real token).
//!
//! Each test builds a temporary database, dispatches one or a few updates through the real handler
//! tree, and checks what the bot sent. MockBots are short-lived: teloxide_tests holds one global
//! lock per MockBot. Inline queries, which the fake server cannot answer, are tested at the handler
//! level at the end.

mod fake_http;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qabot::bot::replies::{self, parse_callback};
use qabot::bot::{handler_tree, register_commands, Context, Settings};
use qabot::render::{telegram_visible_text, TELEGRAM_LIMIT};
use qabot::store::{Origin, Seed, Store};
use qabot::transcript::{parse_bytes, Format};
use teloxide::dptree::deps;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButtonKind, InlineKeyboardMarkup, InlineQueryResult, InputMessageContent, MaybeInaccessibleMessage,
    MessageAutoDeleteTimerChanged, MessageEntity, MessageEntityKind, MessageKind, MessageMessageAutoDeleteTimerChanged,
    MessagePinned, ParseMode, Seconds, UpdateId, UpdateKind,
};
use teloxide_tests::server::Responses;
use teloxide_tests::{
    IntoUpdate, MockBot, MockCallbackQuery, MockEditedMessage, MockGroupChat, MockMe, MockMessageAnimation,
    MockMessageAudio, MockMessageContact, MockMessageDocument, MockMessageLocation, MockMessagePhoto, MockMessagePoll,
    MockMessageSticker, MockMessageText, MockMessageVideo, MockMessageVideoNote, MockMessageVoice, MockSupergroupChat,
    MockUser,
};
use tempfile::TempDir;

/// A bundled database in a temporary folder, and the bot context over it.
struct Fixture {
    _dir: TempDir,
    path: PathBuf,
    ctx: Context,
}

fn fixture_with(threshold: f64, log: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qabot.db");
    let store = Store::open(&path, Seed::Bundled).unwrap();
    let settings = Settings { threshold, log, inline_log_delay: Duration::ZERO };
    Fixture { _dir: dir, ctx: Context::new(store, settings), path }
}

fn fixture() -> Fixture {
    fixture_with(Settings::default().threshold, true)
}

/// A threshold no match reaches: every question is "not close enough".
const NEVER: f64 = 1.01;

impl Fixture {
    /// A second connection, as another process (`qabot load`, `qabot misses`) would have.
    fn store(&self) -> Store {
        Store::open(&self.path, Seed::Empty).unwrap()
    }

    /// (id, question) of every stored pair, in id order.
    fn pairs(&self) -> Vec<(i64, String)> {
        let store = self.store();
        let mut stmt = store.connection().prepare("SELECT id, question FROM pairs ORDER BY id").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
    }

    /// The stored question of pair 2 of the bundled interview, with its id.
    fn known(&self) -> (i64, String) {
        self.pairs()[1].clone()
    }

    /// Rows of the query log: (frontend, query, answered).
    fn log_rows(&self) -> Vec<(String, String, bool)> {
        let store = self.store();
        let mut stmt =
            store.connection().prepare("SELECT frontend, query, answered FROM query_log ORDER BY id").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
    }

    /// Load an interview (JSON interchange format) through a separate connection.
    fn load_json(&self, json: &str) {
        load_json(&self.path, json);
    }

    /// Dispatch `update` through the bot and return what it sent. The MockBot lives only here.
    async fn run<T: IntoUpdate>(&self, update: T) -> Responses {
        let mut bot = MockBot::new(update, handler_tree::<Bot>());
        bot.dependencies(deps![self.ctx.clone()]);
        bot.dispatch().await;
        bot.get_responses()
    }
}

fn load_json(db: &Path, json: &str) {
    let parsed = parse_bytes(json.as_bytes(), Format::Json, "test").unwrap();
    let items: Vec<_> = parsed.interviews.into_iter().map(|(_, interview)| interview).collect();
    let mut store = Store::open(db, Seed::Empty).unwrap();
    store.load(&items, &Origin { path: "test.json".into(), stem: "test".into() }, false).unwrap();
}

/// What Telegram would display for each sent message; panics on malformed HTML.
fn visible(responses: &Responses) -> Vec<String> {
    responses
        .sent_messages_text
        .iter()
        .map(|m| {
            let html = m.message.text().unwrap();
            telegram_visible_text(html).unwrap_or_else(|| panic!("malformed HTML: {html}"))
        })
        .collect()
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Callback data of every button of a keyboard.
fn callback_datas(keyboard: &InlineKeyboardMarkup) -> Vec<String> {
    keyboard
        .inline_keyboard
        .iter()
        .flatten()
        .map(|b| match &b.kind {
            InlineKeyboardButtonKind::CallbackData(d) => d.clone(),
            other => panic!("unexpected button {other:?}"),
        })
        .collect()
}

fn me_user() -> teloxide::types::User {
    MockMe::new().build().user
}

fn group() -> teloxide::types::Chat {
    MockGroupChat::new().build()
}

/// A message the bot sent earlier in `chat`.
fn bot_message(chat: teloxide::types::Chat) -> Message {
    MockMessageText::new().id(500).text("earlier answer").from(me_user()).chat(chat).build()
}

fn message_update(message: Message) -> Update {
    Update { id: UpdateId(0), kind: UpdateKind::Message(message) }
}

// ---------------------------------------------------------------- private chats

#[tokio::test]
async fn private_question_quotes_question_speakers_and_citation() {
    let fx = fixture();
    let (id, question) = fx.known();
    let r = fx.run(MockMessageText::new().text(&question)).await;

    assert!(!r.sent_messages_text.is_empty());
    let first = &r.sent_messages_text[0];
    assert_eq!(first.bot_request.parse_mode, Some(ParseMode::Html));
    assert!(first.bot_request.link_preview_options.as_ref().is_some_and(|o| o.is_disabled));
    assert!(first.bot_request.reply_parameters.is_none(), "no need to quote in a private chat");
    assert_eq!(first.message.chat.id.0 as u64, MockUser::ID);
    let html = first.message.text().unwrap();
    assert!(html.contains("<b>山姆·奥特曼</b>:") || html.contains("<b>萨提亚·纳德拉</b>:"), "{html}");
    let text = visible(&r).join("\n\n");
    assert!(text.starts_with(&format!("❓ {question}")), "{text}");
    assert!(text.contains(&format!("question 2 (pair #{id})")), "{text}");
    assert!(text.contains("confidence"), "{text}");
    assert_eq!(fx.log_rows().len(), 1);
    assert_eq!(fx.log_rows()[0].0, "telegram");
    assert!(fx.log_rows()[0].2, "answered");
}

#[tokio::test]
async fn low_confidence_offers_closest_questions_as_buttons() {
    let fx = fixture_with(NEVER, true);
    let r = fx.run(MockMessageText::new().text("微软为什么投资 OpenAI?")).await;

    assert_eq!(r.sent_messages_text.len(), 1);
    let sent = &r.sent_messages_text[0];
    let text = &visible(&r)[0];
    assert!(text.contains("No stored answer is close enough to 微软为什么投资 OpenAI?"), "{text}");
    assert!(text.contains("Did you mean"), "{text}");
    let keyboard = sent.message.reply_markup().expect("suggestion buttons");
    let datas = callback_datas(keyboard);
    assert!((1..=3).contains(&datas.len()), "{datas:?}");
    let questions: Vec<(i64, String)> = fx.pairs();
    for (data, row) in datas.iter().zip(&keyboard.inline_keyboard) {
        assert!(data.len() <= 64, "callback_data is at most 64 bytes: {data}");
        let id = parse_callback(data).expect("carries a pair id");
        let question = &questions.iter().find(|(i, _)| *i == id).expect("an existing pair").1;
        let label = row[0].text.trim_end_matches('…');
        assert!(question.starts_with(label), "button shows the question: {label} / {question}");
    }
    assert_eq!(fx.log_rows(), vec![("telegram".into(), fx.log_rows()[0].1.clone(), false)]);
}

#[tokio::test]
async fn nothing_similar_says_so_and_offers_questions_it_can_answer() {
    let fx = fixture();
    let r = fx.run(MockMessageText::new().text("qqqzzz xxyyzz")).await;
    assert_eq!(r.sent_messages_text.len(), 1);
    let text = &visible(&r)[0];
    assert!(text.contains("No stored answer is close enough"), "{text}");
    assert!(text.contains("Questions I can answer"), "{text}");
    let keyboard = r.sent_messages_text[0].message.reply_markup().expect("example questions as buttons");
    assert!(!keyboard.inline_keyboard.is_empty());
}

#[tokio::test]
async fn with_a_model_the_bot_matches_by_meaning_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qabot.db");
    let folder = dir.path().join("tiny");
    qabot::embed::tiny::write(&folder, 1, qabot::embed::tiny::Layout::F16).unwrap();
    let mut store = Store::open(&path, Seed::Bundled).unwrap();
    let embedder = qabot::embed::Embedder::load(&folder).unwrap();
    qabot::commands::embed::fill_missing(&mut store, &embedder, None, false).unwrap();
    let mut err = Vec::new();
    let semantic = qabot::commands::embed::semantic(&store, Some(&folder), &mut err).unwrap();
    assert!(semantic.is_some() && err.is_empty(), "{}", String::from_utf8_lossy(&err));
    let settings = Settings { inline_log_delay: Duration::ZERO, ..Settings::default() };
    let fx = Fixture { _dir: dir, ctx: Context::with_semantic(store, settings, semantic), path };
    // No stored word is in the question (by words alone: example questions, as above), but the
    // nearest pairs by meaning are candidates.
    let r = fx.run(MockMessageText::new().text("zebra quilt")).await;
    let text = &visible(&r)[0];
    assert!(!text.contains("Questions I can answer"), "{text}");
}

#[tokio::test]
async fn tapping_a_button_answers_the_query_and_sends_the_pair() {
    let fx = fixture();
    let (id, question) = fx.known();
    let keyboard_message = MockMessageText::new().text("no close answer").from(me_user()).build();
    let tap = MockCallbackQuery::new().data(replies::callback_data(id)).message(keyboard_message);
    let r = fx.run(tap).await;

    assert_eq!(r.answered_callback_queries.len(), 1, "the client's spinner stops");
    assert_eq!(r.answered_callback_queries[0].callback_query_id, MockCallbackQuery::ID);
    assert_eq!(r.answered_callback_queries[0].text, None);
    let text = visible(&r).join("\n\n");
    assert!(text.starts_with(&format!("❓ {question}")), "{text}");
    assert!(text.contains(&format!("(pair #{id})")), "{text}");
    assert_eq!(r.sent_messages[0].chat.id.0 as u64, MockUser::ID);
    assert!(fx.log_rows().is_empty(), "a tap is not a new question");
}

#[tokio::test]
async fn stale_or_unknown_buttons_get_a_polite_answer() {
    let fx = fixture();
    for data in ["pair:999999", "garbage", "pair:-3"] {
        let keyboard_message = MockMessageText::new().text("no close answer").from(me_user()).build();
        let r = fx.run(MockCallbackQuery::new().data(data).message(keyboard_message)).await;
        assert_eq!(r.answered_callback_queries.len(), 1, "{data}");
        let text = r.answered_callback_queries[0].text.clone().unwrap_or_default();
        assert!(text.contains("no longer stored"), "{data}: {text}");
        assert!(r.sent_messages.is_empty(), "{data}");
    }
}

#[tokio::test]
async fn non_text_and_unknown_commands_get_a_hint_in_private() {
    let fx = fixture();
    let updates = vec![
        message_update(MockMessageSticker::new().build()),
        message_update(MockMessagePhoto::new().caption("看这张图").build()),
        message_update(MockMessageText::new().text("/frobnicate").build()),
    ];
    let r = fx.run(updates).await;
    let texts = visible(&r);
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].contains("I can only read text"), "{texts:?}");
    assert!(texts[1].contains("I can only read text"), "{texts:?}");
    assert!(texts[2].contains("/help"), "{texts:?}");
    assert!(fx.log_rows().is_empty());
}

/// Every kind of real non-text content gets the hint in private; service messages (a pin, a
/// change of the auto-delete timer), which the user did not write, get nothing.
#[tokio::test]
async fn only_real_non_text_content_gets_the_text_hint() {
    let fx = fixture();
    let updates: Vec<Update> = vec![
        MockMessageVoice::new().build(),
        MockMessageVideo::new().build(),
        MockMessageDocument::new().build(),
        MockMessageAudio::new().build(),
        MockMessageAnimation::new().build(),
        MockMessageVideoNote::new().build(),
        MockMessageLocation::new().build(),
        MockMessageContact::new().build(),
        MockMessagePoll::new().build(),
    ]
    .into_iter()
    .map(message_update)
    .collect();
    let count = updates.len();
    let texts = visible(&fx.run(updates).await);
    assert_eq!(texts.len(), count, "{texts:?}");
    assert!(texts.iter().all(|t| t.contains("I can only read text")), "{texts:?}");

    let mut pinned = MockMessageText::new().id(31).build();
    pinned.kind = MessageKind::Pinned(MessagePinned {
        pinned: Box::new(MaybeInaccessibleMessage::Regular(Box::new(MockMessageText::new().id(30).build()))),
    });
    let mut timer = MockMessageText::new().id(32).build();
    timer.kind = MessageKind::MessageAutoDeleteTimerChanged(MessageMessageAutoDeleteTimerChanged {
        message_auto_delete_timer_changed: MessageAutoDeleteTimerChanged {
            message_auto_delete_time: Seconds::from_seconds(86400),
        },
    });
    let r = fx.run(vec![message_update(pinned), message_update(timer)]).await;
    assert!(r.sent_messages.is_empty(), "{:?}", visible(&r));
}

/// An edited message is a new question in private, and follows the group rules in groups.
#[tokio::test]
async fn edited_messages_are_answered_like_new_ones() {
    let fx = fixture();
    let (id, question) = fx.known();
    let edit = |message: Message| Update { id: UpdateId(1), kind: UpdateKind::EditedMessage(message) };

    let r = fx.run(MockEditedMessage::new(MockMessageText::new().text(&question).build())).await;
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")), "{:?}", visible(&r));
    let r = fx.run(MockEditedMessage::new(MockMessageText::new().text(format!("/Ask{question}")).build())).await;
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")), "{:?}", visible(&r));

    // Groups: chatter edited into more chatter stays unanswered; edited into /ask, it is answered.
    let first = MockMessageText::new().id(78).text("hello").chat(group()).build();
    let mut chatter = first.clone();
    chatter.kind = MockMessageText::new().text(&question).build().kind;
    let mut asked = first.clone();
    asked.kind = MockMessageText::new().text(format!("/ask {question}")).build().kind;
    let r = fx.run(vec![message_update(first.clone()), edit(chatter)]).await;
    assert!(r.sent_messages.is_empty(), "{:?}", visible(&r));
    let r = fx.run(vec![message_update(first), edit(asked)]).await;
    assert_eq!(r.sent_messages_text.len(), 1, "{:?}", visible(&r));
    assert!(visible(&r)[0].contains(&format!("(pair #{id})")), "{:?}", visible(&r));
    assert_eq!(r.sent_messages_text[0].bot_request.reply_parameters.as_ref().map(|p| p.message_id.0), Some(78));

    // A photo whose caption is edited already had its hint.
    let r = fx.run(MockEditedMessage::new(MockMessagePhoto::new().caption("新的说明").build())).await;
    assert!(r.sent_messages.is_empty(), "{:?}", visible(&r));
}

#[tokio::test]
async fn own_inline_results_sent_to_the_bot_are_not_questions() {
    let fx = fixture();
    let (_, question) = fx.known();
    let mut message = MockMessageText::new().text(&question).build();
    message.via_bot = Some(me_user());
    let r = fx.run(message_update(message)).await;
    assert!(r.sent_messages.is_empty());
}

// ---------------------------------------------------------------- groups

#[tokio::test]
async fn group_chatter_is_never_answered() {
    let fx = fixture();
    let (_, question) = fx.known();
    let updates = vec![
        MockMessageText::new().text(&question).chat(group()),
        MockMessageText::new().text("lol").chat(MockSupergroupChat::new().build()),
        MockMessageText::new().text(format!("/ask@other_bot {question}")).chat(group()),
    ];
    let r = fx.run(updates).await;
    assert!(r.sent_messages.is_empty(), "{:?}", visible(&r));
    assert!(fx.log_rows().is_empty(), "chatter is not logged");
}

#[tokio::test]
async fn group_non_text_is_silent() {
    let fx = fixture();
    let updates = vec![
        message_update(MockMessageSticker::new().chat(group()).build()),
        message_update(MockMessagePhoto::new().chat(group()).build()),
    ];
    assert!(fx.run(updates).await.sent_messages.is_empty());
}

#[tokio::test]
async fn group_ask_is_answered_as_a_reply() {
    let fx = fixture();
    let (id, question) = fx.known();
    let r = fx.run(MockMessageText::new().id(77).text(format!("/ask {question}")).chat(group())).await;
    assert!(!r.sent_messages_text.is_empty());
    let first = &r.sent_messages_text[0];
    assert_eq!(first.bot_request.reply_parameters.as_ref().map(|p| p.message_id.0), Some(77));
    assert!(first.message.chat.id.0 < 0);
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")));
}

#[tokio::test]
async fn ask_with_the_bots_name_in_a_supergroup() {
    let fx = fixture();
    let (id, question) = fx.known();
    let chat = MockSupergroupChat::new().id(-100123).build();
    let r = fx.run(MockMessageText::new().text(format!("/ask@test_bot {question}")).chat(chat)).await;
    assert_eq!(r.sent_messages[0].chat.id.0, -100123);
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")));
}

#[tokio::test]
async fn group_ask_below_threshold_still_offers_closest_questions() {
    let fx = fixture_with(NEVER, true);
    let (_, question) = fx.known();
    let r = fx.run(MockMessageText::new().text(format!("/ask {question}")).chat(group())).await;
    assert_eq!(r.sent_messages_text.len(), 1);
    assert!(visible(&r)[0].contains("No stored answer is close enough"));
    assert!(r.sent_messages_text[0].message.reply_markup().is_some());
}

#[tokio::test]
async fn bare_ask_explains_usage_or_asks_the_replied_message() {
    let fx = fixture();
    let (id, question) = fx.known();
    let r = fx.run(MockMessageText::new().text("/ask").chat(group())).await;
    assert_eq!(visible(&r).len(), 1);
    assert!(visible(&r)[0].starts_with("Ask like this: /ask "), "{:?}", visible(&r));

    // "/ask" in reply to someone else's message asks that message.
    let asked = MockMessageText::new().id(600).text(&question).chat(group()).build();
    let r = fx.run(MockMessageText::new().text("/ask").chat(group()).reply_to_message(asked)).await;
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")), "{:?}", visible(&r));
}

#[tokio::test]
async fn reply_to_the_bot_in_a_group_is_answered() {
    let fx = fixture();
    let (id, question) = fx.known();
    let reply = MockMessageText::new().text(&question).chat(group()).reply_to_message(bot_message(group()));
    let r = fx.run(reply).await;
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")), "{:?}", visible(&r));
    assert!(r.sent_messages_text[0].bot_request.reply_parameters.is_some());
}

#[tokio::test]
async fn group_below_threshold_without_ask_stays_quiet() {
    let fx = fixture_with(NEVER, true);
    let (_, question) = fx.known();
    let reply = MockMessageText::new().text(&question).chat(group()).reply_to_message(bot_message(group()));
    let r = fx.run(reply).await;
    assert!(r.sent_messages.is_empty(), "{:?}", visible(&r));
    // Still a question asked of the bot: curators see it in the log.
    assert_eq!(fx.log_rows().len(), 1);
    assert!(!fx.log_rows()[0].2);
}

#[tokio::test]
async fn mentioning_the_bot_in_a_group_asks_it() {
    let fx = fixture();
    let (id, question) = fx.known();
    let text = format!("@test_bot {question}");
    let mention = MessageEntity::new(MessageEntityKind::Mention, 0, "@test_bot".len());
    let r = fx.run(MockMessageText::new().text(&text).entities(vec![mention]).chat(group())).await;
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")), "{:?}", visible(&r));
    // The mention is not part of the logged question.
    assert!(!fx.log_rows()[0].1.contains("test_bot"), "{:?}", fx.log_rows());

    // Another bot's mention is chatter.
    let other = MessageEntity::new(MessageEntityKind::Mention, 0, "@other_bot".len());
    let text = format!("@other_bot {question}");
    let r = fx.run(MockMessageText::new().text(&text).entities(vec![other]).chat(group())).await;
    assert!(r.sent_messages.is_empty());

    // Just the mention: how to ask.
    let bare = MessageEntity::new(MessageEntityKind::Mention, 0, "@test_bot".len());
    let r = fx.run(MockMessageText::new().text("@test_bot").entities(vec![bare]).chat(group())).await;
    assert!(visible(&r)[0].starts_with("Ask like this"), "{:?}", visible(&r));
}

// ---------------------------------------------------------------- commands

#[tokio::test]
async fn start_and_help_explain_with_examples_from_the_data() {
    let fx = fixture();
    let questions: Vec<String> = fx.pairs().into_iter().map(|(_, q)| q).collect();
    for command in ["/start", "/help", "/start from-a-link", "/help@test_bot"] {
        let r = fx.run(MockMessageText::new().text(command)).await;
        assert_eq!(r.sent_messages_text.len(), 1, "{command}");
        let text = &visible(&r)[0];
        assert!(text.contains("I know 1 interview with 14 answered questions"), "{text}");
        assert!(text.contains("OpenAI资本架构重塑与微软深度协作"), "{text}");
        assert!(text.contains("/ask your question"), "{text}");
        assert!(text.contains("@test_bot your question"), "{text}");
        let examples: Vec<&str> = text.split("Try\n").nth(1).unwrap().lines().take(2).collect();
        assert_eq!(examples.len(), 2);
        for example in &examples {
            let example = example.strip_prefix("• ").unwrap();
            assert!(questions.iter().any(|q| q == example), "{example} is a stored question");
        }
        assert_ne!(examples[0], examples[1]);
        let keyboard = r.sent_messages_text[0].message.reply_markup().expect("example buttons");
        assert_eq!(callback_datas(keyboard).len(), 2);
    }
}

/// Plain group messages are not read, so /help in a group says how to ask there.
#[tokio::test]
async fn help_says_how_to_ask_in_the_chat_it_is_asked_in() {
    let fx = fixture();
    let r = fx.run(MockMessageText::new().text("/help")).await;
    let text = &visible(&r)[0];
    assert!(text.contains("In this chat: just send your question"), "{text}");

    for chat in [group(), MockSupergroupChat::new().build()] {
        let r = fx.run(MockMessageText::new().text("/help@test_bot").chat(chat)).await;
        let text = &visible(&r)[0];
        assert!(!text.contains("In this chat: just send"), "{text}");
        assert!(
            text.contains("In this group: /ask your question, reply to one of my messages, or mention @test_bot"),
            "{text}"
        );
        assert!(text.contains("In a private chat with me: just send your question"), "{text}");
    }
}

/// Commands as people type them: any case, the question right after the command (no space, as is
/// natural in Chinese), on the next line, after a full-width space; with the bot's name in any case.
#[tokio::test]
async fn ask_accepts_every_natural_form_in_private_and_groups() {
    let fx = fixture();
    let (id, question) = fx.known();
    let forms = [
        format!("/Ask {question}"),
        format!("/ASK {question}"),
        format!("/ask{question}"),
        format!("/ask\n{question}"),
        format!("/ask\u{3000}{question}\u{3000}"),
        format!("/ask@Test_Bot {question}"),
        format!("/Ask@test_bot{question}"),
    ];
    for form in &forms {
        for chat in [None, Some(group())] {
            let mut message = MockMessageText::new().text(form);
            if let Some(chat) = chat.clone() {
                message = message.chat(chat);
            }
            let r = fx.run(message).await;
            let text = visible(&r).join("\n\n");
            assert!(text.contains(&format!("(pair #{id})")), "{form:?} in {chat:?}: {text}");
        }
    }
    let rows = fx.log_rows();
    assert_eq!(rows.len(), forms.len() * 2);
    assert!(rows.iter().all(|(_, query, _)| !query.contains("ask")), "{rows:?}");

    // Other commands in any case too; a longer word is not /ask.
    let r = fx.run(MockMessageText::new().text("/HELP")).await;
    assert!(visible(&r)[0].contains("How to ask"), "{:?}", visible(&r));
    let r = fx.run(MockMessageText::new().text("/Interviews@TEST_BOT").chat(group())).await;
    assert!(visible(&r)[0].starts_with("Interviews (1)"), "{:?}", visible(&r));
    let r = fx.run(MockMessageText::new().text(format!("/asking {question}"))).await;
    assert!(visible(&r)[0].contains("I don't know that command"), "{:?}", visible(&r));
    let r = fx.run(MockMessageText::new().text(format!("/ASK@other_bot {question}")).chat(group())).await;
    assert!(r.sent_messages.is_empty(), "{:?}", visible(&r));
}

#[tokio::test]
async fn interviews_speakers_and_random() {
    let fx = fixture();
    let r = fx.run(MockMessageText::new().text("/interviews")).await;
    let text = visible(&r).join("\n\n");
    assert!(text.starts_with("Interviews (1)"), "{text}");
    assert!(text.contains("1. OpenAI资本架构重塑与微软深度协作"), "{text}");
    assert!(text.contains("14 questions · 山姆·奥特曼, 萨提亚·纳德拉"), "{text}");

    let r = fx.run(MockMessageText::new().text("/speakers")).await;
    let text = visible(&r).join("\n\n");
    assert!(text.contains("山姆·奥特曼 (奥特曼"), "{text}");
    assert!(text.contains("answers in 1 interview"), "{text}");
    assert!(text.contains("萨提亚·纳德拉"), "{text}");

    let questions: Vec<String> = fx.pairs().into_iter().map(|(_, q)| q).collect();
    let r = fx.run(MockMessageText::new().text("/random")).await;
    let text = visible(&r).join("\n\n");
    let shown = text.lines().next().unwrap().strip_prefix("❓ ").unwrap();
    assert!(questions.iter().any(|q| q == shown), "{text}");
    assert!(fx.log_rows().is_empty(), "listing is not asking");
}

#[tokio::test]
async fn commands_in_a_group_reply_there() {
    let fx = fixture();
    let r = fx.run(MockMessageText::new().id(9).text("/interviews@test_bot").chat(group())).await;
    assert_eq!(r.sent_messages.len(), 1);
    assert!(r.sent_messages[0].chat.id.0 < 0);
    assert_eq!(r.sent_messages_text[0].bot_request.reply_parameters.as_ref().unwrap().message_id.0, 9);
}

#[tokio::test]
async fn empty_database_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("empty.db"), Seed::Empty).unwrap();
    let ctx = Context::new(store, Settings::default());
    let updates = vec![
        MockMessageText::new().text("/help"),
        MockMessageText::new().text("/random"),
        MockMessageText::new().text("/interviews"),
        MockMessageText::new().text("/speakers"),
        MockMessageText::new().text("为什么?"),
    ];
    let mut bot = MockBot::new(updates, handler_tree::<Bot>());
    bot.dependencies(deps![ctx]);
    bot.dispatch().await;
    let texts = visible(&bot.get_responses());
    drop(bot);
    assert_eq!(texts.len(), 5, "{texts:?}");
    assert!(texts[0].contains("No interviews are loaded yet"), "{texts:?}");
    assert!(texts[1].contains("No interviews are loaded yet"), "{texts:?}");
    assert!(texts[2].contains("No interviews are loaded yet"), "{texts:?}");
    assert!(texts[3].contains("No speakers yet"), "{texts:?}");
    assert!(texts[4].contains("No stored answer is close enough"), "{texts:?}");
}

#[tokio::test]
async fn command_menu_is_registered() {
    let tree = dptree::entry().endpoint(|bot: Bot| async move {
        register_commands(&bot).await;
        Ok::<(), qabot::bot::handlers::Error>(())
    });
    let mut bot = MockBot::new(MockMessageText::new(), tree);
    bot.dispatch().await;
    let r = bot.get_responses();
    drop(bot);
    assert_eq!(r.set_my_commands.len(), 1);
    let names: Vec<String> = r.set_my_commands[0].commands.iter().map(|c| c.command.clone()).collect();
    assert_eq!(names, ["help", "ask", "interviews", "speakers", "random"]);
    assert!(r.set_my_commands[0].commands.iter().all(|c| !c.description.is_empty()));
}

#[tokio::test]
async fn works_with_the_throttled_bot_used_in_production() {
    use teloxide::adaptors::throttle::Limits;
    use teloxide::adaptors::Throttle;
    let fx = fixture();
    let (id, question) = fx.known();
    let tree = dptree::entry().map(|b: Bot| b.throttle(Limits::default())).chain(handler_tree::<Throttle<Bot>>());
    let mut bot = MockBot::new(MockMessageText::new().text(&question), tree);
    bot.dependencies(deps![fx.ctx.clone()]);
    bot.dispatch().await;
    let r = bot.get_responses();
    drop(bot);
    assert!(visible(&r).join("").contains(&format!("(pair #{id})")));
}

// ---------------------------------------------------------------- content

#[tokio::test]
async fn long_answers_are_split_within_telegrams_limit() {
    let fx = fixture();
    let sentence = "这是一个非常长的回答里的一句话,用来检验分段是否正确。";
    let paragraph = sentence.repeat(30);
    let long: Vec<String> = (0..14).map(|_| paragraph.clone()).collect();
    let json = serde_json::json!({
        "title": "长回答测试", "slug": "long-answer",
        "pairs": [{"question": "请详细讲讲长篇大论的回答是怎样的", "turns": [
            {"speaker": "甲先生", "text": long.join("\n")},
            {"speaker": "乙女士", "text": format!("{}😀", "好".repeat(5000))}
        ]}]
    });
    fx.load_json(&json.to_string());
    let r = fx.run(MockMessageText::new().text("请详细讲讲长篇大论的回答是怎样的")).await;

    let texts = visible(&r);
    assert!(texts.len() >= 3, "{} messages", texts.len());
    for text in &texts {
        assert!(utf16_len(text) <= TELEGRAM_LIMIT, "{} > {TELEGRAM_LIMIT}", utf16_len(text));
    }
    let all = texts.concat();
    assert_eq!(all.matches(sentence).count(), 14 * 30, "no sentence is cut");
    assert_eq!(all.matches('好').count(), 5000, "no character is lost at hard cuts");
    assert!(all.contains('😀'));
    assert!(texts[0].starts_with("❓ 请详细讲讲长篇大论的回答是怎样的"));
    assert!(texts.last().unwrap().contains("长回答测试 · question 1"));
    assert!(r.sent_messages_text.iter().all(|m| m.bot_request.parse_mode == Some(ParseMode::Html)));
}

/// A pair whose first turn is 6000 characters: the first message (and the one message of an
/// inline result) carries the question and the start of the answer, not the question alone.
#[tokio::test]
async fn long_first_turns_start_in_the_first_message_and_the_inline_result() {
    let fx = fixture();
    let sentence = "第一位发言人在这里详细解释了很多事情。";
    let json = serde_json::json!({
        "title": "长首段", "slug": "long-first-turn",
        "pairs": [{"question": "长首段回答的第一条消息里有回答吗?", "turns": [
            {"speaker": "甲先生", "text": sentence.repeat(6000 / sentence.chars().count())},
            {"speaker": "乙女士", "text": "简短的补充。"}
        ]}]
    });
    fx.load_json(&json.to_string());
    let r = fx.run(MockMessageText::new().text("长首段回答的第一条消息里有回答吗?")).await;
    let texts = visible(&r);
    assert!(texts.len() >= 2, "{texts:?}");
    assert!(texts[0].starts_with("❓ 长首段回答的第一条消息里有回答吗?\n\n甲先生:\n"), "{}", texts[0]);
    assert!(texts[0].matches(sentence).count() > 100, "the first message carries the answer: {}", texts[0]);
    assert!(texts.iter().all(|t| utf16_len(t) <= TELEGRAM_LIMIT));

    let mut store = fx.store();
    let (results, _) =
        replies::inline_results(&mut store, "长首段回答的第一条消息里有回答吗?", 0.5, "test_bot").unwrap();
    let text = telegram_visible_text(article(&results[0]).3).expect("well-formed");
    assert!(utf16_len(&text) <= TELEGRAM_LIMIT, "{}", utf16_len(&text));
    assert!(text.matches(sentence).count() > 100, "the inline result carries the answer: {text}");
    assert!(text.contains("ask @test_bot for all of it"), "{text}");
}

const HOSTILE: &str = r#"{
  "title": "<b>Bold</b> & <script>alert(1)</script>",
  "slug": "hostile",
  "pairs": [{
    "question": "What about <b>tags</b> & ampersands in zyxwv?",
    "turns": [{"speaker": "Eve <i>", "text": "x < y && y > z; <a href=\"http://evil\">click</a> &amp; done"}]
  }]
}"#;

#[tokio::test]
async fn hostile_text_is_escaped() {
    let fx = fixture();
    fx.load_json(HOSTILE);
    let r = fx.run(MockMessageText::new().text("What about <b>tags</b> & ampersands in zyxwv?")).await;
    let html = r.sent_messages_text[0].message.text().unwrap().to_owned();
    assert!(html.contains("&lt;b&gt;tags&lt;/b&gt; &amp; ampersands"), "{html}");
    assert!(html.contains("<b>Eve &lt;i&gt;</b>:"), "{html}");
    assert!(!html.contains("<a "), "{html}");
    let text = visible(&r).join("\n\n");
    assert!(text.contains("x < y && y > z; <a href=\"http://evil\">click</a> &amp; done"), "{text}");
    assert!(text.contains("<b>Bold</b> & <script>alert(1)</script>"), "{text}");

    // The user's own words, echoed in "no close answer", are escaped too.
    let fx = fixture_with(NEVER, false);
    let r = fx.run(MockMessageText::new().text("<b>zz</b> & <i>")).await;
    assert!(visible(&r)[0].contains("close enough to <b>zz</b> & <i>"), "{:?}", visible(&r));
}

// ---------------------------------------------------------------- data and log

#[tokio::test]
async fn interviews_loaded_while_running_are_answered() {
    let fx = fixture();
    fx.run(MockMessageText::new().text("/help")).await;
    fx.load_json(
        r#"{"title": "火星基地访谈", "slug": "mars",
            "pairs": [{"question": "火星基地的氧气从哪里来?", "turns": [{"speaker": "宇航员", "text": "电解冰层里的水。"}]}]}"#,
    );
    let r = fx.run(MockMessageText::new().text("火星基地的氧气从哪里来?")).await;
    let text = visible(&r).join("\n\n");
    assert!(text.contains("电解冰层里的水。"), "{text}");
    assert!(text.contains("火星基地访谈"), "{text}");
}

#[tokio::test]
async fn no_log_writes_no_query_log_rows() {
    let fx = fixture_with(Settings::default().threshold, false);
    let (_, question) = fx.known();
    let updates = vec![
        MockMessageText::new().text(&question),
        MockMessageText::new().text(format!("/ask {question}")),
        MockMessageText::new().text("qqqzzz"),
    ];
    let r = fx.run(updates).await;
    assert!(r.sent_messages.len() >= 3);
    assert!(fx.log_rows().is_empty());
}

#[tokio::test]
async fn query_log_has_no_user_or_chat_ids() {
    let fx = fixture();
    let (_, question) = fx.known();
    fx.run(MockMessageText::new().text(&question)).await;
    let store = fx.store();
    let columns: Vec<String> = store
        .connection()
        .prepare("SELECT name FROM pragma_table_info('query_log')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(columns.iter().all(|c| !c.contains("user") && !c.contains("chat")), "{columns:?}");
    let values: String = store
        .connection()
        .query_row("SELECT group_concat(quote(frontend) || quote(query) || quote(pair_id)) FROM query_log", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!values.contains(&MockUser::ID.to_string()), "{values}");
}

// ---------------------------------------------------------------- inline mode (handler level)

fn article(result: &InlineQueryResult) -> (&str, &str, Option<&str>, &str) {
    let InlineQueryResult::Article(a) = result else { panic!("expected an article: {result:?}") };
    let InputMessageContent::Text(content) = &a.input_message_content else { panic!("expected text") };
    assert_eq!(content.parse_mode, Some(ParseMode::Html));
    (a.id.as_str(), a.title.as_str(), a.description.as_deref(), content.message_text.as_str())
}

#[test]
fn inline_results_offer_top_matches() {
    let fx = fixture();
    let (id, question) = fx.known();
    let mut store = fx.store();
    let (results, answer) = replies::inline_results(&mut store, &question, 0.5, "test_bot").unwrap();
    assert!(answer.unwrap().answered);
    assert!(!results.is_empty() && results.len() <= 4);
    let (result_id, title, description, html) = article(&results[0]);
    assert_eq!(result_id, format!("pair:{id}"));
    assert_eq!(title, question);
    let record = store.pair(id).unwrap().unwrap();
    let mut speakers: Vec<&str> = record.turns.iter().map(|t| t.speaker.as_str()).collect();
    speakers.dedup();
    assert_eq!(description, Some(speakers.join(", ").as_str()));
    let text = telegram_visible_text(html).expect("well-formed");
    assert!(text.starts_with(&format!("❓ {question}")));
    assert!(utf16_len(&text) <= TELEGRAM_LIMIT);
    let mut ids: Vec<&str> = results.iter().map(|r| article(r).0).collect();
    ids.dedup();
    assert_eq!(ids.len(), results.len(), "result ids are unique");

    // Empty query: a sample of stored questions to browse; nothing to log.
    let (results, answer) = replies::inline_results(&mut store, "  ", 0.5, "test_bot").unwrap();
    assert!(answer.is_none());
    assert_eq!(results.len(), 5);

    // Not confident: the closest questions, marked as such.
    let (results, answer) = replies::inline_results(&mut store, &question, NEVER, "test_bot").unwrap();
    assert!(!answer.unwrap().answered);
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| article(r).2.unwrap().contains("closest match")));
}

/// A query nothing stored resembles gets one result saying so, not random example answers
/// labelled "closest match".
#[test]
fn inline_query_with_nothing_close_says_so_instead_of_offering_examples() {
    let fx = fixture();
    let mut store = fx.store();
    let (results, answer) = replies::inline_results(&mut store, "qqqzzz <b>xxyyzz</b>", 0.5, "test_bot").unwrap();
    let answer = answer.unwrap();
    assert!(answer.examples && !answer.answered, "the query is unrelated: {answer:?}");
    assert_eq!(results.len(), 1, "{results:?}");
    let (id, title, description, html) = article(&results[0]);
    assert!(parse_callback(id).is_none(), "not a stored pair: {id}");
    assert!(title.contains("No close answer"), "{title}");
    assert!(!description.unwrap_or("").contains("closest match"), "{description:?}");
    let text = telegram_visible_text(html).expect("well-formed");
    assert!(text.contains("No stored answer is close enough to qqqzzz <b>xxyyzz</b>"), "{text}");
    assert!(text.contains("@test_bot"), "{text}");
}

#[test]
fn inline_results_fit_in_one_message() {
    let fx = fixture();
    fx.load_json(
        &serde_json::json!({"title": "长", "slug": "long-inline", "pairs": [{"question": "超长回答的内联结果", "turns": [
            {"speaker": "甲", "text": "很长的一句话。".repeat(2000)}]}]})
        .to_string(),
    );
    fx.load_json(HOSTILE);
    let mut store = fx.store();
    let (results, _) = replies::inline_results(&mut store, "超长回答的内联结果", 0.5, "test_bot").unwrap();
    let text = telegram_visible_text(article(&results[0]).3).expect("well-formed");
    assert!(utf16_len(&text) <= TELEGRAM_LIMIT, "{}", utf16_len(&text));
    assert!(text.contains("ask @test_bot for all of it"), "{text}");
    assert!(text.contains("— 长 · question 1"), "the citation survives: {text}");

    let (results, _) =
        replies::inline_results(&mut store, "What about <b>tags</b> & ampersands in zyxwv?", 0.5, "b").unwrap();
    let (_, title, description, html) = article(&results[0]);
    assert_eq!(title, "What about <b>tags</b> & ampersands in zyxwv?", "titles are plain text");
    assert_eq!(description, Some("Eve <i>"));
    assert!(html.contains("&lt;b&gt;tags"), "{html}");
}

fn inline_update(query: &str, user: u64) -> Update {
    Update {
        id: UpdateId(0),
        kind: UpdateKind::InlineQuery(teloxide::types::InlineQuery {
            id: "iq1".to_owned().into(),
            from: MockUser::new().id(user).build(),
            location: None,
            query: query.to_owned(),
            offset: String::new(),
            chat_type: None,
        }),
    }
}

/// The fake server does not implement answerInlineQuery (and stalls 10 s on it), so dispatch the
/// handler tree directly with a bot whose API refuses connections: the inline branch must run
/// (and log the query) and then fail only at sending.
#[tokio::test]
async fn inline_queries_are_routed_and_logged() {
    let fx = fixture();
    let (_, question) = fx.known();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bot = Bot::new("1:x").set_api_url(format!("http://127.0.0.1:{port}/").parse().unwrap());
    let result = handler_tree::<Bot>()
        .dispatch(deps![inline_update(&question, 42), bot, MockMe::new().build(), fx.ctx.clone()])
        .await;
    assert!(matches!(result, ControlFlow::Break(Err(_))), "the inline endpoint ran");
    let rows = fx.log_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "telegram-inline");
    assert!(rows[0].2);
}

#[tokio::test]
async fn inline_log_keeps_only_the_last_query_of_a_burst() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("burst.db");
    drop(Store::open(&path, Seed::Bundled).unwrap());
    let settings = Settings { inline_log_delay: Duration::from_millis(200), ..Settings::default() };
    let ctx = Context::new(Store::open(&path, Seed::Empty).unwrap(), settings);
    let ask = |q: &str| {
        let mut store = fx.store();
        qabot::answer::ask(&mut store, q, 0.5).unwrap()
    };
    // User 1 types "微", "微软", "微软投资"; user 2 asks once; user 3's query is pending at shutdown.
    for partial in ["微", "微软", "微软投资"] {
        ctx.log_inline_later(1, ask(partial)).await;
    }
    ctx.log_inline_later(2, ask("算力")).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    ctx.log_inline_later(3, ask("电力")).await;
    ctx.flush_inline_log().await;
    let store = Store::open(&path, Seed::Empty).unwrap();
    let mut logged: Vec<String> = store
        .connection()
        .prepare("SELECT query FROM query_log WHERE frontend = 'telegram-inline'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    logged.sort();
    let mut expected: Vec<String> = ["微软投资", "算力", "电力"].iter().map(|q| ask(q).normalized).collect();
    expected.sort();
    assert_eq!(logged, expected);
}

// ---------------------------------------------------------------- a scripted Bot API (handler level)

/// A tiny Bot API on 127.0.0.1 for what teloxide_tests cannot do: refuse answerCallbackQuery,
/// answer 429 Too Many Requests, or look at the database while a reply is being sent. `script`
/// gets the method (lowercase), the JSON body and how many earlier calls of that method there were,
/// and returns Telegram's JSON reply. The handler tree is dispatched directly with a `Bot` on it.
struct ScriptedApi {
    url: String,
    calls: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

type Script = dyn Fn(&str, &serde_json::Value, usize) -> serde_json::Value + Send + Sync;

impl ScriptedApi {
    fn start(script: impl Fn(&str, &serde_json::Value, usize) -> serde_json::Value + Send + Sync + 'static) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = calls.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (script, recorded) = (script.clone(), recorded.clone());
                std::thread::spawn(move || scripted_connection(stream, &*script, &recorded));
            }
        });
        ScriptedApi { url, calls }
    }

    fn bot(&self) -> Bot {
        Bot::new("1:x").set_api_url(self.url.parse().unwrap())
    }

    fn methods(&self) -> Vec<String> {
        self.calls.lock().unwrap().iter().map(|(m, _)| m.clone()).collect()
    }

    fn sent_texts(&self) -> Vec<String> {
        let calls = self.calls.lock().unwrap();
        calls.iter().filter(|(m, _)| m == "sendmessage").map(|(_, b)| b["text"].as_str().unwrap().to_owned()).collect()
    }
}

fn scripted_connection(stream: std::net::TcpStream, script: &Script, calls: &Mutex<Vec<(String, serde_json::Value)>>) {
    fake_http::serve(stream, |method, body| {
        let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let earlier = {
            let mut calls = calls.lock().unwrap();
            let earlier = calls.iter().filter(|(m, _)| m == method).count();
            calls.push((method.to_owned(), body.clone()));
            earlier
        };
        let reply = script(method, &body, earlier);
        let status = match reply["error_code"].as_u64() {
            Some(429) => "429 Too Many Requests",
            Some(_) => "400 Bad Request",
            None => "200 OK",
        };
        (status, reply.to_string())
    });
}

fn api_ok(result: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"ok": true, "result": result})
}

/// What sendMessage returns for `body`.
fn api_sent(body: &serde_json::Value) -> serde_json::Value {
    api_ok(serde_json::json!({
        "message_id": 900, "date": 1_700_000_001,
        "chat": {"id": body["chat_id"], "type": "private", "first_name": "Ann"},
        "text": body["text"]
    }))
}

fn api_refused(description: &str) -> serde_json::Value {
    serde_json::json!({"ok": false, "error_code": 400, "description": description})
}

fn api_too_many(seconds: u32) -> serde_json::Value {
    serde_json::json!({
        "ok": false, "error_code": 429, "description": format!("Too Many Requests: retry after {seconds}"),
        "parameters": {"retry_after": seconds}
    })
}

const TOO_OLD: &str = "Bad Request: query is too old and response timeout expired or query ID is invalid";

fn tap_update(pair_id: i64) -> Update {
    let keyboard_message = MockMessageText::new().text("no close answer").from(me_user()).build();
    let tap = MockCallbackQuery::new().data(replies::callback_data(pair_id)).message(keyboard_message).build();
    Update { id: UpdateId(0), kind: UpdateKind::CallbackQuery(tap) }
}

/// Run `update` through the handler tree with a bot on `api`: `Break(result)` when a handler ran.
async fn dispatch_scripted(api: &ScriptedApi, update: Update, ctx: &Context) -> ControlFlow<HandlerResult> {
    match handler_tree::<Bot>().dispatch(deps![update, api.bot(), MockMe::new().build(), ctx.clone()]).await {
        ControlFlow::Break(result) => ControlFlow::Break(result),
        ControlFlow::Continue(_) => ControlFlow::Continue(()),
    }
}

type HandlerResult = Result<(), qabot::bot::handlers::Error>;

/// Telegram refuses late answers to a tap ("query is too old"); the user still gets the pair.
#[tokio::test]
async fn a_tap_is_answered_even_when_telegram_refuses_the_callback_answer() {
    let fx = fixture();
    let (id, question) = fx.known();
    let api = ScriptedApi::start(|method, body, _| match method {
        "answercallbackquery" => api_refused(TOO_OLD),
        "sendmessage" => api_sent(body),
        _ => api_refused("unexpected"),
    });
    let result = dispatch_scripted(&api, tap_update(id), &fx.ctx).await;
    assert!(matches!(result, ControlFlow::Break(Ok(()))), "{result:?}");
    assert_eq!(api.methods()[0], "answercallbackquery");
    let sent = api.sent_texts();
    assert!(!sent.is_empty() && sent[0].contains(&question), "{sent:?}");
}

/// 429 on answerCallbackQuery and answerInlineQuery (which Throttle does not retry) is waited out
/// and retried, a bounded number of times.
#[tokio::test]
async fn callback_and_inline_answers_are_retried_after_too_many_requests() {
    let fx = fixture();
    let (id, question) = fx.known();
    let api = ScriptedApi::start(|method, body, earlier| match (method, earlier) {
        ("answercallbackquery" | "answerinlinequery", 0) => api_too_many(1),
        ("answercallbackquery" | "answerinlinequery", _) => api_ok(serde_json::json!(true)),
        ("sendmessage", _) => api_sent(body),
        _ => api_refused("unexpected"),
    });
    let started = std::time::Instant::now();
    let result = dispatch_scripted(&api, tap_update(id), &fx.ctx).await;
    assert!(matches!(result, ControlFlow::Break(Ok(()))), "{result:?}");
    assert_eq!(api.methods(), ["answercallbackquery", "answercallbackquery", "sendmessage"]);
    let result = dispatch_scripted(&api, inline_update(&question, 42), &fx.ctx).await;
    assert!(matches!(result, ControlFlow::Break(Ok(()))), "{result:?}");
    assert_eq!(api.methods()[3..], ["answerinlinequery", "answerinlinequery"]);
    assert!(started.elapsed() >= Duration::from_secs(2), "Telegram's wait was respected");

    // Never more than two retries.
    let api = ScriptedApi::start(|method, body, _| match method {
        "sendmessage" => api_sent(body),
        _ => api_too_many(1),
    });
    let result = dispatch_scripted(&api, inline_update(&question, 42), &fx.ctx).await;
    assert!(matches!(result, ControlFlow::Break(Err(_))), "{result:?}");
    assert_eq!(api.methods(), ["answerinlinequery"; 3]);
    let result = dispatch_scripted(&api, tap_update(id), &fx.ctx).await;
    assert!(matches!(result, ControlFlow::Break(Ok(()))), "the pair is still sent: {result:?}");
    assert_eq!(
        api.methods()[3..],
        ["answercallbackquery", "answercallbackquery", "answercallbackquery", "sendmessage"]
    );
}

/// The query log is written after the reply is sent, so a busy database (`qabot load` writing)
/// never holds a reply back.
#[tokio::test]
async fn the_reply_is_sent_before_the_question_is_logged() {
    let fx = fixture();
    let (id, question) = fx.known();
    let path = fx.path.clone();
    let rows_when_sent = Arc::new(Mutex::new(Vec::new()));
    let seen = rows_when_sent.clone();
    let api = ScriptedApi::start(move |method, body, _| match method {
        "sendmessage" => {
            let conn = rusqlite::Connection::open(&path).unwrap();
            let rows: i64 = conn.query_row("SELECT count(*) FROM query_log", [], |r| r.get(0)).unwrap();
            seen.lock().unwrap().push(rows);
            api_sent(body)
        }
        _ => api_refused("unexpected"),
    });
    for text in [question.clone(), format!("/ask {question}")] {
        let update = message_update(MockMessageText::new().text(&text).build());
        let result = dispatch_scripted(&api, update, &fx.ctx).await;
        assert!(matches!(result, ControlFlow::Break(Ok(()))), "{result:?}");
    }
    assert!(api.sent_texts().iter().all(|t| t.contains(&format!("(pair #{id})"))), "{:?}", api.sent_texts());
    let seen = rows_when_sent.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&0), "nothing logged before the first reply: {seen:?}");
    assert!(seen.contains(&1), "the first question was logged before the second reply: {seen:?}");
    assert_eq!(fx.log_rows().len(), 2);
}

// ---------------------------------------------------------------- during a load

#[tokio::test]
async fn keeps_answering_while_a_load_holds_the_database_and_logs_afterwards() {
    let fx = fixture();
    let (_, question) = fx.known();
    // Another process's load in progress: the write lock is held, a change is not committed yet.
    let load = rusqlite::Connection::open(&fx.path).unwrap();
    load.execute_batch("BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES ('held', 'by a load');").unwrap();
    for _ in 0..2 {
        let r = fx.run(MockMessageText::new().text(&question)).await;
        assert!(visible(&r).concat().contains(&question), "answered during the load");
    }
    assert!(fx.log_rows().is_empty(), "the log waits for the load");
    load.execute_batch("COMMIT").unwrap();
    fx.run(MockMessageText::new().text(&question)).await;
    assert_eq!(fx.log_rows().len(), 3, "questions asked during the load are logged after it");
}

/// A bot started while a replacing load runs (the old pairs deleted, nothing committed yet) opens
/// the database without waiting for the load, and answers from the old data until it commits.
#[tokio::test]
async fn a_bot_started_during_a_replacing_load_answers_from_the_old_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qabot.db");
    drop(Store::open(&path, Seed::Bundled).unwrap());
    let load = rusqlite::Connection::open(&path).unwrap();
    load.execute_batch("BEGIN IMMEDIATE; DELETE FROM turns; DELETE FROM pairs;").unwrap();
    let store = Store::open_for_reading(&path, Seed::Bundled).unwrap();
    let settings = Settings { log: true, inline_log_delay: Duration::ZERO, ..Settings::default() };
    let fx = Fixture { _dir: dir, ctx: Context::new(store, settings), path };
    let (id, question) = fx.known();
    for _ in 0..2 {
        let r = fx.run(MockMessageText::new().text(&question)).await;
        assert!(
            visible(&r).concat().contains(&format!("(pair #{id})")),
            "answered from the old data: {:?}",
            visible(&r)
        );
    }
    load.execute_batch("COMMIT").unwrap();
    let r = fx.run(MockMessageText::new().text(&question)).await;
    let after = visible(&r).concat();
    assert!(!after.contains(&format!("(pair #{id})")) && after.contains("No stored answer is close enough"), "{after}");
    assert_eq!(fx.log_rows().len(), 3, "questions asked during the load are logged after it");
}
