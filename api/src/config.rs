//! Settings: every one has a flag, an environment variable (also read from
//! `.env`) and a default, written once, here, in its clap attribute.
//!
//! `Default` for each group means "what `folio` does with nothing set": it is
//! derived from the same attributes (with the environment ignored), so a
//! default cannot disagree between the command line, the tests and the
//! schema export. This module is a leaf: it holds plain data and builds
//! nothing from it.

use clap::{Args, CommandFactory, FromArgMatches, Parser, ValueEnum};

/// Where the data lives and how many connections to keep to it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// The database to use: `sqlite://PATH?mode=rwc`, `postgres://…` or `mysql://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://folio.db?mode=rwc",
        global = true
    )]
    pub database_url: String,

    /// The most connections the pool keeps open [default: 10; on SQLite 4].
    #[arg(
        long,
        env = "FOLIO_POOL_SIZE",
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub pool_size: Option<u32>,

    /// The longest any one SQL statement of a request may run, in milliseconds,
    /// before the database cancels it (0: no limit). On SQLite it also bounds
    /// how long a write waits for the database lock. Migrations and seeding run
    /// without it.
    #[arg(
        long,
        env = "FOLIO_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
    pub statement_timeout_ms: u64,

    /// The longest a request waits for a database connection, in seconds:
    /// for a free one from the pool, or for a new one while the database is
    /// unreachable. Past it the request fails with `SERVICE_UNAVAILABLE`, and
    /// `/readyz` answers 503.
    #[arg(
        long,
        env = "FOLIO_DB_ACQUIRE_TIMEOUT",
        default_value_t = 5,
        global = true
    )]
    pub acquire_timeout_secs: u64,
}

/// The pool size of a server database when `--pool-size` is not given.
pub const POOL_SIZE: u32 = 10;

/// The pool size on SQLite when `--pool-size` is not given. SQLite runs in
/// the process, one worker thread per connection: past a few, more
/// connections only contend for the same cores and hold their own caches.
/// Measured on two cores, release build, 5 s at c32 (req/s, peak RSS): 10
/// connections 206 on the first benchmark query, 124 MiB, and 20 on the
/// large one, 219 MiB; 4 connections 320, 86 MiB, and 22, 149 MiB.
pub const SQLITE_POOL_SIZE: u32 = 4;

impl DatabaseConfig {
    /// The most connections the pool keeps open: `--pool-size`, or
    /// [`POOL_SIZE`] ([`SQLITE_POOL_SIZE`] on SQLite).
    pub fn pool_size(&self) -> u32 {
        self.pool_size.unwrap_or_else(|| {
            if self.database_url.starts_with("sqlite:") {
                SQLITE_POOL_SIZE
            } else {
                POOL_SIZE
            }
        })
    }

    /// The statement timeout, or `None` when statements run without a limit.
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        (self.statement_timeout_ms > 0)
            .then(|| std::time::Duration::from_millis(self.statement_timeout_ms))
    }

    /// How long a request waits for a connection ([`Self::acquire_timeout_secs`]).
    pub fn acquire_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.acquire_timeout_secs)
    }

    /// The settings that migrations and seeding run with, on the same
    /// database: one connection, because they run one statement at a time and
    /// sea-orm-migration's `fresh` on SQLite turns foreign keys off on one
    /// connection and expects its drops to run on that same one; and no
    /// statement timeout, because building an index or seeding in one
    /// transaction may rightly take longer than any request, and a migration
    /// cut off half-way (DDL on MySQL/MariaDB is not transactional) would leave
    /// the schema neither old nor new.
    pub fn for_administration(&self) -> DatabaseConfig {
        DatabaseConfig {
            pool_size: Some(1),
            statement_timeout_ms: 0,
            ..self.clone()
        }
    }
}

/// The limits a request's document must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct QueryLimits {
    /// The deepest field nesting a query may have.
    #[arg(long, env = "FOLIO_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// The largest complexity a query may have (each field costs 1; a
    /// connection costs its page size times what is selected under it).
    #[arg(long, env = "FOLIO_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,

    /// The most aliases a query may use.
    #[arg(long, env = "FOLIO_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// The most field selections a query may hold once every fragment
    /// spread is replaced by the fragment it names.
    #[arg(long, env = "FOLIO_MAX_SELECTIONS", default_value_t = 5_000)]
    pub max_selections: usize,

    /// The most directives any one field or fragment may carry.
    #[arg(long, env = "FOLIO_MAX_DIRECTIVES", default_value_t = 10)]
    pub max_directives: usize,
}

