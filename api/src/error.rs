//! The one error type a client sees, and the one place it becomes a GraphQL error.
//!
//! Which error type belongs where:
//! - `sea_orm::DbErr` inside loaders and database code;
//! - [`ApiError`] in resolvers: every variant carries the `extensions.code` a
//!   client can branch on;
//! - `anyhow` only in the command line and seeding, never in a response.
//!
//! [`ApiError::extend`] (through async-graphql's `ErrorExtensions`) is the only
//! conversion to `async_graphql::Error`: it sets `extensions.code` (and
//! `extensions.field` where one input field is at fault) and replaces internal
//! messages with a generic one, logging the detail instead. Resolvers return
//! [`ApiResult`] and convert with `?` on a `Result<_, ApiError>` through
//! [`IntoGraphql::gql`], never through async-graphql's blanket `From<Display>`,
//! which would copy a database message into the response without a code.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// The seconds a client is told to wait before it tries again after
/// `SERVICE_UNAVAILABLE` (`extensions.retryAfter`, and `Retry-After` over
/// HTTP). Short: a restarting database is back within seconds, and the
/// client has already waited the acquire timeout for this answer; a longer
/// outage costs a client one cheap refusal every few seconds, each answered
/// within the acquire timeout.
pub const SERVICE_UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// What a resolver returns.
pub type ApiResult<T> = Result<T, async_graphql::Error>;

/// An error a client can see.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `BAD_USER_INPUT`, with `extensions.field`: an argument is malformed or
    /// out of range (a bad id, a bad cursor, `first` and `last` together).
    #[error("{message}")]
    BadUserInput {
        /// The argument or input field at fault.
        field: String,
        /// What is wrong with it, for the person reading the response.
        message: String,
    },
    /// `PAGE_TOO_LARGE`, with `extensions.field`: `first` or `last` asks for
    /// more than the maximum page.
    #[error("{field} may be at most {max}, got {requested}")]
    PageTooLarge {
        /// `first` or `last`.
        field: String,
        /// The page size asked for.
        requested: i64,
        /// The largest page served.
        max: u64,
    },
    /// `NOT_FOUND`: the object named does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// `UNAUTHENTICATED`: the request needs a signed-in user, or its token is
    /// malformed, wrongly signed or expired, or a login failed.
    #[error("{0}")]
    Unauthenticated(String),
    /// `FORBIDDEN`: the caller is signed in but may not do this (not the owner).
    #[error("{0}")]
    Forbidden(String),
    /// `CONFLICT`, with `extensions.field`: the value must be unique and is
    /// taken. Decided by the database's unique constraint, never by a read
    /// before the write, so that no race slips past.
    #[error("this {field} is already taken")]
    Conflict {
        /// The input field whose value is taken.
        field: String,
    },
    /// `TIMEOUT`: a database statement ran past the statement timeout
    /// (`--statement-timeout-ms`) and the database cancelled it; nothing it
    /// would have written is kept. Trying again later, or asking for less,
    /// may succeed.
    #[error("the database took too long to answer; try again, or ask for less")]
    Timeout,
    /// `RATE_LIMITED`, with `extensions.retryAfter` (seconds, also sent as
    /// the `Retry-After` header): too many sign-in attempts for one username
    /// or from one address; nothing was checked.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited {
        /// How long until the next attempt is let through, in whole seconds.
        retry_after_secs: u64,
    },
    /// `SERVICE_UNAVAILABLE`, with `extensions.retryAfter`
    /// ([`SERVICE_UNAVAILABLE_RETRY_AFTER_SECS`]; over HTTP the response is
    /// a 503 with that `Retry-After`): the database cannot be reached (it is
    /// down, restarting, or refuses connections), and no connection came
    /// within the acquire timeout (`--acquire-timeout-secs`), or the one in
    /// use broke. Nothing was written. Trying again later should succeed; the
    /// detail is logged.
    #[error("the service is temporarily unavailable; try again shortly")]
    ServiceUnavailable,
    /// `SUBSCRIBER_TOO_SLOW`, with `extensions.buffer`: a subscriber fell
    /// further behind the events than the buffer holds, and its subscription
    /// was ended rather than let grow without bound. It may subscribe again
    /// with `after` set to the last cursor it received.
    #[error(
        "this subscription fell more than {buffer} events behind and was ended; subscribe again with `after` set to the last cursor received"
    )]
    SubscriberTooSlow {
        /// How many events a subscriber may fall behind.
        buffer: usize,
    },
    /// `INTERNAL_SERVER_ERROR`: something failed on the server. The client
    /// gets a generic message; the detail is logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A `BAD_USER_INPUT` error on `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput { .. } => "BAD_USER_INPUT",
            ApiError::PageTooLarge { .. } => "PAGE_TOO_LARGE",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Conflict { .. } => "CONFLICT",
            ApiError::Timeout => "TIMEOUT",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ApiError::SubscriberTooSlow { .. } => "SUBSCRIBER_TOO_SLOW",
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> ApiError {
        ApiError::from(&err)
    }
}

