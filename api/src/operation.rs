//! The one way a GraphQL operation runs, whatever carried it: `POST`, `GET`,
//! a multipart upload or a WebSocket `subscribe` all hand their request to
//! [`Executor`], in two steps.
//!
//! 1. [`Executor::prepare`]: the NUL check, then the parse (the cache and the
//!    shape limits of [`crate::document`]). A transport may look at what it
//!    prepared (`GET` refuses a mutation) before it runs it.
//! 2. [`Executor::run`]: validation and execution by async-graphql with the
//!    caller's viewer and a fresh set of loaders, the values-in-flight share
//!    taken only once the document is valid ([`crate::budget`]), the request
//!    timeout, the codes of errors raised before execution, and the
//!    response's fields in selection order. A subscription, where the
//!    transport can stream, becomes a stream of such responses instead.
//!    A panic while an operation runs is caught here, logged, and answered
//!    `INTERNAL_SERVER_ERROR` (`unless_panicked`); the transport and the
//!    server carry on.
//!
//! It knows nothing of HTTP or WebSocket framing: transports turn bytes into
//! an `async_graphql::Request` and a [`Caller`], and an [`Outcome`] back
//! into bytes.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Response, ServerError};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use sea_orm::DatabaseConnection;

use crate::auth::ClientAddress;
use crate::budget::{OnlyValidate, Room, ValuesInFlight};
use crate::config::{Execution, QueryLimits};
use crate::document::Documents;
use crate::document::types::{Concrete, ConcreteTypes, SchemaTypes};
use crate::error::ApiError;
use crate::loader::Loaders;
use crate::media::Media;
use crate::plan::{Plan, Plans};
use crate::schema::FolioSchema;
use crate::viewer::Viewer;

/// Runs operations: the schema and everything a request needs besides it.
pub struct Executor {
    /// The GraphQL schema, built once.
    pub schema: FolioSchema,
    /// The connection pool the loaders read through.
    db: DatabaseConnection,
    /// The limits the parse holds documents to, and names in its errors.
    limits: QueryLimits,
    /// Documents parsed before, by their text.
    documents: Documents,
    /// The response values the requests under way may hold.
    values_in_flight: Arc<ValuesInFlight>,
    /// How long a query or a mutation over a socket may run (`--request-timeout`).
    timeout: Duration,
    /// The instance's events, which subscriptions read.
    live: Arc<crate::live::Hub>,
    /// Plans of the query documents sent before, and how many ran how.
    plans: Arc<Plans>,
    /// Whether queries run their plans (`--execution`).
    execution: Execution,
    /// The image store, which planned photo URLs name.
    media: Arc<Media>,
    /// The schema's field types and interfaces, which decide what an error
    /// nulls and which fragments order an object.
    types: Arc<SchemaTypes>,
    /// The subscriptions running, shared by the subscribers who ask the same.
    fanout: Arc<crate::fanout::Fanout>,
}

/// What a shared subscription needs to resolve each event on its own
/// (see [`crate::fanout`]): up to [`EachEvent::AT_ONCE`] events are
/// resolved at once, each by an execution of its own over the one event,
/// and their responses are handed on in the events' order. One after the
/// other, each event waited its turn for a pool connection behind the
/// requests under way, and a busy server's feed outran its subscribers.
struct EachEvent {
    schema: FolioSchema,
    db: DatabaseConnection,
    live: Arc<crate::live::Hub>,
    limits: QueryLimits,
    types: Arc<SchemaTypes>,
    document: Arc<ExecutableDocument>,
    query: String,
    variables: async_graphql::Variables,
    operation: Option<String>,
    viewer: Viewer,
}

impl EachEvent {
    /// How many events of one shared subscription are resolved at once.
    const AT_ONCE: usize = 8;

