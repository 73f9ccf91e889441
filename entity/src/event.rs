//! `events`: the subscriptions' outbox. One row per change clients may
//! subscribe to, written in the transaction of the change; ids increase in
//! the order the rows commit (see `events_head`). Rows are pruned after a
//! retention.

use sea_orm::entity::prelude::*;

/// An event: what happened (`kind`), and the ids it names (`payload`, a JSON object).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// The row id: increasing in commit order, never given twice.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What happened: `post_created`, `photo_created` or `photo_tagged`.
    pub kind: String,
    /// The ids the event names, as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// When the change was made (UTC).
    pub created_at: DateTimeUtc,
}

/// Events name rows by id in their payload; they have no foreign keys, so
/// that an event outlives what it names for as long as it is retained.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::timestamp::keep_timestamps!(created_at);
