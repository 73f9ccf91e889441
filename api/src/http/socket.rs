//! Subscriptions over a WebSocket on `/graphql`: the `graphql-transport-ws`
//! protocol exactly as its specification says, and the legacy `graphql-ws`
//! protocol of subscriptions-transport-ws.
//!
//! A socket must send `connection_init` within the init timeout (else 4408);
//! its payload may carry the token (`authorization: "Bearer …"`, or
//! `token`), or the upgrade request's `Authorization` header does; with
//! neither the subscriber is anonymous, as over HTTP. A bad or expired token
//! closes the socket with 4403, a `subscribe` before the acknowledgement
//! with 4401, a second `connection_init` with 4429, a message that is not
//! one of the protocol's with 4400, and a `subscribe` that reuses the id of
//! a running operation with 4409. A socket whose token expires is closed
//! with 4403 at the expiry. Past the subscriptions a socket may run, a
//! `subscribe` is answered with an `error` coded `TOO_MANY_SUBSCRIPTIONS`;
//! past the sockets the instance holds, or past its client address's share
//! of them (`--max-sockets-per-address`), a new socket is closed at once
//! with 1013 (try again later). A socket that runs no operation for
//! `--ws-idle-timeout-secs` is closed with 1000. Shutdown closes every
//! socket with 1001.
//!
//! Every socket is pinged each 15 s and let go after 60 s without a word
//! (pongs count); a write that takes over 10 s (a client that stopped
//! reading) closes the socket with 1008, so a stuck client holds neither
//! memory nor a socket for long. A legacy socket refused for its token is
//! sent `connection_error` before it is closed.
//!
//! The upgrade obeys the HTTP rules: a request whose `Origin` is neither
//! Folio's own (the page GraphiQL is served from) nor allowed by
//! `--cors-origins` is refused with 403, so that no page of another site can
//! act for a visitor over a socket (a request without `Origin`, as from a
//! native client, is let in). A message longer than the body limit closes
//! the socket with 1009.
//!
//! Every operation runs through [`crate::operation::Executor`], as an HTTP
//! request does: the same parse and limits, a fresh set of loaders (driven
//! per event), the subscriber's identity; a query or a mutation also within
//! the same values-in-flight budget and request timeout. Results are written
//! with their fields in selection order.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_stream::StreamMap;

use super::AppState;
use crate::auth::ClientAddress;
use crate::operation::{Caller, Outcome, Transport};
use crate::viewer::Viewer;

/// The sub-protocols a socket may speak, the current one first.
const PROTOCOLS: [&str; 2] = [TRANSPORT_WS, LEGACY_WS];
/// `graphql-transport-ws`, of the `graphql-ws` library.
const TRANSPORT_WS: &str = "graphql-transport-ws";
/// `graphql-ws`, of the older subscriptions-transport-ws library.
const LEGACY_WS: &str = "graphql-ws";

/// The read buffer of a socket, in bytes.
const READ_BUFFER: usize = 4 * 1024;

/// How often a socket is sent a WebSocket ping (and a legacy socket `ka`).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a socket may stay silent, pongs included, before it is let go:
/// its client has vanished without closing.
const SILENCE: Duration = Duration::from_secs(60);

/// How long one message may take to be written; a client that reads slower
/// than that is let go (its events would otherwise wait in memory).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Which protocol a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    TransportWs,
    Legacy,
}

