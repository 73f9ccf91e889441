//! Waiting for something observable, always with a deadline: a server's
//! `/healthz` or `/readyz`, a row, a listening connection. A test never
//! sleeps to let something become ready; it asks, and fails with what it
//! was waiting for once [`DEADLINE`] has passed.
//!
//! The deadline is loose on purpose: eight or more tests share two cores,
//! and a deadline is there to turn a hang into a failure, not to measure.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How long a test waits for what it expects before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often a condition is asked again.
const EVERY: Duration = Duration::from_millis(20);

/// Waits until `check` answers `true`, asking every few milliseconds;
/// panics naming `what` once [`DEADLINE`] has passed.
pub async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "waited {DEADLINE:?} for {what}, in vain"
        );
        tokio::time::sleep(EVERY).await;
    }
}

/// Waits until `GET url` answers `status` (an answer of another status, or
/// none, is asked again).
pub async fn until_status(client: &reqwest::Client, url: &str, status: u16) {
    until(&format!("{url} to answer {status}"), || async {
        client
            .get(url)
            .send()
            .await
            .is_ok_and(|response| response.status().as_u16() == status)
    })
    .await;
}

/// Waits until the server at `base` (`http://host:port`) is healthy: its
/// `/healthz` answers 200.
pub async fn until_healthy(client: &reqwest::Client, base: &str) {
    until_status(client, &format!("{base}/healthz"), 200).await;
}

/// Waits until the server at `base` is ready: its `/readyz` answers 200,
/// which it does once its database answers.
pub async fn until_ready(client: &reqwest::Client, base: &str) {
    until_status(client, &format!("{base}/readyz"), 200).await;
}

/// `future`'s output, or a panic naming `what` if it takes longer than
/// `bound`: for a wait whose end is the behaviour under test, bounded
/// loosely so that a hang fails instead of stalling the suite.
pub async fn within<T>(what: &str, bound: Duration, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(bound, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {bound:?}"))
}
