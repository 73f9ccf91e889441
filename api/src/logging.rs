//! Where Folio's logs go and how they look: standard error, filtered by
//! `RUST_LOG`, either as text for a person (coloured only when standard
//! error is a terminal and `NO_COLOR` is unset) or as one JSON object per
//! line for a log collector (`--log-format json`, `FOLIO_LOG_FORMAT=json`).
//!
//! What is logged, and with which request id, is decided where it happens
//! (`app.rs`'s request span, the error conversion); this module only sets up
//! the subscriber.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; ANSI colours only on a terminal.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields`, `target`,
    /// and the spans (`span`, `spans`) the event happened in.
    Json,
}

/// The filter when `RUST_LOG` is unset or does not parse.
const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Sends log events to standard error in `format`. A second call keeps the
/// first subscriber (tests run many commands in one process).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => logs.with_ansi(colours_wanted()).try_init(),
        LogFormat::Json => logs.with_ansi(false).json().try_init(),
    };
}

/// Colours are for a person at a terminal who has not asked for none
/// (<https://no-color.org>: `NO_COLOR` set and not empty).
fn colours_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    std::io::stderr().is_terminal() && !no_color
}
