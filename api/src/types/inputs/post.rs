//! The arguments of a list of posts: which (PostFilter) and in which
//! order (PostOrder).

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entity::post;

use crate::error::{ApiResult, IntoGraphql};
use crate::filter::PostFilter;
use crate::types::FilterInput;
use crate::types::node::{NodeType, decode_id_of};
use crate::types::order::order_by;

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
