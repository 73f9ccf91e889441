//! [`S3Server`]: an S3-compatible server of the test's own (moto's
//! `moto_server`, from PyPI) on 127.0.0.1, with one bucket, stopped when
//! it drops.
//!
//! `FOLIO_TEST_MOTO_SERVER` names the `moto_server` program (`.ci/run`
//! installs it and sets it); without it [`S3Server::start`] returns `None`
//! and the S3 tests say so and pass, so that `cargo test` needs no setup.

use std::process::{Child, Command, Stdio};

/// The environment variable naming the `moto_server` program.
pub const MOTO_SERVER: &str = "FOLIO_TEST_MOTO_SERVER";

/// A running S3-compatible server with the bucket [`S3Server::BUCKET`].
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
}

impl S3Server {
    /// The bucket every server starts with.
    pub const BUCKET: &str = "folio-test";

    /// Starts the server and makes the bucket; `None` when
    /// `FOLIO_TEST_MOTO_SERVER` is not set.
    pub async fn start() -> Option<S3Server> {
        let program = std::env::var(MOTO_SERVER).ok().filter(|p| !p.is_empty())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("finding a free port")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("starting {program}: {err}"));
        let server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        let client = reqwest::Client::new();
        let bucket = format!("{}/{}", server.endpoint, S3Server::BUCKET);
        // Creating the bucket is also the readiness probe.
        crate::wait::until(&format!("{program} to make the bucket"), || async {
            client
                .put(&bucket)
                .send()
                .await
                .is_ok_and(|response| response.status().is_success())
        })
        .await;
        Some(server)
    }

    /// A `--storage-url` for the bucket, objects under `prefix`.
    pub fn storage_url(&self, prefix: &str) -> String {
        format!(
            "s3://{}/{prefix}?endpoint={}&allow_http=true&region=us-east-1&access_key_id=test&secret_access_key=test",
            S3Server::BUCKET,
            self.endpoint
        )
    }

    /// The keys of the objects in the bucket.
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::Client::new()
            .get(format!(
                "{}/{}?list-type=2",
                self.endpoint,
                S3Server::BUCKET
            ))
            .send()
            .await
            .expect("listing the bucket")
            .text()
            .await
            .expect("the listing");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
