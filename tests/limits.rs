//! Bad input and oversized queries get coded errors that leak nothing.

use api::config::{QueryLimits, ServerConfig};
use folio_tests::{TestApp, TestDb, data};
use serde_json::{Value, json};

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

/// What no client-visible message may contain.
fn assert_leaks_nothing(error: &Value) {
    let text = error.to_string().to_lowercase();
    for secret in [
        "select ", " from ", "sqlx", "sqlite", "postgres", "mysql", "panicked", ".rs:",
    ] {
        assert!(!text.contains(secret), "error leaks {secret:?}: {error}");
    }
}

#[tokio::test]
async fn a_page_above_the_maximum_is_page_too_large() {
    let app = TestApp::seeded(&data::small(2)).await;
    // The root list runs nothing; the nested one only its parents' statement.
    for (query, statements) in [
        ("{ posts(first: 101) { nodes { title } } }", 0),
        (
            "{ users(first: 1) { nodes { posts(last: 500) { nodes { title } } } } }",
            1,
        ),
    ] {
        app.db.reset_statement_count();
        let error = app.error(query, json!({})).await;
        assert_eq!(code(&error), "PAGE_TOO_LARGE", "{error}");
        assert!(error["message"].as_str().unwrap().contains("100"));
        assert_leaks_nothing(&error);
        assert_eq!(app.db.statement_count(), statements, "{query}");
    }
}

