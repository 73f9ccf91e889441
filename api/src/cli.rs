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

use crate::config::{DatabaseConfig, MediaConfig, ServerConfig, StorageConfig};
use crate::logging::LogFormat;
use crate::server::Server;

/// Folio: a GraphQL API server for a photo-and-blog application.
///
/// With no subcommand it serves, reading the same flags and settings as
/// `folio serve`.
#[derive(Debug, Parser)]
#[command(name = "folio", version)]
pub struct Cli {
    /// The database settings every subcommand shares.
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// How logs are written to standard error: `text` (coloured only on a
    /// terminal) or `json` (one object per line).
    #[arg(
        long,
        env = "FOLIO_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    pub log_format: LogFormat,

    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The settings of `folio serve`, for `folio` without a subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The subcommands of `folio`.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing the serve settings would buy nothing"
)]
pub enum Command {
    /// Apply pending migrations, then serve the GraphQL API.
    Serve(ServeArgs),
    /// Apply, undo or inspect the schema migrations.
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL), write it to a file, or check a file against it.
    Schema {
        /// Write the SDL to this file instead of standard output.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
        /// Fail if this file differs from the SDL (for CI).
        #[arg(long, value_name = "PATH", conflicts_with = "out")]
        check: Option<std::path::PathBuf>,
    },
    /// Fill an empty database with deterministic demo data, its photos
    /// showing a few generated images.
    Seed {
        /// How much data.
        #[command(flatten)]
        options: crate::seed::SeedOptions,
        /// Where the demo images are stored.
        #[command(flatten)]
        storage: StorageConfig,
    },
    /// Look after the stored images.
    Media {
        /// Where the images are stored.
        #[command(flatten)]
        storage: StorageConfig,
        /// What to do.
        #[command(subcommand)]
        action: MediaAction,
    },
}

/// The actions of `folio media`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MediaAction {
    /// Remove the stored objects no photo uses (left by a crash between
    /// storing an upload and saving its photo, or by a failed removal), and
    /// print their keys.
    Gc {
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Leave objects written less than this many seconds ago: they may
        /// belong to an upload whose photo is being saved right now.
        #[arg(long, default_value_t = 3600)]
        min_age_secs: u64,
    },
}

/// The flags of `folio serve`.
#[derive(Debug, Clone, clap::Args, Default)]
pub struct ServeArgs {
    /// How the server listens and what it accepts.
    #[command(flatten)]
    pub server: ServerConfig,
    /// Do not apply pending migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
    /// Fill an empty database with demo data first.
    #[arg(long)]
    pub demo: bool,
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
    crate::logging::init(cli.log_format);
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    match command {
        Command::Schema { out, check } => schema(out, check),
        Command::Migrate { action } => {
            let db = connect(&cli.database.for_administration()).await?;
            crate::db::lock_migrations(&db).await?;
            let done = migrate(&db, action, &mut std::io::stdout()).await;
            crate::db::unlock_migrations(&db).await?;
            done
        }
        Command::Seed { options, storage } => {
            let db = connect(&cli.database.for_administration()).await?;
            migrate_up(&db).await?;
            let media = MediaConfig {
                storage,
                ..MediaConfig::default()
            };
            seed(&db, &options, &media).await
        }
        Command::Serve(args) => serve(&cli.database, args).await,
        Command::Media { storage, action } => {
            let db = connect(&cli.database.for_administration()).await?;
            media(&db, &storage, action, &mut std::io::stdout()).await
        }
    }
}

/// Carries out one `folio media` action on the store `storage` names, with
/// `db` saying which objects are used; writes what it did to `out`.
pub async fn media(
    db: &DatabaseConnection,
    storage: &StorageConfig,
    action: MediaAction,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let media = crate::media::Media::open(&MediaConfig {
        storage: storage.clone(),
        ..MediaConfig::default()
    })?;
    match action {
        MediaAction::Gc {
            dry_run,
            min_age_secs,
        } => {
            let min_age = std::time::Duration::from_secs(min_age_secs);
            let orphans = media.collect_garbage(db, min_age, dry_run).await?;
            let verb = if dry_run { "would remove" } else { "removed" };
            for key in &orphans {
                writeln!(out, "{verb} {key}")?;
            }
            writeln!(out, "{verb} {} objects no photo uses", orphans.len())?;
        }
    }
    Ok(())
}