    /// The responses to the events from now on, in order; after an error
    /// that ends the feed (a subscriber too slow), nothing more. The
    /// document is first run over no event at all: what async-graphql
    /// refuses (validation, arguments) is answered at once, as a
    /// subscription of its own answers it.
    fn run(self) -> BoxStream<'static, Response> {
        let each = Arc::new(self);
        futures_util::stream::once(async move {
            if let Some(refused) = each.resolve(None).await {
                return futures_util::stream::once(async move { refused }).boxed();
            }
            let events = match each.live.events(None).await {
                Ok(events) => events,
                Err(err) => {
                    let refused = Response::from_errors(vec![crate::error::request_error(&err)]);
                    return futures_util::stream::once(async move { refused }).boxed();
                }
            };
            events
                .map(move |event| {
                    let each = each.clone();
                    async move { each.resolve_fed(event).await }
                })
                .buffered(Self::AT_ONCE)
                .filter_map(std::future::ready)
                // The error that ends a subscription is its last response.
                .scan(false, |ended, response: Response| {
                    let next = (!*ended).then(|| {
                        *ended = !response.errors.is_empty()
                            && response.data == async_graphql::Value::Null;
                        response
                    });
                    std::future::ready(next)
                })
                .boxed()
        })
        .flatten()
        .boxed()
    }

    /// The response to an item of the feed.
    async fn resolve_fed(
        &self,
        event: Result<Arc<crate::live::Event>, crate::live::Ended>,
    ) -> Option<Response> {
        let failure = match event {
            Ok(event) => return self.resolve(Some(event)).await,
            Err(crate::live::Ended::TooSlow) => ApiError::SubscriberTooSlow {
                buffer: self.live.config().subscription_buffer,
            },
            Err(crate::live::Ended::Unavailable) => ApiError::ServiceUnavailable,
        };
        Some(Response::from_errors(vec![crate::error::request_error(
            &failure,
        )]))
    }

    /// The response to `event` (to no event: only what refuses the
    /// document), or `None` when there is none (the subscription does not
    /// pick the event: another author's post, another tag).
    async fn resolve(&self, event: Option<Arc<crate::live::Event>>) -> Option<Response> {
        let (loaders, batches) = Loaders::new(self.db.clone());
        if let Some(event) = &event {
            loaders.memo.set(event.memo.clone());
        }
        let mut request =
            async_graphql::Request::new(self.query.clone()).variables(self.variables.clone());
        request.operation_name = self.operation.clone();
        request.set_parsed_query(ExecutableDocument::clone(&self.document));
        let request = request
            .data(loaders)
            .data(self.viewer)
            .data(self.live.clone())
            .data(crate::live::OneEvent(event));
        let first = AssertUnwindSafe(async {
            batches
                .run_stream(self.schema.execute_stream(request))
                .next()
                .await
        })
        .catch_unwind()
        .await;
        let mut response = match first {
            Ok(response) => response?,
            Err(panic) => panicked(panic.as_ref()),
        };
        let context = (&*self.types, &Concrete::new());
        finish(
            &self.limits,
            context,
            &mut response,
            &self.document,
            self.operation.as_deref(),
        );
        Some(response)
    }
}

/// Who runs an operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller {
    /// The signed-in user, or anonymous.
    pub viewer: Viewer,
    /// The client's address, which sign-in attempts are counted by.
    pub client: Option<ClientAddress>,
}

/// A request whose document was read and passed the shape limits.
pub struct Prepared {
    request: async_graphql::Request,
    document: Arc<ExecutableDocument>,
}

impl Prepared {
    /// The type of the operation that would run; `None` when the document
    /// does not say which one (the executor then refuses it).
    pub fn operation_type(&self) -> Option<OperationType> {
        crate::document::operation_to_run(&self.document, self.request.operation_name.as_deref())
            .map(|operation| operation.ty)
    }
}

