//! Settings shared by every subcommand. Each has a flag, an environment
//! variable (also read from `.env`) and a default, so that `folio` runs with
//! nothing set up.

use clap::Args;

/// Where the data lives and how many connections to keep to it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// The database to use: `sqlite://PATH?mode=rwc`, `postgres://…` or `mysql://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://folio.db?mode=rwc",
        global = true
    )]
    pub database_url: String,

    /// The most connections the pool keeps open.
    #[arg(long, env = "FOLIO_POOL_SIZE", default_value_t = 10, global = true)]
    pub pool_size: u32,
}