#[tokio::test]
async fn malformed_ids_and_cursors_are_bad_user_input_naming_the_argument() {
    let app = TestApp::seeded(&data::small(2)).await;
    let cases = [
        ("{ node(id: \"nope\") { id } }", "id"),
        ("{ post(id: \"VXNlcjox\") { title } }", "id"),
        ("{ posts(after: \"garbage\") { nodes { title } } }", "after"),
        ("{ posts(first: 1, last: 1) { nodes { title } } }", "last"),
        ("{ posts(first: -1) { nodes { title } } }", "first"),
        (
            "{ posts(filter: { authorId: \"bad\" }) { nodes { title } } }",
            "filter.authorId",
        ),
    ];
    for (query, field) in cases {
        let error = app.error(query, json!({})).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{query}: {error}");
        assert_eq!(error["extensions"]["field"], field, "{query}");
        assert_leaks_nothing(&error);
    }
    // A cursor from one order is refused under another.
    let data = app
        .data("{ posts(first: 1) { pageInfo { endCursor } } }", json!({}))
        .await;
    let cursor = data["posts"]["pageInfo"]["endCursor"].clone();
    let error = app
        .error(
            "query($c: String) { posts(after: $c, orderBy: { field: TITLE }) { nodes { title } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(code(&error), "BAD_USER_INPUT");
}

#[tokio::test]
async fn missing_objects_are_null() {
    let app = TestApp::seeded(&data::small(2)).await;
    let data = app
        .data(
            "{ user(username: \"nobody\") { id } tag(name: \"nothing\") { id } node(id: \"VXNlcjo5OTk5\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(data, json!({ "user": null, "tag": null, "node": null }));
}

#[tokio::test]
async fn deep_and_complex_queries_are_refused_before_they_run() {
    let config = ServerConfig {
        limits: QueryLimits {
            max_depth: 6,
            max_complexity: 5_000,
            ..QueryLimits::default()
        },
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    app.db.reset_statement_count();
    let deep = "{ users { nodes { profile { user { profile { user { profile { user { username } } } } } } } } }";
    let error = app.error(deep, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_DEEP", "{error}");

    // 100 users × 100 posts is costed as 10,000 nodes.
    let wide = "{ users(first: 100) { nodes { posts(first: 100) { nodes { title } } } } }";
    let error = app.error(wide, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
    let narrow = "{ users(first: 10) { nodes { posts(first: 10) { nodes { title } } } } }";
    app.data(narrow, json!({})).await;

    let aliases: String = (0..40)
        .map(|i| format!("a{i}: users {{ totalCount }} "))
        .collect();
    let error = app.error(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
}

/// `fragment F0 on Query { ...F1 ...F1 }` … `fragment F{n} on Query { users { totalCount } }`:
/// a few hundred bytes that spread out to 2^n selections.
fn fragment_chain(n: usize) -> String {
    let mut document = String::from("{ ...F0 }\n");
    for i in 0..n {
        let next = i + 1;
        document.push_str(&format!(
            "fragment F{i} on Query {{ ...F{next} ...F{next} }}\n"
        ));
    }
    document.push_str(&format!(
        "fragment F{n} on Query {{ users {{ totalCount }} }}\n"
    ));
    document
}

#[tokio::test]
async fn documents_that_spread_out_are_measured_before_they_run() {
    let app = TestApp::spawn().await;
    // 2^30 selections: refused at once, while the server keeps answering.
    let chain = fragment_chain(30);
    // Refused before they expand, the four answer at once and /healthz is
    // answered beside them. The deadline is a loose bound that turns an
    // expansion (minutes, or memory exhausted) into a failure.
    let health = async {
        app.client
            .get(format!("http://{}/healthz", app.address))
            .send()
            .await
            .unwrap()
            .status()
    };
    let (a, b, c, d, status) = folio_tests::wait::within(
        "refusing four documents of 2^30 selections",
        folio_tests::wait::DEADLINE,
        async {
            tokio::join!(
                app.graphql(&chain, json!({})),
                app.graphql(&chain, json!({})),
                app.graphql(&chain, json!({})),
                app.graphql(&chain, json!({})),
                health
            )
        },
    )
    .await;
    assert!(status.is_success());
    for body in [a, b, c, d] {
        let error = &body["errors"][0];
        assert_eq!(code(error), "QUERY_TOO_COMPLEX", "{body}");
        assert!(
            error["message"].as_str().unwrap().contains("5000"),
            "{error}"
        );
    }
    // A short chain is an ordinary query.
    let found = app.data(&fragment_chain(3), json!({})).await;
    assert_eq!(found["users"]["totalCount"], json!(0));

    let directives = "{ users @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) \
        @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) \
        @skip(if: false) @skip(if: false) { totalCount } }";
    let error = app.error(directives, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("11 directives"),
        "{error}"
    );

    // Past the parser's recursion limit the document is too deep, not malformed.
    let deep = format!("{}{}", "{ users ".repeat(300), "}".repeat(300));
    let error = app.error(&deep, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_DEEP", "{error}");
    assert_leaks_nothing(&error);
}

#[tokio::test]
async fn malformed_documents_carry_a_code() {
    let app = TestApp::spawn().await;
    let error = app.error("{ users { nodes { ", json!({})).await;
    assert_eq!(code(&error), "GRAPHQL_PARSE_FAILED");
    let error = app
        .error("{ users { nodes { password_hash } } }", json!({}))
        .await;
    assert_eq!(code(&error), "GRAPHQL_VALIDATION_FAILED");
}

#[tokio::test]
async fn database_failures_are_internal_errors_that_leak_nothing() {
    let app = TestApp::seeded(&data::small(2)).await;
    sea_orm::ConnectionTrait::execute_unprepared(&app.db.conn, "DROP TABLE photo_tags")
        .await
        .unwrap();
    let error = app
        .error(
            "{ photos(first: 2) { nodes { tags { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&error), "INTERNAL_SERVER_ERROR");
    assert_eq!(error["message"], "Internal server error");
    assert_leaks_nothing(&error);
}

#[tokio::test]
async fn no_field_exposes_a_password_hash() {
    let app = TestApp::spawn().await;
    let data = app
        .data("{ __schema { types { name fields { name } } } }", json!({}))
        .await;
    let text = data.to_string().to_lowercase();
    assert!(!text.contains("password"), "a field names a password");
    assert!(!text.contains("hash"), "a field names a hash");
}

#[tokio::test]
async fn over_long_filter_text_is_bad_user_input_naming_the_field() {
    let app = TestApp::seeded(&data::small(2)).await;
    let long = "a".repeat(10_000);
    for (query, field) in [
        (
            "query($t: String!) { users(filter: { usernamePrefix: $t }) { totalCount } }",
            "filter.usernamePrefix",
        ),
        (
            "query($t: String!) { tags(filter: { namePrefix: $t }) { totalCount } }",
            "filter.namePrefix",
        ),
        (
            "query($t: String!) { photos(filter: { taggedAny: [$t] }) { totalCount } }",
            "filter.taggedAny",
        ),
        (
            "query($t: String!) { users(first: 1) { nodes { photos(filter: { taggedAll: [\"a\", $t] }) { totalCount } } } }",
            "filter.taggedAll",
        ),
    ] {
        let error = app.error(query, json!({ "t": long })).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{error}");
        assert_eq!(error["extensions"]["field"], json!(field), "{error}");
        assert_leaks_nothing(&error);
    }
    let many: Vec<String> = (0..51).map(|i| format!("tag{i}")).collect();
    let error = app
        .error(
            "query($t: [String!]!) { photos(filter: { taggedAny: $t }) { totalCount } }",
            json!({ "t": many }),
        )
        .await;
    assert_eq!(code(&error), "BAD_USER_INPUT", "{error}");
    // At the limit, a filter is an ordinary one.
    let found = app
        .data(
            "query($t: String!) { users(filter: { usernamePrefix: $t }) { totalCount } }",
            json!({ "t": "u".repeat(32) }),
        )
        .await;
    assert_eq!(found["users"]["totalCount"], json!(0));
}

#[tokio::test]
async fn a_cursor_whose_value_has_the_wrong_type_is_bad_user_input() {
    let app = TestApp::seeded(&data::small(2)).await;
    // Hand-written cursors: a text where a timestamp belongs, a number where
    // a timestamp belongs, a timestamp where a username belongs.
    for (query, cursor) in [
        (
            "query($c: String!) { posts(first: 2, after: $c) { nodes { title } } }",
            "eyJrIjoiY3JlYXRlZF9hdCIsInYiOnsiVGV4dCI6Im5vdCBhIHRpbWUifSwiaSI6MX0",
        ),
        (
            "query($c: String!) { users(first: 1) { nodes { posts(first: 2, after: $c) { nodes { title } } } } }",
            "eyJrIjoiY3JlYXRlZF9hdCIsInYiOnsiSW50Ijo1fSwiaSI6MX0",
        ),
        (
            "query($c: String!) { users(first: 2, after: $c, orderBy: { field: USERNAME, direction: ASC }) { nodes { username } } }",
            "eyJrIjoidXNlcm5hbWUiLCJ2Ijp7IlRpbWUiOiIyMDI2LTAxLTAxVDAwOjAwOjAwWiJ9LCJpIjoxfQ",
        ),
    ] {
        let error = app.error(query, json!({ "c": cursor })).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{error}");
        assert_eq!(error["extensions"]["field"], json!("after"), "{error}");
        assert_leaks_nothing(&error);
    }
}

#[tokio::test]
async fn lists_are_costed_by_their_length() {
    let app = TestApp::seeded(&data::small(2)).await;
    let user = app
        .data("{ users(first: 1) { nodes { id } } }", json!({}))
        .await["users"]["nodes"][0]["id"]
        .clone();
    let ids = vec![user; 100];
    // 100 ids × 100 posts × their author's 100 posts: a million nodes.
    let exploding = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on User {
        posts(first: 100) { nodes { author { posts(first: 100) { nodes { id } } } } } } } }";
    app.db.reset_statement_count();
    let error = app.error(exploding, json!({ "ids": ids })).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
    assert_eq!(app.db.statement_count(), 0, "refused before anything ran");
    // A photo may carry 30 tags: 100 photos × 30 tags × 20 fields is too much.
    let fields: String = (0..20).map(|i| format!("n{i}: name ")).collect();
    let error = app
        .error(
            &format!("{{ photos(first: 100) {{ nodes {{ tags {{ {fields} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
    // A few ids with a little under each are fine.
    let found = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": &ids[..3] }),
        )
        .await;
    assert_eq!(found["nodes"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn counts_and_text_searches_are_costed_by_what_they_read() {
    let app = TestApp::seeded(&data::small(2)).await;
    app.db.reset_statement_count();
    // Counting each of 100 users' posts reads all their posts, not a page:
    // a count is costed as ten items, so this is over the limit...
    let counts = "{ users(first: 100) { nodes { posts(first: 100) { totalCount } } } }";
    let error = app.error(counts, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
    assert_eq!(app.db.statement_count(), 0, "refused before anything ran");
    // ... while fewer counts are fine.
    let few = "{ users(first: 10) { nodes { posts(first: 10) { totalCount } } } }";
    assert_eq!(
        app.data(few, json!({})).await["users"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A text search reads up to the whole list: it costs a full page more.
    let config = ServerConfig {
        limits: QueryLimits {
            max_complexity: 60,
            ..QueryLimits::default()
        },
        ..ServerConfig::default()
    };
    let small = TestApp::spawn_on(TestDb::new().await, config).await;
    let plain = "{ posts(first: 5) { nodes { title } } }";
    small.data(plain, json!({})).await;
    let search = "{ posts(first: 5, filter: { titleContains: \"a\" }) { nodes { title } } }";
    let error = small.error(search, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
}
