//! A statement that runs past `--statement-timeout-ms` is cancelled by the
//! database, on every backend: the client gets `TIMEOUT` with nothing of the
//! SQL in it, and the connection serves the next request.

use api::config::{DatabaseConfig, ServerConfig};
use api::node::{NodeType, encode_id};
use folio_tests::{TestApp, TestDb, fixtures};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// The server's statement timeout: far above what a lookup by key takes, far
/// below what the search over [`ROWS_DOUBLINGS`] takes (about 1 s on
/// PostgreSQL, 3 s on SQLite, 8 s on MariaDB on a laptop-class machine).
const TIMEOUT_MS: u64 = 100;

/// The posts table holds 2 to this power rows.
const ROWS_DOUBLINGS: u32 = 16;

/// The longest title a post may have, all `a`s: the search text, half as many
/// `a`s and then a `b`, is compared almost in full at each position of each
/// title before it fails to match, so the scan is slow for its row count.
const TITLE_LENGTH: usize = 200;

const SEARCH: &str =
    "query($text: String!) { posts(first: 10, filter: { titleContains: $text }) { nodes { id } } }";

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

/// Gives `ada` 2^[`ROWS_DOUBLINGS`] posts, written directly in SQL over a
/// pool of the test's own that sets no timeout; returns the first one's global id.
async fn fill_posts(url: &str) -> String {
    let db = Database::connect(url).await.unwrap();
    let ada = fixtures::user(&db, "ada").await.unwrap();
    let first = fixtures::post(&db, &ada, &"a".repeat(TITLE_LENGTH))
        .await
        .unwrap();
    for _ in 0..ROWS_DOUBLINGS {
        db.execute_unprepared(
            "INSERT INTO posts (author_id, title, body, created_at, updated_at)
             SELECT author_id, title, body, created_at, updated_at FROM posts",
        )
        .await
        .unwrap();
    }
    db.close().await.unwrap();
    encode_id(NodeType::Post, first.id).to_string()
}

#[tokio::test]
async fn a_statement_past_the_timeout_is_a_timeout_and_the_connection_serves_the_next_request() {
    // One connection, so that the next request can only run on the one whose
    // statement was cancelled.
    let config = DatabaseConfig {
        statement_timeout_ms: TIMEOUT_MS,
        pool_size: Some(1),
        ..DatabaseConfig::default()
    };
    let db = TestDb::new_with(config).await;
    let first_post = fill_posts(&db.url).await;
    let app = TestApp::spawn_on(db, ServerConfig::default()).await;

    let text = format!("{}b", "a".repeat(TITLE_LENGTH / 2));
    let error = app.error(SEARCH, json!({ "text": text })).await;
    assert_eq!(code(&error), "TIMEOUT", "{error}");
    let message = error["message"].as_str().unwrap().to_lowercase();
    for secret in [
        "select",
        "posts",
        "like",
        "statement_time",
        "interrupt",
        "cancel",
    ] {
        assert!(
            !message.contains(secret),
            "the message leaks {secret:?}: {error}"
        );
    }

    // Two lookups by key: well within the timeout.
    let data = app
        .data(
            "query($id: ID!) { user(username: \"ada\") { username } post(id: $id) { title } }",
            json!({ "id": first_post }),
        )
        .await;
    assert_eq!(data["user"]["username"], "ada");
    let title = data["post"]["title"].as_str().unwrap();
    assert_eq!(title.len(), TITLE_LENGTH);
}
