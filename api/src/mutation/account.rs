//! Accounts: registering, signing in, the one profile, and leaving.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::{limits, user};
use sea_orm::Set;

use super::{DeletePayload, db, some_change, viewer_id};
use crate::auth::{self, Tokens};
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::types::node::{NodeType, encode_id};
use crate::types::{Profile, User};
use crate::{validate, write};

/// What `register` needs.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The handle: 3 to 32 characters of a-z, 0-9 and `_`; unique.
    pub username: String,
    /// An e-mail address; unique whatever its case.
    pub email: String,
    /// 8 to 256 characters.
    pub password: String,
}

/// What `login` needs.
#[derive(InputObject)]
pub struct LoginInput {
    /// The username or the e-mail address: at most 255 characters.
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

/// Registering, signing in, the profile, and deleting the account.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and signs it in. `CONFLICT` (field `username` or
    /// `email`) when either is taken.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account.")] input: RegisterInput,
    ) -> ApiResult<AuthPayload> {
        let limits = SignIn::of(ctx);
        limits.check_address()?;
        let username = validate::username("input.username", &input.username).gql()?;
        let email = validate::email("input.email", &input.email).gql()?;
        // Counted as sign-ins for the accounts the username and the e-mail
        // name (or for the names, when free), so that `register` is no
        // faster a way than `login` to learn which are taken.
        let (by_username, by_email) =
            write::find_owners(db(ctx)?, &username, &user::email_key(&email))
                .await
                .gql()?;
        let target =
            |owner: Option<i32>, field: &str, value: &str| -> ApiResult<auth::SignInTarget> {
                Ok(match owner {
                    Some(id) => auth::SignInTarget::Account(id),
                    None => auth::SignInTarget::Unknown(validate::login(field, value).gql()?),
                })
            };
        let by_username = target(by_username, "input.username", &username)?;
        let by_email = target(by_email, "input.email", &email)?;
        limits.check_target(&by_username)?;
        if by_email != by_username {
            limits.check_target(&by_email)?;
        }
        validate::password("input.password", &input.password).gql()?;
        let password = input.password;
        let hash = auth::blocking(move || auth::hash_password(&password))
            .await
            .gql()?
            .gql()?;
        let row = user::ActiveModel {
            username: Set(username),
            email_key: Set(user::email_key(&email)),
            email: Set(email),
            password_hash: Set(hash),
            ..Default::default()
        };
        let created = write::insert(db(ctx)?, row).await.gql()?;
        limits.signed_in(created.id);
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
        // Before the limiter: it keeps a key per login, so an unbounded
        // login would be unbounded memory.
        let login = validate::login("input.login", &input.login).gql()?;
        let limits = SignIn::of(ctx);
        limits.check_address()?;
        let found = write::find_login(db(ctx)?, login.as_str()).await.gql()?;
        limits.check_target(&match &found {
            Some(user) => auth::SignInTarget::Account(user.id),
            None => auth::SignInTarget::Unknown(login),
        })?;
        let hash = found
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| auth::DECOY_HASH.to_owned());
        let password = input.password;
        let matches = auth::blocking(move || auth::verify_password(&hash, &password))
            .await
            .gql()?;
        match found {
            Some(user) if matches => {
                limits.signed_in(user.id);
                signed_in(ctx, user)
            }
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
        let viewer = viewer_id(ctx).await?;
        let changes = write::ProfileChanges {
            display_name: input
                .display_name
                .map(|v| validate::text("input.displayName", &v, limits::DISPLAY_NAME))
                .transpose()
                .gql()?,
            bio: input
                .bio
                .map(|v| validate::text("input.bio", &v, limits::BIO))
                .transpose()
                .gql()?,
            avatar_url: input
                .avatar_url
                .map(|v| match v.trim() {
                    "" => Ok(None),
                    url => validate::url("input.avatarUrl", url).map(Some),
                })
                .transpose()
                .gql()?,
        };
        some_change(&[
            changes.display_name.is_some(),
            changes.bio.is_some(),
            changes.avatar_url.is_some(),
        ])?;
        let db = db(ctx)?;
        let owner = write::find::<user::Entity>(db, viewer)
            .await
            .gql()?
            .ok_or_else(|| ApiError::Unauthenticated("the signed-in user no longer exists".into()))
            .gql()?;
        let saved = write::upsert_profile(db, viewer, owner.username, changes)
            .await
            .gql()?;
        Ok(Profile(saved))
    }

    /// Deletes the signed-in user's account with its profile, posts, photos and comments.
    async fn delete_viewer(&self, ctx: &Context<'_>) -> ApiResult<DeletePayload> {
        let viewer = viewer_id(ctx).await?;
        if !super::photos(ctx)?.delete_owner(viewer).await.gql()? {
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

/// The sign-in limits ([`auth::SignInLimits`]) as one request meets them:
/// from its client address. A schema without limits (in tests) lets every
/// attempt through.
struct SignIn<'a> {
    limits: Option<&'a auth::SignInLimits>,
    address: Option<auth::ClientAddress>,
}

impl<'a> SignIn<'a> {
    fn of(ctx: &'a Context<'_>) -> SignIn<'a> {
        SignIn {
            limits: ctx.data::<auth::SignInLimits>().ok(),
            address: ctx.data_opt::<auth::ClientAddress>().copied(),
        }
    }

    /// Counts the attempt from the request's address, or refuses it.
    fn check_address(&self) -> ApiResult<()> {
        self.limits
            .map_or(Ok(()), |limits| limits.check_address(self.address))
            .gql()
    }

    /// Counts the attempt for `target`, or refuses it.
    fn check_target(&self, target: &auth::SignInTarget) -> ApiResult<()> {
        self.limits
            .map_or(Ok(()), |limits| limits.check_target(target, self.address))
            .gql()
    }

    /// Makes the request's address one of `user_id`'s usual ones.
    fn signed_in(&self, user_id: i32) {
        if let Some(limits) = self.limits {
            limits.signed_in(user_id, self.address);
        }
    }
}