/// The one mapping of database errors, for writes (`DbErr`) and for loaders
/// (a shared [`LoadError`]) alike.
impl From<&DbErr> for ApiError {
    fn from(err: &DbErr) -> ApiError {
        if let Some(field) = unique_violation_field(err) {
            return ApiError::Conflict {
                field: field.to_owned(),
            };
        }
        if is_statement_timeout(err) {
            // The statement is logged, as internal errors are: the client learns
            // only that it took too long.
            tracing::warn!(error = %err, "a statement ran past the statement timeout");
            return ApiError::Timeout;
        }
        if is_database_unreachable(err) {
            tracing::warn!(error = %err, "the database cannot be reached");
            return ApiError::ServiceUnavailable;
        }
        match err.sql_err() {
            // A write named a row that was deleted meanwhile (its check passed first).
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                ApiError::NotFound("the object this change refers to".into())
            }
            _ => ApiError::Internal(err.to_string()),
        }
    }
}

/// Whether the database cancelled a statement because it ran past the
/// statement timeout that `crate::db` sets on every connection (or, on
/// SQLite, waited past it for the write lock). The one place that reads the
/// drivers' codes for it.
pub fn is_statement_timeout(err: &DbErr) -> bool {
    use sea_orm::sqlx;
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(err))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(err))) = err
    else {
        return false;
    };
    let sqlx::Error::Database(err) = err.as_ref() else {
        return false;
    };
    if let Some(mysql) = err.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // 1969: MariaDB's max_statement_time; 3024: MySQL's max_execution_time.
        return matches!(mysql.number(), 1969 | 3024);
    }
    if err
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        // 57014 query_canceled: what statement_timeout raises.
        return err.code().as_deref() == Some("57014");
    }
    if err
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        // The primary result code: 9 SQLITE_INTERRUPT, raised by the progress
        // handler at the deadline; 5 SQLITE_BUSY, the busy timeout run out.
        return err
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 9));
    }
    false
}

/// Whether `err` says the database cannot be reached, rather than that a
/// statement failed: no connection within the pool's acquire timeout (sqlx
/// retries a refused connection until then), a connection that could not be
/// opened or broke under a statement (an I/O error), or the server saying it
/// is shutting down or starting up. The one place that reads the drivers'
/// errors for it.
pub fn is_database_unreachable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let err = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(err))
        | DbErr::Exec(RuntimeErr::SqlxError(err))
        | DbErr::Query(RuntimeErr::SqlxError(err)) => err.as_ref(),
        // sea-orm's own connection errors (no sqlx error under them).
        DbErr::Conn(_) => return true,
        _ => return false,
    };
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(err) => {
            if let Some(mysql) = err.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                // 1053 ER_SERVER_SHUTDOWN; 1927 ER_CONNECTION_KILLED (MariaDB).
                return matches!(mysql.number(), 1053 | 1927);
            }
            if err
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // Class 08 connection exception; 57P01 admin_shutdown, 57P02
                // crash_shutdown, 57P03 cannot_connect_now (starting up).
                return err.code().is_some_and(|code| {
                    code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
                });
            }
            false
        }
        _ => false,
    }
}

/// Each unique constraint, as the backends name it, and the input field it protects.
/// PostgreSQL and MySQL/MariaDB name the index (`users_email_key`); SQLite names
/// the column (`users.email`).
const UNIQUE_FIELDS: &[(&[&str], &str)] = &[
    (&["users_username_key", "users.username"], "username"),
    (&["users_email_fold_key", "users.email_key"], "email"),
    (&["tags_name_key", "tags.name"], "name"),
];

