//! The one startup path: from settings and a migrated database to a server
//! listening on its port. `folio serve` and the end-to-end tests both start
//! Folio through [`Server::build`], so the tests run what production runs.
//!
//! It opens no database and applies no migrations (the CLI does, before it
//! calls here); it wires the token signer, the schema and the HTTP app.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use sea_orm::DatabaseConnection;

use crate::app::AppState;
use crate::auth::Tokens;
use crate::config::ServerConfig;

/// A server bound to its address, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    address: SocketAddr,
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
        let state = AppState {
            schema: crate::schema::build(config.limits, tokens.clone()),
            db,
            tokens,
        };
        let router = crate::app::router(state, config);
        Ok(Server {
            listener,
            router,
            address,
        })
    }

    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
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
