//! [`Instance`]: a `folio serve` process of the built binary over a test's
//! database, as an operator runs it, for the tests that need a whole
//! process (two instances on one database, its resident memory).
//!
//! Cargo names the binary (`CARGO_BIN_EXE_folio`) to the `api` package's
//! integration tests only, so the caller passes its path. The rest of the
//! suite runs the server in process ([`crate::TestApp`]).

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::wait;

/// The token secret every instance signs with.
pub const SECRET: &str = "a test secret of at least thirty-two bytes";

/// A running `folio serve` process; killed when dropped.
pub struct Instance {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The port it listens on.
    pub port: u16,
    client: reqwest::Client,
}

impl Instance {
    /// Starts `program serve <args>` on the database at `url`, on a free
    /// port of 127.0.0.1, and waits until it is healthy. `args` may be
    /// `["--no-migrate"]` for a second instance on a migrated database.
    pub async fn start(program: &str, url: &str, args: &[&str]) -> Instance {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(program)
            .arg("serve")
            .args(args)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", url)
            .env("FOLIO_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("starting {program}: {err}"));
        let instance = Instance {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            client: reqwest::Client::new(),
        };
        wait::until_healthy(&instance.client, &instance.base).await;
        instance
    }

    /// POSTs a GraphQL request (as `token`'s holder, if given) that must succeed; its `data`.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.request(token, query, variables).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"].clone()
    }

    /// POSTs a GraphQL request and returns the whole body.
    pub async fn request(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("sending a GraphQL request");
        response.json().await.expect("a JSON response")
    }

    /// The process's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process's status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a VmHWM line")
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
        data["register"]["token"]
            .as_str()
            .expect("a token")
            .to_owned()
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
        // It may have ended already; either way it is gone once reaped.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
