//! One execution per subscription, shared by every subscriber who asked
//! exactly the same: the same document, operation and variables, as the
//! same viewer. Each event is then resolved, ordered and checked once and
//! its response handed to all of them, where each subscriber ran the whole
//! execution of its own before (1,000 subscribers to one feed cost a
//! thousand resolutions an event, and fell behind a busy server).
//!
//! A group is made by its first subscriber and runs while it has members:
//! its execution's responses go to a bounded broadcast of
//! `--subscription-buffer` responses, and a member that falls further
//! behind is ended with `SUBSCRIBER_TOO_SLOW`, as a subscriber of its own
//! would be. A subscriber joins a group from its next response on, which is
//! what a new subscription is: the events from now. A document that mentions
//! `after` is never shared: its replay belongs to whoever asked for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::Response;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::{Notify, broadcast};

/// What makes two subscriptions the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The document, as sent.
    pub query: String,
    /// The operation it names.
    pub operation: Option<String>,
    /// The variables, as JSON.
    pub variables: String,
    /// The subscriber's user id (`None`: anonymous).
    pub viewer: Option<i32>,
}

impl Key {
    /// The key of a subscription, or `None` when it must run on its own (it
    /// replays with `after`).
    pub fn of(request: &async_graphql::Request, viewer: Option<i32>) -> Option<Key> {
        if request.query.contains("after") {
            return None;
        }
        Some(Key {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
            viewer,
        })
    }
}

/// The running groups.
pub struct Fanout {
    groups: Mutex<HashMap<Key, Arc<Group>>>,
    buffer: usize,
}

/// One shared execution.
struct Group {
    /// Gone once the execution has ended: members then see their stream end.
    sender: Mutex<Option<broadcast::Sender<Arc<Response>>>>,
    /// How many subscribers read it; changed under the groups' lock.
    members: Mutex<usize>,
    /// Told when the last member leaves.
    deserted: Notify,
}

/// A member's place in its group, given up when its stream is dropped.
struct Membership {
    fanout: Arc<Fanout>,
    key: Key,
    group: Arc<Group>,
}

impl Fanout {
    /// No groups yet; each buffers `buffer` responses for its slowest member.
    pub fn new(buffer: usize) -> Arc<Fanout> {
        Arc::new(Fanout {
            groups: Mutex::new(HashMap::new()),
            buffer: buffer.max(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Group>>> {
        // Each statement leaves the map consistent.
        self.groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The responses of the group `key`, joined, or started by `start` (the
    /// execution) when there is none; `too_slow` is the last response of a
    /// member that falls behind.
    pub fn join(
        self: &Arc<Fanout>,
        key: Key,
        start: impl FnOnce() -> BoxStream<'static, Response>,
        too_slow: impl Fn() -> Response + Send + Sync + 'static,
    ) -> BoxStream<'static, Arc<Response>> {
        let (group, receiver, execution) = {
            let mut groups = self.lock();
            let joined = groups.get(&key).and_then(|group| {
                let receiver = lock(&group.sender).as_ref()?.subscribe();
                *lock(&group.members) += 1;
                Some((group.clone(), receiver))
            });
            match joined {
                Some((group, receiver)) => (group, receiver, None),
                None => {
                    let (sender, receiver) = broadcast::channel(self.buffer);
                    let group = Arc::new(Group {
                        sender: Mutex::new(Some(sender.clone())),
                        members: Mutex::new(1),
                        deserted: Notify::new(),
                    });
                    groups.insert(key.clone(), group.clone());
                    (group, receiver, Some((start(), sender)))
                }
            }
        };
        if let Some((execution, sender)) = execution {
            tokio::spawn(
                self.clone()
                    .drive(key.clone(), group.clone(), execution, sender),
            );
        }
        let membership = Membership {
            fanout: self.clone(),
            key,
            group,
        };
        let too_slow = Arc::new(too_slow);
        futures_util::stream::unfold(Some((receiver, membership)), move |state| {
            let too_slow = too_slow.clone();
            async move {
                let (mut receiver, membership) = state?;
                match receiver.recv().await {
                    Ok(response) => Some((response, Some((receiver, membership)))),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        Some((Arc::new(too_slow()), None))
                    }
                    Err(broadcast::error::RecvError::Closed) => None,
                }
            }
        })
        .boxed()
    }

    /// Runs `execution`, handing each response to the group's members,
    /// until it ends or the last member leaves.
    async fn drive(
        self: Arc<Fanout>,
        key: Key,
        group: Arc<Group>,
        mut execution: BoxStream<'static, Response>,
        sender: broadcast::Sender<Arc<Response>>,
    ) {
        loop {
            let next = tokio::select! {
                next = execution.next() => next,
                () = group.deserted.notified() => None,
            };
            match next {
                // No receiver is no error: the last member may be leaving.
                Some(response) => drop(sender.send(Arc::new(response))),
                None => break,
            }
        }
        // New subscribers start a group of their own; these members' streams end.
        let mut groups = self.lock();
        if groups.get(&key).is_some_and(|g| Arc::ptr_eq(g, &group)) {
            groups.remove(&key);
        }
        lock(&group.sender).take();
    }

    /// How many groups run now.
    pub fn groups(&self) -> usize {
        self.lock().len()
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut groups = self.fanout.lock();
        let mut members = lock(&self.group.members);
        *members = members.saturating_sub(1);
        if *members == 0 {
            if groups
                .get(&self.key)
                .is_some_and(|g| Arc::ptr_eq(g, &self.group))
            {
                groups.remove(&self.key);
            }
            // A permit is kept if the execution is between two polls.
            self.group.deserted.notify_one();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key {
            query: "subscription { postCreated { cursor } }".into(),
            operation: None,
            variables: "{}".into(),
            viewer: None,
        }
    }

    fn numbered(n: i32) -> Response {
        Response::new(async_graphql::Value::from(n))
    }

    #[tokio::test]
    async fn subscribers_who_ask_the_same_share_one_execution_until_the_last_leaves() {
        let fanout = Fanout::new(8);
        let (feed, events) = tokio::sync::mpsc::unbounded_channel::<i32>();
        let events = Mutex::new(Some(events));
        let started = std::sync::atomic::AtomicUsize::new(0);
        let start = || {
            started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let events = lock(&events).take().expect("one execution");
            tokio_stream::wrappers::UnboundedReceiverStream::new(events)
                .map(numbered)
                .boxed()
        };
        let mut first = fanout.join(key(), start, || numbered(-1));
        let mut second = fanout.join(key(), || unreachable!("shared"), || numbered(-1));
        assert_eq!(fanout.groups(), 1);
        feed.send(1).expect("the execution runs");
        assert_eq!(first.next().await.expect("a response").data, 1.into());
        assert_eq!(second.next().await.expect("a response").data, 1.into());
        drop(first);
        drop(second);
        assert_eq!(fanout.groups(), 0, "gone with its last member");
        assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn a_replaying_subscription_runs_alone() {
        let request = async_graphql::Request::new(
            "subscription($a: String) { postCreated(after: $a) { cursor } }",
        );
        assert!(Key::of(&request, None).is_none());
        let request = async_graphql::Request::new("subscription { postCreated { cursor } }");
        assert!(Key::of(&request, Some(3)).is_some_and(|key| key.viewer == Some(3)));
    }
}
