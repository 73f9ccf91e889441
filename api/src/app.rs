//! The HTTP app: routes, middleware and the state they share.
//!
//! `POST /graphql` and `GET /graphql` answer GraphQL requests (a browser's
//! `GET` gets GraphiQL), `/graphiql/*` serves GraphiQL's own assets,
//! `/healthz` says the process is up and `/readyz` that the database answers
//! and its schema is current. Every response carries an `x-request-id`, and
//! every log line of the request names it.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::ServerError;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use headers::HeaderMapExt;
use headers::authorization::{Authorization, Bearer};
use migration::{Migrator, MigratorTrait};
use mime::Mime;
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{ClientAddress, Tokens};
use crate::config::ServerConfig;
use crate::loader::Loaders;
use crate::schema::FolioSchema;
use crate::viewer::Viewer;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema, built once.
    pub schema: FolioSchema,
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Checks the tokens callers send.
    pub tokens: Arc<Tokens>,
    /// Subscriptions: the instance's events and sockets.
    pub live: Arc<crate::live::Hub>,
    /// The largest message a client may send, on HTTP or a WebSocket.
    pub body_limit: usize,
    /// How long `/readyz` waits for the database to answer.
    pub acquire_timeout: Duration,
    /// Where uploaded images are kept and how they are processed.
    pub media: Arc<crate::media::Media>,
    /// What one multipart (upload) request may carry.
    pub uploads: crate::multipart::UploadLimits,
    /// The response values the requests under way may hold (`--max-values-in-flight`).
    pub values_in_flight: Arc<ValuesInFlight>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The app with its routes and middleware.
pub fn router(state: AppState, config: &ServerConfig) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request| {
        let id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
    });
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        // Browsers ask for it on every GraphiQL visit; there is no icon to serve.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .merge(crate::graphiql::router())
        .merge(crate::media::http::router(state.media.clone()))
        .layer(axum::middleware::map_request_with_state(
            BodyLimits {
                ordinary: config.body_limit,
                multipart: config.media.multipart_limit(config.body_limit),
            },
            limit_body,
        ))
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            TimeLimits {
                ordinary: Duration::from_secs(config.request_timeout_secs),
                upload: Duration::from_secs(config.media.upload_timeout_secs),
            },
            time_limit,
        ))
        .layer(cors(&config.cors_origins))
        .layer(axum::middleware::map_response(coded_refusal))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(checked_request_id))
}

/// How long a request may take: uploads get a limit of their own.
#[derive(Debug, Clone, Copy)]
struct TimeLimits {
    ordinary: Duration,
    upload: Duration,
}

/// Answers 408 when a request takes longer than its limit (a multipart
/// upload's, or the ordinary one); [`coded_refusal`] gives it its body.
async fn time_limit(
    State(limits): State<TimeLimits>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let limit = if crate::multipart::is_multipart(request.headers()) {
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
struct BodyLimits {
    /// Every body but a multipart one (`--body-limit`).
    ordinary: usize,
    /// A multipart (upload) body.
    multipart: usize,
}

/// Holds a body to its limit, as tower-http's `RequestBodyLimitLayer` does
/// (413 when the declared length is over it; a body sent in chunks fails
/// to read past it), with the larger limit for a multipart upload.
async fn limit_body(
    State(limits): State<BodyLimits>,
    request: Request,
) -> Result<Request, StatusCode> {
    let limit = if crate::multipart::is_multipart(request.headers()) {
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
async fn checked_request_id(mut request: Request) -> Request {
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
fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
        .to_string()
}

/// Gives the answers the middleware makes by itself (a body over the limit,
/// a request past its time) a GraphQL error body with a code, as every
/// other error has; their status stays as it is.
async fn coded_refusal(response: Response) -> Response {
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

/// Whether reading a body failed because it went past the body limit (a
/// body sent in chunks has no length to refuse it by up front).
pub(crate) fn over_the_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        // An io::Error's `source` skips the error it wraps: look at it too.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && over_the_limit(inner)
        {
            return true;
        }
        next = error.source();
    }
    false
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin.trim()).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static(crate::multipart::PREFLIGHT_HEADERS[0]),
            HeaderName::from_static(crate::multipart::PREFLIGHT_HEADERS[1]),
        ])
}

