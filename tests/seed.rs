//! `folio seed`: deterministic, all or nothing, only into an empty database.

use api::seed::{SeedError, seed};
use entity::{photo_tag, post, tag, user};
use folio_tests::{TestDb, data, fixtures};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

#[tokio::test]
async fn the_same_options_seed_the_same_rows() {
    let (a, b) = (TestDb::new().await, TestDb::new().await);
    let options = data::small(3);
    let report = seed(&a.conn, &options, &mut |_| {}).await.unwrap();
    seed(&b.conn, &options, &mut |_| {}).await.unwrap();
    assert_eq!(report.users, 3);
    assert_eq!(report.posts, 12);
    assert_eq!(report.photo_tags, 18);
    let mut all = Vec::new();
    for db in [&a, &b] {
        let posts = post::Entity::find()
            .order_by_asc(post::Column::Id)
            .all(&db.conn)
            .await
            .unwrap();
        let links = photo_tag::Entity::find().count(&db.conn).await.unwrap();
        all.push((posts, links));
    }
    assert_eq!(all[0], all[1]);
}

#[tokio::test]
async fn seeding_refuses_a_database_with_data_and_writes_nothing() {
    for existing in ["user", "tag"] {
        let db = TestDb::new().await;
        match existing {
            "user" => drop(fixtures::user(&db.conn, "ada").await.unwrap()),
            _ => drop(fixtures::tag(&db.conn, "sea").await.unwrap()),
        }
        let result = seed(&db.conn, &data::small(2), &mut |_| {}).await;
        assert!(
            matches!(result, Err(SeedError::NotEmpty)),
            "{existing}: {result:?}"
        );
        let users = user::Entity::find().count(&db.conn).await.unwrap();
        let tags = tag::Entity::find().count(&db.conn).await.unwrap();
        assert_eq!(users + tags, 1, "{existing}: nothing added");
    }
}

#[tokio::test]
async fn demo_photos_show_generated_images_the_server_serves() {
    let app = folio_tests::TestApp::spawn().await;
    let media = api::media::Media::open(&api::config::MediaConfig {
        storage: api::config::StorageConfig {
            url: format!("file://{}", app.media.path().display()),
        },
        ..Default::default()
    })
    .unwrap();
    let images = api::seed::images::store(&media).await.unwrap();
    assert_eq!(images.len(), api::seed::images::DEMO_IMAGES);
    api::seed::seed_with_images(&app.db.conn, &data::small(2), &images, &mut |_| {})
        .await
        .unwrap();
    let photos = app
        .data(
            "{ photos(first: 20) { totalCount nodes { width height contentType url(size: THUMBNAIL) } } }",
            serde_json::json!({}),
        )
        .await;
    let nodes = photos["photos"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 6);
    for node in nodes {
        assert_eq!(node["contentType"], "image/jpeg");
        assert_eq!(
            (node["width"].as_u64(), node["height"].as_u64()),
            (Some(640), Some(427))
        );
        let response = app
            .client
            .get(app.url(node["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let thumbnail = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (320, 214));
    }
}
