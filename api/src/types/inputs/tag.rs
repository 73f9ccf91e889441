//! The arguments of a list of tags: which (TagFilter) and in which
//! order (TagOrder).

use async_graphql::InputObject;
use entity::tag;

use crate::error::{ApiResult, IntoGraphql};
use crate::filter::TagFilter;
use crate::types::FilterInput;
use crate::types::order::order_by;

/// Which tags to list.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "TagFilter")]
pub struct TagFilterInput {
    /// Only tags whose name starts with this (compared after trimming and lowercasing).
    pub name_prefix: Option<String>,
}

impl FilterInput for TagFilterInput {
    type Filter = TagFilter;

    fn resolve(input: Option<TagFilterInput>) -> ApiResult<TagFilter> {
        let input = input.unwrap_or_default();
        Ok(TagFilter {
            name_prefix: input
                .name_prefix
                .as_deref()
                .map(|prefix| {
                    crate::validate::filter_text(
                        "filter.namePrefix",
                        prefix,
                        entity::limits::TAG_NAME,
                    )
                })
                .transpose()
                .gql()?,
        })
    }
}

order_by!(
    /// The fields tags can be ordered by.
    TagOrderField,
    /// How to order tags (default: by name).
    TagOrder,
    tag, default Name Asc,
    {
        /// The name, alphabetically.
        Name => Name, "name",
        /// When the tag was first used.
        CreatedAt => CreatedAt, "created_at",
    }
);
