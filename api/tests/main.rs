//! The tests of the built `folio` binary: one binary, one module per
//! capability. They live in the `api` package because Cargo names a
//! package's binary (`CARGO_BIN_EXE_folio`) to that package's own
//! integration tests only; the end-to-end suite that runs the server in
//! process is `tests/` (the `folio-tests` package).

#![allow(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first step that fails"
)]

mod live;
mod logs;
mod memory;
mod migrate_lock;
mod shutdown;
