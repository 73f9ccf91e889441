//! Loading ahead: a root list reads its items' selection and loads, level by
//! level, what every relation field below will ask for.
//!
//! Without it each item's relation field asks the request's `DataLoader`
//! for its own key and waits for the batch its siblings share: the same
//! statements, but a wait, a wake-up and a copy per item, which cost more
//! than the rows themselves. Here the list batches a level's keys itself
//! (one batch per selected relation, through the same loaders, so the
//! statements are the ones the resolvers would have sent), descends into
//! the rows it got, and leaves every result in [`Ahead`](crate::loader::Ahead)
//! under the key the resolver will build. The resolvers then find their
//! results ready; a field this module does not foresee (behind a directive,
//! an argument that fails to parse) is left to them, and loads as before.
//!
//! Each object type says which of its fields load what ([`LoadAhead`]); the
//! helpers below build the keys the same way the resolvers in `types/mod.rs`
//! do, from the same functions.

use std::hash::Hash;

use async_graphql::{Context, InputType, Lookahead, Name, SelectionField, Value};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, join_all};
use sea_orm::{EntityTrait, Related};

use super::{FilterInput, OrderInput, list_slice, loaders, slice_for, unread_of};
use async_graphql::dataloader::Loader;

use crate::error::LoadError;
use crate::loader::{
    Batch, CountOf, Decode, Filter, Loaders, RelationLoader, Shared, ToMany, ToOne, int_value,
};
use crate::paging::{PageArgs, SortKey};

/// A row of the entity `E`.
pub(crate) type Model<E> = <E as EntityTrait>::Model;

/// An object type whose relation fields can be loaded ahead.
pub(crate) trait LoadAhead {
    /// The entity of the object's rows.
    type Entity: EntityTrait;

    /// What `field`, selected on every one of `rows`, will load, and what
    /// the rows it brings select in turn; `None` for a field that loads
    /// nothing (or that this module leaves to its resolver).
    fn field<'a>(
        ctx: &'a Context<'a>,
        field: SelectionField<'a>,
        rows: &'a [&'a Model<Self::Entity>],
    ) -> Option<BoxFuture<'a, ()>>;
}

/// Loads ahead for `rows` of `T`, each shown with the fields `selection`.
pub(crate) fn selection<'a, T: LoadAhead>(
    ctx: &'a Context<'a>,
    selection: impl Iterator<Item = SelectionField<'a>>,
    rows: &'a [&'a Model<T::Entity>],
) -> BoxFuture<'a, ()> {
    let batches: Vec<_> = if rows.is_empty() {
        Vec::new()
    } else {
        selection
            .filter(|field| field.directives().is_ok_and(|d| d.is_empty()))
            .filter_map(|field| T::field(ctx, field, rows))
            .collect()
    };
    async move {
        join_all(batches).await;
    }
    .boxed()
}

/// Loads ahead for the items of a connection (`nodes` and `edges { node }`)
/// selected as `field`, whose rows are `rows`.
pub(crate) fn items<'a, T: LoadAhead>(
    ctx: &'a Context<'a>,
    field: SelectionField<'a>,
    rows: &'a [&'a Model<T::Entity>],
) -> BoxFuture<'a, ()> {
    let mut sets = Vec::new();
    for part in field.selection_set() {
        match part.name() {
            "nodes" => sets.push(part),
            "edges" => sets.extend(part.selection_set().filter(|f| f.name() == "node")),
            _ => {}
        }
    }
    let batches: Vec<_> = sets
        .into_iter()
        .filter(|set| set.directives().is_ok_and(|d| d.is_empty()))
        .map(|set| selection::<T>(ctx, set.selection_set(), rows))
        .collect();
    async move {
        join_all(batches).await;
    }
    .boxed()
}

/// The argument `name` of `args` as a `T`: `Some(None)` when it is not
/// given, `None` when it does not parse (its resolver reports that).
fn argument<T: InputType>(args: &[(Name, Value)], name: &str) -> Option<Option<T>> {
    match args.iter().find(|(given, _)| given.as_str() == name) {
        None => Some(None),
        Some((_, value)) => <Option<T> as InputType>::parse(Some(value.clone())).ok(),
    }
}

/// How many times each key is asked for.
fn count_uses<K: Hash + Eq + Clone>(keys: impl Iterator<Item = K>) -> foldhash::HashMap<K, usize> {
    let mut uses = foldhash::HashMap::default();
    for key in keys {
        *uses.entry(key).or_insert(0) += 1;
    }
    uses
}

/// A connection field (`by P => C` in `object_with_connections!`) of the
/// `P` rows `rows`, filtered by `FI` and ordered by `O`, whose items are `T`.
pub(crate) fn connection<'a, P, C, FI, O, T>(
    ctx: &'a Context<'a>,
    field: SelectionField<'a>,
    rows: &'a [&'a Model<P>],
) -> Option<BoxFuture<'a, ()>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    FI: FilterInput,
    FI::Filter: Filter<C>,
    O: OrderInput,
    O::Key: SortKey<C>,
    T: LoadAhead<Entity = C>,
{
    let args = field.arguments().ok()?;
    let page = PageArgs {
        first: argument(&args, "first")?,
        after: argument(&args, "after")?,
        last: argument(&args, "last")?,
        before: argument(&args, "before")?,
    };
    let filter = FI::resolve(argument::<FI>(&args, "filter")?).ok()?;
    let sort = O::sort(argument::<O>(&args, "orderBy")?);
    let slice =
        Shared::new(slice_for::<C, _, _>(&Lookahead::from(field), &page, filter, sort).ok()?);
    let keys: Vec<_> = rows
        .iter()
        .map(|row| ToMany::<P, C, _, _>::new(int_value(*row, "id").unwrap_or(0), slice.clone()))
        .collect();
    Some(windows::<P, C, _, _, T>(ctx, field, keys, true))
}

