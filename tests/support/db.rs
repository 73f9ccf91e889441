//! [`TestDb`]: one fresh database for one test, removed when it drops, copied
//! from a template that the process migrates once.
//!
//! Migrating is the slow part of making a database, so the first
//! [`TestDb::new`] in a process migrates a template, and every `new` copies
//! it: SQLite writes the migrated file's bytes to a new file; PostgreSQL runs
//! `CREATE DATABASE … TEMPLATE`; MySQL/MariaDB, which cannot copy a database,
//! replays the template's `SHOW CREATE TABLE` statements (foreign keys and
//! their `ON DELETE CASCADE` included, which `CREATE TABLE … LIKE` would drop)
//! and its `seaql_migrations` rows, so the copy counts as migrated.
//! [`TestDb::empty`] copies nothing: the migration tests start from bare.
//!
//! A template belongs to one process and is made from the migrations compiled
//! into it: an edited migration never meets a stale template, and two
//! processes (two crates' suites, two checkouts on one server) never share or
//! clobber one; the price is one migration per process. The SQLite bytes and
//! the MySQL statements are kept in memory and their template removed at once,
//! so nothing of them outlives the process. A PostgreSQL template has to stay
//! on the server while the process runs, and nothing runs at process exit: it
//! is named `folio_template_<pid>_<µs>`, one connection whose
//! `application_name` is that name stays open until the process ends, and each
//! process, before it makes its own, drops every template whose connection is
//! gone — so a run leaves at most its own template behind, until the next one.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::Context;
use api::config::DatabaseConfig;
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, MysqlQueryBuilder, Query};
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use url::Url;

/// The environment variable naming the database server the suite runs on.
pub const TEST_DATABASE_URL: &str = "FOLIO_TEST_DATABASE_URL";

/// A database that exists for one test.
///
/// [`TestDb::new`] gives it the full schema; [`TestDb::empty`] leaves it bare
/// for the migration tests. Dropping it closes the connection and removes the
/// database (the SQLite directory, or the server-side database).
pub struct TestDb {
    /// The connection the test uses; every statement it runs is recorded.
    pub conn: DatabaseConnection,
    /// The URL of this test's database, for anything that opens its own pool.
    pub url: String,
    statements: Arc<Mutex<Vec<Statement>>>,
    /// Held for its `Drop`, which removes the database; declared last, so
    /// that it drops after the connection.
    _cleanup: Cleanup,
}

/// What removes a test's database when the test ends.
#[allow(dead_code, reason = "each variant is held for its Drop")]
enum Cleanup {
    /// The SQLite file lives in this directory, removed on drop.
    Sqlite(tempfile::TempDir),
    /// A database on the server, dropped on drop.
    Server(ServerDatabase),
    /// Nothing: the database lives on a server the test owns and removes
    /// whole ([`crate::private_server`]).
    Owned,
}

impl TestDb {
    /// A fresh database with every migration applied: a copy of this
    /// process's template, which the first call makes.
    pub async fn new() -> TestDb {
        TestDb::new_with(DatabaseConfig::default()).await
    }

    /// A fresh, migrated database whose pool `folio` opens with `config`'s
    /// settings (its `database_url` is ignored: the pool is on this test's
    /// database).
    pub async fn new_with(config: DatabaseConfig) -> TestDb {
        crate::log::init();
        let (url, cleanup) = Template::get().copy().await;
        TestDb::connect(url, cleanup, config).await
    }

    /// The database at `url`, which the caller made and removes, migrated
    /// here, with a pool `folio` opens with `config`'s settings (its
    /// `database_url` is ignored).
    pub async fn migrated_at(url: String, config: DatabaseConfig) -> TestDb {
        crate::log::init();
        migrate(&url)
            .await
            .unwrap_or_else(|err| panic!("migrating {url}: {err:#}"));
        TestDb::connect(url, Cleanup::Owned, config).await
    }

    /// A fresh database with no tables at all.
    pub async fn empty() -> TestDb {
        TestDb::empty_with(DatabaseConfig::default()).await
    }

