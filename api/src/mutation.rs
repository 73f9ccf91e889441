//! The root `Mutation`: every write clients can make.
//!
//! Each mutation validates its whole input before it writes anything, checks
//! who the caller is and that they own what they change, and runs in one
//! transaction when it writes more than one row. Unique values (usernames,
//! e-mails, tag names) are decided by the database's constraints, never by
//! a read before the write. Payloads return the changed object so that
//! clients can update their caches.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::{photo, photo_tag, post, profile, tag, user};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};

use crate::auth::{self, Tokens};
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::loader::find_where;
use crate::node::{NodeType, decode_id_of, encode_id};
use crate::types::{Photo, Post, Profile, User, loaders};
use crate::validate;
use crate::viewer::Viewer;

/// The most tags one photo may carry.
pub const MAX_TAGS_PER_PHOTO: usize = 30;

/// The root of every mutation.
pub struct Mutation;

/// What `register` needs.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The handle: 3 to 32 characters of a-z, 0-9 and `_`; unique.
    pub username: String,
    /// An e-mail address; unique whatever its case.
    pub email: String,
    /// At least 8 characters.
    pub password: String,
}

/// What `login` needs.
#[derive(InputObject)]
pub struct LoginInput {
    /// The username or the e-mail address.
    pub login: String,
    /// The password.
    pub password: String,
}

/// A signed-in user and their token.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`; it expires (24 hours by default).
    pub token: String,
    /// The signed-in user.
    pub user: User,
}

/// The signed-in user's profile, created or changed.
#[derive(InputObject, Default)]
pub struct ProfileInput {
    /// The name shown for the user: 1 to 100 characters (default when creating: the username).
    pub display_name: Option<String>,
    /// A few words about the user: at most 1,000 characters (default when creating: empty).
    pub bio: Option<String>,
    /// The avatar picture's http(s) address; an empty string removes it.
    pub avatar_url: Option<String>,
}

/// A new post.
#[derive(InputObject)]
pub struct CreatePostInput {
    /// The title: 1 to 200 characters.
    pub title: String,
    /// The text: at most 100,000 characters.
    pub body: String,
}

/// Changes to a post; give at least one field.
#[derive(InputObject)]
pub struct UpdatePostInput {
    /// A new title: 1 to 200 characters.
    pub title: Option<String>,
    /// A new text: at most 100,000 characters.
    pub body: Option<String>,
}

/// A new photo.
#[derive(InputObject)]
pub struct CreatePhotoInput {
    /// The image file's name: 1 to 255 characters.
    pub filename: String,
    /// A caption: at most 2,000 characters.
    pub caption: Option<String>,
    /// Tag names (trimmed, lowercased; 1 to 50 of a-z, 0-9, `-`, `_`); missing tags are created.
    #[graphql(default)]
    pub tags: Vec<String>,
}

/// Changes to a photo; give at least one field.
#[derive(InputObject)]
pub struct UpdatePhotoInput {
    /// A new file name: 1 to 255 characters.
    pub filename: Option<String>,
    /// A new caption (at most 2,000 characters); an empty string removes it.
    pub caption: Option<String>,
}

/// The id of what was deleted.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The global id of the deleted object.
    pub deleted_id: ID,
}

