//! Every relation of the data model, traversed from both ends through sea-orm.

use entity::prelude::*;
use entity::{photo, post, tag};
use folio_tests::{TestDb, fixtures};
use sea_orm::{EntityTrait, LoaderTrait, ModelTrait, QueryOrder};

#[tokio::test]
async fn one_to_one_user_profile_is_reachable_from_both_ends() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    let bob = fixtures::user(&db.conn, "bob").await.unwrap();
    let profile = fixtures::profile(&db.conn, &ada).await.unwrap();

    let found = ada.find_related(Profile).one(&db.conn).await.unwrap();
    assert_eq!(found.as_ref().map(|p| p.id), Some(profile.id));
    assert!(
        bob.find_related(Profile)
            .one(&db.conn)
            .await
            .unwrap()
            .is_none()
    );

    let owner = profile.find_related(User).one(&db.conn).await.unwrap();
    assert_eq!(owner.map(|u| u.username), Some("ada".to_owned()));

    let pairs = User::find()
        .find_also_related(Profile)
        .order_by_asc(entity::user::Column::Username)
        .all(&db.conn)
        .await
        .unwrap();
    let shape: Vec<(String, bool)> = pairs
        .into_iter()
        .map(|(u, p)| (u.username, p.is_some()))
        .collect();
    assert_eq!(shape, [("ada".to_owned(), true), ("bob".to_owned(), false)]);
}

#[tokio::test]
async fn one_to_many_posts_and_photos_are_reachable_from_both_ends() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    let bob = fixtures::user(&db.conn, "bob").await.unwrap();
    for title in ["first", "second"] {
        fixtures::post(&db.conn, &ada, title).await.unwrap();
    }
    fixtures::post(&db.conn, &bob, "bob's").await.unwrap();
    fixtures::photo(&db.conn, &bob, "bob.jpg").await.unwrap();

    let titles: Vec<String> = ada
        .find_related(Post)
        .order_by_asc(post::Column::Id)
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(titles, ["first", "second"]);
    assert!(
        ada.find_related(Photo)
            .all(&db.conn)
            .await
            .unwrap()
            .is_empty()
    );
    let photos = bob.find_related(Photo).all(&db.conn).await.unwrap();
    assert_eq!(photos.len(), 1);

    let owner = photos[0].find_related(User).one(&db.conn).await.unwrap();
    assert_eq!(owner.map(|u| u.id), Some(bob.id));

    let with_authors = Post::find()
        .find_also_related(User)
        .order_by_asc(post::Column::Id)
        .all(&db.conn)
        .await
        .unwrap();
    let authors: Vec<(String, String)> = with_authors
        .into_iter()
        .map(|(p, u)| (p.title, u.expect("every post has an author").username))
        .collect();
    assert_eq!(
        authors,
        [
            ("first".to_owned(), "ada".to_owned()),
            ("second".to_owned(), "ada".to_owned()),
            ("bob's".to_owned(), "bob".to_owned()),
        ]
    );

    // The batched loader: every user's posts in one statement.
    let users = User::find()
        .order_by_asc(entity::user::Column::Id)
        .all(&db.conn)
        .await
        .unwrap();
    db.reset_statement_count();
    let posts = users.load_many(Post, &db.conn).await.unwrap();
    assert_eq!(db.statement_count(), 1);
    let counts: Vec<usize> = posts.iter().map(Vec::len).collect();
    assert_eq!(counts, [2, 1]);
}

#[tokio::test]
async fn many_to_many_photos_and_tags_are_reachable_from_both_ends() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    let beach = fixtures::photo(&db.conn, &ada, "beach.jpg").await.unwrap();
    let city = fixtures::photo(&db.conn, &ada, "city.jpg").await.unwrap();
    let bare = fixtures::photo(&db.conn, &ada, "bare.jpg").await.unwrap();
    let sea = fixtures::tag(&db.conn, "sea").await.unwrap();
    let summer = fixtures::tag(&db.conn, "summer").await.unwrap();
    let night = fixtures::tag(&db.conn, "night").await.unwrap();
    fixtures::tag_photo(&db.conn, &beach, &sea).await.unwrap();
    fixtures::tag_photo(&db.conn, &beach, &summer)
        .await
        .unwrap();
    fixtures::tag_photo(&db.conn, &city, &summer).await.unwrap();

    let names = |tags: Vec<tag::Model>| -> Vec<String> {
        let mut names: Vec<String> = tags.into_iter().map(|t| t.name).collect();
        names.sort();
        names
    };
    let beach_tags = beach.find_related(Tag).all(&db.conn).await.unwrap();
    assert_eq!(names(beach_tags), ["sea", "summer"]);
    assert!(
        bare.find_related(Tag)
            .all(&db.conn)
            .await
            .unwrap()
            .is_empty()
    );

    let summer_photos: Vec<String> = summer
        .find_related(Photo)
        .order_by_asc(photo::Column::Id)
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.filename)
        .collect();
    assert_eq!(summer_photos, ["beach.jpg", "city.jpg"]);
    assert!(
        night
            .find_related(Photo)
            .all(&db.conn)
            .await
            .unwrap()
            .is_empty()
    );

    // The loader helpers: every photo's tags, and every tag's photos, through the join table.
    let photos = vec![beach.clone(), city.clone(), bare.clone()];
    let tags_per_photo = photos
        .load_many_to_many(Tag, PhotoTag, &db.conn)
        .await
        .unwrap();
    let tags_per_photo: Vec<Vec<String>> = tags_per_photo.into_iter().map(names).collect();
    assert_eq!(
        tags_per_photo,
        [vec!["sea", "summer"], vec!["summer"], vec![]]
    );
    let tags = vec![sea, summer, night];
    let photos_per_tag = tags
        .load_many_to_many(Photo, PhotoTag, &db.conn)
        .await
        .unwrap();
    let counts: Vec<usize> = photos_per_tag.iter().map(Vec::len).collect();
    assert_eq!(counts, [1, 2, 0]);
}

#[tokio::test]
async fn timestamps_are_kept_by_the_entities() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    assert_eq!(ada.created_at, ada.updated_at);

    let stored = User::find_by_id(ada.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.created_at, ada.created_at, "read back as written");

    let mut changed: entity::user::ActiveModel = stored.into();
    changed.username = sea_orm::Set("ada_l".to_owned());
    let changed = sea_orm::ActiveModelTrait::update(changed, &db.conn)
        .await
        .unwrap();
    assert_eq!(changed.created_at, ada.created_at);
    assert!(changed.updated_at >= ada.updated_at);
}
