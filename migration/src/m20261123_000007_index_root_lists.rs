//! Version 7: indexes for the root lists, which are ordered by creation time
//! (ties broken by id) across all owners: `posts`, `photos` and `users` read a
//! page from the index instead of sorting the table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table) of every index this version adds, each on `(created_at, id)`.
const INDEXES: [(&str, &str); 3] = [
    ("posts_created_at_id_idx", "posts"),
    ("photos_created_at_id_idx", "photos"),
    ("users_created_at_id_idx", "users"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (index, table) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(index)
                        .table(Alias::new(table))
                        .col(Alias::new("created_at"))
                        .col(Alias::new("id"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (index, table) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
