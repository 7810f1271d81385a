//! The `sweep` command line: parses arguments, opens the store, calls the library crates,
//! prints, and decides the exit code (in [`main`], and nowhere else).

mod cli;
mod commands;
mod error;
mod grouped;
mod load;
mod output;
mod resolve;

use error::{InvalidInput, Outcome};

use clap::Parser;
use std::process::ExitCode;

/// Exit codes, decided here only.
mod code {
    /// A spec or an argument is invalid.
    pub const INVALID: u8 = 2;
    /// Any other error (store, files).
    pub const ERROR: u8 = 1;
    /// The sweep was interrupted by SIGINT/SIGTERM; its state is saved.
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::dispatch(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Interrupted) => ExitCode::from(code::INTERRUPTED),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let invalid = err.chain().any(|e| {
                e.is::<InvalidInput>() || e.is::<sweep_config::SpecError>() && !is_io_spec_error(e)
            });
            eprintln!("error: {}", message(&err));
            ExitCode::from(if invalid { code::INVALID } else { code::ERROR })
        }
    }
}

/// A spec that cannot be read at all (missing file) is not the user's spec being wrong;
/// one that is not UTF-8 text is.
fn is_io_spec_error(e: &(dyn std::error::Error + 'static)) -> bool {
    matches!(
        e.downcast_ref::<sweep_config::SpecError>(),
        Some(sweep_config::SpecError::Io { source, .. }) if source.kind() != std::io::ErrorKind::InvalidData
    )
}

/// Output piped into `head` and closed early is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<csv::Error>().is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
            || e.downcast_ref::<serde_json::Error>().is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// The error and its causes, each cause added only when the text so far does not already
/// say it (many errors include their source in their own message).
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
