//! Comments: written under posts, changed by their author, deleted by their
//! author or the post's owner; paged per post in one statement; gone with
//! their post or their author.

use entity::comment;
use folio_tests::{TestApp, fixtures};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

const CREATE_POST: &str =
    "mutation($title: String!) { createPost(input: { title: $title, body: \"text\" }) { id } }";
const CREATE: &str = "mutation($post: ID!, $body: String!) { createComment(postId: $post, body: $body) { id body author { username } post { id } } }";
const UPDATE: &str =
    "mutation($id: ID!, $body: String!) { updateComment(id: $id, body: $body) { id body } }";
const DELETE: &str = "mutation($id: ID!) { deleteComment(id: $id) { deletedId } }";
const THREAD: &str = "query($post: ID!) { post(id: $post) { commentCount comments { totalCount nodes { body author { username } } } } }";

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.graphql_as(Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

async fn refused(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = app.graphql_as(token, query, variables).await;
    assert!(
        body["data"].is_null() || body["errors"].is_array(),
        "{body:#}"
    );
    body["errors"][0].clone()
}

async fn comment_rows(app: &TestApp) -> u64 {
    comment::Entity::find().count(&app.db.conn).await.unwrap()
}

#[tokio::test]
async fn comments_are_written_changed_and_deleted_by_who_may() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let (bob, _) = app.register("bob").await;
    let (carl, _) = app.register("carl").await;
    let post =
        ok(&app, &ada, CREATE_POST, json!({ "title": "Low tide" })).await["createPost"]["id"]
            .as_str()
            .unwrap()
            .to_owned();

    let created = ok(
        &app,
        &bob,
        CREATE,
        json!({ "post": post, "body": "  Lovely light. " }),
    )
    .await["createComment"]
        .clone();
    assert_eq!(created["body"], "Lovely light.", "the text is trimmed");
    assert_eq!(created["author"]["username"], "bob");
    assert_eq!(created["post"]["id"], post);
    let id = created["id"].as_str().unwrap().to_owned();
    ok(
        &app,
        &carl,
        CREATE,
        json!({ "post": post, "body": "Agreed" }),
    )
    .await;

    let thread = app.data(THREAD, json!({ "post": post })).await;
    assert_eq!(
        thread["post"],
        json!({ "commentCount": 2, "comments": { "totalCount": 2, "nodes": [
            { "body": "Lovely light.", "author": { "username": "bob" } },
            { "body": "Agreed", "author": { "username": "carl" } },
        ] } }),
        "oldest first, as a thread reads"
    );
    let by_bob = app
        .data(
            "{ user(username: \"bob\") { comments { nodes { body post { title } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        by_bob["user"]["comments"]["nodes"],
        json!([{ "body": "Lovely light.", "post": { "title": "Low tide" } }])
    );
    let node = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Comment { body } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"]["body"], "Lovely light.");

    let changed = ok(
        &app,
        &bob,
        UPDATE,
        json!({ "id": id, "body": "Lovely light!" }),
    )
    .await;
    assert_eq!(changed["updateComment"]["body"], "Lovely light!");
    // The post's owner may delete the comment but not rewrite it; a third user may do neither.
    let error = refused(&app, Some(&ada), UPDATE, json!({ "id": id, "body": "x" })).await;
    assert_eq!(code(&error), "FORBIDDEN", "{error}");
    let error = refused(&app, Some(&carl), DELETE, json!({ "id": id })).await;
    assert_eq!(code(&error), "FORBIDDEN", "{error}");
    assert_eq!(comment_rows(&app).await, 2, "nothing deleted");
    let deleted = ok(&app, &ada, DELETE, json!({ "id": id })).await;
    assert_eq!(deleted["deleteComment"]["deletedId"], id);
    let carls =
        app.data(THREAD, json!({ "post": post })).await["post"]["comments"]["nodes"].clone();
    let error = refused(&app, Some(&carl), DELETE, json!({ "id": id })).await;
    assert_eq!(code(&error), "NOT_FOUND", "{error}");
    // Its author may delete their own.
    let carl_comment = app
        .data(
            "{ user(username: \"carl\") { comments { nodes { id } } } }",
            json!({}),
        )
        .await["user"]["comments"]["nodes"][0]["id"]
        .clone();
    ok(&app, &carl, DELETE, json!({ "id": carl_comment })).await;
    assert_eq!(carls.as_array().unwrap().len(), 1);
    assert_eq!(comment_rows(&app).await, 0);
}

