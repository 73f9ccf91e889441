//! The relation fields a plan loads, one kind each: to-one, connection,
//! small list and count (and, for the roots, `root.rs`). Each is planned
//! from its selection, bound to a request's arguments, loads a whole level's
//! keys in one batch of the generic loaders, and writes each parent's value.
//! The keys and slices are the ones the resolvers in `types/mod.rs` build,
//! from the same functions, so the statements are the same.

use std::sync::Arc;

use async_graphql::connection::CursorType;
use async_graphql::parser::types::Field;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, join_all};
use sea_orm::{EntityTrait, IdenStatic, Related};

use super::json::{ToJson, member};
use super::{
    Bound, BoundObject, Declared, Env, Fallback, Marker, ObjectPlan, Planner, RelationPlan,
};
use crate::filter::FilterInput;
use crate::loader::{
    CountOf, Decode, Filter, Shared, Slice, ToMany, ToOne, Unfiltered, Unread, int_value,
};
use crate::paging::OrderInput;
use crate::paging::{Page, PageArgs, Sort, SortKey, Window, cursor_of};

/// A row of the entity `E`.
type Model<E> = <E as EntityTrait>::Model;

/// A batch's result: every key's value (the loaders' [`crate::loader::Batch`]).
type Found<K, V> = Arc<std::collections::HashMap<K, V>>;

/// The windows of a to-many batch.
type Windows<P, C, F, K> = Found<ToMany<P, C, F, K>, Arc<Window<Model<C>>>>;

/// What failed statements fall back with: the executor reports the error.
const LOAD_FAILED: Fallback = Fallback("a statement failed");

/// The row id of `row`, the parent of its lists.
fn row_id<M: sea_orm::ModelTrait>(row: &M) -> i32 {
    int_value(row, "id").unwrap_or(0)
}

// ---------------------------------------------------------------------------
// To-one

/// A to-one field (`P` row → its `C` row), shown as `T`.
struct ToOnePlan<P, C, T: Declared> {
    child: ObjectPlan<T::Model>,
    unread: Unread,
    /// A non-null field: a missing row is the executor's internal error.
    required: bool,
    _relation: Marker<(P, C)>,
}

/// A nullable to-one field (`Post.author` is not: see [`required`]).
pub(crate) fn to_one<P, C, T>(
    planner: &Planner<'_>,
    field: &Field,
) -> Option<Box<dyn RelationPlan<Model<P>>>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    T: Declared<Model = C::Model>,
{
    to_one_plan::<P, C, T>(planner, field, false)
}

/// A non-null to-one field: its foreign key is not null and cascades.
pub(crate) fn required<P, C, T>(
    planner: &Planner<'_>,
    field: &Field,
) -> Option<Box<dyn RelationPlan<Model<P>>>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    T: Declared<Model = C::Model>,
{
    to_one_plan::<P, C, T>(planner, field, true)
}

fn to_one_plan<P, C, T>(
    planner: &Planner<'_>,
    field: &Field,
    required: bool,
) -> Option<Box<dyn RelationPlan<Model<P>>>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    T: Declared<Model = C::Model>,
{
    if !field.arguments.is_empty() {
        return None;
    }
    let child = planner.object::<T>(&field.selection_set.node)?;
    let unread = crate::plan::columns::unread_unless(child.names());
    Some(Box::new(ToOnePlan::<P, C, T> {
        child,
        unread,
        required,
        _relation: std::marker::PhantomData,
    }))
}

struct ToOneBound<'p, P, C: EntityTrait> {
    unread: Unread,
    required: bool,
    child: BoundObject<'p, C::Model>,
    found: Option<Found<ToOne<P, C>, C::Model>>,
}

