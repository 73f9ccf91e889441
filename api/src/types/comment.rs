//! `Comment`: what a user writes under a post.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::{comment, post, user};

use super::columns::One;
use super::{Post, User, load_required};
use crate::error::ApiResult;
use crate::types::node::{NodeType, encode_id};

/// A comment on a post.
#[derive(Clone, Debug)]
pub struct Comment(pub comment::Model);

impl From<comment::Model> for Comment {
    fn from(model: comment::Model) -> Self {
        Comment(model)
    }
}

/// A comment on a post.
#[Object]
impl Comment {
    /// The comment's opaque global id.
    pub async fn id(&self) -> ID {
        encode_id(NodeType::Comment, self.0.id)
    }

    /// The comment's row id.
    async fn database_id(&self) -> i32 {
        self.0.id
    }

    /// The text: 1 to 2,000 characters.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// When the comment was written (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the comment was last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The user who wrote the comment.
    async fn author(&self, ctx: &Context<'_>) -> ApiResult<One<User>> {
        Ok(One(User::from(
            load_required::<comment::Entity, user::Entity>(ctx, &self.0).await?,
        )))
    }

    /// The post the comment is on.
    async fn post(&self, ctx: &Context<'_>) -> ApiResult<One<Post>> {
        Ok(One(Post::from(
            load_required::<comment::Entity, post::Entity>(ctx, &self.0).await?,
        )))
    }
}

super::columns::columns!(Comment {
    "id" => id,
    "databaseId" => database_id,
    "body" => body,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

impl super::ahead::LoadAhead for Comment {
    type Entity = comment::Entity;

    fn field<'a>(
        ctx: &'a Context<'a>,
        field: async_graphql::SelectionField<'a>,
        rows: &'a [&'a comment::Model],
    ) -> Option<futures_util::future::BoxFuture<'a, ()>> {
        use super::ahead::to_one;
        match field.name() {
            "author" => to_one::<comment::Entity, user::Entity, User>(ctx, field, rows),
            "post" => to_one::<comment::Entity, post::Entity, Post>(ctx, field, rows),
            _ => None,
        }
    }
}

crate::plan::declare! {
    Comment: comment::Model, interfaces ["Node"] {
        "id" => value(|row, _| encode_id(NodeType::Comment, row.id)),
        "databaseId" => value(|row, _| row.id),
        "body" => value(|row, _| row.body.as_str()),
        "createdAt" => value(|row, _| row.created_at),
        "updatedAt" => value(|row, _| row.updated_at),
        "author" => relation(crate::plan::fields::required::<comment::Entity, user::Entity, User>),
        "post" => relation(crate::plan::fields::required::<comment::Entity, post::Entity, Post>),
    }
}
