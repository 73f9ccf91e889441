//! The [`BatchDriver`]: runs a request's loader batches on the request's own
//! task, once every sibling of a level has asked for its key, so that a
//! request's statement count depends on its shape alone.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;

use super::Queue;

/// Runs a request's loader batches on the request's own task, so that a batch
/// starts only once every sibling of its level has asked for its key.
///
/// async-graphql resolves the siblings of a level concurrently within the
/// request future, and the DataLoader queues a batch at the first key of a
/// level. The driver polls the request until it is quiescent (waiting, and
/// not about to wake itself, as `FuturesUnordered` does when it yields
/// early), and only then starts the queued batches: each batch then holds
/// all of its siblings' keys, every time, so the statement count of a request
/// depends on its shape alone, not on timing. (A timed delay on a spawned
/// task cuts a level into several batches whenever resolving the siblings
/// takes longer than the delay.)
#[derive(Default)]
pub struct BatchDriver {
    pub(super) queue: Queue,
}

/// How many times in a row the request may wake itself before the driver
/// yields to the runtime (the request goes on at the next poll).
const MAX_EAGER_POLLS: usize = 256;

impl BatchDriver {
    /// Runs `request` to completion, driving the batches it queues.
    pub async fn run<F: Future>(self, request: F) -> F::Output {
        let mut request = std::pin::pin!(request);
        let mut running = FuturesUnordered::new();
        std::future::poll_fn(move |cx| {
            self.poll_driving(&mut running, cx, |cx| request.as_mut().poll(cx))
        })
        .await
    }

    /// The items of `responses` (a subscription's), each resolved with its
    /// batches driven as [`BatchDriver::run`] drives a request's.
    pub fn run_stream<S: futures_util::Stream + Unpin>(
        self,
        mut responses: S,
    ) -> impl futures_util::Stream<Item = S::Item> {
        let mut running = FuturesUnordered::new();
        futures_util::stream::poll_fn(move |cx| {
            self.poll_driving(&mut running, cx, |cx| responses.poll_next_unpin(cx))
        })
    }

    /// Polls `work` until it is ready or quiescent; once quiescent, starts
    /// the batches it queued and polls it again as they finish.
    fn poll_driving<T>(
        &self,
        running: &mut FuturesUnordered<BoxFuture<'static, ()>>,
        cx: &mut Context<'_>,
        mut work: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        for _ in 0..MAX_EAGER_POLLS {
            let woken = Arc::new(WakeFlag {
                woken: AtomicBool::new(false),
                inner: cx.waker().clone(),
            });
            let waker = futures_util::task::waker(woken.clone());
            if let Poll::Ready(output) = work(&mut Context::from_waker(&waker)) {
                return Poll::Ready(output);
            }
            if woken.woken.load(Ordering::SeqCst) {
                continue; // Not done registering its keys yet.
            }
            // Quiescent: every key of this round is in; start the queued batches.
            loop {
                let queued = std::mem::take(
                    &mut *self
                        .queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                running.extend(queued);
                match running.poll_next_unpin(cx) {
                    // A finished batch has woken its waiters: the work goes on.
                    Poll::Ready(Some(())) => continue,
                    Poll::Ready(None) | Poll::Pending => return Poll::Pending,
                }
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A waker that records whether it was woken, and passes the wake on.
struct WakeFlag {
    woken: AtomicBool,
    inner: std::task::Waker,
}

impl futures_util::task::ArcWake for WakeFlag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Ordering::SeqCst);
        arc_self.inner.wake_by_ref();
    }
}