impl<P, C, T> RelationPlan<Model<P>> for ToOnePlan<P, C, T>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    T: Declared<Model = C::Model>,
{
    fn bind<'p>(&'p self, env: &Env<'_>) -> Result<Box<dyn Bound<Model<P>> + 'p>, Fallback> {
        Ok(Box::new(ToOneBound::<P, C> {
            unread: self.unread,
            required: self.required,
            child: BoundObject::bind(&self.child, env)?,
            found: None,
        }))
    }
}

impl<P, C> Bound<Model<P>> for ToOneBound<'_, P, C>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
{
    fn load<'a>(
        &'a mut self,
        env: &'a Env<'a>,
        rows: &'a [&'a Model<P>],
    ) -> BoxFuture<'a, Result<(), Fallback>> {
        async move {
            let keys: Vec<ToOne<P, C>> = rows
                .iter()
                .filter_map(|row| ToOne::of(*row, self.unread))
                .collect();
            let found = env
                .loaders
                .batches
                .load(keys.iter().cloned())
                .await
                .map_err(|_| LOAD_FAILED)?;
            let children: Vec<&C::Model> = keys.iter().filter_map(|key| found.get(key)).collect();
            self.child.load(env, &children).await?;
            drop(children);
            self.found = Some(found);
            Ok(())
        }
        .boxed()
    }

    fn write(&self, row: &Model<P>, env: &Env<'_>, out: &mut Vec<u8>) -> Result<(), Fallback> {
        let child =
            ToOne::<P, C>::of(row, self.unread).and_then(|key| self.found.as_ref()?.get(&key));
        match child {
            Some(child) => self.child.write(child, env, out),
            None if self.required => Err(Fallback("a required row is missing")),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Connections

/// What a connection's selection writes, in selection order.
enum ConnectionEntry {
    Typename(Box<str>, Box<str>),
    TotalCount(Box<str>),
    /// `nodes`: an index into the connection's item plans.
    Nodes(Box<str>, usize),
    Edges(Box<str>, Vec<EdgeEntry>),
    PageInfo(Box<str>, Vec<PageInfoEntry>),
}

enum EdgeEntry {
    Typename(Box<str>, Box<str>),
    Cursor(Box<str>),
    Node(Box<str>, usize),
}

enum PageInfoEntry {
    Typename(Box<str>),
    HasPreviousPage(Box<str>),
    HasNextPage(Box<str>),
    StartCursor(Box<str>),
    EndCursor(Box<str>),
}

/// A connection's selection: what it writes, the plans of its items (one
/// per `nodes` or `edges { node }` selected), whether it counts.
pub(crate) struct ConnectionShape<M> {
    entries: Vec<ConnectionEntry>,
    items: Vec<ObjectPlan<M>>,
    with_total: bool,
    /// The field, for its arguments.
    field: Field,
}

impl<M: Send + Sync + 'static> ConnectionShape<M> {
    /// The shape of the connection field `field` of items `T`.
    pub(crate) fn plan<T: Declared<Model = M>>(
        planner: &Planner<'_>,
        field: &Field,
    ) -> Option<Self> {
        let connection = format!("{}Connection", T::NAME);
        let edge = format!("{}Edge", T::NAME);
        let mut shape = ConnectionShape {
            entries: Vec::new(),
            items: Vec::new(),
            with_total: false,
            field: field.clone(),
        };
        let mut parts = Vec::new();
        planner.spread(&field.selection_set.node, &connection, &[], &mut parts)?;
        for part in parts {
            if !part.arguments.is_empty() {
                return None;
            }
            let key = member(part.response_key().node.as_str());
            let entry = match part.name.node.as_str() {
                "__typename" => ConnectionEntry::Typename(key, connection.clone().into()),
                "totalCount" => {
                    shape.with_total = true;
                    ConnectionEntry::TotalCount(key)
                }
                "nodes" => {
                    shape
                        .items
                        .push(planner.object::<T>(&part.selection_set.node)?);
                    ConnectionEntry::Nodes(key, shape.items.len() - 1)
                }
                "edges" => {
                    let mut entries = Vec::new();
                    let mut edge_parts = Vec::new();
                    planner.spread(&part.selection_set.node, &edge, &[], &mut edge_parts)?;
                    for edge_part in edge_parts {
                        if !edge_part.arguments.is_empty() {
                            return None;
                        }
                        let key = member(edge_part.response_key().node.as_str());
                        entries.push(match edge_part.name.node.as_str() {
                            "__typename" => EdgeEntry::Typename(key, edge.clone().into()),
                            "cursor" => EdgeEntry::Cursor(key),
                            "node" => {
                                shape
                                    .items
                                    .push(planner.object::<T>(&edge_part.selection_set.node)?);
                                EdgeEntry::Node(key, shape.items.len() - 1)
                            }
                            _ => return None,
                        });
                    }
                    ConnectionEntry::Edges(key, entries)
                }
                "pageInfo" => {
                    let mut entries = Vec::new();
                    let mut info_parts = Vec::new();
                    planner.spread(&part.selection_set.node, "PageInfo", &[], &mut info_parts)?;
                    for info in info_parts {
                        let key = member(info.response_key().node.as_str());
                        entries.push(match info.name.node.as_str() {
                            "__typename" => PageInfoEntry::Typename(key),
                            "hasPreviousPage" => PageInfoEntry::HasPreviousPage(key),
                            "hasNextPage" => PageInfoEntry::HasNextPage(key),
                            "startCursor" => PageInfoEntry::StartCursor(key),
                            "endCursor" => PageInfoEntry::EndCursor(key),
                            _ => return None,
                        });
                    }
                    ConnectionEntry::PageInfo(key, entries)
                }
                _ => return None,
            };
            shape.entries.push(entry);
        }
        Some(shape)
    }

    /// The slice the field asks for with `env`'s variables, as
    /// `types::slice_for` makes it: the page, filter and order arguments,
    /// whether the total is selected, and the columns its items show.
    pub(crate) fn slice<E, FI, O>(
        &self,
        env: &Env<'_>,
    ) -> Result<Slice<FI::Filter, O::Key>, Fallback>
    where
        E: EntityTrait,
        FI: FilterInput,
        FI::Filter: Filter<E>,
        O: OrderInput,
        O::Key: SortKey<E>,
    {
        let field = &self.field;
        let args = PageArgs {
            first: env.argument(field, "first")?,
            after: env.argument(field, "after")?,
            last: env.argument(field, "last")?,
            before: env.argument(field, "before")?,
        };
        let filter = FI::resolve(env.argument::<FI>(field, "filter")?)
            .map_err(|_| Fallback("a filter the executor refuses"))?;
        let sort = O::sort(env.argument::<O>(field, "orderBy")?);
        let page = Page::from_args::<E, _>(&args, sort)
            .map_err(|_| Fallback("a page the executor refuses"))?;
        let unread =
            crate::plan::columns::unread_unless(self.items.iter().flat_map(ObjectPlan::names))
                .reading(sort.key.column().as_str());
        Ok(Slice {
            filter,
            sort,
            page,
            with_total: self.with_total,
            unread,
        })
    }

    /// The items' plans bound to `env`.
    pub(crate) fn bind_items(&self, env: &Env<'_>) -> Result<Vec<BoundObject<'_, M>>, Fallback> {
        self.items
            .iter()
            .map(|item| BoundObject::bind(item, env))
            .collect()
    }
}

/// Loads what every item plan of a connection needs for `rows`, together.
pub(crate) async fn load_items<'a, M: Send + Sync + 'static>(
    items: &'a mut [BoundObject<'_, M>],
    env: &'a Env<'a>,
    rows: &'a [&'a M],
) -> Result<(), Fallback> {
    join_all(items.iter_mut().map(|item| item.load(env, rows)))
        .await
        .into_iter()
        .collect()
}

