//! Who a caller is: password hashing and signed tokens.
//!
//! Passwords are hashed with argon2id (PHC strings); tokens are JWTs signed
//! with HS256 whose subject is the user's row id. This module decides nothing
//! about what a caller may do: ownership rules live with the mutations, and
//! the HTTP handler turns a token into a [`Viewer`](crate::viewer::Viewer).

use std::sync::LazyLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The fewest bytes a configured token secret may have (HS256's key is 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// A configured token secret too short to sign with.
#[derive(Debug, thiserror::Error)]
#[error(
    "FOLIO_JWT_SECRET is {bytes} bytes long; it must have at least 32 (for example the output of `openssl rand -base64 48`), or be left unset for a random secret per process"
)]
pub struct WeakSecret {
    /// How long the secret given was, in bytes.
    pub bytes: usize,
}

/// Signs and checks tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user's row id.
    sub: String,
    /// Expiry, in seconds since the epoch.
    exp: u64,
    /// Issued at, in seconds since the epoch.
    iat: u64,
}

impl Tokens {
    /// Tokens signed with `secret`, valid for `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Tokens {
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// The signer the settings ask for: `secret`, or a random one for this
    /// process only (with a warning: tokens end when the process does). A
    /// secret shorter than [`MIN_SECRET_BYTES`] is refused: HS256 with a short
    /// key can be brute-forced from any token.
    pub fn configured(secret: Option<&str>, ttl_hours: u64) -> Result<Tokens, WeakSecret> {
        let ttl = Duration::from_secs(ttl_hours.saturating_mul(3600));
        match secret.filter(|s| !s.is_empty()) {
            Some(secret) if secret.len() < MIN_SECRET_BYTES => Err(WeakSecret {
                bytes: secret.len(),
            }),
            Some(secret) => Ok(Tokens::new(secret.as_bytes(), ttl)),
            _ => {
                tracing::warn!(
                    "FOLIO_JWT_SECRET is not set: signing tokens with a random secret; \
                     tokens stop working when this process ends"
                );
                let mut random = [0u8; MIN_SECRET_BYTES];
                argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut random);
                Ok(Tokens::new(&random, ttl))
            }
        }
    }

    /// A fresh token for the user `user_id`.
    pub fn issue(&self, user_id: i32) -> Result<String, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| ApiError::Internal(format!("could not sign a token: {err}")))
    }

    /// The user a token names, if it is well formed, signed with this secret
    /// and not expired.
    pub fn verify(&self, token: &str) -> Result<i32, ApiError> {
        self.verify_expiring(token).map(|(user_id, _)| user_id)
    }

    /// The user a token names and when it expires (seconds since the
    /// epoch), if it is well formed, signed with this secret and not expired.
    pub fn verify_expiring(&self, token: &str) -> Result<(i32, u64), ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(|err| {
                match err.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        ApiError::Unauthenticated("the token has expired; log in again".into())
                    }
                    _ => ApiError::Unauthenticated("the token is not valid".into()),
                }
            })?;
        let user_id = data
            .claims
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthenticated("the token is not valid".into()))?;
        Ok((user_id, data.claims.exp))
    }
}

/// The argon2id PHC hash of `password`, with a fresh random salt. Slow on
/// purpose: call it from a blocking task.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| ApiError::Internal(format!("could not hash a password: {err}")))
}

/// Whether `password` matches the PHC hash `hash`. Slow on purpose.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password is known to match, checked when a login names no user,
/// so that a failed login takes the same time whether or not the user exists.
/// It is written out rather than computed at start-up: hashing it there took
/// argon2's 19 MiB, which the allocator then kept for as long as the server
/// stayed idle. Its parameters are argon2's defaults, those of every hash
/// [`hash_password`] makes (a test holds it to that), so checking it costs
/// what checking a real one does.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$KXQE0fvh24+ZOEiBO952vQ$LiOYrLJK3jd68hYXSiI9HMuEp1X3YO/wq71cu9GPdc4";

