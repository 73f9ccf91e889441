//! Comments: writing under a post, changing one's own comments, and deleting
//! them (their author, or the owner of the post they are on).

use async_graphql::{Context, ID, Object};
use entity::{comment, limits, post};
use sea_orm::Set;

use super::{DeletePayload, db, delete, existing, owned, viewer_id};
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::types::Comment;
use crate::types::node::NodeType;
use crate::{validate, write};

/// Writing, changing and deleting comments.
#[derive(Default)]
pub struct CommentMutation;

#[Object]
impl CommentMutation {
    /// Writes a comment on a post as the signed-in user.
    async fn create_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the post to comment on.")] post_id: ID,
        #[graphql(desc = "The text: 1 to 2,000 characters.")] body: String,
    ) -> ApiResult<Comment> {
        let viewer = viewer_id(ctx).await?;
        let body = validate::text("body", &body, limits::COMMENT_BODY).gql()?;
        let post = existing::<post::Entity>(ctx, &post_id, NodeType::Post, "postId").await?;
        let row = comment::ActiveModel {
            post_id: Set(post.id),
            author_id: Set(viewer),
            body: Set(body),
            ..Default::default()
        };
        Ok(Comment(write::insert(db(ctx)?, row).await.gql()?))
    }

    /// Changes the text of a comment of the signed-in user's.
    async fn update_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The comment's global id.")] id: ID,
        #[graphql(desc = "The new text: 1 to 2,000 characters.")] body: String,
    ) -> ApiResult<Comment> {
        let body = validate::text("body", &body, limits::COMMENT_BODY).gql()?;
        let found =
            owned::<comment::Entity>(ctx, &id, NodeType::Comment, "id", |c| c.author_id).await?;
        let mut changed: comment::ActiveModel = found.into();
        changed.body = Set(body);
        Ok(Comment(write::update(db(ctx)?, changed).await.gql()?))
    }

    /// Deletes a comment: its author may, and so may the owner of the post it is on.
    async fn delete_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The comment's global id.")] id: ID,
    ) -> ApiResult<DeletePayload> {
        let viewer = viewer_id(ctx).await?;
        let found = existing::<comment::Entity>(ctx, &id, NodeType::Comment, "id").await?;
        if found.author_id != viewer {
            let post_owner = write::find::<post::Entity>(db(ctx)?, found.post_id)
                .await
                .gql()?
                .map(|p| p.author_id);
            if post_owner != Some(viewer) {
                return Err(ApiError::Forbidden(
                    "only the comment's author or the post's owner may delete this comment".into(),
                ))
                .gql();
            }
        }
        delete::<comment::Entity>(ctx, found.id, NodeType::Comment).await
    }
}
