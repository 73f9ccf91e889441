//! Keyset paging: walking every page forwards and backwards yields exactly the
//! full ordered list, at the root and per parent, in every order.

use api::seed::SeedOptions;
use entity::{post, user};
use folio_tests::TestApp;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

fn many_posts() -> SeedOptions {
    SeedOptions {
        users: 3,
        // Every 7th post of a user repeats the previous one's time: ties are broken by id.
        posts_per_user: 23,
        photos_per_user: 1,
        tags: 3,
        tags_per_photo: 1,
        comments_per_post: 1,
    }
}

/// A user's posts, one page; `TOTAL` stands for `totalCount` or nothing:
/// with the total, a page is read through a window that counts the rows,
/// without it by a seek on the author's index.
const USER_POSTS: &str = "query($username: String!, $first: Int, $after: String, $last: Int, $before: String, $order: PostOrder) {
  user(username: $username) {
    posts(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
      TOTAL
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { databaseId } }
    }
  }
}";

/// Walks every page of a user's posts, asking for the total or not; returns
/// the ids in the order seen.
async fn walk(app: &TestApp, order: Value, backwards: bool, total: bool) -> Vec<i64> {
    let query = USER_POSTS.replace("TOTAL", if total { "totalCount" } else { "" });
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let variables = if backwards {
            json!({ "username": "user0002", "last": 4, "before": cursor, "order": order })
        } else {
            json!({ "username": "user0002", "first": 4, "after": cursor, "order": order })
        };
        let data = app.data(&query, variables).await;
        let connection = &data["user"]["posts"];
        if total {
            assert_eq!(connection["totalCount"], 23);
        }
        let ids: Vec<i64> = connection["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["databaseId"].as_i64().unwrap())
            .collect();
        let info = &connection["pageInfo"];
        if backwards {
            seen.splice(0..0, ids);
            if info["hasPreviousPage"] == false {
                return seen;
            }
            cursor = info["startCursor"].as_str().map(str::to_owned);
        } else {
            seen.extend(ids);
            if info["hasNextPage"] == false {
                return seen;
            }
            cursor = info["endCursor"].as_str().map(str::to_owned);
        }
    }
    panic!("paging did not end");
}

async fn expected_ids(app: &TestApp, order: sea_orm::Select<post::Entity>) -> Vec<i64> {
    expected_ids_of(app, "user0002", order).await
}

/// The ids of `username`'s posts in `order`, as the database sorts them.
async fn expected_ids_of(
    app: &TestApp,
    username: &str,
    order: sea_orm::Select<post::Entity>,
) -> Vec<i64> {
    let author = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    order
        .filter(post::Column::AuthorId.eq(author.id))
        .all(&app.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| i64::from(p.id))
        .collect()
}

#[tokio::test]
async fn paging_a_users_posts_forwards_and_backwards_visits_every_post_once() {
    let app = TestApp::seeded(&many_posts()).await;
    let newest_first = expected_ids(
        &app,
        post::Entity::find()
            .order_by_desc(post::Column::CreatedAt)
            .order_by_desc(post::Column::Id),
    )
    .await;
    assert_eq!(newest_first.len(), 23);
    for total in [true, false] {
        assert_eq!(walk(&app, Value::Null, false, total).await, newest_first);
        assert_eq!(walk(&app, Value::Null, true, total).await, newest_first);

        let by_title = json!({ "field": "TITLE", "direction": "ASC" });
        let title_order = expected_ids(
            &app,
            post::Entity::find()
                .order_by_asc(post::Column::Title)
                .order_by_asc(post::Column::Id),
        )
        .await;
        assert_eq!(
            walk(&app, by_title.clone(), false, total).await,
            title_order
        );
        assert_eq!(walk(&app, by_title, true, total).await, title_order);

        let oldest_first = json!({ "field": "CREATED_AT", "direction": "ASC" });
        let mut reversed = newest_first.clone();
        reversed.reverse();
        assert_eq!(
            walk(&app, oldest_first.clone(), false, total).await,
            reversed
        );
        assert_eq!(walk(&app, oldest_first, true, total).await, reversed);
    }
}

#[tokio::test]
async fn page_info_tells_where_the_page_stands() {
    let app = TestApp::seeded(&many_posts()).await;
    for total in [true, false] {
        let query = USER_POSTS.replace("TOTAL", if total { "totalCount" } else { "" });
        let first = app
            .data(&query, json!({ "username": "user0002", "first": 23 }))
            .await;
        let info = &first["user"]["posts"]["pageInfo"];
        assert_eq!(info["hasNextPage"], false, "exactly the whole list");
        assert_eq!(info["hasPreviousPage"], false);

        let head = app
            .data(&query, json!({ "username": "user0002", "first": 22 }))
            .await;
        assert_eq!(head["user"]["posts"]["pageInfo"]["hasNextPage"], true);
        let end = head["user"]["posts"]["pageInfo"]["endCursor"].clone();
        let tail = app
            .data(
                &query,
                json!({ "username": "user0002", "first": 5, "after": end }),
            )
            .await;
        let tail = &tail["user"]["posts"];
        assert_eq!(tail["edges"].as_array().unwrap().len(), 1);
        assert_eq!(tail["pageInfo"]["hasNextPage"], false);
        assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
        if total {
            assert_eq!(tail["totalCount"], 23, "the total ignores the cursor");
        }
    }
}

