//! The arguments of a list of photos: which (PhotoFilter) and in which
//! order (PhotoOrder).

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entity::{limits, photo};

use crate::error::{ApiResult, IntoGraphql};
use crate::filter::PhotoFilter;
use crate::types::FilterInput;
use crate::types::node::{NodeType, decode_id_of};
use crate::types::order::order_by;
use crate::validate;

/// Which photos to list.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "PhotoFilter")]
pub struct PhotoFilterInput {
    /// Only photos published by this user (a `User` id).
    pub owner_id: Option<ID>,
    /// Only photos tagged with at least one of these tag names.
    pub tagged_any: Option<Vec<String>>,
    /// Only photos tagged with every one of these tag names.
    pub tagged_all: Option<Vec<String>>,
    /// Only photos published strictly before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only photos published strictly after this time.
    pub created_after: Option<DateTime<Utc>>,
}

impl FilterInput for PhotoFilterInput {
    type Filter = PhotoFilter;

    fn resolve(input: Option<PhotoFilterInput>) -> ApiResult<PhotoFilter> {
        let Some(input) = input else {
            return Ok(PhotoFilter::default());
        };
        let owner_id = input
            .owner_id
            .map(|id| decode_id_of(&id, NodeType::User, "filter.ownerId"))
            .transpose()
            .gql()?;
        Ok(PhotoFilter {
            owner_id,
            tagged_any: input
                .tagged_any
                .as_deref()
                .map(|names| validate::filter_names("filter.taggedAny", names, limits::TAG_NAME))
                .transpose()
                .gql()?,
            tagged_all: input
                .tagged_all
                .as_deref()
                .map(|names| validate::filter_names("filter.taggedAll", names, limits::TAG_NAME))
                .transpose()
                .gql()?,
            created_before: input.created_before,
            created_after: input.created_after,
        })
    }
}

order_by!(
    /// The fields photos can be ordered by.
    PhotoOrderField,
    /// How to order photos (default: newest first).
    PhotoOrder,
    photo, default CreatedAt Desc,
    {
        /// When the photo was published.
        CreatedAt => CreatedAt, "created_at",
        /// When the photo was last changed.
        UpdatedAt => UpdatedAt, "updated_at",
        /// The file name, alphabetically.
        Filename => Filename, "filename",
    }
);
