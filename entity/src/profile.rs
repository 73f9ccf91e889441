//! `profiles`: the one profile a user may have (one-to-one with `users`).

use sea_orm::entity::prelude::*;

/// A user's public profile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profiles")]
pub struct Model {
    /// The row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The user this profile belongs to; a user has at most one profile.
    #[sea_orm(unique)]
    pub user_id: i32,
    /// The name shown for the user.
    pub display_name: String,
    /// A few words the user writes about themselves.
    pub bio: String,
    /// The address of the user's avatar picture, if they set one.
    pub avatar_url: Option<String>,
    /// When the profile was created (UTC).
    pub created_at: DateTimeUtc,
    /// When the profile was last changed (UTC).
    pub updated_at: DateTimeUtc,
}

/// The relations of a profile.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// One-to-one, inverse: the user who owns the profile.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

crate::timestamp::keep_timestamps!(created_at, updated_at);
