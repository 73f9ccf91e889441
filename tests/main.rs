//! The end-to-end suite: one binary, one module per capability.

#![allow(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first step that fails"
)]

mod auth;
mod comments;
mod concurrency;
mod constraints;
mod faults;
mod http;
mod limits;
mod migrations;
mod mutations;
mod operations;
mod paging;
mod planned;
mod plans;
mod queries;
mod relations;
mod seed;
mod server;
mod statements;
mod subscriptions;
mod timeouts;
mod transports;
mod uploads;
