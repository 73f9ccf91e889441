//! The GraphQL object types: one file per object, with its fields and its
//! relation resolvers. A relation field names its relation (the two entities)
//! and the generic loader that serves it, through the helpers below; no
//! resolver builds SQL.

pub mod connection;
pub mod order;
pub mod photo;
pub mod post;
pub mod profile;
pub mod tag;
pub mod user;

use async_graphql::{Context, Interface, OutputType};
use sea_orm::{EntityTrait, FromQueryResult, Related};

use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::loader::{CountOf, Filter, Loaders, Slice, ToMany, ToOne};
use crate::paging::{Page, PageArgs, Sort, SortKey};

pub use connection::{Connection, connection};

pub use photo::Photo;
pub use post::Post;
pub use profile::Profile;
pub use tag::Tag;
pub use user::User;

/// An object with a global id, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "async_graphql::ID",
    desc = "The object's opaque global id."
))]
pub enum Node {
    /// A user.
    User(User),
    /// A profile.
    Profile(Profile),
    /// A post.
    Post(Post),
    /// A photo.
    Photo(Photo),
    /// A tag.
    Tag(Tag),
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
    C::Model: FromQueryResult + Send + Sync + Clone,
{
    let Some(key) = ToOne::<P, C>::of(parent) else {
        return Ok(None);
    };
    loaders(ctx)?.relations.load_one(key).await.gql()
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
    C::Model: FromQueryResult + Send + Sync + Clone,
    F: Filter<C>,
    K: SortKey<C>,
    N: OutputType + Clone,
    connection::Edge<N>: OutputType,
{
    let slice = slice_of(ctx, &args, filter, sort)?;
    let page = slice.page.clone();
    let window = loaders(ctx)?
        .relations
        .load_one(ToMany::<P, C, F, K>::new(parent, slice))
        .await
        .gql()?
        .unwrap_or_default();
    Ok(connection(window, &page, sort, wrap))
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
    C::Model: FromQueryResult + Send + Sync + Clone,
    K: SortKey<C>,
{
    let slice = Slice {
        filter: crate::loader::Unfiltered,
        sort,
        page: Page::all(),
        with_total: false,
    };
    let window = loaders(ctx)?
        .relations
        .load_one(ToMany::<P, C, _, K>::new(parent, slice))
        .await
        .gql()?;
    Ok(window.map(|w| w.rows).unwrap_or_default())
}

/// Resolves the number of `C` rows related to the `P` row `parent`.
pub(crate) async fn load_count<P, C>(ctx: &Context<'_>, parent: i32) -> ApiResult<i64>
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
{
    let count = loaders(ctx)?
        .relations
        .load_one(CountOf::<P, C>::new(parent))
        .await
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
    Ok(Slice {
        filter,
        sort,
        page: Page::from_args(args, sort).gql()?,
        with_total: wants_total(ctx),
    })
}

/// Whether the connection being resolved has `totalCount` selected.
pub(crate) fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// The complexity of a connection field: its page size times what is selected under it.
pub(crate) fn connection_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first
        .or(last)
        .map(|n| usize::try_from(n).unwrap_or(0))
        .unwrap_or(crate::paging::DEFAULT_PAGE_SIZE as usize);
    size.max(1).saturating_mul(child)
}
