//! `photos`: what users publish (many-to-one to `users`, many-to-many to `tags`).

use sea_orm::entity::prelude::*;

/// A published photo.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "photos")]
pub struct Model {
    /// The row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The user who published the photo.
    pub owner_id: i32,
    /// The name of the image file: 1 to 255 characters.
    pub filename: String,
    /// A caption shown with the photo, if the owner wrote one.
    #[sea_orm(column_type = "Text", nullable)]
    pub caption: Option<String>,
    /// The uploaded image's width in pixels, as served (after its EXIF
    /// orientation was applied); `None` for a photo without a file.
    pub width: Option<i32>,
    /// The uploaded image's height in pixels, as served.
    pub height: Option<i32>,
    /// The size of the original image as served, in bytes.
    pub byte_size: Option<i64>,
    /// The media type of the original image as served (`image/jpeg`, …).
    pub content_type: Option<String>,
    /// The SHA-256 of the original image as served, in lowercase hex; it
    /// also names the photo's objects in storage.
    #[sea_orm(column_type = "Char(Some(64))", nullable)]
    pub sha256: Option<String>,
    /// When the photo was published (UTC).
    pub created_at: DateTimeUtc,
    /// When the photo was last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// The relations of a photo.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Many-to-one: the photo's owner.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
    /// One-to-many: the rows of the join table that tag this photo.
    #[sea_orm(has_many = "super::photo_tag::Entity")]
    PhotoTags,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::photo_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PhotoTags.def()
    }
}

/// Many-to-many: a photo's tags, through `photo_tags`.
impl Related<super::tag::Entity> for Entity {
    fn to() -> RelationDef {
        super::photo_tag::Relation::Tag.def()
    }
    fn via() -> Option<RelationDef> {
        Some(super::photo_tag::Relation::Photo.def().rev())
    }
}

crate::timestamp::keep_timestamps!(created_at, updated_at);
