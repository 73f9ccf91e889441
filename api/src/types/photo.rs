//! `Photo`: a published photo, its owner and its tags.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::{limits, photo, tag, user};

use super::columns::{List, One};
use super::inputs::tag::{TagOrder, TagOrderField};
use super::{Tag, User, load_list, load_required};
use crate::error::{ApiResult, IntoGraphql};
use crate::media::{Kind, Media, Size};
use crate::paging::Sort;
use crate::types::node::{NodeType, encode_id};

/// A published photo.
#[derive(Clone, Debug)]
pub struct Photo(pub photo::Model);

impl From<photo::Model> for Photo {
    fn from(model: photo::Model) -> Self {
        Photo(model)
    }
}

/// The sizes a photo's image is served in.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoSize {
    /// The uploaded image at its full size, turned upright (its EXIF
    /// orientation applied) and without metadata (no GPS position).
    Original,
    /// At most 1600 pixels on its longest side (configurable); never enlarged.
    Large,
    /// At most 320 pixels on its longest side (configurable); never enlarged.
    Thumbnail,
}

impl From<PhotoSize> for Size {
    fn from(size: PhotoSize) -> Size {
        match size {
            PhotoSize::Original => Size::Original,
            PhotoSize::Large => Size::Large,
            PhotoSize::Thumbnail => Size::Thumbnail,
        }
    }
}

/// A published photo.
#[Object]
impl Photo {
    /// The photo's opaque global id.
    pub async fn id(&self) -> ID {
        encode_id(NodeType::Photo, self.0.id)
    }

    /// The photo's row id.
    async fn database_id(&self) -> i32 {
        self.0.id
    }

    /// The name of the image file: 1 to 255 characters.
    async fn filename(&self) -> &str {
        &self.0.filename
    }

    /// A caption shown with the photo, if the owner wrote one.
    async fn caption(&self) -> Option<&str> {
        self.0.caption.as_deref()
    }

    /// The image's width in pixels, as served (upright); null for a photo
    /// published by file name without an image.
    async fn width(&self) -> Option<i32> {
        self.0.width
    }

    /// The image's height in pixels, as served (upright); null without an image.
    async fn height(&self) -> Option<i32> {
        self.0.height
    }

    /// The size of the original image as served, in bytes; null without an image.
    async fn byte_size(&self) -> Option<i64> {
        self.0.byte_size
    }

    /// The media type of the original image as served (`image/jpeg`,
    /// `image/png`, `image/webp` or `image/gif`); null without an image.
    async fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    /// The SHA-256 of the original image as served (metadata removed, so
    /// not the hash of the uploaded file), in lowercase hex; null without an image.
    async fn sha256(&self) -> Option<&str> {
        self.0.sha256.as_deref()
    }

    /// Where to fetch the image in `size`; null for a photo without an
    /// image. The address never changes meaning: it may be cached for good.
    /// Smaller sizes of a JPEG are JPEG; of any other image, PNG.
    async fn url(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which size.", default_with = "PhotoSize::Original")] size: PhotoSize,
    ) -> ApiResult<Option<String>> {
        let media = ctx
            .data::<std::sync::Arc<Media>>()
            .map_err(|_| crate::error::ApiError::Internal("no media store in the schema".into()))
            .gql()?;
        Ok(url_of(&self.0, media, size.into()))
    }

    /// When the photo was published (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the photo was last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The user who published the photo.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<One<User>> {
        Ok(One(User::from(
            load_required::<photo::Entity, user::Entity>(ctx, &self.0).await?,
        )))
    }

    /// The photo's tags, by name.
    #[graphql(complexity = "limits::TAGS_PER_PHOTO.saturating_mul(child_complexity)")]
    async fn tags(&self, ctx: &Context<'_>) -> ApiResult<List<Tag>> {
        let tags =
            load_list::<photo::Entity, tag::Entity, _>(ctx, self.0.id, tags_by_name()).await?;
        Ok(List(tags.into_iter().map(Tag).collect()))
    }
}

/// The order of a photo's tags: by name.
/// Where to fetch `photo`'s image in `size` from `media`; `None` for a
/// photo without an image.
fn url_of(photo: &photo::Model, media: &Media, size: Size) -> Option<String> {
    let hash = photo.sha256.as_deref()?;
    let kind = photo
        .content_type
        .as_deref()
        .and_then(Kind::from_content_type)?;
    Some(media.url(hash, kind, size))
}

fn tags_by_name() -> Sort<TagOrderField> {
    Sort {
        key: TagOrderField::Name,
        descending: false,
    }
}

super::columns::columns!(Photo {
    "id" => id,
    "databaseId" => database_id,
    "filename" => filename,
    "caption" => caption,
    "width" => width,
    "height" => height,
    "byteSize" => byte_size,
    "contentType" => content_type,
    "sha256" => sha256,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

impl super::ahead::LoadAhead for Photo {
    type Entity = photo::Entity;

    fn field<'a>(
        ctx: &'a Context<'a>,
        field: async_graphql::SelectionField<'a>,
        rows: &'a [&'a photo::Model],
    ) -> Option<futures_util::future::BoxFuture<'a, ()>> {
        use super::ahead::{list, to_one};
        match field.name() {
            "owner" => to_one::<photo::Entity, user::Entity, User>(ctx, field, rows),
            "tags" => list::<photo::Entity, tag::Entity, _, Tag>(ctx, field, rows, tags_by_name()),
            _ => None,
        }
    }
}

crate::plan::declare! {
    Photo: photo::Model, interfaces ["Node"] {
        "id" => value(|row, _| encode_id(NodeType::Photo, row.id)),
        "databaseId" => value(|row, _| row.id),
        "filename" => value(|row, _| row.filename.as_str()),
        "caption" => value(|row, _| row.caption.as_deref()),
        "width" => value(|row, _| row.width),
        "height" => value(|row, _| row.height),
        "byteSize" => value(|row, _| row.byte_size),
        "contentType" => value(|row, _| row.content_type.as_deref()),
        "sha256" => value(|row, _| row.sha256.as_deref()),
        "url" => value(|row, env| url_of(row, env.media, Size::Original)),
        "createdAt" => value(|row, _| row.created_at),
        "updatedAt" => value(|row, _| row.updated_at),
        "owner" => relation(crate::plan::fields::required::<photo::Entity, user::Entity, User>),
        "tags" => relation(crate::plan::fields::list::<photo::Entity, tag::Entity, TagOrder, Tag>),
    }
}
