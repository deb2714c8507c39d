//! The command-line front end: one function per `qabot` subcommand. `main.rs` parses arguments
//! and calls these; they print results and return errors for `main` to report.

pub mod ask;
pub mod embed;
pub mod eval;
pub mod info;
pub mod load;
pub mod sql;

use std::io::IsTerminal;

/// Whether progress bars and other interactive niceties should be shown on standard error.
pub fn interactive_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}
