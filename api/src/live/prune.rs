//! Pruning the outbox: events older than `--event-retention-secs` are
//! removed from the start of `folio serve`, whether or not anyone
//! subscribes, a batch at a time so that writers never wait long.
//!
//! A batch is at most [`outbox::PRUNE_BATCH`] events: their rows are
//! deleted first, then `events_head.pruned_through` is moved past them in
//! the same transaction, so the head's lock (which every writer of events
//! takes) is held only for that one-row update and the commit. A backlog
//! (say, millions of events left by a server that never pruned) goes in
//! many such batches, with a pause between them.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::outbox;

/// The pause between two batches of one backlog.
const BETWEEN_BATCHES: Duration = Duration::from_millis(10);

/// How long to wait after a failed batch.
const RETRY: Duration = Duration::from_secs(5);

/// Prunes the outbox of `db` every tenth of `retention` (between 100 ms
/// and a minute) until `closed` completes.
pub async fn run(
    db: DatabaseConnection,
    retention: Duration,
    closed: impl std::future::Future<Output = ()>,
) {
    let every = (retention / 10).clamp(Duration::from_millis(100), Duration::from_secs(60));
    let pruning = async {
        loop {
            prune_backlog(&db, retention).await;
            tokio::time::sleep(every).await;
        }
    };
    tokio::select! {
        () = pruning => {}
        () = closed => {}
    }
}

/// Removes every event older than `retention`, a batch at a time.
async fn prune_backlog(db: &DatabaseConnection, retention: Duration) {
    let Ok(retention) = chrono::Duration::from_std(retention) else {
        return;
    };
    let before = entity::timestamp::now() - retention;
    let mut removed = 0;
    loop {
        match outbox::prune_batch(db, before).await {
            Ok(batch) => {
                removed += batch;
                if batch < outbox::PRUNE_BATCH {
                    break;
                }
                tokio::time::sleep(BETWEEN_BATCHES).await;
            }
            Err(err) => {
                tracing::warn!("could not prune old events: {err}");
                tokio::time::sleep(RETRY).await;
                break;
            }
        }
    }
    if removed > 0 {
        tracing::debug!(removed, "pruned old events");
    }
}
