//! The migration crate's own command line, as sea-orm users expect:
//! `cargo run -p migration -- status` (or `up`, `down`, `fresh`, …), reading
//! `DATABASE_URL` from the environment or `.env`. `folio migrate` offers the
//! same commands with Folio's defaults.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migration::Migrator).await;
}
