//! What the benchmarks share: a scratch database per backend, and `folio
//! serve` as a process of its own (the benchmark binary itself, re-run in
//! server mode, so that it runs with the benchmark's optimizations).

#![allow(dead_code, reason = "each benchmark uses a part of it")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use sea_orm::{ConnectionTrait, Database, DbBackend};
use serde_json::{Value, json};

/// Set in the environment of the benchmark binary re-run as the server.
const SERVER_MODE: &str = "FOLIO_BENCH_SERVER";

/// The secret the benchmark's server signs its tokens with.
pub const JWT_SECRET: &str = "a benchmark secret of at least thirty-two bytes";

/// Runs `folio` with the arguments after `--` when this binary was started
/// as a benchmark's server, and says whether it did.
pub fn serve_if_asked() -> bool {
    if std::env::var_os(SERVER_MODE).is_none() {
        return false;
    }
    let args: Vec<String> = std::env::args().skip_while(|a| a != "--").skip(1).collect();
    let cli = api::cli::Cli::parse_from(std::iter::once("folio".to_owned()).chain(args));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(api::cli::run(cli)).unwrap();
    true
}

/// A database of the benchmark's own on a backend, dropped at the end.
pub struct BenchDb {
    /// The database's URL.
    pub url: String,
    server: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl BenchDb {
    /// A fresh database on `backend` (`server` is its admin URL; none for SQLite).
    pub async fn create(backend: &str, server: Option<&str>) -> Result<BenchDb, String> {
        let name = format!("folio_bench_{}", std::process::id());
        let Some(server) = server else {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            return Ok(BenchDb {
                url,
                server: None,
                name,
                _dir: Some(dir),
            });
        };
        let admin = Database::connect(server)
            .await
            .map_err(|e| format!("{backend} at {server} is not reachable: {e}"))?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| e.to_string())?;
        admin.close().await.ok();
        let mut url = url::Url::parse(server).map_err(|e| e.to_string())?;
        url.set_path(&format!("/{name}"));
        Ok(BenchDb {
            url: url.to_string(),
            server: Some(server.to_owned()),
            name,
            _dir: None,
        })
    }

    /// Removes the database from its server.
    pub async fn drop_database(&self) {
        let Some(server) = &self.server else { return };
        if let Ok(admin) = Database::connect(server).await {
            let force = if admin.get_database_backend() == DbBackend::Postgres {
                " WITH (FORCE)"
            } else {
                ""
            };
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {}{force}", self.name))
                .await;
            admin.close().await.ok();
        }
    }
}

/// `folio serve` as a child process, on a free port of 127.0.0.1.
pub struct ServerProcess {
    /// The server process.
    pub child: Child,
    /// Its GraphQL endpoint.
    pub url: String,
    /// The address it listens on.
    pub address: std::net::SocketAddr,
}

impl ServerProcess {
    /// Starts `folio serve --no-migrate` on `database_url` with `extra` settings as arguments.
    pub fn start(database_url: &str, extra: &[&str]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(std::env::current_exe().unwrap())
            .env(SERVER_MODE, "1")
            .env("RUST_LOG", "warn")
            .env("FOLIO_JWT_SECRET", JWT_SECRET)
            .args(["--", "serve", "--no-migrate"])
            .args([
                "--database-url",
                database_url,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = ServerProcess {
            child,
            url: format!("http://127.0.0.1:{port}/graphql"),
            address: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the benchmark server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// User plus system CPU time the server has used so far.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // Linux reports these in USER_HZ, 100 per second on every architecture it runs on here.
        Duration::from_millis(ticks * 10)
    }

    /// The server's resident set now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        self.status_mib("VmRSS:")
    }

    /// The largest resident set the server has had, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.status_mib("VmHWM:")
    }

    /// A size line of the server's `/proc/<pid>/status`, in MiB.
    fn status_mib(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment variable `name`, or `default`.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// POSTs `query` to `url` and returns the JSON answer.
pub async fn post(client: &reqwest::Client, url: &str, query: &str) -> Value {
    client
        .post(url)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Sends one request; its `data`, or what went wrong.
pub async fn call(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let mut request = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|err| err.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|err| err.to_string())?;
    if !status.is_success() || body.get("errors").is_some() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body["data"].clone())
}
