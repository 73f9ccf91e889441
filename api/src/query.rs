//! The root `Query`: entry points into the graph. Thin: it validates
//! arguments and hands over to the loaders and the types.

use async_graphql::{Context, ID, Object};
use entity::{photo, post, profile, tag, user};
use sea_orm::{EntityTrait, FromQueryResult};

use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::filter::{PostFilter, TagFilter, UserFilter};
use crate::loader::{ById, ByUnique, Filter, page_of_roots};
use crate::node::{NodeType, decode_id, decode_id_of};
use crate::paging::{PageArgs, Sort, SortKey};
use crate::types::order::{PhotoOrder, PostOrder, TagOrder, UserOrder};
use crate::types::photo::PhotoFilterInput;
use crate::types::post::PostFilterInput;
use crate::types::tag::TagFilterInput;
use crate::types::user::UserFilterInput;
use crate::types::{
    Connection, Node, Photo, Post, Profile, Tag, User, connection, connection_complexity, loaders,
    slice_of,
};
use crate::viewer::Viewer;

/// The most ids `nodes(ids:)` takes at once.
pub const MAX_NODES: usize = 100;

/// The root of every query.
pub struct Query;

/// The root of every query: entry points into the graph of users, posts, photos and tags.
#[Object]
impl Query {
    /// The signed-in user, or null for an anonymous caller.
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let viewer = ctx.data_opt::<Viewer>().copied().unwrap_or_default();
        let Some(id) = viewer.user_id else {
            return Ok(None);
        };
        Ok(by_id::<user::Entity>(ctx, id).await?.map(User::from))
    }

    /// Fetches any object by its global id; null if it does not exist.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let (node_type, row) = decode_id(&id, "id").gql()?;
        node(ctx, node_type, row).await
    }

    /// Fetches several objects by their global ids, in the order given; null
    /// where one does not exist. At most 100 ids.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The objects' global ids (at most 100).")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::PageTooLarge {
                field: "ids".into(),
                requested: i64::try_from(ids.len()).unwrap_or(i64::MAX),
                max: MAX_NODES as u64,
            })
            .gql();
        }
        let decoded = ids
            .iter()
            .map(|id| decode_id(id, "ids"))
            .collect::<Result<Vec<_>, _>>()
            .gql()?;
        // Every lookup goes to the request's loaders: one statement per type.
        futures_join_all(decoded.into_iter().map(|(t, row)| node(ctx, t, row))).await
    }

    /// A user by username; null if there is none.
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The username, as written at registration.")] username: String,
    ) -> ApiResult<Option<User>> {
        let key = ByUnique::<user::Entity>::new("username", crate::validate::normalize(&username));
        Ok(loaders(ctx)?
            .relations
            .load_one(key)
            .await
            .gql()?
            .map(User::from))
    }

    /// Every user, oldest account first unless `orderBy` says otherwise.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per GraphQL argument"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first N users (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the users after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last N users (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return the users before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only the users that match.")] filter: Option<UserFilterInput>,
        #[graphql(desc = "The order of the users.")] order_by: Option<UserOrder>,
    ) -> ApiResult<Connection<User>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let filter: UserFilter = filter.unwrap_or_default().into();
        roots::<user::Entity, _, _, _>(ctx, args, filter, UserOrder::sort(order_by), User::from)
            .await
    }

    /// A post by its global id; null if there is none.
    async fn post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's global id.")] id: ID,
    ) -> ApiResult<Option<Post>> {
        let row = decode_id_of(&id, NodeType::Post, "id").gql()?;
        Ok(by_id::<post::Entity>(ctx, row).await?.map(Post))
    }

    /// Every post, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per GraphQL argument"
    )]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first N posts (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the posts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last N posts (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return the posts before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only the posts that match.")] filter: Option<PostFilterInput>,
        #[graphql(desc = "The order of the posts.")] order_by: Option<PostOrder>,
    ) -> ApiResult<Connection<Post>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let filter: PostFilter = PostFilterInput::resolve(filter)?;
        roots::<post::Entity, _, _, _>(ctx, args, filter, PostOrder::sort(order_by), Post).await
    }

    /// A photo by its global id; null if there is none.
    async fn photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] id: ID,
    ) -> ApiResult<Option<Photo>> {
        let row = decode_id_of(&id, NodeType::Photo, "id").gql()?;
        Ok(by_id::<photo::Entity>(ctx, row).await?.map(Photo))
    }

    /// Every photo, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per GraphQL argument"
    )]
    async fn photos(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first N photos (at most 100; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the photos after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last N photos (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return the photos before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only the photos that match.")] filter: Option<PhotoFilterInput>,
        #[graphql(desc = "The order of the photos.")] order_by: Option<PhotoOrder>,
    ) -> ApiResult<Connection<Photo>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let filter = PhotoFilterInput::resolve(filter)?;
        roots::<photo::Entity, _, _, _>(ctx, args, filter, PhotoOrder::sort(order_by), Photo).await
    }

    /// A tag by name (trimmed and lowercased before the lookup); null if there is none.
    async fn tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag's name.")] name: String,
    ) -> ApiResult<Option<Tag>> {
        let key = ByUnique::<tag::Entity>::new("name", crate::validate::normalize(&name));
        Ok(loaders(ctx)?.relations.load_one(key).await.gql()?.map(Tag))
    }

    /// Every tag, by name unless `orderBy` says otherwise.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per GraphQL argument"
    )]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first N tags (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the tags after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last N tags (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return the tags before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only the tags that match.")] filter: Option<TagFilterInput>,
        #[graphql(desc = "The order of the tags.")] order_by: Option<TagOrder>,
    ) -> ApiResult<Connection<Tag>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let filter: TagFilter = filter.unwrap_or_default().into();
        roots::<tag::Entity, _, _, _>(ctx, args, filter, TagOrder::sort(order_by), Tag).await
    }
}