/// Answers a WebSocket upgrade on `/graphql`, picking the sub-protocol;
/// 403 for a page of an origin Folio does not let in.
pub fn upgrade(
    state: AppState,
    upgrade: WebSocketUpgrade,
    headers: &HeaderMap,
    client: Option<ClientAddress>,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN)
        && !state.origins.allow(origin, headers.get(header::HOST))
    {
        let body = super::middleware::error_body(
            "FORBIDDEN",
            "this origin may not open a socket: it is neither Folio's own nor one of --cors-origins",
        );
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, mime::APPLICATION_JSON.essence_str())],
            body,
        )
            .into_response();
    }
    let max_message = state.body_limit;
    // Client messages are small: a read buffer of the library's default
    // size (128 KiB) would be zero-filled on every poll of the socket's read
    // side, once per event per subscriber, and stay resident for each
    // socket. A longer frame still arrives: the buffer grows to fit it.
    let upgrade = upgrade
        .protocols(PROTOCOLS)
        .read_buffer_size(READ_BUFFER)
        .max_message_size(max_message)
        .max_frame_size(max_message);
    let protocol = match upgrade.selected_protocol().map(|p| p.as_bytes()) {
        Some(p) if p == TRANSPORT_WS.as_bytes() => Some(Protocol::TransportWs),
        Some(p) if p == LEGACY_WS.as_bytes() => Some(Protocol::Legacy),
        _ => None,
    };
    let header_token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    upgrade.on_upgrade(move |socket| async move {
        let Some(protocol) = protocol else {
            close(
                socket,
                4406,
                "Subprotocol not acceptable: use graphql-transport-ws",
            )
            .await;
            return;
        };
        // An address's share first: one client filling it keeps no one else out.
        let share = match client {
            Some(client) => match state.socket_shares.try_take(client) {
                Some(share) => Some(share),
                None => {
                    let reason = format!(
                        "TOO_MANY_SOCKETS: this address holds the {} sockets it may; try again later",
                        state.socket_shares.limit()
                    );
                    close(socket, 1013, &reason).await;
                    return;
                }
            },
            None => None,
        };
        let Ok(slot) = state.live.sockets().try_acquire_owned() else {
            close(
                socket,
                1013,
                "TOO_MANY_SOCKETS: this server holds all the sockets it may; try again later",
            )
            .await;
            return;
        };
        Connection {
            state,
            protocol,
            header_token,
            client,
        }
        .serve(socket)
        .await;
        drop(slot);
        drop(share);
    })
}

/// Sends a close frame with `code` and `reason`, and lets the socket go.
async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// A message from the client, of either protocol.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {},
    Subscribe {
        id: String,
        payload: Operation,
    },
    Complete {
        id: String,
    },
    // The legacy protocol's.
    Start {
        id: String,
        payload: Operation,
    },
    Stop {
        id: String,
    },
    ConnectionTerminate {},
    /// A WebSocket ping or pong: proof of life, not a protocol message.
    #[serde(skip)]
    Heartbeat,
}

/// What a `subscribe` (or legacy `start`) asks to run.
#[derive(Debug, Deserialize)]
struct Operation {
    query: String,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
}

/// Why the socket closes, with its code.
struct Closing(u16, String);

impl Closing {
    fn new(code: u16, reason: impl Into<String>) -> Closing {
        Closing(code, reason.into())
    }
}

/// One socket, from its upgrade on.
struct Connection {
    state: AppState,
    protocol: Protocol,
    header_token: Option<String>,
    client: Option<ClientAddress>,
}

/// What the main loop does next.
enum Step {
    Received(Option<Result<Message, axum::Error>>),
    Emitted(String),
    KeepAlive,
    Expired,
    ShuttingDown,
    Idle,
}

