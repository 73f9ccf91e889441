//! The fan-out of one event to many subscribers: what a subscriber costs
//! the server in memory, and how long a new post takes to reach the last of
//! them.
//!
//! `cargo bench -p folio-tests --bench fanout` migrates a fresh database on
//! each backend of `FOLIO_BENCH_BACKENDS` (default `postgres`; any of
//! `sqlite,postgres,mysql`, at `FOLIO_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432?sslmode=disable`, and
//! `FOLIO_BENCH_MYSQL_URL`, default `mysql://root@127.0.0.1:3306`), starts
//! `folio serve` as a process of its own (this benchmark binary, re-run in
//! server mode), and opens `FOLIO_FANOUT_SUBSCRIBERS` WebSockets (default
//! 1,000), each subscribed to `postCreated` once. Warm-up posts are written
//! until every subscriber has received one, which proves each subscription
//! live; the server's RSS before the first socket and after the warm-up
//! gives the memory per subscriber. Then `FOLIO_FANOUT_MUTATIONS` posts
//! (default 20) are written one at a time, each once every subscriber has
//! received the previous one, after a pause of a different fraction of the
//! poll interval each (so that the rounds sample every phase of a polling
//! follower instead of locking onto it).
//!
//! The commit itself cannot be seen from outside, so each receipt is timed
//! from two instants of the client: just before `createPost` is sent (an
//! upper bound on the time from the commit: it adds the mutation's own
//! work) and when its response has arrived (a lower bound: the commit
//! precedes the response, and a receipt may even come first, which shows
//! as a negative time). Each subscriber reads in a task of its own and
//! takes `Instant::now()` as each message has been read and parsed, so the
//! figures include the client's own scheduling of a thousand readers on the
//! same cores as the server. It prints, per backend, the p50/p99 over the
//! events of the first and of the last subscriber's receipt, the p50/p99
//! over every receipt, and the server's CPU time per event (from `/proc`).
//! A subscriber that misses an event, gets one twice or out of order, or
//! does not get it within 30 s fails the run.
//!
//! MariaDB and SQLite are polled every `--event-poll-ms` (the server is
//! given `FOLIO_EVENT_POLL_MS`, default 200, as on its own): on them an
//! event waits up to that long before any subscriber hears of it. It talks to 127.0.0.1 only,
//! and every wait is bounded.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark stops loudly at the first failure"
)]

use std::time::{Duration, Instant};

use folio_tests::socket::{Received, Socket};
use serde_json::json;
use tokio::sync::mpsc;

/// Every subscriber's one subscription.
const SUBSCRIPTION: &str = "subscription { postCreated { cursor post { title } } }";

const CREATE_POST: &str =
    "mutation($title: String!) { createPost(input: { title: $title, body: \"fan-out\" }) { id } }";

/// The title of the posts that make sure every subscription is live.
const WARM_UP: &str = "warm-up";

/// The title of measured post `i` is this followed by `i`.
const MEASURED: &str = "fan-out ";

/// How long a round waits for every subscriber's receipt.
const PATIENCE: Duration = Duration::from_secs(30);

/// The allocator the `folio` binary uses, so that server mode measures it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::{BenchDb, JWT_SECRET, ServerProcess, call, env_or};

