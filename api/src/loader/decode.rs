//! Rows read by position.
//!
//! Every loader statement selects its entity's columns first, in the
//! entity's column order ([`super::select_columns`]), before the columns of
//! its own (`folio_parent`, …). sea-orm's derived decoding finds each column
//! by name, which hashes the name into sqlx's column map for every value of
//! every row: a quarter of the time the server spent reading the 500 posts
//! of a request. [`Decode`] reads them by position instead, and on
//! PostgreSQL straight from sqlx's row. A column the statement left unread
//! (selected as `NULL`, see [`super::ON_DEMAND_COLUMNS`]) is not read at
//! all: its field gets its type's default, which nothing shows.

#[cfg(test)]
use sea_orm::EntityTrait;
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{self, Row};
use sea_orm::{DbErr, QueryResult, TryGetable};

use super::Unread;

/// A model read from the first columns of a row, in its entity's column order.
pub trait Decode: Sized {
    /// The model's fields, in the order read: the entity's columns, in
    /// order (a test holds every model to it).
    const FIELDS: &'static [&'static str];

    /// The model from the first columns of `row`; the fields `skipped`
    /// (columns the statement left unread) get their type's default.
    fn decode(row: &QueryResult, skipped: Skipped) -> Result<Self, DbErr>;

    /// The `k`-th column the statement selects after the model's (0: the
    /// first of its own, such as `folio_parent`), on PostgreSQL read as the
    /// model's own columns are ([`pg_value`]).
    fn after<T>(row: &QueryResult, k: usize) -> Result<T, DbErr>
    where
        T: TryGetable + for<'r> sqlx::Decode<'r, sqlx::Postgres>,
    {
        let i = Self::FIELDS.len() + k;
        match row.try_as_pg_row() {
            Some(pg) => pg_value(pg, i),
            None => row.try_get_by_index(i),
        }
    }
}

/// The `i`-th value of a PostgreSQL row, decoded by sqlx without its type
/// check: the column is the entity's own, whose type the migrations set and
/// the model's field matches (a mismatch still fails, on the value's length
/// or format, rather than reading garbage). The check, and sea-orm's
/// dispatch on the backend around it, were about a third of the time spent
/// decoding rows; the values decoded are sqlx's, as before.
fn pg_value<'r, T>(row: &'r PgRow, i: usize) -> Result<T, DbErr>
where
    T: sqlx::Decode<'r, sqlx::Postgres>,
{
    row.try_get_unchecked(i)
        .map_err(|err| DbErr::Type(err.to_string()))
}

/// Which of a model's fields a statement left unread, by position (bit `i`:
/// the `i`-th of [`Decode::FIELDS`]); worked out once per statement.
#[derive(Debug, Clone, Copy, Default)]
pub struct Skipped(u32);

impl Skipped {
    /// The fields of `M` whose columns `unread` leaves unread.
    pub fn of<M: Decode>(unread: Unread) -> Skipped {
        Skipped(
            M::FIELDS
                .iter()
                .enumerate()
                .filter(|(i, field)| *i < 32 && unread.contains(field))
                .fold(0, |bits, (i, _)| bits | 1 << i),
        )
    }

    /// Whether the `i`-th field is left unread.
    fn has(self, i: usize) -> bool {
        i < 32 && self.0 & (1 << i) != 0
    }
}

/// Writes [`Decode`] for models, their fields listed in column order.
macro_rules! decode_in_order {
    ($($model:path { $($field:ident),+ $(,)? })+) => {$(
        impl Decode for $model {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn decode(row: &QueryResult, skipped: Skipped) -> Result<Self, DbErr> {
                let mut at = 0usize..;
                // Struct fields are evaluated in the order written.
                if let Some(row) = row.try_as_pg_row() {
                    return Ok(Self {
                        $($field: match at.next().unwrap_or_default() {
                            i if skipped.has(i) => Default::default(),
                            i => pg_value(row, i)?,
                        },)+
                    });
                }
                Ok(Self {
                    $($field: match at.next().unwrap_or_default() {
                        i if skipped.has(i) => Default::default(),
                        i => row.try_get_by_index(i)?,
                    },)+
                })
            }
        }
    )+};
}

decode_in_order! {
    entity::user::Model { id, username, email, email_key, password_hash, created_at, updated_at }
    entity::profile::Model { id, user_id, display_name, bio, avatar_url, created_at, updated_at }
    entity::post::Model { id, author_id, title, body, created_at, updated_at }
    entity::photo::Model {
        id, owner_id, filename, caption, width, height, byte_size, content_type, sha256,
        created_at, updated_at,
    }
    entity::tag::Model { id, name, created_at }
    entity::comment::Model { id, post_id, author_id, body, created_at, updated_at }
}

/// The column names of `E`, in order: what [`Decode::FIELDS`] must be.
#[cfg(test)]
fn columns<E: EntityTrait>() -> Vec<&'static str> {
    use sea_orm::{IdenStatic, Iterable};
    E::Column::iter().map(|column| column.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::{Decode, columns};
    use entity::{comment, photo, post, profile, tag, user};

    /// Each model reads its fields in its entity's column order, which is the
    /// order the loaders select them in.
    #[test]
    fn models_read_their_columns_in_order() {
        assert_eq!(user::Model::FIELDS, columns::<user::Entity>());
        assert_eq!(profile::Model::FIELDS, columns::<profile::Entity>());
        assert_eq!(post::Model::FIELDS, columns::<post::Entity>());
        assert_eq!(photo::Model::FIELDS, columns::<photo::Entity>());
        assert_eq!(tag::Model::FIELDS, columns::<tag::Entity>());
        assert_eq!(comment::Model::FIELDS, columns::<comment::Entity>());
    }
}
