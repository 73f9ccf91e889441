//! The number of SQL statements per request depends on the query's shape only:
//! every relation field costs one statement per level, at 1× and at 10× the data.

use folio_tests::{TestApp, data};
use serde_json::json;

/// Each query with the statements it must take: one per relation level.
const SHAPES: &[(&str, &str, usize)] = &[
    (
        "user → profile",
        "{ users(first: 50) { nodes { profile { bio } } } }",
        2,
    ),
    (
        "profile → user (both ends of one-to-one)",
        "{ users(first: 50) { nodes { profile { user { username } } } } }",
        3,
    ),
    (
        "user → posts (one-to-many, paged per user)",
        "{ users(first: 50) { nodes { posts(first: 3) { totalCount nodes { title } } } } }",
        2,
    ),
    (
        "user → photos (one-to-many, paged per user)",
        "{ users(first: 50) { nodes { photos(first: 2) { nodes { filename } } } } }",
        2,
    ),
    (
        "post → author (many-to-one)",
        "{ posts(first: 100) { nodes { author { username } } } }",
        2,
    ),
    (
        "photo → owner (many-to-one)",
        "{ photos(first: 100) { nodes { owner { username } } } }",
        2,
    ),
    (
        "photo → tags (many-to-many)",
        "{ photos(first: 100) { nodes { tags { name } } } }",
        2,
    ),
    (
        "tag → photos (many-to-many, paged per tag)",
        "{ tags(first: 50) { nodes { photos(first: 5) { totalCount nodes { filename } } } } }",
        2,
    ),
    (
        "counts",
        "{ users(first: 50) { totalCount nodes { postCount photoCount } } tags(first: 50) { nodes { photoCount } } }",
        5,
    ),
    (
        "users → profile, each user's 10 newest posts",
        "{ users(first: 50) { nodes { profile { bio } posts(first: 10) { nodes { title } } } } }",
        3,
    ),
    (
        "tags → 10 newest photos → owner → owner's 3 newest posts",
        "{ tags(first: 10) { nodes { name photos(first: 10) { nodes { filename owner { username posts(first: 3) { nodes { title } } } } } } } }",
        4,
    ),
    (
        "post → comment count, comments (paged per post) → author",
        "{ posts(first: 50) { nodes { commentCount comments(first: 3) { totalCount nodes { author { username } } } } } }",
        4,
    ),
    (
        "user → comments (paged per user) → post",
        "{ users(first: 20) { nodes { comments(first: 2) { nodes { body post { title } } } } } }",
        3,
    ),
    (
        "root lookups batch too, then one count for both",
        "{ a: user(username: \"user0001\") { postCount } b: user(username: \"user0002\") { postCount } }",
        2,
    ),
];

#[tokio::test]
async fn statements_per_request_follow_the_query_shape_not_the_row_count() {
    let small = TestApp::seeded(&data::small(5)).await;
    let large = TestApp::seeded(&data::ten_times(5)).await;
    for (name, query, expected) in SHAPES {
        let (small_data, at_1x) = small.data_and_statements(query, json!({})).await;
        let (large_data, at_10x) = large.data_and_statements(query, json!({})).await;
        assert_eq!(at_1x, *expected, "{name}: statements at 1×");
        assert_eq!(at_10x, *expected, "{name}: statements at 10×");
        assert_ne!(small_data, large_data, "{name}: the two data sets differ");
    }
}

#[tokio::test]
async fn nodes_are_fetched_in_one_statement_per_type() {
    let app = TestApp::seeded(&data::small(5)).await;
    let ids = app
        .data(
            "{ users(first: 3) { nodes { id } } tags(first: 3) { nodes { id } } }",
            json!({}),
        )
        .await;
    let mut all: Vec<String> = Vec::new();
    for list in ["users", "tags"] {
        for node in ids[list]["nodes"].as_array().unwrap() {
            all.push(node["id"].as_str().unwrap().to_owned());
        }
    }
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { username } ... on Tag { name } } }";
    let (found, statements) = app.data_and_statements(query, json!({ "ids": all })).await;
    assert_eq!(statements, 2, "one for the users, one for the tags");
    let returned: Vec<&str> = found["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(returned, all, "in the order asked");
}

