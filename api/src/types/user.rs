//! `User`: a registered user, with their profile, posts and photos.

use async_graphql::{Context, ID};
use chrono::{DateTime, Utc};
use entity::{comment, photo, post, profile, user};

use super::columns::One;
use super::inputs::comment::{CommentFilterInput, CommentOrder};
use super::inputs::photo::{PhotoFilterInput, PhotoOrder};
use super::inputs::post::{PostFilterInput, PostOrder};
use super::{Comment, Photo, Post, Profile, load_count, load_one, object_with_connections};
use crate::error::ApiResult;
use crate::plan::fields;
use crate::types::node::{NodeType, encode_id};
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

object_with_connections! {
    /// A registered user of Folio.
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
        async fn profile(&self, ctx: &Context<'_>) -> ApiResult<Option<One<Profile>>> {
            Ok(load_one::<user::Entity, profile::Entity>(ctx, &self.model)
                .await?
                .map(|row| One(Profile(row))))
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
    connections {
        /// The posts the user wrote, newest first unless `orderBy` says otherwise.
        posts: Post by user::Entity => post::Entity, PostFilterInput, PostOrder;
        /// The photos the user published, newest first unless `orderBy` says otherwise.
        photos: Photo by user::Entity => photo::Entity, PhotoFilterInput, PhotoOrder;
        /// The comments the user wrote, oldest first unless `orderBy` says otherwise.
        comments: Comment by user::Entity => comment::Entity, CommentFilterInput, CommentOrder;
    }
}

super::columns::columns!(User {
    "id" => id,
    "databaseId" => database_id,
    "username" => username,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

impl super::ahead::LoadAhead for User {
    type Entity = user::Entity;

    fn field<'a>(
        ctx: &'a Context<'a>,
        field: async_graphql::SelectionField<'a>,
        rows: &'a [&'a user::Model],
    ) -> Option<futures_util::future::BoxFuture<'a, ()>> {
        use super::ahead::{connection, count, to_one};
        match field.name() {
            "profile" => to_one::<user::Entity, profile::Entity, Profile>(ctx, field, rows),
            "postCount" => count::<user::Entity, post::Entity>(ctx, rows),
            "photoCount" => count::<user::Entity, photo::Entity>(ctx, rows),
            "posts" => connection::<user::Entity, post::Entity, PostFilterInput, PostOrder, Post>(
                ctx, field, rows,
            ),
            "photos" => {
                connection::<user::Entity, photo::Entity, PhotoFilterInput, PhotoOrder, Photo>(
                    ctx, field, rows,
                )
            }
            "comments" => {
                connection::<user::Entity, comment::Entity, CommentFilterInput, CommentOrder, Comment>(
                    ctx, field, rows,
                )
            }
            _ => None,
        }
    }
}

crate::plan::declare! {
    User: user::Model, interfaces ["Node"] {
        "id" => value(|row, _| encode_id(NodeType::User, row.id)),
        "databaseId" => value(|row, _| row.id),
        "username" => value(|row, _| row.username.as_str()),
        // Its owner's only, as the resolver decides.
        "email" => value(|row, env| env.viewer.is(row.id).then_some(row.email.as_str())),
        "createdAt" => value(|row, _| row.created_at),
        "updatedAt" => value(|row, _| row.updated_at),
        "profile" => relation(fields::to_one::<user::Entity, profile::Entity, Profile>),
        "postCount" => relation(fields::count::<user::Entity, post::Entity>),
        "photoCount" => relation(fields::count::<user::Entity, photo::Entity>),
        "posts" => relation(fields::connection::<user::Entity, post::Entity, PostFilterInput, PostOrder, Post>),
        "photos" => relation(fields::connection::<user::Entity, photo::Entity, PhotoFilterInput, PhotoOrder, Photo>),
        "comments" => relation(fields::connection::<user::Entity, comment::Entity, CommentFilterInput, CommentOrder, Comment>),
    }
}