impl Connection {
    async fn serve(self, socket: WebSocket) {
        let (mut sink, mut source) = socket.split();
        let closing = match self.run(&mut sink, &mut source).await {
            Ok(()) => return,
            Err(closing) => closing,
        };
        if self.protocol == Protocol::Legacy && closing.0 == 4403 {
            // The legacy protocol's way of refusing a connection.
            let refusal =
                json!({ "type": "connection_error", "payload": { "message": closing.1 } });
            let _ = send(&mut sink, refusal).await;
        }
        let close = Message::Close(Some(CloseFrame {
            code: closing.0,
            reason: closing.1.into(),
        }));
        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close)).await;
    }

    /// Runs the socket until it ends (`Ok`) or must be closed (`Err`).
    async fn run(
        &self,
        sink: &mut (impl futures_util::Sink<Message, Error = axum::Error> + Unpin),
        source: &mut (impl futures_util::Stream<Item = Result<Message, axum::Error>> + Unpin),
    ) -> Result<(), Closing> {
        let config = self.state.live.config().clone();
        let init_timeout = Duration::from_secs(config.ws_init_timeout_secs);
        let shutting_down = self.state.live.closed();
        tokio::pin!(shutting_down);

        // Until `connection_init`: nothing but pings.
        let deadline = tokio::time::sleep(init_timeout);
        tokio::pin!(deadline);
        let (viewer, expiry) = loop {
            let message = tokio::select! {
                message = source.next() => message,
                () = &mut deadline => {
                    return Err(Closing::new(4408, "Connection initialisation timeout"));
                }
                () = &mut shutting_down => return Err(Closing::new(1001, "the server is shutting down")),
            };
            match self.parse(message)? {
                None => return Ok(()),
                Some(Incoming::Heartbeat) => {}
                Some(Incoming::ConnectionInit { payload }) => break self.authenticate(payload)?,
                Some(Incoming::Ping { .. }) if self.protocol == Protocol::TransportWs => {
                    send(sink, json!({ "type": "pong" })).await?;
                }
                Some(Incoming::Pong {}) if self.protocol == Protocol::TransportWs => {}
                Some(Incoming::Subscribe { .. } | Incoming::Start { .. }) => {
                    return Err(Closing::new(4401, "Unauthorized"));
                }
                Some(Incoming::ConnectionTerminate {}) if self.protocol == Protocol::Legacy => {
                    return Ok(());
                }
                Some(_) => return Err(Closing::new(4400, "Invalid message received")),
            }
        };
        send(sink, json!({ "type": "connection_ack" })).await?;
        if self.protocol == Protocol::Legacy {
            send(sink, json!({ "type": "ka" })).await?;
        }

        let mut operations: StreamMap<String, BoxStream<'static, String>> = StreamMap::new();
        // A socket that runs nothing is let go after the idle timeout.
        let idle_timeout = Duration::from_secs(config.ws_idle_timeout_secs);
        let idle = tokio::time::sleep(idle_timeout);
        tokio::pin!(idle);
        let mut was_idle = true;
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.reset();
        let mut heard = tokio::time::Instant::now();
        let expires = async move {
            match expiry {
                Some(at) => tokio::time::sleep(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expires);
        loop {
            let step = tokio::select! {
                message = source.next() => Step::Received(message),
                Some((_, message)) = operations.next(), if !operations.is_empty() => Step::Emitted(message),
                _ = keep_alive.tick() => Step::KeepAlive,
                () = &mut expires => Step::Expired,
                () = &mut shutting_down => Step::ShuttingDown,
                () = &mut idle, if operations.is_empty() => Step::Idle,
            };
            if matches!(step, Step::Received(_)) {
                heard = tokio::time::Instant::now();
            }

            match step {
                Step::Received(message) => match self.parse(message)? {
                    None => return Ok(()),
                    Some(Incoming::Heartbeat) => {}
                    Some(Incoming::ConnectionInit { .. }) => {
                        return Err(Closing::new(4429, "Too many initialisation requests"));
                    }
                    Some(Incoming::Ping { payload }) if self.protocol == Protocol::TransportWs => {
                        let mut pong = json!({ "type": "pong" });
                        if let Some(payload) = payload {
                            pong["payload"] = payload;
                        }
                        send(sink, pong).await?;
                    }
                    Some(Incoming::Pong {}) if self.protocol == Protocol::TransportWs => {}
                    Some(Incoming::Subscribe { id, payload })
                        if self.protocol == Protocol::TransportWs =>
                    {
                        if operations.contains_key(&id) {
                            return Err(Closing::new(
                                4409,
                                format!("Subscriber for {id} already exists"),
                            ));
                        }
                        self.start(sink, &mut operations, id, payload, viewer, &config)
                            .await?;
                    }
                    Some(Incoming::Start { id, payload }) if self.protocol == Protocol::Legacy => {
                        // The legacy protocol restarts an operation whose id is reused.
                        operations.remove(&id);
                        self.start(sink, &mut operations, id, payload, viewer, &config)
                            .await?;
                    }
                    Some(Incoming::Complete { id }) if self.protocol == Protocol::TransportWs => {
                        operations.remove(&id);
                    }
                    Some(Incoming::Stop { id }) if self.protocol == Protocol::Legacy => {
                        if operations.remove(&id).is_some() {
                            send(sink, json!({ "type": "complete", "id": id })).await?;
                        }
                    }
                    Some(Incoming::ConnectionTerminate {}) if self.protocol == Protocol::Legacy => {
                        return Ok(());
                    }
                    Some(_) => return Err(Closing::new(4400, "Invalid message received")),
                },
                Step::Emitted(message) => send_text(sink, message).await?,
                Step::KeepAlive => {
                    if heard.elapsed() > SILENCE {
                        return Err(Closing::new(1001, "no answer to pings"));
                    }
                    timed(sink.send(Message::Ping(Default::default()))).await?;
                    if self.protocol == Protocol::Legacy {
                        send(sink, json!({ "type": "ka" })).await?;
                    }
                }
                Step::Expired => {
                    return Err(Closing::new(4403, "Forbidden: the token has expired"));
                }
                Step::ShuttingDown => {
                    return Err(Closing::new(1001, "the server is shutting down"));
                }
                Step::Idle => {
                    return Err(Closing::new(
                        1000,
                        format!("idle: no subscription for {} s", idle_timeout.as_secs()),
                    ));
                }
            }
            // The idle time counts from when the last operation ended.
            let is_idle = operations.is_empty();
            if is_idle && !was_idle {
                idle.as_mut()
                    .reset(tokio::time::Instant::now() + idle_timeout);
            }
            was_idle = is_idle;
        }
    }

    /// The next protocol message; `None` when the client has gone; 1009
    /// for a message longer than the body limit.
    fn parse(
        &self,
        message: Option<Result<Message, axum::Error>>,
    ) -> Result<Option<Incoming>, Closing> {
        match message {
            Some(Err(err)) if too_long(&err) => Err(Closing::new(
                1009,
                format!("a message may be at most {} bytes", self.state.body_limit),
            )),
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Ok(None),
            Some(Ok(Message::Text(text))) => serde_json::from_str(text.as_str())
                .map(Some)
                .map_err(|_| Closing::new(4400, "Invalid message received")),
            // WebSocket pings are answered by the socket itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(Some(Incoming::Heartbeat)),
            Some(Ok(Message::Binary(_))) => Err(Closing::new(4400, "Invalid message received")),
        }
    }

    /// Who the socket speaks for: the token of `connection_init`'s payload,
    /// else of the upgrade's `Authorization` header, else nobody; with how
    /// long until the token expires. 4403 for a token that does not verify.
    fn authenticate(&self, payload: Option<Value>) -> Result<(Viewer, Option<Duration>), Closing> {
        let from_payload = payload.as_ref().and_then(|payload| {
            ["authorization", "Authorization", "token"]
                .iter()
                .find_map(|key| payload.get(key))
        });
        let token = match from_payload {
            Some(Value::String(token)) => Some(token.clone()),
            Some(Value::Null) | None => self.header_token.clone(),
            Some(_) => return Err(Closing::new(4403, "Forbidden")),
        };
        let Some(token) = token else {
            return Ok((Viewer::anonymous(), None));
        };
        let token = token.trim();
        let token = token
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
            .map_or(token, |_| token[7..].trim());
        let (user_id, expires_at) = self
            .state
            .tokens
            .verify_expiring(token)
            .map_err(|_| Closing::new(4403, "Forbidden"))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let left = Duration::from_secs(expires_at.saturating_sub(now));
        Ok((
            Viewer {
                user_id: Some(user_id),
            },
            Some(left),
        ))
    }

    /// Starts operation `id`, or refuses it with an `error` past the limit.
    async fn start(
        &self,
        sink: &mut (impl futures_util::Sink<Message, Error = axum::Error> + Unpin),
        operations: &mut StreamMap<String, BoxStream<'static, String>>,
        id: String,
        payload: Operation,
        viewer: Viewer,
        config: &crate::config::LiveConfig,
    ) -> Result<(), Closing> {
        if operations.len() >= config.max_subscriptions_per_socket {
            let error = json!({
                "message": format!(
                    "this socket runs {} subscriptions already, the most it may; complete one first",
                    config.max_subscriptions_per_socket
                ),
                "extensions": { "code": "TOO_MANY_SUBSCRIPTIONS" },
            });
            let message = error_message(self.protocol, &id, &[error]);
            return send_text(sink, message).await;
        }
        let stream = self.operation(id.clone(), payload, viewer);
        operations.insert(id, stream);
        Ok(())
    }

    /// The messages of operation `id`: its results, then `complete`; or one
    /// `error` when it fails before it runs.
    fn operation(
        &self,
        id: String,
        payload: Operation,
        viewer: Viewer,
    ) -> BoxStream<'static, String> {
        let mut request = async_graphql::Request::new(payload.query);
        request.operation_name = payload.operation_name;
        if let Some(variables) = payload.variables.filter(|v| !v.is_null()) {
            request.variables = async_graphql::Variables::from_json(variables);
        }
        let protocol = self.protocol;
        let prepared = match self.state.executor.prepare(request) {
            Ok(prepared) => prepared,
            Err(error) => {
                let message = error_message(protocol, &id, &[error]);
                return futures_util::stream::once(async move { message }).boxed();
            }
        };
        let executor = self.state.executor.clone();
        let caller = Caller {
            viewer,
            client: self.client,
        };
        let run = async move { executor.run(prepared, caller, Transport::Socket).await };
        futures_util::stream::once(run)
            .flat_map(move |outcome| {
                let (responses, room) = match outcome {
                    Outcome::Response(response, room) => (
                        futures_util::stream::once(async { std::sync::Arc::new(response) }).boxed(),
                        room,
                    ),
                    Outcome::Stream(responses) => (responses, None),
                    // Plans answer HTTP requests only.
                    Outcome::Written(..) => (
                        futures_util::stream::once(async {
                            std::sync::Arc::new(async_graphql::Response::from_errors(vec![
                                crate::error::panicked(&"a written answer on a socket"),
                            ]))
                        })
                        .boxed(),
                        None,
                    ),
                };
                let complete = complete_message(&id);
                let id = id.clone();
                let mut first = true;
                let results = responses.map(move |response| {
                    // A request refused before it ran is an `error`, which ends it.
                    let refused =
                        std::mem::take(&mut first) && crate::operation::is_request_error(&response);
                    let message = if refused {
                        error_message(protocol, &id, &response.errors)
                    } else {
                        next_message(protocol, &id, &response)
                    };
                    (refused, message)
                });
                // The share of the budget is held until the result is written.
                let room = futures_util::stream::once(async move { drop(room) })
                    .filter_map(|()| async { None });
                ended(results.chain(room).boxed(), complete)
            })
            .boxed()
    }
}

