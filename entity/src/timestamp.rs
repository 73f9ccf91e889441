//! The one clock every entity's `created_at`/`updated_at` reads, and the one
//! `ActiveModelBehavior` that keeps those columns.
//!
//! Times are UTC truncated to whole microseconds: that is the finest precision
//! all three backends store (PostgreSQL `timestamptz`, MySQL `DATETIME(6)`,
//! SQLite text), so a value read back equals the value written, and cursors
//! built from either compare the same way on every backend.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, in UTC, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Implements `ActiveModelBehavior` for the `ActiveModel` in scope so that an
/// insert sets `created_at` (unless the caller set it, as seeding does) and
/// every save sets `updated_at`. `keep_timestamps!(created_at)` keeps only the
/// creation time, for rows that are never updated.
macro_rules! keep_timestamps {
    (created_at $(, $updated:ident)?) => {
        #[async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr>
            where
                C: ConnectionTrait,
            {
                let now = $crate::timestamp::now();
                if insert && self.created_at.is_not_set() {
                    self.created_at = sea_orm::Set(now);
                }
                $(self.$updated = sea_orm::Set(now);)?
                Ok(self)
            }
        }
    };
}
pub(crate) use keep_timestamps;
