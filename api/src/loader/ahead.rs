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
use std::sync::Mutex;

use super::LoadResult;

/// The results loaded ahead for one request, by key type.
#[derive(Default)]
pub struct Ahead {
    tables: Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
}

/// The results of one key type: each with how many resolvers will take it.
struct Table<K, V>(HashMap<K, (LoadResult<Option<V>>, usize)>);

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
            .or_insert_with(|| Box::new(Table::<K, V>(HashMap::new())));
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
