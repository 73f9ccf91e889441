//! Every mutation: its success path as the read API then shows it, bad input
//! refused with nothing written, ownership, and atomicity.

use entity::{photo, photo_tag, post, profile, tag};
use folio_tests::TestApp;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

/// Runs a mutation as `token` that must succeed.
async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.graphql_as(Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

/// Runs a mutation as `token` (or anonymously) that must fail; returns the first error.
async fn refused(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = app.graphql_as(token, query, variables).await;
    body["errors"][0].clone()
}

/// (users, profiles, posts, photos, tags, photo tags)
async fn counts(app: &TestApp) -> [u64; 5] {
    let c = &app.db.conn;
    [
        profile::Entity::find().count(c).await.unwrap(),
        post::Entity::find().count(c).await.unwrap(),
        photo::Entity::find().count(c).await.unwrap(),
        tag::Entity::find().count(c).await.unwrap(),
        photo_tag::Entity::find().count(c).await.unwrap(),
    ]
}

const CREATE_POST: &str = "mutation($input: CreatePostInput!) { createPost(input: $input) { id title body author { username } } }";
const UPDATE_POST: &str = "mutation($id: ID!, $input: UpdatePostInput!) { updatePost(id: $id, input: $input) { id title body } }";
const DELETE_POST: &str = "mutation($id: ID!) { deletePost(id: $id) { deletedId } }";
const CREATE_PHOTO: &str = "mutation($input: CreatePhotoInput!) { createPhoto(input: $input) { id filename caption tags { name } owner { username } } }";
const TAG_PHOTO: &str = "mutation($id: ID!, $tags: [String!]!) { tagPhoto(photoId: $id, tags: $tags) { tags { name } } }";
const UNTAG_PHOTO: &str = "mutation($id: ID!, $tags: [String!]!) { untagPhoto(photoId: $id, tags: $tags) { tags { name } } }";
const UPDATE_PROFILE: &str = "mutation($input: ProfileInput!) { updateViewerProfile(input: $input) { displayName bio avatarUrl user { username } } }";

#[tokio::test]
async fn posts_are_created_changed_and_deleted_by_their_author() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let created = ok(
        &app,
        &ada,
        CREATE_POST,
        json!({ "input": { "title": " Hello ", "body": "First!" } }),
    )
    .await;
    let post = &created["createPost"];
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["author"]["username"], "ada");
    let id = post["id"].as_str().unwrap();

    let changed = ok(
        &app,
        &ada,
        UPDATE_POST,
        json!({ "id": id, "input": { "title": "Hello again" } }),
    )
    .await;
    assert_eq!(
        changed["updatePost"],
        json!({ "id": id, "title": "Hello again", "body": "First!" })
    );
    let read = app
        .data(
            "{ user(username: \"ada\") { postCount posts { nodes { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(read["user"]["posts"]["nodes"][0]["title"], "Hello again");
    assert_eq!(read["user"]["postCount"], 1);

    let deleted = ok(&app, &ada, DELETE_POST, json!({ "id": id })).await;
    assert_eq!(deleted["deletePost"]["deletedId"], id);
    assert_eq!(counts(&app).await[1], 0);
    let again = refused(&app, Some(&ada), DELETE_POST, json!({ "id": id })).await;
    assert_eq!(code(&again), "NOT_FOUND");
}

#[tokio::test]
async fn only_the_owner_may_change_or_delete() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let (bob, _) = app.register("bob").await;
    let post = ok(
        &app,
        &ada,
        CREATE_POST,
        json!({ "input": { "title": "Mine", "body": "" } }),
    )
    .await;
    let post_id = post["createPost"]["id"].as_str().unwrap().to_owned();
    let photo = ok(
        &app,
        &ada,
        CREATE_PHOTO,
        json!({ "input": { "filename": "a.jpg", "tags": ["sea"] } }),
    )
    .await;
    let photo_id = photo["createPhoto"]["id"].as_str().unwrap().to_owned();

    let attempts = [
        (
            UPDATE_POST,
            json!({ "id": post_id, "input": { "title": "Bob's now" } }),
        ),
        (DELETE_POST, json!({ "id": post_id })),
        (
            "mutation($id: ID!) { updatePhoto(id: $id, input: { caption: \"bob\" }) { id } }",
            json!({ "id": photo_id }),
        ),
        (
            "mutation($id: ID!) { deletePhoto(id: $id) { deletedId } }",
            json!({ "id": photo_id }),
        ),
        (TAG_PHOTO, json!({ "id": photo_id, "tags": ["mine"] })),
        (UNTAG_PHOTO, json!({ "id": photo_id, "tags": ["sea"] })),
    ];
    let before = counts(&app).await;
    for (query, variables) in &attempts {
        let error = refused(&app, Some(&bob), query, variables.clone()).await;
        assert_eq!(code(&error), "FORBIDDEN", "{query}");
        let error = refused(&app, None, query, variables.clone()).await;
        assert_eq!(code(&error), "UNAUTHENTICATED", "{query}");
    }
    assert_eq!(counts(&app).await, before);
    let read = app
        .data("{ user(username: \"ada\") { posts { nodes { title } } photos { nodes { caption tags { name } } } } }", json!({}))
        .await;
    assert_eq!(read["user"]["posts"]["nodes"][0]["title"], "Mine");
    assert_eq!(
        read["user"]["photos"]["nodes"][0],
        json!({ "caption": null, "tags": [{ "name": "sea" }] })
    );
}

