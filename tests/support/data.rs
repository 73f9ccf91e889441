//! Seeded data sets for the API tests, and the same data read back through
//! sea-orm so that tests can compare the API's answer with the database's.

use api::seed::SeedOptions;

/// A small data set: `users` users, each with 4 posts and 3 photos; 12 tags,
/// 2 per photo. Deterministic: the same `users` gives the same rows.
pub fn small(users: u32) -> SeedOptions {
    SeedOptions {
        users,
        posts_per_user: 4,
        photos_per_user: 3,
        tags: 12,
        tags_per_photo: 2,
        comments_per_post: 2,
    }
}

/// The same shape as [`small`] with ten times the rows at every level.
pub fn ten_times(users: u32) -> SeedOptions {
    SeedOptions {
        users: users * 10,
        posts_per_user: 40,
        photos_per_user: 30,
        tags: 120,
        tags_per_photo: 20,
        comments_per_post: 20,
    }
}
