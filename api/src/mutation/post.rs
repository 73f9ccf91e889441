//! Posts: writing, changing and deleting the signed-in user's posts.

use async_graphql::{Context, ID, InputObject, Object};
use entity::{limits, post};
use sea_orm::Set;

use super::{DeletePayload, db, delete, owned, some_change, viewer_id};
use crate::error::{ApiResult, IntoGraphql};
use crate::types::Post;
use crate::types::node::NodeType;
use crate::{validate, write};

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

/// Writing, changing and deleting posts.
#[derive(Default)]
pub struct PostMutation;

#[Object]
impl PostMutation {
    /// Writes a post as the signed-in user.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new post.")] input: CreatePostInput,
    ) -> ApiResult<Post> {
        let viewer = viewer_id(ctx).await?;
        let row = post::ActiveModel {
            author_id: Set(viewer),
            title: Set(validate::text("input.title", &input.title, limits::POST_TITLE).gql()?),
            body: Set(validate::text("input.body", &input.body, limits::POST_BODY).gql()?),
            ..Default::default()
        };
        Ok(Post(write::create_post(db(ctx)?, row).await.gql()?))
    }

    /// Changes a post of the signed-in user's.
    async fn update_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's global id.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdatePostInput,
    ) -> ApiResult<Post> {
        let title = input
            .title
            .map(|v| validate::text("input.title", &v, limits::POST_TITLE))
            .transpose()
            .gql()?;
        let body = input
            .body
            .map(|v| validate::text("input.body", &v, limits::POST_BODY))
            .transpose()
            .gql()?;
        some_change(&[title.is_some(), body.is_some()])?;
        let found = owned::<post::Entity>(ctx, &id, NodeType::Post, "id", |p| p.author_id).await?;
        let mut changed: post::ActiveModel = found.into();
        if let Some(v) = title {
            changed.title = Set(v);
        }
        if let Some(v) = body {
            changed.body = Set(v);
        }
        Ok(Post(write::update(db(ctx)?, changed).await.gql()?))
    }

    /// Deletes a post of the signed-in user's, with its comments.
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's global id.")] id: ID,
    ) -> ApiResult<DeletePayload> {
        let found = owned::<post::Entity>(ctx, &id, NodeType::Post, "id", |p| p.author_id).await?;
        delete::<post::Entity>(ctx, found.id, NodeType::Post).await
    }
}