#[tokio::test]
async fn root_lists_page_through_every_row_once() {
    let app = TestApp::seeded(&many_posts()).await;
    let query = "query($after: String) { posts(first: 10, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { databaseId } } }";
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app.data(query, json!({ "after": after })).await;
        let posts = &data["posts"];
        seen.extend(
            posts["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["databaseId"].as_i64().unwrap()),
        );
        if posts["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = posts["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let expected: Vec<i64> = post::Entity::find()
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| i64::from(p.id))
        .collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn nested_pages_are_cut_per_parent() {
    let app = TestApp::seeded(&many_posts()).await;
    let data = app
        .data(
            "{ users(first: 3) { nodes { username posts(first: 2) { totalCount pageInfo { hasNextPage } nodes { author { username } } } } } }",
            json!({}),
        )
        .await;
    for user in data["users"]["nodes"].as_array().unwrap() {
        let posts = &user["posts"];
        assert_eq!(posts["totalCount"], 23);
        assert_eq!(posts["pageInfo"]["hasNextPage"], true);
        let nodes = posts["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 2);
        for post in nodes {
            assert_eq!(post["author"]["username"], user["username"]);
        }
    }
}

#[tokio::test]
async fn every_parents_page_is_in_order_through_ties() {
    let app = TestApp::seeded(&many_posts()).await;
    let query = "query($order: PostOrder, $first: Int) { users(first: 3) { nodes { username
        posts(first: $first, orderBy: $order) { pageInfo { hasNextPage } nodes { databaseId } } } } }";
    let orders = [
        (
            json!({ "field": "CREATED_AT", "direction": "DESC" }),
            post::Entity::find()
                .order_by_desc(post::Column::CreatedAt)
                .order_by_desc(post::Column::Id),
        ),
        (
            json!({ "field": "CREATED_AT", "direction": "ASC" }),
            post::Entity::find()
                .order_by_asc(post::Column::CreatedAt)
                .order_by_asc(post::Column::Id),
        ),
        (
            json!({ "field": "TITLE", "direction": "DESC" }),
            post::Entity::find()
                .order_by_desc(post::Column::Title)
                .order_by_desc(post::Column::Id),
        ),
    ];
    for (order, expected) in orders {
        for first in [23, 8] {
            let data = app
                .data(query, json!({ "order": order, "first": first }))
                .await;
            let users = data["users"]["nodes"].as_array().unwrap();
            assert_eq!(users.len(), 3);
            for user in users {
                let username = user["username"].as_str().unwrap();
                let mut want = expected_ids_of(&app, username, expected.clone()).await;
                want.truncate(first);
                let got: Vec<i64> = user["posts"]["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n["databaseId"].as_i64().unwrap())
                    .collect();
                assert_eq!(got, want, "{username}'s first {first} posts by {order}");
                assert_eq!(user["posts"]["pageInfo"]["hasNextPage"], first < 23);
            }
        }
    }
}

#[tokio::test]
async fn total_count_is_right_on_a_page_past_the_end() {
    let app = TestApp::seeded(&folio_tests::data::small(3)).await;
    // The last post, then the page after it: empty, yet the total is all of them.
    let all = app
        .data(
            "{ posts(last: 1) { totalCount edges { cursor } } }",
            json!({}),
        )
        .await;
    let total = all["posts"]["totalCount"].as_i64().unwrap();
    assert_eq!(total, 12);
    let cursor = all["posts"]["edges"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let past = app
        .data(
            "query($c: String!) { posts(first: 5, after: $c) { totalCount nodes { title } pageInfo { hasNextPage } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(past["posts"]["nodes"], json!([]));
    assert_eq!(past["posts"]["totalCount"], json!(total));
    assert_eq!(past["posts"]["pageInfo"]["hasNextPage"], json!(false));

    // The same under a parent: each user's last post, then past it.
    let nested = "query($c: String!) { users(first: 1) { nodes {
        posts(first: 2, after: $c) { totalCount nodes { title } } } } }";
    let last = app
        .data(
            "{ users(first: 1) { nodes { posts(last: 1) { edges { cursor } } } } }",
            json!({}),
        )
        .await;
    let cursor = last["users"]["nodes"][0]["posts"]["edges"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let past = app.data(nested, json!({ "c": cursor })).await;
    let posts = &past["users"]["nodes"][0]["posts"];
    assert_eq!(posts["nodes"], json!([]));
    assert_eq!(posts["totalCount"], json!(4));
}
