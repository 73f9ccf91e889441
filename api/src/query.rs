//! The root `Query`: entry points into the graph. Thin: it validates
//! arguments and hands over to the loaders and the types.

use std::sync::Arc;

use async_graphql::{Context, ID, MergedObject, Object, QueryPathSegment};
use entity::{photo, post, tag, user};

use crate::document::types::{ConcreteTypes, Step};
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::loader::ByUnique;
use crate::plan::root;
use crate::types::inputs::photo::{PhotoFilterInput, PhotoOrder};
use crate::types::inputs::post::{PostFilterInput, PostOrder};
use crate::types::inputs::tag::{TagFilterInput, TagOrder};
use crate::types::inputs::user::{UserFilterInput, UserOrder};
use crate::types::node::{NodeType, decode_id, decode_id_of};
use crate::types::{
    Node, Photo, Post, Tag, User, by_id, load_node, loaders, object_with_connections,
};
use crate::viewer::Viewer;

/// The most ids `nodes(ids:)` takes at once.
pub const MAX_NODES: usize = 100;

/// The root of every query: entry points into the graph of users, posts, photos and tags.
#[derive(MergedObject, Default)]
pub struct Query(Entries, Lookups);

/// The entry points by name and the root lists.
#[derive(Default)]
pub struct Entries;

/// The lookups by global id, apart from the other entry points because
/// `nodes` is costed by how many ids it is given (a field written inside
/// `object_with_connections!` cannot name its children's complexity).
#[derive(Default)]
pub struct Lookups;

#[Object]
impl Lookups {
    /// Fetches any object by its global id; null if it does not exist.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let (node_type, row) = decode_id(&id, "id").gql()?;
        let node = load_node(ctx, node_type, row).await?;
        if node.is_some() {
            record_type(ctx, None, node_type);
        }
        Ok(node)
    }

    /// Fetches several objects by their global ids, in the order given; null
    /// where one does not exist. At most 100 ids.
    #[graphql(complexity = "ids.len().max(1).saturating_mul(child_complexity)")]
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
        let nodes = futures_util::future::try_join_all(
            decoded.iter().map(|&(t, row)| load_node(ctx, t, row)),
        )
        .await?;
        for (i, (node, (node_type, _))) in nodes.iter().zip(&decoded).enumerate() {
            if node.is_some() {
                record_type(ctx, Some(i), *node_type);
            }
        }
        Ok(nodes)
    }
}

/// Tells the pipeline the concrete type of the `Node` at this field (or at
/// its item `index`), which orders its fields by the selections on its type.
fn record_type(ctx: &Context<'_>, index: Option<usize>, node_type: NodeType) {
    let Some(concrete) = ctx.data_opt::<Arc<ConcreteTypes>>() else {
        return;
    };
    let mut path: Vec<Step> = std::iter::successors(ctx.path_node.as_ref(), |node| node.parent)
        .map(|node| match node.segment {
            QueryPathSegment::Index(i) => Step::Index(i),
            QueryPathSegment::Name(name) => Step::Key(name.to_owned()),
        })
        .collect();
    path.reverse();
    path.extend(index.map(Step::Index));
    concrete.record(path, node_type.name());
}

object_with_connections! {
    /// The entry points by name and the root lists.
    impl Entries {
        /// The signed-in user, or null for an anonymous caller.
        async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
            let viewer = ctx.data_opt::<Viewer>().copied().unwrap_or_default();
            let Some(id) = viewer.user_id else {
                return Ok(None);
            };
            Ok(by_id::<user::Entity>(ctx, id).await?.map(User::from))
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

        /// A post by its global id; null if there is none.
        async fn post(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "The post's global id.")] id: ID,
        ) -> ApiResult<Option<Post>> {
            let row = decode_id_of(&id, NodeType::Post, "id").gql()?;
            Ok(by_id::<post::Entity>(ctx, row).await?.map(Post))
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

        /// A tag by name (trimmed and lowercased before the lookup); null if there is none.
        async fn tag(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "The tag's name.")] name: String,
        ) -> ApiResult<Option<Tag>> {
            let key = ByUnique::<tag::Entity>::new("name", crate::validate::normalize(&name));
            Ok(loaders(ctx)?
                .relations
                .load_one(key)
                .await
                .gql()?
                .map(Tag::from))
        }
    }
    connections {
        /// Every user, oldest account first unless `orderBy` says otherwise.
        users: User roots user::Entity, UserFilterInput, UserOrder;
        /// Every post, newest first unless `orderBy` says otherwise.
        posts: Post roots post::Entity, PostFilterInput, PostOrder;
        /// Every photo, newest first unless `orderBy` says otherwise.
        photos: Photo roots photo::Entity, PhotoFilterInput, PhotoOrder;
        /// Every tag, by name unless `orderBy` says otherwise.
        tags: Tag roots tag::Entity, TagFilterInput, TagOrder;
    }
}

crate::plan::declare! {
    Query: (), interfaces [] {
        "users" => relation(root::roots::<user::Entity, UserFilterInput, UserOrder, User>),
        "posts" => relation(root::roots::<post::Entity, PostFilterInput, PostOrder, Post>),
        "photos" => relation(root::roots::<photo::Entity, PhotoFilterInput, PhotoOrder, Photo>),
        "tags" => relation(root::roots::<tag::Entity, TagFilterInput, TagOrder, Tag>),
        "user" => relation(root::unique::<user::Entity, User>("username", "username", crate::validate::normalize)),
        "tag" => relation(root::unique::<tag::Entity, Tag>("name", "name", crate::validate::normalize)),
        "post" => relation(root::by_id::<post::Entity, Post>(|id| decode_id_of(id, NodeType::Post, "id").ok())),
        "photo" => relation(root::by_id::<photo::Entity, Photo>(|id| decode_id_of(id, NodeType::Photo, "id").ok())),
        "viewer" => relation(root::viewer::<user::Entity, User>),
    }
}
