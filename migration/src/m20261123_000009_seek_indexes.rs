//! Version 9: a parent's children are read newest first by an index seek
//! per parent (`WHERE author_id = ? ORDER BY created_at DESC, id DESC LIMIT
//! n`), so each per-parent index ends with the id that breaks ties in that
//! order. PostgreSQL otherwise sorts every parent's rows of equal time by
//! id; MariaDB's and SQLite's secondary indexes already end with the row id,
//! and gain nothing but lose nothing either.
//!
//! Each index of versions 3, 4 and 8 is replaced by one with `id` appended,
//! created before the old one is dropped, so that a foreign key always has
//! an index (MariaDB insists on one).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, parent column, the old index on `(parent, created_at)`, the new
/// one on `(parent, created_at, id)`).
const INDEXES: [(&str, &str, &str, &str); 4] = [
    (
        "posts",
        "author_id",
        "posts_author_id_created_at_idx",
        "posts_author_id_created_at_id_idx",
    ),
    (
        "photos",
        "owner_id",
        "photos_owner_id_created_at_idx",
        "photos_owner_id_created_at_id_idx",
    ),
    (
        "comments",
        "post_id",
        "comments_post_id_created_at_idx",
        "comments_post_id_created_at_id_idx",
    ),
    (
        "comments",
        "author_id",
        "comments_author_id_created_at_idx",
        "comments_author_id_created_at_id_idx",
    ),
];

/// Creates `index` on `table (columns…)`.
async fn create(
    manager: &SchemaManager<'_>,
    table: &str,
    index: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(index).table(Alias::new(table));
    for column in columns {
        statement.col(Alias::new(*column));
    }
    manager.create_index(statement.to_owned()).await
}

/// Drops `index` of `table`.
async fn drop(manager: &SchemaManager<'_>, table: &str, index: &str) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(index)
                .table(Alias::new(table))
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, parent, old, new) in INDEXES {
            create(manager, table, new, &[parent, "created_at", "id"]).await?;
            drop(manager, table, old).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, parent, old, new) in INDEXES {
            create(manager, table, old, &[parent, "created_at"]).await?;
            drop(manager, table, new).await?;
        }
        Ok(())
    }
}