#[tokio::test]
async fn sibling_connections_with_different_arguments_cost_one_statement_each() {
    let app = TestApp::seeded(&data::small(5)).await;
    let query = "{ users(first: 5) { nodes {
        newest: posts(first: 2) { nodes { title } }
        oldest: posts(first: 2, orderBy: { field: CREATED_AT, direction: ASC }) { nodes { title } }
    } } }";
    let (_, statements) = app.data_and_statements(query, json!({})).await;
    assert_eq!(
        statements, 3,
        "users, then one statement per distinct argument set"
    );
}

/// A user's relations, every kind of them, some twice under aliases, through
/// a fragment and with arguments in variables.
const EVERY_RELATION: &str = "fragment Everything on User {
    username
    postCount
    profile { bio user { username } }
    newest: posts(first: 2) { nodes { title author { username } } }
    oldest: posts(last: 1, orderBy: { field: TITLE, direction: $direction }) {
        totalCount edges { cursor node { title commentCount } }
    }
    photos(first: $photos) { nodes { filename owner { username } tags { name photoCount } } }
    comments(first: 2) { nodes { body post { title } } }
}";

/// The lists load their items' relations ahead, level by level. What they
/// load must be what each item would have loaded for itself: the same users
/// asked for one by one (`user(username:)`, which loads nothing ahead)
/// come back with the same relations, and the list's statements still follow
/// its shape.
#[tokio::test]
async fn relations_loaded_ahead_are_the_ones_each_item_would_load() {
    let app = TestApp::seeded(&data::small(5)).await;
    let variables = json!({ "direction": "ASC", "photos": 2 });
    let list = format!(
        "query($direction: OrderDirection!, $photos: Int) {{ users(first: 4) {{ nodes {{ ...Everything }} }} }} {EVERY_RELATION}"
    );
    let (listed, statements) = app.data_and_statements(&list, variables.clone()).await;
    // users; postCount; profile, its user; newest and their authors; oldest
    // and their comment counts; photos, owners, tags, tag photo counts;
    // comments and their posts.
    assert_eq!(statements, 14, "one statement per relation and level");
    let users = listed["users"]["nodes"].as_array().unwrap();
    assert_eq!(users.len(), 4);
    let mut with_photos = 0;
    for user in users {
        let username = user["username"].as_str().unwrap();
        let one = format!(
            "query($direction: OrderDirection!, $photos: Int, $username: String!) {{ user(username: $username) {{ ...Everything }} }} {EVERY_RELATION}"
        );
        let mut variables = variables.clone();
        variables["username"] = json!(username);
        let alone = app.data(&one, variables).await;
        assert_eq!(user, &alone["user"], "{username}");
        with_photos += usize::from(!user["photos"]["nodes"].as_array().unwrap().is_empty());
    }
    assert!(with_photos > 0, "the data set has photos to compare");
}

/// A field behind a directive is left to its resolver, which still answers it.
#[tokio::test]
async fn a_relation_behind_a_directive_is_still_answered() {
    let app = TestApp::seeded(&data::small(5)).await;
    let query = "query($with: Boolean!) { users(first: 3) { nodes {
        profile @include(if: $with) { bio }
        posts(first: 1) @skip(if: $with) { nodes { title } }
    } } }";
    let (shown, statements) = app
        .data_and_statements(query, json!({ "with": true }))
        .await;
    assert_eq!(statements, 2, "users, profiles");
    for user in shown["users"]["nodes"].as_array().unwrap() {
        assert!(user["profile"]["bio"].is_string(), "{user}");
        assert!(user.get("posts").is_none(), "{user}");
    }
}
