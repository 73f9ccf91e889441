//! `image_locks`: one row per stored image (the SHA-256 of its original),
//! whose lock is held by a transaction that is about to make the image's
//! objects named (an upload's row) or unnamed (a release, `folio media
//! gc`). See `api::media` for who takes it and why.

use sea_orm::entity::prelude::*;

/// The lock of one image.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "image_locks")]
pub struct Model {
    /// The image's SHA-256, lowercase hex: the name of its objects.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
}

/// A lock stands alone.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
