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
//!
//! Two photos may name one image, so a release (or `media gc`) that checks
//! "does any row name it?" and then removes its objects could fall between
//! another upload's objects and its row. Each image has a row in
//! `image_locks`, locked by both sides until their transaction ends:
//!
//! - an upload, in the transaction that writes the row naming the image,
//!   locks it ([`Media::hold`]) and puts back any object a release removed
//!   before it got the lock;
//! - a release locks the images (sorted, so two releases cannot deadlock),
//!   then checks which rows name them and removes the objects of the others,
//!   and drops their lock rows, before it commits.
//!
//! Whichever locks first, the other sees its work whole: the release sees
//! the committed row and keeps the objects, or the upload finds the objects
//! gone and writes them again.

pub mod http;
pub mod picture;
pub mod storage;

use std::sync::Arc;

use entity::{image_lock, photo};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IsolationLevel, QueryFilter, QuerySelect, Set, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
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

/// An image [`Media::ingest`] stored: the columns of its row, and its
/// objects' bytes, kept until that row commits so that [`Media::hold`] can
/// put back an object a concurrent release removed.
pub struct Ingested {
    /// The columns of the photo row.
    pub stored: Stored,
    /// Each object's key and bytes.
    objects: Vec<(Path, PutPayload)>,
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
    pub async fn ingest(&self, field: &str, bytes: Vec<u8>) -> Result<Ingested, ApiError> {
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
        let objects: Vec<(Path, PutPayload)> = Size::ALL
            .into_iter()
            .zip([original, large, thumbnail])
            .map(|(size, bytes)| {
                let key = key(&stored.sha256, stored.kind, size);
                (key, PutPayload::from(bytes))
            })
            .collect();
        for (key, bytes) in &objects {
            if let Err(err) = self.store.put(key, bytes.clone()).await {
                // What was written before the failure is no one's: take it back.
                self.remove(&stored.sha256, stored.kind).await;
                return Err(ApiError::Internal(format!("could not store {key}: {err}")));
            }
        }
        Ok(Ingested { stored, objects })
    }

    /// Locks the image `ingested` within `txn`, the transaction that writes
    /// the row naming it, and puts back any of its objects a release removed
    /// since [`Media::ingest`] wrote them. Until `txn` ends no release can
    /// remove them; after it commits, the row keeps them.
    pub async fn hold(
        &self,
        txn: &DatabaseTransaction,
        ingested: &Ingested,
    ) -> Result<(), ApiError> {
        lock_images(txn, std::slice::from_ref(&ingested.stored.sha256)).await?;
        for (key, bytes) in &ingested.objects {
            match self.store.head(key).await {
                Ok(_) => {}
                Err(object_store::Error::NotFound { .. }) => {
                    tracing::debug!(%key, "an object was released while its upload ran; writing it again");
                    self.store.put(key, bytes.clone()).await.map_err(|err| {
                        ApiError::Internal(format!("could not store {key}: {err}"))
                    })?;
                }
                Err(err) => {
                    return Err(ApiError::Internal(format!("could not check {key}: {err}")));
                }
            }
        }
        Ok(())
    }

    /// Removes the objects of each image in `images` (hash and kind) that
    /// no photo row names any more: after a delete commits, or when the row
    /// of a fresh upload did not. The images are locked while they are
    /// checked and removed (see the module's notes). A failure is logged,
    /// not returned: the change the caller made stands, and `folio media gc`
    /// removes what is left.
    pub async fn release(&self, db: &DatabaseConnection, images: Vec<(String, Kind)>) {
        if images.is_empty() {
            return;
        }
        if let Err(err) = self.release_locked(db, images).await {
            tracing::warn!(error = %err, "could not release images; left for media gc");
        }
    }