#[tokio::test]
async fn photos_are_created_with_tags_and_tagged_idempotently() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let created = ok(
        &app,
        &ada,
        CREATE_PHOTO,
        json!({ "input": { "filename": "beach.jpg", "caption": "Sunny", "tags": [" Sea ", "summer", "SEA"] } }),
    )
    .await;
    let photo = &created["createPhoto"];
    assert_eq!(
        photo["tags"],
        json!([{ "name": "sea" }, { "name": "summer" }])
    );
    let id = photo["id"].as_str().unwrap();

    for _ in 0..2 {
        let tagged = ok(
            &app,
            &ada,
            TAG_PHOTO,
            json!({ "id": id, "tags": ["sea", "night"] }),
        )
        .await;
        assert_eq!(
            tagged["tagPhoto"]["tags"],
            json!([{ "name": "night" }, { "name": "sea" }, { "name": "summer" }])
        );
    }
    assert_eq!(counts(&app).await[3..], [3, 3]);
    let untagged = ok(
        &app,
        &ada,
        UNTAG_PHOTO,
        json!({ "id": id, "tags": ["summer", "unknown"] }),
    )
    .await;
    assert_eq!(
        untagged["untagPhoto"]["tags"],
        json!([{ "name": "night" }, { "name": "sea" }])
    );
    let read = app
        .data(
            "{ tag(name: \"sea\") { photoCount photos { nodes { filename } } } }",
            json!({}),
        )
        .await;
    assert_eq!(read["tag"]["photoCount"], 1);

    let changed = ok(
        &app,
        &ada,
        "mutation($id: ID!) { updatePhoto(id: $id, input: { filename: \"b.jpg\", caption: \"\" }) { filename caption } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        changed["updatePhoto"],
        json!({ "filename": "b.jpg", "caption": null })
    );
    ok(
        &app,
        &ada,
        "mutation($id: ID!) { deletePhoto(id: $id) { deletedId } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(counts(&app).await[2..], [0, 3, 0], "tags stay, links go");
}

