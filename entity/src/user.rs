//! `users`: the people who write posts and publish photos.

use sea_orm::entity::prelude::*;

/// A registered user of Folio.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// The row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The unique handle: 3 to 32 characters of a-z, 0-9 and `_`.
    #[sea_orm(unique)]
    pub username: String,
    /// The e-mail address; unique, compared case-insensitively.
    #[sea_orm(unique)]
    pub email: String,
    /// The argon2id hash of the password, as a PHC string. Never leaves the server.
    pub password_hash: String,
    /// When the user registered (UTC).
    pub created_at: DateTimeUtc,
    /// When the user was last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// The relations of a user.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// One-to-one: the user's profile, if one was written.
    #[sea_orm(has_one = "super::profile::Entity")]
    Profile,
    /// One-to-many: the posts the user wrote.
    #[sea_orm(has_many = "super::post::Entity")]
    Posts,
    /// One-to-many: the photos the user published.
    #[sea_orm(has_many = "super::photo::Entity")]
    Photos,
}

impl Related<super::profile::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Profile.def()
    }
}

impl Related<super::post::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Posts.def()
    }
}

impl Related<super::photo::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Photos.def()
    }
}

crate::timestamp::keep_timestamps!(created_at, updated_at);