/// How the HTTP server listens and what it accepts.
#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// The address to listen on.
    #[arg(long, env = "FOLIO_BIND", default_value = "127.0.0.1:8000")]
    pub bind: std::net::SocketAddr,

    /// Origins allowed to call the API from a browser, comma-separated
    /// (`*` for any); none when empty.
    #[arg(long, env = "FOLIO_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// The largest request body accepted, in bytes.
    #[arg(long, env = "FOLIO_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,

    /// How long a request may take before it is answered with 408, in seconds.
    #[arg(long, env = "FOLIO_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// How long a client may take to send a request's headers, in seconds;
    /// past it the connection is closed (a slow client holds nothing for long).
    #[arg(long, env = "FOLIO_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// The most response values the requests under way may hold at once,
    /// each request counted at the most its document can return (every
    /// selected field times the page sizes above it, variables included).
    /// A request waits until those under way leave room for it, so that a
    /// burst of large queries does not hold every large response in memory
    /// at once; one larger than the whole of it runs alone. Without it:
    /// [`MAX_VALUES_IN_FLIGHT`], or [`SQLITE_MAX_VALUES_IN_FLIGHT`] on SQLite.
    #[arg(long, env = "FOLIO_MAX_VALUES_IN_FLIGHT")]
    pub max_values_in_flight: Option<u32>,

    /// The most connections served at once; further clients wait to be accepted.
    #[arg(long, env = "FOLIO_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// The most of those one client address (an IPv6 /64) may hold; a
    /// connection past it is answered 429 and closed. Without it: a quarter
    /// of `--max-connections` (at least 1).
    #[arg(long, env = "FOLIO_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,

    /// How long a connection may sit with no request in flight, in seconds,
    /// over HTTP/1 or HTTP/2 alike; then it is closed.
    #[arg(long, env = "FOLIO_IDLE_TIMEOUT", default_value_t = 5)]
    pub idle_timeout_secs: u64,

    /// The slowest a request body may arrive, in bytes a second, measured
    /// over each 5 s; a slower one is answered 408 and its connection
    /// closed. 0 turns the check off.
    #[arg(long, env = "FOLIO_MIN_BODY_RATE", default_value_t = 4096)]
    pub min_body_rate: u64,

    /// The most requests one HTTP/2 connection may carry at once.
    #[arg(long, env = "FOLIO_HTTP2_MAX_STREAMS", default_value_t = 16)]
    pub http2_max_streams: u32,

    /// How long requests in flight may take to finish once shutdown begins,
    /// in seconds; past it the process exits anyway.
    #[arg(long, env = "FOLIO_SHUTDOWN_TIMEOUT", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,

    /// How queries run: `plan` answers every query document the planner
    /// covers from its cached plan and sends the others through
    /// async-graphql's executor; `executor` sends every request through
    /// the executor; `checked` runs both for every planned query, compares
    /// the two responses byte for byte and answers the executor's, with a
    /// `PLAN_MISMATCH` error where they differ (the test suite runs so).
    #[arg(long, env = "FOLIO_EXECUTION", value_enum, default_value_t = Execution::Plan)]
    pub execution: Execution,

    /// Responses smaller than this, in bytes, are sent as they are: below it
    /// compressing costs more CPU than the bytes it saves are worth.
    #[arg(long, env = "FOLIO_COMPRESSION_MIN_BYTES", default_value_t = 1024)]
    pub compression_min_bytes: u16,

    /// The level each encoding a client accepts (`zstd`, `br`, `gzip`,
    /// `deflate`) compresses at, clamped to its range (zstd 1–22, brotli
    /// 0–11, gzip and deflate 1–9); 0 sends every response uncompressed.
    #[arg(long, env = "FOLIO_COMPRESSION_LEVEL", default_value_t = 3)]
    pub compression_level: u8,

    /// The limits every query is checked against before it runs.
    #[command(flatten)]
    pub limits: QueryLimits,

    /// The secret that signs tokens (HS256). Without it, a random secret is
    /// made per process and tokens end with the process.
    #[arg(long, env = "FOLIO_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Sign-in attempts (`login`, `register`) let through per minute for one
    /// account (its username and e-mail together) from the addresses it has
    /// not signed in from, and for each address it has; past it,
    /// `RATE_LIMITED`.
    #[arg(long, env = "FOLIO_SIGN_IN_ATTEMPTS", default_value_t = 10)]
    pub sign_in_attempts_per_login: u32,

    /// Sign-in attempts let through per minute from one client address.
    #[arg(
        long,
        env = "FOLIO_SIGN_IN_ATTEMPTS_PER_ADDRESS",
        default_value_t = 120
    )]
    pub sign_in_attempts_per_address: u32,

    /// How long a token is valid, in hours.
    #[arg(long, env = "FOLIO_TOKEN_TTL_HOURS", default_value_t = 24)]
    pub token_ttl_hours: u64,

    /// Subscriptions: their sockets, their limits and the outbox.
    #[command(flatten)]
    pub live: LiveConfig,

    /// Where uploaded images are stored and how they are checked and resized.
    #[command(flatten)]
    pub media: MediaConfig,
}