    /// A fresh database with no tables at all, whose pool `folio` opens with
    /// `config`'s settings (its `database_url` is ignored).
    pub async fn empty_with(config: DatabaseConfig) -> TestDb {
        crate::log::init();
        let (url, cleanup) = match test_server() {
            Some(server) => {
                let name = test_database_name();
                let create = [format!("CREATE DATABASE {name}")];
                let database = ServerDatabase::create(&server, name, &create)
                    .await
                    .expect("creating an empty test database");
                (database.url(), Cleanup::Server(database))
            }
            None => sqlite_file(None),
        };
        TestDb::connect(url, cleanup, config).await
    }

    /// Opens the test's pool as `folio` opens its own, with `config`'s
    /// settings on `url`, counting statements from zero.
    async fn connect(url: String, cleanup: Cleanup, config: DatabaseConfig) -> TestDb {
        let config = DatabaseConfig {
            database_url: url.clone(),
            ..config
        };
        let mut conn = api::db::connect(&config)
            .await
            .unwrap_or_else(|err| panic!("connecting to the test database {url}: {err}"));
        let statements = Arc::new(Mutex::new(Vec::new()));
        let recorded = statements.clone();
        conn.set_metric_callback(move |info| {
            // The executor's second answer to a planned query is not the server's work.
            if api::plan::in_reference_run() {
                return;
            }
            recorded
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(info.statement.clone());
        });
        TestDb {
            conn,
            url,
            statements,
            _cleanup: cleanup,
        }
    }

    /// Seeds this database with `options` over a pool of its own that sets
    /// no statement timeout, as `folio seed` does: seeding holds a
    /// connection far longer than a request's statement may run (on SQLite
    /// the timeout counts from when the connection is handed out).
    pub async fn seed(&self, options: &api::seed::SeedOptions) {
        let config = DatabaseConfig {
            database_url: self.url.clone(),
            statement_timeout_ms: 0,
            pool_size: Some(1),
            ..DatabaseConfig::default()
        };
        let db = api::db::connect(&config)
            .await
            .expect("connecting to seed the test database");
        api::seed::seed(&db, options, &mut |_| {})
            .await
            .expect("seeding the test database");
        db.close().await.expect("closing the seeding pool");
    }

    /// Which backend this test runs on.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// SQL statements run on [`TestDb::conn`] since the last reset.
    pub fn statement_count(&self) -> usize {
        self.recorded().len()
    }

    /// The SQL statements run on [`TestDb::conn`] since the last reset, in order.
    pub fn statements(&self) -> Vec<Statement> {
        self.recorded().clone()
    }

    /// Starts recording statements afresh.
    pub fn reset_statement_count(&self) {
        self.recorded().clear();
    }

    fn recorded(&self) -> std::sync::MutexGuard<'_, Vec<Statement>> {
        self.statements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The names of the tables in this database, sorted.
    pub async fn table_names(&self) -> Vec<String> {
        let mut names = table_names(&self.conn).await.expect("listing tables");
        names.sort();
        names
    }
}

/// The server `FOLIO_TEST_DATABASE_URL` names; `None` means SQLite.
fn test_server() -> Option<String> {
    std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|server| !server.is_empty())
}

/// A new SQLite database in a directory of its own: a file holding
/// `contents`, or none at all (SQLite creates an empty database).
fn sqlite_file(contents: Option<&[u8]>) -> (String, Cleanup) {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let path = dir.path().join("folio.db");
    if let Some(contents) = contents {
        std::fs::write(&path, contents).expect("writing the test database file");
    }
    (sqlite_url(&path), Cleanup::Sqlite(dir))
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A name no other test database of any process has: this process's id, the
/// time, and a counter.
fn test_database_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "folio_test_{}_{}",
        process_tag(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// `<pid>_<µs>`: the process id, which no two live processes on one machine
/// share, and the microsecond it started, which tells apart a later process
/// given the same id (or one on another machine using the same server).
fn process_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_micros())
            .unwrap_or_default();
        format!("{}_{}", std::process::id(), started % 1_000_000_000_000)
    })
}

