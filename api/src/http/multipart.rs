//! The GraphQL multipart request spec on `POST /graphql`: an `operations`
//! part (the GraphQL request in JSON, `null` where each file goes), a `map`
//! part (which part fills which variable), then the files.
//!
//! Read here, by `multer`, so that every limit holds while the body streams
//! in: the `operations` and `map` parts within the ordinary body limit, each
//! file within `--max-upload-bytes`, at most `--max-upload-files` files.
//! Past a limit the request is a 413 (`PAYLOAD_TOO_LARGE`) before the rest
//! is read, and nothing is stored. Each file is spooled to an unnamed
//! temporary file, which the OS removes once closed.
//!
//! A file is one open descriptor however many paths `map` lists for it: a
//! resolver opens its own handle only while it reads the file
//! (`crate::types::upload`). `map` may list at most [`PATHS_PER_FILE`] paths
//! per allowed file in all, checked before any file is spooled.
//!
//! A form in another site's page can post `multipart/form-data` without a
//! CORS preflight, with the visitor's cookies. Folio reads tokens from a
//! header, not cookies, but as Apollo Server does it refuses a multipart
//! request without a header no plain form can set (`Apollo-Require-Preflight`
//! or `X-Apollo-Operation-Name`), so that no cross-site form can post one.
//!
//! It does not run the request, nor decide what a file may hold.

use std::collections::HashMap;
use std::io::{Seek, SeekFrom};

use async_graphql::UploadValue;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

/// The headers that show a request was not sent by a plain HTML form:
/// a browser sends them cross-site only after a CORS preflight.
pub const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// How many variable paths `map` may list in all, per file a request may
/// upload: more than a client has a use for (one file filling a few
/// variables), few enough that resolving them costs nothing.
pub const PATHS_PER_FILE: usize = 10;

/// What one multipart request may carry.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// The most bytes of one file.
    pub file_bytes: u64,
    /// The most files; `map` may list at most [`PATHS_PER_FILE`] times as
    /// many paths.
    pub files: usize,
    /// The most bytes of the `operations` and of the `map` part each.
    pub part_bytes: u64,
    /// The most bytes of the whole body.
    pub body_bytes: u64,
}

/// A multipart request, read: the GraphQL request (still JSON) and the
/// files with the variable paths they fill (`variables.input.file`).
pub struct Received {
    /// The `operations` part.
    pub operations: serde_json::Value,
    /// Each file, once, with every path it fills.
    pub files: Vec<(Vec<String>, UploadValue)>,
}

/// Why a multipart request was refused; each is answered with a coded error.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// 413 `PAYLOAD_TOO_LARGE`: a part, the file count or the body is over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// 400 `PREFLIGHT_REQUIRED`: none of [`PREFLIGHT_HEADERS`] was sent.
    #[error(
        "a multipart request must carry an `Apollo-Require-Preflight` (any value) or an \
         `X-Apollo-Operation-Name` header, which a cross-site form cannot send"
    )]
    NotPreflighted,
    /// 400 `BAD_USER_INPUT`, naming the part at fault: the body does not follow the spec.
    #[error("{message}")]
    Malformed {
        /// The part at fault (`operations`, `map`, a file's part name, or `body`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// 408 `REQUEST_TIMEOUT`: the body arrived slower than the minimum rate.
    #[error("{0}")]
    TooSlow(String),
    /// 500: a temporary file could not be written; the detail is logged.
    #[error("could not spool an upload: {0}")]
    Spool(std::io::Error),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code, field) = match &self {
            Refusal::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", None),
            Refusal::NotPreflighted => (StatusCode::BAD_REQUEST, "PREFLIGHT_REQUIRED", None),
            Refusal::TooSlow(_) => (StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", None),
            Refusal::Malformed { field, .. } => (
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                Some(field.clone()),
            ),
            Refusal::Spool(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                None,
            ),
        };
        let message = match &self {
            Refusal::Spool(err) => {
                tracing::error!(error = %err, "could not spool an upload");
                "Internal server error".to_owned()
            }
            other => other.to_string(),
        };
        let mut extensions = serde_json::json!({ "code": code });
        if let Some(field) = field {
            extensions["field"] = field.into();
        }
        let body =
            serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
        (
            status,
            [(header::CONTENT_TYPE, mime::APPLICATION_JSON.essence_str())],
            body.to_string(),
        )
            .into_response()
    }
}

