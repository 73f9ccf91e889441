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
    /// The e-mail address as the user typed it (trimmed).
    pub email: String,
    /// The e-mail's comparable form ([`email_key`]): what sign-in looks the
    /// address up by, and what is unique. Compared byte for byte on every
    /// backend, so that every backend tells two addresses apart the same way.
    #[sea_orm(unique)]
    pub email_key: String,
    /// The argon2id hash of the password, as a PHC string. Never leaves the server.
    pub password_hash: String,
    /// When the user registered (UTC).
    pub created_at: DateTimeUtc,
    /// When the user was last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// The comparable form of an e-mail address: trimmed and lowercased by
/// Unicode's rules (`Ærik@Example.com` and `ærik@example.com` are one
/// address). Made here rather than by the database, whose case rules differ
/// by backend; every write of `email` writes this beside it.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The longest [`email_key`] the column holds, in characters.
pub const EMAIL_KEY_MAX: usize = 512;

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
