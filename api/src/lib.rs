//! Folio's API server as a library: the command line, the configuration, the
//! database connection, the GraphQL schema and the HTTP app, so that the
//! `folio` binary and the end-to-end tests run the very same code.

pub mod auth;
pub mod budget;
pub mod cli;
pub mod config;
pub mod db;
pub mod document;
pub mod error;
pub mod filter;
pub mod graphiql;
pub mod http;
pub mod live;
pub mod loader;
pub mod logging;
pub mod media;
pub mod mutation;
pub mod node;
pub mod operation;
pub mod paging;
pub mod query;
pub mod schema;
pub mod seed;
pub mod server;
pub mod subscription;
pub mod types;
pub mod validate;
pub mod viewer;
pub mod write;
