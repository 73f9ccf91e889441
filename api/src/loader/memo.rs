//! [`Memo`]: what the subscribers of one event have loaded, shared among
//! them, so that an event costs one statement per distinct batch however
//! many subscribers resolve it.
//!
//! Every subscriber resolves an event with loaders of its own (its viewer,
//! its selection). Without sharing, 1,000 subscribers to
//! `postCreated { post { author { username } } }` ran the same author
//! statement 1,000 times. Each [`crate::live::Event`] carries a memo; while
//! a subscription resolves an event, its loaders look there first (see
//! [`MemoSlot`]): a batch no other subscriber has asked for runs and is kept
//! under each of its keys; a key another subscriber has asked for waits for
//! that batch, whether it is still running or done. A key names everything
//! its statement reads (the columns left unread included), and no loader
//! reads differently for one viewer than for another: privacy is applied
//! where fields are resolved, on every path. So what one subscriber loaded
//! is what any other would have.
//!
//! A memo lives as long as its event (the broadcast keeps the newest
//! `--subscription-buffer` of them), so what it holds is bounded by what
//! subscribers selected of those events.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use super::{Fetch, LoadResult, RelationLoader};

/// A batch under way or done, awaited by every key it was run for.
type Pending<K, V> = Shared<BoxFuture<'static, LoadResult<Arc<HashMap<K, V>>>>>;

/// The batches of one event, by key type.
#[derive(Default)]
pub struct Memo {
    batches: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    /// The values of `keys`: from the batches other subscribers ran for
    /// them, and one new batch (by `loader`) for the keys none has.
    pub(super) async fn load<K>(
        &self,
        loader: &RelationLoader,
        keys: &[K],
    ) -> LoadResult<HashMap<K, <RelationLoader as Fetch<K>>::Value>>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        RelationLoader: Fetch<K>,
    {
        let waits: Option<Vec<Pending<K, <RelationLoader as Fetch<K>>::Value>>> = {
            let mut batches = self
                .batches
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            batches
                .entry(TypeId::of::<K>())
                .or_insert_with(|| {
                    Box::new(HashMap::<K, Pending<K, <RelationLoader as Fetch<K>>::Value>>::new())
                })
                // One map type per key type: the entry is made just so.
                .downcast_mut::<HashMap<K, Pending<K, <RelationLoader as Fetch<K>>::Value>>>()
                .map(|slots| waits_for(slots, loader, keys))
        };
        let Some(waits) = waits else {
            return loader.fetch(keys).await;
        };
        let mut found = HashMap::with_capacity(keys.len());
        for wait in waits {
            let batch = wait.await?;
            for key in keys {
                if let Some(value) = batch.get(key) {
                    found.insert(key.clone(), value.clone());
                }
            }
        }
        Ok(found)
    }
}

/// The batches `keys` wait for in `slots`: those other subscribers ran,
/// and one started now (not yet polled) for the keys no batch has.
fn waits_for<K>(
    slots: &mut HashMap<K, Pending<K, <RelationLoader as Fetch<K>>::Value>>,
    loader: &RelationLoader,
    keys: &[K],
) -> Vec<Pending<K, <RelationLoader as Fetch<K>>::Value>>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    RelationLoader: Fetch<K>,
{
    let missing: Vec<K> = keys
        .iter()
        .filter(|key| !slots.contains_key(key))
        .cloned()
        .collect();
    if !missing.is_empty() {
        // Without the slot: the memo keeps this future, which must not keep the memo.
        let loader = RelationLoader {
            db: loader.db.clone(),
            memo: MemoSlot::default(),
        };
        let batch = missing.clone();
        let pending = async move { loader.fetch(&batch).await.map(Arc::new) }
            .boxed()
            .shared();
        for key in missing {
            slots.insert(key, pending.clone());
        }
    }
    let mut waits: Vec<Pending<K, _>> = Vec::new();
    for key in keys {
        if let Some(pending) = slots.get(key)
            && !waits.iter().any(|wait| wait.ptr_eq(pending))
        {
            waits.push(pending.clone());
        }
    }
    waits
}

/// The memo of the event a subscription is resolving, if any: set by the
/// subscription before each event, read by its loaders. Empty for a query
/// or a mutation, whose loaders run their statements themselves.
#[derive(Clone, Default, Debug)]
pub struct MemoSlot(Arc<Mutex<Option<Arc<Memo>>>>);

impl MemoSlot {
    /// Resolves what follows with `memo`.
    pub fn set(&self, memo: Arc<Memo>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(memo);
    }

    /// The memo in use, if any.
    pub fn get(&self) -> Option<Arc<Memo>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