/// The input field whose unique constraint `err` violates, if it is one of Folio's.
/// The one place that reads constraint names out of the drivers' messages.
pub fn unique_violation_field(err: &DbErr) -> Option<&'static str> {
    let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = err.sql_err() else {
        return None;
    };
    UNIQUE_FIELDS.iter().find_map(|(names, field)| {
        names
            .iter()
            .any(|name| {
                message
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .any(|word| word == *name || word.ends_with(&format!(".{name}")))
            })
            .then_some(*field)
    })
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        let message = match self {
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error while resolving a request");
                INTERNAL_MESSAGE.to_owned()
            }
            other => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                ApiError::BadUserInput { field, .. }
                | ApiError::PageTooLarge { field, .. }
                | ApiError::Conflict { field } => ext.set("field", field.as_str()),
                ApiError::RateLimited { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs);
                }
                ApiError::ServiceUnavailable => {
                    ext.set("retryAfter", SERVICE_UNAVAILABLE_RETRY_AFTER_SECS);
                }
                ApiError::SubscriberTooSlow { buffer } => ext.set("buffer", *buffer),
                _ => {}
            }
        })
    }
}

/// `err` as an error of the whole request, raised before any field ran: no
/// path and no location in the document (async-graphql's
/// `into_server_error` would give it line 0, column 0, which is none).
pub fn request_error(err: &ApiError) -> async_graphql::ServerError {
    let extended = err.extend();
    let mut error = async_graphql::ServerError::new(extended.message, None);
    error.extensions = extended.extensions;
    error
}

/// The message a client gets for `INTERNAL_SERVER_ERROR`, whatever failed.
pub const INTERNAL_MESSAGE: &str = "Internal server error";

/// The text a panic was raised with (`panic!`'s message, an `expect`'s,
/// an index out of bounds...), for the log only.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(the panic carries no message)")
}

/// The error of an operation that panicked while it ran, once caught:
/// `INTERNAL_SERVER_ERROR` with the generic message, as an error of the
/// whole request (what had resolved before the panic is lost with it).
/// The panic's message is logged, never sent.
pub fn panicked(payload: &(dyn std::any::Any + Send)) -> async_graphql::ServerError {
    tracing::error!(
        panic = panic_message(payload),
        "an operation panicked; it was answered INTERNAL_SERVER_ERROR"
    );
    let extended = async_graphql::Error::new(INTERNAL_MESSAGE)
        .extend_with(|_, ext| ext.set("code", "INTERNAL_SERVER_ERROR"));
    let mut error = async_graphql::ServerError::new(extended.message, None);
    error.extensions = extended.extensions;
    error
}

/// Turns a `Result` whose error converts into [`ApiError`] into an [`ApiResult`].
pub trait IntoGraphql<T> {
    /// Converts the error through [`ApiError`]'s extensions.
    fn gql(self) -> ApiResult<T>;
}

impl<T, E: Into<ApiError>> IntoGraphql<T> for Result<T, E> {
    fn gql(self) -> ApiResult<T> {
        self.map_err(|err| err.into().extend())
    }
}

/// Loader errors are shared between every resolver waiting on the same batch,
/// so loaders return this cloneable form; it converts as a `DbErr` does.
#[derive(Debug, Clone)]
pub struct LoadError(pub std::sync::Arc<DbErr>);

impl From<DbErr> for LoadError {
    fn from(err: DbErr) -> LoadError {
        LoadError(std::sync::Arc::new(err))
    }
}

impl From<LoadError> for ApiError {
    fn from(err: LoadError) -> ApiError {
        ApiError::from(err.0.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_graphql::ErrorExtensions;
    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};

    use super::ApiError;

    fn code(err: DbErr) -> &'static str {
        ApiError::from(err).code()
    }

    #[test]
    fn an_unreachable_database_is_service_unavailable() {
        let refused = || {
            Arc::new(sqlx::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )))
        };
        for err in [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            DbErr::Conn(RuntimeErr::SqlxError(refused())),
            DbErr::Query(RuntimeErr::SqlxError(refused())),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sqlx::Error::PoolTimedOut))),
        ] {
            assert_eq!(code(err), "SERVICE_UNAVAILABLE");
        }
        assert_eq!(
            code(DbErr::Custom("anything else".into())),
            "INTERNAL_SERVER_ERROR"
        );
    }

    #[test]
    fn service_unavailable_says_nothing_of_the_cause() {
        let err = ApiError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)).extend();
        assert!(
            !err.message.to_lowercase().contains("pool"),
            "{}",
            err.message
        );
    }
}
