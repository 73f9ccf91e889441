//! Deterministic demo data: `folio seed` and `folio serve --demo` fill an empty
//! database with users, their profiles, posts and photos, and tags on the photos.
//!
//! This module holds what callers see — the options, the report, the errors —
//! and [`seed`], which refuses a database that already has users or tags, then
//! hands the rows that [`data`] computes to [`writer`], table by table, in one
//! transaction: a failure leaves nothing behind. The same options on an empty
//! database always give the same rows, so that benchmarks, screenshots and bug
//! reports are reproducible. It deliberately does not migrate the schema (the
//! caller does that first), and does not go through the entities'
//! `ActiveModelBehavior` (bulk inserts skip it, so [`data`] sets every
//! timestamp itself).

mod data;
pub mod images;
mod writer;

use std::fmt;

use entity::{photo, post, tag, user};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QuerySelect, TransactionTrait};

use data::Demo;

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "folio-demo-password";

/// How much demo data to write.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedOptions {
    /// Users to create, each with a profile.
    #[arg(long, default_value_t = 1000)]
    pub users: u32,

    /// Posts each user writes.
    #[arg(long, default_value_t = 20)]
    pub posts_per_user: u32,

    /// Photos each user publishes.
    #[arg(long, default_value_t = 10)]
    pub photos_per_user: u32,

    /// Distinct tags to create.
    #[arg(long, default_value_t = 500)]
    pub tags: u32,

    /// Distinct tags on each photo; at most `--tags`. Some tags are chosen far
    /// more often than others, as on a real site.
    #[arg(long, default_value_t = 5)]
    pub tags_per_photo: u32,

    /// Comments under each post, by users chosen at random.
    #[arg(long, default_value_t = 3)]
    pub comments_per_post: u32,
}

impl SeedOptions {
    /// The small data set `folio serve --demo` writes: enough to explore every
    /// relation and page through a connection, quick to write.
    pub fn demo() -> Self {
        Self {
            users: 20,
            posts_per_user: 8,
            photos_per_user: 5,
            tags: 30,
            tags_per_photo: 3,
            comments_per_post: 3,
        }
    }

    /// Checks the options against each other and against the id range.
    fn validate(&self) -> Result<(), SeedError> {
        if self.tags_per_photo > self.tags {
            return Err(SeedError::InvalidOptions(format!(
                "--tags-per-photo ({}) cannot exceed --tags ({}): a photo carries each tag at most once",
                self.tags_per_photo, self.tags
            )));
        }
        let users = u64::from(self.users);
        let photos = users * u64::from(self.photos_per_user);
        let counts = [
            ("users", users),
            ("posts", users * u64::from(self.posts_per_user)),
            ("photos", photos),
            ("tags", u64::from(self.tags)),
            (
                "comments",
                users * u64::from(self.posts_per_user) * u64::from(self.comments_per_post),
            ),
        ];
        for (what, count) in counts {
            // Ids are 32-bit signed integers.
            if count > i32::MAX as u64 {
                return Err(SeedError::InvalidOptions(format!(
                    "{count} {what} would not fit in 32-bit ids (at most {})",
                    i32::MAX
                )));
            }
        }
        Ok(())
    }
}

impl Default for SeedOptions {
    /// The options of a bare `folio seed` (the data set the benchmarks are
    /// measured on), read from the flags' defaults.
    fn default() -> Self {
        crate::config::defaults()
    }
}

/// How many rows a seed run wrote to each table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Rows written to `users`.
    pub users: u64,
    /// Rows written to `profiles` (one per user).
    pub profiles: u64,
    /// Rows written to `posts`.
    pub posts: u64,
    /// Rows written to `photos`.
    pub photos: u64,
    /// Rows written to `tags`.
    pub tags: u64,
    /// Rows written to `photo_tags`.
    pub photo_tags: u64,
    /// Rows written to `comments`.
    pub comments: u64,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} users, {} profiles, {} posts, {} photos, {} tags, {} photo tags, {} comments",
            self.users,
            self.profiles,
            self.posts,
            self.photos,
            self.tags,
            self.photo_tags,
            self.comments
        )
    }
}

/// Why a seed run wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database already has users or tags; seeding only fills an empty database.
    #[error(
        "the database already has data; seed an empty database (`folio migrate fresh` empties it)"
    )]
    NotEmpty,
    /// The options contradict each other or exceed what the schema can hold.
    #[error("invalid seed options: {0}")]
    InvalidOptions(String),
    /// The database failed (including a schema that was not migrated); the
    /// transaction was rolled back.
    #[error("seeding failed: {0}")]
    Db(#[from] DbErr),
}

