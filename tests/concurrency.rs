//! Many clients writing at once: every write succeeds and none is lost, on
//! every backend (on SQLite, thanks to the write-ahead log and the busy
//! timeout that writers queue under).

use std::sync::Arc;

use entity::post;
use folio_tests::TestApp;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement};
use serde_json::json;

const CREATE_POST: &str =
    "mutation($input: CreatePostInput!) { createPost(input: $input) { id title } }";

/// How many `createPost` calls are in flight together: more than the pool's
/// connections, so that writers wait for each other on the database's locks.
const WRITERS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_create_posts_all_succeed_and_all_are_stored() {
    let app = Arc::new(TestApp::spawn().await);
    let (token, _) = app.register("ada").await;

    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                let variables =
                    json!({ "input": { "title": format!("post {i}"), "body": "body" } });
                app.graphql_as(Some(&token), CREATE_POST, variables).await
            })
        })
        .collect();
    let mut responses = Vec::with_capacity(WRITERS);
    for writer in writers {
        responses.push(writer.await.unwrap());
    }

    for (i, body) in responses.iter().enumerate() {
        assert!(body.get("errors").is_none(), "write {i} failed: {body:#}");
        assert_eq!(body["data"]["createPost"]["title"], format!("post {i}"));
    }
    let mut ids: Vec<&str> = responses
        .iter()
        .map(|body| body["data"]["createPost"]["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), WRITERS, "every write made a post of its own");
    let stored = post::Entity::find().count(&app.db.conn).await.unwrap();
    assert_eq!(stored, WRITERS as u64);
}

/// What lets SQLite's readers go on while one connection writes, and writers
/// queue rather than fail.
#[tokio::test]
async fn sqlite_databases_run_in_write_ahead_log_mode() {
    let app = TestApp::spawn().await;
    if app.db.backend() != DbBackend::Sqlite {
        return;
    }
    let row = app
        .db
        .conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "journal_mode").unwrap(), "wal");
}

/// Requests larger than the room `--max-values-in-flight` gives run one at
/// a time instead of all at once, and every one of them is answered whole.
#[tokio::test]
async fn requests_larger_than_the_room_in_flight_each_run_alone_and_finish() {
    let config = api::config::ServerConfig {
        max_values_in_flight: Some(100),
        ..api::config::ServerConfig::default()
    };
    let app = TestApp::spawn_on(folio_tests::TestDb::new().await, config).await;
    app.db.seed(&folio_tests::data::small(5)).await;
    let app = Arc::new(app);
    // About 1,750 values each: more than the whole room.
    let query = "{ users(first: 50) { nodes { username profile { bio } posts(first: 10) { nodes { title } } } } }";
    let expected = app.data(query, json!({})).await;
    let users = expected["users"]["nodes"].as_array().unwrap().len();
    assert!(users >= 5, "{expected}");
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.data(query, json!({})).await })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.unwrap(), expected);
    }
}
