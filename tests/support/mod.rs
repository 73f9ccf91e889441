//! The one harness both test binaries stand on (the end-to-end suite in
//! `tests/`, and the `api` package's tests of the built `folio` binary): a
//! fresh database per test on the backend that `FOLIO_TEST_DATABASE_URL`
//! names, the server over it, and the waits for it.
//!
//! Absent, each test gets its own SQLite file in a temporary directory; a
//! `postgres://…` or `mysql://…` URL names a server on which each test creates
//! a database of its own and drops it when the test ends, so tests run in
//! parallel on every backend. Each is a copy of a template the process
//! migrates once, or empty ([`db`]). The server runs in process
//! ([`TestApp`]) or as a `folio serve` process ([`instance`]); whatever a
//! test waits for, it polls with a deadline ([`wait`]). `TEST_LOG=1` prints
//! the server's logs ([`log`]). The fault tests start database servers of
//! their own ([`private_server`]), the S3 test an S3-compatible server
//! ([`s3`]). This crate holds no tests itself.

pub mod app;
pub mod data;
pub mod db;
pub mod fixtures;
pub mod images;
pub mod instance;
pub mod log;
pub mod private_server;
pub mod s3;
pub mod socket;
pub mod wait;

pub use app::TestApp;
pub use db::TestDb;
