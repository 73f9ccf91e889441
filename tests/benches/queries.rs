//! A load run of Folio's nested queries against the real server.
//!
//! `cargo bench -p folio-tests --bench queries` seeds 1,000 users × (20 posts,
//! 10 photos), 500 tags and 5 tags per photo into a fresh database (SQLite, or
//! the server `FOLIO_TEST_DATABASE_URL` names), starts `folio`'s app on
//! 127.0.0.1, and for each query and each concurrency prints requests per
//! second, p50/p99 latency and SQL statements per request. Each run is bounded
//! by `FOLIO_BENCH_SECONDS` (default 5) and talks to 127.0.0.1 only.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark stops loudly at the first failure"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use folio_tests::TestApp;
use serde_json::{Value, json};

const QUERIES: &[(&str, &str)] = &[
    (
        "users(50) → profile, 10 newest posts",
        "{ users(first: 50) { nodes { username profile { bio } posts(first: 10) { nodes { title } } } } }",
    ),
    (
        "photos(100) → tags",
        "{ photos(first: 100) { nodes { filename tags { name } } } }",
    ),
    (
        "tags(10) → 10 newest photos → owner → 3 newest posts",
        "{ tags(first: 10) { nodes { name photos(first: 10) { nodes { filename owner { username posts(first: 3) { nodes { title } } } } } } } }",
    ),
];

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("FOLIO_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let started = Instant::now();
    let app = Arc::new(TestApp::seeded(&api::seed::SeedOptions::default()).await);
    println!(
        "seeded 1000 users × (20 posts, 10 photos), 500 tags, 5 per photo on {:?} in {:.1?}",
        app.db.backend(),
        started.elapsed()
    );
    println!(
        "{:<55} {:>4} {:>9} {:>9} {:>9} {:>6}",
        "query", "conc", "req/s", "p50 ms", "p99 ms", "stmts"
    );
    for (name, query) in QUERIES {
        // One request alone gives the statement count, and checks the answer.
        app.db.reset_statement_count();
        let body = post(&app, query).await;
        assert!(body.get("errors").is_none(), "{name}: {body}");
        let statements = app.db.statement_count();
        for concurrency in [8, 32] {
            let (count, mut latencies, elapsed) = load(
                app.clone(),
                query,
                concurrency,
                Duration::from_secs(seconds),
            )
            .await;
            latencies.sort_unstable();
            let pct = |p: f64| {
                let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
                latencies[i].as_secs_f64() * 1000.0
            };
            println!(
                "{:<55} {:>4} {:>9.0} {:>9.2} {:>9.2} {:>6}",
                name,
                concurrency,
                count as f64 / elapsed.as_secs_f64(),
                pct(0.50),
                pct(0.99),
                statements
            );
        }
    }
}

async fn post(app: &TestApp, query: &str) -> Value {
    app.client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `concurrency` clients send `query` back to back for `duration`.
async fn load(
    app: Arc<TestApp>,
    query: &'static str,
    concurrency: usize,
    duration: Duration,
) -> (usize, Vec<Duration>, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let response = app
                        .client
                        .post(app.url("/graphql"))
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
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    (all.len(), all, elapsed)
}
