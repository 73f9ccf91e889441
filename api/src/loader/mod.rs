//! Batched relation loading: the per-request [`Loaders`] bundle and what every
//! generic loader shares.
//!
//! A relation is named by its two entities: `Related<C> for P` in the `entity`
//! crate says how `P` reaches `C` (directly, or through a join table), and the
//! generic loaders read the SQL join from that one definition:
//! - [`by_key`]: belongs-to and has-one, many keys → one row each;
//! - [`has_many`]: one-to-many and many-to-many, paged per parent in one statement;
//! - [`count`]: `GROUP BY` counts per parent.
//!
//! [`driver`] runs a request's batches once every sibling of a level has
//! asked ([`BatchDriver`]).
//!
//! All siblings at one level of a response ask the same `DataLoader`, which
//! batches their keys into one statement per distinct argument set. Loaders
//! return entity models and know nothing of GraphQL. They never read a secret
//! column: [`SECRET_COLUMNS`] are selected as empty strings.
//!
//! The list and to-one loaders decode each row as it arrives (sea-orm's
//! `stream_raw`) rather than after the whole result is in: SQLite copies
//! every value of a row it hands over, and the benchmark's large query held
//! about 17 MB of such rows per statement before decoding them.

pub mod ahead;
pub mod by_key;
pub mod count;
pub mod decode;
pub mod driver;
pub mod has_many;
pub mod memo;

use std::fmt::Debug;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{
    Alias, Condition, DynIden, Expr, ExprTrait, IntoIden, PgFunc, SelectStatement, SimpleExpr,
    TableRef,
};
use sea_orm::{DatabaseConnection, DbBackend, EntityTrait, IdenStatic, Iterable, RelationDef};

use crate::error::LoadError;

pub use ahead::{Ahead, Batch, Batches};
pub use by_key::{ById, ByUnique, ToOne, find_where};
pub use count::CountOf;
pub use decode::Decode;
pub use driver::BatchDriver;
pub use has_many::{Slice, ToMany, page_of_roots};
pub use memo::{Memo, MemoSlot};

/// A value that is part of many keys, shared and hashed once: a list's
/// [`Slice`] is part of the key of every one of its items, and a key is
/// hashed and copied several times on its way through a batch (hashing
/// whole slices with SipHash was 4 % of the server's time on a nested
/// query). A copy shares the value; a hash writes the hash taken when it
/// was made.
#[derive(Debug)]
pub struct Shared<T> {
    hash: u64,
    value: Arc<T>,
}

/// The hasher of [`Shared`] values: one per process, seeded at random.
static SHARED_HASHER: LazyLock<foldhash::fast::RandomState> = LazyLock::new(Default::default);

impl<T: Hash> Shared<T> {
    /// `value`, hashed.
    pub fn new(value: T) -> Shared<T> {
        Shared {
            hash: SHARED_HASHER.hash_one(&value),
            value: Arc::new(value),
        }
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared {
            hash: self.hash,
            value: self.value.clone(),
        }
    }
}

impl<T> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.value, &other.value)
            || (self.hash == other.hash && self.value == other.value)
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Columns no loader ever reads: they are selected as `''` under their own
/// name. The password hash is a secret; the e-mail key is what sign-in
/// looks an address up by, never shown.
pub const SECRET_COLUMNS: &[&str] = &["email_key", "password_hash"];

/// Columns a list reads only when its items' selection shows them (or
/// when they are the list's sort key, which its cursors hold): otherwise the
/// statement selects `NULL` in their place and the model gets the type's
/// default, never shown. So the ten newest posts of fifty users do not bring
/// 500 post bodies nobody asked for, and a photo's nine other columns are not
/// read and decoded for a list of file names. Which fields show which of
/// them is the types' business, not the loaders': a statement is told the
/// columns to read. Ids and the columns that relations follow are always
/// read.
pub const ON_DEMAND_COLUMNS: &[&str] = &[
    "body",
    "caption",
    "title",
    "filename",
    "name",
    "username",
    "email",
    "display_name",
    "bio",
    "avatar_url",
    "created_at",
    "updated_at",
    "width",
    "height",
    "byte_size",
    "content_type",
    "sha256",
];

// One bit of `Unread` each.
const _: () = assert!(ON_DEMAND_COLUMNS.len() <= 32);

/// Which of the [`ON_DEMAND_COLUMNS`] a statement leaves unread: bit `i`
/// stands for the `i`-th. Part of a list's key, so siblings that select the
/// same fields share a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Unread(u32);

