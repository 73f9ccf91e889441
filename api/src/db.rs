//! Opening the connection pool. The one place that knows how Folio talks to a
//! database, and what each connection is set up with before it serves a
//! request: on SQLite, the write-ahead log and a busy timeout. It runs no
//! queries of its own.

use std::time::Duration;

use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;

/// How long a SQLite write waits for another connection's write lock before
/// it fails with `SQLITE_BUSY`.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a pool on the configured database.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.pool_size)
        .connect_timeout(Duration::from_secs(10))
        // Statement logging belongs to `RUST_LOG=sqlx=debug`, not to every run.
        .sqlx_logging(false);
    options.map_sqlx_sqlite_opts(|sqlite| {
        // With the write-ahead log, readers and the one writer do not block
        // each other, and writers queue for the lock for the busy timeout
        // rather than failing at once.
        sqlite
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
    });
    Database::connect(options).await
}

/// Refuses a database that has migrations this binary does not know: it was
/// migrated by a newer Folio, and this one would misread it.
pub async fn ensure_known_schema(db: &DatabaseConnection) -> anyhow::Result<()> {
    use migration::{Migrator, MigratorTrait};
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let applied = Migrator::get_migration_models(db).await?;
    let unknown: Vec<&str> = applied
        .iter()
        .map(|m| m.version.as_str())
        .filter(|version| !known.iter().any(|k| k == version))
        .collect();
    if !unknown.is_empty() {
        anyhow::bail!(
            "the database has migrations this folio does not know ({}): it was migrated by a newer \
             version of Folio. Run that version, or point DATABASE_URL at another database",
            unknown.join(", ")
        );
    }
    Ok(())
}
