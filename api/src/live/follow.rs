//! The follower: one task per instance that reads the outbox by increasing
//! id and publishes each new event to the instance's subscribers. With no
//! subscriber it stops reading until one comes ([`Hub::events`] resumes it
//! from the newest event).
//!
//! On PostgreSQL a listener on one dedicated connection (outside the pool
//! that requests use) wakes it on every commit of events (`LISTEN/NOTIFY`).
//! When that connection breaks, the listener connects again and the
//! follower reads everything after the last id it saw, so an event
//! committed while nobody listened still arrives, once and in order. A slow
//! poll runs beside it all the same, should a notification ever be lost. On
//! MariaDB and SQLite the follower polls at the configured interval.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::Notify;

use super::{Hub, outbox};

/// How often the follower reads the outbox on PostgreSQL without being woken.
const SAFETY_POLL: Duration = Duration::from_secs(5);

/// How long the follower waits after a failed read, or the listener after a
/// failed connection, before trying again.
const RETRY: Duration = Duration::from_secs(1);

/// Follows the outbox of `hub` from id `last` until the hub closes.
pub async fn run(hub: Arc<Hub>, mut last: i64) {
    let db = hub.db.clone();
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let wake = Arc::new(Notify::new());
    let mut closed = std::pin::pin!(hub.closed());
    if postgres {
        tokio::spawn(listen(db.clone(), wake.clone(), hub.closed()));
    }
    let poll = if postgres {
        SAFETY_POLL
    } else {
        Duration::from_millis(hub.config.event_poll_ms.max(1))
    };
    loop {
        if hub.pause_if_unheard() {
            tokio::select! {
                resumed = hub.resumed() => last = resumed,
                () = closed.as_mut() => return,
            }
        }
        loop {
            match outbox::read_after(&db, last).await {
                Ok((events, read_through, more)) => {
                    for event in events {
                        hub.publish(event);
                    }
                    last = read_through;
                    if !more {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!("could not read the outbox: {err}");
                    tokio::time::sleep(RETRY).await;
                    break;
                }
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
            () = closed.as_mut() => return,
        }
    }
}

/// Listens on [`outbox::CHANNEL`] over one connection of `db`'s pool and
/// wakes the follower on every notification, and after every (re)connection
/// so that it catches up with what was committed while nobody listened.
async fn listen(
    db: DatabaseConnection,
    wake: Arc<Notify>,
    closed: impl std::future::Future<Output = ()>,
) {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

    // A pool of its own, of one connection opened as the request pool opens
    // its: the listener holds its connection for good, and must not take
    // one that requests wait for.
    let options = db.get_postgres_connection_pool().connect_options();
    let own = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(RETRY * 5)
        .connect_lazy_with(PgConnectOptions::clone(&options));
    let listening = async {
        loop {
            let mut listener = match PgListener::connect_with(&own).await {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::warn!("could not connect the event listener: {err}");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            if let Err(err) = listener.listen(outbox::CHANNEL).await {
                tracing::warn!("could not listen for events: {err}");
                tokio::time::sleep(RETRY).await;
                continue;
            }
            wake.notify_one();
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => wake.notify_one(),
                    // The connection broke and the listener connected again.
                    Ok(None) => {
                        tracing::info!("the event listener reconnected");
                        wake.notify_one();
                    }
                    Err(err) => {
                        tracing::warn!("the event listener lost its connection: {err}");
                        tokio::time::sleep(RETRY).await;
                        break;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = listening => {}
        () = closed => {}
    }
}