/// The object of type `node_type` with row id `row`, through the loaders.
async fn node(ctx: &Context<'_>, node_type: NodeType, row: i32) -> ApiResult<Option<Node>> {
    Ok(match node_type {
        NodeType::User => by_id::<user::Entity>(ctx, row)
            .await?
            .map(|m| Node::User(User::from(m))),
        NodeType::Profile => by_id::<profile::Entity>(ctx, row)
            .await?
            .map(|m| Node::Profile(Profile(m))),
        NodeType::Post => by_id::<post::Entity>(ctx, row)
            .await?
            .map(|m| Node::Post(Post(m))),
        NodeType::Photo => by_id::<photo::Entity>(ctx, row)
            .await?
            .map(|m| Node::Photo(Photo(m))),
        NodeType::Tag => by_id::<tag::Entity>(ctx, row)
            .await?
            .map(|m| Node::Tag(Tag(m))),
    })
}

/// The row `id` of `E`, batched with every other lookup of `E` in the request.
async fn by_id<E>(ctx: &Context<'_>, id: i32) -> ApiResult<Option<E::Model>>
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

/// One page of a root list.
async fn roots<E, F, K, N>(
    ctx: &Context<'_>,
    args: PageArgs,
    filter: F,
    sort: Sort<K>,
    wrap: impl Fn(E::Model) -> N,
) -> ApiResult<Connection<N>>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
    F: Filter<E>,
    K: SortKey<E>,
    N: async_graphql::OutputType + Clone,
    crate::types::connection::Edge<N>: async_graphql::OutputType,
{
    let slice = slice_of::<E, F, K>(ctx, &args, filter, sort)?;
    let page = slice.page.clone();
    let db = &loaders(ctx)?.relations.loader().db;
    let window = page_of_roots::<E, F, K>(db, &slice).await.gql()?;
    Ok(connection(window, &page, sort, wrap))
}

/// Awaits every future, in order, stopping at the first error.
async fn futures_join_all<T>(
    futures: impl Iterator<Item = impl std::future::Future<Output = ApiResult<T>>>,
) -> ApiResult<Vec<T>> {
    let results = futures_util::future::join_all(futures).await;
    results.into_iter().collect()
}