/// How queries run (`--execution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Execution {
    /// Planned where the planner covers the document.
    #[default]
    Plan,
    /// Every request through async-graphql's executor.
    Executor,
    /// Both, compared, for tests.
    Checked,
}

/// Subscriptions: the WebSocket transport's limits and how events travel.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct LiveConfig {
    /// How long a new WebSocket may take to send `connection_init`, in
    /// seconds; past it the socket is closed with 4408.
    #[arg(long, env = "FOLIO_WS_INIT_TIMEOUT", default_value_t = 10)]
    pub ws_init_timeout_secs: u64,

    /// The most subscriptions one socket may run at once.
    #[arg(
        long,
        env = "FOLIO_MAX_SUBSCRIPTIONS_PER_SOCKET",
        default_value_t = 100
    )]
    pub max_subscriptions_per_socket: usize,

    /// The most WebSockets the instance holds open at once.
    #[arg(long, env = "FOLIO_MAX_SOCKETS", default_value_t = 10_000)]
    pub max_sockets: usize,

    /// The most of those one client address (an IPv6 /64) may hold; a
    /// socket past it is closed with 1013. Without it: a quarter of
    /// `--max-sockets` (at least 1).
    #[arg(long, env = "FOLIO_MAX_SOCKETS_PER_ADDRESS")]
    pub max_sockets_per_address: Option<usize>,

    /// How long a socket may run no subscription or operation, in seconds;
    /// then it is closed with 1000 (a client reconnects when it next
    /// subscribes).
    #[arg(long, env = "FOLIO_WS_IDLE_TIMEOUT", default_value_t = 30)]
    pub ws_idle_timeout_secs: u64,

    /// How often MariaDB and SQLite are polled for new events, in
    /// milliseconds (PostgreSQL notifies instead).
    #[arg(long, env = "FOLIO_EVENT_POLL_MS", default_value_t = 200)]
    pub event_poll_ms: u64,

    /// How long events are kept for subscriptions resuming with `after`, in
    /// seconds; older ones are pruned.
    #[arg(long, env = "FOLIO_EVENT_RETENTION", default_value_t = 86_400)]
    pub event_retention_secs: u64,

    /// How many events a subscriber may fall behind before its subscription
    /// is ended (it can resume with `after`).
    #[arg(long, env = "FOLIO_SUBSCRIPTION_BUFFER", default_value_t = 256)]
    pub subscription_buffer: usize,
}

/// Where uploaded images are stored (shared by `folio serve` and `folio media`).
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct StorageConfig {
    /// Where image objects are stored: `file://DIR`, a local directory
    /// (relative to the working directory unless absolute), made when
    /// missing; or `s3://BUCKET/PREFIX`, an S3-compatible bucket (endpoint,
    /// region and credentials from the usual `AWS_*` variables, or as query
    /// parameters: `?endpoint=…&region=…&allow_http=true`).
    #[arg(
        long = "storage-url",
        env = "FOLIO_STORAGE_URL",
        default_value = "file://./media"
    )]
    pub url: String,
}