/// A small list (`Photo.tags`): every `C` row related to each row, in `sort` order.
pub(crate) fn list<'a, P, C, K, T>(
    ctx: &'a Context<'a>,
    field: SelectionField<'a>,
    rows: &'a [&'a Model<P>],
    sort: crate::paging::Sort<K>,
) -> Option<BoxFuture<'a, ()>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    K: SortKey<C>,
    T: LoadAhead<Entity = C>,
{
    let slice = Shared::new(list_slice::<C, K>(&Lookahead::from(field), sort));
    let keys: Vec<_> = rows
        .iter()
        .map(|row| ToMany::<P, C, _, K>::new(int_value(*row, "id").unwrap_or(0), slice.clone()))
        .collect();
    Some(windows::<P, C, _, _, T>(ctx, field, keys, false))
}

/// Loads the windows of `keys` (one per row, in row order), descends into
/// their rows (through the items of a `connection`, else straight), and
/// leaves the windows ahead.
fn windows<'a, P, C, F, K, T>(
    ctx: &'a Context<'a>,
    field: SelectionField<'a>,
    keys: Vec<ToMany<P, C, F, K>>,
    connection: bool,
) -> BoxFuture<'a, ()>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    F: Filter<C>,
    K: SortKey<C>,
    T: LoadAhead<Entity = C>,
{
    async move {
        let Ok(loaders) = loaders(ctx) else {
            return;
        };
        let Some((uses, found)) = load_batch(loaders, &keys).await else {
            return;
        };
        let children: Vec<&C::Model> = keys
            .iter()
            .filter_map(|key| found.get(key))
            .flat_map(|window| window.rows.iter())
            .collect();
        if connection {
            items::<T>(ctx, field, &children).await;
        } else {
            selection::<T>(ctx, field.selection_set(), &children).await;
        }
        drop(children);
        leave(loaders, uses, found);
    }
    .boxed()
}

/// A to-one field (`P` row → its `C` row) of the rows `rows`, shown as `T`.
pub(crate) fn to_one<'a, P, C, T>(
    ctx: &'a Context<'a>,
    field: SelectionField<'a>,
    rows: &'a [&'a Model<P>],
) -> Option<BoxFuture<'a, ()>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    T: LoadAhead<Entity = C>,
{
    let unread = unread_of(&Lookahead::from(field));
    let keys: Vec<ToOne<P, C>> = rows
        .iter()
        .filter_map(|row| ToOne::of(*row, unread))
        .collect();
    Some(
        async move {
            let Ok(loaders) = loaders(ctx) else {
                return;
            };
            let Some((uses, found)) = load_batch(loaders, &keys).await else {
                return;
            };
            let children: Vec<&C::Model> = keys.iter().filter_map(|key| found.get(key)).collect();
            selection::<T>(ctx, field.selection_set(), &children).await;
            drop(children);
            leave(loaders, uses, found);
        }
        .boxed(),
    )
}

/// A count field (how many `C` rows each `P` row has) of the rows `rows`.
pub(crate) fn count<'a, P, C>(
    ctx: &'a Context<'a>,
    rows: &'a [&'a Model<P>],
) -> Option<BoxFuture<'a, ()>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
{
    let keys: Vec<_> = rows
        .iter()
        .map(|row| CountOf::<P, C>::new(int_value(*row, "id").unwrap_or(0)))
        .collect();
    Some(
        async move {
            let Ok(loaders) = loaders(ctx) else {
                return;
            };
            if let Some((uses, found)) = load_batch(loaders, &keys).await {
                leave(loaders, uses, found);
            }
        }
        .boxed(),
    )
}

/// The uses of each of `keys` and the batch that loads them; `None` once
/// the batch's error is left ahead for every key's resolvers.
async fn load_batch<K>(
    loaders: &Loaders,
    keys: &[K],
) -> Option<(foldhash::HashMap<K, usize>, Batch<K>)>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    RelationLoader: Loader<K, Error = LoadError>,
    <RelationLoader as Loader<K>>::Value: Send + 'static,
{
    let uses = count_uses(keys.iter().cloned());
    match loaders.batches.load(uses.keys().cloned()).await {
        Ok(found) => Some((uses, found)),
        Err(err) => {
            let failed = uses.into_iter().map(|(key, n)| (key, Err(err.clone()), n));
            loaders
                .ahead
                .put::<_, <RelationLoader as Loader<K>>::Value>(failed);
            None
        }
    }
}

/// Leaves each key's value in `found` ahead for its resolvers. The batch's
/// own copy goes first: the last resolver then holds the only one, and
/// takes a shared value without copying it.
fn leave<K>(loaders: &Loaders, uses: foldhash::HashMap<K, usize>, found: Batch<K>)
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    RelationLoader: Loader<K>,
    <RelationLoader as Loader<K>>::Value: Clone + Send + 'static,
{
    let results: Vec<_> = uses
        .into_iter()
        .map(|(key, n)| {
            let value = found.get(&key).cloned();
            (key, Ok(value), n)
        })
        .collect();
    drop(found);
    loaders.ahead.put(results);
}
