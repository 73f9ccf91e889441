//! Column and index definitions shared by the migrations, where the three
//! backends need different SQL for the same meaning.
//!
//! Migrations that have already run call these, so they never change what
//! they produce (`tests/ddl_snapshots.rs` holds them to it), and they read
//! nothing that may change: a size is the caller's argument, written in the
//! migration, never read from `entity::limits`. A definition that must
//! change is a new function for new migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A non-null UTC timestamp with microsecond precision on every backend.
///
/// PostgreSQL gets `timestamptz` and SQLite a text timestamp; MySQL's
/// `TIMESTAMP` would keep whole seconds only and end in 2038, so it gets
/// `DATETIME(6)`, which sea-orm reads and writes as UTC.
pub fn timestamp(manager: &SchemaManager, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match manager.get_database_backend() {
        DbBackend::MySql => column.custom(Alias::new("DATETIME(6)")),
        _ => column.timestamp_with_time_zone(),
    };
    column.not_null().take()
}

/// The e-mail column of `len` characters: unique compared case-insensitively,
/// enforced by the database itself so that no race between two registrations
/// can slip past.
///
/// SQLite compares the column with `NOCASE`; MySQL/MariaDB compare strings
/// with a case-insensitive collation; PostgreSQL gets a unique index on
/// `LOWER(email)` from [`create_email_unique_index`].
pub fn email(manager: &SchemaManager, name: impl IntoIden, len: u32) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    column.string_len(len).not_null();
    match manager.get_database_backend() {
        DbBackend::Sqlite => column.extra("COLLATE NOCASE"),
        DbBackend::MySql => column.extra("COLLATE utf8mb4_unicode_ci"),
        _ => &mut column,
    };
    column.take()
}

/// Creates the unique index `index` on `table.column`, compared
/// case-insensitively (see [`email`]).
pub async fn create_email_unique_index(
    manager: &SchemaManager<'_>,
    index: &str,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Postgres {
        // sea-query builds no expression index; this is the one statement it cannot say.
        let sql = format!(r#"CREATE UNIQUE INDEX "{index}" ON "{table}" (LOWER("{column}"))"#);
        manager.get_connection().execute_unprepared(&sql).await?;
        return Ok(());
    }
    manager
        .create_index(
            Index::create()
                .name(index)
                .table(Alias::new(table))
                .col(Alias::new(column))
                .unique()
                .to_owned(),
        )
        .await
}
