//! Counts per parent: one `GROUP BY` statement for every sibling at a level.
//!
//! `CountOf<P, C>` counts the `C` rows related to the `P` row `parent`: the
//! posts of a user (`GROUP BY posts.author_id`), or the photos of a tag
//! (`GROUP BY photo_tags.tag_id`, counted on the join table alone).

use std::collections::HashMap;
use std::marker::PhantomData;

use super::Fetch;
use derive_where::derive_where;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, Query};
use sea_orm::{ConnectionTrait, EntityTrait, Related};

use super::{LoadResult, RelationLoader, column_of, qualified, table_of};

/// The key of a count of the `C` rows related to a `P` row.
#[derive_where(Clone, PartialEq, Eq, Hash)]
pub struct CountOf<P, C> {
    /// The parent row's id.
    pub parent: i32,
    _relation: PhantomData<fn() -> (P, C)>,
}

impl<P, C> CountOf<P, C> {
    /// The count for the parent `parent`.
    pub fn new(parent: i32) -> Self {
        CountOf {
            parent,
            _relation: PhantomData,
        }
    }
}

impl<P, C> Fetch<CountOf<P, C>> for RelationLoader
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
{
    type Value = u64;
    async fn fetch(&self, keys: &[CountOf<P, C>]) -> LoadResult<HashMap<CountOf<P, C>, u64>> {
        let (def, via) = super::relation::<P, C>();
        // Many-to-many counts rows of the join table; one-to-many, of the child table.
        let (table, column) = match &via {
            Some(via) => (table_of(&via.to_tbl), column_of(&via.to_col)),
            None => (table_of(&def.to_tbl), column_of(&def.to_col)),
        };
        let parent = qualified(table.clone(), column);
        let mut query = Query::select();
        query
            .expr_as(parent.clone(), Alias::new("folio_parent"))
            .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("folio_count"))
            .from(table)
            .and_where(super::among(
                self.db.get_database_backend(),
                parent.clone(),
                &keys.iter().map(|k| k.parent).collect::<Vec<_>>(),
            ))
            .group_by_col(Alias::new("folio_parent"));
        let rows = self
            .db
            .query_all_raw(self.db.get_database_backend().build(&query))
            .await?;
        let mut counts: HashMap<CountOf<P, C>, u64> =
            keys.iter().map(|key| (key.clone(), 0)).collect();
        for row in rows {
            let parent: i32 = row.try_get("", "folio_parent")?;
            let count: i64 = row.try_get("", "folio_count")?;
            counts.insert(CountOf::new(parent), u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }
}