impl Unread {
    /// Every on-demand column but the `shown` ones.
    pub fn all_but<'a>(shown: impl IntoIterator<Item = &'a str>) -> Unread {
        let every = (1u32 << ON_DEMAND_COLUMNS.len()) - 1;
        Unread(every).reading_all(shown)
    }

    /// The same, but reading `column` (a sort key) whatever is selected.
    pub fn reading(self, column: &str) -> Unread {
        match ON_DEMAND_COLUMNS.iter().position(|c| *c == column) {
            Some(i) => Unread(self.0 & !(1 << i)),
            None => self,
        }
    }

    fn reading_all<'a>(self, columns: impl IntoIterator<Item = &'a str>) -> Unread {
        columns
            .into_iter()
            .fold(self, |unread, column| unread.reading(column))
    }

    /// Whether `column` is left unread.
    pub fn contains(self, column: &str) -> bool {
        ON_DEMAND_COLUMNS
            .iter()
            .position(|c| *c == column)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

/// A filter on the rows of `E`, as part of a loader key: equal filters share a batch.
pub trait Filter<E: EntityTrait>: Clone + Eq + Hash + Send + Sync + Debug + 'static {
    /// The SQL condition, on columns qualified by `E`'s table.
    fn condition(&self) -> Condition;
}

/// No filter at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Unfiltered;

impl<E: EntityTrait> Filter<E> for Unfiltered {
    fn condition(&self) -> Condition {
        Condition::all()
    }
}

/// The most keys one statement takes: past it, a level is split into several
/// statements. Page sizes and the complexity limit keep real queries below it.
pub const MAX_BATCH_SIZE: usize = 10_000;

/// The per-request loaders: create one for each request, so that batches and
/// caches never outlive it.
pub struct Loaders {
    /// Every relation's loader, batching per key type.
    pub relations: DataLoader<RelationLoader>,
    /// What lists loaded ahead for their items' relation fields.
    pub ahead: Ahead,
    /// The batches lists load ahead with.
    pub batches: Batches,
    /// The memo of the event being resolved, when these loaders serve a
    /// subscription: both loaders look there first.
    pub memo: MemoSlot,
}

/// The batches a request has queued for its [`BatchDriver`] to start.
pub(crate) type Queue = Arc<Mutex<Vec<BoxFuture<'static, ()>>>>;

impl Loaders {
    /// Fresh loaders over `db`, and the [`BatchDriver`] that must run the request.
    pub fn new(db: DatabaseConnection) -> (Loaders, BatchDriver) {
        let driver = BatchDriver::default();
        let queue = driver.queue.clone();
        let memo = MemoSlot::default();
        let loader = RelationLoader {
            db,
            memo: memo.clone(),
        };
        let batches = Batches::new(loader.clone(), driver.queue.clone());
        let relations = DataLoader::new(loader, move |batch| {
            queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(batch)
        })
        .delay(Duration::ZERO)
        .max_batch_size(MAX_BATCH_SIZE);
        (
            Loaders {
                relations,
                ahead: Ahead::default(),
                batches,
                memo,
            },
            driver,
        )
    }
}

/// The one loader type: it implements `Loader<K>` for every relation key
/// type it can [`Fetch`].
#[derive(Clone)]
pub struct RelationLoader {
    /// The connection pool statements run on.
    pub db: DatabaseConnection,
    /// Where a subscription's event keeps what its subscribers loaded.
    pub memo: MemoSlot,
}

/// Runs the statements of one batch of `K`: what each relation key type
/// implements. [`Loader`] is derived from it, through the event's memo when
/// there is one.
pub trait Fetch<K>: Send + Sync + 'static {
    /// What each key loads.
    type Value: Send + Sync + Clone + 'static;

    /// The values of `keys`, in as few statements as their arguments allow.
    fn fetch(
        &self,
        keys: &[K],
    ) -> impl std::future::Future<Output = LoadResult<std::collections::HashMap<K, Self::Value>>> + Send;
}

impl<K> Loader<K> for RelationLoader
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    RelationLoader: Fetch<K>,
{
    type Value = <RelationLoader as Fetch<K>>::Value;
    type Error = LoadError;

    async fn load(&self, keys: &[K]) -> LoadResult<std::collections::HashMap<K, Self::Value>> {
        match self.memo.get() {
            Some(memo) => memo.load(self, keys).await,
            None => self.fetch(keys).await,
        }
    }
}

/// Loaders' results are shared by every resolver waiting on the batch.
pub type LoadResult<T> = Result<T, LoadError>;

