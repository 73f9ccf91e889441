//! `Tag`: a label, and the photos filed under it.

use async_graphql::{Context, ID};
use chrono::{DateTime, Utc};
use entity::{photo, tag};

use super::inputs::photo::{PhotoFilterInput, PhotoOrder};
use super::{Photo, load_count, object_with_connections};
use crate::error::ApiResult;
use crate::types::node::{NodeType, encode_id};

/// A tag: a normalized label shared by every photo tagged with it.
#[derive(Clone, Debug)]
pub struct Tag(pub tag::Model);

impl From<tag::Model> for Tag {
    fn from(model: tag::Model) -> Self {
        Tag(model)
    }
}

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

crate::plan::declare! {
    Tag: tag::Model, interfaces ["Node"] {
        "id" => value(|row, _| encode_id(NodeType::Tag, row.id)),
        "databaseId" => value(|row, _| row.id),
        "name" => value(|row, _| row.name.as_str()),
        "createdAt" => value(|row, _| row.created_at),
        "photoCount" => relation(crate::plan::fields::count::<tag::Entity, photo::Entity>),
        "photos" => relation(crate::plan::fields::connection::<tag::Entity, photo::Entity, PhotoFilterInput, PhotoOrder, Photo>),
    }
}
