//! A soak run: the spec's mixed workload against `folio serve` on
//! PostgreSQL, long enough to show a leak or a slow-down.
//!
//! `cargo bench -p folio-tests --bench soak` seeds the benchmark's data set
//! into a fresh PostgreSQL database (`FOLIO_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432?sslmode=disable`), starts `folio
//! serve` with its default settings as a process of its own on 127.0.0.1,
//! and runs, for `FOLIO_SOAK_SECONDS` (default 600):
//!
//! - `FOLIO_SOAK_CONCURRENCY` clients (default 64), each from its own
//!   loopback address (127.0.1.x) as its own registered user, sending a mix
//!   of the spec's nested queries (two in three requests) and writes of
//!   their own (create a post, comment on it, rename it, delete it), and
//!   signing in again every ten seconds;
//! - `FOLIO_SOAK_SUBSCRIBERS` WebSocket subscribers (default 16) to every
//!   new post with its author, each of which must receive every post the
//!   clients create, in order, exactly once.
//!
//! Every ten seconds it prints the throughput of those ten seconds, the
//! errors so far and the server's RSS; at the end, the totals, the RSS at 1,
//! 5 and 10 minutes and the server's CPU time per request. A request that
//! fails (not a 200, or any GraphQL error), a subscriber that misses a post
//! or is dropped, is an error: a sound server has none. It talks to
//! 127.0.0.1 only, and is bounded in time.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark stops loudly at the first failure"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use folio_tests::socket::{Received, Socket};
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

    let subscribers: usize = env_or("FOLIO_SOAK_SUBSCRIBERS", "16").parse().unwrap_or(16);
    let folio = ServerProcess::start(&scratch.url, &[]);
    // Each client registers from an address of its own, as distinct users do.
    let mut tokens = Vec::new();
    for i in 0..clients {
        let http = client_from(i);
        let body = call(
            &http,
            &folio.url,
            None,
            "mutation($u: String!, $e: String!) { register(input: { username: $u, email: $e, password: \"soak password\" }) { token } }",
            json!({ "u": format!("soak{i}"), "e": format!("soak{i}@example.com") }),
        )
        .await
        .unwrap();
        tokens.push((http, body["register"]["token"].as_str().unwrap().to_owned()));
    }
    let listeners = Listeners::start(&folio, &tokens[0].1, subscribers).await;

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
    let posts = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_at_start = folio.cpu_time();
    let workers: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, (http, token))| {
            let url = folio.url.clone();
            let (done, errors, stop) = (done.clone(), errors.clone(), stop.clone());
            let posts = posts.clone();
            tokio::spawn(async move {
                let mut round = i;
                let mut signed_in = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    let outcome = if signed_in.elapsed() >= SIGN_IN_EVERY {
                        signed_in = Instant::now();
                        sign_in(&http, &url, i).await
                    } else if round % 3 == 2 {
                        let written = write_round(&http, &url, &token, round).await;
                        if written.is_ok() {
                            posts.fetch_add(1, Ordering::Relaxed);
                        }
                        written
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
    // The RSS after 1, 5 and 10 minutes (or at the end of a shorter run).
    let mut marks: Vec<(u64, f64)> = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let tick = Duration::from_secs(10).min(Duration::from_secs(seconds) - started.elapsed());
        tokio::time::sleep(tick).await;
        let now = done.load(Ordering::Relaxed);
        let rss = folio.rss_mib();
        let second = started.elapsed().as_secs();
        println!(
            "{:>7} {:>9.0} {:>8} {:>9.1}",
            second,
            (now - last) as f64 / tick.as_secs_f64().max(0.001),
            errors.load(Ordering::Relaxed) + listeners.errors(),
            rss
        );
        for minute in [1, 5, 10] {
            if second + 5 >= minute * 60 && !marks.iter().any(|(m, _)| *m == minute) {
                marks.push((minute, rss));
            }
        }
        last = now;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = folio.cpu_time() - cpu_at_start;
    let total = done.load(Ordering::Relaxed);
    let created = posts.load(Ordering::Relaxed);
    let missed = listeners.finish(created).await;
    let failed = errors.load(Ordering::Relaxed) + missed;
    let rss_end = folio.rss_mib();
    println!(
        "soak: {total} requests in {elapsed:.0} s ({:.0} req/s), {failed} errors; \
         {subscribers} subscribers each received all {created} posts: {}",
        total as f64 / elapsed,
        if missed == 0 { "yes" } else { "no" },
    );
    let marks: Vec<String> = marks
        .iter()
        .map(|(minute, rss)| format!("{rss:.1} MiB at {minute} min"))
        .collect();
    println!(
        "soak: RSS {rss_at_start:.1} MiB at start, {}, {rss_end:.1} MiB at the end (peak {:.1} MiB)",
        marks.join(", "),
        folio.peak_rss_mib()
    );
    println!(
        "soak: server CPU {:.1} s, {:.0} µs per request",
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / total.max(1) as f64
    );
    drop(folio);
    scratch.drop_database().await;
    assert_eq!(failed, 0, "the soak run met errors");
}

/// How often each client signs in again: within the per-account limit for
/// an address the account usually signs in from (10 a minute).
const SIGN_IN_EVERY: Duration = Duration::from_secs(10);

/// The subscription every listener holds.
const SUBSCRIPTION: &str = "subscription { postCreated { post { title author { username } } } }";

/// The title of the post that shows a listener's subscription is live.
const WARM_UP: &str = "soak warm-up";

/// An HTTP client whose connections come from loopback address `i` of
/// 127.0.1.0/24 (every 127.x address leads to this machine).
fn client_from(i: usize) -> reqwest::Client {
    let host = u8::try_from(i % 250 + 1).unwrap_or(1);
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 1, host]))
        .build()
        .unwrap()
}

