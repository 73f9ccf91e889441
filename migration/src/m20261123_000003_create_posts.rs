//! Version 3: `posts`, removed with their author, indexed for "a user's newest posts".

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
                    .table(Posts::Table)
                    .col(pk_auto(Posts::Id))
                    .col(integer(Posts::AuthorId))
                    .col(string_len(Posts::Title, 200))
                    .col(text(Posts::Body))
                    .col(columns::timestamp(manager, Posts::CreatedAt))
                    .col(columns::timestamp(manager, Posts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("posts_author_id_fkey")
                            .from(Posts::Table, Posts::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("posts_author_id_created_at_idx")
                    .table(Posts::Table)
                    .col(Posts::AuthorId)
                    .col(Posts::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Posts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    AuthorId,
    Title,
    Body,
    CreatedAt,
    UpdatedAt,
}
