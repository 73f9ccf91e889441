//! Uploaded images: checking and resizing them ([`picture`]), keeping them
//! in an object store ([`storage`]), serving them (`GET /media/…`, [`http`])
//! and removing the ones no photo uses any more.
//!
//! Objects are content-addressed: an image's objects are named by the
//! SHA-256 of the original as served, so the same image uploaded twice is
//! stored once, and a name never changes meaning (it can be cached forever).
//! Objects are written before the row that names them commits, and removed
//! when it does not; after a delete commits, the objects no row names any
//! more are removed. What a crash leaves between the two, `folio media gc`
//! finds. This module decides nothing about who may upload: the mutations do.

pub mod http;
pub mod picture;
pub mod storage;

use std::sync::Arc;

use entity::photo;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::Semaphore;

use crate::config::MediaConfig;
use crate::error::ApiError;
pub use picture::{Kind, Processed, Refusal, Sizes};

/// The sizes an image is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The uploaded image, oriented and without metadata.
    Original,
    /// At most `--image-large-size` pixels on its longest side.
    Large,
    /// At most `--image-thumbnail-size` pixels on its longest side.
    Thumbnail,
}

impl Size {
    /// Every size, in the order objects are written.
    pub const ALL: [Size; 3] = [Size::Original, Size::Large, Size::Thumbnail];

    fn name(self) -> &'static str {
        match self {
            Size::Original => "original",
            Size::Large => "large",
            Size::Thumbnail => "thumbnail",
        }
    }
}

/// The object key of `size` of the image whose original has the hash
/// `sha256` and the kind `kind`: `ab/abcdef…/large.jpg`. The first two hex
/// digits spread the objects over 256 directories.
pub fn key(sha256: &str, kind: Kind, size: Size) -> Path {
    let kind = match size {
        Size::Original => kind,
        Size::Large | Size::Thumbnail => kind.derived(),
    };
    let fan = sha256.get(..2).unwrap_or("00");
    Path::from(format!(
        "{fan}/{sha256}/{}.{}",
        size.name(),
        kind.extension()
    ))
}

/// The hash an object key belongs to (its second segment), if it is one of Folio's.
pub fn hash_of(key: &Path) -> Option<String> {
    let parts: Vec<_> = key.parts().collect();
    let [fan, hash, _file] = parts.as_slice() else {
        return None;
    };
    let hash = hash.as_ref();
    let is_hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    (is_hex && hash.starts_with(fan.as_ref())).then(|| hash.to_owned())
}

/// What an upload stored: the columns of its photo row.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Width in pixels, orientation applied.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The original's size in bytes.
    pub byte_size: u64,
    /// The original's kind.
    pub kind: Kind,
    /// The original's SHA-256, lowercase hex: the name of its objects.
    pub sha256: String,
}

/// The image store and its settings, shared by every request.
pub struct Media {
    /// Where objects live.
    pub store: Arc<dyn ObjectStore>,
    /// What images are accepted and which sizes are made.
    pub sizes: Sizes,
    /// The prefix of every image URL handed to clients.
    pub base_url: String,
    /// One permit per image being decoded and resized at once.
    workers: Arc<Semaphore>,
}

impl Media {
    /// Opens the store `config` names, with its settings.
    pub fn open(config: &MediaConfig) -> Result<Media, storage::StorageError> {
        Ok(Media::with_store(
            storage::open(&config.storage.url)?,
            config,
        ))
    }

    /// `store` with `config`'s settings (its storage URL aside).
    pub fn with_store(store: Arc<dyn ObjectStore>, config: &MediaConfig) -> Media {
        Media {
            store,
            sizes: Sizes {
                max_pixels: config.max_image_pixels,
                max_memory: config.max_image_memory_mib.saturating_mul(1024 * 1024),
                time_budget: std::time::Duration::from_millis(config.image_time_budget_ms),
                large: config.large_size,
                thumbnail: config.thumbnail_size,
            },
            base_url: config.media_base_url.trim_end_matches('/').to_owned(),
            workers: Arc::new(Semaphore::new(config.image_workers.max(1))),
        }
    }

    /// Default settings over a store in memory: for building the schema
    /// where nothing is served (the SDL export, unit tests).
    pub fn in_memory() -> Media {
        Media::with_store(
            Arc::new(object_store::memory::InMemory::new()),
            &MediaConfig::default(),
        )
    }

    /// The URL a client fetches `size` of the image `sha256` of `kind` at.
    pub fn url(&self, sha256: &str, kind: Kind, size: Size) -> String {
        format!("{}/{}", self.base_url, key(sha256, kind, size))
    }

