//! A load run of Folio's nested queries against the real server, on every
//! backend, next to PostgreSQL's own floor.
//!
//! `cargo bench -p folio-tests --bench queries` seeds 1,000 users × (20 posts,
//! 10 photos), 500 tags and 5 tags per photo into a fresh database on SQLite,
//! PostgreSQL and MariaDB in turn (a server that cannot be reached is skipped
//! with a line saying so), starts `folio serve` as a process of its own (this
//! benchmark binary, re-run in server mode: the same code as `folio`, built
//! with the same optimizations), and for each query at concurrency 8 and 32
//! prints requests per second, p50/p99 latency, SQL statements per request,
//! the server's CPU time per request (from `/proc`), its peak RSS, and on
//! PostgreSQL the throughput of `pgbench` running the minimal SQL of the same
//! request (the SPEC's yardstick) on the same data, with the ratio.
//!
//! After the table, where `perf` is installed, a further run of the first
//! query on PostgreSQL is profiled and drawn as a flamegraph of the server
//! at `target/flamegraph-users-posts.svg` (left out when
//! `FOLIO_BENCH_FLAMEGRAPH=0`); that run's figures are not in the table.
//!
//! Settings: `FOLIO_BENCH_SECONDS` (each run's length, default 5),
//! `FOLIO_BENCH_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432?sslmode=disable`: over loopback, for
//! Folio and pgbench alike, TLS would only add its own cost to both),
//! `FOLIO_BENCH_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`),
//! `FOLIO_BENCH_BACKENDS` (comma-separated subset of `sqlite,postgres,mysql`),
//! `FOLIO_BENCH_EXECUTION` (comma-separated `--execution` values, each on a
//! fresh server in turn, default `plan`: `executor,plan` measures the
//! planner against async-graphql's executor in one run).
//! It talks to 127.0.0.1 only, and every run is bounded in time.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark stops loudly at the first failure"
)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;

/// (name, query, the minimal SQL of the same request for pgbench, in which
/// `:users`, `:photos`, `:tags` and `:owners` stand for the ids the previous
/// level returned). The minimal SQL reads only the columns the response and
/// its cursors need, and pages each parent's children with an index seek
/// (`LATERAL … ORDER BY … LIMIT n + 1`): the fastest plan PostgreSQL has for
/// the request, not the one Folio happens to send.
const QUERIES: &[(&str, &str, &str)] = &[
    (
        "users(50) → profile, 10 newest posts",
        "{ users(first: 50) { nodes { username profile { bio } posts(first: 10) { nodes { title } } } } }",
        "SELECT id, username, created_at FROM users ORDER BY created_at, id LIMIT 51;
SELECT user_id, bio FROM profiles WHERE user_id IN (:users);
SELECT a.id, x.id, x.title, x.created_at FROM unnest(ARRAY[:users]) a(id) CROSS JOIN LATERAL
  (SELECT id, title, created_at FROM posts WHERE author_id = a.id ORDER BY created_at DESC, id DESC LIMIT 11) x;",
    ),
    (
        "photos(100) → tags",
        "{ photos(first: 100) { nodes { filename tags { name } } } }",
        "SELECT id, filename, created_at FROM photos ORDER BY created_at DESC, id DESC LIMIT 101;
SELECT pt.photo_id, t.id, t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.photo_id IN (:photos) ORDER BY pt.photo_id, t.name;",
    ),
    (
        "tags(10) → 10 newest photos → owner → 3 newest posts",
        "{ tags(first: 10) { nodes { name photos(first: 10) { nodes { filename owner { username posts(first: 3) { nodes { title } } } } } } } }",
        "SELECT id, name FROM tags ORDER BY name, id LIMIT 11;
SELECT a.id, x.id, x.owner_id, x.filename, x.created_at FROM unnest(ARRAY[:tags]) a(id) CROSS JOIN LATERAL
  (SELECT p.id, p.owner_id, p.filename, p.created_at FROM photo_tags pt JOIN photos p ON p.id = pt.photo_id
   WHERE pt.tag_id = a.id ORDER BY pt.photo_created_at DESC, pt.photo_id DESC LIMIT 11) x;
SELECT id, username FROM users WHERE id IN (:owners);
SELECT a.id, x.id, x.title, x.created_at FROM unnest(ARRAY[:owners]) a(id) CROSS JOIN LATERAL
  (SELECT id, title, created_at FROM posts WHERE author_id = a.id ORDER BY created_at DESC, id DESC LIMIT 4) x;",
    ),
    (
        "the same, every photo of a tag, every post (large)",
        "{ tags(first: 10) { nodes { name photos(first: 100) { nodes { filename owner { username posts(first: 20) { nodes { title } } } } } } } }",
        "SELECT id, name FROM tags ORDER BY name, id LIMIT 11;
SELECT a.id, x.id, x.owner_id, x.filename, x.created_at FROM unnest(ARRAY[:tags]) a(id) CROSS JOIN LATERAL
  (SELECT p.id, p.owner_id, p.filename, p.created_at FROM photo_tags pt JOIN photos p ON p.id = pt.photo_id
   WHERE pt.tag_id = a.id ORDER BY pt.photo_created_at DESC, pt.photo_id DESC LIMIT 101) x;
SELECT id, username FROM users WHERE id IN (:all_owners);
SELECT a.id, x.id, x.title, x.created_at FROM unnest(ARRAY[:all_owners]) a(id) CROSS JOIN LATERAL
  (SELECT id, title, created_at FROM posts WHERE author_id = a.id ORDER BY created_at DESC, id DESC LIMIT 21) x;",
    ),
];

