//! The root `Mutation`: every write clients can make, one file per concept,
//! merged into one root type.
//!
//! Each mutation validates its whole input before it writes anything, checks
//! who the caller is and that they own what they change, then calls the
//! write layer (`crate::write`) and wraps the entity it returns. No SQL is
//! built here. Payloads return the changed object so that clients can update
//! their caches.

mod account;
mod comment;
mod photo;
mod post;

use async_graphql::{Context, ID, MergedObject, SimpleObject};
use sea_orm::{DatabaseConnection, EntityTrait, FromQueryResult};

use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::types::loaders;
use crate::types::node::{NodeType, decode_id_of, encode_id};
use crate::viewer::Viewer;

pub use account::{AuthPayload, LoginInput, ProfileInput, RegisterInput};

/// The root of every mutation: registering, signing in, and changing what the signed-in user owns.
#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AccountMutation,
    post::PostMutation,
    photo::PhotoMutation,
    comment::CommentMutation,
);

/// The id of what was deleted.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The global id of the deleted object.
    pub deleted_id: ID,
}

/// The request's database connection.
fn db<'a>(ctx: &Context<'a>) -> ApiResult<&'a DatabaseConnection> {
    Ok(&loaders(ctx)?.relations.loader().db)
}

/// The photos write service over the request's database and media store.
fn photos<'a>(ctx: &Context<'a>) -> ApiResult<crate::photos::Photos<'a>> {
    Ok(crate::photos::Photos {
        db: db(ctx)?,
        media: media(ctx)?,
    })
}

/// The image store the schema was built with.
fn media<'a>(ctx: &Context<'a>) -> ApiResult<&'a std::sync::Arc<crate::media::Media>> {
    ctx.data::<std::sync::Arc<crate::media::Media>>()
        .map_err(|_| ApiError::Internal("no media store in the schema".into()))
        .gql()
}

/// The signed-in user's id, or `UNAUTHENTICATED` (no token, or the account
/// it names is gone).
async fn viewer_id(ctx: &Context<'_>) -> ApiResult<i32> {
    let id = ctx
        .data_opt::<Viewer>()
        .and_then(|v| v.user_id)
        .ok_or_else(|| {
            ApiError::Unauthenticated("sign in first: send Authorization: Bearer <token>".into())
        })
        .gql()?;
    // A token outlives an account deleted meanwhile; its writes would fail on
    // a foreign key, so they are refused for what they are.
    match crate::types::by_id::<entity::user::Entity>(ctx, id).await? {
        Some(_) => Ok(id),
        None => Err(ApiError::Unauthenticated(
            "the account this token signs in no longer exists: sign in again".into(),
        ))
        .gql(),
    }
}

/// `BAD_USER_INPUT` on `input` unless at least one field is given.
fn some_change(given: &[bool]) -> ApiResult<()> {
    if given.iter().any(|g| *g) {
        return Ok(());
    }
    Err(ApiError::bad_input(
        "input",
        "give at least one field to change",
    ))
    .gql()
}

/// The row of `E` that the global id `id` (of `node_type`, argument `field`)
/// names: `NOT_FOUND` when it does not exist.
async fn existing<E>(
    ctx: &Context<'_>,
    id: &ID,
    node_type: NodeType,
    field: &str,
) -> ApiResult<E::Model>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    let row = decode_id_of(id, node_type, field).gql()?;
    crate::write::find::<E>(db(ctx)?, row)
        .await
        .gql()?
        .ok_or_else(|| ApiError::NotFound(node_type.name().to_lowercase()))
        .gql()
}

/// The row of `E` that `id` names, if the signed-in user owns it (`owner`
/// reads the owner's id from the row): `NOT_FOUND` when it does not exist,
/// `FORBIDDEN` when another user owns it.
async fn owned<E>(
    ctx: &Context<'_>,
    id: &ID,
    node_type: NodeType,
    field: &str,
    owner: impl Fn(&E::Model) -> i32,
) -> ApiResult<E::Model>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    let viewer = viewer_id(ctx).await?;
    let found = existing::<E>(ctx, id, node_type, field).await?;
    if owner(&found) != viewer {
        return Err(ApiError::Forbidden(format!(
            "only its owner may change this {}",
            node_type.name().to_lowercase()
        )))
        .gql();
    }
    Ok(found)
}

/// Deletes the row of `E` behind `id` once the caller may (the caller
/// checked); rows that reference it go by the foreign keys' cascade.
async fn delete<E>(ctx: &Context<'_>, row: i32, node_type: NodeType) -> ApiResult<DeletePayload>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
{
    crate::write::delete::<E>(db(ctx)?, row).await.gql()?;
    Ok(DeletePayload {
        deleted_id: encode_id(node_type, row),
    })
}
