//! [`TestDb`]: one fresh database for one test, removed when it drops.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};
use url::Url;

/// The environment variable naming the database server the suite runs on.
pub const TEST_DATABASE_URL: &str = "FOLIO_TEST_DATABASE_URL";

/// A database that exists for one test.
///
/// [`TestDb::new`] gives it the full schema; [`TestDb::empty`] leaves it bare
/// for the migration tests. Dropping it closes the connection and removes the
/// database (the SQLite directory, or the server-side database).
pub struct TestDb {
    /// The connection the test uses; every statement it runs is counted.
    pub conn: DatabaseConnection,
    /// The URL of this test's database, for anything that opens its own pool.
    pub url: String,
    statements: Arc<AtomicUsize>,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The SQLite file lives in this directory, removed on drop.
    Sqlite(#[allow(dead_code, reason = "held for its Drop")] tempfile::TempDir),
    /// `DROP DATABASE name` over a fresh connection to the server at `admin_url`.
    Server { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn new() -> TestDb {
        let db = TestDb::empty().await;
        Migrator::up(&db.conn, None)
            .await
            .expect("migrating a fresh test database");
        db.reset_statement_count();
        db
    }

    /// A fresh database with no tables at all.
    pub async fn empty() -> TestDb {
        let statements = Arc::new(AtomicUsize::new(0));
        let (url, cleanup) = match std::env::var(TEST_DATABASE_URL) {
            Ok(server) if !server.is_empty() => create_server_database(&server).await,
            _ => {
                let dir = tempfile::tempdir().expect("creating a temporary directory");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("folio.db").display()
                );
                (url, Cleanup::Sqlite(dir))
            }
        };
        let mut conn = Database::connect(&url)
            .await
            .unwrap_or_else(|err| panic!("connecting to the test database {url}: {err}"));
        let counter = statements.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        TestDb {
            conn,
            url,
            statements,
            cleanup,
        }
    }

    /// Which backend this test runs on.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// SQL statements run on [`TestDb::conn`] since the last reset.
    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Starts counting statements from zero.
    pub fn reset_statement_count(&self) {
        self.statements.store(0, Ordering::SeqCst);
    }

    /// The names of the tables in this database, sorted.
    pub async fn table_names(&self) -> Vec<String> {
        let sql = match self.backend() {
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
        let rows = self
            .conn
            .query_all_raw(sea_orm::Statement::from_string(self.backend(), sql))
            .await
            .expect("listing tables");
        let mut names: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String>("", "name").expect("a table name"))
            .collect();
        names.sort();
        names
    }
}

/// Creates a uniquely named database on the server at `server` and returns its URL.
async fn create_server_database(server: &str) -> (String, Cleanup) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default();
    let name = format!(
        "folio_test_{}_{}_{}",
        std::process::id(),
        started % 1_000_000_000,
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let admin = Database::connect(server)
        .await
        .unwrap_or_else(|err| panic!("connecting to {TEST_DATABASE_URL}={server}: {err}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|err| panic!("creating test database {name}: {err}"));
    admin.close().await.ok();
    let mut url = Url::parse(server).expect("FOLIO_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    (
        url.to_string(),
        Cleanup::Server {
            admin_url: server.to_owned(),
            name,
        },
    )
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Server { admin_url, name } = &self.cleanup else {
            return; // The TempDir removes the SQLite file itself.
        };
        let (admin_url, db_name) = (admin_url.clone(), name.clone());
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
            Ok(Err(err)) => eprintln!("warning: could not drop test database {name}: {err}"),
            Err(_) => eprintln!("warning: could not drop test database {name}"),
        }
    }
}

/// Ends every connection to the MySQL/MariaDB database `name` but `admin`'s own.
async fn kill_mysql_connections(
    admin: &DatabaseConnection,
    name: &str,
) -> Result<(), sea_orm::DbErr> {
    let connections = admin
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
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
