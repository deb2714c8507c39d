//! What every handler shares: the database, the settings, and the delayed log of inline queries.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::answer::{self, Answer, Semantic};
use crate::search::DEFAULT_THRESHOLD;
use crate::store::Store;

/// Front-end names in the query log.
pub const FRONTEND: &str = "telegram";
/// Front-end name in the query log for inline queries (`@bot question` in any chat).
pub const FRONTEND_INLINE: &str = "telegram-inline";

/// How the bot behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Confidence needed to answer.
    pub threshold: f64,
    /// Record questions in the query log.
    pub log: bool,
    /// Telegram sends an inline query for every pause in typing; only the last query of a burst is
    /// logged, once the user has been quiet this long.
    pub inline_log_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { threshold: DEFAULT_THRESHOLD, log: true, inline_log_delay: Duration::from_secs(3) }
    }
}

/// The handlers' shared state (cheap to clone). The store is behind a mutex and only used from
/// blocking threads, so a slow query never stalls the async runtime.
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    /// The sentence-embedding model, when one is configured: loaded once, used by every question.
    semantic: Mutex<Option<Semantic>>,
    settings: Settings,
    /// Inline queries waiting to be logged, by user (kept in memory only, never stored): the
    /// generation tells a newer query from the one a timer was started for.
    pending_inline: Mutex<HashMap<u64, (u64, Answer)>>,
    generation: AtomicU64,
}

impl Context {
    /// Share `store` among the handlers.
    pub fn new(store: Store, settings: Settings) -> Context {
        Context::with_semantic(store, settings, None)
    }

    /// [`Context::new`], matching questions by meaning too with `semantic` (see
    /// [`crate::commands::embed::semantic`]).
    pub fn with_semantic(store: Store, settings: Settings, semantic: Option<Semantic>) -> Context {
        Context {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                semantic: Mutex::new(semantic),
                settings,
                pending_inline: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Run `f` with the store on a blocking thread.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&mut lock(&inner.store))).await.context("a database task failed")?
    }

    /// Ask `question` (reading interviews loaded since the last question). Not logged: see
    /// [`Context::log`].
    pub async fn ask(&self, question: String) -> Result<Answer> {
        let threshold = self.settings().threshold;
        let inner = Arc::clone(&self.inner);
        self.with_store(move |store| {
            let mut semantic = lock(&inner.semantic);
            Ok(answer::ask_hybrid(store, semantic.as_mut(), &question, threshold)?.0)
        })
        .await
    }

    /// Log `answer` under `frontend` unless logging is off. Called once the reply is sent: the
    /// write may wait for another writer of the database (`qabot load`), a reply must not.
    pub async fn log(&self, frontend: &'static str, answer: Answer) {
        if self.settings().log {
            self.write_log(frontend, vec![answer]).await;
        }
    }

    /// Log an inline query once `user` stops typing (see [`Settings::inline_log_delay`]); a newer
    /// query from the same user replaces it.
    pub async fn log_inline_later(&self, user: u64, answer: Answer) {
        if !self.settings().log {
            return;
        }
        let generation = self.inner.generation.fetch_add(1, Ordering::Relaxed);
        lock(&self.inner.pending_inline).insert(user, (generation, answer));
        let delay = self.settings().inline_log_delay;
        if delay.is_zero() {
            self.log_pending(user, generation).await;
        } else {
            let this = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                this.log_pending(user, generation).await;
            });
        }
    }

    async fn log_pending(&self, user: u64, generation: u64) {
        let answer = {
            let mut pending = lock(&self.inner.pending_inline);
            match pending.get(&user) {
                Some((g, _)) if *g == generation => pending.remove(&user).map(|(_, a)| a),
                _ => None,
            }
        };
        if let Some(answer) = answer {
            self.write_log(FRONTEND_INLINE, vec![answer]).await;
        }
    }

    /// Log every inline query still waiting (at shutdown).
    pub async fn flush_inline_log(&self) {
        let answers: Vec<Answer> = lock(&self.inner.pending_inline).drain().map(|(_, (_, a))| a).collect();
        if !answers.is_empty() {
            self.write_log(FRONTEND_INLINE, answers).await;
        }
    }

    async fn write_log(&self, frontend: &'static str, answers: Vec<Answer>) {
        let written = self
            .with_store(move |store| {
                for answer in &answers {
                    answer::log(store, frontend, answer);
                }
                Ok(())
            })
            .await;
        if let Err(e) = written {
            log::warn!("could not write the query log: {e:#}");
        }
    }
}

/// Lock a mutex, also after a panic elsewhere (the data is a connection or a map of pending
/// log rows: nothing a panic can leave half-updated in a harmful way).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
