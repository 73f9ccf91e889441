//! The database goes down under a running Folio and comes back: while it is
//! down, a request is answered within the acquire timeout with
//! `SERVICE_UNAVAILABLE` and nothing of the driver's error, and `/readyz` is
//! 503; once it is back, Folio serves again and is ready, without a restart.
//! A server that freezes (its processes stopped: connections open, nothing
//! answered) costs a request no more than the request timeout, and
//! `/readyz` no more than the acquire timeout.
//!
//! Each test runs its own database server ([`PrivateServer`]), whatever
//! `FOLIO_TEST_DATABASE_URL` names, so that stopping it disturbs no other
//! test; SQLite has no server to lose.

use std::time::{Duration, Instant};

use api::config::{DatabaseConfig, ServerConfig};
use folio_tests::private_server::PrivateServer;
use folio_tests::{TestApp, TestDb};
use serde_json::{Value, json};

/// The server's acquire timeout, short so that the test is.
const ACQUIRE_TIMEOUT_SECS: u64 = 1;

/// How far past the acquire timeout an answer may come: sqlx's last backoff
/// sleep before the deadline, the HTTP round trip, a loaded machine. Far
/// below the request timeout (30 s), which is what the answer would take if
/// the wait were not bounded.
const SLACK: Duration = Duration::from_secs(4);

const USER: &str = r#"{ user(username: "ada") { username } }"#;

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

async fn readyz(app: &TestApp) -> u16 {
    app.client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Runs a request while `server` is down, then after it is back, on Folio
/// over a database on it.
async fn database_down_and_back(mut server: PrivateServer) {
    let url = server.create_database("folio").await;
    let config = DatabaseConfig {
        acquire_timeout_secs: ACQUIRE_TIMEOUT_SECS,
        ..DatabaseConfig::default()
    };
    let db = TestDb::migrated_at(url, config).await;
    let app = TestApp::spawn_on(db, ServerConfig::default()).await;
    app.register("ada").await;
    assert_eq!(app.data(USER, json!({})).await["user"]["username"], "ada");
    assert_eq!(readyz(&app).await, 200);

    server.stop();
    let bound = Duration::from_secs(ACQUIRE_TIMEOUT_SECS) + SLACK;
    let started = Instant::now();
    let error = app.error(USER, json!({})).await;
    let took = started.elapsed();
    assert_eq!(code(&error), "SERVICE_UNAVAILABLE", "{error}");
    assert!(took < bound, "answered after {took:?}, more than {bound:?}");
    let message = error["message"].as_str().unwrap().to_lowercase();
    for secret in [
        "refused",
        "pool",
        "timed out",
        "postgres",
        "mysql",
        "mariadb",
        "sqlx",
        "127.0.0.1",
    ] {
        assert!(
            !message.contains(secret),
            "the message leaks {secret:?}: {error}"
        );
    }

    let started = Instant::now();
    assert_eq!(readyz(&app).await, 503);
    let took = started.elapsed();
    assert!(
        took < bound,
        "/readyz answered after {took:?}, more than {bound:?}"
    );

    server.start().await;
    assert_eq!(app.data(USER, json!({})).await["user"]["username"], "ada");
    assert_eq!(readyz(&app).await, 200);
    // Writes too: the registration needs a connection of its own.
    app.register("grace").await;
}

#[tokio::test]
async fn postgres_down_is_service_unavailable_and_folio_serves_again_once_it_is_back() {
    let Some(server) = PrivateServer::postgres().await else {
        return;
    };
    database_down_and_back(server).await;
}

#[tokio::test]
async fn mariadb_down_is_service_unavailable_and_folio_serves_again_once_it_is_back() {
    let Some(server) = PrivateServer::mariadb().await else {
        return;
    };
    database_down_and_back(server).await;
}

/// The request timeout of the frozen-database tests: what bounds a request
/// whose statement went to a server that stopped answering mid-way.
const REQUEST_TIMEOUT_SECS: u64 = 3;

/// Runs requests while `server` is frozen (its processes stopped: it keeps
/// its connections and answers nothing), then after it thaws.
async fn database_frozen_and_thawed(server: PrivateServer) {
    let url = server.create_database("folio").await;
    let config = DatabaseConfig {
        acquire_timeout_secs: ACQUIRE_TIMEOUT_SECS,
        ..DatabaseConfig::default()
    };
    let db = TestDb::migrated_at(url, config).await;
    let app = TestApp::spawn_on(
        db,
        ServerConfig {
            request_timeout_secs: REQUEST_TIMEOUT_SECS,
            ..ServerConfig::default()
        },
    )
    .await;
    app.register("ada").await;
    assert_eq!(readyz(&app).await, 200);

    server.freeze();
    let bound = Duration::from_secs(REQUEST_TIMEOUT_SECS) + SLACK;
    let started = Instant::now();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": USER }))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    let body: Value = response.json().await.unwrap();
    let answered = code(&body["errors"][0]);
    assert!(
        ["SERVICE_UNAVAILABLE", "REQUEST_TIMEOUT", "TIMEOUT"].contains(&answered),
        "{body}"
    );
    assert!(took < bound, "answered after {took:?}, more than {bound:?}");
    let started = Instant::now();
    assert_eq!(readyz(&app).await, 503);
    let took = started.elapsed();
    let bound = Duration::from_secs(ACQUIRE_TIMEOUT_SECS) + SLACK;
    assert!(
        took < bound,
        "/readyz answered after {took:?}, more than {bound:?}"
    );
    // The process itself is not held up.
    let started = Instant::now();
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
    assert!(started.elapsed() < Duration::from_secs(1));

    server.thaw();
    let deadline = Instant::now() + Duration::from_secs(30);
    while readyz(&app).await != 200 {
        assert!(
            Instant::now() < deadline,
            "Folio did not become ready again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.data(USER, json!({})).await["user"]["username"], "ada");
}

#[tokio::test]
async fn a_frozen_postgres_costs_a_request_a_bounded_wait_and_a_code() {
    let Some(server) = PrivateServer::postgres().await else {
        return;
    };
    database_frozen_and_thawed(server).await;
}

#[tokio::test]
async fn a_frozen_mariadb_costs_a_request_a_bounded_wait_and_a_code() {
    let Some(server) = PrivateServer::mariadb().await else {
        return;
    };
    database_frozen_and_thawed(server).await;
}
