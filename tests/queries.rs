//! The read API returns the right rows in the right order: nested relations,
//! filters and orderings, compared with what the database itself says.

use entity::{photo, photo_tag, post, tag, user};
use folio_tests::{TestApp, data};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

fn strings(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn photos_come_with_their_tags_and_owner() {
    let app = TestApp::seeded(&data::small(4)).await;
    let data = app
        .data(
            "{ photos(first: 100) { totalCount nodes { databaseId filename owner { databaseId } tags { name } } } }",
            json!({}),
        )
        .await;
    let db = &app.db.conn;
    let photos = photo::Entity::find()
        .order_by_desc(photo::Column::CreatedAt)
        .order_by_desc(photo::Column::Id)
        .all(db)
        .await
        .unwrap();
    assert_eq!(data["photos"]["totalCount"], photos.len());
    let nodes = data["photos"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), photos.len());
    for (node, photo) in nodes.iter().zip(&photos) {
        assert_eq!(node["databaseId"], photo.id);
        assert_eq!(node["owner"]["databaseId"], photo.owner_id);
        let tag_ids: Vec<i32> = photo_tag::Entity::find()
            .filter(photo_tag::Column::PhotoId.eq(photo.id))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|pt| pt.tag_id)
            .collect();
        let mut expected: Vec<String> = tag::Entity::find()
            .filter(tag::Column::Id.is_in(tag_ids))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        expected.sort();
        assert_eq!(strings(&node["tags"], "name"), expected, "tags by name");
    }
}

#[tokio::test]
async fn users_come_with_their_profile_and_newest_posts() {
    let app = TestApp::seeded(&data::small(4)).await;
    let data = app
        .data(
            "{ users(first: 10) { nodes { databaseId username email profile { displayName user { username } } posts(first: 10) { nodes { title } } postCount photoCount } } }",
            json!({}),
        )
        .await;
    let db = &app.db.conn;
    let users = user::Entity::find()
        .order_by_asc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await
        .unwrap();
    let nodes = data["users"]["nodes"].as_array().unwrap();
    assert_eq!(
        strings(&data["users"]["nodes"], "username"),
        users.iter().map(|u| u.username.clone()).collect::<Vec<_>>()
    );
    for (node, user) in nodes.iter().zip(&users) {
        assert_eq!(node["email"], Value::Null, "e-mail is private to its owner");
        assert_eq!(node["profile"]["user"]["username"], user.username.as_str());
        let titles: Vec<String> = post::Entity::find()
            .filter(post::Column::AuthorId.eq(user.id))
            .order_by_desc(post::Column::CreatedAt)
            .order_by_desc(post::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.title)
            .collect();
        assert_eq!(strings(&node["posts"]["nodes"], "title"), titles);
        assert_eq!(node["postCount"], titles.len());
        assert_eq!(node["photoCount"], 3);
    }
}

