//! Subscriptions across instances: two `folio serve` processes (the built
//! binary) on one database, a subscriber on one and the writes on the
//! other, on the backend the suite runs on (`FOLIO_TEST_DATABASE_URL`;
//! SQLite when it is unset). On PostgreSQL the follower's listening
//! connection is also cut with `pg_terminate_backend`, and what was
//! committed meanwhile must still arrive, once and in order.
//!
//! Each subscription starts `after` a cursor read before the writes it is
//! to hear of ([`newest_cursor`] says why that is race-free), so no test
//! waits for a subscription to start. That an event arrives once is shown
//! by the next one being the next post written.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use folio_tests::instance::Instance;
use folio_tests::socket::{Socket, newest_cursor};
use folio_tests::{TestDb, wait};
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::json;

/// The binary under test.
const FOLIO: &str = env!("CARGO_BIN_EXE_folio");

/// A graphql-transport-ws socket to `instance`, subscribed as `id` to every
/// new post after the cursor `after`.
async fn subscribe(instance: &Instance, id: &str, after: &str) -> Socket {
    let address = SocketAddr::from(([127, 0, 0, 1], instance.port));
    let mut socket = Socket::connected(address, None).await;
    socket
        .subscribe(
            id,
            "subscription($after: String) { postCreated(after: $after) { cursor post { title } } }",
            json!({ "after": after }),
        )
        .await;
    socket
}

/// The title and cursor of the next event on `socket`'s subscription `id`.
async fn next_post(socket: &mut Socket, id: &str) -> (String, String) {
    let payload = socket.next_payload(id).await;
    let event = &payload["data"]["postCreated"];
    let field = |value: &serde_json::Value| {
        value
            .as_str()
            .unwrap_or_else(|| panic!("not an event: {payload:#}"))
            .to_owned()
    };
    (field(&event["post"]["title"]), field(&event["cursor"]))
}

#[tokio::test]
async fn a_write_on_one_instance_reaches_the_subscribers_of_another_and_resumes_without_loss() {
    let db = TestDb::empty().await;
    let a = Instance::start(FOLIO, &db.url, &[]).await;
    let b = Instance::start(FOLIO, &db.url, &["--no-migrate"]).await;
    let token = b.register("alice").await;
    let mut on_a = subscribe(&a, "1", &newest_cursor(&db.conn).await).await;

    b.create_post(&token, "from b").await;
    let (title, cursor) = next_post(&mut on_a, "1").await;
    assert_eq!(title, "from b");

    // Away for two posts, back with the last cursor: exactly those two, then
    // live (a copy of either would come before the live one).
    drop(on_a);
    b.create_post(&token, "missed 1").await;
    b.create_post(&token, "missed 2").await;
    let mut again = subscribe(&a, "2", &cursor).await;
    let mut titles = Vec::new();
    for _ in 0..2 {
        titles.push(next_post(&mut again, "2").await.0);
    }
    assert_eq!(titles, ["missed 1", "missed 2"]);
    b.create_post(&token, "live").await;
    assert_eq!(next_post(&mut again, "2").await.0, "live");

    drop((a, b));
    drop(db);
}

#[tokio::test]
async fn events_committed_while_the_listener_is_cut_off_still_arrive_once_in_order() {
    let Ok(server) = std::env::var("FOLIO_TEST_DATABASE_URL") else {
        return;
    };
    if !server.starts_with("postgres") {
        return;
    }
    let db = TestDb::empty().await;
    let a = Instance::start(FOLIO, &db.url, &[]).await;
    let b = Instance::start(FOLIO, &db.url, &["--no-migrate"]).await;
    let token = b.register("alice").await;
    let mut on_a = subscribe(&a, "1", &newest_cursor(&db.conn).await).await;
    b.create_post(&token, "before").await;
    assert_eq!(next_post(&mut on_a, "1").await.0, "before");

    let listeners = "SELECT pid FROM pg_stat_activity \
                     WHERE datname = current_database() AND query ILIKE 'LISTEN%'";
    // The follower listens on a connection of its own, which it may open
    // after the first event reached the subscriber (by a read of the
    // outbox): wait until it is there.
    wait::until("the follower to listen", || async {
        let rows = db
            .conn
            .query_all_raw(sea_orm::Statement::from_string(
                db.conn.get_database_backend(),
                listeners,
            ))
            .await
            .unwrap();
        !rows.is_empty()
    })
    .await;
    let cut = db
        .conn
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM ({listeners}) AS listening"
        ))
        .await
        .unwrap();
    assert_eq!(cut.rows_affected(), 1, "one listening connection, cut");
    for title in ["while cut 1", "while cut 2", "while cut 3"] {
        b.create_post(&token, title).await;
    }
    let mut titles = Vec::new();
    for _ in 0..3 {
        titles.push(next_post(&mut on_a, "1").await.0);
    }
    assert_eq!(titles, ["while cut 1", "while cut 2", "while cut 3"]);

    // The listener is back: a new post wakes the follower at once. Without
    // the notification the follower's safety poll would find it, up to 5 s
    // after the reconnection; the bound below tells the two apart while
    // leaving a loaded machine seconds to spare. The next event being this
    // post also says none of the three above came twice.
    wait::until("the listener to reconnect", || async {
        !db.conn
            .query_all_raw(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                listeners,
            ))
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    let written = Instant::now();
    b.create_post(&token, "after").await;
    assert_eq!(next_post(&mut on_a, "1").await.0, "after");
    let took = written.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "the event took {took:?}: the follower was not woken by the notification"
    );

    drop((a, b));
    drop(db);
}
