//! The root fields of a planned query: the root lists and the lookups by
//! name or id, as `query.rs` resolves them (and declares them, for the
//! plan, with these). `node` and `nodes` are not planned.

use async_graphql::ID;
use async_graphql::parser::types::Field;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sea_orm::{EntityTrait, FromQueryResult};

use super::fields::{ConnectionShape, load_items, write_connection};
use super::{
    Bound, BoundObject, Declared, Env, Fallback, Marker, ObjectPlan, Planner, RelationPlan,
};
use crate::loader::{ById, ByUnique, Decode, Filter, Slice, page_of_roots};
use crate::paging::{SortKey, Window};

use crate::filter::FilterInput;
use crate::paging::OrderInput;

// ---------------------------------------------------------------------------
// Root lists

/// A root list: one page of every `E` row, filtered by `FI`, ordered by `O`.
struct RootsPlan<E, FI, O, T: Declared> {
    shape: ConnectionShape<T::Model>,
    _list: Marker<(E, FI, O)>,
}

/// A root list of `E` rows, filtered by `FI`, ordered by `O`, shown as `T`.
pub(crate) fn roots<E, FI, O, T>(
    planner: &Planner<'_>,
    field: &Field,
) -> Option<Box<dyn RelationPlan<()>>>
where
    E: EntityTrait + Send + Sync,
    E::Model: Decode + Send + Sync + Clone,
    FI: FilterInput + Send + Sync + 'static,
    FI::Filter: Filter<E>,
    O: OrderInput + Send + Sync + 'static,
    O::Key: SortKey<E>,
    T: Declared<Model = E::Model>,
{
    Some(Box::new(RootsPlan::<E, FI, O, T> {
        shape: ConnectionShape::plan::<T>(planner, field)?,
        _list: std::marker::PhantomData,
    }))
}

struct RootsBound<'p, E: EntityTrait, F, K> {
    shape: &'p ConnectionShape<E::Model>,
    slice: Slice<F, K>,
    items: Vec<BoundObject<'p, E::Model>>,
    window: Option<Window<E::Model>>,
}

impl<E, FI, O, T> RelationPlan<()> for RootsPlan<E, FI, O, T>
where
    E: EntityTrait + Send + Sync,
    E::Model: Decode + Send + Sync + Clone,
    FI: FilterInput + Send + Sync + 'static,
    FI::Filter: Filter<E>,
    O: OrderInput + Send + Sync + 'static,
    O::Key: SortKey<E>,
    T: Declared<Model = E::Model>,
{
    fn bind<'p>(&'p self, env: &Env<'_>) -> Result<Box<dyn Bound<()> + 'p>, Fallback> {
        Ok(Box::new(RootsBound::<E, _, _> {
            shape: &self.shape,
            slice: self.shape.slice::<E, FI, O>(env)?,
            items: self.shape.bind_items(env)?,
            window: None,
        }))
    }
}

impl<E, F, K> Bound<()> for RootsBound<'_, E, F, K>
where
    E: EntityTrait + Send + Sync,
    E::Model: Decode + Send + Sync + Clone,
    F: Filter<E>,
    K: SortKey<E>,
{
    fn load<'a>(
        &'a mut self,
        env: &'a Env<'a>,
        _: &'a [&'a ()],
    ) -> BoxFuture<'a, Result<(), Fallback>> {
        async move {
            let window = page_of_roots::<E, F, K>(env.db, &self.slice)
                .await
                .map_err(|_| Fallback("a statement failed"))?;
            let rows: Vec<&E::Model> = window.rows.iter().collect();
            load_items(&mut self.items, env, &rows).await?;
            drop(rows);
            self.window = Some(window);
            Ok(())
        }
        .boxed()
    }

    fn write(&self, _: &(), env: &Env<'_>, out: &mut Vec<u8>) -> Result<(), Fallback> {
        let empty = Window::default();
        let window = self.window.as_ref().unwrap_or(&empty);
        write_connection(
            self.shape,
            &self.items,
            window,
            &self.slice.page,
            self.slice.sort,
            env,
            out,
        )
    }
}

// ---------------------------------------------------------------------------
// Lookups

/// How a lookup finds its row from its argument.
enum Lookup {
    /// By a unique column, the argument normalized (`user(username:)`).
    Unique {
        argument: &'static str,
        column: &'static str,
        normalize: fn(&str) -> String,
    },
    /// By global id (`post(id:)`): the row id, if the id decodes.
    Id(fn(&ID) -> Option<i32>),
    /// The signed-in user.
    Viewer,
}

/// A root lookup: at most one `E` row, shown as `T`.
struct LookupPlan<E, T: Declared> {
    lookup: Lookup,
    field: Field,
    child: ObjectPlan<T::Model>,
    _entity: Marker<E>,
}

