//! Opening the connection pool. The one place that knows how Folio talks to a
//! database, and what each connection is set up with before it serves a
//! request: the statement timeout on every backend, and on SQLite the
//! write-ahead log. It runs no queries of its own.
//!
//! How each backend bounds a statement by `--statement-timeout-ms`:
//! - PostgreSQL: the `statement_timeout` parameter, sent when the connection
//!   starts (no extra round trip). A cancelled statement fails with SQLSTATE
//!   `57014`; the connection stays usable.
//! - MariaDB: `SET SESSION max_statement_time` on each new connection (error
//!   1969 when it fires). MySQL has no such variable; there Folio sets
//!   `max_execution_time` instead, which MySQL applies to read-only `SELECT`s
//!   only (error 3024), so a slow write on MySQL is not bounded.
//! - SQLite has no statement timeout of its own. Each time the pool hands out
//!   a connection, a progress handler is installed on it that interrupts the
//!   running statement once the timeout has passed since the hand-out
//!   (`SQLITE_INTERRUPT`). A connection is handed out for one statement, or
//!   for a whole transaction, which is then bounded as a whole. The busy
//!   timeout, how long a write waits for another connection's write lock, is
//!   the same duration (`SQLITE_BUSY` when it runs out).
//!
//! [`crate::error`] turns each of these errors into the client's `TIMEOUT`.
//!
//! When the database cannot be reached, a request waits for a connection at
//! most `--acquire-timeout-secs` (the pool's acquire timeout, which also
//! bounds opening a new connection) and then fails; [`crate::error`] turns that
//! into `SERVICE_UNAVAILABLE`. A pooled connection is pinged (one round trip)
//! as it comes back to the pool (sqlx always does this) and, if it has sat
//! idle for [`PING_IF_IDLE_FOR`] or more, again before it is handed out, so
//! the connections a restarted database closed are dropped and replaced by
//! new ones: Folio serves again once the database is back, without a
//! restart of its own. A connection that came back within that time was
//! just found alive, and goes straight to its next statement: under load
//! that saves a round trip per statement (pinging every hand-out was a
//! twentieth of the server's CPU on the benchmark's queries). Only a
//! database that restarts faster than [`PING_IF_IDLE_FOR`] could hand a
//! request a closed connection; that request is answered
//! `SERVICE_UNAVAILABLE` and the connection is dropped.

use std::time::{Duration, Instant};

use sea_orm::sqlx::mysql::MySqlConnection;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode};
use sea_orm::sqlx::{self, Executor};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;

/// How many SQLite virtual-machine instructions run between two looks at the
/// clock: a look costs a few nanoseconds, a thousand instructions a few
/// microseconds, so a statement overruns its timeout by very little.
const SQLITE_INSTRUCTIONS_PER_CHECK: i32 = 1000;

/// SQLite's busy timeout when statements have no limit: the longest it takes
/// (`i32::MAX` milliseconds, about 24 days).
const SQLITE_LONGEST_BUSY_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// How long a pooled connection may sit idle and still be handed out
/// without a ping: far shorter than any database takes to restart, far
/// longer than a connection waits between statements under load.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(100);

/// MySQL's (not MariaDB's) error for a system variable it does not have.
const MYSQL_UNKNOWN_SYSTEM_VARIABLE: u16 = 1193;

/// How long a request waits for a connection of `db`'s pool (the pool's
/// acquire timeout, as [`connect`] set it).
pub fn acquire_timeout(db: &DatabaseConnection) -> Duration {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => db
            .get_postgres_connection_pool()
            .options()
            .get_acquire_timeout(),
        sea_orm::DbBackend::MySql => db
            .get_mysql_connection_pool()
            .options()
            .get_acquire_timeout(),
        _ => db
            .get_sqlite_connection_pool()
            .options()
            .get_acquire_timeout(),
    }
}

