//! `tags`: the labels photos are filed under (many-to-many to `photos`).

use sea_orm::entity::prelude::*;

/// A tag: a normalized label shared by every photo tagged with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tags")]
pub struct Model {
    /// The row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The unique name: trimmed, lowercased, 1 to 50 characters of a-z, 0-9, `-` and `_`.
    #[sea_orm(unique)]
    pub name: String,
    /// When the tag was first used (UTC).
    pub created_at: DateTimeUtc,
}

/// The relations of a tag.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// One-to-many: the rows of the join table that file photos under this tag.
    #[sea_orm(has_many = "super::photo_tag::Entity")]
    PhotoTags,
}

impl Related<super::photo_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PhotoTags.def()
    }
}

/// Many-to-many: the photos filed under a tag, through `photo_tags`.
impl Related<super::photo::Entity> for Entity {
    fn to() -> RelationDef {
        super::photo_tag::Relation::Photo.def()
    }
    fn via() -> Option<RelationDef> {
        Some(super::photo_tag::Relation::Tag.def().rev())
    }
}

crate::timestamp::keep_timestamps!(created_at);