async fn connect(config: &DatabaseConfig) -> anyhow::Result<DatabaseConnection> {
    crate::db::connect(config).await.with_context(|| {
        format!(
            "could not connect to the database at {}",
            redact(&config.database_url)
        )
    })
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// `folio schema`: print, write or check the SDL.
fn schema(
    out: Option<std::path::PathBuf>,
    check: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let sdl = crate::schema::sdl();
    if let Some(path) = check {
        let committed = std::fs::read_to_string(&path)
            .with_context(|| format!("could not read {}", path.display()))?;
        if committed != sdl {
            anyhow::bail!(
                "{} differs from the schema the code builds; run `folio schema --out {}` and commit it",
                path.display(),
                path.display()
            );
        }
        println!("{} matches the schema", path.display());
        return Ok(());
    }
    match out {
        Some(path) => std::fs::write(&path, &sdl)
            .with_context(|| format!("could not write {}", path.display())),
        None => {
            print!("{sdl}");
            Ok(())
        }
    }
}

/// `folio seed`: demo data into an empty database, with a progress line.
async fn seed(
    db: &DatabaseConnection,
    options: &crate::seed::SeedOptions,
    media: &MediaConfig,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut progress = |line: &str| eprintln!("seed: {line}");
    let media = crate::media::Media::open(media)?;
    let images = crate::seed::images::store(&media)
        .await
        .map_err(|err| anyhow::anyhow!("could not store the demo images: {err}"))?;
    progress(&format!("stored {} demo images", images.len()));
    let seeded = crate::seed::seed_with_images(db, options, &images, &mut progress).await;
    if seeded.is_err() {
        let stored = images.iter().map(|i| (i.sha256.clone(), i.kind)).collect();
        media.release(db, stored).await;
    }
    let report = seeded?;
    eprintln!("seed: done in {:.1?}: {report}", started.elapsed());
    Ok(())
}

/// `folio serve`: migrate, optionally seed, then serve until SIGINT/SIGTERM.
async fn serve(database: &DatabaseConfig, args: ServeArgs) -> anyhow::Result<()> {
    raise_open_files_limit();
    prepare(database, &args).await?;
    let db = connect(database).await?;
    let server = Server::build(db, &args.server).await?;
    let address = server.address();
    println!("Folio is listening on http://{address}");
    println!("GraphiQL: open http://{address}/graphql in a browser");
    server.run(crate::server::shutdown_signal()).await?;
    Ok(())
}

/// Raises the soft limit on open files to the hard one: every connection,
/// pooled database connection and spooled upload is a descriptor, and the
/// usual soft default (1024) is reached by a busy server long before the
/// hard limit is. A failure is logged and serving goes on at the old limit.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!("the limit on open files is now {limit}"),
        Err(err) => tracing::warn!("could not raise the limit on open files: {err}"),
    }
}

/// What `folio serve` does before it serves: check and migrate the schema,
/// and with `--demo` fill an empty database, on a pool of its own with the
/// administration settings ([`DatabaseConfig::for_administration`]).
async fn prepare(database: &DatabaseConfig, args: &ServeArgs) -> anyhow::Result<()> {
    let db = connect(&database.for_administration()).await?;
    if args.no_migrate {
        crate::db::ensure_known_schema(&db).await?;
        let pending = Migrator::get_pending_migrations(&db).await?;
        if !pending.is_empty() {
            tracing::warn!(
                pending = pending.len(),
                "migrations are pending and --no-migrate was given"
            );
        }
    } else {
        migrate_up(&db).await?;
    }
    if args.demo {
        use sea_orm::{EntityTrait, PaginatorTrait};
        if entity::prelude::User::find().count(&db).await? == 0 {
            seed(&db, &crate::seed::SeedOptions::demo(), &args.server.media).await?;
        } else {
            tracing::info!("--demo: the database already has data; leaving it as it is");
        }
    }
    db.close().await?;
    Ok(())
}

/// Checks that `db` holds no migration this binary does not know, then
/// applies every pending one, all under the migration lock
/// ([`crate::db::lock_migrations`]): of instances started together, one
/// migrates and the others wait, then find nothing to do.
async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    crate::db::lock_migrations(db)
        .await
        .context("could not take the migration lock")?;
    let applied = match crate::db::ensure_known_schema(db).await {
        Ok(()) => Migrator::up(db, None)
            .await
            .context("could not apply migrations"),
        Err(err) => Err(err),
    };
    crate::db::unlock_migrations(db).await?;
    applied
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
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_folio_takes_the_serve_settings() {
        let cli = Cli::try_parse_from(["folio", "--bind", "127.0.0.1:9000", "--max-depth", "7"])
            .expect("serve flags without a subcommand");
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.server.bind.to_string(), "127.0.0.1:9000");
        assert_eq!(cli.serve.server.limits.max_depth, 7);
        let explicit = Cli::try_parse_from(["folio", "serve", "--bind", "127.0.0.1:9001"])
            .expect("folio serve");
        assert!(matches!(
            explicit.command,
            Some(Command::Serve(args)) if args.server.bind.to_string() == "127.0.0.1:9001"
        ));
    }
}
