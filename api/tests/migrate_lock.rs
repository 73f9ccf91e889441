//! Instances started together against an empty database migrate it once:
//! the built `folio` binary, several at a time, on the server the suite runs
//! on (`FOLIO_TEST_DATABASE_URL`; SQLite, one file with one writer, needs no
//! lock and is not tried).

#![allow(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first step that fails"
)]

use std::process::{Command, Stdio};

use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, DbBackend};

#[tokio::test]
async fn instances_started_together_migrate_once() {
    let Some(server) = std::env::var("FOLIO_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty() && !url.starts_with("sqlite"))
    else {
        return;
    };
    let name = format!("folio_lock_{}", std::process::id());
    let admin = Database::connect(&server).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));

    let scratch = tempfile::tempdir().unwrap();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_folio"))
                .args(["migrate", "up"])
                .current_dir(scratch.path())
                .env("DATABASE_URL", url.as_str())
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<_> = runs
        .into_iter()
        .map(|run| run.wait_with_output().unwrap())
        .collect();

    let db = Database::connect(url.as_str()).await.unwrap();
    let applied = migration::Migrator::get_applied_migrations(&db)
        .await
        .unwrap()
        .len();
    db.close().await.unwrap();
    let force = if admin.get_database_backend() == DbBackend::Postgres {
        " WITH (FORCE)"
    } else {
        ""
    };
    admin
        .execute_unprepared(&format!("DROP DATABASE {name}{force}"))
        .await
        .unwrap();

    for outcome in &outcomes {
        assert!(
            outcome.status.success(),
            "an instance failed: {}",
            String::from_utf8_lossy(&outcome.stderr)
        );
    }
    assert_eq!(applied, migration::Migrator::migrations().len());
}