/// What running an operation gives back.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per request and taken apart at once; boxing would cost an allocation per request"
)]
pub enum Outcome {
    /// One response (a query, a mutation, or a request refused before it
    /// ran), with the share of the budget it holds: drop it once the
    /// response is written out.
    Response(Response, Option<Arc<Room>>),
    /// A subscription's responses, one per event (shared by the
    /// subscribers of one execution, see [`crate::fanout`]).
    Stream(BoxStream<'static, Arc<Response>>),
    /// A planned query's response, written: its JSON bytes, with the share
    /// of the budget it holds.
    Written(Vec<u8>, Option<Arc<Room>>),
}

/// What carries an operation, which decides what [`Executor::run`] adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One response per request: a subscription is refused. The request
    /// timeout is the HTTP middleware's, which also covers reading the body
    /// and answers 408.
    Http,
    /// A WebSocket: a subscription streams its responses; a query or a
    /// mutation is stopped at the request timeout here (`REQUEST_TIMEOUT`).
    Socket,
}

/// The message of the error a query or mutation gets past the request timeout.
const TIMED_OUT: &str = "the request took too long and was stopped";

impl Executor {
    /// An executor over `schema` and `db`, holding documents to `limits`
    /// and operations over a socket to `timeout`.
    pub fn new(
        schema: FolioSchema,
        db: DatabaseConnection,
        limits: QueryLimits,
        values_in_flight: Arc<ValuesInFlight>,
        timeout: Duration,
        live: Arc<crate::live::Hub>,
    ) -> Executor {
        let types = Arc::new(SchemaTypes::from_sdl(&schema.sdl()));
        let fanout = crate::fanout::Fanout::new(live.config().subscription_buffer);
        Executor {
            fanout,
            schema,
            db,
            limits,
            documents: Documents::default(),
            values_in_flight,
            timeout,
            live,
            types,
            plans: Arc::default(),
            execution: Execution::Executor,
            media: Arc::new(Media::in_memory()),
        }
    }

    /// The same, running queries as `execution` says, with photo URLs
    /// naming `media`.
    pub fn with_plans(self, execution: Execution, media: Arc<Media>) -> Executor {
        Executor {
            execution,
            media,
            ..self
        }
    }

    /// The plans, with how many requests ran their plan and how many fell back.
    pub fn plans(&self) -> Arc<Plans> {
        self.plans.clone()
    }

