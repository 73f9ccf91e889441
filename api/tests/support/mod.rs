//! What the tests of the built `folio` binary share: a scratch database on
//! the suite's backend, and `folio serve` processes over it.

#![allow(
    dead_code,
    reason = "each test crate uses the part of this module it needs"
)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};
use serde_json::{Value, json};

/// The token secret every instance signs with.
pub const SECRET: &str = "a test secret of at least thirty-two bytes";

/// A scratch database on the suite's backend, dropped at the end.
pub struct Scratch {
    /// The database's URL.
    pub url: String,
    admin: Option<(DatabaseConnection, String)>,
    _dir: tempfile::TempDir,
}

impl Scratch {
    /// A new database named after `tag`, or an SQLite file when the suite runs on SQLite.
    pub async fn new(tag: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let server = std::env::var("FOLIO_TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty() && !url.starts_with("sqlite"));
        let Some(server) = server else {
            let url = format!("sqlite://{}/live.db?mode=rwc", dir.path().display());
            return Scratch {
                url,
                admin: None,
                _dir: dir,
            };
        };
        let name = format!("folio_live_{tag}_{}", std::process::id());
        let admin = Database::connect(&server).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        Scratch {
            url: url.to_string(),
            admin: Some((admin, name)),
            _dir: dir,
        }
    }

    /// Drops the database (an SQLite file goes with its directory).
    pub async fn drop_database(self) {
        if let Some((admin, name)) = self.admin {
            let force = if admin.get_database_backend() == DbBackend::Postgres {
                " WITH (FORCE)"
            } else {
                ""
            };
            admin
                .execute_unprepared(&format!("DROP DATABASE {name}{force}"))
                .await
                .unwrap();
        }
    }
}

/// A `folio serve` process; killed when dropped.
pub struct Instance {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Instance {
    /// Starts `folio serve` on `url` and waits until it is healthy.
    pub async fn start(url: &str, migrate: bool) -> Instance {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
        command.arg("serve");
        if !migrate {
            command.arg("--no-migrate");
        }
        let child = command
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", url)
            .env("FOLIO_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let instance = Instance { child, port };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = client
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return instance;
            }
            assert!(Instant::now() < deadline, "folio did not become healthy");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// POSTs a GraphQL request (as `token`'s holder, if given) that must succeed; its `data`.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.request(token, query, variables).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"].clone()
    }

    /// POSTs a GraphQL request and returns the whole body.
    pub async fn request(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/graphql", self.port))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    /// The process's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// Registers `username` and returns its token.
    pub async fn register(&self, username: &str) -> String {
        let data = self
            .graphql(
                None,
                "mutation($i: RegisterInput!) { register(input: $i) { token } }",
                json!({ "i": { "username": username, "email": format!("{username}@example.com"), "password": "password123" } }),
            )
            .await;
        data["register"]["token"].as_str().unwrap().to_owned()
    }

    /// Writes a post titled `title` as `token`'s holder.
    pub async fn create_post(&self, token: &str, title: &str) {
        self.graphql(
            Some(token),
            "mutation($t: String!) { createPost(input: { title: $t, body: \"b\" }) { id } }",
            json!({ "t": title }),
        )
        .await;
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
