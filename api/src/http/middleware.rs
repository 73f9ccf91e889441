//! The middleware around every route: the request id a client may not
//! choose, body and time limits (uploads get their own), CORS, and coded
//! bodies for the answers the middleware makes by itself (413, 408, and
//! 500 for a handler that panicked).
//!
//! It reads headers and bodies only; it runs no GraphQL.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How long a request may take: uploads get a limit of their own.
#[derive(Debug, Clone, Copy)]
pub struct TimeLimits {
    /// Every request but a multipart one (`--request-timeout`).
    pub ordinary: Duration,
    /// A multipart (upload) request (`--upload-timeout`).
    pub upload: Duration,
}

/// Answers 408 when a request takes longer than its limit (a multipart
/// upload's, or the ordinary one); [`coded_refusal`] gives it its body.
pub async fn time_limit(
    State(limits): State<TimeLimits>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let limit = if super::multipart::is_multipart(request.headers()) {
        limits.upload
    } else {
        limits.ordinary
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// The largest request bodies: uploads get a limit of their own.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Every body but a multipart one (`--body-limit`).
    pub ordinary: usize,
    /// A multipart (upload) body.
    pub multipart: usize,
}

/// Holds a body to its limit, as tower-http's `RequestBodyLimitLayer` does
/// (413 when the declared length is over it; a body sent in chunks fails
/// to read past it), with the larger limit for a multipart upload.
pub async fn limit_body(
    State(limits): State<BodyLimits>,
    request: Request,
) -> Result<Request, StatusCode> {
    let limit = if super::multipart::is_multipart(request.headers()) {
        limits.multipart
    } else {
        limits.ordinary
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    Ok(request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit))))
}

/// The longest `x-request-id` a client may choose.
const MAX_REQUEST_ID: usize = 64;

/// Drops a client's `x-request-id` unless it is 1 to [`MAX_REQUEST_ID`]
/// visible ASCII characters, so that a new one is made in its place: the id
/// is written into every log line of the request, and a client must not
/// choose what those lines say.
pub async fn checked_request_id(mut request: Request) -> Request {
    let acceptable = |value: &HeaderValue| {
        let bytes = value.as_bytes();
        (1..=MAX_REQUEST_ID).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic)
    };
    let headers = request.headers_mut();
    let values: Vec<&HeaderValue> = headers.get_all(&REQUEST_ID).iter().collect();
    if !(values.len() == 1 && acceptable(values[0])) {
        headers.remove(&REQUEST_ID);
    }
    request
}

/// A GraphQL error body: one error with `code` and `message`.
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
        .to_string()
}

/// Gives the answers the middleware makes by itself (a body over the limit,
/// a request past its time) a GraphQL error body with a code, as every
/// other error has; their status stays as it is.
pub async fn coded_refusal(response: Response) -> Response {
    let (code, message) = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "PAYLOAD_TOO_LARGE",
            "the request body is larger than the server accepts",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "REQUEST_TIMEOUT",
            "the request took too long and was stopped",
        ),
        _ => return response,
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"));
    if is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(error_body(code, message)))
}

/// The answer to a panic outside GraphQL execution (a handler's or a
/// middleware's; the executor catches its own): a 500 with a coded body
/// and the generic message. The panic's message is logged, never sent.
pub fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(
        panic = crate::error::panic_message(payload.as_ref()),
        "a request handler panicked; it was answered 500"
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        error_body("INTERNAL_SERVER_ERROR", crate::error::INTERNAL_MESSAGE),
    )
        .into_response()
}

/// The origins `--cors-origins` lets in: any (`*`), or a list.
#[derive(Debug, Clone)]
pub enum Origins {
    /// `*`: every origin.
    Any,
    /// These origins, exactly (`https://app.example`).
    List(Vec<HeaderValue>),
}

impl Origins {
    /// The origins `--cors-origins` names.
    pub fn new(origins: &[String]) -> Origins {
        if origins.iter().any(|origin| origin.trim() == "*") {
            Origins::Any
        } else {
            Origins::List(
                origins
                    .iter()
                    .filter_map(|origin| HeaderValue::from_str(origin.trim()).ok())
                    .collect(),
            )
        }
    }

    /// Whether a page of `origin` may use Folio from a browser: it is
    /// allowed by `--cors-origins`, or it is Folio's own (the page GraphiQL
    /// is served from: `http` or `https` and the request's `host`).
    pub fn allow(&self, origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
        let own = host
            .and_then(|host| host.to_str().ok())
            .zip(origin.to_str().ok())
            .is_some_and(|(host, origin)| {
                ["http://", "https://"].iter().any(|scheme| {
                    origin
                        .strip_prefix(scheme)
                        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
                })
            });
        own || match self {
            Origins::Any => true,
            Origins::List(list) => list.iter().any(|allowed| allowed == origin),
        }
    }

    /// CORS for these origins, for GraphQL's methods and headers.
    pub fn cors(&self) -> CorsLayer {
        let allow = match self {
            Origins::Any => AllowOrigin::any(),
            Origins::List(list) => AllowOrigin::list(list.iter().cloned()),
        };
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static(super::multipart::PREFLIGHT_HEADERS[0]),
                HeaderName::from_static(super::multipart::PREFLIGHT_HEADERS[1]),
            ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &'static str) -> HeaderValue {
        HeaderValue::from_static(text)
    }

    #[test]
    fn an_origin_is_allowed_when_listed_or_when_it_is_folios_own() {
        let listed = Origins::new(&["https://app.example".to_owned()]);
        let host = value("127.0.0.1:8000");
        assert!(listed.allow(&value("https://app.example"), Some(&host)));
        assert!(listed.allow(&value("http://127.0.0.1:8000"), Some(&host)));
        assert!(listed.allow(&value("https://127.0.0.1:8000"), Some(&host)));
        assert!(!listed.allow(&value("https://evil.example"), Some(&host)));
        assert!(!listed.allow(&value("http://127.0.0.1:9000"), Some(&host)));
        assert!(!listed.allow(&value("null"), Some(&host)));
        assert!(!listed.allow(&value("https://evil.example"), None));
        let any = Origins::new(&["*".to_owned()]);
        assert!(any.allow(&value("https://evil.example"), Some(&host)));
        let none = Origins::new(&[]);
        assert!(!none.allow(&value("https://app.example"), Some(&host)));
    }

    #[tokio::test]
    async fn a_handler_that_panics_is_a_coded_500_without_its_message() {
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|| async {
                    panic!("the secret at row 42");
                    #[allow(unreachable_code, reason = "the handler's type needs a return")]
                    ""
                }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked));
        let request = || Request::builder().uri("/").body(axum::body::Body::empty());
        let Ok(request) = request() else {
            panic!("a request to /");
        };
        let Ok(response) = app.clone().oneshot(request).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
            "{body}"
        );
        assert!(!body.to_string().contains("secret"), "{body}");
    }
}