#[tokio::test]
async fn a_photo_with_an_invalid_tag_writes_nothing() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let before = counts(&app).await;
    let error = refused(
        &app,
        Some(&ada),
        CREATE_PHOTO,
        json!({ "input": { "filename": "a.jpg", "tags": ["fine", "not fine!"] } }),
    )
    .await;
    assert_eq!(code(&error), "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], "input.tags");
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let post = ok(
        &app,
        &ada,
        CREATE_POST,
        json!({ "input": { "title": "T", "body": "" } }),
    )
    .await;
    let post_id = post["createPost"]["id"].as_str().unwrap().to_owned();
    let before = counts(&app).await;
    let cases = [
        (
            CREATE_POST,
            json!({ "input": { "title": "", "body": "x" } }),
            "input.title",
        ),
        (
            CREATE_POST,
            json!({ "input": { "title": "x".repeat(201), "body": "x" } }),
            "input.title",
        ),
        (UPDATE_POST, json!({ "id": post_id, "input": {} }), "input"),
        (
            UPDATE_POST,
            json!({ "id": "bm9wZQ", "input": { "title": "x" } }),
            "id",
        ),
        (
            CREATE_PHOTO,
            json!({ "input": { "filename": "" } }),
            "input.filename",
        ),
        (UPDATE_PROFILE, json!({ "input": {} }), "input"),
        (
            UPDATE_PROFILE,
            json!({ "input": { "avatarUrl": "javascript:alert(1)" } }),
            "input.avatarUrl",
        ),
        (
            UPDATE_PROFILE,
            json!({ "input": { "displayName": " " } }),
            "input.displayName",
        ),
    ];
    for (query, variables, field) in cases {
        let error = refused(&app, Some(&ada), query, variables.clone()).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{variables}: {error}");
        assert_eq!(error["extensions"]["field"], field, "{variables}");
    }
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn the_viewer_profile_is_created_then_updated() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let created = ok(
        &app,
        &ada,
        UPDATE_PROFILE,
        json!({ "input": { "bio": "Hi" } }),
    )
    .await;
    assert_eq!(
        created["updateViewerProfile"],
        json!({ "displayName": "ada", "bio": "Hi", "avatarUrl": null, "user": { "username": "ada" } })
    );
    let updated = ok(
        &app,
        &ada,
        UPDATE_PROFILE,
        json!({ "input": { "displayName": "Ada L.", "avatarUrl": "https://example.com/a.png" } }),
    )
    .await;
    assert_eq!(updated["updateViewerProfile"]["displayName"], "Ada L.");
    assert_eq!(updated["updateViewerProfile"]["bio"], "Hi");
    assert_eq!(counts(&app).await[0], 1, "one profile, upserted");
    let read = app
        .data(
            "{ user(username: \"ada\") { profile { displayName avatarUrl } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read["user"]["profile"],
        json!({ "displayName": "Ada L.", "avatarUrl": "https://example.com/a.png" })
    );
}

#[tokio::test]
async fn deleting_the_viewer_cascades() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let (bob, _) = app.register("bob").await;
    for token in [&ada, &bob] {
        ok(
            &app,
            token,
            UPDATE_PROFILE,
            json!({ "input": { "bio": "b" } }),
        )
        .await;
        ok(
            &app,
            token,
            CREATE_POST,
            json!({ "input": { "title": "t", "body": "b" } }),
        )
        .await;
        ok(
            &app,
            token,
            CREATE_PHOTO,
            json!({ "input": { "filename": "p.jpg", "tags": ["shared"] } }),
        )
        .await;
    }
    let deleted = ok(
        &app,
        &ada,
        "mutation { deleteViewer { deletedId } }",
        json!({}),
    )
    .await;
    assert!(deleted["deleteViewer"]["deletedId"].is_string());
    assert_eq!(counts(&app).await, [1, 1, 1, 1, 1]);
    let gone = app
        .data(
            "{ user(username: \"ada\") { id } viewer: user(username: \"bob\") { postCount } }",
            json!({}),
        )
        .await;
    assert_eq!(gone, json!({ "user": null, "viewer": { "postCount": 1 } }));
    let me = app
        .graphql_as(Some(&ada), "{ viewer { username } }", json!({}))
        .await;
    assert_eq!(me["data"]["viewer"], Value::Null);
}

#[tokio::test]
async fn twenty_concurrent_identical_tag_photo_calls_leave_one_link() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let (ada, _) = app.register("ada").await;
    let photo = ok(
        &app,
        &ada,
        CREATE_PHOTO,
        json!({ "input": { "filename": "a.jpg" } }),
    )
    .await;
    let id = photo["createPhoto"]["id"].as_str().unwrap().to_owned();
    let calls = (0..20).map(|_| {
        let (app, ada, id) = (app.clone(), ada.clone(), id.clone());
        tokio::spawn(async move {
            app.graphql_as(Some(&ada), TAG_PHOTO, json!({ "id": id, "tags": ["race"] }))
                .await
        })
    });
    for call in calls {
        let body = call.await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
    }
    assert_eq!(counts(&app).await[3..], [1, 1]);
}

/// The `INSERT`s into the `tags` table (not `photo_tags`) among `statements`.
fn tag_inserts(statements: &[sea_orm::Statement]) -> usize {
    statements
        .iter()
        .map(ToString::to_string)
        .filter(|sql| {
            let sql = sql.to_uppercase();
            sql.starts_with("INSERT") && (sql.contains("\"TAGS\"") || sql.contains("`TAGS`"))
        })
        .count()
}