/// Writes the connection of `window` (a page under `page` and `sort`) as
/// `shape` selects it, as `types::connection` builds it.
pub(crate) fn write_connection<M, K>(
    shape: &ConnectionShape<M>,
    items: &[BoundObject<'_, M>],
    window: &Window<M>,
    page: &Page,
    sort: Sort<K>,
    env: &Env<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Fallback>
where
    M: sea_orm::ModelTrait + Send + Sync + 'static,
    K: SortKey<M::Entity>,
{
    let (has_previous_page, has_next_page) = if page.backwards {
        (window.has_more, page.cursor.is_some())
    } else {
        (page.cursor.is_some(), window.has_more)
    };
    let cursor = |row: &M| cursor_of(row, sort.key).encode_cursor();
    out.push(b'{');
    for (i, entry) in shape.entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match entry {
            ConnectionEntry::Typename(key, name) => {
                out.extend_from_slice(key.as_bytes());
                name.write_json(out);
            }
            ConnectionEntry::TotalCount(key) => {
                out.extend_from_slice(key.as_bytes());
                i64::try_from(window.total.unwrap_or(0))
                    .unwrap_or(i64::MAX)
                    .write_json(out);
            }
            ConnectionEntry::Nodes(key, index) => {
                out.extend_from_slice(key.as_bytes());
                out.push(b'[');
                for (n, row) in window.rows.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    items[*index].write(row, env, out)?;
                }
                out.push(b']');
            }
            ConnectionEntry::Edges(key, entries) => {
                out.extend_from_slice(key.as_bytes());
                out.push(b'[');
                for (n, row) in window.rows.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.push(b'{');
                    for (e, entry) in entries.iter().enumerate() {
                        if e > 0 {
                            out.push(b',');
                        }
                        match entry {
                            EdgeEntry::Typename(key, name) => {
                                out.extend_from_slice(key.as_bytes());
                                name.write_json(out);
                            }
                            EdgeEntry::Cursor(key) => {
                                out.extend_from_slice(key.as_bytes());
                                cursor(row).write_json(out);
                            }
                            EdgeEntry::Node(key, index) => {
                                out.extend_from_slice(key.as_bytes());
                                items[*index].write(row, env, out)?;
                            }
                        }
                    }
                    out.push(b'}');
                }
                out.push(b']');
            }
            ConnectionEntry::PageInfo(key, entries) => {
                out.extend_from_slice(key.as_bytes());
                out.push(b'{');
                for (e, entry) in entries.iter().enumerate() {
                    if e > 0 {
                        out.push(b',');
                    }
                    match entry {
                        PageInfoEntry::Typename(key) => {
                            out.extend_from_slice(key.as_bytes());
                            "PageInfo".write_json(out);
                        }
                        PageInfoEntry::HasPreviousPage(key) => {
                            out.extend_from_slice(key.as_bytes());
                            has_previous_page.write_json(out);
                        }
                        PageInfoEntry::HasNextPage(key) => {
                            out.extend_from_slice(key.as_bytes());
                            has_next_page.write_json(out);
                        }
                        PageInfoEntry::StartCursor(key) => {
                            out.extend_from_slice(key.as_bytes());
                            window.rows.first().map(cursor).write_json(out);
                        }
                        PageInfoEntry::EndCursor(key) => {
                            out.extend_from_slice(key.as_bytes());
                            window.rows.last().map(cursor).write_json(out);
                        }
                    }
                }
                out.push(b'}');
            }
        }
    }
    out.push(b'}');
    Ok(())
}

