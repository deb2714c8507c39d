//! The update handlers: decide whether and how to reply, ask [`crate::answer`], send what
//! [`super::replies`] builds.
//!
//! The tree is generic over the requester, so production runs it with `Throttle<Bot>` (flood
//! limits respected, `RetryAfter` waited out) and tests with the plain `Bot` that the fake server
//! of `teloxide_tests` injects.

use std::time::Duration;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, ChatKind, Me, MessageEntityKind, MessageId, ParseMode, ReplyParameters, ThreadId};
use teloxide::utils::command::BotCommands;
use teloxide::RequestError;

use super::context::{Context, FRONTEND};
use super::replies::{self, Outgoing, Overview};

/// Error type of the handlers (Telegram and database errors alike).
pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;
/// Result of a handler.
pub type HandlerResult = Result<(), Error>;

/// Any requester the handlers can use: `Bot` in tests, `Throttle<Bot>` in production.
pub trait BotLike: Requester<Err = RequestError> + Clone + Send + Sync + 'static {}
impl<T> BotLike for T where T: Requester<Err = RequestError> + Clone + Send + Sync + 'static {}

/// How many times a request that Telegram answered with "retry after N s" is sent again.
const RETRIES: usize = 2;
/// Longest wait for such a retry: an answer to a tap or an inline query that comes much later is
/// useless (and refused).
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

/// Send a request again when Telegram asks to wait (429 Too Many Requests), at most [`RETRIES`]
/// times, waiting as asked. `Throttle` already does this for requests tied to a chat
/// (sendMessage), not for answers to taps and inline queries, which use this.
async fn retrying<T, F, Fut>(what: &str, mut request: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut retries = 0;
    loop {
        match request().await {
            Err(RequestError::RetryAfter(wait)) if retries < RETRIES && wait.duration() <= MAX_RETRY_WAIT => {
                retries += 1;
                log::info!("{what}: Telegram asks to wait {}s; retrying", wait.seconds());
                tokio::time::sleep(wait.duration()).await;
            }
            result => return result,
        }
    }
}

/// The bot's commands, as read by [`parse_command`] (the derive gives the menu descriptions).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// First contact (a deep-link payload is accepted and ignored).
    #[command(description = "what I know and how to ask")]
    Start(String),
    /// Help.
    #[command(description = "what I know and how to ask")]
    Help,
    /// Ask a question (in groups, the way to get an answer even when it is not a close one).
    #[command(description = "ask a question, e.g. /ask 微软为什么投资 OpenAI?")]
    Ask(String),
    /// Loaded interviews with their number of pairs.
    #[command(description = "the interviews I know")]
    Interviews,
    /// Speakers who answer.
    #[command(description = "who answers in them")]
    Speakers,
    /// A random pair.
    #[command(description = "a random question and its answer")]
    Random,
}

/// What the text of a message means as a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// One of ours.
    Command(Command),
    /// Starts with `/` but names no command of ours.
    Unknown,
    /// A command addressed to another bot (`/ask@other_bot`).
    OtherBot,
    /// Not a command.
    NotCommand,
}

/// Read `text` as a command the way people type them: `/` and the command word in any case, which
/// ends at the first character that is not an ASCII letter, digit or `_` (`/ask为什么`, `/ask`
/// and a line break or a full-width space all work), optionally `@` and this bot's name in any
/// case; the rest, trimmed of any whitespace, is the argument.
pub fn parse_command(text: &str, username: &str) -> Parsed {
    let Some(rest) = text.strip_prefix('/') else { return Parsed::NotCommand };
    let word_end = |s: &str| s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    let (word, mut rest) = rest.split_at(word_end(rest));
    if let Some(after) = rest.strip_prefix('@') {
        let (name, after) = after.split_at(word_end(after));
        if !name.eq_ignore_ascii_case(username) {
            return Parsed::OtherBot;
        }
        rest = after;
    }
    let argument = rest.trim().to_owned();
    let command = match word.to_ascii_lowercase().as_str() {
        "start" => Command::Start(argument),
        "help" => Command::Help,
        "ask" => Command::Ask(argument),
        "interviews" => Command::Interviews,
        "speakers" => Command::Speakers,
        "random" => Command::Random,
        _ => return Parsed::Unknown,
    };
    Parsed::Command(command)
}

