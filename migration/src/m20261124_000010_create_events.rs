//! Version 10: `events`, the subscriptions' outbox, and `events_head`, the
//! one row every writer of events locks.
//!
//! A change that clients may subscribe to writes its event in its own
//! transaction, so a rolled-back change emits nothing. Every instance follows
//! the table by id. Ids must become visible in increasing order for that to
//! lose nothing: two writers that took ids 10 and 11 and committed 11 first
//! would let a follower read 11, move past 10, and never see it. So each
//! writer first updates the `events_head` row, which holds its row lock until
//! the writer commits: writers of events take their ids and commit one after
//! another. `events_head.pruned_through` records the newest id pruning has
//! removed, so that a resume from an older cursor is told it came too late.
//!
//! The id is `AUTOINCREMENT` on SQLite, so that an id is never given twice
//! even once every row has been pruned.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Id))
                    .col(string_len(Events::Kind, 32))
                    .col(text(Events::Payload))
                    .col(columns::timestamp(manager, Events::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_created_at_idx")
                    .table(Events::Table)
                    .col(Events::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventsHead::Table)
                    .col(integer(EventsHead::Id).primary_key())
                    .col(big_integer(EventsHead::Writes).default(0))
                    .col(big_integer(EventsHead::PrunedThrough).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(EventsHead::Table)
                    .columns([
                        EventsHead::Id,
                        EventsHead::Writes,
                        EventsHead::PrunedThrough,
                    ])
                    .values_panic([1.into(), 0.into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventsHead::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    Kind,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EventsHead {
    Table,
    Id,
    Writes,
    PrunedThrough,
}
