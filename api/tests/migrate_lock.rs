//! Instances started together against an empty database migrate it once:
//! the built `folio` binary, several at a time, on the server the suite runs
//! on (`FOLIO_TEST_DATABASE_URL`; SQLite, one file with one writer, needs no
//! lock and is not tried).

use std::process::{Command, Stdio};

use folio_tests::TestDb;
use migration::MigratorTrait;

#[tokio::test]
async fn instances_started_together_migrate_once() {
    let on_a_server = std::env::var("FOLIO_TEST_DATABASE_URL")
        .is_ok_and(|url| !url.is_empty() && !url.starts_with("sqlite"));
    if !on_a_server {
        return;
    }
    let database = TestDb::empty().await;

    let scratch = tempfile::tempdir().unwrap();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_folio"))
                .args(["migrate", "up"])
                .current_dir(scratch.path())
                .env("DATABASE_URL", &database.url)
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

    let applied = migration::Migrator::get_applied_migrations(&database.conn)
        .await
        .unwrap()
        .len();
    drop(database);

    for outcome in &outcomes {
        assert!(
            outcome.status.success(),
            "an instance failed: {}",
            String::from_utf8_lossy(&outcome.stderr)
        );
    }
    assert_eq!(applied, migration::Migrator::migrations().len());
}