/// The table a relation end names.
pub(crate) fn table_of(table: &TableRef) -> DynIden {
    match table {
        TableRef::Table(name, _) => name.1.clone(),
        // Relations between entities always name tables.
        _ => Alias::new("_").into(),
    }
}

/// The single column of a relation end (every Folio key is one column).
pub(crate) fn column_of(identity: &sea_orm::Identity) -> DynIden {
    match identity {
        sea_orm::Identity::Unary(column) => column.clone(),
        sea_orm::Identity::Binary(column, _) | sea_orm::Identity::Ternary(column, _, _) => {
            column.clone()
        }
        sea_orm::Identity::Many(columns) => columns
            .first()
            .cloned()
            .unwrap_or_else(|| Alias::new("_").into()),
    }
}

/// `table.column` as an expression.
pub(crate) fn qualified(table: DynIden, column: DynIden) -> SimpleExpr {
    Expr::col((table, column))
}

/// `expr IN (ids)`. On PostgreSQL it is `expr = ANY($1)`, the ids bound as
/// one array: the statement's text is the same whatever the batch's size,
/// so each connection prepares it once and PostgreSQL can keep one plan for
/// it, where a list of `n` placeholders is a new statement for every `n`
/// and is planned again on every execution.
pub(crate) fn among(backend: DbBackend, expr: SimpleExpr, ids: &[i32]) -> SimpleExpr {
    if backend == DbBackend::Postgres {
        Expr::expr(expr).eq(PgFunc::any(Expr::val(ids.to_vec())))
    } else {
        Expr::expr(expr).is_in(ids.iter().copied())
    }
}

/// Selects every column of `E` (qualified by its table) under its own name,
/// with [`SECRET_COLUMNS`] blanked and `NULL` in place of the `unread` ones.
pub(crate) fn select_columns<E: EntityTrait>(query: &mut SelectStatement, unread: Unread) {
    let table: DynIden = E::default().into_iden();
    for column in E::Column::iter() {
        let name = column.as_str();
        let expr: SimpleExpr = if SECRET_COLUMNS.contains(&name) {
            Expr::val("")
        } else if unread.contains(name) {
            Expr::cust("NULL")
        } else {
            qualified(table.clone(), column.into_iden())
        };
        query.expr_as(expr, Alias::new(name));
    }
}

/// The column of `E` called `name`.
pub(crate) fn column_named<E: EntityTrait>(name: &str) -> Option<E::Column> {
    E::Column::iter().find(|c| c.as_str() == name)
}

/// The `i32` value of the column `name` of `model`, if it has one.
pub(crate) fn int_value<M: sea_orm::ModelTrait>(model: &M, name: &str) -> Option<i32> {
    let column = column_named::<M::Entity>(name)?;
    match model.get(column) {
        sea_orm::Value::Int(Some(value)) => Some(value),
        _ => None,
    }
}

/// The relation from `P` to `C`: the direct definition, or the one from the
/// join table onward together with the one into the join table.
pub(crate) fn relation<P, C>() -> (RelationDef, Option<RelationDef>)
where
    P: EntityTrait + sea_orm::Related<C>,
    C: EntityTrait,
{
    (
        <P as sea_orm::Related<C>>::to(),
        <P as sea_orm::Related<C>>::via(),
    )
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::Shared;

    #[test]
    fn a_statement_reads_the_columns_it_is_told_and_its_sort_key() {
        use super::{ON_DEMAND_COLUMNS, Unread};
        let nothing = Unread::all_but([]);
        assert!(
            ON_DEMAND_COLUMNS
                .iter()
                .all(|column| nothing.contains(column))
        );
        let some = Unread::all_but(["title", "sha256"]).reading("body");
        for column in ON_DEMAND_COLUMNS {
            let read = matches!(*column, "title" | "sha256" | "body");
            assert_eq!(some.contains(column), !read, "{column}");
        }
    }

    #[test]
    fn shared_values_made_apart_are_the_same_key_when_their_values_are_equal() {
        let hasher = foldhash::fast::RandomState::default();
        let a = Shared::new(("first", 10));
        let b = Shared::new(("first", 10));
        let other = Shared::new(("first", 11));
        assert_eq!(a, b);
        assert_eq!(hasher.hash_one(&a), hasher.hash_one(&b));
        assert_eq!(a, a.clone());
        assert_ne!(a, other);
        let mut keys = foldhash::HashSet::default();
        keys.extend([a, b, other]);
        assert_eq!(keys.len(), 2);
    }
}
