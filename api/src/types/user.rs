//! `User`: a registered user, with their profile, posts and photos.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{photo, post, profile, user};

use super::order::{PhotoOrder, PostOrder};
use super::photo::PhotoFilterInput;
use super::post::PostFilterInput;
use super::{
    Connection, Photo, Post, Profile, connection_complexity, load_connection, load_count, load_one,
};
use crate::error::ApiResult;
use crate::node::{NodeType, encode_id};
use crate::paging::PageArgs;
use crate::viewer::Viewer;

/// A registered user of Folio.
#[derive(Clone, Debug)]
pub struct User {
    /// The row; its `password_hash` is always blank here.
    pub model: user::Model,
    /// Shown to the user who just signed in (`register`, `login`), whose
    /// request carried no token yet: their own e-mail is theirs to see.
    pub signed_in_now: bool,
}

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        User {
            model,
            signed_in_now: false,
        }
    }
}

/// Which users to list.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "UserFilter")]
pub struct UserFilterInput {
    /// Only users whose username starts with this.
    pub username_prefix: Option<String>,
}

impl From<UserFilterInput> for crate::filter::UserFilter {
    fn from(input: UserFilterInput) -> Self {
        crate::filter::UserFilter {
            username_prefix: input
                .username_prefix
                .as_deref()
                .map(crate::validate::normalize),
        }
    }
}

/// A registered user of Folio.
#[Object]
impl User {
    /// The user's opaque global id.
    pub async fn id(&self) -> ID {
        encode_id(NodeType::User, self.model.id)
    }

    /// The user's row id.
    async fn database_id(&self) -> i32 {
        self.model.id
    }

    /// The unique handle: 3 to 32 characters of a-z, 0-9 and `_`.
    async fn username(&self) -> &str {
        &self.model.username
    }

    /// The user's e-mail address: visible to that user only, null for anyone else.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        let viewer = ctx.data_opt::<Viewer>().copied().unwrap_or_default();
        (self.signed_in_now || viewer.is(self.model.id)).then_some(self.model.email.as_str())
    }

    /// When the user registered (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }

    /// When the user was last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    /// The user's profile, or null if they have not written one.
    async fn profile(&self, ctx: &Context<'_>) -> ApiResult<Option<Profile>> {
        Ok(load_one::<user::Entity, profile::Entity>(ctx, &self.model)
            .await?
            .map(Profile))
    }

    /// The posts the user wrote, newest first unless `orderBy` says otherwise.
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
        let filter = PostFilterInput::resolve(filter)?;
        load_connection::<user::Entity, post::Entity, _, _, _>(
            ctx,
            self.model.id,
            args,
            filter,
            PostOrder::sort(order_by),
            Post,
        )
        .await
    }

    /// The photos the user published, newest first unless `orderBy` says otherwise.
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
        load_connection::<user::Entity, photo::Entity, _, _, _>(
            ctx,
            self.model.id,
            args,
            filter,
            PhotoOrder::sort(order_by),
            Photo,
        )
        .await
    }

    /// How many posts the user wrote.
    async fn post_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        load_count::<user::Entity, post::Entity>(ctx, self.model.id).await
    }

    /// How many photos the user published.
    async fn photo_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        load_count::<user::Entity, photo::Entity>(ctx, self.model.id).await
    }
}