/// `results` as a protocol sends them: each result; after the last one a
/// `complete`, unless a result was an `error`, which ends the operation.
fn ended(
    results: BoxStream<'static, (bool, String)>,
    complete: String,
) -> BoxStream<'static, String> {
    futures_util::stream::unfold(
        (results, Some(complete)),
        |(mut results, complete)| async move {
            let complete = complete?;
            match results.next().await {
                Some((true, message)) => Some((message, (results, None))),
                Some((false, message)) => Some((message, (results, Some(complete)))),
                None => Some((complete, (results, None))),
            }
        },
    )
    .boxed()
}

/// A message to the client, serialized as its fields are declared, so that
/// a result keeps the fields of its `payload` in selection order.
#[derive(Serialize)]
struct Outgoing<'a, P: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
    payload: P,
}

/// A result of operation `id` (`next`; `data` in the legacy protocol).
fn next_message(protocol: Protocol, id: &str, response: &async_graphql::Response) -> String {
    let kind = match protocol {
        Protocol::TransportWs => "next",
        Protocol::Legacy => "data",
    };
    text(&Outgoing {
        kind,
        id,
        payload: response,
    })
}

/// The `complete` of operation `id`.
fn complete_message(id: &str) -> String {
    json!({ "type": "complete", "id": id }).to_string()
}