/// The names of the tables in the database `conn` is connected to, unsorted.
async fn table_names(conn: &DatabaseConnection) -> Result<Vec<String>, sea_orm::DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
    };
    let rows = conn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect()
}

/// A migrated schema, made once per process, that [`TestDb::new`] copies.
enum Template {
    /// The bytes of a migrated SQLite file.
    Sqlite(Vec<u8>),
    /// A migrated PostgreSQL database. It is never dropped here (statics are
    /// not), but by the next process's sweep once this one has ended.
    Postgres(ServerDatabase),
    /// The statements that give an empty MySQL/MariaDB database the migrated
    /// schema and its `seaql_migrations` rows, run on one connection.
    MySql {
        /// The server, as `FOLIO_TEST_DATABASE_URL` names it.
        server: String,
        /// `;`-separated statements, foreign key checks off for their session.
        schema: String,
    },
}

impl Template {
    /// This process's template, made by the first caller.
    ///
    /// Tests run on many runtimes and threads, so the template is made on a
    /// thread of its own with a runtime of its own, and every other caller
    /// waits for it; a failure is reported to every test, not retried.
    fn get() -> &'static Template {
        static TEMPLATE: OnceLock<Result<Template, String>> = OnceLock::new();
        TEMPLATE
            .get_or_init(Template::make_on_own_thread)
            .as_ref()
            .unwrap_or_else(|err| panic!("making the template database: {err}"))
    }

    fn make_on_own_thread() -> Result<Template, String> {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("folio-test-template".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = sender.send(Err(format!("a runtime for the template: {err}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Template::make(test_server()).await {
                        Ok((template, keeper)) => {
                            let _ = sender.send(Ok(template));
                            if let Some(_keeper) = keeper {
                                // The template stays claimed while this connection is
                                // open: hold it until the process exits.
                                std::future::pending::<()>().await;
                            }
                        }
                        Err(err) => {
                            let _ = sender.send(Err(format!("{err:#}")));
                        }
                    }
                });
            })
            .map_err(|err| format!("starting the template thread: {err}"))?;
        receiver
            .recv()
            .unwrap_or_else(|_| Err("the template thread ended without a template".to_owned()))
    }

    /// Makes the template on `server` (SQLite when `None`), with the
    /// connection that must stay open for as long as the template is used.
    async fn make(server: Option<String>) -> anyhow::Result<(Template, Option<PgConnection>)> {
        let Some(server) = server else {
            return Ok((Template::Sqlite(migrated_sqlite_file().await?), None));
        };
        let name = format!("folio_template_{}", process_tag());
        let scheme = Url::parse(&server)
            .with_context(|| format!("{TEST_DATABASE_URL}={server} is not a URL"))?
            .scheme()
            .to_owned();
        match scheme.as_str() {
            "postgres" | "postgresql" => {
                let (template, keeper) = migrated_postgres_database(server, name).await?;
                Ok((template, Some(keeper)))
            }
            "mysql" | "mariadb" => Ok((migrated_mysql_schema(server, name).await?, None)),
            other => anyhow::bail!(
                "{TEST_DATABASE_URL} names a {other} server; PostgreSQL or MySQL/MariaDB expected"
            ),
        }
    }

    /// A new database with the template's schema, and what removes it.
    async fn copy(&self) -> (String, Cleanup) {
        let (server, name, create) = match self {
            Template::Sqlite(bytes) => return sqlite_file(Some(bytes)),
            Template::Postgres(template) => {
                let name = test_database_name();
                let create = vec![format!("CREATE DATABASE {name} TEMPLATE {}", template.name)];
                (&template.server, name, create)
            }
            Template::MySql { server, schema } => {
                let name = test_database_name();
                // One string, so that `USE` and the schema's session settings apply.
                let create = vec![format!("CREATE DATABASE {name}; USE {name}; {schema}")];
                (server, name, create)
            }
        };
        let database = ServerDatabase::create(server, name, &create)
            .await
            .expect("copying the template database");
        (database.url(), Cleanup::Server(database))
    }
}

