//! A soak run: mixed reads and writes against `folio serve` on PostgreSQL,
//! long enough to show a leak or a slow-down.
//!
//! `cargo bench -p folio-tests --bench soak` seeds the benchmark's data set
//! into a fresh PostgreSQL database (`FOLIO_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432?sslmode=disable`), starts `folio
//! serve` as a process of its own on 127.0.0.1, registers one user per
//! client, and has `FOLIO_SOAK_CONCURRENCY` clients (default 64) send, for
//! `FOLIO_SOAK_SECONDS` (default 600), a mix of the spec's nested queries
//! (two in three requests) and writes of their own (create a post, comment
//! on it, rename it, delete it). Every ten seconds it prints the
//! throughput of those ten seconds, the errors so far and the server's
//! RSS; at the end, the totals. A request that fails (not a 200, or any
//! GraphQL error) is an error: a sound server has none. It talks to
//! 127.0.0.1 only, and is bounded in time.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark stops loudly at the first failure"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

/// The allocator the `folio` binary uses, so that server mode measures it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::{BenchDb, ServerProcess, call, env_or};

/// The reads: the spec's nested queries.
const READS: [&str; 3] = [
    "{ users(first: 50) { nodes { username profile { bio } posts(first: 10) { nodes { title } } } } }",
    "{ photos(first: 100) { nodes { filename tags { name } } } }",
    "{ tags(first: 10) { nodes { name photos(first: 10) { nodes { filename owner { username posts(first: 3) { nodes { title } } } } } } } }",
];

fn main() {
    if support::serve_if_asked() {
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(soak());
}

async fn soak() {
    let seconds: u64 = env_or("FOLIO_SOAK_SECONDS", "600").parse().unwrap_or(600);
    let clients: usize = env_or("FOLIO_SOAK_CONCURRENCY", "64").parse().unwrap_or(64);
    let server = env_or(
        "FOLIO_BENCH_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432?sslmode=disable",
    );
    let scratch = BenchDb::create("postgres", Some(&server)).await.unwrap();
    let db = Database::connect(&scratch.url).await.unwrap();
    {
        use migration::MigratorTrait;
        migration::Migrator::up(&db, None).await.unwrap();
    }
    api::seed::seed(&db, &api::seed::SeedOptions::default(), &mut |_| {})
        .await
        .unwrap();
    db.execute_unprepared("ANALYZE").await.unwrap();
    db.close().await.ok();

    // One registration per client from one address: let them all through.
    let limit = (clients * 2).to_string();
    let folio = ServerProcess::start(&scratch.url, &["--sign-in-attempts-per-address", &limit]);
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for i in 0..clients {
        let body = call(
            &http,
            &folio.url,
            None,
            "mutation($u: String!, $e: String!) { register(input: { username: $u, email: $e, password: \"soak password\" }) { token } }",
            json!({ "u": format!("soak{i}"), "e": format!("soak{i}@example.com") }),
        )
        .await
        .unwrap();
        tokens.push(body["register"]["token"].as_str().unwrap().to_owned());
    }

    let rss_at_start = folio.rss_mib();
    println!(
        "soak: {clients} clients for {seconds} s against {}; RSS at start {rss_at_start:.1} MiB",
        folio.url
    );
    println!(
        "{:>7} {:>9} {:>8} {:>9}",
        "second", "req/s", "errors", "rss MiB"
    );
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let (http, url) = (http.clone(), folio.url.clone());
            let (done, errors, stop) = (done.clone(), errors.clone(), stop.clone());
            tokio::spawn(async move {
                let mut round = i;
                while !stop.load(Ordering::Relaxed) {
                    let outcome = if round % 3 == 2 {
                        write_round(&http, &url, &token, round).await
                    } else {
                        let read = READS[round % READS.len()];
                        call(&http, &url, Some(&token), read, json!({}))
                            .await
                            .map(|_| 1)
                    };
                    match outcome {
                        Ok(requests) => done.fetch_add(requests, Ordering::Relaxed),
                        Err(err) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("soak: {err}");
                            }
                            0
                        }
                    };
                    round += 1;
                }
            })
        })
        .collect();

    let started = Instant::now();
    let mut last = 0;
    while started.elapsed() < Duration::from_secs(seconds) {
        let tick = Duration::from_secs(10).min(Duration::from_secs(seconds) - started.elapsed());
        tokio::time::sleep(tick).await;
        let now = done.load(Ordering::Relaxed);
        println!(
            "{:>7} {:>9.0} {:>8} {:>9.1}",
            started.elapsed().as_secs(),
            (now - last) as f64 / tick.as_secs_f64().max(0.001),
            errors.load(Ordering::Relaxed),
            folio.rss_mib()
        );
        last = now;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let total = done.load(Ordering::Relaxed);
    let failed = errors.load(Ordering::Relaxed);
    println!(
        "soak: {total} requests in {:.0} s ({:.0} req/s), {failed} errors; RSS {rss_at_start:.1} MiB at start, {:.1} MiB at the end (peak {:.1} MiB)",
        started.elapsed().as_secs_f64(),
        total as f64 / started.elapsed().as_secs_f64(),
        folio.rss_mib(),
        folio.peak_rss_mib()
    );
    drop(folio);
    scratch.drop_database().await;
    assert_eq!(failed, 0, "the soak run met errors");
}

/// One client's writes: a post, a comment on it, a new title, and its
/// deletion; the number of requests it took.
async fn write_round(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    round: usize,
) -> Result<u64, String> {
    let created = call(
        http,
        url,
        Some(token),
        "mutation($t: String!) { createPost(input: { title: $t, body: \"soak\" }) { id } }",
        json!({ "t": format!("soak post {round}") }),
    )
    .await?;
    let post = created["createPost"]["id"].clone();
    call(
        http,
        url,
        Some(token),
        "mutation($p: ID!) { createComment(postId: $p, body: \"a comment\") { id } }",
        json!({ "p": post }),
    )
    .await?;
    call(
        http,
        url,
        Some(token),
        "mutation($p: ID!) { updatePost(id: $p, input: { title: \"renamed\" }) { id } }",
        json!({ "p": post }),
    )
    .await?;
    call(
        http,
        url,
        Some(token),
        "mutation($p: ID!) { deletePost(id: $p) { deletedId } }",
        json!({ "p": post }),
    )
    .await?;
    Ok(4)
}