    /// [`Media::release`], with its failure.
    async fn release_locked(
        &self,
        db: &DatabaseConnection,
        mut images: Vec<(String, Kind)>,
    ) -> Result<(), DbErr> {
        images.sort_by(|a, b| a.0.cmp(&b.0));
        images.dedup_by(|a, b| a.0 == b.0);
        let hashes: Vec<String> = images.iter().map(|(hash, _)| hash.clone()).collect();
        let txn = begin_locking(db).await?;
        lock_images(&txn, &hashes).await?;
        let used = hashes_in_use(&txn, &hashes).await?;
        let mut unused = Vec::new();
        for (hash, kind) in images {
            if !used.contains(&hash) {
                self.remove(&hash, kind).await;
                unused.push(hash);
            }
        }
        unlock_images(&txn, unused).await?;
        txn.commit().await
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
    /// than `min_age` ago (younger ones likely belong to an upload whose row
    /// has not committed yet: it would put them back, but need not), each
    /// removed unless `dry_run`, their images locked as a release locks
    /// them. Returns their keys.
    pub async fn collect_garbage(
        &self,
        db: &DatabaseConnection,
        min_age: std::time::Duration,
        dry_run: bool,
    ) -> Result<Vec<Path>, GcError> {
        use futures_util::TryStreamExt;
        let cutoff = chrono::Utc::now()
            - chrono::TimeDelta::from_std(min_age).unwrap_or(chrono::TimeDelta::MAX);
        let objects: Vec<_> = self.store.list(None).try_collect().await?;
        let mut orphans = Vec::new();
        // One lock and one lookup per batch of hashes, not per object; the
        // batch's images stay locked while their objects are removed.
        for batch in objects.chunks(500) {
            let mut hashes: Vec<String> = batch
                .iter()
                .filter(|object| object.last_modified < cutoff)
                // Only Folio's own keys: anything else in the store is left alone.
                .filter_map(|object| hash_of(&object.location))
                .collect();
            hashes.sort();
            hashes.dedup();
            if hashes.is_empty() {
                continue;
            }
            let txn = begin_locking(db).await?;
            if !dry_run {
                lock_images(&txn, &hashes).await?;
            }
            let used = hashes_in_use(&txn, &hashes).await?;
            let found: Vec<Path> = batch
                .iter()
                .filter(|object| object.last_modified < cutoff)
                .filter(|object| hash_of(&object.location).is_some_and(|h| !used.contains(&h)))
                .map(|object| object.location.clone())
                .collect();
            if !dry_run {
                for key in &found {
                    match self.store.delete(key).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                        Err(err) => return Err(err.into()),
                    }
                }
                let unused = hashes.into_iter().filter(|hash| !used.contains(hash));
                unlock_images(&txn, unused.collect()).await?;
            }
            txn.commit().await?;
            orphans.extend(found);
        }
        Ok(orphans)
    }
}

/// Begins a transaction that takes image locks: `READ COMMITTED` where the
/// backend has levels, so that a check after a lock sees what the holder
/// before it committed; `BEGIN IMMEDIATE` on SQLite, which has one writer
/// at a time and so locks everything at once.
pub async fn begin_locking(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = match db.get_database_backend() {
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        },
        _ => TransactionOptions {
            isolation_level: Some(IsolationLevel::ReadCommitted),
            ..Default::default()
        },
    };
    db.begin_with_options(options).await
}

/// Locks the images `hashes` until `txn` ends, in their order (callers sort
/// them, so that two transactions take their locks in one order): one
/// upsert that creates the lock rows missing and locks every one.
async fn lock_images(txn: &DatabaseTransaction, hashes: &[String]) -> Result<(), DbErr> {
    if hashes.is_empty() {
        return Ok(());
    }
    image_lock::Entity::insert_many(hashes.iter().map(|hash| image_lock::ActiveModel {
        sha256: Set(hash.clone()),
    }))
    .on_conflict(
        OnConflict::column(image_lock::Column::Sha256)
            .update_column(image_lock::Column::Sha256)
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Drops the lock rows of images whose objects `txn` removed: a table of
/// the images that exist, not of every image there ever was.
async fn unlock_images(txn: &DatabaseTransaction, hashes: Vec<String>) -> Result<(), DbErr> {
    if hashes.is_empty() {
        return Ok(());
    }
    image_lock::Entity::delete_many()
        .filter(image_lock::Column::Sha256.is_in(hashes))
        .exec(txn)
        .await?;
    Ok(())
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
