//! The outbox's SQL: appending a transaction's events, reading them back by
//! id with the rows they name, and pruning old ones.

use std::collections::HashMap;

use entity::{event, events_head, photo, post, tag};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::{Change, Event, Subject};
use crate::error::ApiError;

/// The PostgreSQL channel a commit of events notifies.
pub const CHANNEL: &str = "folio_events";

/// The most events read in one statement.
const PAGE: u64 = 500;

/// Appends `changes` to the outbox inside the caller's transaction `txn`,
/// as its last writes: the `events_head` row is locked first (and stays
/// locked until the caller commits), so that events commit in id order.
/// On PostgreSQL the commit also notifies [`CHANNEL`].
pub async fn append(txn: &impl ConnectionTrait, changes: &[Change]) -> Result<(), DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    lock_head(txn).await?;
    let now = entity::timestamp::now();
    let rows = changes.iter().map(|change| event::ActiveModel {
        kind: Set(change.kind().to_owned()),
        // Serializing a plain enum of numbers cannot fail.
        payload: Set(serde_json::to_string(change).unwrap_or_default()),
        created_at: Set(now),
        ..Default::default()
    });
    event::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// Takes the lock of the `events_head` row for the rest of the transaction
/// `txn`, making the row first should it be missing (the migration makes
/// it; a copy of the schema without its rows would not have it).
async fn lock_head(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let bump = || {
        events_head::Entity::update_many()
            .col_expr(
                events_head::Column::Writes,
                Expr::col(events_head::Column::Writes).add(1),
            )
            .filter(events_head::Column::Id.eq(1))
    };
    if bump().exec(txn).await?.rows_affected > 0 {
        return Ok(());
    }
    events_head::Entity::insert(events_head::ActiveModel {
        id: Set(1),
        writes: Set(0),
        pruned_through: Set(0),
    })
    .on_conflict_do_nothing_on([events_head::Column::Id])
    .exec_without_returning(txn)
    .await?;
    bump().exec(txn).await?;
    Ok(())
}

/// The newest id in the outbox (0 when it is empty).
pub async fn newest_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let newest: Option<Option<i64>> = event::Entity::find()
        .select_only()
        .column_as(event::Column::Id.max(), "newest")
        .into_tuple()
        .one(db)
        .await?;
    Ok(newest.flatten().unwrap_or(0))
}

/// Up to [`PAGE`] events after id `after`, oldest first, with their rows;
/// and the id of the last event read (`after` when none was), so that a
/// reader moves past events whose rows are gone.
pub async fn read_after(
    db: &impl ConnectionTrait,
    after: i64,
) -> Result<(Vec<Event>, i64, bool), DbErr> {
    read_page(db, after, None, page_limit(PAGE)).await
}

/// A page size as a limit: at least one row.
fn page_limit(page: u64) -> u64 {
    Ord::max(page, 1)
}

/// Up to `page` events after id `after` (and up to id `through`, if
/// given), as [`read_after`] reads them.
async fn read_page(
    db: &impl ConnectionTrait,
    after: i64,
    through: Option<i64>,
    page: u64,
) -> Result<(Vec<Event>, i64, bool), DbErr> {
    let mut rows = event::Entity::find().filter(event::Column::Id.gt(after));
    if let Some(through) = through {
        rows = rows.filter(event::Column::Id.lte(through));
    }
    let rows = rows
        .order_by_asc(event::Column::Id)
        .limit(page)
        .all(db)
        .await?;
    let more = rows.len() as u64 == page;
    let last = rows.last().map_or(after, |row| row.id);
    Ok((with_subjects(db, rows).await?, last, more))
}