/// Client `i` signs in again.
async fn sign_in(http: &reqwest::Client, url: &str, i: usize) -> Result<u64, String> {
    call(
        http,
        url,
        None,
        "mutation($l: String!) { login(input: { login: $l, password: \"soak password\" }) { token } }",
        json!({ "l": format!("soak{i}") }),
    )
    .await
    .map(|_| 1)
}

/// The WebSocket subscribers: each counts the soak's posts it receives.
struct Listeners {
    readers: Vec<tokio::task::JoinHandle<()>>,
    received: Vec<Arc<AtomicU64>>,
    wrong: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Listeners {
    /// `count` subscribers, each live (it has received a warm-up post
    /// written as the holder of `token`) before this returns.
    async fn start(folio: &ServerProcess, token: &str, count: usize) -> Listeners {
        let wrong = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let live = Arc::new(AtomicU64::new(0));
        let mut readers = Vec::new();
        let mut received = Vec::new();
        for who in 0..count {
            let mut socket = Socket::connected(folio.address, None).await;
            socket.subscribe("1", SUBSCRIPTION, json!({})).await;
            let counted = Arc::new(AtomicU64::new(0));
            received.push(counted.clone());
            let (wrong, stop, live) = (wrong.clone(), stop.clone(), live.clone());
            readers.push(tokio::spawn(async move {
                let mut is_live = false;
                while !stop.load(Ordering::Relaxed) {
                    match socket.next_within(Duration::from_millis(500)).await {
                        Received::Nothing => {}
                        Received::Message(message) if message["type"] == "next" => {
                            let post = &message["payload"]["data"]["postCreated"]["post"];
                            if post["title"] == WARM_UP {
                                if !std::mem::replace(&mut is_live, true) {
                                    live.fetch_add(1, Ordering::Relaxed);
                                }
                            } else if post["author"]["username"].as_str().is_some() {
                                counted.fetch_add(1, Ordering::Relaxed);
                            } else {
                                wrong.fetch_add(1, Ordering::Relaxed);
                                eprintln!("soak: subscriber {who} got {message}");
                            }
                        }
                        other => {
                            wrong.fetch_add(1, Ordering::Relaxed);
                            eprintln!("soak: subscriber {who} stopped: {other:?}");
                            return;
                        }
                    }
                }
            }));
        }
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while (live.load(Ordering::Relaxed) as usize) < count {
            assert!(
                Instant::now() < deadline,
                "the subscriptions did not go live"
            );
            call(
                &http,
                &folio.url,
                Some(token),
                "mutation($t: String!) { createPost(input: { title: $t, body: \"soak\" }) { id } }",
                json!({ "t": WARM_UP }),
            )
            .await
            .unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Listeners {
            readers,
            received,
            wrong,
            stop,
        }
    }

    /// What went wrong on the sockets so far.
    fn errors(&self) -> u64 {
        self.wrong.load(Ordering::Relaxed)
    }

    /// Waits (up to 30 s) for every subscriber to have received `created`
    /// posts, then closes them; the errors: every wrong message, and one per
    /// subscriber whose count is not `created`.
    async fn finish(self, created: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline
            && self
                .received
                .iter()
                .any(|r| r.load(Ordering::Relaxed) < created)
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.stop.store(true, Ordering::Relaxed);
        for reader in self.readers {
            reader.await.unwrap();
        }
        let mut errors = self.wrong.load(Ordering::Relaxed);
        for (who, received) in self.received.iter().enumerate() {
            let got = received.load(Ordering::Relaxed);
            if got != created {
                eprintln!("soak: subscriber {who} received {got} of {created} posts");
                errors += 1;
            }
        }
        errors
    }
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
