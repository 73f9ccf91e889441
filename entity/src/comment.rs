//! `comments`: what users write under posts (many-to-one to `posts` and to
//! `users`; posts and users one-to-many comments).

use sea_orm::entity::prelude::*;

/// A comment on a post.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    /// The row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The post commented on.
    pub post_id: i32,
    /// The user who wrote the comment.
    pub author_id: i32,
    /// The text: 1 to 2,000 characters.
    pub body: String,
    /// When the comment was written (UTC).
    pub created_at: DateTimeUtc,
    /// When the comment was last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// The relations of a comment.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Many-to-one: the post commented on.
    #[sea_orm(
        belongs_to = "super::post::Entity",
        from = "Column::PostId",
        to = "super::post::Column::Id",
        on_delete = "Cascade"
    )]
    Post,
    /// Many-to-one: the comment's author.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AuthorId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Author,
}

impl Related<super::post::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Post.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

/// One-to-many: a post's comments.
impl Related<Entity> for super::post::Entity {
    fn to() -> RelationDef {
        Relation::Post.def().rev()
    }
}

/// One-to-many: a user's comments.
impl Related<Entity> for super::user::Entity {
    fn to() -> RelationDef {
        Relation::Author.def().rev()
    }
}

crate::timestamp::keep_timestamps!(created_at, updated_at);
