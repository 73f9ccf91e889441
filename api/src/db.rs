//! Opening the connection pool. The one place that knows how Folio talks to a
//! database; it runs no queries of its own.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;

/// Opens a pool on the configured database.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.pool_size)
        .connect_timeout(Duration::from_secs(10))
        // Statement logging belongs to `RUST_LOG=sqlx=debug`, not to every run.
        .sqlx_logging(false);
    Database::connect(options).await
}
