//! A past migration never changes: the statements each migration's `up` and
//! `down` run, on SQLite, PostgreSQL and MySQL/MariaDB, are compared with the
//! snapshots committed in `tests/ddl/`, one file per migration and backend.
//!
//! The statements are recorded by sea-orm's mock connection, so no database
//! server is needed; that they run on real databases is what `folio-tests`
//! checks (`tests/migrations.rs`: up from empty, down to zero, up again).
//! A new migration has no snapshot yet: `FOLIO_BLESS_DDL=1` writes the
//! missing ones. It never rewrites one that exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{DbBackend, DbErr, MockDatabase, MockExecResult};

/// The backends Folio runs on, with the name their snapshot files carry.
const BACKENDS: [(DbBackend, &str); 3] = [
    (DbBackend::Sqlite, "sqlite"),
    (DbBackend::Postgres, "postgres"),
    (DbBackend::MySql, "mysql"),
];

/// Set to `1` to write the snapshots of migrations that have none.
const BLESS: &str = "FOLIO_BLESS_DDL";

/// What every failure ends with.
const RULE: &str = "a past migration never changes: write a new migration instead";

/// Where the snapshots are committed: `migration/tests/ddl/`.
fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ddl")
}

/// Which of `up` and `down` to record.
#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

/// The statements `migration` runs in `direction` on `backend`, each ended by `;`.
async fn statements(
    migration: &dyn migration::MigrationTrait,
    backend: DbBackend,
    direction: Direction,
) -> Result<String, DbErr> {
    // The mock answers each statement from a queue of results; no migration
    // runs anywhere near this many. A query a migration makes (to fill a new
    // column from the rows there are) finds no rows.
    let no_rows: Vec<BTreeMap<&str, sea_orm::Value>> = Vec::new();
    let conn = MockDatabase::new(backend)
        .append_exec_results(std::iter::repeat_n(MockExecResult::default(), 1_000))
        .append_query_results(std::iter::repeat_n(no_rows, 100))
        .into_connection();
    let manager = SchemaManager::new(&conn);
    match direction {
        Direction::Up => migration.up(&manager).await?,
        Direction::Down => migration.down(&manager).await?,
    }
    drop(manager);
    let mut sql = String::new();
    for transaction in conn.into_transaction_log() {
        for statement in transaction.statements() {
            sql.push_str(&statement.to_string());
            sql.push_str(";\n");
        }
    }
    Ok(sql)
}

/// The snapshot of `migration` on `backend`: its `up`, then its `down`.
async fn snapshot(
    migration: &dyn migration::MigrationTrait,
    backend: DbBackend,
) -> Result<String, DbErr> {
    Ok(format!(
        "-- up\n{}-- down\n{}",
        statements(migration, backend, Direction::Up).await?,
        statements(migration, backend, Direction::Down).await?,
    ))
}

/// The first line where `expected` and `actual` part, for the failure message.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for number in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(e), Some(a)) if e == a => continue,
            (None, None) => break,
            (e, a) => {
                return format!(
                    "line {number}:\n  snapshot: {}\n  now:      {}",
                    e.unwrap_or("(end)"),
                    a.unwrap_or("(end)")
                );
            }
        }
    }
    "only in line endings".to_owned()
}

#[tokio::test]
async fn a_past_migration_never_changes() {
    let bless = std::env::var(BLESS).is_ok_and(|v| v == "1");
    let dir = snapshot_dir();
    let migrations = Migrator::migrations();
    let mut failures = Vec::new();
    let mut known_files = Vec::new();

    for migration in &migrations {
        let name = migration.name();
        for (backend, backend_name) in BACKENDS {
            let file = format!("{name}.{backend_name}.sql");
            let path = dir.join(&file);
            known_files.push(file.clone());
            let actual = snapshot(migration.as_ref(), backend)
                .await
                .unwrap_or_else(|err| panic!("{name} on {backend_name}: {err}"));
            match std::fs::read_to_string(&path) {
                Ok(expected) if expected == actual => {}
                Ok(expected) => failures.push(format!(
                    "{name} changed its DDL on {backend_name} (tests/ddl/{file}), {}\n\
                     Changed, it would not be what already ran: {RULE}. (Only a \
                     migration that has never run anywhere may change: delete its \
                     snapshots and write them again with {BLESS}=1.)",
                    first_difference(&expected, &actual)
                )),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound && bless => {
                    std::fs::create_dir_all(&dir).expect("the snapshot directory can be created");
                    std::fs::write(&path, &actual).expect("the snapshot can be written");
                    eprintln!("wrote tests/ddl/{file}");
                }
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => failures.push(format!(
                    "{name} has no DDL snapshot on {backend_name} (tests/ddl/{file}). \
                     For a new migration, write its snapshots with \
                     `{BLESS}=1 cargo test -p migration --test ddl_snapshots` and commit them; \
                     from then on {RULE}."
                )),
                Err(err) => panic!("reading tests/ddl/{file}: {err}"),
            }
        }
    }

    let entries = std::fs::read_dir(&dir).expect("tests/ddl can be read");
    for entry in entries {
        let file = entry.expect("tests/ddl can be listed").file_name();
        let file = file.to_string_lossy();
        if !known_files.iter().any(|known| *known == file) {
            failures.push(format!(
                "tests/ddl/{file} is the snapshot of no migration in the Migrator: \
                 was a past migration removed or renamed? Restore it ({RULE}); the \
                 snapshot of a migration that never ran anywhere may be deleted."
            ));
        }
    }

    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}