/// Whether the body is declared as `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
        .is_some_and(|media| media.essence_str() == mime::MULTIPART_FORM_DATA.essence_str())
}

fn malformed(field: &str, message: impl Into<String>) -> Refusal {
    Refusal::Malformed {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// `PREFLIGHT_REQUIRED` unless the request carries one of [`PREFLIGHT_HEADERS`].
pub fn check_preflight(headers: &HeaderMap) -> Result<(), Refusal> {
    if PREFLIGHT_HEADERS
        .iter()
        .any(|name| headers.contains_key(*name))
    {
        Ok(())
    } else {
        Err(Refusal::NotPreflighted)
    }
}

/// The most of a refused request's body that is read and thrown away
/// before the refusal is sent.
const DISCARDED_BYTES: usize = 32 * 1024 * 1024;

/// The longest a refused request's body is read for.
const DISCARD_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads the body of a request refused before its body (no preflight
/// header, no valid token) and throws it away, up to [`DISCARDED_BYTES`]
/// and [`DISCARD_TIME`]. A client that sends its body in several writes
/// would otherwise meet a closed connection half-way and never read the
/// refusal (browsers and Node's `fetch` report only a network error).
pub async fn discard(body: Body) {
    use http_body_util::BodyExt;
    let reading = async {
        let mut body = body;
        let mut read = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |data| data.len());
            if read > DISCARDED_BYTES {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIME, reading).await;
}

/// Reads a multipart GraphQL request from `body` within `limits`.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limits: UploadLimits,
) -> Result<Received, Refusal> {
    check_preflight(headers)?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| multer::parse_boundary(value).ok())
        .ok_or_else(|| malformed("body", "the multipart content type has no boundary"))?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limits.body_bytes)
            .per_field(limits.file_bytes)
            .for_field("operations", limits.part_bytes)
            .for_field("map", limits.part_bytes),
    );
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);

    let mut operations: Option<serde_json::Value> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files = Vec::new();
    let mut file_count = 0;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|err| refusal(err, limits))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match (name.as_str(), &operations, &map) {
            ("operations", None, None) => {
                let bytes = field.bytes().await.map_err(|err| refusal(err, limits))?;
                let value = serde_json::from_slice(&bytes).map_err(|err| {
                    malformed("operations", format!("`operations` is not JSON: {err}"))
                })?;
                if !matches!(value, serde_json::Value::Object(_)) {
                    return Err(malformed(
                        "operations",
                        "`operations` must be one GraphQL request (a JSON object); batches are not accepted",
                    ));
                }
                operations = Some(value);
            }
            ("map", Some(_), None) => {
                let bytes = field.bytes().await.map_err(|err| refusal(err, limits))?;
                let parsed: HashMap<String, Vec<String>> =
                    serde_json::from_slice(&bytes).map_err(|_| {
                        malformed(
                            "map",
                            "`map` must be a JSON object of part names to lists of variable paths",
                        )
                    })?;
                let most = limits.files.saturating_mul(PATHS_PER_FILE);
                if parsed.values().map(Vec::len).sum::<usize>() > most {
                    return Err(malformed(
                        "map",
                        format!("`map` may list at most {most} variable paths in all"),
                    ));
                }
                map = Some(parsed);
            }
            (_, Some(_), Some(_)) => {
                let paths = map
                    .as_mut()
                    .and_then(|map| map.remove(&name))
                    .ok_or_else(|| {
                        malformed(&name, format!("the part {name:?} is not named in `map`"))
                    })?;
                file_count += 1;
                if file_count > limits.files {
                    return Err(Refusal::TooLarge(format!(
                        "a request may upload at most {} files",
                        limits.files
                    )));
                }
                let filename = field.file_name().unwrap_or_default().to_owned();
                let content_type = field.content_type().map(ToString::to_string);
                let mut spool =
                    tokio::fs::File::from_std(tempfile::tempfile().map_err(Refusal::Spool)?);
                while let Some(chunk) = field.chunk().await.map_err(|err| refusal(err, limits))? {
                    spool.write_all(&chunk).await.map_err(Refusal::Spool)?;
                }
                spool.flush().await.map_err(Refusal::Spool)?;
                let mut content = spool.into_std().await;
                content.seek(SeekFrom::Start(0)).map_err(Refusal::Spool)?;
                files.push((
                    paths,
                    UploadValue {
                        filename,
                        content_type,
                        content,
                    },
                ));
            }
            _ => {
                return Err(malformed(
                    "body",
                    "send the `operations` part first, then `map`, then the files",
                ));
            }
        }
    }
    let (Some(operations), Some(map)) = (operations, map) else {
        return Err(malformed(
            "body",
            "a multipart GraphQL request has an `operations` and a `map` part",
        ));
    };
    if let Some(missing) = map.keys().next() {
        return Err(malformed(
            missing,
            format!("`map` names the part {missing:?}, which was not sent"),
        ));
    }
    Ok(Received { operations, files })
}

