//! Version 11: what Folio knows of a photo's uploaded image file — its
//! pixel size, its byte size, its media type and the SHA-256 of the bytes
//! it serves, which also names its objects in storage. Every column is
//! nullable: a photo created by file name alone, and every row older than
//! this version, has no file. An index on `sha256` lets a delete and
//! `folio media gc` ask "does any row still use this object?" by a seek.
//!
//! SQLite alters one column per statement, so each column is its own
//! `ALTER TABLE`, on every backend alike.

use sea_orm_migration::prelude::*;

use crate::m20261123_000004_create_photos::Photos;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The identifiers this version adds to `photos`.
#[derive(DeriveIden)]
enum PhotoFiles {
    Width,
    Height,
    ByteSize,
    ContentType,
    Sha256,
}

const SHA256_INDEX: &str = "photos_sha256_idx";

/// The columns, in the order they are added (and dropped in reverse).
fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new(PhotoFiles::Width).integer().null().take(),
        ColumnDef::new(PhotoFiles::Height).integer().null().take(),
        ColumnDef::new(PhotoFiles::ByteSize)
            .big_integer()
            .null()
            .take(),
        ColumnDef::new(PhotoFiles::ContentType)
            .string_len(32)
            .null()
            .take(),
        // Lowercase hex: 64 characters.
        ColumnDef::new(PhotoFiles::Sha256)
            .char_len(64)
            .null()
            .take(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Photos::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(SHA256_INDEX)
                    .table(Photos::Table)
                    .col(PhotoFiles::Sha256)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(SHA256_INDEX)
                    .table(Photos::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            PhotoFiles::Sha256,
            PhotoFiles::ContentType,
            PhotoFiles::ByteSize,
            PhotoFiles::Height,
            PhotoFiles::Width,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Photos::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
