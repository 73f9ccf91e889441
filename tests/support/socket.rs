//! [`Socket`]: a raw WebSocket client for the subscription transport, which
//! speaks the protocol message by message so that tests can also break it;
//! and [`newest_cursor`], what a test subscribes `after` so that it hears of
//! every write it makes next without waiting for the subscription to start.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for a message it expects before it fails.
pub const PATIENCE: Duration = crate::wait::DEADLINE;

/// The cursor of the newest event in the outbox of `db` (the database a
/// server runs on): a subscription given it as `after` hears of every event
/// committed after this call, once, whenever the server gets round to
/// starting the subscription.
///
/// This is what makes a subscribe-then-write test race-free. A `subscribe`
/// message is handled some time after it is sent, so a subscription that
/// starts "from now" may start after the test's write and miss its event;
/// no reply tells the client when it has started. With `after`, the
/// server's `Hub::events` joins the broadcast and reads the newest id
/// broadcast so far under one lock, replays from the outbox the events
/// after the cursor up to that id, then passes on only live events past
/// the cursor: an event committed after this call arrives by the replay
/// if it was broadcast before the subscription started, live otherwise,
/// and never twice.
pub async fn newest_cursor(db: &impl ConnectionTrait) -> String {
    let newest = api::live::outbox::newest_id(db)
        .await
        .expect("reading the newest event id");
    api::live::encode_cursor(newest)
}

/// A WebSocket to `/graphql`.
pub struct Socket {
    stream: Stream,
    /// The sub-protocol the server chose, if any.
    pub protocol: Option<String>,
}

/// What came next on a socket.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// A protocol message.
    Message(Value),
    /// The server closed the socket with this code and reason.
    Closed(u16, String),
    /// Nothing within the time given.
    Nothing,
}

impl Socket {
    /// Opens a socket to `address` offering `protocols`.
    pub async fn open(address: SocketAddr, protocols: &str) -> Socket {
        Socket::open_from(std::net::Ipv4Addr::LOCALHOST, address, protocols).await
    }

    /// [`Socket::open`] from the loopback address `local` (each of
    /// 127.0.0.0/8 is a client address of its own to the server).
    pub async fn open_from(
        local: std::net::Ipv4Addr,
        address: SocketAddr,
        protocols: &str,
    ) -> Socket {
        let mut request = format!("ws://{address}/graphql")
            .into_client_request()
            .expect("a WebSocket URL");
        if !protocols.is_empty() {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(protocols).expect("a header value"),
            );
        }
        let tcp = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        tcp.bind(SocketAddr::from((local, 0)))
            .expect("binding a loopback address");
        let tcp = tcp.connect(address).await.expect("connecting");
        let (stream, response) =
            tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
                .await
                .expect("opening a WebSocket");
        let protocol = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Socket { stream, protocol }
    }

    /// A `graphql-transport-ws` socket, initialised with `token` (if any) and acknowledged.
    pub async fn connected(address: SocketAddr, token: Option<&str>) -> Socket {
        let mut socket = Socket::open(address, "graphql-transport-ws").await;
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        socket
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(
            socket.next().await,
            Received::Message(json!({ "type": "connection_ack" }))
        );
        socket
    }

    /// Sends one message.
    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    /// Sends one text frame as it is.
    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.into()))
            .await
            .expect("sending on the WebSocket");
    }

    /// Subscribes with `query` and `variables` under `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The next message or close, waiting at most [`PATIENCE`].
    pub async fn next(&mut self) -> Received {
        self.next_within(PATIENCE).await
    }

    /// The next message or close, waiting at most `patience`.
    pub async fn next_within(&mut self, patience: Duration) -> Received {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Received::Nothing,
                Ok(frame) => frame,
            };
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Received::Message(serde_json::from_str(&text).expect("a JSON message"));
                }
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Received::Closed(frame.code.into(), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    return Received::Closed(1005, String::new());
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next message, which must be a `next` for `id`: its payload.
    pub async fn next_payload(&mut self, id: &str) -> Value {
        match self.next().await {
            Received::Message(message) if message["type"] == "next" && message["id"] == id => {
                message["payload"].clone()
            }
            other => panic!("expected a `next` for {id}, got {other:?}"),
        }
    }

    /// Sends a `ping` and waits for its `pong`. The server handles a
    /// socket's messages in order, so once the pong is here every message
    /// sent before the ping has been handled (a `complete` has ended its
    /// subscription, say). Any other message first is a failure.
    pub async fn round_trip(&mut self) {
        self.send(json!({ "type": "ping" })).await;
        match self.next().await {
            Received::Message(message) if message["type"] == "pong" => {}
            other => panic!("expected a `pong`, got {other:?}"),
        }
    }

    /// The code and reason the server closes the socket with.
    pub async fn close_code(&mut self) -> (u16, String) {
        loop {
            match self.next().await {
                Received::Closed(code, reason) => return (code, reason),
                Received::Message(message) if message["type"] == "ka" => continue,
                other => panic!("expected the socket to close, got {other:?}"),
            }
        }
    }
}