/// [`seed_with_images`] with photos that have no image (by file name alone).
pub async fn seed(
    db: &DatabaseConnection,
    options: &SeedOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<SeedReport, SeedError> {
    seed_with_images(db, options, &[], progress).await
}

/// Fills an empty, migrated database with the demo data `options` describe,
/// in one transaction, and reports how many rows went into each table.
///
/// `progress` receives a short line after each bulk statement (`posts
/// 5000/20000`) and a final summary. Fails with [`SeedError::NotEmpty`],
/// having written nothing, when the database already has a user or a tag. Every user's
/// password is [`DEMO_PASSWORD`]. Photo `n` shows `images[n % images.len()]`
/// (stored beforehand by [`images::store`]); with no images, none does.
pub async fn seed_with_images(
    db: &DatabaseConnection,
    options: &SeedOptions,
    images: &[crate::media::Stored],
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<SeedReport, SeedError> {
    options.validate()?;
    let txn = db.begin().await?;
    let has_user = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .into_tuple::<i32>()
        .one(&txn)
        .await?
        .is_some();
    // Tags are the only rows that exist without a user; leftover ones would
    // clash with the demo's names.
    let has_tag = tag::Entity::find()
        .select_only()
        .column(tag::Column::Id)
        .into_tuple::<i32>()
        .one(&txn)
        .await?
        .is_some();
    if has_user || has_tag {
        return Err(SeedError::NotEmpty);
    }

    let demo = Demo::new(options);
    let password_hash = data::demo_password_hash();
    let mut report = SeedReport::default();

    let users = u64::from(options.users);
    let user_rows = (0..users).map(|i| demo.user(i, &password_hash));
    report.users = writer::insert(&txn, "users", users, user_rows, progress).await?;
    let user_ids = writer::read_ids::<user::Entity>(
        &txn,
        user::Column::Id,
        user::Column::Username,
        users,
        data::username,
    )
    .await?;

    let profile_rows = (0..users).map(|i| demo.profile(i, user_ids[i as usize]));
    report.profiles = writer::insert(&txn, "profiles", users, profile_rows, progress).await?;

    let posts = users * u64::from(options.posts_per_user);
    let post_rows = (0..posts).map(|n| demo.post(n, user_ids[demo.user_of(n)]));
    report.posts = writer::insert(&txn, "posts", posts, post_rows, progress).await?;
    let post_ids = writer::read_ids_in_order::<post::Entity>(&txn, post::Column::Id, posts).await?;

    let photos = users * u64::from(options.photos_per_user);
    let photo_rows = (0..photos).map(|n| {
        let image = (!images.is_empty()).then(|| &images[n as usize % images.len()]);
        demo.photo(n, user_ids[demo.user_of(n)], image)
    });
    report.photos = writer::insert(&txn, "photos", photos, photo_rows, progress).await?;
    let photo_ids = writer::read_ids::<photo::Entity>(
        &txn,
        photo::Column::Id,
        photo::Column::Filename,
        photos,
        |n| demo.photo_filename(n),
    )
    .await?;

    let tags = u64::from(options.tags);
    let tag_rows = (0..tags).map(|t| demo.tag(t));
    report.tags = writer::insert(&txn, "tags", tags, tag_rows, progress).await?;
    let tag_ids = writer::read_ids::<tag::Entity>(
        &txn,
        tag::Column::Id,
        tag::Column::Name,
        tags,
        data::tag_name,
    )
    .await?;

    let photo_tag_rows =
        (0..photos).flat_map(|n| demo.photo_tags(n, photo_ids[n as usize], &tag_ids));
    report.photo_tags = writer::insert(
        &txn,
        "photo tags",
        photos * u64::from(options.tags_per_photo),
        photo_tag_rows,
        progress,
    )
    .await?;

    let comments = posts * u64::from(options.comments_per_post);
    let comment_rows = (0..comments).map(|k| {
        let n = k / u64::from(options.comments_per_post);
        demo.comment(k, n, post_ids[n as usize], &user_ids)
    });
    report.comments = writer::insert(&txn, "comments", comments, comment_rows, progress).await?;

    txn.commit().await?;
    progress(&format!("seeded {report}"));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_tags_per_photo_than_tags_is_refused() {
        let options = SeedOptions {
            tags: 3,
            tags_per_photo: 4,
            comments_per_post: 0,
            ..SeedOptions::demo()
        };
        assert!(matches!(
            options.validate(),
            Err(SeedError::InvalidOptions(_))
        ));
        assert!(SeedOptions::demo().validate().is_ok());
        assert!(SeedOptions::default().validate().is_ok());
    }

    #[test]
    fn default_options_match_the_command_line_defaults() {
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            seed: SeedOptions,
        }
        let parsed = <Command as clap::Parser>::try_parse_from(["seed"])
            .expect("no flags is a valid command line")
            .seed;
        let default = SeedOptions::default();
        assert_eq!(
            (
                parsed.users,
                parsed.posts_per_user,
                parsed.photos_per_user,
                parsed.tags,
                parsed.tags_per_photo
            ),
            (
                default.users,
                default.posts_per_user,
                default.photos_per_user,
                default.tags,
                default.tags_per_photo
            )
        );
    }

    #[test]
    fn seeding_can_run_on_a_spawned_task() {
        fn assert_send<T: Send>(_: &T) {}
        let db = DatabaseConnection::default();
        let options = SeedOptions::demo();
        let mut progress = |_: &str| {};
        // Built, never polled: the point is that it type-checks as `Send`.
        let future = seed(&db, &options, &mut progress);
        assert_send(&future);
    }

    #[test]
    fn report_reads_as_one_line() {
        let report = SeedReport {
            users: 1,
            profiles: 1,
            posts: 2,
            photos: 3,
            tags: 4,
            photo_tags: 5,
            comments: 6,
        };
        assert_eq!(
            report.to_string(),
            "1 users, 1 profiles, 2 posts, 3 photos, 4 tags, 5 photo tags, 6 comments"
        );
    }
}
