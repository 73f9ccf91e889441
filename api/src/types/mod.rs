//! The GraphQL object types: one file per object, with its fields and its
//! relation resolvers. A relation field names its relation (the two entities)
//! and the generic loader that serves it, through the helpers below; no
//! resolver builds SQL.

pub(crate) mod ahead;
pub mod columns;
pub mod comment;
pub mod connection;
pub mod inputs;
pub mod node;
pub mod order;
pub mod photo;
pub mod post;
pub mod profile;
pub mod tag;
pub mod upload;
pub mod user;

use async_graphql::{Context, Interface, OutputType};
use entity::{comment as comment_row, user as user_row};
use entity::{photo as photo_row, post as post_row, profile as profile_row, tag as tag_row};
use sea_orm::{EntityTrait, FromQueryResult, Related};

use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::loader::{
    ById, CountOf, Decode, Filter, Loaders, Shared, Slice, ToMany, ToOne, Unread, page_of_roots,
};
use crate::paging::{Page, PageArgs, Sort, SortKey, Window};

pub use crate::filter::FilterInput;
pub(crate) use connection::object_with_connections;
pub use connection::{Connection, connection};
pub use order::OrderInput;

pub use comment::Comment;
pub use photo::Photo;
pub use post::Post;
pub use profile::Profile;
pub use tag::Tag;
pub use user::User;

/// Every object with a global id, listed once: `Type.field => entity`, where
/// `field` holds the row. The list makes the `NodeType` of global ids, the
/// `Node` interface, `node(id:)`'s dispatch and each type's [`Row`].
/// (Connection and edge types follow from the node type by their generic
/// names; orderings sit with each type.)
macro_rules! node_types {
    ($( $(#[doc = $doc:literal])* $ty:ident . $field:tt => $entity:path ),+ $(,)?) => {
        /// The object types that have global ids.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum NodeType {
            $( $(#[doc = $doc])* $ty, )+
        }

        impl NodeType {
            /// Every node type.
            pub const ALL: &[NodeType] = &[$(NodeType::$ty),+];

            /// The GraphQL type name.
            pub fn name(self) -> &'static str {
                match self {
                    $( NodeType::$ty => stringify!($ty), )+
                }
            }
        }

        /// An object with a global id, fetchable with `node(id:)`.
        #[derive(Interface)]
        #[graphql(field(
            name = "id",
            ty = "async_graphql::ID",
            desc = "The object's opaque global id."
        ))]
        pub enum Node {
            $( $(#[doc = $doc])* $ty($ty), )+
        }

        $(
            impl Row for $ty {
                fn row_id(&self) -> i32 {
                    self.$field.id
                }
            }
        )+

        /// The object of type `node_type` with row id `row`, through the loaders.
        pub(crate) async fn load_node(
            ctx: &Context<'_>,
            node_type: NodeType,
            row: i32,
        ) -> ApiResult<Option<Node>> {
            Ok(match node_type {
                $( NodeType::$ty => by_id::<$entity>(ctx, row).await?.map(|m| Node::$ty($ty::from(m))), )+
            })
        }
    };
}

node_types! {
    /// A user.
    User.model => user_row::Entity,
    /// A profile.
    Profile.0 => profile_row::Entity,
    /// A post.
    Post.0 => post_row::Entity,
    /// A photo.
    Photo.0 => photo_row::Entity,
    /// A tag.
    Tag.0 => tag_row::Entity,
    /// A comment.
    Comment.0 => comment_row::Entity,
}

/// A GraphQL object over one table row.
pub trait Row {
    /// The row's id: the parent of its relations' connections.
    fn row_id(&self) -> i32;
}

/// The complexity of `totalCount`: counting reads every item of the list,
/// not just the page, so it costs as much as ten items.
pub(crate) const TOTAL_COUNT_COST: usize = 10;

/// The complexity a text search adds to its list: as much as a full page,
/// for the rows it reads that the page does not hold.
pub(crate) const TEXT_SEARCH_COST: usize = crate::paging::MAX_PAGE_SIZE as usize;

/// What `filter` adds to its list's complexity ([`FilterInput::cost`]).
pub(crate) fn filter_cost<F: FilterInput>(filter: &Option<F>) -> usize {
    filter.as_ref().map_or(0, FilterInput::cost)
}

/// The request's loaders. The HTTP handler attaches them to every request.
pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> ApiResult<&'a Loaders> {
    ctx.data::<Loaders>()
        .map_err(|_| ApiError::Internal("no loaders attached to the request".into()))
        .gql()
}