/// Puts each file where `map` said, in `request`'s variables. A file is
/// handed to async-graphql once (`set_upload`, at its first path that names
/// a variable), which writes a reference to it there; its other paths get
/// the same reference, so a file mapped to several paths is still one open
/// descriptor. Paths that name no variable are ignored, as `set_upload`
/// ignores them.
pub fn attach(request: &mut async_graphql::Request, files: Vec<(Vec<String>, UploadValue)>) {
    for (paths, file) in files {
        let Some(first) = paths
            .iter()
            .position(|path| variable_at(&mut request.variables, path).is_some())
        else {
            continue;
        };
        request.set_upload(&paths[first], file);
        let Some(reference) = variable_at(&mut request.variables, &paths[first]).cloned() else {
            continue;
        };
        for path in &paths[first + 1..] {
            if let Some(slot) = variable_at(&mut request.variables, path) {
                *slot = reference.clone();
            }
        }
    }
}

/// The value at a spec path (`variables.input.files.0`), read as
/// async-graphql's `set_upload` reads one: dot-separated, list items by index.
fn variable_at<'a>(
    variables: &'a mut async_graphql::Variables,
    path: &str,
) -> Option<&'a mut async_graphql::Value> {
    use async_graphql::Value;
    let mut parts = path.strip_prefix("variables.")?.split('.');
    let initial = variables.get_mut(parts.next()?)?;
    parts.try_fold(initial, |current, part| match current {
        Value::List(list) => part.parse::<usize>().ok().and_then(|idx| list.get_mut(idx)),
        Value::Object(object) => object.get_mut(part),
        _ => None,
    })
}

/// The refusal for a failure to read the body: over a limit (multer's, or
/// the body limit under it) is 413; anything else malformed.
fn refusal(err: multer::Error, limits: UploadLimits) -> Refusal {
    match err {
        multer::Error::FieldSizeExceeded { field_name, .. } => match field_name.as_deref() {
            Some(part @ ("operations" | "map")) => Refusal::TooLarge(format!(
                "the `{part}` part may be at most {} bytes",
                limits.part_bytes
            )),
            _ => Refusal::TooLarge(format!("a file may be at most {} bytes", limits.file_bytes)),
        },
        multer::Error::StreamSizeExceeded { .. } => Refusal::TooLarge(format!(
            "the request body may be at most {} bytes",
            limits.body_bytes
        )),
        multer::Error::StreamReadFailed(source) if super::body::over_the_limit(source.as_ref()) => {
            Refusal::TooLarge(format!(
                "the request body may be at most {} bytes",
                limits.body_bytes
            ))
        }
        multer::Error::StreamReadFailed(source) if super::body::too_slow(source.as_ref()) => {
            Refusal::TooSlow(source.to_string())
        }
        multer::Error::StreamReadFailed(_) => {
            malformed("body", "the request body could not be read")
        }
        other => malformed("body", format!("the multipart body is malformed: {other}")),
    }
}
