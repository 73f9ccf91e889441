//! The migrations: up from empty, down to zero, up again, on the test's backend;
//! and what `folio migrate` reports.

use api::cli::{MigrateAction, migrate};
use api::config::DatabaseConfig;
use folio_tests::TestDb;
use migration::{Migrator, MigratorTrait};

const TABLES: [&str; 10] = [
    "comments",
    "events",
    "events_head",
    "image_locks",
    "photo_tags",
    "photos",
    "posts",
    "profiles",
    "tags",
    "users",
];

fn with_bookkeeping(tables: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
    all.push("seaql_migrations".to_owned());
    all.sort();
    all
}

/// A database with no tables, on a pool opened as `folio migrate` opens its own.
async fn empty_database() -> TestDb {
    TestDb::empty_with(DatabaseConfig::default().for_administration()).await
}

async fn status_report(db: &TestDb, action: MigrateAction) -> String {
    let mut out = Vec::new();
    migrate(&db.conn, action, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn migrations_go_up_from_empty_down_to_zero_and_up_again() {
    let db = empty_database().await;
    assert!(db.table_names().await.is_empty());

    Migrator::up(&db.conn, None).await.unwrap();
    assert_eq!(db.table_names().await, with_bookkeeping(&TABLES));

    Migrator::down(&db.conn, None).await.unwrap();
    assert_eq!(
        db.table_names().await,
        with_bookkeeping(&[]),
        "down to zero leaves only the migration bookkeeping"
    );

    Migrator::up(&db.conn, None).await.unwrap();
    assert_eq!(db.table_names().await, with_bookkeeping(&TABLES));
    let pending = Migrator::get_pending_migrations(&db.conn).await.unwrap();
    assert!(pending.is_empty());
}

#[tokio::test]
async fn each_down_undoes_exactly_its_up() {
    let db = empty_database().await;
    let versions = Migrator::migrations().len();
    for applied in 1..=versions {
        Migrator::up(&db.conn, Some(1)).await.unwrap();
        let after_up = db.table_names().await;
        Migrator::down(&db.conn, Some(1)).await.unwrap();
        Migrator::up(&db.conn, Some(1)).await.unwrap();
        assert_eq!(db.table_names().await, after_up, "version {applied} redone");
    }
    for _ in 0..versions {
        Migrator::down(&db.conn, Some(1)).await.unwrap();
    }
    assert_eq!(db.table_names().await, with_bookkeeping(&[]));
}

#[tokio::test]
async fn migrate_status_reports_what_is_applied() {
    let db = empty_database().await;
    let report = status_report(&db, MigrateAction::Up { num: Some(2) }).await;
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), Migrator::migrations().len());
    assert_eq!(lines[0], "Applied  m20261123_000001_create_users");
    assert_eq!(lines[1], "Applied  m20261123_000002_create_profiles");
    assert!(
        lines[2..].iter().all(|l| l.starts_with("Pending  ")),
        "{report}"
    );

    let report = status_report(&db, MigrateAction::Status).await;
    assert_eq!(report.matches("Applied").count(), 2);

    let report = status_report(&db, MigrateAction::Down { num: 1 }).await;
    assert_eq!(report.matches("Applied").count(), 1);
    assert_eq!(db.table_names().await, with_bookkeeping(&["users"]));
}

#[tokio::test]
async fn migrate_fresh_refresh_and_reset_do_what_they_say() {
    let db = empty_database().await;
    status_report(&db, MigrateAction::Up { num: None }).await;
    let ada = folio_tests::fixtures::user(&db.conn, "ada").await.unwrap();

    let report = status_report(&db, MigrateAction::Refresh).await;
    assert_eq!(
        report.matches("Applied").count(),
        Migrator::migrations().len()
    );
    let users = <entity::prelude::User as sea_orm::EntityTrait>::find_by_id(ada.id)
        .one(&db.conn)
        .await
        .unwrap();
    assert!(users.is_none(), "refresh starts from an empty schema");

    folio_tests::fixtures::user(&db.conn, "bob").await.unwrap();
    status_report(&db, MigrateAction::Fresh).await;
    assert_eq!(db.table_names().await, with_bookkeeping(&TABLES));

    let report = status_report(&db, MigrateAction::Reset).await;
    assert_eq!(
        report.matches("Pending").count(),
        Migrator::migrations().len()
    );
    assert_eq!(db.table_names().await, with_bookkeeping(&[]));
}