/// Opens a pool on the configured database, each connection set up as the
/// module's documentation describes.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let timeout = config.statement_timeout();
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.pool_size())
        // sea-orm hands both `connect_timeout` and this to sqlx's one acquire
        // timeout; only this is set, so that it is the bound.
        .acquire_timeout(config.acquire_timeout())
        // Recovery depends on it: a connection the database closed (it
        // restarted) fails the ping and is replaced rather than handed to a
        // request. One just returned (and pinged on its return) is not pinged
        // twice.
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        // Statement logging belongs to `RUST_LOG=sqlx=debug`, not to every run.
        .sqlx_logging(false);
    if let Some(timeout) = timeout {
        // sea-orm sends it as PostgreSQL's `statement_timeout` startup parameter.
        options.statement_timeout(timeout);
        options.map_sqlx_mysql_pool_opts(move |pool| {
            pool.after_connect(move |conn, _| Box::pin(limit_mysql_statements(conn, timeout)))
        });
        options.map_sqlx_sqlite_pool_opts(move |pool| {
            pool.after_connect(move |conn, _| Box::pin(interrupt_sqlite_after(conn, timeout)))
        });
        // A pooled connection gets a fresh deadline each time it is handed out;
        // `after_connect` gives one to a connection opened to be handed out.
        options.map_sqlx_sqlite_before_acquire(move |conn, _| {
            Box::pin(async move {
                interrupt_sqlite_after(conn, timeout).await?;
                Ok(true)
            })
        });
    }
    options.map_sqlx_sqlite_opts(move |sqlite| {
        // With the write-ahead log, readers and the one writer do not block
        // each other, and writers queue for the lock for the busy timeout
        // rather than failing at once.
        sqlite
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(timeout.unwrap_or(SQLITE_LONGEST_BUSY_TIMEOUT))
    });
    Database::connect(options).await
}

/// Sets the session's statement time limit on a new MariaDB (or MySQL) connection.
async fn limit_mysql_statements(
    conn: &mut MySqlConnection,
    timeout: Duration,
) -> Result<(), sqlx::Error> {
    // MariaDB takes seconds, to the microsecond.
    let mariadb = format!(
        "SET SESSION max_statement_time = {}.{:06}",
        timeout.as_secs(),
        timeout.subsec_micros()
    );
    match conn.execute(sqlx::AssertSqlSafe(mariadb)).await {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(err))
            if err
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|err| err.number() == MYSQL_UNKNOWN_SYSTEM_VARIABLE) =>
        {
            // MySQL takes milliseconds, and bounds read-only SELECTs only.
            let mysql = format!(
                "SET SESSION max_execution_time = {}",
                timeout.as_millis().max(1)
            );
            conn.execute(sqlx::AssertSqlSafe(mysql)).await.map(|_| ())
        }
        Err(err) => Err(err),
    }
}

/// Makes SQLite interrupt whatever `conn` runs once `timeout` has passed from now.
async fn interrupt_sqlite_after(
    conn: &mut SqliteConnection,
    timeout: Duration,
) -> Result<(), sqlx::Error> {
    let deadline = Instant::now() + timeout;
    // Replaces the handler of the connection's previous hand-out.
    conn.lock_handle()
        .await?
        .set_progress_handler(SQLITE_INSTRUCTIONS_PER_CHECK, move || {
            Instant::now() < deadline
        });
    Ok(())
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

/// The name of the lock that migrating holds: on PostgreSQL an advisory lock
/// key (the text's hash), on MySQL/MariaDB the `GET_LOCK` name.
const MIGRATION_LOCK: &str = "folio_migrations";

/// Takes the migration lock on `db`'s connection, waiting while another
/// process holds it, so that instances started together against an empty
/// database migrate it once: the first applies the migrations, the others
/// then find nothing pending. The lock belongs to the session, so it ends
/// with the connection even if the process dies. `db` must be a pool of one
/// connection (the administration pool), so that the lock and the
/// migrations share a session. SQLite needs none: one file, one writer.
pub async fn lock_migrations(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration_lock(
        db,
        "SELECT pg_advisory_lock(hashtext($1))",
        // Waits up to ten minutes: a migration may take that long on a big table.
        "SELECT GET_LOCK(?, 600)",
    )
    .await
}

/// Gives back the lock [`lock_migrations`] took.
pub async fn unlock_migrations(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration_lock(
        db,
        "SELECT pg_advisory_unlock(hashtext($1))",
        "SELECT RELEASE_LOCK(?)",
    )
    .await
}

/// Runs the PostgreSQL or the MySQL statement on [`MIGRATION_LOCK`],
/// whichever `db` speaks; nothing on SQLite.
async fn migration_lock(db: &DatabaseConnection, postgres: &str, mysql: &str) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => postgres,
        DbBackend::MySql => mysql,
        _ => return Ok(()),
    };
    let statement = Statement::from_sql_and_values(backend, sql, [MIGRATION_LOCK.into()]);
    db.query_one_raw(statement).await?;
    Ok(())
}
