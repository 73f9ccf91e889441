//! Planned queries: which documents run their plan, that a plan answers
//! byte for byte what async-graphql's executor answers, with the same
//! statements, and that what the planner does not cover is a counted
//! fallback. (Every other test of the suite compares the two as well: the
//! harness runs the server with `--execution checked`.)

use std::sync::atomic::Ordering;

use api::config::{Execution, ServerConfig};
use folio_tests::{TestApp, TestDb, data};
use serde_json::{Value, json};

/// How many requests of `app` ran their plan, and how many fell back.
fn counts(app: &TestApp) -> (u64, u64) {
    let counts = &app.plans.counts;
    (
        counts.planned.load(Ordering::Relaxed),
        counts.fell_back.load(Ordering::Relaxed),
    )
}

/// The body `address` answers `query` with, as the bytes it sent.
async fn raw(
    client: &reqwest::Client,
    address: std::net::SocketAddr,
    token: Option<&str>,
    query: &str,
    variables: &Value,
) -> String {
    let mut request = client
        .post(format!("http://{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("sending a GraphQL request")
        .text()
        .await
        .expect("a body")
}

/// The SPEC's nested queries and the benchmark's large one, with their statements.
const SPEC_QUERIES: &[(&str, usize)] = &[
    (
        "{ users(first: 50) { nodes { username profile { bio } posts(first: 10) { nodes { title } } } } }",
        3,
    ),
    (
        "{ photos(first: 100) { nodes { filename tags { name } } } }",
        2,
    ),
    (
        "{ tags(first: 10) { nodes { name photos(first: 10) { nodes { filename owner { username posts(first: 3) { nodes { title } } } } } } } }",
        4,
    ),
    (
        "{ tags(first: 10) { nodes { name photos(first: 100) { nodes { filename owner { username posts(first: 20) { nodes { title } } } } } } } }",
        4,
    ),
];

#[tokio::test]
async fn the_spec_queries_run_their_plans_with_the_statements_of_the_executor() {
    let app = TestApp::seeded(&data::small(5)).await;
    for (n, (query, statements)) in SPEC_QUERIES.iter().enumerate() {
        let (data, ran) = app.data_and_statements(query, json!({})).await;
        assert_eq!(ran, *statements, "{query}");
        assert_ne!(data, json!({}), "{query}");
        assert_eq!(counts(&app), (n as u64 + 1, 0), "{query} ran its plan");
    }
}

/// Documents that use what plans cover: fragments (named, inline, on the
/// `Node` interface), aliases, `__typename` at every level, edges with
/// cursors, `pageInfo`, `totalCount`, arguments in variables and their
/// defaults, filters and orders, lookups, paging backwards.
const COVERED: &[(&str, &str)] = &[
    (
        "query($n: Int = 2) { __typename users(first: $n) { __typename totalCount pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } edges { __typename cursor node { __typename id databaseId username email createdAt updatedAt } } } }",
        "{}",
    ),
    (
        "fragment F on User { username ...G } fragment G on Node { id } { first: users(first: 2) { nodes { ...F ... on User { postCount photoCount } } } second: users(last: 2) { nodes { name: username } } }",
        "{}",
    ),
    (
        "query($order: PostOrder, $filter: PostFilter) { posts(first: 5, orderBy: $order, filter: $filter) { nodes { title body author { username profile { displayName bio avatarUrl user { username } } } commentCount comments(first: 2) { totalCount nodes { body author { username } post { title } } } } } }",
        r#"{ "order": { "field": "TITLE", "direction": "ASC" }, "filter": { "titleContains": "o" } }"#,
    ),
    (
        "{ photos(first: 4) { nodes { id filename caption width height byteSize contentType sha256 url createdAt owner { username } tags { id name createdAt photoCount } } } }",
        "{}",
    ),
    (
        "{ tags(first: 3) { nodes { name photoCount photos(first: 2) { pageInfo { hasNextPage endCursor } nodes { filename } } } } }",
        "{}",
    ),
    (
        r#"query($name: String!) { user(username: $name) { username posts(first: 2) { nodes { title } } } tag(name: "  TAG01 ") { name } nobody: user(username: "nobody") { username } viewer { username } }"#,
        r#"{ "name": "user0001" }"#,
    ),
    (
        "{ users(first: 3) { nodes { comments(first: 1) { nodes { body post { author { username } } } } } } }",
        "{}",
    ),
];

#[tokio::test]
async fn a_plan_answers_byte_for_byte_what_the_executor_answers() {
    // Both servers sign tokens with one secret, so that one token signs in to both.
    let secret = Some("one secret that signs for both of the servers".to_owned());
    let app = TestApp::spawn_on(
        TestDb::new().await,
        ServerConfig {
            jwt_secret: secret.clone(),
            ..ServerConfig::default()
        },
    )
    .await;
    app.db.seed(&data::small(5)).await;
    // A second server on the same database that answers through the executor.
    let config = ServerConfig {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        execution: Execution::Executor,
        jwt_secret: secret,
        ..ServerConfig::default()
    };
    let executor = api::server::Server::build(app.db.conn.clone(), &config)
        .await
        .expect("building the executor's server");
    let executor_address = executor.address();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(executor.run(async move {
        let _ = stopped.await;
    }));
    folio_tests::wait::until_healthy(&app.client, &format!("http://{executor_address}")).await;
    let (token, _) = app.register("planned").await;
    for (query, variables) in COVERED {
        let variables: Value = serde_json::from_str(variables).unwrap();
        for token in [None, Some(token.as_str())] {
            let before = counts(&app);
            let planned = raw(&app.client, app.address, token, query, &variables).await;
            let expected = raw(&app.client, executor_address, token, query, &variables).await;
            assert_eq!(planned, expected, "{query}");
            assert!(!planned.contains("\"errors\""), "{planned}");
            assert_eq!(counts(&app).0, before.0 + 1, "{query} ran its plan");
        }
    }
    let _ = stop.send(());
}

#[tokio::test]
async fn what_the_planner_does_not_cover_is_answered_by_the_executor_and_counted() {
    let app = TestApp::seeded(&data::small(3)).await;
    let users = app
        .data("{ users(first: 1) { nodes { id } } }", json!({}))
        .await;
    let id = users["users"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(counts(&app), (1, 0));
    let not_covered = [
        format!(r#"{{ node(id: "{id}") {{ id }} }}"#),
        "{ __schema { queryType { name } } }".to_owned(),
        "query($yes: Boolean!) { users(first: 1) { nodes { username @include(if: $yes) } } }"
            .to_owned(),
        "{ photos(first: 1) { nodes { url(size: THUMBNAIL) } } }".to_owned(),
    ];
    for (n, query) in not_covered.iter().enumerate() {
        let body = app.graphql(query, json!({ "yes": true })).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
        assert_eq!(counts(&app), (1, n as u64 + 1), "{query} fell back");
    }
}

#[tokio::test]
async fn arguments_the_executor_refuses_fall_back_before_any_statement() {
    let app = TestApp::seeded(&data::small(3)).await;
    // Each with the statements the executor runs before it finds the error
    // (the users, for a bad nested argument): the plan adds none.
    for (query, statements) in [
        ("{ users(first: 500) { nodes { id } } }", 0),
        (
            r#"{ users(first: 2) { nodes { posts(first: 2, after: "not a cursor") { nodes { title } } } } }"#,
            1,
        ),
        (r#"{ post(id: "not an id") { title } }"#, 0),
    ] {
        app.db.reset_statement_count();
        let body = app.graphql(query, json!({})).await;
        let code = &body["errors"][0]["extensions"]["code"];
        assert!(code.is_string(), "{query}: {body}");
        assert_eq!(app.db.statement_count(), statements, "{query}");
    }
    assert_eq!(counts(&app).0, 0, "none of them ran a plan");
}

#[tokio::test]
async fn an_email_is_shown_to_its_owner_only_on_every_planned_path() {
    let app = TestApp::seeded(&data::small(3)).await;
    let (token, _) = app.register("owner").await;
    // The owner writes a post, so that every path below reaches them.
    let created = app
        .graphql_as(
            Some(&token),
            "mutation { createPost(input: { title: \"mine\", body: \"text\" }) { id } }",
            json!({}),
        )
        .await;
    let post = created["data"]["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let paths = [
        r#"{ user(username: "owner") { email } }"#.to_owned(),
        "{ viewer { email } }".to_owned(),
        format!(r#"{{ post(id: "{post}") {{ author {{ email }} }} }}"#),
        "{ posts(first: 1) { nodes { author { email } } } }".to_owned(),
        "{ users(last: 1) { nodes { email } } }".to_owned(),
    ];
    for query in &paths {
        let before = counts(&app).0;
        let mine = app.graphql_as(Some(&token), query, json!({})).await;
        assert!(
            mine.to_string().contains("owner@example.com"),
            "{query}: {mine}"
        );
        let theirs = app.graphql(query, json!({})).await;
        assert!(
            !theirs.to_string().contains("@example.com"),
            "{query}: {theirs}"
        );
        assert_eq!(counts(&app).0, before + 2, "{query} ran its plan");
    }
    // Everyone else's stays hidden from the owner.
    let everyone = app
        .graphql_as(
            Some(&token),
            "{ users(first: 10) { nodes { username email } } }",
            json!({}),
        )
        .await;
    let shown: Vec<&Value> = everyone["data"]["users"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|user| !user["email"].is_null())
        .collect();
    assert_eq!(shown.len(), 1, "{everyone}");
    assert_eq!(shown[0]["username"], "owner");
}
