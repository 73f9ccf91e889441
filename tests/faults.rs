//! The database goes down under a running Folio and comes back: while it is
//! down, a request is answered within the acquire timeout with
//! `SERVICE_UNAVAILABLE` and nothing of the driver's error, as a 503 with
//! `Retry-After` in either response media type, and `/readyz` is 503; once it is back, Folio serves again and is ready, without a restart.
//! A server that freezes (its processes stopped: connections open, nothing
//! answered) costs a request no more than the request timeout, and
//! `/readyz` no more than the acquire timeout. Connections the database
//! ends while they sit in the pool are replaced before a request gets one.
//!
//! Each test runs its own database server ([`PrivateServer`]), whatever
//! `FOLIO_TEST_DATABASE_URL` names, so that stopping it disturbs no other
//! test; SQLite has no server to lose.

use std::time::{Duration, Instant};

use api::config::{DatabaseConfig, ServerConfig};
use folio_tests::private_server::PrivateServer;
use folio_tests::{TestApp, TestDb, wait};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

/// The server's acquire timeout, short so that the test is.
const ACQUIRE_TIMEOUT_SECS: u64 = 1;

/// How long an answer that `timeout` cuts may take here: ten times it. A
/// bound that tells a wait cut by its timeout from one that is not (the
/// 30 s request timeout, or forever) on a machine whose tests share two
/// cores; what the test asserts is the answer's code, not its speed.
fn loosely(timeout: Duration) -> Duration {
    timeout * 10
}

/// The acquire timeout, as a duration.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(ACQUIRE_TIMEOUT_SECS);

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

