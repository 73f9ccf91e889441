//! Live updates: the events clients subscribe to, and how they reach every
//! subscriber of every instance.
//!
//! A change that clients may subscribe to is written to the `events` outbox
//! in the transaction of the change (`crate::write`), so a rolled-back change
//! emits nothing. Each instance runs one follower ([`follow`]) that reads the
//! outbox by increasing id — woken by `LISTEN/NOTIFY` on PostgreSQL, by
//! polling on MariaDB and SQLite — loads the rows the new events name once,
//! and hands them to a bounded in-process broadcast that every subscription
//! of the instance reads ([`Hub::events`]); with no subscriber it pauses,
//! and the next subscriber resumes it from the newest event. A subscription
//! may first replay the retained events after a cursor, read a page at a
//! time as it takes them. Old events are pruned ([`prune`]) whether or not
//! anyone subscribes, in small batches. The WebSocket transport is in
//! `crate::http::socket`; the GraphQL fields in `crate::subscription`.
//! The bus knows neither: it carries changes, not messages.

pub mod follow;
pub mod outbox;
pub mod prune;

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::{photo, post, tag};
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast, watch};

use crate::config::LiveConfig;
use crate::error::ApiError;

/// What happened, with the ids it names: the payload of an outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Change {
    /// A post was written.
    PostCreated {
        /// The new post.
        post_id: i32,
        /// Its author.
        author_id: i32,
    },
    /// A photo was published.
    PhotoCreated {
        /// The new photo.
        photo_id: i32,
        /// Its owner.
        owner_id: i32,
    },
    /// A photo was filed under a tag it did not have.
    PhotoTagged {
        /// The photo.
        photo_id: i32,
        /// The tag.
        tag_id: i32,
    },
}

impl Change {
    /// The outbox's `kind` column for this change.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::PostCreated { .. } => "post_created",
            Change::PhotoCreated { .. } => "photo_created",
            Change::PhotoTagged { .. } => "photo_tagged",
        }
    }
}

/// What an event is about, read once for every subscriber of the instance.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The post written.
    Post(post::Model),
    /// The photo published.
    Photo(photo::Model),
    /// The photo tagged, and the tag.
    Tagged(photo::Model, tag::Model),
}

/// One event as subscribers get it: its place in the outbox and its rows.
#[derive(Debug, Clone)]
pub struct Event {
    /// The outbox id: events arrive in increasing id.
    pub id: i64,
    /// The rows the event names, as they were when the follower read them.
    pub subject: Subject,
    /// What its subscribers have loaded to resolve it, shared among them.
    pub memo: Arc<crate::loader::Memo>,
}

impl Event {
    /// The opaque cursor a client passes as `after` to resume after this event.
    pub fn cursor(&self) -> String {
        encode_cursor(self.id)
    }
}

/// The cursor of outbox id `id`.
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("Event:{id}"))
}

