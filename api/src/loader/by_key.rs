//! Belongs-to and has-one: many keys, one row each, in one statement.
//!
//! `ToOne<P, C>` asks for the `C` that the `P` with key `key` points at: for a
//! belongs-to (`Post` → `User`) the key is the post's `author_id` and the row
//! is the user with that id; for a has-one (`User` → `Profile`) the key is the
//! user's id and the row is the profile whose `user_id` holds it. Either way
//! the statement is `SELECT … FROM c WHERE c.<to_col> IN (keys)`.

use std::any::TypeId;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::LazyLock;

use super::Fetch;
use derive_where::derive_where;
use futures_util::TryStreamExt;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use sea_orm::{EntityTrait, FromQueryResult, Related, StreamTrait};

use super::decode::Skipped;
use super::{
    Decode, LoadResult, RelationLoader, Unread, column_of, qualified, select_columns, table_of,
};

/// The key of a to-one relation from `P` to `C`.
#[derive_where(Clone, PartialEq, Eq, Hash)]
pub struct ToOne<P, C> {
    /// The value of the relation's `from` column in the parent row.
    pub key: i32,
    /// The columns nothing selected on the row will show.
    pub unread: Unread,
    _relation: PhantomData<fn() -> (P, C)>,
}

impl<P, C> ToOne<P, C>
where
    P: EntityTrait + Related<C>,
    C: EntityTrait,
{
    /// The key that reaches `C` from `parent`, if the parent row holds one,
    /// for a selection that leaves `unread` unread.
    pub fn of(parent: &P::Model, unread: Unread) -> Option<ToOne<P, C>>
    where
        P: 'static,
        C: 'static,
    {
        let key = super::int_value(parent, foreign_key::<P, C>())?;
        Some(ToOne {
            key,
            unread,
            _relation: PhantomData,
        })
    }
}

/// The column of `P` whose value is the id of its `C` row (the relation's
/// `from` column), worked out once per pair of entities: building the
/// relation's definition for every row, to read one column of it, was a
/// fiftieth of the server's CPU on a hundred photos with their owners.
fn foreign_key<P, C>() -> &'static str
where
    P: EntityTrait + Related<C> + 'static,
    C: EntityTrait + 'static,
{
    type Keys = std::sync::RwLock<foldhash::HashMap<(TypeId, TypeId), &'static str>>;
    static KEYS: LazyLock<Keys> = LazyLock::new(Keys::default);
    let pair = (TypeId::of::<P>(), TypeId::of::<C>());
    let known = KEYS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&pair)
        .copied();
    known.unwrap_or_else(|| {
        let (def, _) = super::relation::<P, C>();
        let name = column_of(&def.from_col).to_string();
        // The entity's own name of the column, which is `'static`; a relation
        // always names a column of its entity (`""` would find no value).
        let column = super::column_named::<P>(&name)
            .map_or("", |column| sea_orm::IdenStatic::as_str(&column));
        KEYS.write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(pair, column);
        column
    })
}

impl<P, C> Fetch<ToOne<P, C>> for RelationLoader
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
{
    type Value = C::Model;
    async fn fetch(&self, keys: &[ToOne<P, C>]) -> LoadResult<HashMap<ToOne<P, C>, C::Model>> {
        // One statement per distinct selection; siblings share one.
        let mut by_unread: Vec<(Unread, Vec<i32>)> = Vec::new();
        for key in keys {
            match by_unread
                .iter_mut()
                .find(|(unread, _)| *unread == key.unread)
            {
                Some((_, values)) => values.push(key.key),
                None => by_unread.push((key.unread, vec![key.key])),
            }
        }
        let (def, _) = super::relation::<P, C>();
        let table = table_of(&def.to_tbl);
        let to = qualified(table.clone(), column_of(&def.to_col));
        let mut found = HashMap::new();
        for (unread, values) in by_unread {
            let mut query = Query::select();
            select_columns::<C>(&mut query, unread);
            query
                .expr_as(to.clone(), Alias::new("folio_key"))
                .from(table.clone())
                .and_where(super::among(
                    self.db.get_database_backend(),
                    to.clone(),
                    &values,
                ));
            let statement = self.db.get_database_backend().build(&query);
            let skipped = Skipped::of::<C::Model>(unread);
            let mut rows = self.db.stream_raw(statement).await?;
            while let Some(row) = rows.try_next().await? {
                let key = ToOne {
                    key: C::Model::after(&row, 0)?,
                    unread,
                    _relation: PhantomData,
                };
                found.insert(key, C::Model::decode(&row, skipped)?);
            }
        }
        Ok(found)
    }
}

