//! Results loaded ahead of the resolvers that will ask for them.
//!
//! A list that knows what its items select loads, in one batch per selected
//! relation, what each item's relation field is about to ask for, and leaves
//! the results here under the same keys the resolvers build. A resolver that
//! finds its key takes the result and goes on without waiting on a batch;
//! one that does not asks the loaders as before. Each entry counts the
//! resolvers it expects, and the last one takes the value itself (a shared
//! window is then no longer shared, and is not copied).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use async_graphql::dataloader::Loader;
use futures_util::future::BoxFuture;

use super::{LoadResult, RelationLoader};
use crate::error::LoadError;

/// The results loaded ahead for one request, by key type.
#[derive(Default)]
pub struct Ahead {
    tables: Mutex<foldhash::HashMap<TypeId, Box<dyn Any + Send>>>,
}

/// The results of one key type: each with how many resolvers will take it.
/// (Keys hash with foldhash: a list's key holds its whole slice, hashed
/// once per item, and a request's own keys need no protection from
/// collisions chosen by a client.)
struct Table<K, V>(foldhash::HashMap<K, (LoadResult<Option<V>>, usize)>);

impl Ahead {
    /// Leaves `results` for the resolvers: each key with its result (`None`:
    /// no row) and how many resolvers will ask for it, added to what an
    /// earlier batch left for the same key.
    pub fn put<K, V>(&self, results: impl IntoIterator<Item = (K, LoadResult<Option<V>>, usize)>)
    where
        K: Hash + Eq + Send + 'static,
        V: Send + 'static,
    {
        let mut tables = self
            .tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let table = tables
            .entry(TypeId::of::<(K, V)>())
            .or_insert_with(|| Box::new(Table::<K, V>(foldhash::HashMap::default())));
        let Some(Table(table)) = table.downcast_mut::<Table<K, V>>() else {
            return;
        };
        for (key, result, uses) in results {
            table
                .entry(key)
                .and_modify(|(_, left)| *left += uses)
                .or_insert((result, uses));
        }
    }

    /// The result loaded ahead for `key`, if any: a copy while other
    /// resolvers are still to take it, the value itself for the last one.
    pub fn take<K, V>(&self, key: &K) -> Option<LoadResult<Option<V>>>
    where
        K: Hash + Eq + Send + 'static,
        V: Clone + Send + 'static,
    {
        let mut tables = self
            .tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Table(table) = tables
            .get_mut(&TypeId::of::<(K, V)>())?
            .downcast_mut::<Table<K, V>>()?;
        let (result, left) = table.get_mut(key)?;
        if *left > 1 {
            *left -= 1;
            return Some(result.clone());
        }
        table.remove(key).map(|(result, _)| result)
    }
}

/// The shared result of one batch: every key's value, for every caller.
pub type Batch<K> = Arc<HashMap<K, <RelationLoader as Loader<K>>::Value>>;

/// The batches lists load ahead with: like the `DataLoader`, every caller
/// of one key type in a round joins one batch (so two lists that load the
/// same relation share its statement), which the request's
/// [`BatchDriver`](super::BatchDriver) starts once the round is in; unlike
/// it, a caller brings all of its keys at once and gets the batch's whole
/// result, shared, instead of a copy of its own part.
pub struct Batches {
    loader: Arc<RelationLoader>,
    pending: Arc<Mutex<foldhash::HashMap<TypeId, Box<dyn Any + Send>>>>,
    queue: super::Queue,
}

/// The callers of one key type waiting for the next batch.
struct Waiting<K: Send + Sync + Hash + Eq + Clone + 'static>
where
    RelationLoader: Loader<K>,
{
    keys: foldhash::HashSet<K>,
    callers: Vec<tokio::sync::oneshot::Sender<LoadResult<Batch<K>>>>,
}

impl Batches {
    /// Batches on `loader`, started by the driver that runs `queue`.
    pub(super) fn new(loader: RelationLoader, queue: super::Queue) -> Batches {
        Batches {
            loader: Arc::new(loader),
            pending: Arc::default(),
            queue,
        }
    }

    /// Loads `keys` in the round's batch of their type.
    pub async fn load<K>(&self, keys: impl IntoIterator<Item = K>) -> LoadResult<Batch<K>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        RelationLoader: Loader<K, Error = LoadError>,
    {
        let (caller, answer) = tokio::sync::oneshot::channel();
        let first = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let entry = pending.entry(TypeId::of::<K>()).or_insert_with(|| {
                Box::new(Waiting::<K> {
                    keys: foldhash::HashSet::default(),
                    callers: Vec::new(),
                })
            });
            let Some(waiting) = entry.downcast_mut::<Waiting<K>>() else {
                return Err(batch_lost());
            };
            waiting.keys.extend(keys);
            waiting.callers.push(caller);
            waiting.callers.len() == 1
        };
        if first {
            let run = self.run::<K>();
            self.queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(run);
        }
        answer.await.unwrap_or_else(|_| Err(batch_lost()))
    }

    /// The batch of the key type `K`: whatever its callers brought by the
    /// time the driver starts it.
    fn run<K>(&self) -> BoxFuture<'static, ()>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        RelationLoader: Loader<K, Error = LoadError>,
    {
        let loader = self.loader.clone();
        let pending = self.pending.clone();
        Box::pin(async move {
            let waiting = pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&TypeId::of::<K>())
                .and_then(|waiting| waiting.downcast::<Waiting<K>>().ok());
            let Some(waiting) = waiting else {
                return;
            };
            let keys: Vec<K> = waiting.keys.into_iter().collect();
            let result = loader.load(&keys).await.map(Arc::new);
            for caller in waiting.callers {
                // A caller that went away (its request ended) needs no answer.
                let _ = caller.send(result.clone());
            }
        })
    }
}

/// What a caller gets if its batch was dropped before it ran (only when its
/// request is being dropped too).
fn batch_lost() -> LoadError {
    LoadError::from(sea_orm::DbErr::Custom(
        "a batch was dropped before it ran".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `take` gave, without the error type (which has no equality).
    fn taken<V: Clone + Send + 'static>(ahead: &Ahead, key: i32) -> Option<Option<Option<V>>> {
        ahead.take::<i32, V>(&key).map(Result::ok)
    }

    #[test]
    fn each_expected_resolver_takes_the_result_once() {
        let ahead = Ahead::default();
        ahead.put([(1, Ok(Some("one".to_owned())), 2), (2, Ok(None), 1)]);
        let one = Some(Some(Some("one".to_owned())));
        assert_eq!(taken::<String>(&ahead, 1), one);
        assert_eq!(taken::<String>(&ahead, 1), one);
        assert_eq!(taken::<String>(&ahead, 1), None, "both uses are taken");
        assert_eq!(
            taken::<String>(&ahead, 2),
            Some(Some(None)),
            "no row is a result too"
        );
        assert_eq!(
            taken::<u64>(&ahead, 2),
            None,
            "another value type is another table"
        );
    }

    #[test]
    fn a_second_batch_for_the_same_key_adds_its_uses() {
        let ahead = Ahead::default();
        ahead.put([(7, Ok(Some(1u64)), 1)]);
        ahead.put([(7, Ok(Some(1u64)), 1)]);
        assert_eq!(taken::<u64>(&ahead, 7), Some(Some(Some(1))));
        assert_eq!(taken::<u64>(&ahead, 7), Some(Some(Some(1))));
        assert_eq!(taken::<u64>(&ahead, 7), None);
    }
}
