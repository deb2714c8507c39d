//! The command-line front end: one function per `qabot` subcommand. `main.rs` parses arguments
//! and calls these; they print results and return errors for `main` to report.

pub mod ask;
pub mod eval;
pub mod info;
pub mod load;
pub mod sql;

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Result;

use crate::store::{Seed, Store};

/// Open the database, creating and seeding it when it does not exist.
pub fn open(db: &Path, seed: Seed) -> Result<Store> {
    Store::open(db, seed)
}

/// Whether progress bars and other interactive niceties should be shown on standard error.
pub fn interactive_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}
