//! The root `Subscription`: events clients hear of as they happen, over the
//! WebSocket transport (`crate::http::socket`).
//!
//! Each event is resolved through the same types, loaders and privacy rules
//! as a query, with the subscriber's identity. Every event carries a
//! `cursor`; a subscription given `after: cursor` first replays the retained
//! events after it, then goes live, so a client that reconnects misses
//! nothing within the retention.

use std::sync::Arc;

use async_graphql::{Context, ID, SimpleObject, Subscription as SubscriptionRoot};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::live::{Ended, Event, Hub, OneEvent, Subject, decode_cursor};
use crate::types::node::{NodeType, decode_id_of};
use crate::types::{Photo, Post, Tag};
use crate::validate;

/// The root `Subscription`.
#[derive(Default)]
pub struct Subscription;

/// A post was written.
#[derive(SimpleObject)]
pub struct PostCreated {
    /// Pass it as `after` to resume the subscription after this event.
    cursor: String,
    /// The new post.
    post: Post,
}

/// A photo was published.
#[derive(SimpleObject)]
pub struct PhotoCreated {
    /// Pass it as `after` to resume the subscription after this event.
    cursor: String,
    /// The new photo.
    photo: Photo,
}

/// A photo was filed under a tag it did not have.
#[derive(SimpleObject)]
pub struct PhotoTagged {
    /// Pass it as `after` to resume the subscription after this event.
    cursor: String,
    /// The photo.
    photo: Photo,
    /// The tag it was filed under.
    tag: Tag,
}

/// The root of every subscription: new posts, new photos, and photos filed
/// under a tag, as they happen, over a WebSocket on `/graphql`.
#[SubscriptionRoot]
impl Subscription {
    /// Each post as it is written: by one author, or by anyone when `authorId` is omitted.
    async fn post_created(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the posts of this user (a global id).")] author_id: Option<ID>,
        #[graphql(desc = "Replay the retained events after this cursor first.")] after: Option<
            String,
        >,
    ) -> async_graphql::Result<impl Stream<Item = ApiResult<PostCreated>> + use<>> {
        let author = author_id
            .map(|id| decode_id_of(&id, NodeType::User, "authorId"))
            .transpose()
            .gql()?;
        events(ctx, after, move |event| match &event.subject {
            Subject::Post(post) if author.is_none_or(|a| a == post.author_id) => {
                Some(PostCreated {
                    cursor: event.cursor(),
                    post: Post(post.clone()),
                })
            }
            _ => None,
        })
        .await
    }

    /// Each photo as it is published: by one user, or by anyone when `ownerId` is omitted.
    async fn photo_created(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the photos of this user (a global id).")] owner_id: Option<ID>,
        #[graphql(desc = "Replay the retained events after this cursor first.")] after: Option<
            String,
        >,
    ) -> async_graphql::Result<impl Stream<Item = ApiResult<PhotoCreated>> + use<>> {
        let owner = owner_id
            .map(|id| decode_id_of(&id, NodeType::User, "ownerId"))
            .transpose()
            .gql()?;
        events(ctx, after, move |event| match &event.subject {
            Subject::Photo(photo) if owner.is_none_or(|o| o == photo.owner_id) => {
                Some(PhotoCreated {
                    cursor: event.cursor(),
                    photo: Photo(photo.clone()),
                })
            }
            _ => None,
        })
        .await
    }

    /// Each photo as it is filed under the tag `tag`, by whoever owns it.
    async fn photo_tagged(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag's name (trimmed and lowercased, as tags are).")] tag: String,
        #[graphql(desc = "Replay the retained events after this cursor first.")] after: Option<
            String,
        >,
    ) -> async_graphql::Result<impl Stream<Item = ApiResult<PhotoTagged>> + use<>> {
        let name = validate::tag_name("tag", &tag).gql()?;
        events(ctx, after, move |event| match &event.subject {
            Subject::Tagged(photo, tag) if tag.name == name => Some(PhotoTagged {
                cursor: event.cursor(),
                photo: Photo(photo.clone()),
                tag: Tag(tag.clone()),
            }),
            _ => None,
        })
        .await
    }
}

/// The events of the instance's hub (after the cursor `after`, if given)
/// that `pick` turns into an answer. Ends with `SUBSCRIBER_TOO_SLOW` when
/// the subscriber falls too far behind.
async fn events<T: Send + 'static>(
    ctx: &Context<'_>,
    after: Option<String>,
    pick: impl Fn(&Event) -> Option<T> + Send + 'static,
) -> ApiResult<BoxStream<'static, ApiResult<T>>> {
    // A shared subscription resolves one event at a time, each on its own.
    if let Some(OneEvent(event)) = ctx.data_opt::<OneEvent>() {
        let picked = event.as_deref().and_then(&pick).map(Ok);
        return Ok(futures_util::stream::iter(picked).boxed());
    }
    let hub = ctx
        .data_opt::<Arc<Hub>>()
        .ok_or_else(|| ApiError::Internal("subscriptions run over the WebSocket only".into()))
        .gql()?;
    let after = after
        .map(|cursor| decode_cursor(&cursor, "after"))
        .transpose()
        .gql()?;
    let buffer = hub.config().subscription_buffer;
    // Each event is resolved with what its other subscribers loaded.
    let memo = ctx.data::<crate::loader::Loaders>()?.memo.clone();
    let events = hub.events(after).await.gql()?;
    Ok(events
        .filter_map(move |event| {
            std::future::ready(match event {
                Ok(event) => pick(&event).map(|picked| {
                    memo.set(event.memo.clone());
                    Ok(picked)
                }),
                Err(Ended::TooSlow) => Some(Err(ApiError::SubscriberTooSlow { buffer }).gql()),
                Err(Ended::Unavailable) => Some(Err(ApiError::ServiceUnavailable).gql()),
            })
        })
        // The error that ends a subscription is its last item.
        .scan(false, |ended, item| {
            let next = (!*ended).then(|| {
                *ended = item.is_err();
                item
            });
            std::future::ready(next)
        })
        .boxed())
}
