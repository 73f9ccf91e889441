//! `events_head`: one row (id 1) that orders the writers of `events`.
//!
//! Each transaction that writes events first updates this row and so holds
//! its lock until it commits: events take their ids and commit one writer
//! after another, and a follower reading by id never passes over an id that
//! commits later.

use sea_orm::entity::prelude::*;

/// The head of the outbox.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events_head")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// How many transactions have written events: bumped by each, to take the row's lock.
    pub writes: i64,
    /// The newest event id that pruning has removed (0: none yet).
    pub pruned_through: i64,
}

/// The head stands alone.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
