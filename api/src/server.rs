//! The one startup path: from settings and a migrated database to a server
//! listening on its port. `folio serve` and the end-to-end tests both start
//! Folio through [`Server::build`], so the tests run what production runs.
//!
//! It opens no database and applies no migrations (the CLI does, before it
//! calls here); it wires the token signer, the schema, the executor every
//! transport runs operations through, and the HTTP app.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use sea_orm::DatabaseConnection;
use tower::ServiceExt;

use crate::auth::Tokens;
use crate::budget::ValuesInFlight;
use crate::config::ServerConfig;
use crate::http::AppState;
use crate::http::middleware::Origins;
use crate::operation::Executor;

/// A server bound to its address, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    address: SocketAddr,
    header_timeout: Duration,
    max_connections: usize,
    connection_shares: Arc<crate::http::connection::AddressShares>,
    idle_timeout: Duration,
    min_body_rate: u64,
    http2_max_streams: u32,
    shutdown_timeout: Duration,
    live: Arc<crate::live::Hub>,
    plans: Arc<crate::plan::Plans>,
}

impl Server {
    /// Binds `config.bind` (port 0 picks a free port) and builds the app over `db`.
    pub async fn build(db: DatabaseConnection, config: &ServerConfig) -> anyhow::Result<Server> {
        let tokens = Arc::new(Tokens::configured(
            config.jwt_secret.as_deref(),
            config.token_ttl_hours,
        )?);
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("could not listen on {}", config.bind))?;
        let address = listener.local_addr()?;
        let live = crate::live::Hub::new(db.clone(), config.live.clone());
        live.start_pruning();
        let acquire_timeout = crate::db::acquire_timeout(&db);
        let backend = db.get_database_backend();
        let media = Arc::new(
            crate::media::Media::open(&config.media).context("could not open the media store")?,
        );
        let schema = crate::schema::build(
            config.limits,
            tokens.clone(),
            crate::auth::SignInLimits::new(
                config.sign_in_attempts_per_login,
                config.sign_in_attempts_per_address,
            ),
            media.clone(),
        );
        let executor = Executor::new(
            schema,
            db.clone(),
            config.limits,
            Arc::new(ValuesInFlight::new(config.values_in_flight(backend))),
            Duration::from_secs(config.request_timeout_secs),
            live.clone(),
        )
        .with_plans(config.execution, media.clone());
        let plans = executor.plans();
        let state = AppState {
            executor: Arc::new(executor),
            db,
            tokens,
            live: live.clone(),
            body_limit: config.body_limit,
            acquire_timeout,
            media,
            uploads: crate::http::multipart::UploadLimits {
                file_bytes: config.media.max_upload_bytes,
                files: config.media.max_upload_files,
                part_bytes: config.body_limit as u64,
                body_bytes: config.media.multipart_limit(config.body_limit) as u64,
            },
            origins: Arc::new(Origins::new(&config.cors_origins)),
            socket_shares: crate::http::connection::AddressShares::new(
                config.live.sockets_per_address(),
            ),
        };
        let router = crate::http::router(state, config);
        Ok(Server {
            listener,
            router,
            address,
            header_timeout: Duration::from_secs(config.header_timeout_secs),
            max_connections: config.max_connections.max(1),
            connection_shares: crate::http::connection::AddressShares::new(
                config.connections_per_address(),
            ),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs.max(1)),
            min_body_rate: config.min_body_rate,
            http2_max_streams: config.http2_max_streams.max(1),
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout_secs),
            live,
            plans,
        })
    }

    /// The query plans, with how many requests ran their plan and how many fell back.
    pub fn plans(&self) -> Arc<crate::plan::Plans> {
        self.plans.clone()
    }

    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` completes, then stops accepting and lets the
    /// requests in flight finish, for at most the shutdown timeout.
    ///
    /// Each connection is served by hyper with a header-read timeout (axum's
    /// own `serve` sets none, so a client sending one header byte at a time
    /// held its connection forever), and at most `max_connections` are
    /// served at once: the next client waits in the kernel's backlog. One
    /// client address holds at most its share of them (a connection past it
    /// is answered 429 and closed); a connection with no request in flight
    /// is closed after the idle timeout, and a body slower than the minimum
    /// rate fails (see [`crate::http::connection`]). HTTP/2 connections
    /// carry a bounded number of streams and are pinged.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use hyper_util::rt::{TokioExecutor, TokioTimer};
        use hyper_util::server::conn::auto::Builder;

        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(self.http2_max_streams)
            .keep_alive_interval(KEEP_ALIVE)
            .keep_alive_timeout(KEEP_ALIVE);
        let slots = Arc::new(tokio::sync::Semaphore::new(self.max_connections));
        // Every connection task watches it, and starts its graceful shutdown.
        let (stopping, stop) = tokio::sync::watch::channel(false);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut refusals = AcceptFailures::default();
        loop {
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot,
                () = shutdown.as_mut() => break,
            };
            let Ok(slot) = slot else { break };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = shutdown.as_mut() => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => {
                    if let Some(failures) = refusals.recover() {
                        tracing::info!(
                            "accepting connections again, after {failures} failed attempts"
                        );
                    }
                    accepted
                }
                Err(err) => {
                    // Out of file descriptors and the like: each attempt
                    // in a run waits a little longer than the last.
                    if refusals.failed() {
                        tracing::warn!(
                            "could not accept a connection: {err}; retrying, \
                             and logging again once accepting recovers"
                        );
                    }
                    tokio::select! {
                        () = tokio::time::sleep(refusals.backoff()) => continue,
                        () = shutdown.as_mut() => break,
                    }
                }
            };
            let client = crate::auth::ClientAddress(peer.ip());
            let Some(share) = self.connection_shares.try_take(client) else {
                tokio::spawn(refuse_over_share(stream, self.connection_shares.limit()));
                continue;
            };
            let _ = stream.set_nodelay(true);
            let connection = Connection {
                router: self.router.clone(),
                client,
                activity: crate::http::connection::Activity::new(),
                header_timeout: self.header_timeout,
                idle_timeout: self.idle_timeout,
                min_body_rate: self.min_body_rate,
            };
            let builder = builder.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                connection.serve(stream, &builder, stop).await;
                drop(share);
                drop(slot);
            });
        }
        drop(self.listener);
        // Sockets are closed with 1001 and the follower stops.
        self.live.close();
        stopping.send_replace(true);
        // Every connection has ended once every slot is free again.
        let all = u32::try_from(self.max_connections).unwrap_or(u32::MAX);
        tokio::select! {
            _ = slots.acquire_many(all) => {}
            () = tokio::time::sleep(self.shutdown_timeout) => {
                tracing::warn!(
                    "requests still in flight after {:?}: exiting without them",
                    self.shutdown_timeout
                );
            }
        }
        Ok(())
    }
}

/// How often an HTTP/2 connection is pinged, and how long its answer may take.
const KEEP_ALIVE: Duration = Duration::from_secs(20);

/// One accepted connection and what serving it needs.
struct Connection {
    router: Router,
    client: crate::auth::ClientAddress,
    activity: Arc<crate::http::connection::Activity>,
    header_timeout: Duration,
    idle_timeout: Duration,
    min_body_rate: u64,
}

impl Connection {
    /// Serves `stream` until the client leaves, the connection has been idle
    /// for the idle timeout, or `stop` says the server is stopping; the last
    /// two close it gracefully (after the requests in flight).
    async fn serve(
        self,
        stream: tokio::net::TcpStream,
        builder: &hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        use hyper_util::rt::TokioIo;
        use hyper_util::service::TowerToHyperService;

        // hyper times the headers out once it reads them, but the protocol
        // detection before it waits for a first byte forever: a client that
        // sends nothing is let go after the same time.
        let mut first = [0u8; 1];
        match tokio::time::timeout(self.header_timeout, stream.peek(&mut first)).await {
            Ok(Ok(read)) if read > 0 => {}
            _ => return,
        }
        let Connection {
            router,
            client,
            activity,
            idle_timeout,
            min_body_rate,
            ..
        } = self;
        let requests = activity.clone();
        let service = tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            // Counted in flight until its response body is dropped.
            let in_flight = requests.begin();
            let mut request = request.map(|body| {
                axum::body::Body::new(crate::http::connection::MinRate::new(body, min_body_rate))
            });
            request.extensions_mut().insert(client);
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await?;
                Ok::<_, std::convert::Infallible>(response.map(|body| {
                    use http_body_util::BodyExt;
                    axum::body::Body::new(body.map_frame(move |frame| {
                        let _counted = &in_flight;
                        frame
                    }))
                }))
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        tokio::pin!(connection);
        let idle = activity.idle_for(idle_timeout);
        tokio::pin!(idle);
        // A client asked to go that does not (an HTTP/2 client that never
        // answers the GOAWAY's ping) is dropped one idle timeout later, if
        // it has still sent no request.
        let forced = tokio::time::sleep(idle_timeout);
        tokio::pin!(forced);
        let mut closing = false;
        let mut forcing = false;
        loop {
            let next = tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(err) = ended {
                        tracing::debug!("connection ended: {err}");
                    }
                    return;
                }
                () = &mut idle, if !closing => Next::Idle,
                _ = stop.wait_for(|stopping| *stopping), if !closing => Next::Stopping,
                () = &mut forced, if forcing => Next::Force,
            };
            match next {
                Next::Idle => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                    forcing = true;
                    forced
                        .as_mut()
                        .reset(tokio::time::Instant::now() + idle_timeout);
                }
                Next::Stopping => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                Next::Force if activity.is_idle() => return,
                Next::Force => forcing = false,
            }
        }
    }
}

/// What a connection's task does next.
enum Next {
    Idle,
    Stopping,
    Force,
}

/// Answers a connection past its address's share with 429 and closes it.
async fn refuse_over_share(mut stream: tokio::net::TcpStream, limit: usize) {
    use tokio::io::AsyncWriteExt;
    let body = serde_json::json!({ "errors": [{
        "message": format!("this address holds the {limit} connections it may; try again later"),
        "extensions": { "code": "RATE_LIMITED" },
    }] })
    .to_string();
    let response = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// A run of failed `accept`s (out of file descriptors, mostly): logged
/// once when it starts and once when it ends, not once per attempt, with a
/// wait between attempts that doubles up to [`AcceptFailures::MOST_WAIT`].
#[derive(Debug, Default)]
struct AcceptFailures {
    /// Failed attempts since the last connection accepted.
    count: u32,
}

impl AcceptFailures {
    const FIRST_WAIT: Duration = Duration::from_millis(10);
    const MOST_WAIT: Duration = Duration::from_secs(1);

    /// Counts a failure; true when it starts a run (the one to log).
    fn failed(&mut self) -> bool {
        self.count = self.count.saturating_add(1);
        self.count == 1
    }

    /// How long to wait before the next attempt.
    fn backoff(&self) -> Duration {
        let doublings = self.count.saturating_sub(1).min(16);
        Self::FIRST_WAIT
            .saturating_mul(1 << doublings)
            .min(Self::MOST_WAIT)
    }

    /// Ends a run: the number of failures it had, if there was one.
    fn recover(&mut self) -> Option<u32> {
        (self.count > 0).then(|| std::mem::take(&mut self.count))
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::AcceptFailures;
    use std::time::Duration;

    #[test]
    fn a_run_of_accept_failures_is_logged_once_and_waits_longer_up_to_a_second() {
        let mut failures = AcceptFailures::default();
        assert_eq!(failures.recover(), None, "no run to end");
        let logged: Vec<bool> = (0..20).map(|_| failures.failed()).collect();
        assert_eq!(logged.iter().filter(|&&log| log).count(), 1);
        assert!(logged[0]);
        assert_eq!(failures.backoff(), Duration::from_secs(1));
        assert_eq!(failures.recover(), Some(20));
        assert_eq!(failures.recover(), None);
        assert!(failures.failed(), "a new run is logged again");
        assert_eq!(failures.backoff(), Duration::from_millis(10));
        failures.failed();
        assert_eq!(failures.backoff(), Duration::from_millis(20));
    }
}