#[tokio::test]
async fn status_names_migrations_the_database_has_and_this_binary_does_not() {
    let db = TestDb::new().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &db.conn,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)",
    )
    .await
    .unwrap();
    let err = Migrator::get_migration_with_status(&db.conn)
        .await
        .err()
        .expect("an unknown applied migration is reported");
    assert!(err.to_string().contains("m20991231_000001_from_the_future"));
}

/// Applies the versions up to and including `name`.
async fn up_to(db: &TestDb, name: &str) {
    let migrations = Migrator::migrations();
    let through = migrations
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no version {name}"));
    Migrator::up(&db.conn, Some(through as u32 + 1))
        .await
        .unwrap();
}

/// Inserts a user as the tables were before version 14 (no `email_key`).
async fn insert_old_user(db: &TestDb, username: &str, email: &str) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Query};
    let now = chrono::Utc::now();
    let insert = Query::insert()
        .into_table(Alias::new("users"))
        .columns(
            [
                "username",
                "email",
                "password_hash",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            username.into(),
            email.into(),
            "x".into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.conn.execute(&insert).await.map(drop)
}

/// Version 14 gives the users who exist their e-mail keys, so that they
/// sign in by any case of their address; two whose addresses differ only by
/// case stop it, named, wherever the old rule had let both in.
#[tokio::test]
async fn version_14_keys_the_e_mails_there_are_and_refuses_twins() {
    use entity::user;
    use sea_orm::{EntityTrait, QueryOrder};
    const V13: &str = "m20261124_000012_photo_tags_photo_created_at";
    const V14: &str = "m20261207_000014_login_keys";

    let db = empty_database().await;
    up_to(&db, V13).await;
    insert_old_user(&db, "ada", " Ada@Example.com")
        .await
        .unwrap();
    insert_old_user(&db, "erik", "Ærik@Example.com")
        .await
        .unwrap();
    up_to(&db, V14).await;
    let keys: Vec<(String, String)> = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.username, u.email_key))
        .collect();
    assert_eq!(
        keys,
        [
            ("ada".to_owned(), "ada@example.com".to_owned()),
            ("erik".to_owned(), "ærik@example.com".to_owned()),
        ]
    );

    let db = empty_database().await;
    up_to(&db, V13).await;
    insert_old_user(&db, "erik", "Ærik@Example.com")
        .await
        .unwrap();
    match insert_old_user(&db, "erik_two", "ærik@example.com").await {
        // The old rule folded only ASCII letters (SQLite): both are there,
        // and version 14 will not guess which keeps the address.
        Ok(()) => {
            let err = Migrator::up(&db.conn, None)
                .await
                .expect_err("version 14 went up over two addresses with one key")
                .to_string();
            assert!(err.contains("[1, 2]"), "{err}");
            assert!(err.contains("differ only in letter case"), "{err}");
            let pending = Migrator::get_pending_migrations(&db.conn).await.unwrap();
            assert_eq!(
                pending.first().map(|m| m.name().to_owned()).as_deref(),
                Some(V14)
            );
            // Once the operator has changed one of them, it goes up.
            use sea_orm::ConnectionTrait;
            db.conn
                .execute_unprepared("UPDATE users SET email = 'erik2@example.com' WHERE id = 2")
                .await
                .unwrap();
            Migrator::up(&db.conn, None).await.unwrap();
        }
        // The old rule already refused the twin (a unique violation).
        Err(err) => assert!(
            matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ),
            "{err}"
        ),
    }
}