/// The threads password work runs on: one per core, for the life of the
/// process. Each argon2id hash takes its own memory (19 MiB with the
/// default parameters) and a core for tens of milliseconds, so more at once
/// only adds memory, not speed. They are threads of their own rather than
/// the runtime's blocking pool: the allocator keeps a thread's freed
/// memory for that thread's next use, and blocking threads come and go,
/// so every short-lived one that hashed once held its 19 MiB until it
/// ended (the soak's resident memory rose from 39 to 96 MiB and back as
/// sign-ins landed on new threads). A fixed set of threads reuses the same
/// memory, so what password work holds is bounded and steady.
static HASHERS: LazyLock<std::sync::mpsc::Sender<PasswordJob>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let (jobs, queue) = std::sync::mpsc::channel::<PasswordJob>();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
    for i in 0..cores {
        let queue = queue.clone();
        let started = std::thread::Builder::new()
            .name(format!("folio-password-{i}"))
            .spawn(move || {
                loop {
                    let job = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .recv();
                    let Ok(job) = job else { return };
                    // A panicking job fails its own caller; the thread goes on.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
        if let Err(err) = started {
            tracing::error!("could not start a password thread: {err}");
        }
    }
    jobs
});

/// A piece of password work, queued for [`HASHERS`].
type PasswordJob = Box<dyn FnOnce() + Send>;

/// Runs CPU-heavy password work off the async runtime's threads, on one of
/// the password threads (one per core; the others wait their turn).
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: PasswordJob = Box::new(move || {
        let _ = done.send(work());
    });
    HASHERS
        .send(job)
        .map_err(|err| ApiError::Internal(format!("password queue closed: {err}")))?;
    result
        .await
        .map_err(|err| ApiError::Internal(format!("password task failed: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_costs_what_a_real_hash_costs() {
        let decoy = PasswordHash::new(DECOY_HASH).expect("a PHC string");
        let real_hash = hash_password("correct horse").expect("hash");
        let real = PasswordHash::new(&real_hash).expect("a PHC string");
        assert_eq!(decoy.algorithm, real.algorithm);
        assert_eq!(decoy.version, real.version);
        assert_eq!(decoy.params, real.params);
        assert_eq!(
            decoy.hash.map(|output| output.len()),
            real.hash.map(|output| output.len())
        );
        assert!(!verify_password(DECOY_HASH, "correct horse"));
    }

    #[test]
    fn passwords_verify_against_their_own_hash_only() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horsE"));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn tokens_name_their_user_and_refuse_tampering() {
        let tokens = Tokens::new(b"secret one", Duration::from_secs(60));
        let token = tokens.issue(42).expect("token");
        assert_eq!(tokens.verify(&token).ok(), Some(42));
        let other = Tokens::new(b"secret two", Duration::from_secs(60));
        assert_eq!(
            other.verify(&token).map_err(|e| e.code()),
            Err("UNAUTHENTICATED")
        );
        assert_eq!(
            tokens.verify("abc.def.ghi").map_err(|e| e.code()),
            Err("UNAUTHENTICATED")
        );
    }

    #[test]
    fn short_secrets_are_refused_at_start() {
        let err = Tokens::configured(Some("too short"), 24)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("9 bytes"), "{err}");
        assert!(Tokens::configured(Some(&"x".repeat(MIN_SECRET_BYTES)), 24).is_ok());
        assert!(
            Tokens::configured(None, 24).is_ok(),
            "a random secret per process"
        );
        assert!(Tokens::configured(Some(""), 24).is_ok(), "empty is unset");
    }

    #[test]
    fn expired_tokens_are_refused() {
        let tokens = Tokens::new(b"secret", Duration::ZERO);
        let token = tokens.issue(1).expect("token");
        std::thread::sleep(Duration::from_millis(1100));
        let err = tokens.verify(&token).expect_err("expired");
        assert!(err.to_string().contains("expired"));
    }
}

/// A keyed rate limiter on the default clock.
type Limiter<K> = governor::DefaultKeyedRateLimiter<K>;

/// Where a request came from: its TCP peer's address, which the server
/// attaches to every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Whom a sign-in attempt is for: the account its username or e-mail names,
/// or, when it names none, the login as typed (normalised), so that trying
/// names that do not exist is counted too.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignInTarget {
    /// An existing account, by its row id: its username and its e-mail
    /// share one budget.
    Account(i32),
    /// A username or e-mail that names no account.
    Unknown(crate::validate::Login),
}

/// How long an address an account signed in from stays one of its usual
/// addresses after the last sign-in from it.
const USUAL_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The most (account, address) pairs remembered as usual, about 100 bytes
/// each; past it, the least recently used are forgotten.
const USUAL_PAIRS: usize = 100_000;

/// The sign-in rate limits (`login`, `register`); past a limit an attempt is
/// `RATE_LIMITED` before any password is hashed. Every attempt counts, a
/// successful one too: a limit that only failures filled would still let a
/// guesser try until one succeeds.
///
/// - **Per address**: `per_address` attempts a minute from one client
///   address (an IPv6 address counts by its /64 network, which one host
///   usually holds whole), checked first, before the login is looked up.
/// - **Per account**: `per_account` attempts a minute for one account,
///   whichever of its username or e-mail is typed, from all the addresses
///   it has not signed in from, together. A login that names no account is
///   counted the same way by the name typed.
/// - **Usual addresses keep their own budget**: an address the account
///   signed in from in the last 30 days gets `per_account` attempts a minute
///   of its own for that account, which guesses from elsewhere do not touch.
///   So a guesser can spend an account's shared budget, but cannot lock its
///   owner out where the owner usually signs in.
pub struct SignInLimits {
    by_address: Limiter<std::net::IpAddr>,
    by_account: Limiter<SignInTarget>,
    by_usual_address: Limiter<(i32, std::net::IpAddr)>,
    /// When each account last signed in from each address.
    usual: quick_cache::sync::Cache<(i32, std::net::IpAddr), std::time::Instant>,
}

