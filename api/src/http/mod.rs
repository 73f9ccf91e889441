//! The HTTP front: every transport Folio speaks, and nothing below it.
//!
//! `POST /graphql` (JSON, or multipart with files) and `GET /graphql`
//! answer GraphQL requests (a browser's `GET` gets GraphiQL, an upgrade
//! becomes a WebSocket for subscriptions), `/graphiql/*` serves GraphiQL's
//! own assets, `/media/*` the images, `/healthz` says the process is up and
//! `/readyz` that the database answers and its schema is current. Every
//! response carries an `x-request-id`, and every log line of the request
//! names it; every response carries `X-Content-Type-Options: nosniff`, and
//! every answer to a mutation `Cache-Control: no-store` (it may hold a
//! token, as `login` and `register` do, or the caller's own data). A panic
//! outside GraphQL execution (in a handler or a middleware) is answered 500
//! `INTERNAL_SERVER_ERROR`; one inside it, by [`crate::operation::Executor`].
//!
//! Each transport only turns bytes into an `async_graphql::Request` and a
//! caller, and the outcome back into bytes: every operation, whatever
//! carried it, runs through [`crate::operation::Executor`].
//!
//! - [`middleware`]: request ids, body and time limits, CORS, coded refusals;
//! - [`body`]: how reading a body fails past its limit;
//! - [`request`]: the JSON body of a POST and the query string of a GET;
//! - [`multipart`]: the GraphQL multipart request spec (uploads);
//! - [`negotiate`]: the response's media type and status;
//! - [`socket`]: the WebSocket protocols.

pub mod body;
pub mod connection;
pub mod middleware;
pub mod multipart;
pub mod negotiate;
pub mod request;
pub mod socket;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use headers::HeaderMapExt;
use headers::authorization::{Authorization, Bearer};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{ClientAddress, Tokens};
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::operation::{Caller, Executor, Outcome, Prepared, Transport};
use crate::viewer::Viewer;
use middleware::{BodyLimits, Origins, REQUEST_ID, TimeLimits};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Runs every operation.
    pub executor: Arc<Executor>,
    /// The connection pool, for the readiness probe.
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
    pub uploads: multipart::UploadLimits,
    /// The origins whose pages may use Folio from a browser (`--cors-origins`).
    pub origins: Arc<Origins>,
    /// Each client address's share of the sockets (`--max-sockets-per-address`).
    pub socket_shares: Arc<connection::AddressShares>,
}

/// Compression as configured: none at level 0; else every encoding the
/// client accepts at the configured level, for responses of at least the
/// configured size that are not images, gRPC or event streams.
fn compression(config: &ServerConfig) -> CompressionLayer<impl Predicate + use<>> {
    let worth_it = SizeAbove::new(config.compression_min_bytes)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    let mut layer = CompressionLayer::new();
    if config.compression_level == 0 {
        layer = layer.no_br().no_deflate().no_gzip().no_zstd();
    }
    layer
        .quality(CompressionLevel::Precise(i32::from(
            config.compression_level,
        )))
        .compress_when(worth_it)
}

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
    let cors = state.origins.cors();
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
            middleware::limit_body,
        ))
        .with_state(state)
        .layer(compression(config))
        .layer(axum::middleware::from_fn_with_state(
            TimeLimits {
                ordinary: Duration::from_secs(config.request_timeout_secs),
                upload: Duration::from_secs(config.media.upload_timeout_secs),
            },
            middleware::time_limit,
        ))
        .layer(cors)
        .layer(axum::middleware::map_response(middleware::coded_refusal))
        .layer(CatchPanicLayer::custom(middleware::panicked))
        // No response is to be read as another type than the one it names
        // (the images set it too; this covers JSON, GraphiQL, the probes).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(
            middleware::checked_request_id,
        ))
}