/// Migrates a SQLite file in a temporary directory and returns its bytes.
async fn migrated_sqlite_file() -> anyhow::Result<Vec<u8>> {
    let dir = tempfile::tempdir().context("a directory for the template")?;
    let path = dir.path().join("template.db");
    migrate(&sqlite_url(&path)).await?;
    // sqlx leaves SQLite's journal mode alone: with the default rollback
    // journal, the closed file holds the whole database.
    std::fs::read(&path).context("reading the migrated template file")
}

/// Migrates the PostgreSQL database `name`, which it claims first, and
/// returns it with the connection that claims it.
async fn migrated_postgres_database(
    server: String,
    name: String,
) -> anyhow::Result<(Template, PgConnection)> {
    // Claimed before it exists, so that no other process's sweep can drop it.
    let options = PgConnectOptions::from_str(&server)
        .with_context(|| format!("{TEST_DATABASE_URL}={server}"))?
        .application_name(&name);
    let keeper = PgConnection::connect_with(&options)
        .await
        .with_context(|| format!("connecting to {TEST_DATABASE_URL}={server}"))?;
    drop_abandoned_postgres_templates(&server).await;
    let create = [format!("CREATE DATABASE {name}")];
    let template = ServerDatabase::create(&server, name, &create).await?;
    // A failure here drops the half-made template with `template`. On success
    // `migrate` has closed its connection: PostgreSQL copies no template
    // anyone is connected to.
    migrate(&template.url()).await?;
    Ok((Template::Postgres(template), keeper))
}

/// Drops the PostgreSQL templates that no process claims any more: their
/// process ended (or was killed) while they were still on the server.
///
/// Best effort: a template that cannot be dropped now is tried by the next run.
async fn drop_abandoned_postgres_templates(server: &str) {
    let swept = async {
        let admin = Database::connect(server).await?;
        let abandoned = admin
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                r"SELECT datname FROM pg_database d
                  WHERE datname LIKE 'folio\_template\_%'
                    AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = d.datname)",
            ))
            .await?;
        for row in abandoned {
            let name: String = row.try_get("", "datname")?;
            let quoted = name.replace('"', "\"\"");
            admin
                .execute_unprepared(&format!(
                    r#"DROP DATABASE IF EXISTS "{quoted}" WITH (FORCE)"#
                ))
                .await?;
        }
        admin.close().await
    };
    if let Err(err) = swept.await {
        eprintln!("warning: could not drop abandoned template databases: {err}");
    }
}

/// Migrates the MySQL/MariaDB database `name`, reads back the statements that
/// recreate its schema and migration rows, and drops it.
async fn migrated_mysql_schema(server: String, name: String) -> anyhow::Result<Template> {
    let create = [format!("CREATE DATABASE {name}")];
    let template = ServerDatabase::create(&server, name, &create).await?;
    let conn = Database::connect(template.url()).await?;
    Migrator::up(&conn, None).await?;

    // Foreign keys may name tables created after theirs, as in a dump.
    let mut schema = String::from("SET FOREIGN_KEY_CHECKS = 0;\n");
    let tables = table_names(&conn).await?;
    for table in &tables {
        let row = conn
            .query_one_raw(Statement::from_string(
                DbBackend::MySql,
                format!("SHOW CREATE TABLE `{table}`"),
            ))
            .await?
            .with_context(|| format!("SHOW CREATE TABLE {table} returned nothing"))?;
        schema.push_str(&row.try_get::<String>("", "Create Table")?);
        schema.push_str(";\n");
    }

    let applied = conn
        .query_all_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT version, applied_at FROM seaql_migrations",
        ))
        .await?;
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("seaql_migrations"))
        .columns([Alias::new("version"), Alias::new("applied_at")]);
    for row in &applied {
        let version: String = row.try_get("", "version")?;
        let applied_at: i64 = row.try_get("", "applied_at")?;
        insert.values([version.into(), applied_at.into()])?;
    }
    if !applied.is_empty() {
        schema.push_str(&insert.to_string(MysqlQueryBuilder));
        schema.push_str(";\n");
    }
    // The one row a migration writes: the head of the subscriptions' outbox.
    if tables.iter().any(|table| table == "events_head") {
        schema.push_str("INSERT INTO events_head (id, writes, pruned_through) VALUES (1, 0, 0);\n");
    }
    conn.close().await?;
    Ok(Template::MySql { server, schema })
}

