//! Version 14: usernames and e-mails compare the same way on every backend.
//!
//! Before, each backend compared them its own way: MySQL/MariaDB's
//! accent-insensitive collations let `victìm01` sign in as `victim01`, and
//! SQLite's `NOCASE` and `LOWER` fold ASCII letters only, so `Ærik@…` could
//! not sign in there and `ærik@…` registered as a second account. Now:
//!
//! - `users.username` is compared byte for byte (MySQL/MariaDB get
//!   `utf8mb4_bin`; SQLite and PostgreSQL already compare so);
//! - `users.email_key` holds the e-mail's one comparable form, made by Folio
//!   rather than by the database (trimmed, lowercased by Unicode's rules:
//!   [`email_key`]), compared byte for byte, and unique. It replaces the
//!   backend-specific case-insensitive unique index on `users.email`, which
//!   is now only the address as the user typed it.
//!
//! The keys of the users that exist are worked out first, reading a page
//! at a time, and then written. Two existing users whose e-mails have the same key (possible only on SQLite,
//! `Ærik@…` and `ærik@…`) stop the migration with their ids: which of the
//! two keeps the address is the operator's call.

use sea_orm_migration::prelude::*;
use std::collections::HashMap;

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The unique index on `users.email_key`.
const KEY_INDEX: &str = "users_email_fold_key";

/// The index this version replaces (version 1's, on `users.email`).
const OLD_INDEX: &str = "users_email_key";

/// Users read per page while the keys are filled.
const PAGE: u64 = 1_000;

/// The comparable form of an e-mail address, as this version defines it:
/// trimmed and lowercased by Unicode's rules. Folio's own copy is
/// `entity::user::email_key`; this one is the migration's and never changes.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Worked out and checked before anything changes: SQLite and MySQL
        // do not undo a half-run migration's DDL.
        let keys = existing_keys(manager).await?;
        let backend = manager.get_database_backend();
        if backend == DbBackend::MySql {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE `users` MODIFY `username` varchar(32) NOT NULL COLLATE utf8mb4_bin",
                )
                .await?;
        }
        // SQLite adds a NOT NULL column only with a default; every row gets
        // its key below, before the unique index exists.
        let mut key = ColumnDef::new(Users::EmailKey);
        key.string_len(512).not_null().default("");
        if backend == DbBackend::MySql {
            key.extra("COLLATE utf8mb4_bin");
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(key)
                    .to_owned(),
            )
            .await?;
        for (id, key) in keys {
            let update = Query::update()
                .table(Users::Table)
                .value(Users::EmailKey, key)
                .and_where(Expr::col(Users::Id).eq(id))
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        manager
            .drop_index(Index::drop().name(OLD_INDEX).table(Users::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(KEY_INDEX)
                    .table(Users::Table)
                    .col(Users::EmailKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(KEY_INDEX).table(Users::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailKey)
                    .to_owned(),
            )
            .await?;
        columns::create_email_unique_index(manager, OLD_INDEX, "users", "email").await?;
        if manager.get_database_backend() == DbBackend::MySql {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE `users` MODIFY `username` varchar(32) NOT NULL")
                .await?;
        }
        Ok(())
    }
}

/// Every existing user's id and e-mail key, read [`PAGE`] users at a time;
/// refused, naming the users, when two e-mails have one key.
async fn existing_keys(manager: &SchemaManager<'_>) -> Result<Vec<(i32, String)>, DbErr> {
    let db = manager.get_connection();
    let mut keys = Vec::new();
    let mut owners: HashMap<String, Vec<i32>> = HashMap::new();
    let mut after = 0;
    loop {
        let page = Query::select()
            .columns([Users::Id, Users::Email])
            .from(Users::Table)
            .and_where(Expr::col(Users::Id).gt(after))
            .order_by(Users::Id, Order::Asc)
            .limit(PAGE)
            .to_owned();
        let rows = db.query_all(&page).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let id: i32 = row.try_get("", "id")?;
            let key = email_key(&row.try_get::<String>("", "email")?);
            owners.entry(key.clone()).or_default().push(id);
            keys.push((id, key));
            after = id;
        }
    }
    let mut shared: Vec<&Vec<i32>> = owners.values().filter(|ids| ids.len() > 1).collect();
    if shared.is_empty() {
        return Ok(keys);
    }
    shared.sort();
    let groups: Vec<String> = shared
        .iter()
        .take(10)
        .map(|ids| format!("{ids:?}"))
        .collect();
    Err(DbErr::Migration(format!(
        "users with these ids have e-mail addresses that differ only in letter case: {}; \
         change all but one of each group's addresses, then migrate again",
        groups.join(", ")
    )))
}

/// The identifiers of `users` this version touches.
#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailKey,
}