/// The photos of the first ten tags, at most `:n` of each, newest first.
const TAG_PHOTOS: &str = "SELECT x.owner_id FROM (SELECT id FROM tags ORDER BY name, id LIMIT 10) t
  CROSS JOIN LATERAL (SELECT p.owner_id FROM photo_tags pt JOIN photos p ON p.id = pt.photo_id
  WHERE pt.tag_id = t.id ORDER BY pt.photo_created_at DESC, pt.photo_id DESC LIMIT :n) x";

/// The ids the minimal SQL stands on, as the GraphQL request finds them.
fn id_queries() -> Vec<(&'static str, String)> {
    vec![
        (
            ":users",
            "SELECT id FROM users ORDER BY created_at, id LIMIT 50".to_owned(),
        ),
        (
            ":photos",
            "SELECT id FROM photos ORDER BY created_at DESC, id DESC LIMIT 100".to_owned(),
        ),
        (
            ":tags",
            "SELECT id FROM tags ORDER BY name, id LIMIT 10".to_owned(),
        ),
        (
            ":owners",
            format!(
                "SELECT DISTINCT owner_id FROM ({}) o",
                TAG_PHOTOS.replace(":n", "10")
            ),
        ),
        (
            ":all_owners",
            format!(
                "SELECT DISTINCT owner_id FROM ({}) o",
                TAG_PHOTOS.replace(":n", "100")
            ),
        ),
    ]
}

const CONCURRENCIES: [usize; 2] = [8, 32];

/// The allocator the `folio` binary uses, so that server mode measures it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::{BenchDb, ServerProcess, env_or, post};

