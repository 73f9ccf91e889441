//! What the statements read, beyond how many there are: long text only when
//! it is asked for, and a first page that costs the same however many rows
//! its parent has.

use entity::{photo, post};
use folio_tests::{TestApp, data};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde_json::{Value, json};

/// Whether some statement reads the column `table.column` (however the
/// backend quotes names).
fn reads(statements: &[Statement], table: &str, column: &str) -> bool {
    let wanted = format!("{table}.{column}");
    statements
        .iter()
        .any(|statement| statement.sql.replace(['"', '`'], "").contains(&wanted))
}

#[tokio::test]
async fn long_text_is_read_only_when_its_field_is_selected() {
    let app = TestApp::seeded(&data::small(5)).await;
    let without = "{ users(first: 5) { nodes {
        posts(first: 2) { nodes { title } }
        photos(first: 2) { nodes { filename } }
    } } }";
    app.db.reset_statement_count();
    app.data(without, json!({})).await;
    let statements = app.db.statements();
    assert_eq!(statements.len(), 3);
    assert!(!reads(&statements, "posts", "body"), "{statements:#?}");
    assert!(!reads(&statements, "photos", "caption"), "{statements:#?}");

    // Asked for through a fragment and through edges, they are read and right.
    let with = "{ users(first: 5) { nodes {
        posts(first: 2) { nodes { ... on Post { databaseId body } } }
        photos(first: 2) { edges { node { databaseId caption } } }
    } } }";
    app.db.reset_statement_count();
    let found = app.data(with, json!({})).await;
    let statements = app.db.statements();
    assert_eq!(statements.len(), 3);
    assert!(reads(&statements, "posts", "body"), "{statements:#?}");
    assert!(reads(&statements, "photos", "caption"), "{statements:#?}");
    let users = found["users"]["nodes"].as_array().unwrap();
    let mut checked = 0;
    for user in users {
        for node in user["posts"]["nodes"].as_array().unwrap() {
            let id = node["databaseId"].as_i64().unwrap();
            let row = post::Entity::find_by_id(i32::try_from(id).unwrap())
                .one(&app.db.conn)
                .await
                .unwrap()
                .unwrap();
            assert!(!row.body.is_empty());
            assert_eq!(node["body"], json!(row.body));
            checked += 1;
        }
        for edge in user["photos"]["edges"].as_array().unwrap() {
            let node = &edge["node"];
            let id = node["databaseId"].as_i64().unwrap();
            let row = photo::Entity::find_by_id(i32::try_from(id).unwrap())
                .one(&app.db.conn)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(node["caption"], json!(row.caption));
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * 2 + 5 * 2);
}

/// The rows PostgreSQL reads to run `statement`: every plan node's actual
/// rows times its loops, from `EXPLAIN ANALYZE`.
async fn rows_read(app: &TestApp, statement: &Statement) -> u64 {
    fn sum(node: &Value) -> u64 {
        let rows = node["Actual Rows"].as_f64().unwrap_or(0.0);
        let loops = node["Actual Loops"].as_f64().unwrap_or(1.0);
        let own = (rows * loops).round() as u64;
        let children = node["Plans"]
            .as_array()
            .map_or(0, |plans| plans.iter().map(sum).sum());
        own + children
    }
    let explain = Statement {
        sql: format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", statement.sql),
        ..statement.clone()
    };
    let row = app.db.conn.query_one_raw(explain).await.unwrap().unwrap();
    let plan: Value = row.try_get_by_index(0).unwrap();
    sum(&plan[0]["Plan"])
}

/// The rows read by the statement that pages `username`'s posts.
async fn first_page_cost(app: &TestApp, username: &str) -> u64 {
    let query = "query($name: String!) { user(username: $name) {
        posts(first: 10) { nodes { title } }
    } }";
    app.db.reset_statement_count();
    let found = app.data(query, json!({ "name": username })).await;
    assert_eq!(
        found["user"]["posts"]["nodes"].as_array().unwrap().len(),
        10
    );
    let statements = app.db.statements();
    assert_eq!(statements.len(), 2, "the user, then the page");
    rows_read(app, &statements[1]).await
}

