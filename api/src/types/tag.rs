//! `Tag`: a label, and the photos filed under it.

use async_graphql::{Context, ID, InputObject};
use chrono::{DateTime, Utc};
use entity::{photo, tag};

use super::order::order_by;
use super::photo::{PhotoFilterInput, PhotoOrder};
use super::{FilterInput, Photo, load_count, object_with_connections};
use crate::error::{ApiResult, IntoGraphql};
use crate::filter::TagFilter;
use crate::node::{NodeType, encode_id};

/// A tag: a normalized label shared by every photo tagged with it.
#[derive(Clone, Debug)]
pub struct Tag(pub tag::Model);

impl From<tag::Model> for Tag {
    fn from(model: tag::Model) -> Self {
        Tag(model)
    }
}

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

object_with_connections! {
    /// A tag: a normalized label shared by every photo tagged with it.
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

        /// How many photos carry this tag.
        async fn photo_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
            load_count::<tag::Entity, photo::Entity>(ctx, self.0.id).await
        }
    }
    connections {
        /// The photos filed under this tag, newest first unless `orderBy` says otherwise.
        photos: Photo by tag::Entity => photo::Entity, PhotoFilterInput, PhotoOrder;
    }
}

super::columns::columns!(Tag {
    "id" => id,
    "databaseId" => database_id,
    "name" => name,
    "createdAt" => created_at,
});

impl super::ahead::LoadAhead for Tag {
    type Entity = tag::Entity;

    fn field<'a>(
        ctx: &'a Context<'a>,
        field: async_graphql::SelectionField<'a>,
        rows: &'a [&'a tag::Model],
    ) -> Option<futures_util::future::BoxFuture<'a, ()>> {
        use super::ahead::{connection, count};
        match field.name() {
            "photoCount" => count::<tag::Entity, photo::Entity>(ctx, rows),
            "photos" => {
                connection::<tag::Entity, photo::Entity, PhotoFilterInput, PhotoOrder, Photo>(
                    ctx, field, rows,
                )
            }
            _ => None,
        }
    }
}
