//! `Tag`: a label, and the photos filed under it.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{photo, tag};

use super::order::PhotoOrder;
use super::photo::PhotoFilterInput;
use super::{Connection, Photo, connection_complexity, load_connection, load_count};
use crate::error::ApiResult;
use crate::node::{NodeType, encode_id};
use crate::paging::PageArgs;

/// A tag: a normalized label shared by every photo tagged with it.
#[derive(Clone, Debug)]
pub struct Tag(pub tag::Model);

/// Which tags to list.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "TagFilter")]
pub struct TagFilterInput {
    /// Only tags whose name starts with this (compared after trimming and lowercasing).
    pub name_prefix: Option<String>,
}

impl From<TagFilterInput> for crate::filter::TagFilter {
    fn from(input: TagFilterInput) -> Self {
        crate::filter::TagFilter {
            name_prefix: input.name_prefix.as_deref().map(crate::validate::normalize),
        }
    }
}

/// A tag: a normalized label shared by every photo tagged with it.
#[Object]
impl Tag {
    /// The tag's opaque global id.
    pub async fn id(&self) -> ID {
        encode_id(NodeType::Tag, self.0.id)
    }

    /// The tag's row id.
    async fn database_id(&self) -> i32 {
        self.0.id
    }

    /// The name: lowercase, 1 to 50 characters of a-z, 0-9, `-` and `_`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// When the tag was first used (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The photos filed under this tag, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per GraphQL argument"
    )]
    async fn photos(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first N photos (at most 100; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the photos after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last N photos (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return the photos before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only the photos that match.")] filter: Option<PhotoFilterInput>,
        #[graphql(desc = "The order of the photos.")] order_by: Option<PhotoOrder>,
    ) -> ApiResult<Connection<Photo>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let filter = PhotoFilterInput::resolve(filter)?;
        load_connection::<tag::Entity, photo::Entity, _, _, _>(
            ctx,
            self.0.id,
            args,
            filter,
            PhotoOrder::sort(order_by),
            Photo,
        )
        .await
    }

    /// How many photos carry this tag.
    async fn photo_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        load_count::<tag::Entity, photo::Entity>(ctx, self.0.id).await
    }
}
