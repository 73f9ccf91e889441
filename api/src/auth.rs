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

/// How many password hashes run at once: one per core. Each argon2id hash
/// takes its own memory (19 MiB with the default parameters) and a core for
/// tens of milliseconds, so more at once only adds memory, not speed.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    tokio::sync::Semaphore::new(cores)
});

/// Runs CPU-heavy password work off the async runtime's threads, at most
/// one per core at a time (the others wait their turn).
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|err| ApiError::Internal(format!("password queue closed: {err}")))?;
    tokio::task::spawn_blocking(work)
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

/// How many sign-in attempts (`login`, `register`) are let through per
/// minute for one username or e-mail, and from one address; past them an
/// attempt is `RATE_LIMITED` before any password is hashed. Every attempt
/// counts, a successful one too: a limit that only failures filled would
/// still let a guesser try until one succeeds.
pub struct SignInLimits {
    /// Keyed by the validated login, so that a key is never longer than a
    /// username or e-mail can be.
    by_login: Limiter<crate::validate::Login>,
    by_address: Limiter<std::net::IpAddr>,
}

impl SignInLimits {
    /// `per_login` attempts a minute for each username or e-mail, and
    /// `per_address` from each client address (both at least 1).
    pub fn new(per_login: u32, per_address: u32) -> SignInLimits {
        let quota = |n: u32| {
            governor::Quota::per_minute(
                std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN),
            )
        };
        SignInLimits {
            by_login: Limiter::keyed(quota(per_login)),
            by_address: Limiter::keyed(quota(per_address)),
        }
    }

    /// Counts an attempt for each of `logins` from `address` (if known),
    /// or says how long to wait.
    pub fn attempt(
        &self,
        logins: &[&crate::validate::Login],
        address: Option<ClientAddress>,
    ) -> Result<(), ApiError> {
        use governor::clock::{Clock, DefaultClock};
        let wait = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        };
        if let Some(ClientAddress(address)) = address {
            self.by_address.check_key(&address).map_err(wait)?;
        }
        for login in logins {
            self.by_login.check_key(*login).map_err(wait)?;
        }
        // Forget keys that are full again, so that the maps stay small.
        if self.by_login.len() > 10_000 {
            self.by_login.retain_recent();
        }
        if self.by_address.len() > 10_000 {
            self.by_address.retain_recent();
        }
        Ok(())
    }
}