/// Runs one GraphQL request, whose document the handler parsed once
/// ([`crate::schema::parse`]), with a fresh set of loaders and the caller's
/// identity; the same parsed document then orders the response.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<ClientAddress>,
    mut request: async_graphql::Request,
    document: Result<Arc<ExecutableDocument>, ServerError>,
) -> Response {
    let checked = viewer(state, headers).and_then(|viewer| {
        without_nul(&request)?;
        Ok(viewer)
    });
    // The room a request's values take is held until its response is
    // written out as JSON: the value tree and the text both live until then.
    let mut room = None;
    let response = match (checked, document) {
        (Err(err), _) => {
            let error = crate::error::request_error(&err);
            async_graphql::Response::from_errors(vec![error])
        }
        (Ok(_), Err(error)) => async_graphql::Response::from_errors(vec![error]),
        (Ok(viewer), Ok(document)) => {
            let (loaders, batches) = Loaders::new(state.db.clone());
            // The executor consumes its copy; cloning the tree costs far less than parsing.
            request.set_parsed_query(ExecutableDocument::clone(&document));
            let mut request = request.data(loaders).data(viewer);
            if let Some(client) = client {
                request = request.data(client);
            }
            let operation = request.operation_name.clone();
            let values = crate::schema::estimated_values(
                &document,
                operation.as_deref(),
                &request.variables,
            );
            room = state.values_in_flight.enter(values).await;
            let mut response = batches.run(state.schema.execute(request)).await;
            crate::schema::code_request_errors(&state.schema, &mut response.errors);
            crate::ordering::order_response(&mut response.data, &document, operation.as_deref());
            response
        }
    };
    let http = respond(headers, response);
    drop(room);
    http
}

/// The response values the requests under way may hold, shared out as
/// permits: a request holds as many as its document can return
/// ([`crate::schema::estimated_values`]) while it runs, so that a burst of
/// large queries runs a few at a time instead of holding every large
/// response in memory at once.
pub struct ValuesInFlight {
    room: tokio::sync::Semaphore,
    capacity: u32,
}

impl ValuesInFlight {
    /// Room for `capacity` values at once.
    pub fn new(capacity: u32) -> ValuesInFlight {
        let capacity = capacity.max(1);
        ValuesInFlight {
            room: tokio::sync::Semaphore::new(capacity as usize),
            capacity,
        }
    }

    /// Waits until there is room for `values` more values (at least one; a
    /// request larger than the whole capacity waits for all of it, and runs
    /// alone), and holds it until the permit is dropped.
    pub async fn enter(&self, values: u64) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permits = u32::try_from(values)
            .unwrap_or(u32::MAX)
            .clamp(1, self.capacity);
        // The semaphore is never closed, so this waits rather than fails.
        self.room.acquire_many(permits).await.ok()
    }
}

/// `BAD_USER_INPUT` when a string in the request holds the NUL character,
/// which no text column can store (PostgreSQL refuses it outright): in a
/// variable (the error names it) or written into the query.
pub(crate) fn without_nul(request: &async_graphql::Request) -> Result<(), crate::error::ApiError> {
    fn holds_nul(value: &async_graphql::Value) -> bool {
        use async_graphql::Value;
        match value {
            Value::String(text) => text.contains('\0'),
            Value::List(items) => items.iter().any(holds_nul),
            Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
            _ => false,
        }
    }
    let message = "text may not contain the NUL character (U+0000)";
    for (name, value) in request.variables.iter() {
        if holds_nul(value) {
            return Err(crate::error::ApiError::bad_input(name.as_str(), message));
        }
    }
    // A string literal in the document spells it as an escape (or holds it raw).
    // (The escape's digits have no case, so no lowercased copy is needed.)
    if request.query.contains('\0') || request.query.contains("\\u0000") {
        return Err(crate::error::ApiError::bad_input("query", message));
    }
    Ok(())
}

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
fn accepts_html(headers: &HeaderMap) -> bool {
    quality_of(&accepted(headers), mime::TEXT_HTML.essence_str()) > 0.0
}