    /// Checks and resizes `bytes` on a blocking thread (waiting for one of
    /// the `--image-workers` permits first), then writes its objects.
    /// `BAD_USER_INPUT` on `field` when the bytes are not an acceptable image.
    pub async fn ingest(&self, field: &str, bytes: Vec<u8>) -> Result<Stored, ApiError> {
        let permit = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal("the image workers were closed".into()))?;
        let sizes = self.sizes;
        // The permit goes with the work: a request that stops waiting (its
        // time limit, a shutdown) does not let a further image start while
        // this one still runs.
        let processed = tokio::task::spawn_blocking(move || {
            let processed = picture::process(&bytes, sizes);
            drop(permit);
            processed
        })
        .await
        .map_err(|err| ApiError::Internal(format!("an image task failed: {err}")))?
        .map_err(|refusal| ApiError::bad_input(field, refusal.to_string()))?;
        let stored = Stored {
            width: processed.width,
            height: processed.height,
            byte_size: processed.original.len() as u64,
            kind: processed.kind,
            sha256: processed.sha256.clone(),
        };
        let Processed {
            original,
            large,
            thumbnail,
            ..
        } = processed;
        for (size, bytes) in Size::ALL.into_iter().zip([original, large, thumbnail]) {
            let key = key(&stored.sha256, stored.kind, size);
            if let Err(err) = self.store.put(&key, PutPayload::from(bytes)).await {
                // What was written before the failure is no one's: take it back.
                self.remove(&stored.sha256, stored.kind).await;
                return Err(ApiError::Internal(format!("could not store {key}: {err}")));
            }
        }
        Ok(stored)
    }

    /// Removes the objects of each image in `images` (hash and kind) that
    /// no photo row names any more: after a delete commits, or when the row
    /// of a fresh upload did not. A failure is logged, not returned: the
    /// change the caller made stands, and `folio media gc` removes what is
    /// left.
    pub async fn release(&self, db: &impl ConnectionTrait, images: Vec<(String, Kind)>) {
        if images.is_empty() {
            return;
        }
        let hashes: Vec<String> = images.iter().map(|(hash, _)| hash.clone()).collect();
        let used = match hashes_in_use(db, &hashes).await {
            Ok(used) => used,
            Err(err) => {
                tracing::warn!(error = %err, "could not check which images are still used; left for media gc");
                return;
            }
        };
        for (hash, kind) in images {
            if !used.contains(&hash) {
                self.remove(&hash, kind).await;
            }
        }
    }

    /// Deletes every object of the image `sha256`; one already gone is fine.
    async fn remove(&self, sha256: &str, kind: Kind) {
        for size in Size::ALL {
            let key = key(sha256, kind, size);
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => {
                    tracing::warn!(error = %err, %key, "could not remove an object; left for media gc")
                }
            }
        }
    }

    /// The objects that no photo row names and that were last written more
    /// than `min_age` ago (younger ones may belong to an upload whose row has
    /// not committed yet), each removed unless `dry_run`. Returns their keys.
    pub async fn collect_garbage(
        &self,
        db: &impl ConnectionTrait,
        min_age: std::time::Duration,
        dry_run: bool,
    ) -> Result<Vec<Path>, GcError> {
        use futures_util::TryStreamExt;
        let cutoff = chrono::Utc::now()
            - chrono::TimeDelta::from_std(min_age).unwrap_or(chrono::TimeDelta::MAX);
        let objects: Vec<_> = self.store.list(None).try_collect().await?;
        let mut orphans = Vec::new();
        // One lookup per batch of hashes, not per object.
        for batch in objects.chunks(500) {
            let hashes: Vec<String> = batch
                .iter()
                .filter_map(|object| hash_of(&object.location))
                .collect();
            let used = hashes_in_use(db, &hashes).await?;
            orphans.extend(
                batch
                    .iter()
                    .filter(|object| object.last_modified < cutoff)
                    // Only Folio's own keys: anything else in the store is left alone.
                    .filter(|object| hash_of(&object.location).is_some_and(|h| !used.contains(&h)))
                    .map(|object| object.location.clone()),
            );
        }
        if !dry_run {
            for key in &orphans {
                match self.store.delete(key).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(orphans)
    }
}

/// Why `folio media gc` stopped.
#[derive(Debug, thiserror::Error)]
pub enum GcError {
    /// Listing or deleting objects failed.
    #[error("the object store failed: {0}")]
    Store(#[from] object_store::Error),
    /// Reading which images are used failed.
    #[error("the database failed: {0}")]
    Database(#[from] DbErr),
}

/// Of `hashes`, those that some photo row names in `sha256`: images whose
/// objects must stay. One statement, on the `sha256` index.
pub async fn hashes_in_use(
    db: &impl ConnectionTrait,
    hashes: &[String],
) -> Result<std::collections::HashSet<String>, DbErr> {
    if hashes.is_empty() {
        return Ok(Default::default());
    }
    let used: Vec<Option<String>> = photo::Entity::find()
        .select_only()
        .column(photo::Column::Sha256)
        .filter(photo::Column::Sha256.is_in(hashes.iter().cloned()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(used.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_hash() {
        let hash = "ab".repeat(32);
        let key = key(&hash, Kind::WebP, Size::Thumbnail);
        assert_eq!(key.as_ref(), format!("ab/{hash}/thumbnail.png"));
        assert_eq!(hash_of(&key), Some(hash));
        assert_eq!(hash_of(&Path::from("ab/not-a-hash/original.jpg")), None);
        assert_eq!(hash_of(&Path::from("stray.txt")), None);
    }
}