/// Resolves a to-one relation (belongs-to or has-one) of `parent`.
pub(crate) async fn load_one<P, C>(
    ctx: &Context<'_>,
    parent: &P::Model,
) -> ApiResult<Option<C::Model>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
{
    let unread = unread_of(&ctx.look_ahead());
    let Some(key) = ToOne::<P, C>::of(parent, unread) else {
        return Ok(None);
    };
    let loaders = loaders(ctx)?;
    if let Some(loaded) = loaders.ahead.take(&key) {
        return loaded.gql();
    }
    loaders.relations.load_one(key).await.gql()
}

/// Resolves a to-one relation that always has a row (its foreign key is not
/// null and cascades): a missing row is an internal error.
pub(crate) async fn load_required<P, C>(ctx: &Context<'_>, parent: &P::Model) -> ApiResult<C::Model>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
{
    load_one::<P, C>(ctx, parent)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "a row of {} has no row of {}",
                P::default().table_name(),
                C::default().table_name()
            ))
        })
        .gql()
}

/// Resolves a to-many relation of the `P` row `parent` as a connection.
pub(crate) async fn load_connection<P, C, F, K, N>(
    ctx: &Context<'_>,
    parent: i32,
    args: PageArgs,
    filter: F,
    sort: Sort<K>,
    wrap: impl Fn(C::Model) -> N,
) -> ApiResult<Connection<N>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    F: Filter<C>,
    K: SortKey<C>,
    N: OutputType,
{
    let slice = slice_of(ctx, &args, filter, sort)?;
    let page = slice.page.clone();
    let loaders = loaders(ctx)?;
    let key = ToMany::<P, C, F, K>::new(parent, Shared::new(slice));
    let window = match loaders.ahead.take(&key) {
        Some(loaded) => loaded,
        None => loaders.relations.load_one(key).await,
    }
    .gql()?
    .map(Window::take)
    .unwrap_or_default();
    Ok(connection(window, &page, sort, wrap))
}

/// One page of every `E` row: the root lists.
pub(crate) async fn load_roots<E, F, K, N>(
    ctx: &Context<'_>,
    args: PageArgs,
    filter: F,
    sort: Sort<K>,
    wrap: impl Fn(E::Model) -> N,
) -> ApiResult<Connection<N>>
where
    E: EntityTrait,
    E::Model: Decode,
    F: Filter<E>,
    K: SortKey<E>,
    N: ahead::LoadAhead<Entity = E>,
{
    let slice = slice_of::<E, F, K>(ctx, &args, filter, sort)?;
    let page = slice.page.clone();
    let db = &loaders(ctx)?.relations.loader().db;
    let window = page_of_roots::<E, F, K>(db, &slice).await.gql()?;
    let rows: Vec<&E::Model> = window.rows.iter().collect();
    ahead::items::<N>(ctx, ctx.field(), &rows).await;
    drop(rows);
    Ok(connection(window, &page, sort, wrap))
}

