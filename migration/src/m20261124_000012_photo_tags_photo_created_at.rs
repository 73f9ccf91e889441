//! Version 12: a tag's photos are read newest first by an index seek. Each
//! `photo_tags` row carries a copy of its photo's `created_at`
//! (`photo_created_at`, which never changes once the photo exists), indexed
//! with the tag and the photo id, so that a tag's newest photos are the
//! first entries of `(tag_id, photo_created_at, photo_id)` and only those
//! photos are read; before, every photo of the tag was joined and sorted.
//!
//! The column is filled for the rows that exist, and written with every new
//! row. It is nullable because SQLite cannot add a NOT NULL column without
//! a default.

use sea_orm_migration::prelude::*;

use crate::columns;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "photo_tags_tag_id_photo_created_at_photo_id_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = columns::timestamp(manager, PhotoTags::PhotoCreatedAt);
        column.null();
        manager
            .alter_table(
                Table::alter()
                    .table(PhotoTags::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE photo_tags SET photo_created_at = \
                 (SELECT photos.created_at FROM photos WHERE photos.id = photo_tags.photo_id)",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(PhotoTags::Table)
                    .col(PhotoTags::TagId)
                    .col(PhotoTags::PhotoCreatedAt)
                    .col(PhotoTags::PhotoId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(PhotoTags::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PhotoTags::Table)
                    .drop_column(PhotoTags::PhotoCreatedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PhotoTags {
    Table,
    TagId,
    PhotoId,
    PhotoCreatedAt,
}
