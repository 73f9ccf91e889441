//! Subscriptions across instances: two `folio serve` processes (the built
//! binary) on one database, a subscriber on one and the writes on the
//! other, on the backend the suite runs on (`FOLIO_TEST_DATABASE_URL`;
//! SQLite when it is unset). On PostgreSQL the follower's listening
//! connection is also cut with `pg_terminate_backend`, and what was
//! committed meanwhile must still arrive, once and in order.

use std::time::{Duration, Instant};

use folio_tests::TestDb;
use folio_tests::instance::Instance;
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database, DbBackend};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The binary under test.
const FOLIO: &str = env!("CARGO_BIN_EXE_folio");

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws socket to `instance`, subscribed to every new post as `id`.
async fn subscribe(instance: &Instance, id: &str, after: Option<&str>) -> Socket {
    let mut request = format!("ws://127.0.0.1:{}/graphql", instance.port)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(
        receive(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "connection_ack"
    );
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": id, "payload": {
            "query": "subscription($after: String) { postCreated(after: $after) { cursor post { title } } }",
            "variables": { "after": after },
        } }),
    )
    .await;
    // The subscription starts once the server has read the message.
    tokio::time::sleep(Duration::from_millis(300)).await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message within `patience`, or `None`.
async fn receive(socket: &mut Socket, patience: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??
        {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Close(frame)) => panic!("the socket closed: {frame:?}"),
            Ok(_) => continue,
            Err(err) => panic!("the socket failed: {err}"),
        }
    }
}

/// The title and cursor of the next event on `socket`, within `patience`.
async fn next_post(socket: &mut Socket, patience: Duration) -> Option<(String, String)> {
    let message = receive(socket, patience).await?;
    assert_eq!(message["type"], "next", "{message:#}");
    let event = &message["payload"]["data"]["postCreated"];
    Some((
        event["post"]["title"].as_str().unwrap().to_owned(),
        event["cursor"].as_str().unwrap().to_owned(),
    ))
}

#[tokio::test]
async fn a_write_on_one_instance_reaches_the_subscribers_of_another_and_resumes_without_loss() {
    let scratch = TestDb::empty().await;
    let a = Instance::start(FOLIO, &scratch.url, &[]).await;
    let b = Instance::start(FOLIO, &scratch.url, &["--no-migrate"]).await;
    let token = b.register("alice").await;
    let mut on_a = subscribe(&a, "1", None).await;

    b.create_post(&token, "from b").await;
    let (title, cursor) = next_post(&mut on_a, Duration::from_secs(1))
        .await
        .expect("the event within 1 s");
    assert_eq!(title, "from b");

    // Away for two posts, back with the last cursor: exactly those two, then live.
    drop(on_a);
    b.create_post(&token, "missed 1").await;
    b.create_post(&token, "missed 2").await;
    let mut again = subscribe(&a, "2", Some(&cursor)).await;
    let mut titles = Vec::new();
    for _ in 0..2 {
        titles.push(
            next_post(&mut again, Duration::from_secs(5))
                .await
                .unwrap()
                .0,
        );
    }
    assert_eq!(titles, ["missed 1", "missed 2"]);
    assert_eq!(
        next_post(&mut again, Duration::from_millis(500)).await,
        None
    );
    b.create_post(&token, "live").await;
    assert_eq!(
        next_post(&mut again, Duration::from_secs(1))
            .await
            .unwrap()
            .0,
        "live"
    );

    drop((a, b));
    drop(scratch);
}

#[tokio::test]
async fn events_committed_while_the_listener_is_cut_off_still_arrive_once_in_order() {
    let Ok(server) = std::env::var("FOLIO_TEST_DATABASE_URL") else {
        return;
    };
    if !server.starts_with("postgres") {
        return;
    }
    let scratch = TestDb::empty().await;
    let a = Instance::start(FOLIO, &scratch.url, &[]).await;
    let b = Instance::start(FOLIO, &scratch.url, &["--no-migrate"]).await;
    let token = b.register("alice").await;
    let mut on_a = subscribe(&a, "1", None).await;
    b.create_post(&token, "before").await;
    assert_eq!(
        next_post(&mut on_a, Duration::from_secs(1))
            .await
            .unwrap()
            .0,
        "before"
    );

    let db = Database::connect(&scratch.url).await.unwrap();
    let listeners = "SELECT pid FROM pg_stat_activity \
                     WHERE datname = current_database() AND query ILIKE 'LISTEN%'";
    let cut = db
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
        titles.push(
            next_post(&mut on_a, Duration::from_secs(10))
                .await
                .unwrap()
                .0,
        );
    }
    assert_eq!(titles, ["while cut 1", "while cut 2", "while cut 3"]);
    assert_eq!(next_post(&mut on_a, Duration::from_millis(500)).await, None);

    // The listener is back: a new post wakes the follower at once, well
    // before its safety poll (5 s) would.
    let deadline = Instant::now() + Duration::from_secs(5);
    while db
        .query_all_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            listeners,
        ))
        .await
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the listener did not reconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.create_post(&token, "after").await;
    assert_eq!(
        next_post(&mut on_a, Duration::from_secs(2))
            .await
            .unwrap()
            .0,
        "after"
    );

    db.close().await.unwrap();
    drop((a, b));
    drop(scratch);
}