/// The commands shown in Telegram's command menu (`setMyCommands`): all but /start, which
/// clients offer by themselves.
pub fn menu_commands() -> Vec<BotCommand> {
    Command::bot_commands()
        .into_iter()
        .filter(|c| c.command != "/start")
        .map(|c| BotCommand::new(c.command.trim_start_matches('/'), c.description))
        .collect()
}

/// How a message came to be a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Any text in a private chat.
    Private,
    /// A reply to the bot's message, or a mention of the bot, in a group: answered only when
    /// the answer is confident, else the bot stays quiet.
    Addressed,
}

/// A question found in a message (not a command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The question, without mentions of the bot.
    pub text: String,
    /// How it was asked.
    pub asked: Asked,
}

/// The question in `msg`, if it is one for this bot: any text in a private chat; in groups, text
/// that replies to the bot or mentions it. Everything else (group chatter, commands of other bots,
/// messages the bot itself sent through inline mode) is `None`.
pub fn question_in(msg: &Message, me: &Me) -> Option<Question> {
    let text = msg.text()?;
    if msg.via_bot.as_ref().is_some_and(|b| b.id == me.id) || text.starts_with('/') {
        return None;
    }
    match &msg.chat.kind {
        ChatKind::Private(_) => Some(Question { text: text.trim().to_owned(), asked: Asked::Private }),
        ChatKind::Public(p) if !matches!(p.kind, teloxide::types::PublicChatKind::Channel(_)) => {
            let stripped = without_mentions(msg, me);
            let replying = msg.reply_to_message().and_then(|m| m.from.as_ref()).is_some_and(|u| u.id == me.id);
            if !replying && stripped.is_none() {
                return None;
            }
            let text = stripped.unwrap_or_else(|| text.trim().to_owned());
            Some(Question { text, asked: Asked::Addressed })
        }
        _ => None,
    }
}

