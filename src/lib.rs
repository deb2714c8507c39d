//! qabot: turn interview transcripts into a question-answering bot that cites who said it.
//!
//! Layers, each depending only on those above it:
//! - [`text`]: small text helpers every layer shares (Han characters, everyday words, shortening);
//! - [`transcript`]: reading interview files into plain structs;
//! - [`search`]: normalising and tokenising text, ranking pairs, confidence;
//! - [`embed`]: sentence embeddings from a BERT model folder (no SQL, no search);
//! - [`store`]: the SQLite database: schema, loading, index, read queries;
//! - [`render`]: turning a match into terminal text, JSON or Telegram HTML;
//! - [`bot`]: the Telegram front end; [`commands`]: the command-line front end.

pub mod answer;
pub mod bot;
pub mod commands;
pub mod embed;
pub mod redact;
pub mod render;
pub mod search;
pub mod store;
pub mod text;
pub mod transcript;
