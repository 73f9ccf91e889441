//! Version 15: one row per stored image, locked by whoever is about to make
//! its objects named or unnamed. An upload writes its objects, then, in the
//! transaction that writes the row naming them, locks the image's row and
//! puts back any object a concurrent release removed; a release (after a
//! delete commits) and `folio media gc` lock it, check that no photo names
//! the image, and remove its objects before they commit. So the check and
//! the removal can no longer fall between an upload's objects and its row.
//!
//! The image is named by the SHA-256 of its original, as its objects are.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImageLocks::Table)
                    .col(
                        ColumnDef::new(ImageLocks::Sha256)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImageLocks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ImageLocks {
    Table,
    Sha256,
}