#[tokio::test]
async fn tagging_again_takes_no_new_tag_ids() {
    use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, QueryFilter};
    let app = TestApp::spawn().await;
    let (ada, _) = app.register("ada").await;
    let photo = ok(
        &app,
        &ada,
        CREATE_PHOTO,
        json!({ "input": { "filename": "a.jpg" } }),
    )
    .await;
    let id = photo["createPhoto"]["id"].as_str().unwrap().to_owned();
    let tags: Vec<String> = (0..30).map(|i| format!("tag-{i:02}")).collect();
    let backend = app.db.conn.get_database_backend();
    let sequence = || async {
        let row = app
            .db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT last_value FROM tags_id_seq",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };

    let mut statements = Vec::new();
    for call in 1..=3 {
        app.db.reset_statement_count();
        ok(&app, &ada, TAG_PHOTO, json!({ "id": id, "tags": tags })).await;
        statements.push(app.db.statements());
        if backend == DbBackend::Postgres {
            assert_eq!(sequence().await, 30, "tags_id_seq after call {call}");
        }
    }
    let inserts: Vec<usize> = statements.iter().map(|run| tag_inserts(run)).collect();
    assert_eq!(inserts, [1, 0, 0], "only the first call creates tags");
    let counts_per_call: Vec<usize> = statements.iter().map(Vec::len).collect();
    // The viewer, the photo; then the tags with the photo's links, and on
    // the first call the insert of the tags, their ids, the links and two
    // for the outbox; the answer's tags. Tagging again reads and writes
    // nothing else.
    assert_eq!(counts_per_call, [9, 4, 4]);
    assert_eq!(counts(&app).await[3..], [30, 30]);

    ok(
        &app,
        &ada,
        TAG_PHOTO,
        json!({ "id": id, "tags": ["fresh"] }),
    )
    .await;
    let fresh = tag::Entity::find()
        .filter(tag::Column::Name.eq("fresh"))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fresh.id, 31, "no id was burnt by tagging again");
}

#[tokio::test]
async fn concurrent_first_profile_writes_make_one_profile() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let (ada, _) = app.register("ada").await;
    let calls = (0..10).map(|i| {
        let (app, ada) = (app.clone(), ada.clone());
        tokio::spawn(async move {
            let input = json!({ "input": { "bio": format!("bio {i}") } });
            app.graphql_as(Some(&ada), UPDATE_PROFILE, input).await
        })
    });
    for call in calls {
        let body = call.await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
    }
    assert_eq!(counts(&app).await[0], 1);
}

#[tokio::test]
async fn a_comment_on_a_post_deleted_between_the_check_and_the_write_is_not_found() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let created = ok(
        &app,
        &token,
        "mutation { createPost(input: { title: \"Soon gone\", body: \"b\" }) { id databaseId } }",
        json!({}),
    )
    .await;
    let post_id = created["createPost"]["id"].as_str().unwrap().to_owned();
    let row = created["createPost"]["databaseId"].as_i64().unwrap();

    // Another writer deletes the post and holds its transaction open: the
    // mutation's check still sees the post, and its insert waits on the
    // deleted row's lock until that writer commits.
    let txn = app.db.conn.begin().await.unwrap();
    txn.execute_unprepared(&format!("DELETE FROM posts WHERE id = {row}"))
        .await
        .unwrap();
    app.db.reset_statement_count();
    let comment = {
        let app = &app;
        let post_id = post_id.clone();
        async move {
            app.graphql_as(
                Some(&token),
                "mutation($id: ID!) { createComment(postId: $id, body: \"late\") { id } }",
                json!({ "id": post_id }),
            )
            .await
        }
    };
    // The other writer commits once the mutation's check has run: the
    // statement counter records a statement when it has finished, so the
    // check saw the post before the commit, and the insert (waiting on the
    // lock already, or not yet sent) runs after it.
    let commit = async {
        folio_tests::wait::until("the mutation's check of the post", || async {
            app.db.statements().iter().any(|s| {
                let sql = s.to_string();
                sql.to_uppercase().starts_with("SELECT") && sql.contains("posts")
            })
        })
        .await;
        txn.commit().await.unwrap();
    };
    let (body, ()) = tokio::join!(comment, commit);

    assert_eq!(code(&body["errors"][0]), "NOT_FOUND", "{body:#}");
    let tried_to_insert = app.db.statements().iter().any(|s| {
        s.to_string().to_uppercase().contains("INSERT INTO") && s.to_string().contains("comments")
    });
    assert!(
        tried_to_insert,
        "the check, not the write, found the post gone"
    );
    assert_eq!(
        entity::comment::Entity::find()
            .count(&app.db.conn)
            .await
            .unwrap(),
        0
    );
}
