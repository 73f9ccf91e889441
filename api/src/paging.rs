//! Paging: page arguments, cursors, keyset conditions and connection building.
//!
//! Every list is paged by keyset (seek) on the ordering column plus the id,
//! never by OFFSET. A cursor records the ordering column's name and value and
//! the row's id, so a page asked for "after" a cursor starts right past that
//! row in the order the client chose. This module knows the rules of paging;
//! it runs no SQL (the loaders do) and resolves no GraphQL fields.

use std::hash::Hash;

use async_graphql::connection::CursorType;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, SimpleExpr};
use sea_orm::{EntityTrait, Iterable, ModelTrait, Value};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A column a list can be ordered by, for the entity `E`.
pub trait SortKey<E: EntityTrait>:
    Copy + Eq + Hash + Send + Sync + std::fmt::Debug + 'static
{
    /// The column ordered by (ties are broken by the id).
    fn column(self) -> E::Column;
    /// The name recorded in cursors, so that a cursor made for one order is
    /// refused under another.
    fn name(self) -> &'static str;
}

/// A list's `orderBy` input: the sort it asks for.
pub trait OrderInput: async_graphql::InputType {
    /// The sort key.
    type Key;
    /// The sort `input` asks for, or the list's default.
    fn sort(input: Option<Self>) -> Sort<Self::Key>;
}

/// An order: a sort key and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort<K> {
    /// The column ordered by.
    pub key: K,
    /// Newest, last or largest first.
    pub descending: bool,
}

/// The value of an ordering column, as a cursor records it. Values of one
/// kind compare as the database orders them, except text, which compares
/// byte by byte where the database follows its collation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SortValue {
    /// A timestamp.
    Time(DateTime<Utc>),
    /// A string.
    Text(String),
    /// An integer.
    Int(i64),
}

impl SortValue {
    /// The value of `column` in `model`, if it is of a type lists are ordered by.
    pub fn of<M: ModelTrait>(
        model: &M,
        column: <M::Entity as EntityTrait>::Column,
    ) -> Option<Self> {
        match model.get(column) {
            Value::ChronoDateTimeUtc(Some(at)) => Some(SortValue::Time(at)),
            Value::String(Some(text)) => Some(SortValue::Text(text)),
            Value::Int(Some(n)) => Some(SortValue::Int(n.into())),
            Value::BigInt(Some(n)) => Some(SortValue::Int(n)),
            _ => None,
        }
    }

    fn into_value(self) -> Value {
        match self {
            SortValue::Time(at) => at.into(),
            SortValue::Text(text) => text.into(),
            SortValue::Int(n) => n.into(),
        }
    }
}

/// A position in an ordered list: right at the row `id`, whose ordering column holds `value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort key's name.
    #[serde(rename = "k")]
    pub key: String,
    /// The ordering column's value.
    #[serde(rename = "v")]
    pub value: SortValue,
    /// The row id, which breaks ties.
    #[serde(rename = "i")]
    pub id: i32,
}

impl CursorType for Cursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "not a cursor".to_owned())?;
        serde_json::from_slice(&bytes).map_err(|_| "not a cursor".to_owned())
    }

    fn encode_cursor(&self) -> String {
        // Serializing a struct of strings and numbers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }
}

/// The page arguments of a connection field, as the client gave them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    /// `first`: how many rows from the start (or from `after`).
    pub first: Option<i32>,
    /// `after`: a cursor to start right after.
    pub after: Option<String>,
    /// `last`: how many rows from the end (or up to `before`).
    pub last: Option<i32>,
    /// `before`: a cursor to end right before.
    pub before: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Page {
    /// How many rows; `None` for all of them (small bounded lists only).
    pub limit: Option<u64>,
    /// Paging from the end (`last`/`before`).
    pub backwards: bool,
    /// Where the page starts (forwards) or ends (backwards), exclusive.
    pub cursor: Option<Cursor>,
}

impl Page {
    /// Every row, in order: for small bounded lists.
    pub fn all() -> Page {
        Page {
            limit: None,
            backwards: false,
            cursor: None,
        }
    }

