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

    /// The process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The CPU time the process has used so far (user and system), from
    /// `/proc/PID/stat`.
    pub fn cpu_time(&self) -> std::time::Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the process's stat");
        // The fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        // utime and stime are fields 14 and 15, the 12th and 13th after it.
        let ticks: u64 =
            fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
        // The kernel's USER_HZ is 100 on every Linux Folio runs on.
        std::time::Duration::from_millis(ticks * 10)
    }

    /// Sends SIGTERM, as an operator's `kill` or an orchestrator does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `patience` for the process to exit; its exit status,
    /// or `None` if it is still running.
    pub async fn exit_within(
        &mut self,
        patience: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            if let Some(status) = self.child.try_wait().expect("polling the process") {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A `createPhoto` upload of `bytes` named `filename` as `token`'s
    /// holder, as a GraphQL multipart request: its response, or the failure
    /// of its connection, once awaited (spawn it to run it alongside).
    pub fn upload_photo(
        &self,
        token: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static {
        let operations = json!({
            "query": "mutation($input: CreatePhotoInput!) { createPhoto(input: $input) { id } }",
            "variables": { "input": { "file": null, "caption": filename } },
        });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.input.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
            );
        self.client
            .post(format!("{}/graphql", self.base))
            .header("apollo-require-preflight", "true")
            .bearer_auth(token)
            .multipart(form)
            .send()
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