/// The root of every mutation: registering, signing in, and changing what the signed-in user owns.
#[Object]
impl Mutation {
    /// Creates an account and signs it in. `CONFLICT` (field `username` or
    /// `email`) when either is taken.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account.")] input: RegisterInput,
    ) -> ApiResult<AuthPayload> {
        let username = validate::username("input.username", &input.username).gql()?;
        let email = validate::email("input.email", &input.email).gql()?;
        validate::password("input.password", &input.password).gql()?;
        let password = input.password;
        let hash = auth::blocking(move || auth::hash_password(&password))
            .await
            .gql()?
            .gql()?;
        let created = user::ActiveModel {
            username: Set(username),
            email: Set(email),
            password_hash: Set(hash),
            ..Default::default()
        }
        .insert(db(ctx)?)
        .await
        .gql()?;
        signed_in(ctx, created)
    }

    /// Signs in with a username or e-mail and a password. A failed login says
    /// only that the credentials are wrong, and takes as long whether or not
    /// the user exists.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The credentials.")] input: LoginInput,
    ) -> ApiResult<AuthPayload> {
        let login = input.login.trim().to_owned();
        let column = if login.contains('@') {
            user::Column::Email
        } else {
            user::Column::Username
        };
        let found = user::Entity::find()
            .filter(
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(column)))
                    .eq(login.to_lowercase()),
            )
            .one(db(ctx)?)
            .await
            .gql()?;
        let hash = found
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| auth::DECOY_HASH.clone());
        let password = input.password;
        let matches = auth::blocking(move || auth::verify_password(&hash, &password))
            .await
            .gql()?;
        match found {
            Some(user) if matches => signed_in(ctx, user),
            _ => Err(ApiError::Unauthenticated(
                "wrong username, e-mail or password".into(),
            ))
            .gql(),
        }
    }

    /// Creates the signed-in user's profile, or changes the fields given.
    async fn update_viewer_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to set.")] input: ProfileInput,
    ) -> ApiResult<Profile> {
        let viewer = viewer_id(ctx)?;
        let display_name = input
            .display_name
            .map(|v| validate::text("input.displayName", &v, 1, 100))
            .transpose()
            .gql()?;
        let bio = input
            .bio
            .map(|v| validate::text("input.bio", &v, 0, 1000))
            .transpose()
            .gql()?;
        let avatar_url = input
            .avatar_url
            .map(|v| match v.trim() {
                "" => Ok(None),
                url => validate::url("input.avatarUrl", url).map(Some),
            })
            .transpose()
            .gql()?;
        if display_name.is_none() && bio.is_none() && avatar_url.is_none() {
            return Err(ApiError::bad_input(
                "input",
                "give at least one field to change",
            ))
            .gql();
        }
        let db = db(ctx)?;
        let owner = user_by_id(db, viewer).await?;
        // One atomic upsert: two first-time calls racing both succeed, on every backend.
        let mut changed = vec![profile::Column::UpdatedAt];
        if display_name.is_some() {
            changed.push(profile::Column::DisplayName);
        }
        if bio.is_some() {
            changed.push(profile::Column::Bio);
        }
        if avatar_url.is_some() {
            changed.push(profile::Column::AvatarUrl);
        }
        let now = entity::timestamp::now();
        profile::Entity::insert(profile::ActiveModel {
            user_id: Set(viewer),
            display_name: Set(display_name.unwrap_or(owner.username)),
            bio: Set(bio.unwrap_or_default()),
            avatar_url: Set(avatar_url.flatten()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(profile::Column::UserId)
                .update_columns(changed)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .gql()?;
        let saved = profile::Entity::find()
            .filter(profile::Column::UserId.eq(viewer))
            .one(db)
            .await
            .gql()?
            .ok_or_else(|| ApiError::Internal("the upserted profile is missing".into()))
            .gql()?;
        Ok(Profile(saved))
    }

    /// Writes a post as the signed-in user.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new post.")] input: CreatePostInput,
    ) -> ApiResult<Post> {
        let viewer = viewer_id(ctx)?;
        let title = validate::text("input.title", &input.title, 1, 200).gql()?;
        let body = validate::text("input.body", &input.body, 0, 100_000).gql()?;
        let created = post::ActiveModel {
            author_id: Set(viewer),
            title: Set(title),
            body: Set(body),
            ..Default::default()
        }
        .insert(db(ctx)?)
        .await
        .gql()?;
        Ok(Post(created))
    }

    /// Changes a post of the signed-in user's.
    async fn update_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's global id.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdatePostInput,
    ) -> ApiResult<Post> {
        let viewer = viewer_id(ctx)?;
        let row = decode_id_of(&id, NodeType::Post, "id").gql()?;
        let title = input
            .title
            .map(|v| validate::text("input.title", &v, 1, 200))
            .transpose()
            .gql()?;
        let body = input
            .body
            .map(|v| validate::text("input.body", &v, 0, 100_000))
            .transpose()
            .gql()?;
        if title.is_none() && body.is_none() {
            return Err(ApiError::bad_input(
                "input",
                "give at least one field to change",
            ))
            .gql();
        }
        let db = db(ctx)?;
        let found = owned::<post::Entity>(db, row, "post", |p| p.author_id, viewer).await?;
        let mut changed: post::ActiveModel = found.into();
        if let Some(v) = title {
            changed.title = Set(v);
        }
        if let Some(v) = body {
            changed.body = Set(v);
        }
        Ok(Post(changed.update(db).await.gql()?))
    }

    /// Deletes a post of the signed-in user's.
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's global id.")] id: ID,
    ) -> ApiResult<DeletePayload> {
        delete_owned::<post::Entity>(ctx, &id, NodeType::Post, |p| p.author_id).await
    }

    /// Publishes a photo as the signed-in user, with its tags; tags that do not
    /// exist yet are created. All or nothing.
    async fn create_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new photo and its tags.")] input: CreatePhotoInput,
    ) -> ApiResult<Photo> {
        let viewer = viewer_id(ctx)?;
        let filename = validate::text("input.filename", &input.filename, 1, 255).gql()?;
        let caption = caption("input.caption", input.caption).gql()?;
        let tags = validate::tag_names("input.tags", &input.tags, MAX_TAGS_PER_PHOTO).gql()?;
        let txn = db(ctx)?.begin().await.gql()?;
        let created = photo::ActiveModel {
            owner_id: Set(viewer),
            filename: Set(filename),
            caption: Set(caption.flatten()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .gql()?;
        attach_tags(&txn, created.id, &tags).await?;
        txn.commit().await.gql()?;
        Ok(Photo(created))
    }

    /// Changes a photo of the signed-in user's.
    async fn update_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdatePhotoInput,
    ) -> ApiResult<Photo> {
        let viewer = viewer_id(ctx)?;
        let row = decode_id_of(&id, NodeType::Photo, "id").gql()?;
        let filename = input
            .filename
            .map(|v| validate::text("input.filename", &v, 1, 255))
            .transpose()
            .gql()?;
        let caption = caption("input.caption", input.caption).gql()?;
        if filename.is_none() && caption.is_none() {
            return Err(ApiError::bad_input(
                "input",
                "give at least one field to change",
            ))
            .gql();
        }
        let db = db(ctx)?;
        let found = owned::<photo::Entity>(db, row, "photo", |p| p.owner_id, viewer).await?;
        let mut changed: photo::ActiveModel = found.into();
        if let Some(v) = filename {
            changed.filename = Set(v);
        }
        if let Some(v) = caption {
            changed.caption = Set(v);
        }
        Ok(Photo(changed.update(db).await.gql()?))
    }

    /// Deletes a photo of the signed-in user's (and its tag links; tags stay).
    async fn delete_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] id: ID,
    ) -> ApiResult<DeletePayload> {
        delete_owned::<photo::Entity>(ctx, &id, NodeType::Photo, |p| p.owner_id).await
    }

    /// Files a photo of the signed-in user's under these tags, creating
    /// missing ones. Idempotent: a tag the photo already has stays one link.
    async fn tag_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] photo_id: ID,
        #[graphql(desc = "Tag names to add.")] tags: Vec<String>,
    ) -> ApiResult<Photo> {
        let viewer = viewer_id(ctx)?;
        let row = decode_id_of(&photo_id, NodeType::Photo, "photoId").gql()?;
        let tags = validate::tag_names("tags", &tags, MAX_TAGS_PER_PHOTO).gql()?;
        let db = db(ctx)?;
        let found = owned::<photo::Entity>(db, row, "photo", |p| p.owner_id, viewer).await?;
        let txn = db.begin().await.gql()?;
        attach_tags(&txn, row, &tags).await?;
        txn.commit().await.gql()?;
        Ok(Photo(found))
    }

    /// Removes these tags from a photo of the signed-in user's; names it does
    /// not carry are ignored.
    async fn untag_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo's global id.")] photo_id: ID,
        #[graphql(desc = "Tag names to remove.")] tags: Vec<String>,
    ) -> ApiResult<Photo> {
        let viewer = viewer_id(ctx)?;
        let row = decode_id_of(&photo_id, NodeType::Photo, "photoId").gql()?;
        let tags = validate::tag_names("tags", &tags, MAX_TAGS_PER_PHOTO).gql()?;
        let db = db(ctx)?;
        let found = owned::<photo::Entity>(db, row, "photo", |p| p.owner_id, viewer).await?;
        if !tags.is_empty() {
            let tag_ids = tag::Entity::find()
                .filter(tag::Column::Name.is_in(tags))
                .all(db)
                .await
                .gql()?
                .into_iter()
                .map(|t| t.id);
            photo_tag::Entity::delete_many()
                .filter(photo_tag::Column::PhotoId.eq(row))
                .filter(photo_tag::Column::TagId.is_in(tag_ids))
                .exec(db)
                .await
                .gql()?;
        }
        Ok(Photo(found))
    }

    /// Deletes the signed-in user's account with its profile, posts and photos.
    async fn delete_viewer(&self, ctx: &Context<'_>) -> ApiResult<DeletePayload> {
        let viewer = viewer_id(ctx)?;
        let deleted = user::Entity::delete_by_id(viewer)
            .exec(db(ctx)?)
            .await
            .gql()?;
        if deleted.rows_affected == 0 {
            return Err(ApiError::Unauthenticated(
                "the signed-in user no longer exists".into(),
            ))
            .gql();
        }
        Ok(DeletePayload {
            deleted_id: encode_id(NodeType::User, viewer),
        })
    }
}