/// A connection field (`by P => C`): the `C` rows of each `P` row, filtered
/// by `FI`, ordered by `O`, shown as `T`.
struct ConnectionPlan<P, C, FI, O, T: Declared> {
    shape: ConnectionShape<T::Model>,
    _relation: Marker<(P, C, FI, O)>,
}

/// A connection field of `P` rows: their `C` rows as `T`, filtered by `FI`
/// and ordered by `O`.
pub(crate) fn connection<P, C, FI, O, T>(
    planner: &Planner<'_>,
    field: &Field,
) -> Option<Box<dyn RelationPlan<Model<P>>>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    FI: FilterInput + Send + Sync + 'static,
    FI::Filter: Filter<C>,
    O: OrderInput + Send + Sync + 'static,
    O::Key: SortKey<C>,
    T: Declared<Model = C::Model>,
{
    Some(Box::new(ConnectionPlan::<P, C, FI, O, T> {
        shape: ConnectionShape::plan::<T>(planner, field)?,
        _relation: std::marker::PhantomData,
    }))
}

struct ManyBound<'p, P, C: EntityTrait, F, K> {
    shape: &'p ConnectionShape<C::Model>,
    /// Whether the field is a connection (else a plain list of items).
    connection: bool,
    slice: Shared<Slice<F, K>>,
    items: Vec<BoundObject<'p, C::Model>>,
    found: Option<Windows<P, C, F, K>>,
}