fn main() {
    // Server mode: this very binary, re-run as `folio serve`.
    if support::serve_if_asked() {
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(bench());
}

async fn bench() {
    let seconds: u64 = env_or("FOLIO_BENCH_SECONDS", "5").parse().unwrap_or(5);
    let wanted = env_or("FOLIO_BENCH_BACKENDS", "sqlite,postgres,mysql");
    let backends = [
        ("sqlite", None),
        (
            "postgres",
            Some(env_or(
                "FOLIO_BENCH_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432?sslmode=disable",
            )),
        ),
        (
            "mysql",
            Some(env_or(
                "FOLIO_BENCH_MYSQL_URL",
                "mysql://root@127.0.0.1:3306",
            )),
        ),
    ];
    println!(
        "{:<17} {:<52} {:>4} {:>7} {:>7} {:>7} {:>5} {:>8} {:>8} {:>8} {:>6}",
        "backend",
        "query",
        "conc",
        "req/s",
        "p50 ms",
        "p99 ms",
        "stmts",
        "cpu µs",
        "rss MiB",
        "floor",
        "ratio"
    );
    for (name, server) in backends {
        if !wanted.split(',').any(|w| w.trim() == name) {
            continue;
        }
        let scratch = match BenchDb::create(name, server.as_deref()).await {
            Ok(db) => db,
            Err(err) => {
                println!("{name:<9} skipped: {err}");
                continue;
            }
        };
        run_backend(name, &scratch, seconds).await;
        scratch.drop_database().await;
    }
}

async fn run_backend(backend: &str, scratch: &BenchDb, seconds: u64) {
    let started = Instant::now();
    let db = Database::connect(&scratch.url).await.unwrap();
    {
        use migration::MigratorTrait;
        migration::Migrator::up(&db, None).await.unwrap();
    }
    api::seed::seed(&db, &api::seed::SeedOptions::default(), &mut |_| {})
        .await
        .unwrap();
    // Fresh bulk-loaded tables have no planner statistics yet; a server that
    // has been running would have them from autovacuum, so gather them now.
    let analyze = match backend {
        "mysql" => "ANALYZE TABLE users, profiles, posts, photos, tags, photo_tags, comments",
        _ => "ANALYZE",
    };
    db.execute_unprepared(analyze).await.unwrap();
    eprintln!(
        "{backend}: seeded and analyzed in {:.1?}",
        started.elapsed()
    );
    let statements = statements_per_query(&scratch.url).await;
    let floors = if backend == "postgres" {
        pgbench_floors(&db, &scratch.url, seconds).await
    } else {
        Vec::new()
    };
    db.close().await.ok();

    let client = reqwest::Client::new();
    // Each way of running queries on a server of its own, one after the other.
    let executions = env_or("FOLIO_BENCH_EXECUTION", "plan");
    let executions: Vec<&str> = executions.split(',').map(str::trim).collect();
    for execution in &executions {
        let server = ServerProcess::start(&scratch.url, &["--execution", execution]);
        let label = if executions.len() > 1 {
            format!("{backend}/{execution}")
        } else {
            backend.to_owned()
        };
        run_queries(&label, &server, &client, &statements, &floors, seconds).await;
        if backend == "postgres"
            && *execution == executions[executions.len() - 1]
            && env_or("FOLIO_BENCH_FLAMEGRAPH", "1") != "0"
        {
            flamegraph(&server, &client).await;
        }
    }
}

/// Runs every query at every concurrency against `server` and prints a line each.
async fn run_queries(
    backend: &str,
    server: &ServerProcess,
    client: &reqwest::Client,
    statements: &[usize],
    floors: &[f64],
    seconds: u64,
) {
    for (q, (name, query, _)) in QUERIES.iter().enumerate() {
        let body = post(client, &server.url, query).await;
        assert!(body.get("errors").is_none(), "{name}: {body}");
        for (c, concurrency) in CONCURRENCIES.into_iter().enumerate() {
            let cpu_before = server.cpu_time();
            let run = load(
                client,
                &server.url,
                query,
                concurrency,
                Duration::from_secs(seconds),
            )
            .await;
            let cpu = server.cpu_time() - cpu_before;
            let rate = run.count as f64 / run.elapsed.as_secs_f64();
            let floor = floors.get(q * CONCURRENCIES.len() + c).copied();
            println!(
                "{:<17} {:<52} {:>4} {:>7.0} {:>7.2} {:>7.2} {:>5} {:>8.0} {:>8.1} {:>8} {:>6}",
                backend,
                name,
                concurrency,
                rate,
                run.percentile(0.50),
                run.percentile(0.99),
                statements[q],
                cpu.as_secs_f64() * 1e6 / run.count.max(1) as f64,
                server.peak_rss_mib(),
                floor.map_or("-".to_owned(), |f| format!("{f:.0}")),
                floor.map_or("-".to_owned(), |f| format!("{:.0}%", rate / f * 100.0)),
            );
        }
    }
}

/// Profiles the server with `perf` while it answers the first query at the
/// first concurrency for three seconds, and draws the profile as a
/// flamegraph under the target directory. Says why when it cannot.
async fn flamegraph(server: &ServerProcess, client: &reqwest::Client) {
    // This binary is target/<profile>/deps/queries-…: the target dir is three levels up.
    let exe = std::env::current_exe().unwrap();
    let Some(target) = exe.ancestors().nth(3) else {
        return;
    };
    let data = target.join("flamegraph-users-posts.perf.data");
    let svg = target.join("flamegraph-users-posts.svg");
    let recording = Command::new("perf")
        .args([
            "record",
            "-q",
            "-F",
            "299",
            "--call-graph",
            "dwarf,32768",
            "-o",
        ])
        .arg(&data)
        .args(["-p", &server.child.id().to_string(), "--", "sleep", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut recording) = recording else {
        eprintln!("perf not found: no flamegraph");
        return;
    };
    let (_, query, _) = QUERIES[0];
    load(
        client,
        &server.url,
        query,
        CONCURRENCIES[0],
        Duration::from_secs(3),
    )
    .await;
    let recorded = recording
        .wait()
        .map(|status| status.success())
        .unwrap_or(false);
    let script = Command::new("perf")
        .args(["script", "-i"])
        .arg(&data)
        .stderr(Stdio::null())
        .output();
    let _ = std::fs::remove_file(&data);
    let script = match script {
        Ok(output) if recorded && output.status.success() => output.stdout,
        _ => {
            eprintln!("perf could not profile the server (perf_event_paranoid?): no flamegraph");
            return;
        }
    };
    use inferno::collapse::Collapse;
    let mut folded = Vec::new();
    inferno::collapse::perf::Folder::default()
        .collapse(script.as_slice(), &mut folded)
        .unwrap();
    let mut options = inferno::flamegraph::Options::default();
    options.title = format!("folio serve: {query}");
    let file = std::fs::File::create(&svg).unwrap();
    inferno::flamegraph::from_reader(&mut options, folded.as_slice(), file).unwrap();
    eprintln!("flamegraph of the first query: {}", svg.display());
}

/// How many SQL statements each query takes, counted on an in-process server
/// over a connection that counts them.
async fn statements_per_query(url: &str) -> Vec<usize> {
    let mut db = Database::connect(url).await.unwrap();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = counter.clone();
    db.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let config = api::config::ServerConfig {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..api::config::ServerConfig::default()
    };
    let server = api::server::Server::build(db, &config).await.unwrap();
    let url = format!("http://{}/graphql", server.address());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let mut counts = Vec::new();
    for (_, query, _) in QUERIES {
        counter.store(0, Ordering::SeqCst);
        post(&client, &url, query).await;
        counts.push(counter.load(Ordering::SeqCst));
    }
    let _ = stop.send(());
    counts
}

/// pgbench's transactions per second for each query's minimal SQL, at each
/// concurrency, in `QUERIES` order; empty when pgbench is not there.
async fn pgbench_floors(db: &DatabaseConnection, url: &str, seconds: u64) -> Vec<f64> {
    if Command::new("pgbench").arg("--version").output().is_err() {
        eprintln!("pgbench not found: no floor");
        return Vec::new();
    }
    let mut ids = Vec::new();
    for (placeholder, sql) in id_queries() {
        let rows = db
            .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap();
        let list: Vec<String> = rows
            .iter()
            .map(|row| row.try_get_by_index::<i32>(0).unwrap().to_string())
            .collect();
        ids.push((placeholder, list.join(",")));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut floors = Vec::new();
    for (q, (_, _, sql)) in QUERIES.iter().enumerate() {
        let mut script = (*sql).to_owned();
        for (placeholder, list) in &ids {
            script = script.replace(placeholder, list);
        }
        let path = dir.path().join(format!("q{q}.sql"));
        std::fs::write(&path, script).unwrap();
        for concurrency in CONCURRENCIES {
            let output = Command::new("pgbench")
                .args(["-n", "-M", "prepared", "-j", "2"])
                .args(["-c", &concurrency.to_string(), "-T", &seconds.to_string()])
                .arg("-f")
                .arg(&path)
                .arg(url)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&output.stdout);
            let tps = text
                .lines()
                .find(|l| l.starts_with("tps"))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            floors.push(tps);
        }
    }
    floors
}

struct Run {
    count: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Run {
    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies
            .get(i)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }
}

/// `concurrency` clients send `query` back to back for `duration`.
async fn load(
    client: &reqwest::Client,
    url: &str,
    query: &'static str,
    concurrency: usize,
    duration: Duration,
) -> Run {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, stop) = (client.clone(), url.to_owned(), stop.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .json(&json!({ "query": query }))
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success());
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    latencies.sort_unstable();
    Run {
        count: latencies.len(),
        latencies,
        elapsed: started.elapsed(),
    }
}