    /// Reads `request`'s document: `BAD_USER_INPUT` for a NUL character,
    /// else what [`crate::document::parse`] finds.
    #[allow(
        clippy::result_large_err,
        reason = "the error is the one the client gets, made once per refused request"
    )]
    pub fn prepare(&self, request: async_graphql::Request) -> Result<Prepared, ServerError> {
        without_nul(&request).map_err(|err| crate::error::request_error(&err))?;
        let document = crate::document::parse(&self.documents, &self.limits, &request.query)?;
        Ok(Prepared { request, document })
    }

    /// Runs `prepared` for `caller`. A query or a mutation gives one
    /// response, within the request timeout and with its share of the
    /// budget; so does a subscription over HTTP (async-graphql refuses it).
    pub async fn run(&self, prepared: Prepared, caller: Caller, transport: Transport) -> Outcome {
        let Prepared {
            mut request,
            document,
        } = prepared;
        let operation = request.operation_name.clone();
        let is_subscription = crate::document::operation_to_run(&document, operation.as_deref())
            .is_some_and(|operation| operation.ty == OperationType::Subscription);
        let (loaders, batches) = Loaders::new(self.db.clone());
        // The executor consumes its copy; cloning the tree costs far less than parsing.
        request.set_parsed_query(ExecutableDocument::clone(&document));
        let mut request = request.data(loaders).data(caller.viewer);
        if let Some(client) = caller.client {
            request = request.data(client);
        }
        if is_subscription && transport == Transport::Socket {
            // Subscribers who ask the same, as the same viewer, share one execution.
            let key = crate::fanout::Key::of(&request, caller.viewer.user_id);
            let document_for_events = document.clone();
            let variables_for_events = request.variables.clone();
            let operation_for_events = operation.clone();
            let request = request.data(self.live.clone());
            let limits = self.limits;
            let types = self.types.clone();
            let schema = self.schema.clone();
            let start = move || {
                // A panic ends the subscription with one last response, its
                // error (unwind safety asserted as in `unless_panicked`).
                AssertUnwindSafe(batches.run_stream(schema.execute_stream(request)))
                    .catch_unwind()
                    .map(move |item| {
                        let mut response = item.unwrap_or_else(|panic| panicked(panic.as_ref()));
                        let context = (&*types, &Concrete::new());
                        finish(
                            &limits,
                            context,
                            &mut response,
                            &document,
                            operation.as_deref(),
                        );
                        response
                    })
                    .boxed()
            };
            let responses = match key {
                Some(key) => {
                    let buffer = self.live.config().subscription_buffer;
                    let each = EachEvent {
                        schema: self.schema.clone(),
                        db: self.db.clone(),
                        live: self.live.clone(),
                        limits: self.limits,
                        types: self.types.clone(),
                        document: document_for_events,
                        query: key.query.clone(),
                        variables: variables_for_events,
                        operation: operation_for_events,
                        viewer: caller.viewer,
                    };
                    drop(start);
                    self.fanout.join(
                        key,
                        move || each.run(),
                        move || {
                            Response::from_errors(vec![crate::error::request_error(
                                &ApiError::SubscriberTooSlow { buffer },
                            )])
                        },
                    )
                }
                None => start().map(Arc::new).boxed(),
            };
            return Outcome::Stream(responses);
        }
        let values =
            crate::document::estimated_values(&document, operation.as_deref(), &request.variables);
        let room = Arc::new(Room::new(self.values_in_flight.clone(), values));
        let mut planned = None;
        if transport == Transport::Http && self.execution != Execution::Executor {
            match self.plans.plan::<crate::query::Query>(
                &request.query,
                operation.as_deref(),
                &document,
            ) {
                Some(plan) => {
                    match self
                        .run_plan(&plan, &document, &request, caller.viewer, &room)
                        .await
                    {
                        Ok(Some(written)) if self.execution == Execution::Plan => {
                            self.plans.planned();
                            return Outcome::Written(written, Some(room));
                        }
                        Ok(Some(written)) => planned = Some(written),
                        Ok(None) => {}
                        Err(why) => self.plans.fell_back(why),
                    }
                }
                None => self.plans.fell_back(crate::plan::Fallback(
                    "the planner does not cover the document",
                )),
            }
        }
        let concrete = Arc::new(ConcreteTypes::default());
        let request = request.data(room.clone()).data(concrete.clone());
        let execution = unless_panicked(batches.run(self.schema.execute(request)));
        let execution = crate::plan::reference_run(planned.is_some(), execution);
        let timed = match transport {
            Transport::Http => Ok(execution.await),
            Transport::Socket => tokio::time::timeout(self.timeout, execution).await,
        };
        let mut response = match timed {
            Ok(response) => response,
            Err(_) => {
                let mut error = ServerError::new(TIMED_OUT, None);
                crate::document::set_code(&mut error, "REQUEST_TIMEOUT");
                Response::from_errors(vec![error])
            }
        };
        finish(
            &self.limits,
            (&self.types, &concrete.take()),
            &mut response,
            &document,
            operation.as_deref(),
        );
        if let Some(written) = planned {
            self.plans.planned();
            crate::plan::compare(&written, &mut response);
        }
        Outcome::Response(response, Some(room))
    }

    /// Runs `plan` for `request`, once async-graphql has validated it:
    /// the response's bytes; `None` when the document does not validate
    /// (the executor then answers with its errors); a fallback when the
    /// plan cannot answer it.
    async fn run_plan(
        &self,
        plan: &Plan,
        document: &Arc<ExecutableDocument>,
        request: &async_graphql::Request,
        viewer: Viewer,
        room: &Room,
    ) -> Result<Option<Vec<u8>>, crate::plan::Fallback> {
        let mut probe = async_graphql::Request::new(String::new());
        probe.operation_name = request.operation_name.clone();
        probe.variables = request.variables.clone();
        probe.set_parsed_query(ExecutableDocument::clone(document));
        if !self
            .schema
            .execute(probe.data(OnlyValidate))
            .await
            .errors
            .is_empty()
        {
            return Ok(None);
        }
        if plan.reads() {
            room.enter().await;
        }
        let (loaders, batches) = Loaders::new(self.db.clone());
        let run = plan.run(document, request, viewer, &loaders, &self.db, &self.media);
        match AssertUnwindSafe(batches.run(run)).catch_unwind().await {
            Ok(written) => written.map(Some),
            Err(_) => Err(crate::plan::Fallback("the plan panicked")),
        }
    }
}