    /// Validates the page arguments of a list ordered by `sort`.
    pub fn from_args<E: EntityTrait, K: SortKey<E>>(
        args: &PageArgs,
        sort: Sort<K>,
    ) -> Result<Page, ApiError> {
        if args.first.is_some() && args.last.is_some() {
            return Err(ApiError::bad_input(
                "last",
                "give `first` or `last`, not both",
            ));
        }
        if args.after.is_some() && args.before.is_some() {
            return Err(ApiError::bad_input(
                "before",
                "give `after` or `before`, not both",
            ));
        }
        let backwards = args.last.is_some() || (args.first.is_none() && args.before.is_some());
        let (field, size) = if backwards {
            ("last", args.last)
        } else {
            ("first", args.first)
        };
        let limit = match size {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(ApiError::bad_input(
                    field,
                    format!("{field} may not be negative"),
                ));
            }
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(ApiError::PageTooLarge {
                    field: field.to_owned(),
                    requested: n.into(),
                    max: MAX_PAGE_SIZE,
                });
            }
            Some(n) => n as u64,
        };
        let (cursor_field, raw) = match (&args.after, &args.before) {
            (Some(after), _) => ("after", Some(after)),
            (_, Some(before)) => ("before", Some(before)),
            _ => ("after", None),
        };
        if backwards && args.after.is_some() {
            return Err(ApiError::bad_input(
                "after",
                "`last` pages with `before`, not `after`",
            ));
        }
        if !backwards && args.before.is_some() {
            return Err(ApiError::bad_input(
                "before",
                "`first` pages with `after`, not `before`",
            ));
        }
        let cursor = raw
            .map(|raw| decode_cursor(raw, cursor_field, sort))
            .transpose()?;
        Ok(Page {
            limit: Some(limit),
            backwards,
            cursor,
        })
    }
}

fn decode_cursor<E: EntityTrait, K: SortKey<E>>(
    raw: &str,
    field: &str,
    sort: Sort<K>,
) -> Result<Cursor, ApiError> {
    let cursor = Cursor::decode_cursor(raw)
        .map_err(|_| ApiError::bad_input(field, format!("`{raw}` is not a valid cursor")))?;
    if cursor.key != sort.key.name() {
        return Err(ApiError::bad_input(
            field,
            format!(
                "this cursor was made for a list ordered by {}, not {}",
                cursor.key,
                sort.key.name()
            ),
        ));
    }
    if !cursor.value.fits(sort.key.column()) {
        // Only a cursor written by hand gets here: ours always fit.
        return Err(ApiError::bad_input(
            field,
            format!("`{raw}` is not a valid cursor"),
        ));
    }
    Ok(cursor)
}

impl SortValue {
    /// Whether this value has the type of `column`, so that comparing them
    /// is something the database can do (a text where a timestamp belongs
    /// is an error there, not an empty page).
    fn fits<C: sea_orm::ColumnTrait>(&self, column: C) -> bool {
        use sea_orm::ColumnType;
        match column.def().get_column_type() {
            ColumnType::TimestampWithTimeZone | ColumnType::Timestamp | ColumnType::DateTime => {
                matches!(self, SortValue::Time(_))
            }
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => {
                matches!(self, SortValue::Text(_))
            }
            ColumnType::Integer => {
                matches!(self, SortValue::Int(n) if i32::try_from(*n).is_ok())
            }
            ColumnType::BigInteger | ColumnType::SmallInteger | ColumnType::TinyInteger => {
                matches!(self, SortValue::Int(_))
            }
            // Lists are ordered by the types above only.
            _ => true,
        }
    }
}

/// The cursor of `model` in a list ordered by `key`.
pub fn cursor_of<M, K>(model: &M, key: K) -> Cursor
where
    M: ModelTrait,
    K: SortKey<M::Entity>,
{
    let id_column = primary_id_column::<M::Entity>();
    let id = match model.get(id_column) {
        Value::Int(Some(id)) => id,
        _ => 0,
    };
    Cursor {
        key: key.name().to_owned(),
        // Sort keys are timestamp, text or integer columns, all non-null.
        value: SortValue::of(model, key.column()).unwrap_or(SortValue::Int(0)),
        id,
    }
}

/// The `id` column of `E`: every Folio entity with a connection has one.
pub fn primary_id_column<E: EntityTrait>() -> E::Column {
    E::Column::iter()
        .find(|c| sea_orm::IdenStatic::as_str(c) == "id")
        .unwrap_or_else(|| {
            E::Column::iter()
                .next()
                .unwrap_or_else(|| unreachable!("an entity has columns"))
        })
}

