//! Opening the object store that `--storage-url` names: a local directory
//! (`file://DIR`) or, later, an S3-compatible bucket. Nothing here knows
//! what the objects are.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL's scheme is not one Folio stores to.
    #[error("--storage-url must start with file:// (a local directory); got {0:?}")]
    Unsupported(String),
    /// The directory could not be made.
    #[error("could not create the media directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The store refused its settings.
    #[error("could not open the object store: {0}")]
    Store(#[from] object_store::Error),
}

/// The store at `url`.
pub fn open(url: &str) -> Result<Arc<dyn ObjectStore>, StorageError> {
    if let Some(dir) = url.strip_prefix("file://") {
        return local(dir);
    }
    Err(StorageError::Unsupported(url.to_owned()))
}

/// The directory `dir` (made when missing), relative to the working
/// directory unless absolute.
fn local(dir: &str) -> Result<Arc<dyn ObjectStore>, StorageError> {
    std::fs::create_dir_all(dir).map_err(|source| StorageError::Directory {
        path: dir.to_owned(),
        source,
    })?;
    // Removing an image's last object removes its emptied directories too.
    let store = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
    Ok(Arc::new(store))
}
