//! `Post`: a blog post and its author.

use async_graphql::{Context, ID};
use chrono::{DateTime, Utc};
use entity::{comment, post, user};

use super::columns::One;
use super::inputs::comment::{CommentFilterInput, CommentOrder};
use super::{Comment, User, load_count, load_required, object_with_connections};
use crate::error::ApiResult;
use crate::types::node::{NodeType, encode_id};

/// A blog post.
#[derive(Clone, Debug)]
pub struct Post(pub post::Model);

impl From<post::Model> for Post {
    fn from(model: post::Model) -> Self {
        Post(model)
    }
}

object_with_connections! {
    /// A blog post.
    impl Post {
        /// The post's opaque global id.
        pub async fn id(&self) -> ID {
            encode_id(NodeType::Post, self.0.id)
        }

        /// The post's row id.
        async fn database_id(&self) -> i32 {
            self.0.id
        }

        /// The title: 1 to 200 characters.
        async fn title(&self) -> &str {
            &self.0.title
        }

        /// The text of the post.
        async fn body(&self) -> &str {
            &self.0.body
        }

        /// When the post was written (UTC).
        async fn created_at(&self) -> DateTime<Utc> {
            self.0.created_at
        }

        /// When the post was last changed (UTC).
        async fn updated_at(&self) -> DateTime<Utc> {
            self.0.updated_at
        }

        /// The user who wrote the post.
        async fn author(&self, ctx: &Context<'_>) -> ApiResult<One<User>> {
            Ok(One(User::from(
                load_required::<post::Entity, user::Entity>(ctx, &self.0).await?,
            )))
        }

        /// How many comments the post has.
        async fn comment_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
            load_count::<post::Entity, comment::Entity>(ctx, self.0.id).await
        }
    }
    connections {
        /// The comments on the post, oldest first unless `orderBy` says otherwise.
        comments: Comment by post::Entity => comment::Entity, CommentFilterInput, CommentOrder;
    }
}

super::columns::columns!(Post {
    "id" => id,
    "databaseId" => database_id,
    "title" => title,
    "body" => body,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

impl super::ahead::LoadAhead for Post {
    type Entity = post::Entity;

    fn field<'a>(
        ctx: &'a Context<'a>,
        field: async_graphql::SelectionField<'a>,
        rows: &'a [&'a post::Model],
    ) -> Option<futures_util::future::BoxFuture<'a, ()>> {
        use super::ahead::{connection, count, to_one};
        match field.name() {
            "author" => to_one::<post::Entity, user::Entity, User>(ctx, field, rows),
            "commentCount" => count::<post::Entity, comment::Entity>(ctx, rows),
            "comments" => {
                connection::<post::Entity, comment::Entity, CommentFilterInput, CommentOrder, Comment>(
                    ctx, field, rows,
                )
            }
            _ => None,
        }
    }
}

crate::plan::declare! {
    Post: post::Model, interfaces ["Node"] {
        "id" => value(|row, _| encode_id(NodeType::Post, row.id)),
        "databaseId" => value(|row, _| row.id),
        "title" => value(|row, _| row.title.as_str()),
        "body" => value(|row, _| row.body.as_str()),
        "createdAt" => value(|row, _| row.created_at),
        "updatedAt" => value(|row, _| row.updated_at),
        "author" => relation(crate::plan::fields::required::<post::Entity, user::Entity, User>),
        "commentCount" => relation(crate::plan::fields::count::<post::Entity, comment::Entity>),
        "comments" => relation(crate::plan::fields::connection::<post::Entity, comment::Entity, CommentFilterInput, CommentOrder, Comment>),
    }
}