/// An `error` message for operation `id`: the list of errors in
/// graphql-transport-ws, the first error alone in the legacy protocol.
fn error_message<E: Serialize>(protocol: Protocol, id: &str, errors: &[E]) -> String {
    match protocol {
        Protocol::TransportWs => text(&Outgoing {
            kind: "error",
            id,
            payload: errors,
        }),
        Protocol::Legacy => text(&Outgoing {
            kind: "error",
            id,
            payload: errors.first(),
        }),
    }
}

/// `message` as JSON text.
fn text(message: &impl Serialize) -> String {
    // Serializing a response or an error to a string cannot fail: every
    // map key is a string.
    serde_json::to_string(message).unwrap_or_default()
}

/// Whether reading a message failed because it is longer than the socket
/// allows.
fn too_long(err: &axum::Error) -> bool {
    use std::error::Error;
    let mut source: Option<&(dyn Error + 'static)> = err.source();
    while let Some(error) = source {
        if let Some(tungstenite::Error::Capacity(_)) = error.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// Sends one protocol message.
async fn send(
    sink: &mut (impl futures_util::Sink<Message, Error = axum::Error> + Unpin),
    message: Value,
) -> Result<(), Closing> {
    send_text(sink, message.to_string()).await
}

/// Sends one protocol message, already written as JSON.
async fn send_text(
    sink: &mut (impl futures_util::Sink<Message, Error = axum::Error> + Unpin),
    message: String,
) -> Result<(), Closing> {
    timed(sink.send(Message::Text(message.into()))).await
}

/// A write to the socket, given at most [`SEND_TIMEOUT`].
async fn timed(
    write: impl std::future::Future<Output = Result<(), axum::Error>>,
) -> Result<(), Closing> {
    match tokio::time::timeout(SEND_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        // The client is gone: nothing to close.
        Ok(Err(_)) => Err(Closing::new(1000, "gone")),
        Err(_) => Err(Closing::new(
            1008,
            "the client reads too slowly: the socket is closed",
        )),
    }
}