fn main() {
    // Server mode: this very binary, re-run as `folio serve`.
    if support::serve_if_asked() {
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(bench());
}

async fn bench() {
    let subscribers: usize = env_or("FOLIO_FANOUT_SUBSCRIBERS", "1000").parse().unwrap();
    let mutations: usize = env_or("FOLIO_FANOUT_MUTATIONS", "20").parse().unwrap();
    assert!(subscribers > 0 && mutations > 0, "nothing to measure");
    let wanted = env_or("FOLIO_BENCH_BACKENDS", "postgres");
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
    let mut failures = Vec::new();
    for (name, server) in backends {
        if !wanted.split(',').any(|w| w.trim() == name) {
            continue;
        }
        let scratch = match BenchDb::create(name, server.as_deref()).await {
            Ok(db) => db,
            Err(err) => {
                println!("{name}: skipped: {err}");
                continue;
            }
        };
        match run_backend(&scratch.url, subscribers, mutations).await {
            Ok(figures) => figures.print(name),
            Err(err) => {
                println!("{name}: FAILED: {err}");
                failures.push(name);
            }
        }
        scratch.drop_database().await;
    }
    assert!(failures.is_empty(), "events were lost on {failures:?}");
}

/// What one backend's run measured.
struct Figures {
    subscribers: usize,
    connect_time: Duration,
    rss_before: f64,
    rss_after: f64,
    rss_end: f64,
    peak_rss: f64,
    /// Per measured event: the instant its `createPost` was sent, the
    /// instant its response arrived, and every subscriber's receipt.
    rounds: Vec<Round>,
    cpu_per_event: Duration,
}

struct Round {
    sent: Instant,
    answered: Instant,
    receipts: Vec<Instant>,
}

impl Figures {
    fn print(&self, backend: &str) {
        let receipts: usize = self.rounds.iter().map(|r| r.receipts.len()).sum();
        println!(
            "{backend}: {} subscribers connected in {:.1} s; server RSS {:.1} MiB before, {:.1} MiB with them: {:.1} KiB per subscriber ({:.1} MiB after the events, peak {:.1} MiB)",
            self.subscribers,
            self.connect_time.as_secs_f64(),
            self.rss_before,
            self.rss_after,
            (self.rss_after - self.rss_before) * 1024.0 / self.subscribers as f64,
            self.rss_end,
            self.peak_rss,
        );
        println!(
            "{backend}: {} events, one at a time, {receipts} receipts (every subscriber got every event once, in order); server CPU {:.1} ms per event",
            self.rounds.len(),
            self.cpu_per_event.as_secs_f64() * 1000.0,
        );
        println!(
            "{:<28} {:>24} {:>24}",
            "", "from createPost sent", "from its response"
        );
        println!(
            "{:<28} {:>11} {:>12} {:>11} {:>12}",
            "ms", "p50", "p99", "p50", "p99"
        );
        let first = self
            .rounds
            .iter()
            .map(|r| (r, *r.receipts.iter().min().unwrap()));
        let last = self
            .rounds
            .iter()
            .map(|r| (r, *r.receipts.iter().max().unwrap()));
        let every = self
            .rounds
            .iter()
            .flat_map(|r| r.receipts.iter().map(move |at| (r, *at)));
        row("first subscriber's receipt", first);
        row("last subscriber's receipt", last);
        row("every receipt", every);
    }
}

/// Prints the p50 and p99 of `receipts` (a round and a receipt of it)
/// from their round's request and from its response.
fn row<'a>(name: &str, receipts: impl Iterator<Item = (&'a Round, Instant)>) {
    let (mut from_sent, mut from_answered): (Vec<f64>, Vec<f64>) = receipts
        .map(|(round, at)| {
            (
                millis_between(round.sent, at),
                millis_between(round.answered, at),
            )
        })
        .unzip();
    println!(
        "{name:<28} {:>11.2} {:>12.2} {:>11.2} {:>12.2}",
        percentile(&mut from_sent, 0.50),
        percentile(&mut from_sent, 0.99),
        percentile(&mut from_answered, 0.50),
        percentile(&mut from_answered, 0.99),
    );
}

/// Milliseconds from `from` to `to`, negative when `to` came first.
fn millis_between(from: Instant, to: Instant) -> f64 {
    match to.checked_duration_since(from) {
        Some(after) => after.as_secs_f64() * 1000.0,
        None => -(from.duration_since(to).as_secs_f64() * 1000.0),
    }
}

/// The `p` quantile of `values` (nearest rank; of 20 values, p99 is the largest).
fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    let i = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(i).copied().unwrap_or(f64::NAN)
}

/// What a subscriber's reader tells the run.
enum Report {
    /// Subscriber `.0` has received a warm-up post: its subscription is live.
    Live(usize),
    /// Subscriber `who` received measured event `event` at `at`.
    Received {
        who: usize,
        event: usize,
        at: Instant,
    },
    /// Subscriber `.0` received something it should not have.
    Wrong(usize, String),
}

