//! [`TestApp`]: the real Folio server on a real port over a test's database,
//! and a small GraphQL client to speak to it.

use std::net::SocketAddr;

use api::config::ServerConfig;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::TestDb;

/// A running server. Dropping it stops the server and then the database.
pub struct TestApp {
    /// Where the server listens (127.0.0.1, a port the OS chose).
    pub address: SocketAddr,
    /// An HTTP client for the server.
    pub client: reqwest::Client,
    /// The server's database; its statement counter sees every statement the server runs.
    pub db: TestDb,
    /// The server's query plans: how many requests ran their plan, how many fell back.
    pub plans: std::sync::Arc<api::plan::Plans>,
    /// The directory the server stores images in (unless the test chose
    /// another store), removed when the test ends.
    pub media: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// The server with default settings on a fresh, migrated database.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_on(TestDb::new().await, ServerConfig::default()).await
    }

    /// The server with `config` on `db`, started as `folio serve` starts it
    /// (on 127.0.0.1 and a free port, whatever `config.bind` says), storing
    /// images in a directory of its own unless `config` names a store.
    pub async fn spawn_on(db: TestDb, config: ServerConfig) -> TestApp {
        let media = tempfile::tempdir().expect("creating the media directory");
        let mut config = ServerConfig {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            ..config
        };
        // Every planned query of the suite is also answered by the
        // executor and the two compared: a difference is a `PLAN_MISMATCH`
        // error in the response (the differential test is the whole suite).
        if config.execution == api::config::Execution::Plan {
            config.execution = api::config::Execution::Checked;
        }
        if config.media.storage == api::config::StorageConfig::default() {
            config.media.storage.url = format!("file://{}", media.path().display());
        }
        let server = api::server::Server::build(db.conn.clone(), &config)
            .await
            .expect("building the test server");
        let address = server.address();
        let plans = server.plans();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let app = TestApp {
            address,
            client: reqwest::Client::new(),
            db,
            plans,
            media,
            shutdown: Some(shutdown),
        };
        crate::wait::until_healthy(&app.client, &app.url("")).await;
        app
    }

    /// The server on a database seeded with `options`, the counter reset.
    pub async fn seeded(options: &api::seed::SeedOptions) -> TestApp {
        let app = TestApp::spawn().await;
        app.db.seed(options).await;
        app.db.reset_statement_count();
        app
    }

    /// The full URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// POSTs a GraphQL request and returns the response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(None, query, variables).await
    }

    /// POSTs a GraphQL request with `Authorization: Bearer <token>` when given.
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("sending a GraphQL request");
        response.json().await.expect("a JSON response")
    }

    /// POSTs a GraphQL request and returns the body as the text the server
    /// sent (for what parsing would hide: key order, absent keys).
    pub async fn text(&self, query: &str, variables: Value) -> String {
        self.client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("sending a GraphQL request")
            .text()
            .await
            .expect("a body")
    }

    /// Registers `username` (password `password123`) and returns its token and global id.
    pub async fn register(&self, username: &str) -> (String, String) {
        let body = self
            .graphql(
                "mutation($input: RegisterInput!) { register(input: $input) { token user { id } } }",
                json!({ "input": {
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "password": "password123",
                } }),
            )
            .await;
        assert!(body.get("errors").is_none(), "register failed: {body:#}");
        let payload = &body["data"]["register"];
        (
            payload["token"].as_str().expect("a token").to_owned(),
            payload["user"]["id"].as_str().expect("an id").to_owned(),
        )
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Runs a query that must succeed and returns its `data` and how many SQL
    /// statements the server ran for it.
    pub async fn data_and_statements(&self, query: &str, variables: Value) -> (Value, usize) {
        self.db.reset_statement_count();
        let data = self.data(query, variables).await;
        (data, self.db.statement_count())
    }

    /// The files in the server's image store (its local directory).
    pub fn stored_objects(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("reading the media directory") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(self.media.path(), &mut found);
        found
    }

    /// Runs a query that must fail and returns its first error.
    pub async fn error(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "expected an error, got {body:#}");
        errors[0].clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