/// The request's database connection.
fn db<'a>(ctx: &Context<'a>) -> ApiResult<&'a DatabaseConnection> {
    Ok(&loaders(ctx)?.relations.loader().db)
}

/// The signed-in user's id, or `UNAUTHENTICATED`.
fn viewer_id(ctx: &Context<'_>) -> ApiResult<i32> {
    ctx.data_opt::<Viewer>()
        .and_then(|v| v.user_id)
        .ok_or_else(|| {
            ApiError::Unauthenticated("sign in first: send Authorization: Bearer <token>".into())
        })
        .gql()
}

/// The user's token and the user, after register or login.
fn signed_in(ctx: &Context<'_>, user: user::Model) -> ApiResult<AuthPayload> {
    let tokens = ctx
        .data::<std::sync::Arc<Tokens>>()
        .map_err(|_| ApiError::Internal("no token signer in the schema".into()))
        .gql()?;
    let token = tokens.issue(user.id).gql()?;
    Ok(AuthPayload {
        token,
        user: User {
            model: user::Model {
                password_hash: String::new(),
                ..user
            },
            signed_in_now: true,
        },
    })
}

/// The user `id`, secret columns blanked.
async fn user_by_id(db: &impl ConnectionTrait, id: i32) -> ApiResult<user::Model> {
    find_where::<user::Entity>(db, Condition::all().add(user::Column::Id.eq(id)))
        .await
        .gql()?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Unauthenticated("the signed-in user no longer exists".into()))
        .gql()
}