#[tokio::test]
async fn tags_list_their_photos_newest_first() {
    let app = TestApp::seeded(&data::small(4)).await;
    let data = app
        .data(
            "{ tag(name: \"  SUNSET \") { name photoCount photos(first: 100) { totalCount nodes { databaseId } } } }",
            json!({}),
        )
        .await;
    let db = &app.db.conn;
    let sunset = tag::Entity::find()
        .filter(tag::Column::Name.eq("sunset"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let tagged: Vec<i32> = photo_tag::Entity::find()
        .filter(photo_tag::Column::TagId.eq(sunset.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|pt| pt.photo_id)
        .collect();
    let expected: Vec<i64> = photo::Entity::find()
        .filter(photo::Column::Id.is_in(tagged))
        .order_by_desc(photo::Column::CreatedAt)
        .order_by_desc(photo::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| i64::from(p.id))
        .collect();
    let tag = &data["tag"];
    assert_eq!(tag["name"], "sunset");
    assert_eq!(tag["photoCount"], expected.len());
    assert_eq!(tag["photos"]["totalCount"], expected.len());
    let ids: Vec<i64> = tag["photos"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["databaseId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, expected);
    assert!(!expected.is_empty());
}

/// Which posts a filter should keep.
type Keep<'a> = Box<dyn Fn(&post::Model) -> bool + 'a>;

#[tokio::test]
async fn post_filters_return_what_the_same_filter_in_sql_returns() {
    let app = TestApp::seeded(&data::small(4)).await;
    let db = &app.db.conn;
    let author = user::Entity::find()
        .filter(user::Column::Username.eq("user0003"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let author_id = app
        .data("{ user(username: \"user0003\") { id } }", json!({}))
        .await["user"]["id"]
        .clone();
    let all_posts = post::Entity::find()
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .all(db)
        .await
        .unwrap();
    let middle = all_posts[all_posts.len() / 2].created_at;
    let word = all_posts[0]
        .title
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_uppercase();

    let cases: Vec<(Value, Keep<'_>)> = vec![
        (
            json!({ "authorId": author_id }),
            Box::new(|p| p.author_id == author.id),
        ),
        (
            json!({ "titleContains": word }),
            Box::new(|p| p.title.to_lowercase().contains(&word.to_lowercase())),
        ),
        (
            json!({ "createdBefore": middle }),
            Box::new(move |p| p.created_at < middle),
        ),
        (
            json!({ "createdAfter": middle }),
            Box::new(move |p| p.created_at > middle),
        ),
        (
            json!({ "authorId": author_id, "createdAfter": middle }),
            Box::new(move |p| p.author_id == author.id && p.created_at > middle),
        ),
        (
            json!({ "titleContains": "%" }),
            Box::new(|p| p.title.contains('%')),
        ),
    ];
    let query = "query($filter: PostFilter) { posts(first: 100, filter: $filter) { totalCount nodes { databaseId } } }";
    for (filter, keep) in cases {
        let data = app.data(query, json!({ "filter": filter })).await;
        let expected: Vec<i64> = all_posts
            .iter()
            .filter(|p| keep(p))
            .map(|p| i64::from(p.id))
            .collect();
        let got: Vec<i64> = data["posts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["databaseId"].as_i64().unwrap())
            .collect();
        assert_eq!(got, expected, "filter {filter}");
        assert_eq!(
            data["posts"]["totalCount"],
            expected.len(),
            "filter {filter}"
        );
    }
}

#[tokio::test]
async fn photo_tag_filters_match_any_or_all_names() {
    let app = TestApp::seeded(&data::small(4)).await;
    let db = &app.db.conn;
    let tags = tag::Entity::find().all(db).await.unwrap();
    let links = photo_tag::Entity::find().all(db).await.unwrap();
    let names_of = |photo_id: i32| -> Vec<String> {
        links
            .iter()
            .filter(|l| l.photo_id == photo_id)
            .filter_map(|l| tags.iter().find(|t| t.id == l.tag_id))
            .map(|t| t.name.clone())
            .collect()
    };
    let photos = photo::Entity::find()
        .order_by_desc(photo::Column::CreatedAt)
        .order_by_desc(photo::Column::Id)
        .all(db)
        .await
        .unwrap();
    // Two names that appear together on some photo.
    let pair = names_of(photos[0].id);
    assert_eq!(pair.len(), 2);
    let query = "query($filter: PhotoFilter) { photos(first: 100, filter: $filter) { nodes { databaseId } } }";
    let ids = |data: &Value| -> Vec<i64> {
        data["photos"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["databaseId"].as_i64().unwrap())
            .collect()
    };

    let any = app
        .data(query, json!({ "filter": { "taggedAny": pair } }))
        .await;
    let expected_any: Vec<i64> = photos
        .iter()
        .filter(|p| names_of(p.id).iter().any(|n| pair.contains(n)))
        .map(|p| i64::from(p.id))
        .collect();
    assert_eq!(ids(&any), expected_any);

    let all = app
        .data(query, json!({ "filter": { "taggedAll": pair } }))
        .await;
    let expected_all: Vec<i64> = photos
        .iter()
        .filter(|p| pair.iter().all(|n| names_of(p.id).contains(n)))
        .map(|p| i64::from(p.id))
        .collect();
    assert_eq!(ids(&all), expected_all);
    assert!(expected_all.len() < expected_any.len());
}

#[tokio::test]
async fn tags_filter_by_prefix_and_order_by_name() {
    let app = TestApp::seeded(&data::small(4)).await;
    let db = &app.db.conn;
    let data = app
        .data(
            "{ tags(first: 100, filter: { namePrefix: \"S\" }) { nodes { name } } all: tags(first: 100, orderBy: { field: NAME, direction: DESC }) { nodes { name } } }",
            json!({}),
        )
        .await;
    let mut names: Vec<String> = tag::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    let prefixed: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with('s'))
        .cloned()
        .collect();
    assert!(!prefixed.is_empty());
    assert_eq!(strings(&data["tags"]["nodes"], "name"), prefixed);
    names.reverse();
    assert_eq!(strings(&data["all"]["nodes"], "name"), names);
}

/// The fields of `type_name` that take no arguments and hold a scalar read
/// from its row: the ones an object may answer from its row alone (not the
/// counts, which are relations, nor `email`, which depends on the viewer).
async fn scalar_fields(app: &TestApp, type_name: &str) -> Vec<String> {
    let data = app
        .data(
            "query ($name: String!) { __type(name: $name) { fields { name args { name } type { kind ofType { kind } } } } }",
            json!({ "name": type_name }),
        )
        .await;
    data["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|field| field["args"].as_array().unwrap().is_empty())
        .filter(|field| {
            let kind = field["type"]["ofType"]["kind"]
                .as_str()
                .or(field["type"]["kind"].as_str());
            kind == Some("SCALAR")
        })
        .filter(|field| {
            let name = field["name"].as_str().unwrap();
            !name.ends_with("Count") && name != "email"
        })
        .map(|field| field["name"].as_str().unwrap().to_owned())
        .collect()
}

/// An object whose selection holds only plain fields is built from its row
/// directly; one with a relation beside them goes through every resolver.
/// Both must answer each plain field the same, aliases, fragments and
/// `__typename` included, for every object type and every way to reach it.
#[tokio::test]
async fn plain_fields_answer_the_same_with_or_without_a_relation_beside_them() {
    let app = TestApp::seeded(&data::small(4)).await;
    // (type, the query with `SEL` where the object's selection goes, the
    // path to the objects, a relation field of the type)
    let cases = [
        (
            "Post",
            "{ posts(first: 5) { nodes { SEL } } }",
            "/posts/nodes",
            "author { id }",
        ),
        (
            "Post",
            "{ posts(first: 5) { edges { node { SEL } } } }",
            "/posts/edges",
            "commentCount",
        ),
        (
            "Photo",
            "{ photos(first: 5) { nodes { SEL } } }",
            "/photos/nodes",
            "owner { id }",
        ),
        (
            "Tag",
            "{ photos(first: 5) { nodes { tags { SEL } } } }",
            "/photos/nodes",
            "photoCount",
        ),
        (
            "User",
            "{ users(first: 5) { nodes { SEL } } }",
            "/users/nodes",
            "postCount",
        ),
        (
            "User",
            "{ photos(first: 5) { nodes { owner { SEL } } } }",
            "/photos/nodes",
            "postCount",
        ),
        (
            "Profile",
            "{ users(first: 5) { nodes { profile { SEL } } } }",
            "/users/nodes",
            "user { id }",
        ),
        (
            "Comment",
            "{ posts(first: 3) { nodes { comments(first: 3) { nodes { SEL } } } } }",
            "/posts/nodes",
            "post { id }",
        ),
    ];
    for (type_name, query, path, relation) in cases {
        let fields = scalar_fields(&app, type_name).await;
        assert!(fields.len() >= 3, "{type_name}: {fields:?}");
        let plain = format!(
            "__typename {} again: {} ... on Node {{ id }} ...F",
            fields.join(" "),
            fields[1]
        );
        let fragment = format!(" fragment F on {type_name} {{ {} }}", fields[0]);
        let without = query.replace("SEL", &plain) + &fragment;
        let with = query.replace("SEL", &format!("{plain} {relation}")) + &fragment;
        let alone = app.data(&without, json!({})).await;
        let mut beside = app.data(&with, json!({})).await;
        let relation_key = relation.split([' ', '{']).next().unwrap();
        strip_key(&mut beside, relation_key);
        assert_eq!(alone, beside, "{type_name} at {path}");
        let objects = alone.pointer(path).unwrap().as_array().unwrap();
        assert!(!objects.is_empty(), "{type_name} at {path}: no objects");
    }
}

/// A list reads the columns its items' fields show (and its sort key), and
/// leaves the others unread: each field selected alone answers what it
/// answers beside every other field of its type, cursors included, for
/// every way a list reaches the type and for a list ordered by a column
/// that no selected field shows.
#[tokio::test]
async fn each_field_alone_answers_what_it_answers_beside_all_the_others() {
    let app = TestApp::seeded(&data::small(4)).await;
    // Every photo shows an image, so that `url` has something to show.
    photo::Entity::update_many()
        .col_expr(photo::Column::Sha256, Expr::value("ab".repeat(32)))
        .col_expr(photo::Column::ContentType, Expr::value("image/jpeg"))
        .exec(&app.db.conn)
        .await
        .unwrap();
    // (type, fields with arguments, the query with `SEL` where the items'
    // selection goes)
    let cases: [(&str, &[&str], &str); 11] = [
        (
            "Post",
            &[],
            "{ posts(first: 5) { nodes { SEL } pageInfo { endCursor } } }",
        ),
        (
            "Post",
            &[],
            "{ users(first: 3) { nodes { posts(first: 3, orderBy: { field: UPDATED_AT }) { edges { cursor node { SEL } } } } } }",
        ),
        (
            "Photo",
            &["url", "thumb: url(size: THUMBNAIL)"],
            "{ photos(first: 5, orderBy: { field: UPDATED_AT, direction: ASC }) { nodes { SEL } pageInfo { endCursor } } }",
        ),
        (
            "Photo",
            &["url"],
            "{ tags(first: 3) { nodes { photos(first: 3) { nodes { SEL } pageInfo { endCursor } } } } }",
        ),
        (
            "Tag",
            &[],
            "{ photos(first: 5) { nodes { tags { SEL } } } }",
        ),
        (
            "Tag",
            &[],
            "{ tags(first: 5, orderBy: { field: CREATED_AT }) { nodes { SEL } pageInfo { endCursor } } }",
        ),
        (
            "User",
            &[],
            "{ users(first: 5) { nodes { SEL } pageInfo { endCursor } } }",
        ),
        (
            "Comment",
            &[],
            "{ posts(first: 3) { nodes { comments(first: 3) { nodes { SEL } } } } }",
        ),
        (
            "User",
            &[],
            "{ photos(first: 5) { nodes { owner { SEL } } } }",
        ),
        (
            "Profile",
            &[],
            "{ users(first: 5) { nodes { profile { SEL } } } }",
        ),
        (
            "Post",
            &[],
            "{ posts(first: 3) { nodes { comments(first: 2) { nodes { post { SEL } } } } } }",
        ),
    ];
    for (type_name, extra, query) in cases {
        let mut fields = scalar_fields(&app, type_name).await;
        fields.extend(extra.iter().map(|field| (*field).to_owned()));
        let all = app
            .data(&query.replace("SEL", &fields.join(" ")), json!({}))
            .await;
        if !extra.is_empty() {
            assert!(all.to_string().contains("/media/"), "no url: {all}");
        }
        for field in &fields {
            let alone = app.data(&query.replace("SEL", field), json!({})).await;
            let key = field.split(':').next().unwrap().trim();
            let mut expected = all.clone();
            for other in &fields {
                let other_key = other.split(':').next().unwrap().trim();
                if other_key != key {
                    strip_key(&mut expected, other_key);
                }
            }
            assert_eq!(alone, expected, "{type_name}.{field} in {query}");
        }
    }
    // Two selections of one relation side by side: each gets what it shows.
    let both = app
        .data(
            "{ photos(first: 5) { nodes { owner { username } o: owner { createdAt } \
             tags { name } t: tags { createdAt } } } }",
            json!({}),
        )
        .await;
    let apart = app
        .data(
            "{ photos(first: 5) { nodes { owner { username } o: owner { createdAt } } } }",
            json!({}),
        )
        .await;
    let full = app
        .data(
            "{ photos(first: 5) { nodes { owner { username createdAt } tags { name createdAt } } } }",
            json!({}),
        )
        .await;
    let photos = both["photos"]["nodes"].as_array().unwrap();
    for (i, photo) in photos.iter().enumerate() {
        let full = &full["photos"]["nodes"][i];
        assert_eq!(photo["owner"]["username"], full["owner"]["username"]);
        assert_eq!(photo["o"]["createdAt"], full["owner"]["createdAt"]);
        assert_eq!(photo["o"], apart["photos"]["nodes"][i]["o"]);
        assert_eq!(each(&photo["tags"], "name"), each(&full["tags"], "name"));
        assert_eq!(
            each(&photo["t"], "createdAt"),
            each(&full["tags"], "createdAt")
        );
    }
    assert!(!photos.is_empty());

    // A user's own email, alone and beside other fields, through a list.
    let (token, _) = app.register("ada").await;
    for selection in ["email", "email username createdAt"] {
        let query = format!(
            "{{ users(first: 100, orderBy: {{ field: USERNAME }}) {{ nodes {{ {selection} }} }} }}"
        );
        let body = app.graphql_as(Some(&token), &query, json!({})).await;
        let emails = each(&body["data"]["users"]["nodes"], "email");
        assert!(emails.contains(&&json!("ada@example.com")), "{body}");
    }
}

/// The value of `key` in each object of the list `list`.
fn each<'a>(list: &'a Value, key: &str) -> Vec<&'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| &item[key])
        .collect()
}

/// `value` without any object key `key`, at any depth.
fn strip_key(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| strip_key(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_key(v, key)),
        _ => {}
    }
}

#[tokio::test]
async fn a_failed_non_null_field_nulls_its_nearest_nullable_parent() {
    let app = TestApp::seeded(&data::small(3)).await;
    // `posts` is non-null: its error nulls the user, which may be null, and
    // the sibling root field keeps its value, in selection order.
    let query = r#"{ tags(first: 1) { totalCount }
        user(username: "user0001") { username posts(first: 500) { nodes { title } } } }"#;
    let body = app.text(query, json!({})).await;
    let parsed: Value = serde_json::from_str(&body).expect("a JSON body");
    assert!(
        body.starts_with(r#"{"data":{"tags":{"totalCount":"#),
        "the sibling answered, first: {body}"
    );
    assert_eq!(parsed["data"]["user"], Value::Null, "{body}");
    assert!(
        body.contains(r#""user":null"#),
        "the user is there, as null: {body}"
    );
    assert_eq!(parsed["errors"][0]["extensions"]["code"], "PAGE_TOO_LARGE");
    assert_eq!(parsed["errors"][0]["path"], json!(["user", "posts"]));

    // In a list of non-null users under a non-null connection, nothing on
    // the way up may be null: the whole data is.
    let body = app
        .graphql(
            "{ users(first: 2) { nodes { username posts(first: 500) { nodes { title } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"], Value::Null, "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAGE_TOO_LARGE");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["users", "nodes", 0, "posts"])
    );
}

#[tokio::test]
async fn each_item_of_a_mixed_list_has_its_own_types_field_order() {
    let app = TestApp::seeded(&data::small(3)).await;
    let found = app
        .data(
            "{ users(first: 1) { nodes { id } } tags(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let user = found["users"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tag = found["tags"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let body = app
        .text(
            "query($ids: [ID!]!) { nodes(ids: $ids) {
            ... on User { id username }
            ...T
            ... on Node { id }
        } }
        fragment T on Tag { name id }",
            json!({ "ids": [user, tag, user] }),
        )
        .await;
    let parsed: Value = serde_json::from_str(&body).expect("a JSON body");
    let name = parsed["data"]["nodes"][1]["name"]
        .as_str()
        .expect("a tag name");
    assert_eq!(
        body,
        format!(
            r#"{{"data":{{"nodes":[{{"id":"{user}","username":"user0001"}},{{"name":"{name}","id":"{tag}"}},{{"id":"{user}","username":"user0001"}}]}}}}"#
        ),
    );
}
