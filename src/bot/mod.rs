//! The Telegram front end (`qabot serve`): long polling with teloxide.
//!
//! - [`handlers`]: the update handler tree (which messages get an answer, commands, buttons,
//!   inline queries);
//! - [`replies`]: what the bot says, built from answers and store contents (pure);
//! - `context` (re-exported: [`Context`], [`Settings`]): the shared database and settings, and the
//!   delayed inline query log.
//!
//! Startup checks the token format, then calls `getMe` with a timeout, so a missing or bad token
//! and an unreachable API are one-line errors instead of a bot that never answers.

pub(crate) mod context;
pub mod handlers;
pub mod replies;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use teloxide::adaptors::throttle::Limits;
use teloxide::adaptors::Throttle;
use teloxide::dispatching::ShutdownToken;
use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::{ApiError, RequestError};

pub use context::{Context, Settings};
pub use handlers::{handler_tree, menu_commands, BotLike, Command};

use crate::store::{Seed, Store};

/// Options of `qabot serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The database file.
    pub db: PathBuf,
    /// What a new database starts with.
    pub seed: Seed,
    /// Bot API server to use instead of the public one.
    pub api_url: Option<String>,
    /// Record questions in the query log.
    pub log: bool,
    /// Confidence needed to answer.
    pub threshold: f64,
    /// The sentence-embedding model folder (`--model`, `$QABOT_MODEL`; else the one recorded).
    pub model: Option<PathBuf>,
}

/// The environment variable holding the bot token (teloxide's convention).
pub const TOKEN_VAR: &str = "TELOXIDE_TOKEN";
/// How long startup waits for the Bot API to answer `getMe` (and `setMyCommands`).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long shutdown waits for database work still running.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Run the bot until SIGINT or SIGTERM, with the token from `$TELOXIDE_TOKEN`.
pub fn serve(options: ServeOptions) -> Result<()> {
    serve_with_token(options, std::env::var(TOKEN_VAR).ok())
}

/// Run the bot until SIGINT or SIGTERM with the given token (`None`: not set).
pub fn serve_with_token(options: ServeOptions, token: Option<String>) -> Result<()> {
    let token = check_token(token.as_deref())?;
    let mut bot = Bot::new(token);
    if let Some(url) = &options.api_url {
        let parsed = url.trim().trim_end_matches('/').parse().with_context(|| format!("invalid --api-url {url:?}"))?;
        bot = bot.set_api_url(parsed);
        let api = bot.api_url();
        if !matches!(api.scheme(), "http" | "https") || api.cannot_be_a_base() {
            bail!("invalid --api-url {url:?}: expected an http:// or https:// URL");
        }
    }
    let store = Store::open_for_reading(&options.db, options.seed)?;
    let semantic = crate::commands::embed::semantic(&store, options.model.as_deref(), &mut std::io::stderr())?;
    let settings = Settings { threshold: options.threshold, log: options.log, ..Settings::default() };
    let ctx = Context::with_semantic(store, settings, semantic);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("qabot-serve")
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(run(bot, ctx));
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    result
}

/// The token, if it looks like one (`123456789:AAE…`: digits, a colon, letters, digits, `_`, `-`).
/// Error messages never include the token.
pub fn check_token(token: Option<&str>) -> Result<String> {
    let token = token.map(str::trim).unwrap_or_default();
    if token.is_empty() {
        bail!("{TOKEN_VAR} is not set: create a bot with @BotFather and export its token, e.g. {TOKEN_VAR}=123456:ABC-DEF… qabot serve");
    }
    let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && !secret.is_empty()
            && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !well_formed {
        bail!("{TOKEN_VAR} does not look like a bot token (expected digits, a colon, then letters and digits, as @BotFather gives it)");
    }
    Ok(token.to_owned())
}

/// What a failed startup call means, in one line (teloxide already keeps the token out of
/// network errors).
fn startup_error(api: &str, e: RequestError) -> anyhow::Error {
    match e {
        RequestError::Api(ApiError::InvalidToken) => {
            anyhow!("the Bot API at {api} rejected the token in {TOKEN_VAR}: check it with @BotFather")
        }
        RequestError::Network(e) => {
            let mut cause = e.to_string();
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                cause.push_str(&format!(": {s}"));
                source = s.source();
            }
            anyhow!("cannot reach the Bot API at {api}: {cause}")
        }
        e => anyhow!("the Bot API at {api} failed: {e}"),
    }
}

/// Register the command menu. A failure is only a warning: the commands work without the menu.
pub async fn register_commands<B: BotLike>(bot: &B) {
    match tokio::time::timeout(STARTUP_TIMEOUT, bot.set_my_commands(menu_commands()).send()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => log::warn!("could not register the command menu (setMyCommands): {e}; serving anyway"),
        Err(_) => log::warn!("could not register the command menu (setMyCommands): no answer; serving anyway"),
    }
}

async fn run(bot: Bot, ctx: Context) -> Result<()> {
    let api = {
        let mut url = bot.api_url();
        // Never print credentials a self-hosted API URL may carry.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.to_string()
    };
    let me: Me = tokio::time::timeout(STARTUP_TIMEOUT, bot.get_me().send())
        .await
        .map_err(|_| anyhow!("the Bot API at {api} did not answer within {}s", STARTUP_TIMEOUT.as_secs()))?
        .map_err(|e| startup_error(&api, e))?;
    register_commands(&bot).await;
    let bot = bot.throttle(Limits::default());
    let (interviews, pairs) = ctx
        .with_store(|store| Ok((store.interviews()?.len(), store.pair_total()?)))
        .await
        .context("cannot read the database")?;
    eprintln!(
        "qabot: serving as @{} ({interviews} interview(s), {pairs} question(s)); stop with Ctrl-C or SIGTERM",
        me.username()
    );

    let mut dispatcher = Dispatcher::builder(bot.clone(), handler_tree::<Throttle<Bot>>())
        .dependencies(dptree::deps![ctx.clone()])
        // Group chatter is not for us: nothing to report.
        .default_handler(|_| async {})
        // Handler errors (a user who blocked the bot, a network hiccup) are logged; serving goes on.
        .error_handler(Arc::new(|e: handlers::Error| async move { log::warn!("could not handle an update: {e}") }))
        .enable_ctrlc_handler()
        .build();
    stop_on_sigterm(dispatcher.shutdown_token());
    // Polls with a 10 s long-poll timeout; network errors are retried with exponential back-off
    // (1 s up to 64 s) and a RetryAfter pauses polling for the time Telegram asks.
    let listener = teloxide::update_listeners::polling_default(bot).await;
    dispatcher
        .try_dispatch_with_listener(
            listener,
            Arc::new(|e: RequestError| async move { log::warn!("could not get updates from Telegram: {e}; retrying") }),
        )
        .await
        .map_err(|e| startup_error(&api, e))?;
    ctx.flush_inline_log().await;
    eprintln!("qabot: stopped");
    Ok(())
}

/// SIGTERM stops polling and lets replies in flight finish, like SIGINT (teloxide's Ctrl-C
/// handler).
fn stop_on_sigterm(token: ShutdownToken) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            log::warn!("cannot listen for SIGTERM; stop the bot with Ctrl-C");
            return;
        };
        term.recv().await;
        log::info!("SIGTERM received, stopping");
        // The dispatcher may still be starting: retry until it runs.
        for _ in 0..600 {
            match token.shutdown() {
                Ok(done) => return done.await,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    #[cfg(not(unix))]
    drop(token);
}
