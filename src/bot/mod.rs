//! The Telegram front end (`qabot serve`).

use std::path::PathBuf;

use anyhow::Result;

/// Options of `qabot serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The database file.
    pub db: PathBuf,
    /// Bot API server to use instead of the public one.
    pub api_url: Option<String>,
    /// Record questions in the query log.
    pub log: bool,
    /// Confidence needed to answer.
    pub threshold: f64,
}

/// Run the bot until interrupted.
pub fn serve(_options: ServeOptions) -> Result<()> {
    anyhow::bail!("the Telegram bot is not implemented yet")
}