/// One user with 100,000 posts costs what one with 20 costs (within 2×):
/// the page is an index seek on the author, not a sort of every post.
/// PostgreSQL only: its `EXPLAIN ANALYZE` counts the rows a plan reads.
#[tokio::test]
async fn a_first_page_costs_the_same_however_many_rows_its_parent_has() {
    let app = TestApp::seeded(&data::small(5)).await;
    if app.db.backend() != DbBackend::Postgres {
        return;
    }
    // user0001 gets 100,000 posts, user0002 16 more (20 in all).
    for (username, extra) in [("user0001", 100_000), ("user0002", 16)] {
        let insert = format!(
            "INSERT INTO posts (author_id, title, body, created_at, updated_at)
             SELECT u.id, 'post ' || g, 'a body', now() - g * interval '1 second', now()
             FROM users u, generate_series(1, {extra}) g WHERE u.username = '{username}'"
        );
        app.db.conn.execute_unprepared(&insert).await.unwrap();
    }
    app.db.conn.execute_unprepared("ANALYZE").await.unwrap();

    let many = first_page_cost(&app, "user0001").await;
    let few = first_page_cost(&app, "user0002").await;
    assert!(
        many <= few * 2,
        "the first page of 100,000 posts read {many} rows, that of 20 read {few}"
    );
}

/// The rows read by the statement that pages the photos of tag `name`.
async fn first_tag_page_cost(app: &TestApp, name: &str) -> u64 {
    let query = "query($name: String!) { tag(name: $name) {
        photos(first: 10) { nodes { filename } }
    } }";
    app.db.reset_statement_count();
    let found = app.data(query, json!({ "name": name })).await;
    assert_eq!(
        found["tag"]["photos"]["nodes"].as_array().unwrap().len(),
        10
    );
    let statements = app.db.statements();
    assert_eq!(statements.len(), 2, "the tag, then the page");
    rows_read(app, &statements[1]).await
}

/// A tag's first page reads rows by the dozen, not by the tag's photos:
/// it is a seek on the join table's copy of the photos' `created_at`
/// (`photo_tags.photo_created_at`), not a join and sort of every photo of
/// the tag, nor a walk of every photo newest first until ten of the tag's
/// turn up. PostgreSQL only: its `EXPLAIN ANALYZE` counts the rows read.
#[tokio::test]
async fn a_tags_first_page_reads_about_a_page_of_rows() {
    let app = TestApp::seeded(&data::small(5)).await;
    if app.db.backend() != DbBackend::Postgres {
        return;
    }
    // 50,000 photos, every 50th of them (1,000 in all) under `spread`.
    let insert =
        "WITH t AS (INSERT INTO tags (name, created_at) VALUES ('spread', now()) RETURNING id),
              u AS (SELECT id FROM users ORDER BY id LIMIT 1),
              p AS (INSERT INTO photos (owner_id, filename, created_at, updated_at)
                    SELECT u.id, 'photo-' || g || '.jpg', now() - g * interval '1 second', now()
                    FROM u, generate_series(1, 50000) g RETURNING id, created_at, filename)
         INSERT INTO photo_tags (photo_id, tag_id, created_at, photo_created_at)
         SELECT p.id, t.id, now(), p.created_at FROM p, t
         WHERE substring(p.filename from 'photo-([0-9]+)')::int % 50 = 0";
    app.db.conn.execute_unprepared(insert).await.unwrap();
    app.db.conn.execute_unprepared("ANALYZE").await.unwrap();

    let read = first_tag_page_cost(&app, "spread").await;
    assert!(
        read < 200,
        "the first page of a tag's 1,000 photos read {read} rows"
    );
}