/// The retained events after id `after` up to id `through`, oldest first:
/// what a resuming subscription missed, read `page` at a time as the
/// stream is taken (a subscription holds one page, not the whole of it).
/// `BAD_USER_INPUT` on `after` when pruning has removed some of them.
pub async fn replay(
    db: sea_orm::DatabaseConnection,
    after: i64,
    through: i64,
    page: u64,
) -> Result<impl futures_util::Stream<Item = Result<Event, DbErr>> + Send + 'static, ApiError> {
    use futures_util::StreamExt;
    let pruned_through = events_head::Entity::find_by_id(1)
        .one(&db)
        .await?
        .map_or(0, |head| head.pruned_through);
    if after < pruned_through {
        return Err(ApiError::bad_input(
            "after",
            "the events after this cursor are no longer kept; subscribe again without `after`",
        ));
    }
    let pages = futures_util::stream::unfold(Some(after), move |from| {
        let db = db.clone();
        async move {
            let from = from?;
            match read_page(&db, from, Some(through), page_limit(Ord::min(page, PAGE))).await {
                Ok((events, last, more)) => {
                    let events: Vec<Result<Event, DbErr>> = events.into_iter().map(Ok).collect();
                    let next = (more && last < through).then_some(last);
                    Some((events, next))
                }
                Err(err) => Some((vec![Err(err)], None)),
            }
        }
    });
    Ok(pages.flat_map(futures_util::stream::iter))
}

/// The most events one batch of pruning removes.
pub const PRUNE_BATCH: u64 = 1000;

/// Removes up to [`PRUNE_BATCH`] of the oldest events created before
/// `before`, and records the newest id removed in `events_head`, in one
/// transaction whose lock on the head is taken last. Returns how many were
/// removed.
pub async fn prune_batch(
    db: &sea_orm::DatabaseConnection,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<u64, DbErr> {
    let ids: Vec<i64> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::CreatedAt.lt(before))
        .order_by_asc(event::Column::Id)
        .limit(PRUNE_BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let Some(&through) = ids.last() else {
        return Ok(0);
    };
    let txn = db.begin().await?;
    let removed = event::Entity::delete_many()
        .filter(event::Column::Id.lte(through))
        .exec(&txn)
        .await?
        .rows_affected;
    lock_head(&txn).await?;
    events_head::Entity::update_many()
        .col_expr(events_head::Column::PrunedThrough, Expr::value(through))
        .filter(events_head::Column::Id.eq(1))
        .filter(events_head::Column::PrunedThrough.lt(through))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(removed)
}

/// The events of `rows` with the rows they name, read in one statement per
/// table; an event whose rows are gone (deleted since) is left out.
async fn with_subjects(
    db: &impl ConnectionTrait,
    rows: Vec<event::Model>,
) -> Result<Vec<Event>, DbErr> {
    let changes: Vec<(i64, Change)> = rows
        .into_iter()
        .filter_map(|row| match serde_json::from_str::<Change>(&row.payload) {
            Ok(change) => Some((row.id, change)),
            Err(err) => {
                tracing::warn!(event = row.id, "an outbox row that does not parse: {err}");
                None
            }
        })
        .collect();
    let (mut post_ids, mut photo_ids, mut tag_ids) = (Vec::new(), Vec::new(), Vec::new());
    for (_, change) in &changes {
        match *change {
            Change::PostCreated { post_id, .. } => post_ids.push(post_id),
            Change::PhotoCreated { photo_id, .. } => photo_ids.push(photo_id),
            Change::PhotoTagged { photo_id, tag_id } => {
                photo_ids.push(photo_id);
                tag_ids.push(tag_id);
            }
        }
    }
    let posts = by_id::<post::Entity, _>(db, post::Column::Id, post_ids, |p| p.id).await?;
    let photos = by_id::<photo::Entity, _>(db, photo::Column::Id, photo_ids, |p| p.id).await?;
    let tags = by_id::<tag::Entity, _>(db, tag::Column::Id, tag_ids, |t| t.id).await?;
    Ok(changes
        .into_iter()
        .filter_map(|(id, change)| {
            let subject = match change {
                Change::PostCreated { post_id, .. } => Subject::Post(posts.get(&post_id)?.clone()),
                Change::PhotoCreated { photo_id, .. } => {
                    Subject::Photo(photos.get(&photo_id)?.clone())
                }
                Change::PhotoTagged { photo_id, tag_id } => {
                    Subject::Tagged(photos.get(&photo_id)?.clone(), tags.get(&tag_id)?.clone())
                }
            };
            Some(Event {
                id,
                subject,
                memo: Default::default(),
            })
        })
        .collect())
}

/// The rows of `E` whose `column` is one of `ids`, by id; no statement when there are none.
async fn by_id<E, C>(
    db: &impl ConnectionTrait,
    column: C,
    mut ids: Vec<i32>,
    id_of: impl Fn(&E::Model) -> i32,
) -> Result<HashMap<i32, E::Model>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(E::find()
        .filter(column.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (id_of(&row), row))
        .collect())
}
