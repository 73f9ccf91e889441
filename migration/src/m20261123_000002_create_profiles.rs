//! Version 2: `profiles`, one per user at most, removed with their user.

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
                    .table(Profiles::Table)
                    .col(pk_auto(Profiles::Id))
                    .col(integer(Profiles::UserId))
                    .col(string_len(Profiles::DisplayName, 100))
                    .col(text(Profiles::Bio))
                    .col(string_len_null(Profiles::AvatarUrl, 2_048))
                    .col(columns::timestamp(manager, Profiles::CreatedAt))
                    .col(columns::timestamp(manager, Profiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("profiles_user_id_fkey")
                            .from(Profiles::Table, Profiles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("profiles_user_id_key")
                    .table(Profiles::Table)
                    .col(Profiles::UserId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Profiles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Profiles {
    Table,
    Id,
    UserId,
    DisplayName,
    Bio,
    AvatarUrl,
    CreatedAt,
    UpdatedAt,
}
