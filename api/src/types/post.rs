//! `Post`: a blog post and its author.

use async_graphql::{Context, ID, InputObject};
use chrono::{DateTime, Utc};
use entity::{comment, post, user};

use super::columns::One;
use super::comment::{CommentFilterInput, CommentOrder};
use super::order::order_by;
use super::{Comment, FilterInput, User, load_count, load_required, object_with_connections};
use crate::error::{ApiResult, IntoGraphql};
use crate::filter::PostFilter;
use crate::node::{NodeType, decode_id_of, encode_id};

/// A blog post.
#[derive(Clone, Debug)]
pub struct Post(pub post::Model);

impl From<post::Model> for Post {
    fn from(model: post::Model) -> Self {
        Post(model)
    }
}

/// Which posts to list.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "PostFilter")]
pub struct PostFilterInput {
    /// Only posts by this user (a `User` id).
    pub author_id: Option<ID>,
    /// Only posts whose title contains this text, ignoring case.
    pub title_contains: Option<String>,
    /// Only posts written strictly before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only posts written strictly after this time.
    pub created_after: Option<DateTime<Utc>>,
}

impl FilterInput for PostFilterInput {
    type Filter = PostFilter;

    fn resolve(input: Option<PostFilterInput>) -> ApiResult<PostFilter> {
        let Some(input) = input else {
            return Ok(PostFilter::default());
        };
        let author_id = input
            .author_id
            .map(|id| decode_id_of(&id, NodeType::User, "filter.authorId"))
            .transpose()
            .gql()?;
        Ok(PostFilter {
            author_id,
            title_contains: input.title_contains,
            created_before: input.created_before,
            created_after: input.created_after,
        })
    }

    fn cost(&self) -> usize {
        if self.title_contains.is_some() {
            crate::types::TEXT_SEARCH_COST
        } else {
            0
        }
    }
}

order_by!(
    /// The fields posts can be ordered by.
    PostOrderField,
    /// How to order posts (default: newest first).
    PostOrder,
    post, default CreatedAt Desc,
    {
        /// When the post was written.
        CreatedAt => CreatedAt, "created_at",
        /// When the post was last changed.
        UpdatedAt => UpdatedAt, "updated_at",
        /// The title, alphabetically.
        Title => Title, "title",
    }
);

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