/// The key of a row of `E` by its id: `node`, `nodes` and the root lookups.
#[derive_where(Clone, PartialEq, Eq, Hash)]
pub struct ById<E> {
    /// The row id.
    pub id: i32,
    _entity: PhantomData<fn() -> E>,
}

impl<E> ById<E> {
    /// The row `id`.
    pub fn new(id: i32) -> Self {
        ById {
            id,
            _entity: PhantomData,
        }
    }
}

impl<E> Fetch<ById<E>> for RelationLoader
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Send + Sync + Clone,
{
    type Value = E::Model;
    async fn fetch(&self, keys: &[ById<E>]) -> LoadResult<HashMap<ById<E>, E::Model>> {
        let id = crate::paging::primary_id_column::<E>();
        let ids: Vec<i32> = keys.iter().map(|k| k.id).collect();
        let condition = Condition::all().add(super::among(
            self.db.get_database_backend(),
            Expr::col((E::default(), id)),
            &ids,
        ));
        let rows = find_where::<E>(&self.db, condition).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let id = super::int_value(&row, "id")?;
                Some((ById::new(id), row))
            })
            .collect())
    }
}

/// The rows of `E` matching `condition`, secret columns blanked.
pub async fn find_where<E>(
    db: &impl sea_orm::ConnectionTrait,
    condition: Condition,
) -> Result<Vec<E::Model>, sea_orm::DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    let mut query = Query::select();
    select_columns::<E>(&mut query, super::Unread::default());
    query.from(E::default()).cond_where(condition);
    E::find()
        .from_raw_sql(db.get_database_backend().build(&query))
        .into_model::<E::Model>()
        .all(db)
        .await
}

/// The key of a row of `E` by the value of one of its unique text columns:
/// `user(username:)`, `tag(name:)`.
#[derive_where(Clone, PartialEq, Eq, Hash)]
pub struct ByUnique<E> {
    /// The unique column's name.
    pub column: &'static str,
    /// The value looked for.
    pub value: String,
    _entity: PhantomData<fn() -> E>,
}

impl<E> ByUnique<E> {
    /// The row whose `column` holds `value`.
    pub fn new(column: &'static str, value: impl Into<String>) -> Self {
        ByUnique {
            column,
            value: value.into(),
            _entity: PhantomData,
        }
    }
}

impl<E> Fetch<ByUnique<E>> for RelationLoader
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Send + Sync + Clone,
{
    type Value = E::Model;
    async fn fetch(&self, keys: &[ByUnique<E>]) -> LoadResult<HashMap<ByUnique<E>, E::Model>> {
        let mut found = HashMap::new();
        let mut columns: Vec<&'static str> = keys.iter().map(|k| k.column).collect();
        columns.sort_unstable();
        columns.dedup();
        for name in columns {
            let Some(column) = super::column_named::<E>(name) else {
                continue;
            };
            let values = keys
                .iter()
                .filter(|k| k.column == name)
                .map(|k| k.value.clone());
            let condition = Condition::all().add(Expr::col((E::default(), column)).is_in(values));
            for row in find_where::<E>(&self.db, condition).await? {
                if let sea_orm::Value::String(Some(value)) = sea_orm::ModelTrait::get(&row, column)
                {
                    found.insert(ByUnique::new(name, value), row);
                }
            }
        }
        Ok(found)
    }
}