#[tokio::test]
async fn bad_comment_input_is_refused_with_nothing_written() {
    let app = TestApp::spawn().await;
    let (ada, ada_id) = app.register("ada").await;
    let post = ok(&app, &ada, CREATE_POST, json!({ "title": "Post" })).await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (
            json!({ "post": post, "body": "   " }),
            "BAD_USER_INPUT",
            Some("body"),
        ),
        (
            json!({ "post": post, "body": "x".repeat(2001) }),
            "BAD_USER_INPUT",
            Some("body"),
        ),
        (
            json!({ "post": ada_id, "body": "hi" }),
            "BAD_USER_INPUT",
            Some("postId"),
        ),
        (
            json!({ "post": "nonsense", "body": "hi" }),
            "BAD_USER_INPUT",
            Some("postId"),
        ),
        // Post:999999, a post that does not exist.
        (
            json!({ "post": "UG9zdDo5OTk5OTk", "body": "hi" }),
            "NOT_FOUND",
            None,
        ),
    ];
    for (variables, expected, field) in cases {
        let error = refused(&app, Some(&ada), CREATE, variables.clone()).await;
        assert_eq!(code(&error), expected, "{variables}: {error}");
        if let Some(field) = field {
            assert_eq!(error["extensions"]["field"], field, "{variables}: {error}");
        }
    }
    let error = refused(&app, None, CREATE, json!({ "post": post, "body": "hi" })).await;
    assert_eq!(code(&error), "UNAUTHENTICATED", "{error}");
    assert_eq!(comment_rows(&app).await, 0);
    let exactly_the_limit = "x".repeat(2000);
    ok(
        &app,
        &ada,
        CREATE,
        json!({ "post": post, "body": exactly_the_limit }),
    )
    .await;
    assert_eq!(comment_rows(&app).await, 1);
}

#[tokio::test]
async fn comments_go_with_their_post_and_with_their_author() {
    let app = TestApp::spawn().await;
    let db = &app.db.conn;
    let ada = fixtures::user(db, "ada").await.unwrap();
    let bob = fixtures::user(db, "bob").await.unwrap();
    let first = fixtures::post(db, &ada, "first").await.unwrap();
    let second = fixtures::post(db, &ada, "second").await.unwrap();
    for post in [&first, &second] {
        fixtures::comment(db, post, &bob, "from bob").await.unwrap();
        fixtures::comment(db, post, &ada, "from ada").await.unwrap();
    }
    entity::post::Entity::delete_by_id(first.id)
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        comment_rows(&app).await,
        2,
        "the first post's comments went with it"
    );
    entity::user::Entity::delete_by_id(bob.id)
        .exec(db)
        .await
        .unwrap();
    let left = comment::Entity::find().all(db).await.unwrap();
    assert_eq!(left.len(), 1, "bob's comment went with him");
    assert_eq!((left[0].post_id, left[0].author_id), (second.id, ada.id));
}

/// `posts` with their comment counts, first two comments and those comments' authors.
const PAGED: &str = "{ posts(first: 100, orderBy: { field: TITLE, direction: ASC }) { nodes {
    title commentCount
    comments(first: 2) { totalCount pageInfo { hasNextPage } nodes { body author { username } } }
} } }";

/// `posts` posts by one user, each with `comments` comments by `commenters` users.
async fn thread_app(posts: usize, comments: usize) -> TestApp {
    let app = TestApp::spawn().await;
    let db = &app.db.conn;
    let author = fixtures::user(db, "author").await.unwrap();
    let mut commenters = Vec::new();
    for i in 0..3 {
        commenters.push(fixtures::user(db, &format!("reader{i}")).await.unwrap());
    }
    for p in 0..posts {
        let post = fixtures::post(db, &author, &format!("post {p:03}"))
            .await
            .unwrap();
        for c in 0..comments {
            let by = &commenters[c % commenters.len()];
            fixtures::comment(db, &post, by, &format!("comment {c} on {p}"))
                .await
                .unwrap();
        }
    }
    app.db.reset_statement_count();
    app
}

#[tokio::test]
async fn post_comments_are_paged_per_post_in_one_statement_at_any_size() {
    for (posts, comments) in [(3, 3), (30, 12)] {
        let app = thread_app(posts, comments).await;
        let (data, statements) = app.data_and_statements(PAGED, json!({})).await;
        assert_eq!(
            statements, 4,
            "posts, comment counts, comment pages, authors ({posts} posts × {comments} comments)"
        );
        let nodes = data["posts"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), posts);
        for (p, post) in nodes.iter().enumerate() {
            assert_eq!(post["commentCount"], comments);
            let page = &post["comments"];
            assert_eq!(page["totalCount"], comments);
            assert_eq!(page["pageInfo"]["hasNextPage"], comments > 2);
            assert_eq!(
                page["nodes"],
                json!([
                    { "body": format!("comment 0 on {p}"), "author": { "username": "reader0" } },
                    { "body": format!("comment 1 on {p}"), "author": { "username": "reader1" } },
                ]),
                "each post's own two oldest comments"
            );
        }
    }
}

#[tokio::test]
async fn paging_through_a_posts_comments_visits_each_once() {
    let app = thread_app(2, 7).await;
    let post = app
        .data(
            "{ posts(first: 1, orderBy: { field: TITLE, direction: ASC }) { nodes { id } } }",
            json!({}),
        )
        .await["posts"]["nodes"][0]["id"]
        .clone();
    let query =
        "query($post: ID!, $after: String) { post(id: $post) { comments(first: 3, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { body } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(query, json!({ "post": post, "after": after }))
            .await;
        let page = &data["post"]["comments"];
        for node in page["nodes"].as_array().unwrap() {
            seen.push(node["body"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<String> = (0..7).map(|c| format!("comment {c} on 0")).collect();
    assert_eq!(seen, expected);
}