/// Whether the request body is declared as JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
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
fn respond(headers: &HeaderMap, response: async_graphql::Response) -> Response {
    let wants_graphql_json = wants_graphql_json(headers);
    // Errors raised before execution have no path and leave no data.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // Serialized straight from the response: a `serde_json::Value` would sort the keys.
    let (status, body) = if wants_graphql_json && request_error {
        let errors = serde_json::json!({ "errors": &response.errors });
        (StatusCode::BAD_REQUEST, serde_json::to_string(&errors))
    } else {
        (StatusCode::OK, serde_json::to_string(&response))
    };
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
    // A refused sign-in says when to come back, as HTTP clients read it.
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

/// The caller named by the `Authorization: Bearer` header; anonymous without
/// one; `UNAUTHENTICATED` for a malformed, wrongly signed or expired token.
fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, crate::error::ApiError> {
    let credentials = headers
        .typed_try_get::<Authorization<Bearer>>()
        .map_err(|_| {
            crate::error::ApiError::Unauthenticated(
                "send the token as `Authorization: Bearer <token>`".into(),
            )
        })?;
    let Some(Authorization(bearer)) = credentials else {
        return Ok(Viewer::anonymous());
    };
    let user_id = state.tokens.verify(bearer.token().trim())?;
    Ok(Viewer {
        user_id: Some(user_id),
    })
}

async fn graphql_post(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let client = request.extensions().get::<ClientAddress>().copied();
    if crate::multipart::is_multipart(&headers) {
        return graphql_multipart(&state, &headers, client, request.into_body()).await;
    }
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json (or multipart/form-data to upload files)",
        )
            .into_response();
    }
    // Read here rather than by async-graphql-axum's extractor, which turns
    // the body limit's error into text and a 400.
    let bytes = match axum::body::to_bytes(request.into_body(), usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) if over_the_limit(&err) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            )
                .into_response();
        }
    };
    let body: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(body) => body,
        Err(err) => {
            let message = format!("the body is not a GraphQL request in JSON: {err}");
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
    };
    let request = match graphql_request(body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let document = crate::schema::parse(&state.schema, &request.query);
    execute(&state, &headers, client, request, document).await
}

/// A multipart POST (the GraphQL multipart request spec): read within the
/// upload limits, its files put where `map` says, then run as any request.
async fn graphql_multipart(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<ClientAddress>,
    body: axum::body::Body,
) -> Response {
    // A cross-site form is refused first; then, since every mutation that
    // takes a file needs a signed-in user, anyone else, before the files are
    // spooled. The body is read and thrown away before the refusal is sent.
    if let Err(refusal) = crate::multipart::check_preflight(headers) {
        crate::multipart::discard(body).await;
        return refusal.into_response();
    }
    let refusal = match viewer(state, headers) {
        Ok(Viewer { user_id: Some(_) }) => None,
        Ok(_) => Some(crate::error::ApiError::Unauthenticated(
            "sign in to upload: send Authorization: Bearer <token>".into(),
        )),
        Err(err) => Some(err),
    };
    if let Some(err) = refusal {
        crate::multipart::discard(body).await;
        let error = crate::error::request_error(&err);
        return respond(headers, async_graphql::Response::from_errors(vec![error]));
    }
    let received = match crate::multipart::read(headers, body, state.uploads).await {
        Ok(received) => received,
        Err(refusal) => return refusal.into_response(),
    };
    let mut request = match graphql_request(received.operations) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    for (path, file) in received.files {
        request.set_upload(&path, file);
    }
    let document = crate::schema::parse(&state.schema, &request.query);
    execute(state, headers, client, request, document).await
}

/// The GraphQL request a POSTed JSON body holds, or the 400 that says why
/// it is none.
#[allow(
    clippy::result_large_err,
    reason = "the error is the response itself, made once per refused request"
)]
fn graphql_request(body: serde_json::Value) -> Result<async_graphql::Request, Response> {
    if let Some((parameter, message)) = misshapen(&body) {
        let body = serde_json::json!({ "errors": [{
            "message": message,
            "extensions": { "code": "BAD_USER_INPUT", "field": parameter },
        }] });
        return Err((
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, mime::APPLICATION_JSON.essence_str())],
            body.to_string(),
        )
            .into_response());
    }
    serde_json::from_value(body).map_err(|err| {
        let message = format!("the body is not a GraphQL request in JSON: {err}");
        (StatusCode::BAD_REQUEST, message).into_response()
    })
}