fn lookup<E, T>(
    planner: &Planner<'_>,
    field: &Field,
    lookup: Lookup,
) -> Option<Box<dyn RelationPlan<()>>>
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Decode + Send + Sync + Clone,
    T: Declared<Model = E::Model>,
{
    Some(Box::new(LookupPlan::<E, T> {
        lookup,
        field: field.clone(),
        child: planner.object::<T>(&field.selection_set.node)?,
        _entity: std::marker::PhantomData,
    }))
}

/// A lookup by the unique `column`, given as `argument` and normalized by
/// `normalize` (`user(username:)`, `tag(name:)`).
pub(crate) fn unique<E, T>(
    argument: &'static str,
    column: &'static str,
    normalize: fn(&str) -> String,
) -> impl Fn(&Planner<'_>, &Field) -> Option<Box<dyn RelationPlan<()>>>
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Decode + Send + Sync + Clone,
    T: Declared<Model = E::Model>,
{
    move |planner, field| {
        let how = Lookup::Unique {
            argument,
            column,
            normalize,
        };
        lookup::<E, T>(planner, field, how)
    }
}

/// A lookup by global id (`post(id:)`), which `decode` turns into a row id.
pub(crate) fn by_id<E, T>(
    decode: fn(&ID) -> Option<i32>,
) -> impl Fn(&Planner<'_>, &Field) -> Option<Box<dyn RelationPlan<()>>>
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Decode + Send + Sync + Clone,
    T: Declared<Model = E::Model>,
{
    move |planner, field| lookup::<E, T>(planner, field, Lookup::Id(decode))
}

/// `viewer`: the signed-in user's `E` row.
pub(crate) fn viewer<E, T>(
    planner: &Planner<'_>,
    field: &Field,
) -> Option<Box<dyn RelationPlan<()>>>
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Decode + Send + Sync + Clone,
    T: Declared<Model = E::Model>,
{
    lookup::<E, T>(planner, field, Lookup::Viewer)
}

/// What a bound lookup asks the loaders for.
enum LookupKey<E: EntityTrait> {
    Unique(ByUnique<E>),
    Id(ById<E>),
    Nothing,
}

struct LookupBound<'p, E: EntityTrait> {
    key: LookupKey<E>,
    child: BoundObject<'p, E::Model>,
    row: Option<E::Model>,
}

impl<E, T> RelationPlan<()> for LookupPlan<E, T>
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Decode + Send + Sync + Clone,
    T: Declared<Model = E::Model>,
{
    fn bind<'p>(&'p self, env: &Env<'_>) -> Result<Box<dyn Bound<()> + 'p>, Fallback> {
        let key = match self.lookup {
            Lookup::Unique {
                argument,
                column,
                normalize,
            } => {
                let value: String = env
                    .argument(&self.field, argument)?
                    .ok_or(Fallback("a lookup without its argument"))?;
                LookupKey::Unique(ByUnique::new(column, normalize(&value)))
            }
            Lookup::Id(decode) => {
                let id: ID = env
                    .argument(&self.field, "id")?
                    .ok_or(Fallback("a lookup without its id"))?;
                let row = decode(&id).ok_or(Fallback("an id the executor refuses"))?;
                LookupKey::Id(ById::new(row))
            }
            Lookup::Viewer => match env.viewer.user_id {
                Some(id) => LookupKey::Id(ById::new(id)),
                None => LookupKey::Nothing,
            },
        };
        Ok(Box::new(LookupBound::<E> {
            key,
            child: BoundObject::bind(&self.child, env)?,
            row: None,
        }))
    }
}

impl<E> Bound<()> for LookupBound<'_, E>
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Decode + Send + Sync + Clone,
{
    fn load<'a>(
        &'a mut self,
        env: &'a Env<'a>,
        _: &'a [&'a ()],
    ) -> BoxFuture<'a, Result<(), Fallback>> {
        async move {
            let failed = |_| Fallback("a statement failed");
            let row = match &self.key {
                LookupKey::Unique(key) => env
                    .loaders
                    .batches
                    .load([key.clone()])
                    .await
                    .map_err(failed)?
                    .get(key)
                    .cloned(),
                LookupKey::Id(key) => env
                    .loaders
                    .batches
                    .load([key.clone()])
                    .await
                    .map_err(failed)?
                    .get(key)
                    .cloned(),
                LookupKey::Nothing => None,
            };
            if let Some(row) = &row {
                self.child.load(env, &[row]).await?;
            }
            self.row = row;
            Ok(())
        }
        .boxed()
    }

    fn write(&self, _: &(), env: &Env<'_>, out: &mut Vec<u8>) -> Result<(), Fallback> {
        match &self.row {
            Some(row) => self.child.write(row, env, out),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }
}