/// Migrates the database at `url`, serves it, and measures the fan-out of
/// `mutations` posts to `subscribers` sockets.
async fn run_backend(url: &str, subscribers: usize, mutations: usize) -> Result<Figures, String> {
    // The writer is made here rather than registered over HTTP: hashing its
    // password would leave the server with a password hash's worth of
    // freed, still resident memory that the sockets would then fill, and
    // the memory per subscriber would read low.
    let writer = {
        use migration::MigratorTrait;
        use sea_orm::{ActiveModelTrait, Set};
        let db = sea_orm::Database::connect(url).await.unwrap();
        migration::Migrator::up(&db, None).await.unwrap();
        let writer = entity::user::ActiveModel {
            username: Set("fanout".into()),
            email: Set("fanout@example.com".into()),
            email_key: Set("fanout@example.com".into()),
            password_hash: Set(api::auth::hash_password("fan-out password").unwrap()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        db.close().await.ok();
        writer.id
    };
    let token = api::auth::Tokens::new(JWT_SECRET.as_bytes(), Duration::from_secs(3600))
        .issue(writer)
        .unwrap();
    let max_sockets = subscribers.max(10_000).to_string();
    let poll = Duration::from_millis(env_or("FOLIO_EVENT_POLL_MS", "200").parse().unwrap());
    let server = ServerProcess::start(
        url,
        &[
            "--max-sockets",
            &max_sockets,
            "--event-poll-ms",
            &poll.as_millis().to_string(),
        ],
    );
    let http = reqwest::Client::new();
    // One write before the figure, so that the connection pool and the
    // client's connection are warm for the first measured one.
    create_post(&http, &server.url, &token, WARM_UP).await?;
    let rss_before = server.rss_mib();

    let started = Instant::now();
    let (reports, mut heard) = mpsc::unbounded_channel();
    let mut readers = Vec::with_capacity(subscribers);
    for who in 0..subscribers {
        let mut socket = Socket::connected(server.address, None).await;
        socket.subscribe("1", SUBSCRIPTION, json!({})).await;
        readers.push(tokio::spawn(read(socket, who, mutations, reports.clone())));
    }
    drop(reports);
    let connect_time = started.elapsed();

    // A subscription is live once it has received a post: write warm-up
    // posts until every one has.
    let mut live = vec![false; subscribers];
    let mut live_count = 0;
    for _ in 0..20 {
        create_post(&http, &server.url, &token, WARM_UP).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while live_count < subscribers {
            match tokio::time::timeout_at(deadline, heard.recv()).await {
                Err(_) => break,
                Ok(Some(Report::Live(who))) if !live[who] => {
                    live[who] = true;
                    live_count += 1;
                }
                Ok(Some(Report::Wrong(who, what))) => {
                    return Err(format!("subscriber {who} during the warm-up: {what}"));
                }
                Ok(Some(_)) => return Err("a measured event during the warm-up".into()),
                Ok(None) => return Err("every subscriber's reader has stopped".into()),
            }
        }
        if live_count == subscribers {
            break;
        }
    }
    if live_count < subscribers {
        return Err(format!(
            "only {live_count} of {subscribers} subscriptions went live"
        ));
    }
    let rss_after = server.rss_mib();

    let cpu_before = server.cpu_time();
    let mut rounds = Vec::with_capacity(mutations);
    for event in 0..mutations {
        // Each round starts a different fraction of the poll interval after
        // the previous one (spread by the golden ratio): a round started
        // right after the last receipt would lock onto the follower's poll
        // and always wait all of it.
        tokio::time::sleep(poll.mul_f64((event as f64 * 0.618_034).fract())).await;
        let sent = Instant::now();
        create_post(&http, &server.url, &token, &format!("{MEASURED}{event}")).await?;
        let answered = Instant::now();
        let mut receipts = Vec::with_capacity(subscribers);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while receipts.len() < subscribers {
            match tokio::time::timeout_at(deadline, heard.recv()).await {
                Err(_) => {
                    return Err(format!(
                        "event {event}: {} of {subscribers} subscribers got it within {PATIENCE:?}",
                        receipts.len()
                    ));
                }
                Ok(Some(Report::Received { event: e, at, .. })) if e == event => {
                    receipts.push(at);
                }
                Ok(Some(Report::Received { who, event: e, .. })) => {
                    return Err(format!(
                        "subscriber {who} got event {e} while event {event} was awaited"
                    ));
                }
                // A warm-up post reaching a subscriber late is harmless.
                Ok(Some(Report::Live(_))) => {}
                Ok(Some(Report::Wrong(who, what))) => {
                    return Err(format!("subscriber {who} at event {event}: {what}"));
                }
                Ok(None) => return Err("every subscriber's reader has stopped".into()),
            }
        }
        rounds.push(Round {
            sent,
            answered,
            receipts,
        });
    }
    let cpu_per_event = (server.cpu_time() - cpu_before) / mutations as u32;
    let rss_end = server.rss_mib();
    let peak_rss = server.peak_rss_mib();
    // The sockets stay open until every figure is read.
    for reader in readers {
        drop(reader.await.unwrap());
    }
    Ok(Figures {
        subscribers,
        connect_time,
        rss_before,
        rss_after,
        rss_end,
        peak_rss,
        rounds,
        cpu_per_event,
    })
}

/// Subscriber `who`'s reader: reports each post its socket receives, until
/// it has received the `mutations` measured ones; gives the socket back.
async fn read(
    mut socket: Socket,
    who: usize,
    mutations: usize,
    reports: mpsc::UnboundedSender<Report>,
) -> Socket {
    let mut live = false;
    let mut expected = 0;
    while expected < mutations {
        let message = match socket.next_within(PATIENCE * 4).await {
            Received::Message(message) if message["type"] == "next" => message,
            other => {
                let _ = reports.send(Report::Wrong(who, format!("{other:?}")));
                return socket;
            }
        };
        let at = Instant::now();
        let title = message["payload"]["data"]["postCreated"]["post"]["title"]
            .as_str()
            .unwrap_or_default();
        if title == WARM_UP {
            if !std::mem::replace(&mut live, true) {
                let _ = reports.send(Report::Live(who));
            }
            continue;
        }
        match title.strip_prefix(MEASURED).and_then(|i| i.parse().ok()) {
            Some(event) if event == expected => {
                let _ = reports.send(Report::Received { who, event, at });
                expected += 1;
            }
            _ => {
                let _ = reports.send(Report::Wrong(
                    who,
                    format!("expected event {expected}, got {message}"),
                ));
                return socket;
            }
        }
    }
    socket
}

/// Writes a post titled `title` as the holder of `token`.
async fn create_post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    title: &str,
) -> Result<(), String> {
    call(
        http,
        url,
        Some(token),
        CREATE_POST,
        json!({ "title": title }),
    )
    .await
    .map(drop)
}