/// The parameter of a POSTed request that has the wrong JSON type, and
/// what it should be: `query` and `operationName` are strings, `variables`
/// and `extensions` objects (`null` or absent stand for none), and `query`
/// must be there. async-graphql would read a wrong type, or no query, as an
/// empty document.
fn misshapen(body: &serde_json::Value) -> Option<(&'static str, &'static str)> {
    use serde_json::Value;
    let Value::Object(parameters) = body else {
        return Some(("body", "a GraphQL request is a JSON object"));
    };
    /// A parameter's name, the test its value must pass, and what it should be.
    type Expected = (&'static str, fn(&Value) -> bool, &'static str);
    let expected: [Expected; 4] = [
        ("query", Value::is_string, "`query` must be a string"),
        (
            "operationName",
            Value::is_string,
            "`operationName` must be a string or null",
        ),
        (
            "variables",
            Value::is_object,
            "`variables` must be an object or null",
        ),
        (
            "extensions",
            Value::is_object,
            "`extensions` must be an object or null",
        ),
    ];
    if parameters.get("query").is_none_or(Value::is_null) {
        return Some(("query", "a GraphQL request needs a `query`"));
    }
    expected.into_iter().find_map(|(name, fits, message)| {
        let value = parameters.get(name)?;
        (!value.is_null() && !fits(value)).then_some((name, message))
    })
}

/// The parameters of a GraphQL request sent with GET, named as the
/// GraphQL-over-HTTP spec names them. (async-graphql-axum 7.2.1 reads
/// `operation_name` instead of `operationName`, so it would run a GET's
/// document as if no operation had been named.)
#[derive(Debug, serde::Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    /// A JSON object, as text.
    variables: Option<String>,
    /// A JSON object, as text.
    extensions: Option<String>,
}

impl GetParams {
    fn into_request(self) -> Result<async_graphql::Request, serde_json::Error> {
        let mut request = async_graphql::Request::new(self.query.unwrap_or_default());
        request.operation_name = self.operation_name;
        if let Some(variables) = self.variables {
            request.variables = serde_json::from_str(&variables)?;
        }
        if let Some(extensions) = self.extensions {
            request.extensions = serde_json::from_str(&extensions)?;
        }
        Ok(request)
    }
}

/// A WebSocket upgrade starts a socket for subscriptions; a browser asking
/// for a page gets GraphiQL; anything else is a GraphQL request.
async fn graphql_get(
    State(state): State<AppState>,
    client: Option<axum::Extension<ClientAddress>>,
    socket: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let client = client.map(|axum::Extension(client)| client);
    let asks_to_upgrade = headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"));
    if asks_to_upgrade {
        return match socket {
            Ok(socket) => {
                let limit = state.body_limit;
                crate::live::socket::upgrade(state, socket, &headers, client, limit)
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    let params = match Query::<GetParams>::try_from_uri(&uri) {
        Ok(Query(params)) => params,
        Err(rejection) => return rejection.into_response(),
    };
    if params.query.is_none() && accepts_html(&headers) {
        return crate::graphiql::page("/graphql");
    }
    let request = match params.into_request() {
        Ok(request) => request,
        Err(err) => {
            let message = format!("`variables` and `extensions` must be JSON objects: {err}");
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
    };
    let document = crate::schema::parse(&state.schema, &request.query);
    if let Ok(document) = &document
        && is_mutation(document, request.operation_name.as_deref())
    {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "mutations are sent with POST",
        )
            .into_response();
    }
    execute(&state, &headers, client, request, document).await
}

/// Whether the operation of `document` that runs is a mutation (GET may only read).
fn is_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    crate::schema::operation_to_run(document, operation_name)
        .is_some_and(|operation| operation.ty == OperationType::Mutation)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and has every migration this binary knows, and no other.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    // A frozen server accepts the connection and never answers: the probe
    // gives it as long as a request waits for a connection.
    let ping = tokio::time::timeout(state.acquire_timeout, state.db.ping()).await;
    if !matches!(ping, Ok(Ok(()))) {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
    }
    // Read-only: a readiness probe must not create the bookkeeping table.
    match Migrator::get_pending_migrations_read_only(&state.db).await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, "ready"),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "schema unknown to this binary",
        ),
    }
}
