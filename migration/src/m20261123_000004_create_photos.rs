//! Version 4: `photos`, removed with their owner, indexed for "a user's newest photos".

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns;
use crate::m20261123_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Photos::Table)
                    .col(pk_auto(Photos::Id))
                    .col(integer(Photos::OwnerId))
                    .col(string_len(Photos::Filename, 255))
                    .col(text_null(Photos::Caption))
                    .col(columns::timestamp(manager, Photos::CreatedAt))
                    .col(columns::timestamp(manager, Photos::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("photos_owner_id_fkey")
                            .from(Photos::Table, Photos::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("photos_owner_id_created_at_idx")
                    .table(Photos::Table)
                    .col(Photos::OwnerId)
                    .col(Photos::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Photos::Table).to_owned())
            .await
    }
}

/// The identifiers of `photos`.
#[derive(DeriveIden)]
pub enum Photos {
    Table,
    Id,
    OwnerId,
    Filename,
    Caption,
    CreatedAt,
    UpdatedAt,
}
