//! Folio's API server as a library: the command line, the configuration and
//! the database connection, so that the `folio` binary and the end-to-end tests
//! run the very same code.

pub mod cli;
pub mod config;
pub mod db;
