//! The server's logs in test output, when asked for: with `TEST_LOG` set (to
//! anything but the empty string), [`init`] installs a `tracing` subscriber
//! that writes through the test harness, so the logs show for a failing test
//! (or for every test with `--nocapture`), filtered by `RUST_LOG` (default
//! `info,sqlx=warn`, as `folio` itself). Without `TEST_LOG` no subscriber is
//! installed and the logs go nowhere. It does not touch how `folio` logs when
//! run from the command line.

use std::sync::Once;

use tracing_subscriber::EnvFilter;

/// The environment variable that turns logging on.
pub const TEST_LOG: &str = "TEST_LOG";

/// The filter when `RUST_LOG` is unset or unreadable.
const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the subscriber the first time it is called in a process, if
/// `TEST_LOG` asks for one; later calls do nothing.
pub fn init() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        if std::env::var_os(TEST_LOG).is_none_or(|value| value.is_empty()) {
            return;
        }
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
        // Another global subscriber (one a test installed itself) wins; that is fine.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}
