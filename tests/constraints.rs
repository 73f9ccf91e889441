//! Every constraint of the data model, enforced by the database itself.

use entity::prelude::*;
use folio_tests::{TestDb, fixtures};
use sea_orm::{DbErr, EntityTrait, ModelTrait, PaginatorTrait, SqlErr};

fn assert_unique_violation(result: Result<impl std::fmt::Debug, DbErr>) {
    match result {
        Err(err) => assert!(
            matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
            "expected a unique violation, got {err:?}"
        ),
        Ok(row) => panic!("expected a unique violation, the row was written: {row:?}"),
    }
}

#[tokio::test]
async fn duplicate_username_is_rejected() {
    let db = TestDb::new().await;
    fixtures::user_with_email(&db.conn, "ada", "ada@example.com")
        .await
        .unwrap();
    assert_unique_violation(fixtures::user_with_email(&db.conn, "ada", "other@example.com").await);
    assert_eq!(User::find().count(&db.conn).await.unwrap(), 1);
}

#[tokio::test]
async fn duplicate_email_is_rejected_whatever_its_case() {
    let db = TestDb::new().await;
    fixtures::user_with_email(&db.conn, "ada", "Ada@Example.com")
        .await
        .unwrap();
    assert_unique_violation(fixtures::user_with_email(&db.conn, "ada2", "ada@example.com").await);
    assert_unique_violation(fixtures::user_with_email(&db.conn, "ada3", "ADA@EXAMPLE.COM").await);
    fixtures::user_with_email(&db.conn, "bob", "bob@example.com")
        .await
        .unwrap();
    assert_eq!(User::find().count(&db.conn).await.unwrap(), 2);
}

#[tokio::test]
async fn duplicate_tag_name_is_rejected() {
    let db = TestDb::new().await;
    fixtures::tag(&db.conn, "sea").await.unwrap();
    assert_unique_violation(fixtures::tag(&db.conn, "sea").await);
    assert_eq!(Tag::find().count(&db.conn).await.unwrap(), 1);
}

#[tokio::test]
async fn a_user_has_at_most_one_profile() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    fixtures::profile(&db.conn, &ada).await.unwrap();
    assert_unique_violation(fixtures::profile(&db.conn, &ada).await);
}

#[tokio::test]
async fn a_photo_cannot_carry_the_same_tag_twice() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    let photo = fixtures::photo(&db.conn, &ada, "a.jpg").await.unwrap();
    let sea = fixtures::tag(&db.conn, "sea").await.unwrap();
    fixtures::tag_photo(&db.conn, &photo, &sea).await.unwrap();
    assert_unique_violation(fixtures::tag_photo(&db.conn, &photo, &sea).await);
    assert_eq!(PhotoTag::find().count(&db.conn).await.unwrap(), 1);
}

#[tokio::test]
async fn rows_must_point_at_existing_parents() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    let mut ghost = ada.clone();
    ghost.id += 1000;
    let result = fixtures::post(&db.conn, &ghost, "orphan").await;
    let err = result.expect_err("a post of a missing user was written");
    assert!(
        matches!(
            err.sql_err(),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        ),
        "expected a foreign key violation, got {err:?}"
    );
}

#[tokio::test]
async fn deleting_a_user_removes_what_it_owns_and_nothing_else() {
    let db = TestDb::new().await;
    let ada = fixtures::user(&db.conn, "ada").await.unwrap();
    let bob = fixtures::user(&db.conn, "bob").await.unwrap();
    let sea = fixtures::tag(&db.conn, "sea").await.unwrap();
    for user in [&ada, &bob] {
        fixtures::profile(&db.conn, user).await.unwrap();
        fixtures::post(&db.conn, user, "hello").await.unwrap();
        let photo = fixtures::photo(&db.conn, user, "a.jpg").await.unwrap();
        fixtures::tag_photo(&db.conn, &photo, &sea).await.unwrap();
    }

    ada.delete(&db.conn).await.unwrap();

    let c = &db.conn;
    assert_eq!(User::find().count(c).await.unwrap(), 1);
    assert_eq!(Profile::find().count(c).await.unwrap(), 1);
    assert_eq!(Post::find().count(c).await.unwrap(), 1);
    assert_eq!(Photo::find().count(c).await.unwrap(), 1);
    assert_eq!(PhotoTag::find().count(c).await.unwrap(), 1);
    assert_eq!(
        Tag::find().count(c).await.unwrap(),
        1,
        "tags are shared, not owned"
    );
    let left = Post::find().one(c).await.unwrap().unwrap();
    assert_eq!(left.author_id, bob.id);
    let left = Photo::find().one(c).await.unwrap().unwrap();
    assert_eq!(left.owner_id, bob.id);
}