/// Asserts that a request sent with `Accept: accept` while the database is
/// down is what HTTP clients read as an outage: a 503, in the media type
/// asked for, with the `Retry-After` the error's `extensions.retryAfter`
/// names, and the error coded `SERVICE_UNAVAILABLE`.
async fn answered_unavailable(app: &TestApp, accept: &str) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", accept)
        .json(&json!({ "query": USER }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503, "Accept: {accept}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("content-type").as_deref(), Some(accept));
    let retry_after = header("retry-after").expect("a Retry-After header");
    let body = response.json::<Value>().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(code(error), "SERVICE_UNAVAILABLE", "{body}");
    assert_eq!(
        retry_after,
        api::error::SERVICE_UNAVAILABLE_RETRY_AFTER_SECS.to_string()
    );
    assert_eq!(
        error["extensions"]["retryAfter"],
        api::error::SERVICE_UNAVAILABLE_RETRY_AFTER_SECS,
        "{body}"
    );
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
    let stopped = Instant::now();
    let error = wait::within(
        "a request with the database down",
        loosely(ACQUIRE_TIMEOUT),
        app.error(USER, json!({})),
    )
    .await;
    assert_eq!(code(&error), "SERVICE_UNAVAILABLE", "{error}");
    for accept in ["application/json", "application/graphql-response+json"] {
        wait::within(
            "a request with the database down",
            loosely(ACQUIRE_TIMEOUT),
            answered_unavailable(&app, accept),
        )
        .await;
    }
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

    let ready = wait::within(
        "/readyz with the database down",
        loosely(ACQUIRE_TIMEOUT),
        readyz(&app),
    )
    .await;
    assert_eq!(ready, 503);

    // The outage lasts longer than Folio trusts a pooled connection unpinged
    // (`PING_IF_IDLE_FOR`), as any real restart does: a private MariaDB can
    // be back within 100 ms, and a connection last used just before the stop
    // would then be handed out as if alive (the trade-off `api::db`
    // documents). This sleep is the outage under test, not a wait for
    // anything to become ready.
    let outage = api::db::PING_IF_IDLE_FOR * 3;
    tokio::time::sleep(outage.saturating_sub(stopped.elapsed())).await;
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
    let body = wait::within(
        "a request with the database frozen",
        loosely(Duration::from_secs(REQUEST_TIMEOUT_SECS)),
        async {
            let response = app
                .client
                .post(app.url("/graphql"))
                .json(&json!({ "query": USER }))
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()
        },
    )
    .await;
    let answered = code(&body["errors"][0]);
    assert!(
        ["SERVICE_UNAVAILABLE", "REQUEST_TIMEOUT", "TIMEOUT"].contains(&answered),
        "{body}"
    );
    let ready = wait::within(
        "/readyz with the database frozen",
        loosely(ACQUIRE_TIMEOUT),
        readyz(&app),
    )
    .await;
    assert_eq!(ready, 503);
    // The process itself is not held up: /healthz asks nothing of the
    // database, and answers while it is frozen.
    let health = wait::within(
        "/healthz with the database frozen",
        loosely(ACQUIRE_TIMEOUT),
        app.client.get(app.url("/healthz")).send(),
    )
    .await
    .unwrap();
    assert!(health.status().is_success());

    server.thaw();
    wait::until_ready(&app.client, &app.url("")).await;
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

/// How many requests run at once around the cut: enough to open several
/// pooled connections, and then to use every one of them again.
const AT_ONCE: usize = 8;

/// `AT_ONCE` requests at the same time, each of which must succeed.
async fn many_at_once(app: &TestApp) {
    let answers =
        futures_util::future::join_all((0..AT_ONCE).map(|_| app.data(USER, json!({})))).await;
    for data in answers {
        assert_eq!(data["user"]["username"], "ada");
    }
}

/// Ends every connection to the database at `url` but the one it opens to do so.
async fn end_other_connections(url: &str) {
    let admin = Database::connect(url).await.unwrap();
    let backend = admin.get_database_backend();
    if backend == DbBackend::Postgres {
        let ended = admin
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            ))
            .await
            .unwrap();
        assert!(!ended.is_empty(), "Folio had no connection to end");
    } else {
        let connections = admin
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id AS id FROM information_schema.processlist \
                 WHERE db = DATABASE() AND id <> CONNECTION_ID()",
            ))
            .await
            .unwrap();
        assert!(!connections.is_empty(), "Folio had no connection to end");
        for connection in connections {
            let id: i64 = connection.try_get("", "id").unwrap();
            // It may have closed since it was listed; either way it is gone.
            let _ = admin
                .execute_unprepared(&format!("KILL CONNECTION {id}"))
                .await;
        }
    }
    admin.close().await.unwrap();
}

/// The database ends Folio's pooled connections while they sit idle (an
/// administrator's `pg_terminate_backend`, an idle timeout, a proxy): once
/// they have sat idle longer than Folio trusts a connection unpinged, every
/// request and write is answered on fresh ones, none gets a dead one.
async fn idle_connections_ended_by_the_database(server: PrivateServer) {
    let url = server.create_database("folio").await;
    let db = TestDb::migrated_at(url.clone(), DatabaseConfig::default()).await;
    let app = TestApp::spawn_on(db, ServerConfig::default()).await;
    app.register("ada").await;
    many_at_once(&app).await;

    end_other_connections(&url).await;
    // The connections sit idle, ended, for longer than Folio trusts one
    // unpinged: the idleness is the condition under test, not a wait.
    tokio::time::sleep(api::db::PING_IF_IDLE_FOR * 3).await;

    many_at_once(&app).await;
    app.register("grace").await;
    assert_eq!(readyz(&app).await, 200);
}

#[tokio::test]
async fn postgres_connections_ended_while_idle_are_replaced_before_a_request_gets_one() {
    let Some(server) = PrivateServer::postgres().await else {
        return;
    };
    idle_connections_ended_by_the_database(server).await;
}

#[tokio::test]
async fn mariadb_connections_ended_while_idle_are_replaced_before_a_request_gets_one() {
    let Some(server) = PrivateServer::mariadb().await else {
        return;
    };
    idle_connections_ended_by_the_database(server).await;
}