impl<P, C, FI, O, T> RelationPlan<Model<P>> for ConnectionPlan<P, C, FI, O, T>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    FI: FilterInput + Send + Sync + 'static,
    FI::Filter: Filter<C>,
    O: OrderInput + Send + Sync + 'static,
    O::Key: SortKey<C>,
    T: Declared<Model = C::Model>,
{
    fn bind<'p>(&'p self, env: &Env<'_>) -> Result<Box<dyn Bound<Model<P>> + 'p>, Fallback> {
        let slice = self.shape.slice::<C, FI, O>(env)?;
        Ok(Box::new(ManyBound::<P, C, _, _> {
            shape: &self.shape,
            connection: true,
            slice: Shared::new(slice),
            items: self.shape.bind_items(env)?,
            found: None,
        }))
    }
}

impl<P, C, F, K> Bound<Model<P>> for ManyBound<'_, P, C, F, K>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    F: Filter<C>,
    K: SortKey<C>,
{
    fn load<'a>(
        &'a mut self,
        env: &'a Env<'a>,
        rows: &'a [&'a Model<P>],
    ) -> BoxFuture<'a, Result<(), Fallback>> {
        async move {
            let keys: Vec<ToMany<P, C, F, K>> = rows
                .iter()
                .map(|row| ToMany::new(row_id(*row), self.slice.clone()))
                .collect();
            let found = env
                .loaders
                .batches
                .load(keys.iter().cloned())
                .await
                .map_err(|_| LOAD_FAILED)?;
            let children: Vec<&C::Model> = keys
                .iter()
                .filter_map(|key| found.get(key))
                .flat_map(|window| window.rows.iter())
                .collect();
            load_items(&mut self.items, env, &children).await?;
            drop(children);
            self.found = Some(found);
            Ok(())
        }
        .boxed()
    }

    fn write(&self, row: &Model<P>, env: &Env<'_>, out: &mut Vec<u8>) -> Result<(), Fallback> {
        let key = ToMany::<P, C, F, K>::new(row_id(row), self.slice.clone());
        let empty = Window::default();
        let window: &Window<C::Model> = self
            .found
            .as_ref()
            .and_then(|found| found.get(&key))
            .map_or(&empty, Arc::as_ref);
        if self.connection {
            return write_connection(
                self.shape,
                &self.items,
                window,
                &self.slice.page,
                self.slice.sort,
                env,
                out,
            );
        }
        out.push(b'[');
        for (n, child) in window.rows.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            self.items[0].write(child, env, out)?;
        }
        out.push(b']');
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Small lists

/// A small list (`Photo.tags`): every `C` row of each `P` row, in `O`'s
/// default order, shown as `T`.
struct ListPlan<P, C, O, T: Declared> {
    shape: ConnectionShape<T::Model>,
    _relation: Marker<(P, C, O)>,
}

