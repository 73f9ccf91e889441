//! Photos: publishing, changing, tagging and deleting the signed-in user's photos.

use async_graphql::{Context, ID, InputObject, Object};
use entity::{limits, photo};
use sea_orm::Set;

use super::{DeletePayload, db, delete, owned, some_change, viewer_id};
use crate::error::{ApiResult, IntoGraphql};
use crate::node::NodeType;
use crate::types::Photo;
use crate::{validate, write};

/// A new photo.
#[derive(InputObject)]
pub struct CreatePhotoInput {
    /// The image file's name: 1 to 255 characters.
    pub filename: String,
    /// A caption: at most 2,000 characters.
    pub caption: Option<String>,
    /// Tag names (trimmed, lowercased; 1 to 50 characters of a-z, 0-9, `-`, `_`); missing tags are created.
    #[graphql(default)]
    pub tags: Vec<String>,
}

/// Changes to a photo; give at least one field.
#[derive(InputObject)]
pub struct UpdatePhotoInput {
    /// A new file name: 1 to 255 characters.
    pub filename: Option<String>,
    /// A new caption (at most 2,000 characters); an empty string removes it.
    pub caption: Option<String>,
}

/// Publishing, changing, tagging and deleting photos.
#[derive(Default)]
pub struct PhotoMutation;

#[Object]
impl PhotoMutation {
    /// Publishes a photo as the signed-in user, with its tags; tags that do not
    /// exist yet are created. All or nothing.
    async fn create_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new photo and its tags.")] input: CreatePhotoInput,
    ) -> ApiResult<Photo> {
        let viewer = viewer_id(ctx).await?;
        let filename = validate::text("input.filename", &input.filename, limits::FILENAME).gql()?;
        let caption =
            validate::clearable_text("input.caption", input.caption, limits::CAPTION).gql()?;
        let tags = validate::tag_names("input.tags", &input.tags).gql()?;
        let row = photo::ActiveModel {
            owner_id: Set(viewer),
            filename: Set(filename),
            caption: Set(caption.flatten()),
            ..Default::default()
        };
        Ok(Photo(
            write::create_photo(db(ctx)?, row, &tags).await.gql()?,
        ))
    }

    /// Changes a photo of the signed-in user's.
    async fn update_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdatePhotoInput,
    ) -> ApiResult<Photo> {
        let filename = input
            .filename
            .map(|v| validate::text("input.filename", &v, limits::FILENAME))
            .transpose()
            .gql()?;
        let caption =
            validate::clearable_text("input.caption", input.caption, limits::CAPTION).gql()?;
        some_change(&[filename.is_some(), caption.is_some()])?;
        let found = owned::<photo::Entity>(ctx, &id, NodeType::Photo, "id", |p| p.owner_id).await?;
        let mut changed: photo::ActiveModel = found.into();
        if let Some(v) = filename {
            changed.filename = Set(v);
        }
        if let Some(v) = caption {
            changed.caption = Set(v);
        }
        Ok(Photo(write::update(db(ctx)?, changed).await.gql()?))
    }

    /// Deletes a photo of the signed-in user's (and its tag links; tags stay).
    async fn delete_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] id: ID,
    ) -> ApiResult<DeletePayload> {
        let found = owned::<photo::Entity>(ctx, &id, NodeType::Photo, "id", |p| p.owner_id).await?;
        delete::<photo::Entity>(ctx, found.id, NodeType::Photo).await
    }

    /// Files a photo of the signed-in user's under these tags, creating
    /// missing ones. Idempotent: a tag the photo already has stays one link.
    async fn tag_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] photo_id: ID,
        #[graphql(desc = "Tag names to add.")] tags: Vec<String>,
    ) -> ApiResult<Photo> {
        let tags = validate::tag_names("tags", &tags).gql()?;
        let found =
            owned::<photo::Entity>(ctx, &photo_id, NodeType::Photo, "photoId", |p| p.owner_id)
                .await?;
        write::tag_photo(db(ctx)?, found.id, &tags).await.gql()?;
        Ok(Photo(found))
    }

    /// Removes these tags from a photo of the signed-in user's; names it does
    /// not carry are ignored.
    async fn untag_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] photo_id: ID,
        #[graphql(desc = "Tag names to remove.")] tags: Vec<String>,
    ) -> ApiResult<Photo> {
        let tags = validate::tag_names("tags", &tags).gql()?;
        let found =
            owned::<photo::Entity>(ctx, &photo_id, NodeType::Photo, "photoId", |p| p.owner_id)
                .await?;
        write::untag_photo(db(ctx)?, found.id, &tags).await.gql()?;
        Ok(Photo(found))
    }
}
