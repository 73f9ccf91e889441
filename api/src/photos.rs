//! The photos write service: the one place that orders an image's life.
//! An upload's objects are stored first, then the row that names them is
//! written in a transaction that holds the image's lock (see `media`); when
//! the row is not written, or once a row no longer names an image (a
//! replaced file, a deleted photo or account), the objects no row names any
//! more are released.
//!
//! It joins the two layers below it, which know nothing of each other:
//! `media/` (objects) and `write.rs` (rows). Mutations validate and check
//! ownership, then call in here; nothing here knows GraphQL or the caller.

use entity::{photo, user};
use sea_orm::{DatabaseConnection, Set};

use crate::error::ApiError;
use crate::media::{Kind, Media, Stored, begin_locking};

/// Photo writes over `db`, with their images in `media`.
pub struct Photos<'a> {
    /// The database the rows are written to.
    pub db: &'a DatabaseConnection,
    /// Where the images are kept.
    pub media: &'a Media,
}

/// An uploaded image: its bytes, and the input field it came in (errors name it).
pub struct Image<'a> {
    /// The input field (`input.file`).
    pub field: &'a str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl Photos<'_> {
    /// Writes the photo `row` filed under `tags`, with `image` when one was
    /// uploaded: its objects first, then the row; the objects are released
    /// when the row is not written.
    pub async fn create(
        &self,
        mut row: photo::ActiveModel,
        tags: &[String],
        image: Option<Image<'_>>,
    ) -> Result<photo::Model, ApiError> {
        let Some(image) = image else {
            return Ok(crate::write::create_photo(self.db, row, tags).await?);
        };
        let ingested = self.media.ingest(image.field, image.bytes).await?;
        set_image(&mut row, &ingested.stored);
        let created: Result<photo::Model, ApiError> = async {
            let txn = begin_locking(self.db).await?;
            self.media.hold(&txn, &ingested).await?;
            let created = crate::write::create_photo_in(&txn, row, tags).await?;
            txn.commit().await?;
            Ok(created)
        }
        .await;
        if created.is_err() {
            let stored = &ingested.stored;
            self.release(vec![(stored.sha256.clone(), stored.kind)])
                .await;
        }
        created
    }

    /// Gives the photo `found` the image `image`, named `filename`; the old
    /// image is released once the row no longer names it (the new one when
    /// the row is not changed).
    pub async fn replace_file(
        &self,
        found: photo::Model,
        filename: String,
        image: Image<'_>,
    ) -> Result<photo::Model, ApiError> {
        let old = image_of(&found);
        let ingested = self.media.ingest(image.field, image.bytes).await?;
        let stored = &ingested.stored;
        let mut changed: photo::ActiveModel = found.into();
        changed.filename = Set(filename);
        set_image(&mut changed, stored);
        let updated: Result<photo::Model, ApiError> = async {
            let txn = begin_locking(self.db).await?;
            self.media.hold(&txn, &ingested).await?;
            let updated = crate::write::update(&txn, changed).await?;
            txn.commit().await?;
            Ok(updated)
        }
        .await;
        // Whichever image no row names any more now: the old one after the
        // change, the new one when the change failed.
        let released = match &updated {
            Ok(_) => old.into_iter().collect(),
            Err(_) => vec![(stored.sha256.clone(), stored.kind)],
        };
        self.release(released).await;
        updated
    }

    /// Deletes the photo `found` (its tag links go with it), then releases
    /// its image unless another photo names the same one.
    pub async fn delete(&self, found: &photo::Model) -> Result<(), ApiError> {
        crate::write::delete::<photo::Entity>(self.db, found.id).await?;
        self.release(image_of(found).into_iter().collect()).await;
        Ok(())
    }

    /// Deletes the user `owner_id` and everything of theirs (by the foreign
    /// keys' cascade), then releases the images of their photos; `false`
    /// when there was no such user.
    pub async fn delete_owner(&self, owner_id: i32) -> Result<bool, ApiError> {
        // Read before the cascade removes the rows that name them.
        let images = crate::write::images_of_owner(self.db, owner_id).await?;
        if !crate::write::delete::<user::Entity>(self.db, owner_id).await? {
            return Ok(false);
        }
        let images = images
            .into_iter()
            .filter_map(|(hash, content_type)| {
                Some((hash, Kind::from_content_type(&content_type)?))
            })
            .collect();
        self.release(images).await;
        Ok(true)
    }

    /// Removes the objects of each image in `images` that no row names.
    pub async fn release(&self, images: Vec<(String, Kind)>) {
        self.media.release(self.db, images).await;
    }
}

/// The image (hash and kind) a photo row names, if it has one.
fn image_of(row: &photo::Model) -> Option<(String, Kind)> {
    let kind = row
        .content_type
        .as_deref()
        .and_then(Kind::from_content_type)?;
    Some((row.sha256.clone()?, kind))
}

/// Sets the image columns of `row` to what an upload stored.
fn set_image(row: &mut photo::ActiveModel, stored: &Stored) {
    // Limited by --max-image-pixels and --max-upload-bytes long before i32 and i64 overflow.
    row.width = Set(i32::try_from(stored.width).ok());
    row.height = Set(i32::try_from(stored.height).ok());
    row.byte_size = Set(i64::try_from(stored.byte_size).ok());
    row.content_type = Set(Some(stored.kind.content_type().to_owned()));
    row.sha256 = Set(Some(stored.sha256.clone()));
}
