//! `GET /media/{key}`: the stored images, served from the object store.
//!
//! A key names its content for good (it holds the image's hash), so each
//! answer is cacheable forever (`Cache-Control: immutable`) and its `ETag`
//! is the key itself; `If-None-Match` is answered with 304 when the object
//! is there, and like any request for it (404) when it is not. Only keys of
//! Folio's own layout are served.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use object_store::ObjectStoreExt;

use super::{Kind, Media, hash_of};

/// The `/media` routes, over `media`.
pub fn router<S: Clone + Send + Sync + 'static>(media: Arc<Media>) -> Router<S> {
    Router::new()
        .route("/media/{*key}", get(object))
        .with_state(media)
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The object `key`, or a coded 404.
async fn object(
    State(media): State<Arc<Media>>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = object_store::path::Path::parse(&key).ok();
    let kind = key
        .rsplit_once('.')
        .and_then(|(_, extension)| Kind::from_extension(extension));
    let (Some(path), Some(kind)) = (path.filter(|p| hash_of(p).is_some()), kind) else {
        return not_found();
    };
    let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", key.replace('/', "-"))) else {
        return not_found();
    };
    let cached = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == etag || tag.trim() == "*");
    let cache_headers = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
    ];
    if cached {
        // A conditional GET of an object that is not there (never stored, or
        // removed since as unused) is not "not modified": `*` matches only a
        // current object (RFC 9110, 13.1.2), and an ETag only one that still
        // exists. The check asks the store for the object's metadata only.
        return match media.store.head(&path).await {
            Ok(_) => (StatusCode::NOT_MODIFIED, cache_headers).into_response(),
            Err(object_store::Error::NotFound { .. }) => not_found(),
            Err(err) => unreadable(&key, &err),
        };
    }
    match media.store.get(&path).await {
        Ok(found) => {
            let length = found.meta.size;
            let body = Body::from_stream(found.into_stream());
            let mut response = (cache_headers, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(kind.content_type()),
            );
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Err(object_store::Error::NotFound { .. }) => not_found(),
        Err(err) => unreadable(&key, &err),
    }
}

/// A coded 500 for an object the store could not read; the detail is logged.
fn unreadable(key: &str, err: &object_store::Error) -> Response {
    tracing::error!(error = %err, %key, "could not read an object");
    let body = serde_json::json!({ "errors": [{
        "message": "Internal server error",
        "extensions": { "code": "INTERNAL_SERVER_ERROR" },
    }] });
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn not_found() -> Response {
    let body = serde_json::json!({ "errors": [{
        "message": "no image at this address",
        "extensions": { "code": "NOT_FOUND" },
    }] });
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