/// Uploaded images: where they are stored, what is accepted, what is derived.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct MediaConfig {
    /// Where image objects are stored.
    #[command(flatten)]
    pub storage: StorageConfig,

    /// The address prefix of the image URLs `Photo.url` answers; Folio
    /// serves the objects itself at `/media/…`.
    #[arg(long, env = "FOLIO_MEDIA_BASE_URL", default_value = "/media")]
    pub media_base_url: String,

    /// The largest file one upload may carry, in bytes.
    #[arg(long, env = "FOLIO_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// The most files one request may upload.
    #[arg(long, env = "FOLIO_MAX_UPLOAD_FILES", default_value_t = 4)]
    pub max_upload_files: usize,

    /// The most pixels (width × height) an uploaded image may have; larger
    /// ones are refused before they are decoded.
    #[arg(long, env = "FOLIO_MAX_IMAGE_PIXELS", default_value_t = 40_000_000)]
    pub max_image_pixels: u64,

    /// The most memory processing one uploaded image may take, in MiB: its
    /// decoded pixels at 8 bits a channel, twice (the pixels and one working
    /// copy). Known from the header, so a larger image is refused before it
    /// is decoded. 256 takes a 40-megapixel RGB photo; each of the
    /// `--image-workers` may hold this much at once.
    #[arg(long, env = "FOLIO_MAX_IMAGE_MEMORY_MIB", default_value_t = 256)]
    pub max_image_memory_mib: u64,

    /// How long processing one uploaded image may take, in milliseconds,
    /// before it is refused as `BAD_USER_INPUT`: checked between the steps
    /// (decoding, orienting, each size's encoding).
    #[arg(long, env = "FOLIO_IMAGE_TIME_BUDGET_MS", default_value_t = 10_000)]
    pub image_time_budget_ms: u64,

    /// The longest side of the `LARGE` size, in pixels.
    #[arg(long, env = "FOLIO_IMAGE_LARGE_SIZE", default_value_t = 1600)]
    pub large_size: u32,

    /// The longest side of the `THUMBNAIL` size, in pixels.
    #[arg(long, env = "FOLIO_IMAGE_THUMBNAIL_SIZE", default_value_t = 320)]
    pub thumbnail_size: u32,

    /// How many images are decoded and resized at once (each on a blocking
    /// thread, off the request threads); further uploads wait their turn.
    #[arg(long, env = "FOLIO_IMAGE_WORKERS", default_value_t = 2)]
    pub image_workers: usize,

    /// How long an upload (a multipart request) may take before it is
    /// answered with 408, in seconds: in place of the request timeout,
    /// which is too short for 25 MiB on a slow link.
    #[arg(long, env = "FOLIO_UPLOAD_TIMEOUT", default_value_t = 600)]
    pub upload_timeout_secs: u64,
}

impl MediaConfig {
    /// The largest multipart request body: every file at its limit, plus
    /// the GraphQL request itself within the ordinary body limit.
    pub fn multipart_limit(&self, body_limit: usize) -> usize {
        let files = self
            .max_upload_bytes
            .saturating_mul(self.max_upload_files as u64);
        usize::try_from(files)
            .unwrap_or(usize::MAX)
            .saturating_add(body_limit)
    }
}

/// Parses a settings group from no arguments and no environment: its defaults.
pub(crate) fn defaults<T: Args + FromArgMatches>() -> T {
    #[derive(Parser)]
    struct Only<T: Args> {
        #[command(flatten)]
        inner: T,
    }
    let command = Only::<T>::command().mut_args(|arg| arg.env(None));
    let matches = command.get_matches_from(["folio"]);
    // Every setting has a default or is optional, so no arguments always parse.
    Only::<T>::from_arg_matches(&matches)
        .unwrap_or_else(|err| unreachable!("settings without a default: {err}"))
        .inner
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        defaults()
    }
}

impl Default for QueryLimits {
    fn default() -> Self {
        defaults()
    }
}

impl LiveConfig {
    /// The sockets one client address may hold: `--max-sockets-per-address`,
    /// or a quarter of `--max-sockets`.
    pub fn sockets_per_address(&self) -> usize {
        self.max_sockets_per_address
            .unwrap_or(self.max_sockets / 4)
            .max(1)
    }
}

impl Default for LiveConfig {
    fn default() -> Self {
        defaults()
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        defaults()
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        defaults()
    }
}

/// The response values requests may hold at once when
/// `--max-values-in-flight` is not given: room for three of the benchmark's
/// large query (65,030 values, a 700 KB response) at once.
pub const MAX_VALUES_IN_FLIGHT: u32 = 200_000;

