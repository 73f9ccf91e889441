//! Where Folio's logs go and how they look: standard error, filtered by
//! `RUST_LOG`, either as text for a person (coloured only when standard
//! error is a terminal and `NO_COLOR` is unset) or as one JSON object per
//! line for a log collector (`--log-format json`, `FOLIO_LOG_FORMAT=json`).
//!
//! What is logged, and with which request id, is decided where it happens
//! (`app.rs`'s request span, the error conversion); this module only sets up
//! the subscriber.

use std::io::IsTerminal;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt};

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

/// The filter when `RUST_LOG` is unset, empty or does not parse.
const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Sends log events to standard error in `format`. A second call keeps the
/// first subscriber (tests run many commands in one process).
pub fn init(format: LogFormat) {
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|spec| !spec.trim().is_empty() && EnvFilter::try_new(spec).is_ok());
    let filter = filter(spec.as_deref().unwrap_or(DEFAULT_FILTER));
    let logs = fmt::layer().with_writer(std::io::stderr);
    let logs = match format {
        LogFormat::Text => logs.with_ansi(colours_wanted()).boxed(),
        LogFormat::Json => logs.with_ansi(false).json().boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .try_init();
}

/// The filter `spec` (`RUST_LOG`'s syntax) describes. Levels per target, the
/// usual case, are a static filter; only a spec that also filters on spans
/// or fields (`[request{path=/graphql}]=debug`) needs the dynamic one, whose
/// bookkeeping runs on every entry into a span: sqlx enters the request's
/// span at each row it reads, and that was 3 % of the server's CPU.
fn filter(spec: &str) -> Box<dyn Layer<Registry> + Send + Sync> {
    match spec.parse::<Targets>() {
        Ok(targets) => targets.boxed(),
        Err(_) => EnvFilter::new(spec).boxed(),
    }
}

/// Colours are for a person at a terminal who has not asked for none
/// (<https://no-color.org>: `NO_COLOR` set and not empty).
fn colours_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    std::io::stderr().is_terminal() && !no_color
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::filter::Targets;

    /// Only a spec with span or field filters takes the dynamic filter.
    #[test]
    fn only_span_filters_need_the_dynamic_filter() {
        assert!(super::DEFAULT_FILTER.parse::<Targets>().is_ok());
        assert!("warn,api=debug".parse::<Targets>().is_ok());
        assert!(
            "info,[request{path=/graphql}]=debug"
                .parse::<Targets>()
                .is_err()
        );
    }
}