/// `execution`'s response or, when it panics, the response that says so
/// ([`crate::error::panicked`]). A panic in a resolver, or in a loader
/// batch (they run in this future), ends its operation only: the
/// connection and the server carry on. Unwind safety is asserted: what the
/// execution owns is dropped with it, and what it shares (the budget, the
/// document cache) holds no lock across a resolver.
async fn unless_panicked(execution: impl Future<Output = Response>) -> Response {
    AssertUnwindSafe(execution)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| panicked(panic.as_ref()))
}

/// The response of an operation that panicked: its one error.
fn panicked(payload: &(dyn std::any::Any + Send)) -> Response {
    Response::from_errors(vec![crate::error::panicked(payload)])
}

/// What every response gets before it is written: codes for the errors
/// raised before execution, the nulls its field errors make, and its fields
/// in selection order.
fn finish(
    limits: &QueryLimits,
    (types, concrete): (&SchemaTypes, &Concrete),
    response: &mut Response,
    document: &ExecutableDocument,
    operation: Option<&str>,
) {
    crate::document::code_request_errors(limits, &mut response.errors);
    crate::document::nulls::propagate_nulls(response, document, operation, types, concrete);
    crate::document::order::order_response(
        &mut response.data,
        document,
        operation,
        types,
        concrete,
    );
}

