//! Version 6: `photo_tags`, the many-to-many between photos and tags; a row
//! goes with either end, and a photo carries a tag at most once.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns;
use crate::m20261123_000004_create_photos::Photos;
use crate::m20261123_000005_create_tags::Tags;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PhotoTags::Table)
                    .col(integer(PhotoTags::PhotoId))
                    .col(integer(PhotoTags::TagId))
                    .col(columns::timestamp(manager, PhotoTags::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("photo_tags_pkey")
                            .col(PhotoTags::PhotoId)
                            .col(PhotoTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("photo_tags_photo_id_fkey")
                            .from(PhotoTags::Table, PhotoTags::PhotoId)
                            .to(Photos::Table, Photos::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("photo_tags_tag_id_fkey")
                            .from(PhotoTags::Table, PhotoTags::TagId)
                            .to(Tags::Table, Tags::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("photo_tags_tag_id_photo_id_idx")
                    .table(PhotoTags::Table)
                    .col(PhotoTags::TagId)
                    .col(PhotoTags::PhotoId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PhotoTags::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PhotoTags {
    Table,
    PhotoId,
    TagId,
    CreatedAt,
}