/// A small list of `P` rows: all their `C` rows as `T`, in `O`'s default order.
pub(crate) fn list<P, C, O, T>(
    planner: &Planner<'_>,
    field: &Field,
) -> Option<Box<dyn RelationPlan<Model<P>>>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    O: OrderInput + Send + Sync + 'static,
    O::Key: SortKey<C>,
    T: Declared<Model = C::Model>,
{
    if !field.arguments.is_empty() {
        return None;
    }
    let item = planner.object::<T>(&field.selection_set.node)?;
    Some(Box::new(ListPlan::<P, C, O, T> {
        shape: ConnectionShape {
            entries: Vec::new(),
            items: vec![item],
            with_total: false,
            field: field.clone(),
        },
        _relation: std::marker::PhantomData,
    }))
}

impl<P, C, O, T> RelationPlan<Model<P>> for ListPlan<P, C, O, T>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    O: OrderInput + Send + Sync + 'static,
    O::Key: SortKey<C>,
    T: Declared<Model = C::Model>,
{
    fn bind<'p>(&'p self, env: &Env<'_>) -> Result<Box<dyn Bound<Model<P>> + 'p>, Fallback> {
        let sort = O::sort(None);
        // As `types::list_slice` makes it.
        let slice = Slice {
            filter: Unfiltered,
            sort,
            page: Page::all(),
            with_total: false,
            unread: crate::plan::columns::unread_unless(
                self.shape.items.iter().flat_map(ObjectPlan::names),
            )
            .reading(sort.key.column().as_str()),
        };
        Ok(Box::new(ManyBound::<P, C, Unfiltered, O::Key> {
            shape: &self.shape,
            connection: false,
            slice: Shared::new(slice),
            items: self.shape.bind_items(env)?,
            found: None,
        }))
    }
}

// ---------------------------------------------------------------------------
// Counts

/// A count field: how many `C` rows each `P` row has.
struct CountPlan<P, C>(Marker<(P, C)>);

/// A count field of `P` rows: how many `C` rows each has.
pub(crate) fn count<P, C>(_: &Planner<'_>, field: &Field) -> Option<Box<dyn RelationPlan<Model<P>>>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
{
    field
        .arguments
        .is_empty()
        .then(|| Box::new(CountPlan::<P, C>(std::marker::PhantomData)) as Box<_>)
}

struct CountBound<P, C> {
    found: Option<Found<CountOf<P, C>, u64>>,
}

impl<P, C> RelationPlan<Model<P>> for CountPlan<P, C>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
{
    fn bind<'p>(&'p self, _: &Env<'_>) -> Result<Box<dyn Bound<Model<P>> + 'p>, Fallback> {
        Ok(Box::new(CountBound::<P, C> { found: None }))
    }
}

impl<P, C> Bound<Model<P>> for CountBound<P, C>
where
    P: EntityTrait + Related<C> + Send + Sync,
    P::Model: Send + Sync,
    C: EntityTrait + Send + Sync,
{
    fn load<'a>(
        &'a mut self,
        env: &'a Env<'a>,
        rows: &'a [&'a Model<P>],
    ) -> BoxFuture<'a, Result<(), Fallback>> {
        async move {
            let keys = rows.iter().map(|row| CountOf::<P, C>::new(row_id(*row)));
            let found = env
                .loaders
                .batches
                .load(keys)
                .await
                .map_err(|_| LOAD_FAILED)?;
            self.found = Some(found);
            Ok(())
        }
        .boxed()
    }

    fn write(&self, row: &Model<P>, _: &Env<'_>, out: &mut Vec<u8>) -> Result<(), Fallback> {
        let key = CountOf::<P, C>::new(row_id(row));
        let count = self
            .found
            .as_ref()
            .and_then(|found| found.get(&key).copied())
            .unwrap_or(0);
        i64::try_from(count).unwrap_or(i64::MAX).write_json(out);
        Ok(())
    }
}
