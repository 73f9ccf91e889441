//! Photos: publishing, changing, tagging and deleting the signed-in user's photos.

use async_graphql::{Context, ID, InputObject, Object};
use entity::{limits, photo};
use sea_orm::Set;

use super::{DeletePayload, db, owned, photos, some_change, viewer_id};
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::photos::Image;
use crate::types::Photo;
use crate::types::node::{NodeType, encode_id};
use crate::types::upload::Upload;
use crate::{validate, write};

/// A new photo: give either `file` or `filename`.
#[derive(InputObject)]
pub struct CreatePhotoInput {
    /// The image, uploaded by the GraphQL multipart request spec: a JPEG,
    /// PNG, WebP or GIF (told by its bytes, not its name), within the
    /// server's upload and pixel limits. The photo's `filename` is the
    /// uploaded file's name.
    pub file: Option<Upload>,
    /// The image file's name (1 to 255 characters), for a photo published
    /// without uploading its image.
    pub filename: Option<String>,
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
        let caption =
            validate::clearable_text("input.caption", input.caption, limits::CAPTION).gql()?;
        let tags = validate::tag_names("input.tags", &input.tags).gql()?;
        let (filename, file) = match (input.filename, input.file) {
            (Some(filename), None) => (
                validate::text("input.filename", &filename, limits::FILENAME).gql()?,
                None,
            ),
            (None, Some(file)) => {
                let file = file.file(ctx, "input.file").gql()?;
                (
                    uploaded_name("input.file", &file.filename).gql()?,
                    Some(file),
                )
            }
            _ => {
                return Err(ApiError::bad_input(
                    "input.file",
                    "give exactly one of `file` (an upload) and `filename`",
                ))
                .gql();
            }
        };
        let viewer = viewer_id(ctx).await?;
        let row = photo::ActiveModel {
            owner_id: Set(viewer),
            filename: Set(filename),
            caption: Set(caption.flatten()),
            ..Default::default()
        };
        let image = match file {
            Some(file) => Some(Image {
                field: "input.file",
                bytes: read_upload(file).await.gql()?,
            }),
            None => None,
        };
        let created = photos(ctx)?.create(row, &tags, image).await.gql()?;
        Ok(Photo(created))
    }

    /// Replaces the image of a photo of the signed-in user's with a new
    /// upload (checked as `createPhoto` checks one); the photo's `filename`
    /// becomes the new file's name. The old image stops being served.
    async fn replace_photo_file(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] id: ID,
        #[graphql(desc = "The new image (GraphQL multipart request spec).")] file: Upload,
    ) -> ApiResult<Photo> {
        let file = file.file(ctx, "file").gql()?;
        let filename = uploaded_name("file", &file.filename).gql()?;
        let found = owned::<photo::Entity>(ctx, &id, NodeType::Photo, "id", |p| p.owner_id).await?;
        let image = Image {
            field: "file",
            bytes: read_upload(file).await.gql()?,
        };
        let updated = photos(ctx)?
            .replace_file(found, filename, image)
            .await
            .gql()?;
        Ok(Photo(updated))
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
        photos(ctx)?.delete(&found).await.gql()?;
        Ok(DeletePayload {
            deleted_id: encode_id(NodeType::Photo, found.id),
        })
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
        write::tag_photo(db(ctx)?, &found, &tags).await.gql()?;
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

/// The name of an uploaded file, as the photo's `filename`: its last path
/// segment (a browser may send `C:\fakepath\x.jpg`), within the limit.
fn uploaded_name(field: &str, name: &str) -> Result<String, ApiError> {
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default();
    validate::text(field, name, limits::FILENAME).map_err(|_| {
        ApiError::bad_input(
            field,
            format!(
                "the uploaded file needs a name of {}",
                limits::FILENAME.describe()
            ),
        )
    })
}

/// The bytes of an upload, read off the async threads.
async fn read_upload(file: async_graphql::UploadValue) -> Result<Vec<u8>, ApiError> {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let mut content = file.content;
        // Clones of one upload share the file's offset: read from the start.
        content.rewind()?;
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes)?;
        Ok::<_, std::io::Error>(bytes)
    })
    .await
    .map_err(|err| ApiError::Internal(format!("an upload reading task failed: {err}")))?
    .map_err(|err| ApiError::Internal(format!("could not read an upload: {err}")))
}