/// The text of `msg` without its mentions of the bot, or `None` when it does not mention it.
fn without_mentions(msg: &Message, me: &Me) -> Option<String> {
    let text = msg.text()?;
    let entities = msg.parse_entities()?;
    let mine: Vec<std::ops::Range<usize>> = entities
        .iter()
        .filter(|e| match e.kind() {
            MessageEntityKind::Mention => e.text().trim_start_matches('@').eq_ignore_ascii_case(me.username()),
            MessageEntityKind::TextMention { user } => user.id == me.id,
            MessageEntityKind::TextLink { url } => *url == me.id.url(),
            _ => false,
        })
        .map(|e| e.range())
        .collect();
    if mine.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in mine {
        out.push_str(&text[at..range.start]);
        out.push(' ');
        at = range.end;
    }
    out.push_str(&text[at..]);
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether a message update is an edit of an earlier message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edited(pub bool);

/// The handler tree. New and edited messages go through the same rules: an edited question is
/// answered as a new one.
pub fn handler_tree<B: BotLike>() -> UpdateHandler<Error> {
    let messages = dptree::entry()
        .branch(
            dptree::filter_map(|msg: Message, me: Me| match parse_command(msg.text()?, me.username()) {
                Parsed::Command(command) => Some(command),
                _ => None,
            })
            .endpoint(on_command::<B>),
        )
        .branch(dptree::filter_map(|msg: Message, me: Me| question_in(&msg, &me)).endpoint(on_question::<B>))
        .branch(dptree::filter(|msg: Message| msg.chat.is_private()).endpoint(on_private_other::<B>));
    // Anything else (group chatter, non-text in groups, channel posts) gets no reply.
    dptree::entry()
        .branch(Update::filter_message().map(|| Edited(false)).chain(messages.clone()))
        .branch(Update::filter_edited_message().map(|| Edited(true)).chain(messages))
        .branch(Update::filter_callback_query().endpoint(on_callback::<B>))
        .branch(Update::filter_inline_query().endpoint(on_inline::<B>))
}

/// Where replies go: the chat, its forum topic, and (in groups) the message replied to.
#[derive(Debug, Clone, Copy)]
struct Target {
    chat: ChatId,
    thread: Option<ThreadId>,
    reply_to: Option<MessageId>,
}

impl Target {
    /// Replies to `msg`: quoting it in groups (where several conversations interleave), not in
    /// private chats.
    fn of(msg: &Message) -> Target {
        Target {
            chat: msg.chat.id,
            thread: msg.thread_id.filter(|_| msg.is_topic_message),
            reply_to: (!msg.chat.is_private()).then_some(msg.id),
        }
    }
}

async fn send<B: BotLike>(bot: &B, target: Target, messages: Vec<Outgoing>) -> HandlerResult {
    for (i, message) in messages.into_iter().enumerate() {
        // The request is turned into its (`Send`) future before awaiting: the request type of a
        // generic requester need not be `Send`.
        let sending = {
            let mut request = bot
                .send_message(target.chat, message.html)
                .parse_mode(ParseMode::Html)
                .link_preview_options(replies::no_preview());
            if let Some(thread) = target.thread {
                request = request.message_thread_id(thread);
            }
            if let (0, Some(id)) = (i, target.reply_to) {
                request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
            }
            if let Some(keyboard) = message.keyboard {
                request = request.reply_markup(keyboard);
            }
            request.send()
        };
        sending.await?;
    }
    Ok(())
}

/// Tell the user something went wrong on our side, then hand the error on to be logged.
async fn apologise<B: BotLike>(bot: &B, target: Target, error: anyhow::Error) -> HandlerResult {
    let sorry = "抱歉,出了点问题,请稍后再试。\nSorry, something went wrong on my side. Please try again later.";
    if let Err(e) = send(bot, target, vec![Outgoing { html: sorry.to_owned(), keyboard: None }]).await {
        log::warn!("could not send an apology: {e}");
    }
    Err(error.into())
}

async fn on_command<B: BotLike>(bot: B, msg: Message, cmd: Command, me: Me, ctx: Context) -> HandlerResult {
    let target = Target::of(&msg);
    let reply = match cmd {
        Command::Start(_) | Command::Help => ctx
            .with_store(|store| Overview::read(store))
            .await
            .map(|o| vec![replies::help(&o, me.username(), !msg.chat.is_private())]),
        Command::Ask(question) => {
            // A bare /ask in reply to someone's message asks that message's text.
            let question = match question.trim() {
                "" => msg
                    .reply_to_message()
                    .filter(|m| m.from.as_ref().is_none_or(|u| u.id != me.id))
                    .and_then(|m| m.text())
                    .map(str::trim)
                    .unwrap_or("")
                    .to_owned(),
                q => q.to_owned(),
            };
            if question.is_empty() {
                ctx.with_store(|store| Ok(store.random_pair()?.map(|p| p.question)))
                    .await
                    .map(|example| vec![replies::ask_usage(example.as_deref())])
            } else {
                return match ctx.ask(question).await {
                    Ok(answer) => reply_and_log(&bot, &ctx, target, answer, true).await,
                    Err(e) => apologise(&bot, target, e).await,
                };
            }
        }
        Command::Interviews => {
            ctx.with_store(|store| store.interviews()).await.map(|list| plain(replies::interviews(&list)))
        }
        Command::Speakers => ctx.with_store(|store| store.speakers()).await.map(|list| plain(replies::speakers(&list))),
        Command::Random => ctx.with_store(|store| store.random_pair()).await.map(|pair| match pair {
            Some(record) => replies::pair_messages(&record, None, None),
            None => plain(vec!["No interviews are loaded yet.".to_owned()]),
        }),
    };
    match reply {
        Ok(messages) => send(&bot, target, messages).await,
        Err(e) => apologise(&bot, target, e).await,
    }
}

fn plain(messages: Vec<String>) -> Vec<Outgoing> {
    messages.into_iter().map(|html| Outgoing { html, keyboard: None }).collect()
}

async fn on_question<B: BotLike>(bot: B, msg: Message, question: Question, ctx: Context) -> HandlerResult {
    let target = Target::of(&msg);
    if question.text.is_empty() {
        // Just "@bot" in a group: say how to ask.
        return send(&bot, target, vec![replies::ask_usage(None)]).await;
    }
    match ctx.ask(question.text).await {
        Ok(answer) => {
            // Not sure enough, and not asked with /ask: a group hears nothing (the question is
            // still logged, for curators).
            let reply = answer.answered || question.asked == Asked::Private;
            reply_and_log(&bot, &ctx, target, answer, reply).await
        }
        Err(e) => apologise(&bot, target, e).await,
    }
}

/// Send the answer (unless `reply` is false), then log the question: the reply never waits for
/// the log write.
async fn reply_and_log<B: BotLike>(
    bot: &B,
    ctx: &Context,
    target: Target,
    answer: crate::answer::Answer,
    reply: bool,
) -> HandlerResult {
    let sent = if reply { send(bot, target, replies::answer_messages(&answer)).await } else { Ok(()) };
    ctx.log(FRONTEND, answer).await;
    sent
}

/// Whether `msg` carries something the user sent that is not text (a sticker, photo, voice note,
/// file, place, contact, poll…), as opposed to a service message (a pin, a timer change…).
fn is_non_text_content(msg: &Message) -> bool {
    use teloxide::types::{MediaKind as M, MessageKind};
    match &msg.kind {
        MessageKind::Common(common) => matches!(
            common.media_kind,
            M::Animation(_)
                | M::Audio(_)
                | M::Contact(_)
                | M::Document(_)
                | M::PaidMedia(_)
                | M::Game(_)
                | M::Venue(_)
                | M::Location(_)
                | M::Photo(_)
                | M::Poll(_)
                | M::Checklist(_)
                | M::Sticker(_)
                | M::Story(_)
                | M::Video(_)
                | M::VideoNote(_)
                | M::Voice(_)
        ),
        MessageKind::Dice(_) => true,
        _ => false,
    }
}

/// Private messages that are neither commands nor questions: unknown commands get a pointer to
/// /help, non-text content (stickers, photos, voice notes…) a hint to type; service messages and
/// edits of non-text messages (which had their hint) nothing.
async fn on_private_other<B: BotLike>(bot: B, msg: Message, me: Me, edited: Edited) -> HandlerResult {
    let html = match msg.text() {
        Some(_) if msg.via_bot.as_ref().is_some_and(|b| b.id == me.id) => return Ok(()),
        Some(_) => "我不认识这个命令。/help 列出我能做的事。\nI don't know that command; /help lists what I can do.",
        None if is_non_text_content(&msg) && edited == Edited(false) => {
            "我只能读文字。请用文字发送你的问题。\nI can only read text: please type your question."
        }
        None => return Ok(()),
    };
    send(&bot, Target::of(&msg), vec![Outgoing { html: html.to_owned(), keyboard: None }]).await
}

/// A tap on a question button: stop the client's spinner, then send that pair's answer.
async fn on_callback<B: BotLike>(bot: B, query: CallbackQuery, ctx: Context) -> HandlerResult {
    let pair = match query.data.as_deref().and_then(replies::parse_callback) {
        Some(id) => ctx.with_store(move |store| store.pair(id)).await,
        None => Ok(None),
    };
    let record = match pair {
        Ok(Some(record)) => record,
        Ok(None) => {
            let stale = "这个问题已不在资料库中,请重新提问。\nThat question is no longer stored; please ask again.";
            answer_callback(&bot, &query, Some(stale)).await;
            return Ok(());
        }
        Err(e) => {
            answer_callback(&bot, &query, Some("Sorry, something went wrong. Please try again.")).await;
            return Err(e.into());
        }
    };
    answer_callback(&bot, &query, None).await;
    let target = match &query.message {
        Some(message) => Target {
            chat: message.chat().id,
            thread: message.regular_message().and_then(|m| m.thread_id.filter(|_| m.is_topic_message)),
            reply_to: None,
        },
        // The message with the button is too old to be shown: answer in the private chat.
        None => Target { chat: query.from.id.into(), thread: None, reply_to: None },
    };
    send(&bot, target, replies::pair_messages(&record, None, None)).await
}

/// Stop the spinner of a tap, with `text` as a notice. A failure is only logged: Telegram refuses
/// answers that come late ("query is too old"), and the tap must still get its reply.
async fn answer_callback<B: BotLike>(bot: &B, query: &CallbackQuery, text: Option<&str>) {
    let answered = retrying("answerCallbackQuery", || {
        let mut request = bot.answer_callback_query(query.id.clone());
        if let Some(text) = text {
            request = request.text(text);
        }
        request.send()
    })
    .await;
    if let Err(e) = answered {
        log::warn!("could not answer a button tap (answerCallbackQuery): {e}");
    }
}

/// `@bot question` in any chat: offer the top matches.
async fn on_inline<B: BotLike>(bot: B, query: InlineQuery, me: Me, ctx: Context) -> HandlerResult {
    let threshold = ctx.settings().threshold;
    let username = me.username().to_owned();
    let text = query.query.clone();
    let (results, answer) =
        ctx.with_store(move |store| replies::inline_results(store, &text, threshold, &username)).await?;
    if let Some(answer) = answer {
        ctx.log_inline_later(query.from.id.0, answer).await;
    }
    // Short cache: interviews loaded while the bot runs show up within seconds.
    retrying("answerInlineQuery", || bot.answer_inline_query(query.id.clone(), results.clone()).cache_time(10).send())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_has_every_command_but_start_without_slashes() {
        let names: Vec<String> = menu_commands().into_iter().map(|c| c.command).collect();
        assert_eq!(names, ["help", "ask", "interviews", "speakers", "random"]);
    }

    #[test]
    fn commands_parse_with_and_without_mention() {
        let parse = |text: &str| parse_command(text, "qa_bot");
        let ask = |q: &str| Parsed::Command(Command::Ask(q.into()));
        assert_eq!(parse("/ask 为什么"), ask("为什么"));
        assert_eq!(parse("/ask@qa_bot 为什么"), ask("为什么"));
        assert_eq!(parse("/ask"), ask(""));
        assert_eq!(parse("/start deep-link"), Parsed::Command(Command::Start("deep-link".into())));
        assert_eq!(parse("/start"), Parsed::Command(Command::Start(String::new())));
        assert_eq!(parse("/ask@other_bot 为什么"), Parsed::OtherBot);
    }

    #[test]
    fn commands_parse_in_any_case_and_without_a_space() {
        let parse = |text: &str| parse_command(text, "qa_bot");
        let ask = |q: &str| Parsed::Command(Command::Ask(q.into()));
        for text in [
            "/Ask 为什么",
            "/ASK 为什么",
            "/ask为什么",
            "/ask\n为什么\n",
            "/ask\u{3000}为什么\u{3000}",
            "/ask\t 为什么",
        ] {
            assert_eq!(parse(text), ask("为什么"), "{text:?}");
        }
        assert_eq!(parse("/ASK@QA_Bot为什么"), ask("为什么"));
        assert_eq!(parse("/ask@qa_bot\u{3000}两个 词"), ask("两个 词"));
        assert_eq!(parse("/Help"), Parsed::Command(Command::Help));
        assert_eq!(parse("/help me"), Parsed::Command(Command::Help));
        assert_eq!(parse("/RANDOM@qa_bot"), Parsed::Command(Command::Random));
        assert_eq!(parse("/asking x"), Parsed::Unknown);
        assert_eq!(parse("/frobnicate"), Parsed::Unknown);
        assert_eq!(parse("/"), Parsed::Unknown);
        assert_eq!(parse("/ask@qa_bot2 x"), Parsed::OtherBot);
        assert_eq!(parse("ask x"), Parsed::NotCommand);
        assert_eq!(parse(" /ask x"), Parsed::NotCommand);
    }
}
