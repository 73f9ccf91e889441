//! Folio's schema, version by version.
//!
//! `Migrator` lists the versions in the order they apply; each module holds one
//! version with its `up` and its `down` side by side, and every `down` undoes
//! its `up` completely. The same code runs on SQLite, PostgreSQL and
//! MySQL/MariaDB: where the backends differ (timestamp precision,
//! case-insensitive e-mail uniqueness) the difference is written once, in
//! [`columns`]. Constraints and indexes are named, so that a violation can be
//! traced back to the field it protects.
//!
//! A version that has run never changes: it writes its column sizes itself
//! instead of reading `entity::limits`, and `tests/ddl_snapshots.rs` holds
//! the statements of every version, on every backend, to the snapshot
//! committed in `tests/ddl/`. A change to the schema is a new version.

pub use sea_orm_migration::prelude::*;

pub mod columns;
mod m20261123_000001_create_users;
mod m20261123_000002_create_profiles;
mod m20261123_000003_create_posts;
mod m20261123_000004_create_photos;
mod m20261123_000005_create_tags;
mod m20261123_000006_create_photo_tags;
mod m20261123_000007_index_root_lists;
mod m20261123_000008_create_comments;
mod m20261123_000009_seek_indexes;
mod m20261124_000010_create_events;
mod m20261124_000011_photo_files;
mod m20261124_000012_photo_tags_photo_created_at;
mod m20261207_000014_login_keys;
mod m20261207_000015_image_locks;

/// The ordered list of Folio's schema versions.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_users::Migration),
            Box::new(m20261123_000002_create_profiles::Migration),
            Box::new(m20261123_000003_create_posts::Migration),
            Box::new(m20261123_000004_create_photos::Migration),
            Box::new(m20261123_000005_create_tags::Migration),
            Box::new(m20261123_000006_create_photo_tags::Migration),
            Box::new(m20261123_000007_index_root_lists::Migration),
            Box::new(m20261123_000008_create_comments::Migration),
            Box::new(m20261123_000009_seek_indexes::Migration),
            Box::new(m20261124_000010_create_events::Migration),
            Box::new(m20261124_000011_photo_files::Migration),
            Box::new(m20261124_000012_photo_tags_photo_created_at::Migration),
            Box::new(m20261207_000014_login_keys::Migration),
            Box::new(m20261207_000015_image_locks::Migration),
        ]
    }
}