impl SignInLimits {
    /// `per_account` attempts a minute for each account (and each unknown
    /// login) and `per_address` from each client address (both at least 1).
    pub fn new(per_account: u32, per_address: u32) -> SignInLimits {
        let quota = |n: u32| {
            governor::Quota::per_minute(
                std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN),
            )
        };
        SignInLimits {
            by_address: Limiter::keyed(quota(per_address)),
            by_account: Limiter::keyed(quota(per_account)),
            by_usual_address: Limiter::keyed(quota(per_account)),
            usual: quick_cache::sync::Cache::new(USUAL_PAIRS),
        }
    }

    /// Counts an attempt from `address` (if known), or says how long to
    /// wait. The first check of every attempt, before anything is looked up.
    pub fn check_address(&self, address: Option<ClientAddress>) -> Result<(), ApiError> {
        if let Some(address) = address {
            self.by_address
                .check_key(&address.network())
                .map_err(rate_limited)?;
        }
        forget_full(&self.by_address);
        Ok(())
    }

    /// Counts an attempt for `target` from `address`: against the budget of
    /// that address for the account when the account usually signs in from
    /// there, against the account's shared budget otherwise.
    pub fn check_target(
        &self,
        target: &SignInTarget,
        address: Option<ClientAddress>,
    ) -> Result<(), ApiError> {
        let usual = match (target, address) {
            (SignInTarget::Account(id), Some(address)) => {
                let pair = (*id, address.0);
                self.usual
                    .get(&pair)
                    .is_some_and(|last| last.elapsed() < USUAL_FOR)
                    .then_some(pair)
            }
            _ => None,
        };
        match usual {
            Some(pair) => {
                self.by_usual_address
                    .check_key(&pair)
                    .map_err(rate_limited)?;
                forget_full(&self.by_usual_address);
            }
            None => {
                self.by_account.check_key(target).map_err(rate_limited)?;
                forget_full(&self.by_account);
            }
        }
        Ok(())
    }

    /// Remembers that `user_id` signed in from `address`: one of its usual
    /// addresses from now on.
    pub fn signed_in(&self, user_id: i32, address: Option<ClientAddress>) {
        if let Some(address) = address {
            self.usual
                .insert((user_id, address.0), std::time::Instant::now());
        }
    }
}

impl ClientAddress {
    /// The key the per-address limit counts by: the address itself, or for
    /// IPv6 its /64 network.
    pub(crate) fn network(self) -> std::net::IpAddr {
        use std::net::{IpAddr, Ipv6Addr};
        match self.0 {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
            v4 => v4,
        }
    }
}

/// `RATE_LIMITED`, with how long to wait.
fn rate_limited(
    not_until: governor::NotUntil<
        <governor::clock::DefaultClock as governor::clock::Clock>::Instant,
    >,
) -> ApiError {
    use governor::clock::{Clock, DefaultClock};
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    ApiError::RateLimited {
        retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
    }
}

/// Forgets the keys of `limiter` that are full again, once it holds many,
/// so that its map stays small.
fn forget_full<K: std::hash::Hash + Eq + Clone>(limiter: &Limiter<K>) {
    if limiter.len() > 10_000 {
        limiter.retain_recent();
    }
}

#[cfg(test)]
mod sign_in_tests {
    use super::*;

    fn v6(s: &str) -> Option<ClientAddress> {
        Some(ClientAddress(s.parse().expect("an address")))
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_network() {
        let limits = SignInLimits::new(100, 2);
        limits
            .check_address(v6("2001:db8:1:2::1"))
            .expect("let through");
        limits
            .check_address(v6("2001:db8:1:2:ffff::9"))
            .expect("let through");
        let refused = limits.check_address(v6("2001:db8:1:2:abcd::7"));
        assert_eq!(refused.map_err(|e| e.code()), Err("RATE_LIMITED"));
        // Another /64 has its own budget; an IPv4-mapped address is its IPv4 one.
        limits
            .check_address(v6("2001:db8:1:3::1"))
            .expect("let through");
        limits
            .check_address(v6("::ffff:192.0.2.1"))
            .expect("let through");
        limits
            .check_address(Some(ClientAddress(
                "192.0.2.1".parse().expect("an address"),
            )))
            .expect("let through");
        let refused = limits.check_address(v6("::ffff:192.0.2.1"));
        assert_eq!(refused.map_err(|e| e.code()), Err("RATE_LIMITED"));
    }

    #[test]
    fn a_usual_address_keeps_its_own_budget_for_the_account() {
        let limits = SignInLimits::new(2, 100);
        let home = Some(ClientAddress("192.0.2.1".parse().expect("an address")));
        let away = Some(ClientAddress("198.51.100.7".parse().expect("an address")));
        let account = SignInTarget::Account(7);
        limits.signed_in(7, home);
        for _ in 0..2 {
            limits.check_target(&account, away).expect("let through");
        }
        let refused = limits.check_target(&account, away);
        assert_eq!(refused.map_err(|e| e.code()), Err("RATE_LIMITED"));
        limits.check_target(&account, home).expect("let through");
        // The address is usual for account 7 only.
        limits
            .check_target(&SignInTarget::Account(8), home)
            .expect("let through");
    }
}