/// The rows of a page as a loader returns them.
#[derive(Debug, Clone)]
pub struct Window<M> {
    /// The rows, in the requested order (already flipped back for `last`).
    pub rows: Vec<M>,
    /// More rows exist past the page, in the paging direction.
    pub has_more: bool,
    /// Rows matching the filter, whatever the cursor, when it was asked for.
    pub total: Option<u64>,
}

impl<M: Clone> Window<M> {
    /// The window a loader shared: its own rows when nothing else holds it
    /// any more (the usual case), a copy otherwise.
    pub fn take(shared: std::sync::Arc<Window<M>>) -> Window<M> {
        std::sync::Arc::try_unwrap(shared).unwrap_or_else(|shared| (*shared).clone())
    }
}

impl<M> Default for Window<M> {
    fn default() -> Self {
        Window {
            rows: Vec::new(),
            has_more: false,
            total: Some(0),
        }
    }
}

/// The keyset condition of `page` under `sort`: the rows strictly past the cursor
/// in the paging direction. `sort_col` and `id_col` are qualified column expressions.
pub fn keyset_condition<K>(
    page: &Page,
    sort: Sort<K>,
    sort_col: SimpleExpr,
    id_col: SimpleExpr,
) -> Option<Condition> {
    let cursor = page.cursor.as_ref()?;
    // Paging backwards walks the order in reverse.
    let descending = sort.descending != page.backwards;
    let value = cursor.value.clone().into_value();
    let (past_value, past_id) = if descending {
        (
            Expr::expr(sort_col.clone()).lt(value.clone()),
            Expr::expr(id_col).lt(cursor.id),
        )
    } else {
        (
            Expr::expr(sort_col.clone()).gt(value.clone()),
            Expr::expr(id_col).gt(cursor.id),
        )
    };
    Some(
        Condition::any().add(past_value).add(
            Condition::all()
                .add(Expr::expr(sort_col).eq(value))
                .add(past_id),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::post;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    struct ByCreated;
    impl SortKey<post::Entity> for ByCreated {
        fn column(self) -> post::Column {
            post::Column::CreatedAt
        }
        fn name(self) -> &'static str {
            "created_at"
        }
    }
    const NEWEST: Sort<ByCreated> = Sort {
        key: ByCreated,
        descending: true,
    };

    fn args(first: Option<i32>, last: Option<i32>) -> PageArgs {
        PageArgs {
            first,
            last,
            ..PageArgs::default()
        }
    }

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor {
            key: "created_at".into(),
            value: SortValue::Time(entity::timestamp::now()),
            id: 7,
        };
        let encoded = cursor.encode_cursor();
        assert_eq!(Cursor::decode_cursor(&encoded).ok(), Some(cursor));
    }

    #[test]
    fn page_size_defaults_and_limits() {
        let page = Page::from_args(&args(None, None), NEWEST).expect("default");
        assert_eq!(page.limit, Some(DEFAULT_PAGE_SIZE));
        let err = Page::from_args(&args(Some(101), None), NEWEST).expect_err("too large");
        assert_eq!(err.code(), "PAGE_TOO_LARGE");
        let err = Page::from_args(&args(None, Some(1000)), NEWEST).expect_err("too large");
        assert_eq!(err.code(), "PAGE_TOO_LARGE");
        let err = Page::from_args(&args(Some(-1), None), NEWEST).expect_err("negative");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        let err = Page::from_args(&args(Some(1), Some(1)), NEWEST).expect_err("both");
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }

    #[test]
    fn malformed_or_foreign_cursors_are_bad_user_input() {
        let bad = PageArgs {
            after: Some("bm90IGpzb24".into()),
            ..PageArgs::default()
        };
        let err = Page::from_args(&bad, NEWEST).expect_err("malformed");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        let other_order = Cursor {
            key: "title".into(),
            value: SortValue::Text("x".into()),
            id: 1,
        };
        let foreign = PageArgs {
            after: Some(other_order.encode_cursor()),
            ..PageArgs::default()
        };
        let err = Page::from_args(&foreign, NEWEST).expect_err("other order");
        assert!(err.to_string().contains("ordered by title"));
    }
}
