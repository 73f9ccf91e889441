//! The frontend's own operations (`tests/clients/operations/*.graphql`, the
//! documents the TypeScript client is generated from) run against the server
//! as a client session would, with the statement count of each read.

use folio_tests::{TestApp, data};
use serde_json::{Value, json};

/// The document holding operation `name`, with the shared fragments appended.
fn document(name: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/operations");
    let operation = std::fs::read_to_string(format!("{dir}/{name}.graphql")).unwrap();
    let fragments = std::fs::read_to_string(format!("{dir}/fragments.graphql")).unwrap();
    // Send only the fragments this operation spreads, as a client's bundler would.
    let used: String = fragments
        .split("fragment ")
        .skip(1)
        .filter(|f| {
            let fragment_name = f.split_whitespace().next().unwrap_or_default();
            operation.contains(&format!("...{fragment_name}"))
        })
        .map(|f| format!("fragment {f}"))
        .collect();
    format!("{operation}\n{used}")
}

async fn run(app: &TestApp, token: Option<&str>, name: &str, variables: Value) -> Value {
    let body = app.graphql_as(token, &document(name), variables).await;
    assert!(body.get("errors").is_none(), "{name}: {body:#}");
    body["data"].clone()
}

#[tokio::test]
async fn the_read_operations_answer_in_a_fixed_number_of_statements() {
    let app = TestApp::seeded(&data::small(4)).await;
    // One statement per relation field and level: the root, then each relation.
    let cases = [
        // photos; owners; their profiles; the photos' tags
        ("PhotoFeed", json!({ "first": 5 }), 4),
        // the user; postCount; photoCount; profile; posts
        ("UserPage", json!({ "username": "user0002", "first": 3 }), 5),
        // the tag; photoCount; photos; owners; their profiles; the photos' tags
        ("TagPage", json!({ "name": "sunset", "first": 5 }), 6),
    ];
    for (name, variables, statements) in cases {
        app.db.reset_statement_count();
        let data = run(&app, None, name, variables).await;
        assert_ne!(data, Value::Null);
        assert_eq!(app.db.statement_count(), statements, "{name}");
    }
    let feed = run(&app, None, "PhotoFeed", json!({ "first": 2 })).await;
    let after = feed["photos"]["pageInfo"]["endCursor"].clone();
    let next = run(
        &app,
        None,
        "PhotoFeed",
        json!({ "first": 2, "after": after }),
    )
    .await;
    assert_ne!(feed["photos"]["edges"][0], next["photos"]["edges"][0]);
}

#[tokio::test]
async fn a_client_session_registers_logs_in_and_writes() {
    let app = TestApp::spawn().await;
    let registered = run(
        &app,
        None,
        "Register",
        json!({ "input": { "username": "ada", "email": "ada@example.com", "password": "password123" } }),
    )
    .await;
    assert!(registered["register"]["token"].is_string());
    let login = run(
        &app,
        None,
        "Login",
        json!({ "input": { "login": "ada", "password": "password123" } }),
    )
    .await;
    let token = login["login"]["token"].as_str().unwrap().to_owned();
    let token = Some(token.as_str());

    run(
        &app,
        token,
        "UpdateViewerProfile",
        json!({ "input": { "bio": "Photos of the sea" } }),
    )
    .await;
    let photo = run(
        &app,
        token,
        "CreatePhoto",
        json!({ "input": { "filename": "tide.jpg", "tags": ["sea"] } }),
    )
    .await;
    let photo_id = photo["createPhoto"]["id"].as_str().unwrap().to_owned();
    run(
        &app,
        token,
        "TagPhoto",
        json!({ "photoId": photo_id, "tags": ["low-tide"] }),
    )
    .await;
    let post = run(
        &app,
        token,
        "CreatePost",
        json!({ "input": { "title": "Tides", "body": "…" } }),
    )
    .await;
    let post_id = post["createPost"]["id"].as_str().unwrap().to_owned();
    run(
        &app,
        token,
        "UpdatePost",
        json!({ "id": post_id, "input": { "title": "Low tides" } }),
    )
    .await;

    let page = run(&app, token, "UserPage", json!({ "username": "ada" })).await;
    let text = page.to_string();
    assert!(
        text.contains("Low tides") && text.contains("Photos of the sea"),
        "{text}"
    );
    let tag = run(&app, None, "TagPage", json!({ "name": "low-tide" })).await;
    assert!(tag.to_string().contains("tide.jpg"));

    run(&app, token, "DeletePhoto", json!({ "id": photo_id })).await;
    let tag = run(&app, None, "TagPage", json!({ "name": "low-tide" })).await;
    assert!(!tag.to_string().contains("tide.jpg"));
}
