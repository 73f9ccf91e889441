//! Content negotiation: which media type a client gets its GraphQL response
//! in, and the response itself as the GraphQL-over-HTTP spec writes it
//! (status, body, `Retry-After`), with the two statuses Folio adds to the
//! spec's: 503 while the database cannot be reached, 500 for an operation
//! that panicked.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use headers::HeaderMapExt;
use mime::Mime;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The media ranges of the `Accept` header, each with its quality (`q`,
/// 1 when absent); ranges that do not parse are left out.
fn accepted(headers: &HeaderMap) -> Vec<(Mime, f32)> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|range| range.trim().parse::<Mime>().ok())
        .map(|range| {
            let quality = range
                .get_param("q")
                .and_then(|q| q.as_str().parse::<f32>().ok())
                .unwrap_or(1.0);
            (range, quality)
        })
        .collect()
}

/// The highest quality `accepted` gives the media type `essence` by name
/// (wildcards aside); 0 when it is not listed.
fn quality_of(accepted: &[(Mime, f32)], essence: &str) -> f32 {
    accepted
        .iter()
        .filter(|(range, _)| range.essence_str() == essence)
        .map(|&(_, quality)| quality)
        .fold(0.0, f32::max)
}

/// Whether the client prefers `application/graphql-response+json`: it lists
/// it, and at least as highly as `application/json`. Wildcards alone get
/// `application/json`, which every client understands.
fn wants_graphql_json(headers: &HeaderMap) -> bool {
    let accepted = accepted(headers);
    let graphql = quality_of(&accepted, GRAPHQL_RESPONSE_JSON);
    graphql > 0.0 && graphql >= quality_of(&accepted, mime::APPLICATION_JSON.essence_str())
}

/// Whether the client asks for an HTML page (a browser).
pub fn accepts_html(headers: &HeaderMap) -> bool {
    quality_of(&accepted(headers), mime::TEXT_HTML.essence_str()) > 0.0
}

/// Whether the request body is declared as JSON (`application/json`, any parameters).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .typed_get::<headers::ContentType>()
        .map(Mime::from)
        .is_some_and(|media| media.essence_str() == mime::APPLICATION_JSON.essence_str())
}

/// Writes a GraphQL response as the GraphQL-over-HTTP spec asks: in the media
/// type the client accepts (`application/graphql-response+json` when it asks
/// for it, `application/json` otherwise); with `application/graphql-response+json`
/// a request that failed before execution (parse, validation, limits, token)
/// is a 400 without a `data` entry.
///
/// Two answers are server faults, in either media type, so that load
/// balancers, proxies and HTTP clients that never read the body see them
/// as such: a response any of whose errors is `SERVICE_UNAVAILABLE` (the
/// database cannot be reached) is a 503, whatever else it holds, and says
/// when to try again in `Retry-After`; a request error coded
/// `INTERNAL_SERVER_ERROR` (an operation that panicked) is a 500. Every
/// other response that ran is a 200, its errors in the body.
pub fn respond(headers: &HeaderMap, response: async_graphql::Response) -> Response {
    let wants_graphql_json = wants_graphql_json(headers);
    let request_error = crate::operation::is_request_error(&response);
    let has_code = |code: &str| response.errors.iter().any(|e| code_of(e) == Some(code));
    let fault = if has_code("SERVICE_UNAVAILABLE") {
        Some(StatusCode::SERVICE_UNAVAILABLE)
    } else if request_error && has_code("INTERNAL_SERVER_ERROR") {
        Some(StatusCode::INTERNAL_SERVER_ERROR)
    } else {
        None
    };
    // Serialized straight from the response: a `serde_json::Value` would sort the keys.
    let (status, body) = if wants_graphql_json && request_error {
        let errors = serde_json::json!({ "errors": &response.errors });
        (StatusCode::BAD_REQUEST, serde_json::to_string(&errors))
    } else {
        (StatusCode::OK, serde_json::to_string(&response))
    };
    let status = fault.unwrap_or(status);
    let Ok(body) = body else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let media = if wants_graphql_json {
        GRAPHQL_RESPONSE_JSON
    } else {
        mime::APPLICATION_JSON.essence_str()
    };
    let mut http = (status, [(header::CONTENT_TYPE, media)], body).into_response();
    http.headers_mut().extend(response.http_headers);
    // A refused sign-in, or an outage, says when to come back, as HTTP
    // clients read it (`SERVICE_UNAVAILABLE` always carries `retryAfter`).
    let retry_after = response
        .errors
        .iter()
        .filter_map(|error| error.extensions.as_ref()?.get("retryAfter"))
        .filter_map(|value| match value {
            async_graphql::Value::Number(seconds) => seconds.as_u64(),
            _ => None,
        })
        .max();
    if let Some(seconds) = retry_after {
        http.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    http
}

/// Writes a planned response, `body` (which has data and no errors): a
/// 200 in the media type the client accepts, as [`respond`] writes it.
pub fn respond_written(headers: &HeaderMap, body: Vec<u8>) -> Response {
    let media = if wants_graphql_json(headers) {
        GRAPHQL_RESPONSE_JSON
    } else {
        mime::APPLICATION_JSON.essence_str()
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, media)], body).into_response()
}

/// The `extensions.code` of `error`, when it has one.
fn code_of(error: &async_graphql::ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use async_graphql::ErrorExtensions;

    /// The status and `Retry-After` `respond` gives the response `make`
    /// makes, for each response media type.
    fn answers(make: impl Fn() -> async_graphql::Response) -> Vec<(StatusCode, Option<String>)> {
        ["application/json", GRAPHQL_RESPONSE_JSON]
            .into_iter()
            .map(|accept| {
                let mut headers = HeaderMap::new();
                headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
                let http = respond(&headers, make());
                let retry_after = http
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                (http.status(), retry_after)
            })
            .collect()
    }

    #[test]
    fn an_unreachable_database_is_a_503_with_retry_after_in_either_media_type() {
        // On a field (the usual case), and for the whole request, which
        // would otherwise be a request error.
        for on_a_field in [true, false] {
            let unavailable = || {
                let mut error = ApiError::ServiceUnavailable
                    .extend()
                    .into_server_error(Default::default());
                if on_a_field {
                    error.path = vec![async_graphql::PathSegment::Field("user".into())];
                }
                async_graphql::Response::from_errors(vec![error])
            };
            let seconds = crate::error::SERVICE_UNAVAILABLE_RETRY_AFTER_SECS.to_string();
            for answer in answers(unavailable) {
                assert_eq!(
                    answer,
                    (StatusCode::SERVICE_UNAVAILABLE, Some(seconds.clone()))
                );
            }
        }
    }

    #[test]
    fn a_panicked_operation_is_a_500_in_either_media_type() {
        let panicked = || {
            let payload: Box<dyn std::any::Any + Send> = Box::new("the secret");
            async_graphql::Response::from_errors(vec![crate::error::panicked(payload.as_ref())])
        };
        for answer in answers(panicked) {
            assert_eq!(answer, (StatusCode::INTERNAL_SERVER_ERROR, None));
        }
    }
}
