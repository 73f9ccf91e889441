//! The `folio` command line: its subcommands and what each one does.
//!
//! Every subcommand runs through [`run`], which the binary and the tests call
//! alike; output meant for the person at the terminal goes to a writer passed
//! in, so that it can be checked.

use std::io::Write;

use anyhow::Context;
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::config::DatabaseConfig;

/// Folio: a GraphQL API server for a photo-and-blog application.
#[derive(Debug, Parser)]
#[command(name = "folio", version, about)]
pub struct Cli {
    /// The database settings every subcommand shares.
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `folio`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply, undo or inspect the schema migrations.
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
}

/// The actions of `folio migrate`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (all of them, or the first N).
    Up {
        /// How many pending migrations to apply; all when absent.
        #[arg(short = 'n', long = "num")]
        num: Option<u32>,
    },
    /// Undo the last N applied migrations.
    Down {
        /// How many applied migrations to undo.
        #[arg(short = 'n', long = "num", default_value_t = 1)]
        num: u32,
    },
    /// List every migration and whether it is applied.
    Status,
    /// Drop every table, then apply all migrations.
    Fresh,
    /// Undo every applied migration, then apply them all again.
    Refresh,
    /// Undo every applied migration.
    Reset,
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_tracing();
    match cli.command {
        Command::Migrate { action } => {
            let db = crate::db::connect(&cli.database)
                .await
                .with_context(|| "could not connect to the database")?;
            migrate(&db, action, &mut std::io::stdout()).await
        }
    }
}

/// Carries out one `folio migrate` action on `db`, writing what it did to `out`.
pub async fn migrate(
    db: &DatabaseConnection,
    action: MigrateAction,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match action {
        MigrateAction::Up { num } => Migrator::up(db, num).await?,
        MigrateAction::Down { num } => Migrator::down(db, Some(num)).await?,
        MigrateAction::Status => {}
        MigrateAction::Fresh => Migrator::fresh(db).await?,
        MigrateAction::Refresh => Migrator::refresh(db).await?,
        MigrateAction::Reset => Migrator::reset(db).await?,
    }
    let migrations = Migrator::get_migration_with_status(db)
        .await
        .context("could not read the applied migrations")?;
    for migration in migrations {
        writeln!(
            out,
            "{:<8} {}",
            migration.status().to_string(),
            migration.name()
        )?;
    }
    Ok(())
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: info for Folio and its migrations).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // A second init (tests run many commands in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