/// The row `id` of `E`, batched with every other lookup of `E` in the request.
pub(crate) async fn by_id<E>(ctx: &Context<'_>, id: i32) -> ApiResult<Option<E::Model>>
where
    E: EntityTrait + Send + Sync,
    E::Model: FromQueryResult + Send + Sync + Clone,
{
    loaders(ctx)?
        .relations
        .load_one(ById::<E>::new(id))
        .await
        .gql()
}

/// Resolves a small to-many relation of the `P` row `parent` as a plain list.
pub(crate) async fn load_list<P, C, K>(
    ctx: &Context<'_>,
    parent: i32,
    sort: Sort<K>,
) -> ApiResult<Vec<C::Model>>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    K: SortKey<C>,
{
    let loaders = loaders(ctx)?;
    let slice = list_slice::<C, K>(&ctx.look_ahead(), sort);
    let key = ToMany::<P, C, _, K>::new(parent, Shared::new(slice));
    let window = match loaders.ahead.take(&key) {
        Some(loaded) => loaded,
        None => loaders.relations.load_one(key).await,
    }
    .gql()?;
    Ok(window.map(|w| Window::take(w).rows).unwrap_or_default())
}

/// The slice of a small list whose items select `selected`: every row, in
/// `sort` order.
pub(crate) fn list_slice<E, K>(
    selected: &async_graphql::Lookahead<'_>,
    sort: Sort<K>,
) -> Slice<crate::loader::Unfiltered, K>
where
    E: EntityTrait,
    K: SortKey<E>,
{
    Slice {
        filter: crate::loader::Unfiltered,
        sort,
        page: Page::all(),
        with_total: false,
        unread: unread_by::<E, K>(sort, names_under(selected)),
    }
}

/// The on-demand columns a row leaves unread when its selection is `selected`.
pub(crate) fn unread_of(selected: &async_graphql::Lookahead<'_>) -> Unread {
    crate::plan::columns::unread_unless(names_under(selected))
}

/// The names of the fields selected under `selected`, fragments inlined:
/// read in one pass, where asking the lookahead for each on-demand field
/// walked the selection once per field, for every item of a list.
fn names_under<'a>(selected: &async_graphql::Lookahead<'a>) -> Vec<&'a str> {
    let mut names = Vec::new();
    for field in selected.selection_fields() {
        names.extend(field.selection_set().map(|child| child.name()));
    }
    names
}

/// The on-demand columns a list ordered by `sort` leaves unread when its
/// items select the fields `selected` names: all but those the fields show
/// and the sort key, which the cursors hold.
fn unread_by<'a, E, K>(sort: Sort<K>, selected: impl IntoIterator<Item = &'a str>) -> Unread
where
    E: EntityTrait,
    K: SortKey<E>,
{
    crate::plan::columns::unread_unless(selected)
        .reading(sea_orm::IdenStatic::as_str(&sort.key.column()))
}

/// Resolves the number of `C` rows related to the `P` row `parent`.
pub(crate) async fn load_count<P, C>(ctx: &Context<'_>, parent: i32) -> ApiResult<i64>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
{
    let loaders = loaders(ctx)?;
    let key = CountOf::<P, C>::new(parent);
    let count = match loaders.ahead.take(&key) {
        Some(loaded) => loaded,
        None => loaders.relations.load_one(key).await,
    }
    .gql()?
    .unwrap_or(0);
    Ok(i64::try_from(count).unwrap_or(i64::MAX))
}

/// The slice a connection field asks for: its validated page, its filter and
/// order, and whether its `totalCount` is selected.
pub(crate) fn slice_of<E, F, K>(
    ctx: &Context<'_>,
    args: &PageArgs,
    filter: F,
    sort: Sort<K>,
) -> ApiResult<Slice<F, K>>
where
    E: EntityTrait,
    F: Filter<E>,
    K: SortKey<E>,
{
    slice_for(&ctx.look_ahead(), args, filter, sort)
}

/// The slice of the connection field whose selection is `selected`.
pub(crate) fn slice_for<E, F, K>(
    selected: &async_graphql::Lookahead<'_>,
    args: &PageArgs,
    filter: F,
    sort: Sort<K>,
) -> ApiResult<Slice<F, K>>
where
    E: EntityTrait,
    F: Filter<E>,
    K: SortKey<E>,
{
    let nodes = selected.field("nodes");
    let edge_nodes = selected.field("edges").field("node");
    Ok(Slice {
        filter,
        sort,
        page: Page::from_args(args, sort).gql()?,
        with_total: selected.field("totalCount").exists(),
        unread: unread_by::<E, K>(
            sort,
            names_under(&nodes)
                .into_iter()
                .chain(names_under(&edge_nodes)),
        ),
    })
}

/// The complexity of a connection field: its page size times what is
/// selected under it, plus what its filter costs beyond the page.
pub(crate) fn connection_complexity(
    first: Option<i32>,
    last: Option<i32>,
    filter_cost: usize,
    child: usize,
) -> usize {
    let size = first
        .or(last)
        .map(|n| usize::try_from(n).unwrap_or(0))
        .unwrap_or(crate::paging::DEFAULT_PAGE_SIZE as usize);
    size.max(1)
        .saturating_mul(child)
        .saturating_add(filter_cost)
}
