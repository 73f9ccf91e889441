//! `Profile`: the one profile a user may have.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::{profile, user};

use super::columns::One;
use super::{User, load_required};
use crate::error::ApiResult;
use crate::types::node::{NodeType, encode_id};

/// A user's public profile.
#[derive(Clone, Debug)]
pub struct Profile(pub profile::Model);

impl From<profile::Model> for Profile {
    fn from(model: profile::Model) -> Self {
        Profile(model)
    }
}

/// A user's public profile.
#[Object]
impl Profile {
    /// The profile's opaque global id.
    pub async fn id(&self) -> ID {
        encode_id(NodeType::Profile, self.0.id)
    }

    /// The profile's row id.
    async fn database_id(&self) -> i32 {
        self.0.id
    }

    /// The name shown for the user.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// A few words the user writes about themselves.
    async fn bio(&self) -> &str {
        &self.0.bio
    }

    /// The address of the user's avatar picture, if they set one.
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    /// When the profile was created (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the profile was last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The user the profile belongs to.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<One<User>> {
        Ok(One(User::from(
            load_required::<profile::Entity, user::Entity>(ctx, &self.0).await?,
        )))
    }
}

super::columns::columns!(Profile {
    "id" => id,
    "databaseId" => database_id,
    "displayName" => display_name,
    "bio" => bio,
    "avatarUrl" => avatar_url,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

impl super::ahead::LoadAhead for Profile {
    type Entity = profile::Entity;

    fn field<'a>(
        ctx: &'a Context<'a>,
        field: async_graphql::SelectionField<'a>,
        rows: &'a [&'a profile::Model],
    ) -> Option<futures_util::future::BoxFuture<'a, ()>> {
        match field.name() {
            "user" => super::ahead::to_one::<profile::Entity, user::Entity, User>(ctx, field, rows),
            _ => None,
        }
    }
}

crate::plan::declare! {
    Profile: profile::Model, interfaces ["Node"] {
        "id" => value(|row, _| encode_id(NodeType::Profile, row.id)),
        "databaseId" => value(|row, _| row.id),
        "displayName" => value(|row, _| row.display_name.as_str()),
        "bio" => value(|row, _| row.bio.as_str()),
        "avatarUrl" => value(|row, _| row.avatar_url.as_deref()),
        "createdAt" => value(|row, _| row.created_at),
        "updatedAt" => value(|row, _| row.updated_at),
        "user" => relation(crate::plan::fields::required::<profile::Entity, user::Entity, User>),
    }
}