/// The outbox id a cursor names; `BAD_USER_INPUT` on `field` otherwise.
pub fn decode_cursor(cursor: &str, field: &str) -> Result<i64, ApiError> {
    let invalid = || ApiError::bad_input(field, format!("`{cursor}` is not an event cursor"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let id = text.strip_prefix("Event:").ok_or_else(invalid)?;
    id.parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or_else(invalid)
}

/// The one event a subscription's execution resolves, in place of the
/// hub's feed: a shared subscription resolves each event by an execution
/// of its own (`crate::fanout`). `None`: no event at all, to learn
/// whether the document is refused before any event comes.
#[derive(Debug, Clone)]
pub struct OneEvent(pub Option<Arc<Event>>);

/// Why a subscription's events stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The subscriber fell further behind than the buffer holds.
    TooSlow,
    /// Reading the events it missed from the outbox failed.
    Unavailable,
}

/// The live side of one instance: its follower (started by the first
/// subscription) and the broadcast its subscriptions read.
pub struct Hub {
    db: DatabaseConnection,
    config: LiveConfig,
    /// The newest id broadcast, and the sender: locked together, so that a
    /// new subscriber learns where it joins and subscribes in one step.
    feed: Mutex<Feed>,
    started: OnceCell<()>,
    closing: watch::Sender<bool>,
    sockets: Arc<tokio::sync::Semaphore>,
    /// Wakes a paused follower.
    resume: tokio::sync::Notify,
}

struct Feed {
    last: i64,
    sender: broadcast::Sender<Arc<Event>>,
    /// The follower waits for a subscriber: no one listens.
    paused: bool,
}

impl Hub {
    /// The hub of an instance over `db`; nothing runs until the first subscription.
    pub fn new(db: DatabaseConnection, config: LiveConfig) -> Arc<Hub> {
        let (sender, _) = broadcast::channel(config.subscription_buffer.max(1));
        Arc::new(Hub {
            db,
            feed: Mutex::new(Feed {
                last: 0,
                sender,
                paused: false,
            }),
            resume: tokio::sync::Notify::new(),
            started: OnceCell::new(),
            closing: watch::channel(false).0,
            sockets: Arc::new(tokio::sync::Semaphore::new(config.max_sockets.max(1))),
            config,
        })
    }

    /// The settings of the live side.
    pub fn config(&self) -> &LiveConfig {
        &self.config
    }

    /// The sockets the instance may still open: one permit each.
    pub fn sockets(&self) -> Arc<tokio::sync::Semaphore> {
        self.sockets.clone()
    }

    /// Tells the follower and every socket that the instance is shutting down.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Completes once [`Hub::close`] has been called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    /// The events from now on, or, with `after`, every retained event after
    /// that outbox id first. Ends with [`Ended::TooSlow`] when the caller
    /// falls more than the buffer behind. `BAD_USER_INPUT` on `after` when
    /// the events after it have been pruned.
    pub async fn events(
        self: &Arc<Self>,
        after: Option<i64>,
    ) -> Result<impl Stream<Item = Result<Arc<Event>, Ended>> + Send + 'static + use<>, ApiError>
    {
        self.start().await?;
        // A paused follower resumes from the newest event: what was written
        // while no one listened is for `after` to replay, not to broadcast.
        let paused = self.lock_feed().paused;
        let newest = match paused {
            true => Some(outbox::newest_id(&self.db).await?),
            false => None,
        };
        let (joined_at, receiver) = {
            let mut feed = self.lock_feed();
            if feed.paused {
                if let Some(newest) = newest {
                    feed.last = feed.last.max(newest);
                }
                feed.paused = false;
                self.resume.notify_one();
            }
            (feed.last, feed.sender.subscribe())
        };
        let replay = match after {
            Some(after) if after < joined_at => {
                let page = self.config.subscription_buffer.max(1) as u64;
                futures_util::future::Either::Left(
                    outbox::replay(self.db.clone(), after, joined_at, page).await?,
                )
            }
            _ => futures_util::future::Either::Right(futures_util::stream::empty()),
        };
        let replay = futures_util::StreamExt::map(replay, |event| match event {
            Ok(event) => Ok(Arc::new(event)),
            Err(err) => {
                tracing::warn!("could not replay events: {err}");
                Err(Ended::Unavailable)
            }
        });
        let live = futures_util::stream::unfold(Some(receiver), |receiver| async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Ok(event) => Some((Ok(event), Some(receiver))),
                Err(broadcast::error::RecvError::Lagged(_)) => Some((Err(Ended::TooSlow), None)),
                Err(broadcast::error::RecvError::Closed) => None,
            }
        });
        // A cursor from an instance whose follower is ahead of this one's
        // names events this one has yet to broadcast: they are not sent twice.
        let live = futures_util::StreamExt::filter(live, move |event| {
            let seen = matches!((event, after), (Ok(event), Some(after)) if event.id <= after);
            std::future::ready(!seen)
        });
        Ok(futures_util::StreamExt::chain(replay, live))
    }

    /// Starts the follower, once: from the newest event in the outbox.
    async fn start(self: &Arc<Self>) -> Result<(), ApiError> {
        self.started
            .get_or_try_init(|| async {
                let newest = outbox::newest_id(&self.db).await?;
                self.feed
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .last = newest;
                tokio::spawn(follow::run(self.clone(), newest));
                Ok::<(), ApiError>(())
            })
            .await
            .map(|_| ())
    }

    fn lock_feed(&self) -> std::sync::MutexGuard<'_, Feed> {
        // Each statement leaves the feed consistent.
        self.feed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Pauses the follower when no one subscribes: whether it did.
    fn pause_if_unheard(&self) -> bool {
        let mut feed = self.lock_feed();
        feed.paused = feed.sender.receiver_count() == 0;
        feed.paused
    }

    /// Waits for a subscriber to resume a paused follower; the id it
    /// resumes after.
    async fn resumed(&self) -> i64 {
        self.resume.notified().await;
        self.lock_feed().last
    }

    /// Starts pruning the outbox, for as long as the hub is open: at start,
    /// whether or not anyone subscribes.
    pub fn start_pruning(self: &Arc<Self>) {
        tokio::spawn(prune::run(
            self.db.clone(),
            std::time::Duration::from_secs(self.config.event_retention_secs),
            self.closed(),
        ));
    }

    /// Hands `event` to every subscriber (the follower's side of [`Hub::events`]).
    fn publish(&self, event: Event) {
        let mut feed = self.lock_feed();
        feed.last = event.id;
        // No receiver is not an error: nobody is subscribed at the moment.
        let _ = feed.sender.send(Arc::new(event));
    }
}
