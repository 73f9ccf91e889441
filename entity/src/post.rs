//! `posts`: what users write (many-to-one to `users`).

use sea_orm::entity::prelude::*;

/// A blog post.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    /// The row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The user who wrote the post.
    pub author_id: i32,
    /// The title: 1 to 200 characters.
    pub title: String,
    /// The text of the post.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// When the post was written (UTC).
    pub created_at: DateTimeUtc,
    /// When the post was last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// The relations of a post.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Many-to-one: the post's author.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AuthorId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Author,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

crate::timestamp::keep_timestamps!(created_at, updated_at);