/// Answers a GraphQL request over HTTP: the caller's token is checked
/// first, then what preparing the document found, then the operation runs.
/// The response is written in the media type the client accepts, and
/// stored by no cache when the operation was a mutation; the budget share
/// it held is given back once its JSON is written.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<ClientAddress>,
    prepared: Result<Prepared, async_graphql::ServerError>,
) -> Response {
    let refused =
        |error| negotiate::respond(headers, async_graphql::Response::from_errors(vec![error]));
    let viewer = match viewer(state, headers) {
        Ok(viewer) => viewer,
        Err(err) => return refused(crate::error::request_error(&err)),
    };
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return refused(error),
    };
    let caller = Caller { viewer, client };
    // Decided from the document, not from what the answer holds: a token
    // in `login`'s answer, or in any mutation's to come, is never cached.
    let is_mutation = prepared.operation_type() == Some(OperationType::Mutation);
    match state.executor.run(prepared, caller, Transport::Http).await {
        Outcome::Response(response, room) => {
            let mut http = negotiate::respond(headers, response);
            drop(room);
            if is_mutation {
                http.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            http
        }
        Outcome::Written(body, room) => {
            let http = negotiate::respond_written(headers, body);
            drop(room);
            http
        }
        // A transport that cannot stream is never given a stream.
        Outcome::Stream(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The caller named by the `Authorization: Bearer` header; anonymous without
/// one; `UNAUTHENTICATED` for a malformed, wrongly signed or expired token.
fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, ApiError> {
    let credentials = headers
        .typed_try_get::<Authorization<Bearer>>()
        .map_err(|_| {
            ApiError::Unauthenticated("send the token as `Authorization: Bearer <token>`".into())
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
    if multipart::is_multipart(&headers) {
        return graphql_multipart(&state, &headers, client, request.into_body()).await;
    }
    if !negotiate::is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json (or multipart/form-data to upload files)",
        )
            .into_response();
    }
    let request = match request::read_json(request.into_body()).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let prepared = state.executor.prepare(request);
    answer(&state, &headers, client, prepared).await
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
    if let Err(refusal) = multipart::check_preflight(headers) {
        multipart::discard(body).await;
        return refusal.into_response();
    }
    let refusal = match viewer(state, headers) {
        Ok(Viewer { user_id: Some(_) }) => None,
        Ok(_) => Some(ApiError::Unauthenticated(
            "sign in to upload: send Authorization: Bearer <token>".into(),
        )),
        Err(err) => Some(err),
    };
    if let Some(err) = refusal {
        multipart::discard(body).await;
        let error = crate::error::request_error(&err);
        return negotiate::respond(headers, async_graphql::Response::from_errors(vec![error]));
    }
    let received = match multipart::read(headers, body, state.uploads).await {
        Ok(received) => received,
        Err(refusal) => return refusal.into_response(),
    };
    let mut request = match request::graphql_request(received.operations) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    multipart::attach(&mut request, received.files);
    let prepared = state.executor.prepare(request);
    answer(state, headers, client, prepared).await
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
            Ok(socket) => socket::upgrade(state, socket, &headers, client),
            Err(rejection) => rejection.into_response(),
        };
    }
    let params = match Query::<request::GetParams>::try_from_uri(&uri) {
        Ok(Query(params)) => params,
        Err(rejection) => return rejection.into_response(),
    };
    if params.query.is_none() && negotiate::accepts_html(&headers) {
        return crate::graphiql::page("/graphql");
    }
    let request = match params.into_request() {
        Ok(request) => request,
        Err(err) => {
            let message = format!("`variables` and `extensions` must be JSON objects: {err}");
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
    };
    let prepared = state.executor.prepare(request);
    let is_mutation = prepared
        .as_ref()
        .is_ok_and(|prepared| prepared.operation_type() == Some(OperationType::Mutation));
    if is_mutation {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "mutations are sent with POST",
        )
            .into_response();
    }
    answer(&state, &headers, client, prepared).await
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
