//! `photo_tags`: the join table of the many-to-many between photos and tags.

use sea_orm::entity::prelude::*;

/// One photo filed under one tag.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "photo_tags")]
pub struct Model {
    /// The tagged photo.
    #[sea_orm(primary_key, auto_increment = false)]
    pub photo_id: i32,
    /// The tag.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag_id: i32,
    /// When the photo was tagged (UTC).
    pub created_at: DateTimeUtc,
    /// A copy of the photo's `created_at`, so that a tag's newest photos
    /// are read from this table's index (`None` only for a row written
    /// without it).
    pub photo_created_at: Option<DateTimeUtc>,
}

/// The two ends of the join.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The photo end.
    #[sea_orm(
        belongs_to = "super::photo::Entity",
        from = "Column::PhotoId",
        to = "super::photo::Column::Id",
        on_delete = "Cascade"
    )]
    Photo,
    /// The tag end.
    #[sea_orm(
        belongs_to = "super::tag::Entity",
        from = "Column::TagId",
        to = "super::tag::Column::Id",
        on_delete = "Cascade"
    )]
    Tag,
}

impl Related<super::photo::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Photo.def()
    }
}

impl Related<super::tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tag.def()
    }
}

crate::timestamp::keep_timestamps!(created_at);