/// Whether `response` is a request error: it failed before execution
/// (parse, validation, limits, token), so it has errors without a path and
/// no data.
pub fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// `BAD_USER_INPUT` when a string in the request holds the NUL character,
/// which no text column can store (PostgreSQL refuses it outright): in a
/// variable (the error names it) or written into the query.
fn without_nul(request: &async_graphql::Request) -> Result<(), ApiError> {
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
            return Err(ApiError::bad_input(name.as_str(), message));
        }
    }
    // A string literal in the document spells it as an escape (or holds it raw).
    // (The escape's digits have no case, so no lowercased copy is needed.)
    if request.query.contains('\0') || request.query.contains("\\u0000") {
        return Err(ApiError::bad_input("query", message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{SignInLimits, Tokens};
    use crate::document::operation_to_run;
    use crate::schema::build;

    /// The operation `query` runs under `name`, as the rule picks it.
    fn chosen(query: &str, name: Option<&str>) -> Option<OperationType> {
        let document = async_graphql::parser::parse_query(query).ok()?;
        operation_to_run(&document, name).map(|operation| operation.ty)
    }

    #[tokio::test]
    async fn the_executor_runs_exactly_what_the_rule_chooses() {
        let tokens = Arc::new(Tokens::new(
            b"tests sign nothing",
            std::time::Duration::ZERO,
        ));
        let schema = build(
            QueryLimits::default(),
            tokens,
            SignInLimits::new(1, 1),
            Arc::new(crate::media::Media::in_memory()),
        );
        for (query, name) in [
            ("{ __typename }", None),
            ("{ __typename }", Some("Q")),
            ("query Q { __typename }", None),
            ("query Q { __typename }", Some("R")),
            ("query Q { __typename } query R { __typename }", None),
            ("query Q { __typename } query R { __typename }", Some("R")),
        ] {
            let chosen = chosen(query, name).is_some();
            let mut request = async_graphql::Request::new(query);
            request.operation_name = name.map(str::to_owned);
            let ran = schema.execute(request).await.is_ok();
            assert_eq!(chosen, ran, "{query} as {name:?}");
        }
    }

    /// The code and message of the first error `query` gets from a schema
    /// with small limits, run as the HTTP handler runs it.
    async fn request_error(query: &str, name: Option<&str>) -> (String, String) {
        let limits = QueryLimits {
            max_depth: 3,
            max_complexity: 5,
            max_aliases: 2,
            ..QueryLimits::default()
        };
        let tokens = Arc::new(Tokens::new(
            b"tests sign nothing",
            std::time::Duration::ZERO,
        ));
        let schema = build(
            limits,
            tokens,
            SignInLimits::new(1, 1),
            Arc::new(crate::media::Media::in_memory()),
        );
        let mut errors = match crate::document::parse(&Documents::default(), &limits, query) {
            Err(error) => vec![error],
            Ok(document) => {
                let mut request = async_graphql::Request::new(query);
                request.operation_name = name.map(str::to_owned);
                request.set_parsed_query(ExecutableDocument::clone(&document));
                schema.execute(request).await.errors
            }
        };
        crate::document::code_request_errors(&limits, &mut errors);
        let error = errors.first().unwrap_or_else(|| panic!("{query} ran"));
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .map(ToString::to_string)
            .unwrap_or_default();
        (code.trim_matches('"').to_owned(), error.message.clone())
    }

    #[tokio::test]
    async fn a_panicking_operation_is_an_internal_error_without_its_message() {
        let response = unless_panicked(async { panic!("the secret at row 42") }).await;
        let [error] = response.errors.as_slice() else {
            panic!("one error: {:?}", response.errors);
        };
        assert_eq!(error.message, crate::error::INTERNAL_MESSAGE);
        let code = error.extensions.as_ref().and_then(|e| e.get("code"));
        assert_eq!(
            code,
            Some(&async_graphql::Value::from("INTERNAL_SERVER_ERROR"))
        );
        let written = serde_json::to_string(&response).unwrap_or_default();
        assert!(!written.contains("secret"), "{written}");
        assert!(is_request_error(&response));
        // The task that ran it carries on.
        let after = unless_panicked(async { Response::new(async_graphql::Value::Null) }).await;
        assert!(after.errors.is_empty());
    }

    #[tokio::test]
    async fn every_error_before_execution_is_coded() {
        let cases = [
            ("{ __typename", None, "GRAPHQL_PARSE_FAILED"),
            (
                "{ a: __typename b: __typename c: __typename }",
                None,
                "QUERY_TOO_COMPLEX",
            ),
            (
                "{ __schema { types { fields { type { name } } } } }",
                None,
                "QUERY_TOO_DEEP",
            ),
            (
                "{ __typename __schema { description queryType { name description kind } } }",
                None,
                "QUERY_TOO_COMPLEX",
            ),
            ("{ nothingHere }", None, "GRAPHQL_VALIDATION_FAILED"),
            (
                "query Q { __typename } query R { __typename }",
                None,
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "query Q { __typename }",
                Some("R"),
                "GRAPHQL_VALIDATION_FAILED",
            ),
        ];
        for (query, name, expected) in cases {
            let (code, message) = request_error(query, name).await;
            assert_eq!(code, expected, "{query}: {message}");
        }
        let (_, message) =
            request_error("{ __schema { types { fields { type { name } } } } }", None).await;
        assert_eq!(message, "The query is nested more than 3 levels deep.");
        let (_, message) = request_error(
            "{ __typename __schema { description queryType { name description kind } } }",
            None,
        )
        .await;
        assert!(message.contains("above 5"), "{message}");
    }
}
