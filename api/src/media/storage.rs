//! Opening the object store that `--storage-url` names: a local directory
//! (`file://DIR`) or an S3-compatible bucket (`s3://BUCKET/PREFIX`).
//! Nothing here knows what the objects are.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL's scheme is not one Folio stores to.
    #[error(
        "--storage-url must be file://DIR (a local directory) or s3://BUCKET/PREFIX; got {0:?}"
    )]
    Unsupported(String),
    /// A query parameter of an `s3://` URL is not one of the S3 settings.
    #[error("unknown S3 setting {0:?} in --storage-url")]
    UnknownSetting(String),
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
    match url::Url::parse(url) {
        Ok(parsed) if parsed.scheme() == "s3" && parsed.host_str().is_some() => s3(&parsed),
        _ => Err(StorageError::Unsupported(url.to_owned())),
    }
}

/// The bucket `s3://BUCKET/PREFIX` names, its objects under PREFIX. The
/// endpoint, region and credentials come from the usual `AWS_*` variables
/// (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, …); the URL's query
/// parameters, named as object_store names them (`endpoint`, `region`,
/// `allow_http`, …), override them.
fn s3(url: &url::Url) -> Result<Arc<dyn ObjectStore>, StorageError> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    let mut builder =
        AmazonS3Builder::from_env().with_bucket_name(url.host_str().unwrap_or_default());
    for (name, value) in url.query_pairs() {
        let key: AmazonS3ConfigKey = name
            .parse()
            .map_err(|_| StorageError::UnknownSetting(name.to_string()))?;
        builder = builder.with_config(key, value);
    }
    let store = builder.build()?;
    let prefix = url.path().trim_matches('/');
    if prefix.is_empty() {
        return Ok(Arc::new(store));
    }
    Ok(Arc::new(object_store::prefix::PrefixStore::new(
        store, prefix,
    )))
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