/// The row `id` of `E` if `viewer` owns it: `NOT_FOUND` when it does not
/// exist, `FORBIDDEN` when another user owns it.
async fn owned<E>(
    db: &impl ConnectionTrait,
    id: i32,
    what: &str,
    owner: impl Fn(&E::Model) -> i32,
    viewer: i32,
) -> ApiResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
{
    let found = E::find_by_id(id)
        .one(db)
        .await
        .gql()?
        .ok_or_else(|| ApiError::NotFound(what.to_owned()))
        .gql()?;
    if owner(&found) != viewer {
        return Err(ApiError::Forbidden(format!(
            "only its owner may change this {what}"
        )))
        .gql();
    }
    Ok(found)
}

/// Deletes the row of `E` that the global id `id` (of `node_type`) names, if
/// the caller owns it; related rows go with it by the foreign keys' cascade.
async fn delete_owned<E>(
    ctx: &Context<'_>,
    id: &ID,
    node_type: NodeType,
    owner: impl Fn(&E::Model) -> i32,
) -> ApiResult<DeletePayload>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
{
    let viewer = viewer_id(ctx)?;
    let row = decode_id_of(id, node_type, "id").gql()?;
    let db = db(ctx)?;
    let what = node_type.name().to_lowercase();
    owned::<E>(db, row, &what, owner, viewer).await?;
    E::delete_by_id(row).exec(db).await.gql()?;
    Ok(DeletePayload {
        deleted_id: encode_id(node_type, row),
    })
}

/// A caption input: `None` leaves it, `Some(None)` clears it (empty string).
fn caption(field: &str, value: Option<String>) -> Result<Option<Option<String>>, ApiError> {
    value
        .map(|v| {
            let text = validate::text(field, &v, 0, 2000)?;
            Ok(if text.is_empty() { None } else { Some(text) })
        })
        .transpose()
}

/// Links photo `photo_id` to the tags `names` (normalized), creating missing
/// tags; links that exist already are left as they are. Run inside a transaction.
async fn attach_tags(db: &impl ConnectionTrait, photo_id: i32, names: &[String]) -> ApiResult<()> {
    if names.is_empty() {
        return Ok(());
    }
    let now = entity::timestamp::now();
    tag::Entity::insert_many(names.iter().map(|name| tag::ActiveModel {
        name: Set(name.clone()),
        created_at: Set(now),
        ..Default::default()
    }))
    .on_conflict_do_nothing_on([tag::Column::Name])
    .exec_without_returning(db)
    .await
    .gql()?;
    let tag_ids: Vec<i32> = tag::Entity::find()
        .filter(tag::Column::Name.is_in(names.iter().cloned()))
        .all(db)
        .await
        .gql()?
        .into_iter()
        .map(|t| t.id)
        .collect();
    photo_tag::Entity::insert_many(tag_ids.into_iter().map(|tag_id| photo_tag::ActiveModel {
        photo_id: Set(photo_id),
        tag_id: Set(tag_id),
        created_at: Set(now),
    }))
    .on_conflict_do_nothing_on([photo_tag::Column::PhotoId, photo_tag::Column::TagId])
    .exec_without_returning(db)
    .await
    .gql()?;
    Ok(())
}