/// The same on SQLite: room for one such query and many small ones. SQLite
/// reads in the server's own process, on its cores: a second large request
/// alongside the first adds little speed there, but its whole response to
/// the memory. Measured on two cores, release build, the large query at
/// c32 (req/s, peak RSS): room for three 34–42, 108–124 MiB; for one
/// 32–33, 74–84 MiB.
pub const SQLITE_MAX_VALUES_IN_FLIGHT: u32 = 100_000;

impl ServerConfig {
    /// The connections one client address may hold:
    /// `--max-connections-per-address`, or a quarter of `--max-connections`.
    pub fn connections_per_address(&self) -> usize {
        self.max_connections_per_address
            .unwrap_or(self.max_connections / 4)
            .max(1)
    }

    /// The response values requests may hold at once on `backend`:
    /// `--max-values-in-flight`, or [`MAX_VALUES_IN_FLIGHT`]
    /// ([`SQLITE_MAX_VALUES_IN_FLIGHT`] on SQLite).
    pub fn values_in_flight(&self, backend: sea_orm::DbBackend) -> u32 {
        self.max_values_in_flight.unwrap_or(match backend {
            sea_orm::DbBackend::Sqlite => SQLITE_MAX_VALUES_IN_FLIGHT,
            _ => MAX_VALUES_IN_FLIGHT,
        })
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_flags() {
        let server = ServerConfig::default();
        assert_eq!(server.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(server.body_limit, 1024 * 1024);
        assert_eq!(server.limits, QueryLimits::default());
        assert_eq!(QueryLimits::default().max_depth, 15);
        assert!(server.jwt_secret.is_none());
        assert_eq!(server.media, MediaConfig::default());
        assert_eq!(server.media.max_upload_bytes, 25 * 1024 * 1024);
        assert_eq!(server.media.storage.url, "file://./media");
        let database = DatabaseConfig::default();
        assert_eq!(database.database_url, "sqlite://folio.db?mode=rwc");
        assert_eq!(
            database.statement_timeout(),
            Some(std::time::Duration::from_secs(5))
        );
        let administration = database.for_administration();
        assert_eq!(
            database.acquire_timeout(),
            std::time::Duration::from_secs(5)
        );
        assert_eq!(administration.pool_size(), 1);
        assert_eq!(administration.statement_timeout(), None);
        assert_eq!(administration.database_url, database.database_url);
    }

    #[test]
    fn the_values_in_flight_default_by_backend() {
        use sea_orm::DbBackend;
        let server = ServerConfig::default();
        assert_eq!(server.max_values_in_flight, None);
        assert_eq!(
            server.values_in_flight(DbBackend::Sqlite),
            SQLITE_MAX_VALUES_IN_FLIGHT
        );
        assert_eq!(
            server.values_in_flight(DbBackend::Postgres),
            MAX_VALUES_IN_FLIGHT
        );
        assert_eq!(
            server.values_in_flight(DbBackend::MySql),
            MAX_VALUES_IN_FLIGHT
        );
        let given = ServerConfig {
            max_values_in_flight: Some(7),
            ..ServerConfig::default()
        };
        assert_eq!(given.values_in_flight(DbBackend::Sqlite), 7);
        assert_eq!(given.values_in_flight(DbBackend::Postgres), 7);
    }

    #[test]
    fn the_pool_size_defaults_by_backend_and_refuses_zero() {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            database: DatabaseConfig,
        }
        let parse = |args: &[&str]| {
            let args = std::iter::once("folio").chain(args.iter().copied());
            Cli::command()
                .mut_args(|arg| arg.env(None))
                .try_get_matches_from(args)
                .and_then(|matches| Cli::from_arg_matches(&matches))
                .map(|cli| cli.database.pool_size())
        };
        assert_eq!(parse(&[]).ok(), Some(SQLITE_POOL_SIZE));
        let postgres = ["--database-url", "postgres://db/folio"];
        assert_eq!(parse(&postgres).ok(), Some(POOL_SIZE));
        let mariadb = ["--database-url", "mysql://db/folio"];
        assert_eq!(parse(&mariadb).ok(), Some(POOL_SIZE));
        assert_eq!(parse(&["--pool-size", "7"]).ok(), Some(7));
        let refused = parse(&["--pool-size", "0"])
            .err()
            .map(|err| err.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|err| err.contains("--pool-size")),
            "{refused:?}"
        );
    }
}
