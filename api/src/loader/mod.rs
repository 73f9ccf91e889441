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
//! All siblings at one level of a response ask the same `DataLoader`, which
//! batches their keys into one statement per distinct argument set. Loaders
//! return entity models and know nothing of GraphQL. They never read a secret
//! column: [`SECRET_COLUMNS`] are selected as empty strings.

pub mod by_key;
pub mod count;
pub mod has_many;

use std::fmt::Debug;
use std::hash::Hash;

use async_graphql::dataloader::DataLoader;
use sea_orm::sea_query::{
    Alias, Condition, DynIden, Expr, IntoIden, SelectStatement, SimpleExpr, TableRef,
};
use sea_orm::{DatabaseConnection, EntityTrait, IdenStatic, Iterable, RelationDef};

use crate::error::LoadError;

pub use by_key::{ById, ToOne, find_where};
pub use count::CountOf;
pub use has_many::{Slice, ToMany, page_of_roots};

/// Columns no loader ever reads: they are selected as `''` under their own name.
pub const SECRET_COLUMNS: &[&str] = &["password_hash"];

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

/// The per-request loaders: create one for each request, so that batches and
/// caches never outlive it.
pub struct Loaders {
    /// Every relation's loader, batching per key type.
    pub relations: DataLoader<RelationLoader>,
}

impl Loaders {
    /// Fresh loaders over `db`, batching on the tokio runtime.
    pub fn new(db: DatabaseConnection) -> Loaders {
        Loaders {
            relations: DataLoader::new(RelationLoader { db }, tokio::spawn),
        }
    }
}

/// The one loader type: it implements `Loader<K>` for every relation key type.
pub struct RelationLoader {
    /// The connection pool statements run on.
    pub db: DatabaseConnection,
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

/// Selects every column of `E` (qualified by its table) under its own name,
/// with [`SECRET_COLUMNS`] blanked.
pub(crate) fn select_columns<E: EntityTrait>(query: &mut SelectStatement) {
    let table: DynIden = E::default().into_iden();
    for column in E::Column::iter() {
        let name = column.as_str();
        let expr: SimpleExpr = if SECRET_COLUMNS.contains(&name) {
            Expr::val("")
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
