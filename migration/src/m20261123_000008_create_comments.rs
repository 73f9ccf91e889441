//! Version 8: `comments` on posts, removed with their post or their author,
//! indexed for "a post's newest comments" and "a user's newest comments".

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .col(pk_auto(Comments::Id))
                    .col(integer(Comments::PostId))
                    .col(integer(Comments::AuthorId))
                    .col(string_len(Comments::Body, 2_000))
                    .col(columns::timestamp(manager, Comments::CreatedAt))
                    .col(columns::timestamp(manager, Comments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("comments_post_id_fkey")
                            .from(Comments::Table, Comments::PostId)
                            .to(Alias::new("posts"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("comments_author_id_fkey")
                            .from(Comments::Table, Comments::AuthorId)
                            .to(Alias::new("users"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, parent) in [
            ("comments_post_id_created_at_idx", Comments::PostId),
            ("comments_author_id_created_at_idx", Comments::AuthorId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Comments::Table)
                        .col(parent)
                        .col(Comments::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Comments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Comments {
    Table,
    Id,
    PostId,
    AuthorId,
    Body,
    CreatedAt,
    UpdatedAt,
}
