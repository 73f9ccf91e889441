//! Bulk writing of the demo rows: each table's rows go in as chunked
//! multi-row `INSERT`s, one statement per chunk of as many rows as the
//! bind-parameter limit allows, and the ids the database gave them are read
//! back in one statement by a column the demo data keeps unique.
//!
//! It deliberately does not make rows (that is [`super::data`]), open or
//! commit the transaction, or check that the database is empty (that is
//! [`super::seed`]).

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, Iterable, QueryOrder, QuerySelect,
};

/// The most bound parameters one statement may carry: below SQLite's 32,766,
/// and well below the 65,535 of PostgreSQL and MySQL.
const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

/// Inserts `rows` (`total` of them) in as few statements as the parameter
/// limit allows, reporting `label written/total` after each statement;
/// returns the rows written.
pub async fn insert<A>(
    txn: &DatabaseTransaction,
    label: &str,
    total: u64,
    rows: impl Iterator<Item = A> + Send,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<u64, DbErr>
where
    A: ActiveModelTrait + Send,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count();
    let rows_per_statement = (MAX_PARAMS_PER_STATEMENT / columns.max(1)).max(1);
    let mut rows = rows.peekable();
    let mut written = 0;
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(rows_per_statement).collect();
        written += <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
        progress(&format!("{label} {written}/{total}"));
    }
    if total == 0 {
        progress(&format!("{label} 0/0"));
    }
    Ok(written)
}

/// The ids of rows `0..count` of `E`, in order, read back in one statement:
/// row `i` is the one whose unique column `key` holds `key_of(i)`, so ids never
/// have to be guessed.
pub async fn read_ids<E>(
    txn: &DatabaseTransaction,
    id: E::Column,
    key: E::Column,
    count: u64,
    key_of: impl Fn(u64) -> String,
) -> Result<Vec<i32>, DbErr>
where
    E: EntityTrait,
{
    let rows: Vec<(i32, String)> = E::find()
        .select_only()
        .column(id)
        .column(key)
        .into_tuple()
        .all(txn)
        .await?;
    let ids: HashMap<String, i32> = rows.into_iter().map(|(id, key)| (key, id)).collect();
    (0..count)
        .map(|i| {
            let key = key_of(i);
            ids.get(&key).copied().ok_or_else(|| {
                DbErr::Custom(format!("seeded row {key:?} was not found when read back"))
            })
        })
        .collect()
}

/// The ids of the `count` rows of `E` in the order they were inserted, read
/// back in one statement: for tables without a unique column the demo data
/// could key them by. Seeding writes into an empty database in one
/// transaction, and every backend numbers the rows of a multi-row `INSERT`
/// in order, so ascending ids are insertion order.
pub async fn read_ids_in_order<E>(
    txn: &DatabaseTransaction,
    id: E::Column,
    count: u64,
) -> Result<Vec<i32>, DbErr>
where
    E: EntityTrait,
{
    let ids: Vec<i32> = E::find()
        .select_only()
        .column(id)
        .order_by_asc(id)
        .into_tuple()
        .all(txn)
        .await?;
    if ids.len() as u64 != count {
        return Err(DbErr::Custom(format!(
            "read back {} ids where {count} rows were written",
            ids.len()
        )));
    }
    Ok(ids)
}