/// Connects to `url`, applies every migration, and closes the connection.
async fn migrate(url: &str) -> anyhow::Result<()> {
    let conn = Database::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    Migrator::up(&conn, None)
        .await
        .with_context(|| format!("migrating {url}"))?;
    conn.close().await?;
    Ok(())
}

/// A database on the test server, dropped when this value drops.
struct ServerDatabase {
    /// The server, as `FOLIO_TEST_DATABASE_URL` names it.
    server: String,
    /// The database's name, a plain identifier that needs no quoting.
    name: String,
}

impl ServerDatabase {
    /// Runs `create`, statements that create the database `name` (and may
    /// fill it), in turn on one connection to `server`. If one fails, whatever
    /// they made is dropped.
    async fn create(
        server: &str,
        name: String,
        create: &[String],
    ) -> anyhow::Result<ServerDatabase> {
        let mut one_connection = ConnectOptions::new(server);
        one_connection.max_connections(1);
        let admin = Database::connect(one_connection)
            .await
            .with_context(|| format!("connecting to {TEST_DATABASE_URL}={server}"))?;
        let database = ServerDatabase {
            server: server.to_owned(),
            name,
        };
        for statement in create {
            admin
                .execute_unprepared(statement)
                .await
                .with_context(|| format!("creating the database {}", database.name))?;
        }
        admin.close().await.ok();
        Ok(database)
    }

    /// The URL of this database on the server.
    fn url(&self) -> String {
        let mut url = Url::parse(&self.server).expect("FOLIO_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{}", self.name));
        url.to_string()
    }
}

impl Drop for ServerDatabase {
    fn drop(&mut self) {
        let (admin_url, db_name) = (self.server.clone(), self.name.clone());
        // Drop cannot await, and blocking the test's runtime on its own pool would
        // deadlock: drop the database from a thread with a runtime of its own, over
        // an admin connection.
        //
        // The blocked runtime is also why the database's own connections must be
        // ended first: a transaction the test's pool has yet to roll back (a write
        // that failed part-way) is rolled back by a task on that runtime, which
        // then never runs, and MySQL's DROP DATABASE waits for its locks forever.
        // PostgreSQL's FORCE ends the connections; on MySQL each is killed.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async move {
                let admin = Database::connect(&admin_url).await?;
                let drop = match admin.get_database_backend() {
                    DbBackend::Postgres => {
                        format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
                    }
                    _ => {
                        kill_mysql_connections(&admin, &db_name).await?;
                        format!("DROP DATABASE IF EXISTS {db_name}")
                    }
                };
                admin.execute_unprepared(&drop).await?;
                admin.close().await
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop test database {}: {err}", self.name),
            Err(_) => eprintln!("warning: could not drop test database {}", self.name),
        }
    }
}

/// Ends every connection to the MySQL/MariaDB database `name` but `admin`'s own.
async fn kill_mysql_connections(
    admin: &DatabaseConnection,
    name: &str,
) -> Result<(), sea_orm::DbErr> {
    let connections = admin
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            "SELECT id AS id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
            [name.into()],
        ))
        .await?;
    for connection in connections {
        let id: i64 = connection.try_get("", "id")?;
        // It may have closed since it was listed; either way it is gone.
        let _ = admin
            .execute_unprepared(&format!("KILL CONNECTION {id}"))
            .await;
    }
    Ok(())
}
