//! The arguments of a list of comments: which (CommentFilter) and in which
//! order (CommentOrder).

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entity::comment;

use crate::error::{ApiResult, IntoGraphql};
use crate::filter::CommentFilter;
use crate::types::FilterInput;
use crate::types::node::{NodeType, decode_id_of};
use crate::types::order::order_by;

/// Which comments to list.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "CommentFilter")]
pub struct CommentFilterInput {
    /// Only comments by this user (a `User` id).
    pub author_id: Option<ID>,
    /// Only comments written strictly before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only comments written strictly after this time.
    pub created_after: Option<DateTime<Utc>>,
}

impl FilterInput for CommentFilterInput {
    type Filter = CommentFilter;

    fn resolve(input: Option<CommentFilterInput>) -> ApiResult<CommentFilter> {
        let input = input.unwrap_or_default();
        let author_id = input
            .author_id
            .map(|id| decode_id_of(&id, NodeType::User, "filter.authorId"))
            .transpose()
            .gql()?;
        Ok(CommentFilter {
            author_id,
            created_before: input.created_before,
            created_after: input.created_after,
        })
    }
}

order_by!(
    /// The fields comments can be ordered by.
    CommentOrderField,
    /// How to order comments (default: oldest first, as a thread reads).
    CommentOrder,
    comment, default CreatedAt Asc,
    {
        /// When the comment was written.
        CreatedAt => CreatedAt, "created_at",
        /// When the comment was last changed.
        UpdatedAt => UpdatedAt, "updated_at",
    }
);
