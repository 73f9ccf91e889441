//! What one client connection may hold, and for how long: the rules the
//! server applies to a connection whatever its protocol (HTTP/1 or h2c).
//!
//! - [`Activity`]: a connection with no request in flight is closed after
//!   `--idle-timeout-secs`; the server counts requests in and out (a
//!   response counts until its body is dropped, so a stream counts while it
//!   streams).
//! - [`MinRate`]: a request body that arrives slower than `--min-body-rate`
//!   bytes a second (measured over each [`BODY_RATE_WINDOW`]) fails, which
//!   answers 408 and ends its connection.
//! - [`AddressShares`]: no client address holds more than its share of the
//!   connections (or, in `socket.rs`, of the WebSockets).

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Bytes, HttpBody};
use hyper::body::Frame;
use tokio::time::{Instant, Sleep};

use crate::auth::ClientAddress;

/// The requests in flight on one connection, and since when it has had none.
#[derive(Debug)]
pub struct Activity {
    state: Mutex<ActivityState>,
}

#[derive(Debug)]
struct ActivityState {
    in_flight: usize,
    idle_since: Instant,
}

/// A request in flight on its connection, until dropped.
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Activity {
    /// A connection just accepted: idle from now.
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            state: Mutex::new(ActivityState {
                in_flight: 0,
                idle_since: Instant::now(),
            }),
        })
    }

    /// Counts a request in, until the returned guard is dropped.
    pub fn begin(self: &Arc<Activity>) -> InFlight {
        self.lock().in_flight += 1;
        InFlight(self.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        // The state is two numbers, consistent after every statement.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether no request is in flight.
    pub fn is_idle(&self) -> bool {
        self.lock().in_flight == 0
    }

    /// Completes once the connection has had no request in flight for
    /// `timeout` on end.
    pub async fn idle_for(&self, timeout: Duration) {
        loop {
            let deadline = {
                let state = self.lock();
                (state.in_flight == 0).then(|| state.idle_since + timeout)
            };
            match deadline {
                Some(deadline) if Instant::now() >= deadline => return,
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                // Busy: look again later; a request ending restarts the count.
                None => tokio::time::sleep(timeout).await,
            }
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
        }
    }
}

/// How often a body's rate is checked: each window must bring at least
/// `--min-body-rate` × its length in bytes.
pub const BODY_RATE_WINDOW: Duration = Duration::from_secs(5);

/// A request body that fails once a [`BODY_RATE_WINDOW`] passes without
/// bringing `rate` bytes a second. The first window starts when the body is
/// first read, so a handler that reads it late is not counted against it.
pub struct MinRate<B> {
    inner: B,
    /// Bytes a second; 0 checks nothing.
    rate: u64,
    /// The bytes received in the current window.
    received: u64,
    /// The current window's end.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<B> MinRate<B> {
    /// `inner`, failing when it arrives slower than `rate` bytes a second.
    pub fn new(inner: B, rate: u64) -> MinRate<B> {
        MinRate {
            inner,
            rate,
            received: 0,
            deadline: None,
        }
    }

    fn needed(&self) -> u64 {
        self.rate.saturating_mul(BODY_RATE_WINDOW.as_secs())
    }
}

/// Why a body failed: it arrived slower than the minimum rate.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived slower than {rate} bytes a second")]
pub struct TooSlow {
    /// The minimum rate, in bytes a second.
    pub rate: u64,
}

impl<B> HttpBody for MinRate<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.rate == 0 {
            return Pin::new(&mut this.inner).poll_frame(cx).map_err(Into::into);
        }
        let needed = this.needed();
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(BODY_RATE_WINDOW)));
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                }
                if this.received >= needed {
                    this.received = 0;
                    deadline.as_mut().reset(Instant::now() + BODY_RATE_WINDOW);
                } else if deadline.is_elapsed() {
                    return Poll::Ready(Some(Err(Box::new(TooSlow { rate: this.rate }))));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other.map(|result| result.map_err(Into::into))),
            Poll::Pending => match deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(TooSlow { rate: this.rate })))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// How many of a resource each client address holds, against a limit per
/// address: an IPv4 address, or an IPv6 /64 (one host's usual share).
#[derive(Debug)]
pub struct AddressShares {
    limit: usize,
    held: Mutex<HashMap<IpAddr, usize>>,
}

/// One unit of an address's share, given back when dropped.
#[derive(Debug)]
pub struct AddressShare {
    shares: Arc<AddressShares>,
    key: IpAddr,
}

impl AddressShares {
    /// At most `limit` (at least 1) for each address.
    pub fn new(limit: usize) -> Arc<AddressShares> {
        Arc::new(AddressShares {
            limit: limit.max(1),
            held: Mutex::new(HashMap::new()),
        })
    }

    /// The most one address may hold.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Each statement leaves the map consistent.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One more for `client`, unless it holds its whole share already.
    pub fn try_take(self: &Arc<AddressShares>, client: ClientAddress) -> Option<AddressShare> {
        let key = client.network();
        let mut held = self.lock();
        let count = held.entry(key).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressShare {
            shares: self.clone(),
            key,
        })
    }
}

impl Drop for AddressShare {
    fn drop(&mut self) {
        let mut held = self.shares.lock();
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_share_and_gets_it_back() {
        let shares = AddressShares::new(2);
        let one = ClientAddress("127.0.0.1".parse().expect("an address"));
        let other = ClientAddress("127.0.0.2".parse().expect("an address"));
        let first = shares.try_take(one).expect("a first share");
        let _second = shares.try_take(one).expect("a second share");
        assert!(shares.try_take(one).is_none(), "a third is past the share");
        assert!(
            shares.try_take(other).is_some(),
            "another address has its own"
        );
        drop(first);
        assert!(shares.try_take(one).is_some(), "given back when dropped");
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64() {
        let shares = AddressShares::new(1);
        let a = ClientAddress("2001:db8::1".parse().expect("an address"));
        let b = ClientAddress("2001:db8::2".parse().expect("an address"));
        let _held = shares.try_take(a).expect("a share");
        assert!(shares.try_take(b).is_none(), "the same /64");
        assert_eq!(shares.lock().len(), 1);
    }

    #[tokio::test]
    async fn a_connection_is_idle_only_with_nothing_in_flight() {
        let timeout = Duration::from_millis(100);
        let activity = Activity::new();
        let request = activity.begin();
        let idle = activity.idle_for(timeout);
        tokio::pin!(idle);
        assert!(
            tokio::time::timeout(timeout * 4, &mut idle).await.is_err(),
            "busy four timeouts long: not idle"
        );
        drop(request);
        let started = Instant::now();
        idle.await;
        assert!(started.elapsed() >= timeout, "idle before its timeout");
    }
}
