//! Settings shared by every subcommand. Each has a flag, an environment
//! variable (also read from `.env`) and a default, so that `folio` runs with
//! nothing set up.

use clap::Args;

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

    /// The most connections the pool keeps open.
    #[arg(long, env = "FOLIO_POOL_SIZE", default_value_t = 10, global = true)]
    pub pool_size: u32,
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

    /// The deepest field nesting a query may have.
    #[arg(long, env = "FOLIO_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// The largest complexity a query may have (a connection costs its page
    /// size times what is selected under it).
    #[arg(long, env = "FOLIO_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,

    /// The most aliases a query may use.
    #[arg(long, env = "FOLIO_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// The secret that signs tokens (HS256). Without it, a random secret is
    /// made per process and tokens end with the process.
    #[arg(long, env = "FOLIO_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// How long a token is valid, in hours.
    #[arg(long, env = "FOLIO_TOKEN_TTL_HOURS", default_value_t = 24)]
    pub token_ttl_hours: u64,
}

impl ServerConfig {
    /// The token signer: the configured secret, or a random one for this
    /// process only (with a warning: tokens end when the process does).
    pub fn tokens(&self) -> crate::auth::Tokens {
        let ttl = std::time::Duration::from_secs(self.token_ttl_hours.saturating_mul(3600));
        match &self.jwt_secret {
            Some(secret) if !secret.is_empty() => crate::auth::Tokens::new(secret.as_bytes(), ttl),
            _ => {
                tracing::warn!(
                    "FOLIO_JWT_SECRET is not set: signing tokens with a random secret; \
                     tokens stop working when this process ends"
                );
                let secret: [u8; 32] = rand_secret();
                crate::auth::Tokens::new(&secret, ttl)
            }
        }
    }

    /// The query limits these settings ask for.
    pub fn limits(&self) -> crate::schema::QueryLimits {
        crate::schema::QueryLimits {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 8000)),
            cors_origins: Vec::new(),
            body_limit: 1024 * 1024,
            request_timeout_secs: 30,
            max_depth: 15,
            max_complexity: 50_000,
            max_aliases: 30,
            jwt_secret: None,
            token_ttl_hours: 24,
        }
    }
}

/// 32 random bytes from the operating system.
fn rand_secret() -> [u8; 32] {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    secret
}
