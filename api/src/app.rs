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
use async_graphql_axum::GraphQLRequest;
use axum::Router;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Tokens;
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
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(cors(&config.cors_origins))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
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
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
}

/// Runs one GraphQL request, whose document the handler parsed once
/// ([`crate::schema::parse`]), with a fresh set of loaders and the caller's
/// identity; the same parsed document then orders the response.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    mut request: async_graphql::Request,
    document: Result<ExecutableDocument, ServerError>,
) -> Response {
    let response = match (viewer(state, headers), document) {
        (Err(err), _) => {
            let error =
                async_graphql::ErrorExtensions::extend(&err).into_server_error(Default::default());
            async_graphql::Response::from_errors(vec![error])
        }
        (Ok(_), Err(error)) => async_graphql::Response::from_errors(vec![error]),
        (Ok(viewer), Ok(document)) => {
            let (loaders, batches) = Loaders::new(state.db.clone());
            // The executor consumes its copy; cloning the tree costs far less than parsing.
            request.set_parsed_query(document.clone());
            let request = request.data(loaders).data(viewer);
            let operation = request.operation_name.clone();
            let mut response = batches.run(state.schema.execute(request)).await;
            crate::schema::code_request_errors(&state.schema, &mut response.errors);
            crate::ordering::order_response(&mut response.data, &document, operation.as_deref());
            response
        }
    };
    respond(headers, response)
}

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Writes a GraphQL response as the GraphQL-over-HTTP spec asks: in the media
/// type the client accepts (`application/graphql-response+json` when it asks
/// for it, `application/json` otherwise); with `application/graphql-response+json`
/// a request that failed before execution (parse, validation, limits, token)
/// is a 400 without a `data` entry.
fn respond(headers: &HeaderMap, response: async_graphql::Response) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wants_graphql_json = accept.contains(GRAPHQL_RESPONSE_JSON);
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
        "application/json"
    };
    let mut http = (status, [(header::CONTENT_TYPE, media)], body).into_response();
    http.headers_mut().extend(response.http_headers);
    http
}

/// The caller named by the `Authorization: Bearer` header; anonymous without
/// one; `UNAUTHENTICATED` for a malformed, wrongly signed or expired token.
fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, crate::error::ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::anonymous());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| {
            crate::error::ApiError::Unauthenticated(
                "send the token as `Authorization: Bearer <token>`".into(),
            )
        })?;
    let user_id = state.tokens.verify(token.trim())?;
    Ok(Viewer {
        user_id: Some(user_id),
    })
}

async fn graphql_post(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        )
            .into_response();
    }
    match <GraphQLRequest>::from_request(request, &state).await {
        Ok(graphql) => {
            let request = graphql.into_inner();
            let document = crate::schema::parse(&state.schema, &request.query);
            execute(&state, &headers, request, document).await
        }
        Err(rejection) => rejection.into_response(),
    }
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

/// A browser asking for a page gets GraphiQL; anything else is a GraphQL request.
async fn graphql_get(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
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
    execute(&state, &headers, request, document).await
}

/// Whether the operation of `document` that runs is a mutation (GET may only read).
fn is_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    crate::schema::operation_to_run(document, operation_name)
        .is_some_and(|operation| operation.ty == OperationType::Mutation)
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and has every migration this binary knows, and no other.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.db.ping().await.is_err() {
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
