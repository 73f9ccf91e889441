//! Every transport is held to the same rules: a WebSocket is refused to a
//! page of another origin as a browser's cross-site request would be, a
//! query or mutation over a socket gets the budget, the timeout and the
//! limits it gets over HTTP, its results keep their fields in selection
//! order, and a message over the size limit closes the socket with 1009.
//! A document that validation refuses never takes the values-in-flight
//! budget, so it cannot hold other requests back.

use std::net::SocketAddr;
use std::time::Duration;

use api::config::{DatabaseConfig, QueryLimits, ServerConfig};
use folio_tests::{TestApp, TestDb};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for what it expects before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// Opens a `graphql-transport-ws` socket to `address` as a page of `origin`
/// would (none: as a native client does); the HTTP status of a refusal.
async fn open(address: SocketAddr, origin: Option<&str>) -> Result<Stream, u16> {
    let mut request = format!("ws://{address}/graphql")
        .into_client_request()
        .expect("a WebSocket URL");
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    if let Some(origin) = origin {
        headers.insert("origin", HeaderValue::from_str(origin).expect("an origin"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((stream, _)) => Ok(stream),
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("the upgrade failed without an answer: {other}"),
    }
}

/// The next text frame, as the server wrote it; or the close code.
async fn next_text(stream: &mut Stream) -> Result<String, u16> {
    let frame = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("the server answered in time");
    match frame {
        Some(Ok(Message::Text(text))) => Ok(text.to_string()),
        Some(Ok(Message::Close(Some(frame)))) => Err(frame.code.into()),
        Some(Ok(Message::Close(None))) | None | Some(Err(_)) => Err(1006),
        Some(Ok(other)) => panic!("an unexpected frame: {other:?}"),
    }
}

async fn send(stream: &mut Stream, message: Value) {
    stream
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("sending on the socket");
}

/// A socket opened without an origin, initialised with `token` and acknowledged.
async fn connected(address: SocketAddr, token: Option<&str>) -> Stream {
    let mut stream = open(address, None).await.expect("the socket opens");
    let payload = token.map_or(json!({}), |token| json!({ "authorization": token }));
    send(
        &mut stream,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack: Value = serde_json::from_str(&next_text(&mut stream).await.expect("an ack")).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    stream
}

/// Runs `query` over `stream` as operation `id` and returns its first
/// message, as the server wrote it.
async fn run(stream: &mut Stream, id: &str, query: &str, variables: Value) -> String {
    send(
        stream,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await;
    next_text(stream)
        .await
        .expect("a message for the operation")
}

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_open_a_socket_unless_cors_allows_it() {
    let config = ServerConfig {
        cors_origins: vec!["https://app.example".into()],
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let own = format!("http://{}", app.address);
    assert_eq!(
        open(app.address, Some("https://evil.example")).await.err(),
        Some(403),
        "a page of another site opened a socket"
    );
    assert_eq!(open(app.address, Some("null")).await.err(), Some(403));
    for allowed in [None, Some(own.as_str()), Some("https://app.example")] {
        let mut stream = open(app.address, allowed)
            .await
            .unwrap_or_else(|status| panic!("{allowed:?} was refused with {status}"));
        send(&mut stream, json!({ "type": "connection_init" })).await;
        assert!(
            next_text(&mut stream)
                .await
                .unwrap()
                .contains("connection_ack")
        );
    }
    // A cross-site write, as the page that found the hole tried it: refused
    // before any message is read, so nobody is registered.
    assert_eq!(
        open(app.address, Some("https://evil.example")).await.err(),
        Some(403)
    );
    let users = app.data("{ users { totalCount } }", json!({})).await;
    assert_eq!(users["users"]["totalCount"], 0);
}

#[tokio::test]
async fn results_over_a_socket_keep_their_fields_in_selection_order() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("zelda").await;
    let mut stream = connected(app.address, None).await;
    let query = "{ zeta: __typename user(username: \"zelda\") { username databaseId id } alpha: __typename }";
    let text = run(&mut stream, "1", query, json!({})).await;
    let payload = &text[text.find("\"payload\"").unwrap()..];
    let positions: Vec<usize> = [
        "\"zeta\"",
        "\"user\"",
        "\"username\"",
        "\"databaseId\"",
        "\"id\"",
        "\"alpha\"",
    ]
    .iter()
    .map(|key| {
        payload
            .find(key)
            .unwrap_or_else(|| panic!("{key} missing in {text}"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "fields out of selection order: {text}"
    );
    // The message itself: type, id, payload, as the protocol writes it.
    assert!(
        text.starts_with(r#"{"type":"next","id":"1","payload":{"data":"#),
        "{text}"
    );
    // A mutation's result too, and the same over HTTP.
    let mut signed_in = connected(app.address, Some(&token)).await;
    let mutation =
        "mutation { createPost(input: { title: \"t\", body: \"b\" }) { title id body } }";
    let text = run(&mut signed_in, "2", mutation, json!({})).await;
    let payload = &text[text.find("\"payload\"").unwrap()..];
    let title = payload.find("\"title\"").unwrap();
    let id = payload.find("\"id\"").unwrap();
    let body = payload.find("\"body\"").unwrap();
    assert!(title < id && id < body, "{text}");
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_the_socket_with_1009() {
    let config = ServerConfig {
        body_limit: 4 * 1024,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let mut stream = connected(app.address, None).await;
    let query = format!("{{ __typename }} # {}", "x".repeat(8 * 1024));
    send(
        &mut stream,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    assert_eq!(next_text(&mut stream).await, Err(1009));
    // The server serves on.
    let mut again = connected(app.address, None).await;
    let text = run(&mut again, "1", "{ __typename }", json!({})).await;
    assert!(text.contains("\"Query\""), "{text}");
}

#[tokio::test]
async fn a_query_over_a_socket_is_held_to_the_http_limits() {
    let config = ServerConfig {
        limits: QueryLimits {
            max_depth: 4,
            max_complexity: 50,
            max_aliases: 2,
            ..QueryLimits::default()
        },
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let mut stream = connected(app.address, None).await;
    for (id, query, expected) in [
        (
            "1",
            "{ posts(first: 100) { nodes { title } } }",
            "QUERY_TOO_COMPLEX",
        ),
        (
            "2",
            "{ a: __typename b: __typename c: __typename }",
            "QUERY_TOO_COMPLEX",
        ),
        (
            "3",
            "{ __schema { types { fields { type { name } } } } }",
            "QUERY_TOO_DEEP",
        ),
    ] {
        let message: Value =
            serde_json::from_str(&run(&mut stream, id, query, json!({})).await).unwrap();
        let error = if message["type"] == "error" {
            message["payload"][0].clone()
        } else {
            message["payload"]["errors"][0].clone()
        };
        assert_eq!(code(&error), expected, "{query}: {message}");
    }
}

/// Holds the row of user `user_id` locked in a transaction on a connection
/// of the test's own, so that a post written for that user waits for it.
async fn lock_user(url: &str, user_id: i64) -> (DatabaseConnection, DatabaseTransaction) {
    let db = Database::connect(url).await.unwrap();
    let txn = db.begin().await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        // SQLite has one writer: a write takes the database's write lock.
        DbBackend::Sqlite => "UPDATE users SET updated_at = updated_at WHERE id = ?",
        DbBackend::Postgres => "SELECT id FROM users WHERE id = $1 FOR UPDATE",
        _ => "SELECT id FROM users WHERE id = ? FOR UPDATE",
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [user_id.into()],
    ))
    .await
    .unwrap();
    (db, txn)
}

/// The server for the budget and timeout tests: a one-second request
/// timeout, no statement timeout (so that a wait for a lock lasts until the
/// request timeout), room for 100 values in flight, and a complexity limit
/// of 1,000.
async fn strict_app() -> TestApp {
    let db = TestDb::new_with(DatabaseConfig {
        statement_timeout_ms: 0,
        ..DatabaseConfig::default()
    })
    .await;
    let config = ServerConfig {
        request_timeout_secs: 1,
        max_values_in_flight: Some(100),
        limits: QueryLimits {
            max_complexity: 1_000,
            ..QueryLimits::default()
        },
        ..ServerConfig::default()
    };
    TestApp::spawn_on(db, config).await
}

/// [`strict_app`] with a user signed up, its token, and its row locked by
/// the test ([`lock_user`]), with the connection that holds the lock.
async fn strict_app_with_a_locked_user()
-> (TestApp, String, DatabaseConnection, DatabaseTransaction) {
    let app = strict_app().await;
    let (token, _) = app.register("ada").await;
    let me = app
        .graphql_as(Some(&token), "{ viewer { databaseId } }", json!({}))
        .await;
    let user_id = me["data"]["viewer"]["databaseId"].as_i64().unwrap();
    let (db, lock) = lock_user(&app.db.url, user_id).await;
    (app, token, db, lock)
}

const CREATE_POST: &str = "mutation { createPost(input: { title: \"t\", body: \"b\" }) { title } }";

#[tokio::test]
async fn a_mutation_over_a_socket_stops_at_the_request_timeout() {
    let (app, token, _db, lock) = strict_app_with_a_locked_user().await;

    let mut stream = connected(app.address, Some(&token)).await;
    let message: Value =
        serde_json::from_str(&run(&mut stream, "1", CREATE_POST, json!({})).await).unwrap();
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(code(&message["payload"][0]), "REQUEST_TIMEOUT", "{message}");
    // Over HTTP the same request is the middleware's 408.
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": CREATE_POST }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 408);
    lock.rollback().await.unwrap();
    // Nothing was half-written, and the socket serves on.
    let text = run(&mut stream, "2", "{ posts { totalCount } }", json!({})).await;
    assert!(text.contains(r#""totalCount":0"#), "{text}");
}

/// Sends, as the holder of `token`, an upload whose selection can return far
/// more than the 100 values of room: it takes all of the room, and keeps it
/// while its photo waits for the lock (an upload has its own time limit,
/// not the one-second request timeout). Its HTTP status and body, once it ends.
fn hold_the_room(app: &TestApp, token: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let query = "mutation($input: CreatePhotoInput!) { createPhoto(input: $input) { \
        owner { posts(first: 100) { nodes { title body } } } } }";
    let operations = json!({ "query": query, "variables": { "input": { "file": null } } });
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::new_luma8(8, 8)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.input.file"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(png.into_inner()).file_name("grey.png"),
        );
    let request = app
        .client
        .post(app.url("/graphql"))
        .header("apollo-require-preflight", "true")
        .bearer_auth(token)
        .multipart(form);
    tokio::spawn(async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    })
}

#[tokio::test]
async fn a_query_over_a_socket_waits_for_room_and_a_refused_document_takes_none() {
    let (app, token, _db, lock) = strict_app_with_a_locked_user().await;
    let mut holder = hold_the_room(&app, &token);
    // The upload stores its image before it writes its row, and takes the
    // room before either: once its objects are there, the room is taken,
    // and the row waits for the lock.
    folio_tests::wait::until("the upload's objects are stored", || {
        let stored = !app.stored_objects().is_empty();
        async move { stored }
    })
    .await;
    assert!(
        !holder.is_finished(),
        "the upload ended: {:?}",
        (&mut holder).await
    );
    // The room is taken. A document that validation refuses is answered at
    // once all the same, and so is one that selects no root field.
    let refused = app
        .graphql(
            "{ posts(first: 100) { nodes { author { posts(first: 100) { nodes { title } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        code(&refused["errors"][0]),
        "QUERY_TOO_COMPLEX",
        "{refused}"
    );
    let typename = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(typename["data"]["__typename"], "Query");
    // A query over a socket waits for the room, as it would over HTTP, and
    // runs out of time while the upload holds it.
    let query = "{ posts(first: 10) { nodes { title } } }";
    let mut stream = connected(app.address, None).await;
    let message: Value =
        serde_json::from_str(&run(&mut stream, "1", query, json!({})).await).unwrap();
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(code(&message["payload"][0]), "REQUEST_TIMEOUT", "{message}");
    let over_http = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(over_http.status(), 408);
    lock.rollback().await.unwrap();
    let (status, body) = holder.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    // With the room free again, the same query runs.
    let text = run(&mut stream, "2", query, json!({})).await;
    assert!(text.contains(r#""nodes":[]"#), "{text}");
}
