//! Deterministic demo data: `folio seed` and `folio serve --demo` fill an empty
//! database with users, their profiles, posts and photos, and tags on the photos.
//!
//! The same options on an empty database always give the same rows — names,
//! texts, timestamps and tag assignments come from arithmetic on row indices
//! and a small seeded generator, never from the clock or the OS — so that
//! benchmarks, screenshots and bug reports are reproducible. Everything is
//! written in bulk `INSERT`s inside one transaction: a failure leaves nothing
//! behind. It deliberately does not migrate the schema (the caller does that
//! first), does not add to a database that already has users or tags, does not go
//! through the entities' `ActiveModelBehavior` (bulk inserts skip it, so this
//! module sets every timestamp itself), and hashes the one demo password once
//! for all users instead of once per user.

use std::collections::HashMap;
use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::{DateTime, TimeDelta, Utc};
use entity::{photo, photo_tag, post, profile, tag, user};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, Iterable,
    QuerySelect, TransactionTrait,
};

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "folio-demo-password";

/// The most bound parameters one statement may carry: below SQLite's 32,766,
/// and well below the 65,535 of PostgreSQL and MySQL.
const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

/// The fixed salt of the shared demo password hash; any fixed bytes would do.
const DEMO_SALT: &[u8; 16] = b"folio-demo-salt!";

/// Seconds from the Unix epoch to 2026-01-01T00:00:00Z, the time every demo
/// timestamp is an offset from.
const BASE_UNIX_SECONDS: i64 = 1_767_225_600;

/// Seconds between two consecutive registrations.
const USER_STEP: i64 = 60;
/// Seconds between two consecutive posts (across all authors).
const POST_STEP: i64 = 90;
/// Seconds between two consecutive photos (across all owners).
const PHOTO_STEP: i64 = 150;
/// Seconds between the creation of two consecutive tags.
const TAG_STEP: i64 = 30;
/// Every `TIE_EVERY`-th post or photo of a user repeats the previous one's
/// `created_at` exactly, so that orderings must break ties by id.
const TIE_EVERY: u64 = 7;

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
    /// The options of a bare `folio seed`: the data set the benchmarks are measured on.
    fn default() -> Self {
        Self {
            users: 1000,
            posts_per_user: 20,
            photos_per_user: 10,
            tags: 500,
            tags_per_photo: 5,
        }
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
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} users, {} profiles, {} posts, {} photos, {} tags, {} photo tags",
            self.users, self.profiles, self.posts, self.photos, self.tags, self.photo_tags
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

/// Fills an empty, migrated database with the demo data `options` describe,
/// in one transaction, and reports how many rows went into each table.
///
/// `progress` receives a short line after each bulk statement (`posts
/// 5000/20000`) and a final summary. Fails with [`SeedError::NotEmpty`],
/// having written nothing, when the database already has a user or a tag. Every user's
/// password is [`DEMO_PASSWORD`].
pub async fn seed(
    db: &DatabaseConnection,
    options: &SeedOptions,
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
    let password_hash = demo_password_hash();
    let mut report = SeedReport::default();

    let users = u64::from(options.users);
    report.users = insert_in_chunks(
        &txn,
        "users",
        users,
        (0..users).map(|i| demo.user(i, &password_hash)),
        progress,
    )
    .await?;
    let user_ids = read_ids::<user::Entity>(&txn, user::Column::Id, user::Column::Username).await?;
    let user_ids = ids_in_order(&user_ids, users, username)?;

    report.profiles = insert_in_chunks(
        &txn,
        "profiles",
        users,
        (0..users).map(|i| demo.profile(i, &user_ids)),
        progress,
    )
    .await?;

    let posts = users * u64::from(options.posts_per_user);
    report.posts = insert_in_chunks(
        &txn,
        "posts",
        posts,
        (0..posts).map(|n| demo.post(n, &user_ids)),
        progress,
    )
    .await?;

    let photos = users * u64::from(options.photos_per_user);
    report.photos = insert_in_chunks(
        &txn,
        "photos",
        photos,
        (0..photos).map(|n| demo.photo(n, &user_ids)),
        progress,
    )
    .await?;
    let photo_ids =
        read_ids::<photo::Entity>(&txn, photo::Column::Id, photo::Column::Filename).await?;
    let photo_ids = ids_in_order(&photo_ids, photos, |n| demo.photo_filename(n))?;

    let tags = u64::from(options.tags);
    report.tags =
        insert_in_chunks(&txn, "tags", tags, (0..tags).map(|t| demo.tag(t)), progress).await?;
    let tag_ids = read_ids::<tag::Entity>(&txn, tag::Column::Id, tag::Column::Name).await?;
    let tag_ids = &ids_in_order(&tag_ids, tags, tag_name)?;

    let mut draw = TagDraw::new(options.tags);
    let photo_tags = (0..photos).flat_map(|n| {
        let created_at = demo.photo_created_at(n);
        let photo_id = photo_ids[n as usize];
        draw.tags_of_photo(n, options.tags_per_photo)
            .into_iter()
            .map(move |t| photo_tag::ActiveModel {
                photo_id: Set(photo_id),
                tag_id: Set(tag_ids[t as usize]),
                created_at: Set(created_at),
            })
            .collect::<Vec<_>>()
    });
    report.photo_tags = insert_in_chunks(
        &txn,
        "photo tags",
        photos * u64::from(options.tags_per_photo),
        photo_tags,
        progress,
    )
    .await?;

    txn.commit().await?;
    progress(&format!("seeded {report}"));
    Ok(report)
}

/// Hashes [`DEMO_PASSWORD`] with argon2id's default parameters and a fixed
/// salt, so the hash is the same on every run.
fn demo_password_hash() -> String {
    // The salt is 16 fixed bytes (within SaltString's 4..=48) and the default
    // parameters are valid, so neither call can fail.
    let salt = SaltString::encode_b64(DEMO_SALT).expect("16 bytes are a valid salt length");
    Argon2::default()
        .hash_password(DEMO_PASSWORD.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password and a valid salt")
        .to_string()
}

/// Inserts `rows` (`total` of them) in as few statements as the parameter
/// limit allows, reporting after each statement; returns the rows written.
async fn insert_in_chunks<A>(
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

/// Reads back every row's `(id, key)` in one statement, where `key` is a
/// column the seeder made unique, so that ids never have to be guessed.
async fn read_ids<E>(
    txn: &DatabaseTransaction,
    id: E::Column,
    key: E::Column,
) -> Result<HashMap<String, i32>, DbErr>
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
    Ok(rows.into_iter().map(|(id, key)| (key, id)).collect())
}

/// Turns the read-back `key → id` map into the ids of rows `0..count`, in order.
fn ids_in_order(
    ids: &HashMap<String, i32>,
    count: u64,
    key: impl Fn(u64) -> String,
) -> Result<Vec<i32>, DbErr> {
    (0..count)
        .map(|i| {
            let key = key(i);
            ids.get(&key).copied().ok_or_else(|| {
                DbErr::Custom(format!("seeded row {key:?} was not found when read back"))
            })
        })
        .collect()
}

/// The demo data set: every row as a pure function of its index and the
/// number of users (rows go round the users).
struct Demo {
    /// The number of users, at least 1 so that it can divide.
    users: u64,
    base: DateTime<Utc>,
}

impl Demo {
    fn new(options: &SeedOptions) -> Self {
        Self {
            users: u64::from(options.users.max(1)),
            base: base_time(),
        }
    }

    /// When user `i` registered.
    fn user_created_at(&self, i: u64) -> DateTime<Utc> {
        at(self.base, i as i64 * USER_STEP, &mut Rng::new(1, i))
    }

    fn user(&self, i: u64, password_hash: &str) -> user::ActiveModel {
        let created_at = self.user_created_at(i);
        user::ActiveModel {
            id: NotSet,
            username: Set(username(i)),
            email: Set(format!("{}@example.com", username(i))),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        }
    }

    fn profile(&self, i: u64, user_ids: &[i32]) -> profile::ActiveModel {
        let mut rng = Rng::new(2, i);
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let bio = format!(
            "{} from {}. Into {} and {}.",
            rng.pick(ROLES),
            rng.pick(CITIES),
            rng.pick(INTERESTS),
            rng.pick(INTERESTS)
        );
        // Two users in three set an avatar; the rest show the default one.
        let avatar_url =
            (i % 3 != 2).then(|| format!("https://avatars.example.com/{}.png", username(i)));
        let created_at = self.user_created_at(i) + TimeDelta::seconds(5);
        let updated_at = created_at + TimeDelta::seconds((i % 4) as i64 * 3_600);
        profile::ActiveModel {
            id: NotSet,
            user_id: Set(user_ids[i as usize]),
            display_name: Set(format!("{first} {last}")),
            bio: Set(bio),
            avatar_url: Set(avatar_url),
            created_at: Set(created_at),
            updated_at: Set(updated_at),
        }
    }

    /// The start of the posting and publishing, after everyone registered.
    fn activity_start(&self) -> i64 {
        self.users as i64 * USER_STEP + 3_600
    }

    /// When post `n` was written. Posts go round the users: post `n` is post
    /// `n / users` of user `n % users`, so each user's posts interleave with
    /// everyone else's, and ids grow with time.
    fn post_created_at(&self, n: u64) -> DateTime<Utc> {
        if (n / self.users) % TIE_EVERY == TIE_EVERY - 1 {
            return self.post_created_at(n - self.users);
        }
        let seconds = self.activity_start() + n as i64 * POST_STEP;
        at(self.base, seconds, &mut Rng::new(3, n))
    }

    fn post(&self, n: u64, user_ids: &[i32]) -> post::ActiveModel {
        let author = (n % self.users) as usize;
        let mut rng = Rng::new(4, n);
        let title = format!(
            "{} {} in {}",
            rng.pick(ADJECTIVES),
            rng.pick(SUBJECTS),
            rng.pick(CITIES)
        );
        let paragraphs = 1 + rng.below(3);
        let body = (0..paragraphs)
            .map(|_| {
                let sentences = 2 + rng.below(3);
                (0..sentences)
                    .map(|_| *rng.pick(SENTENCES))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let created_at = self.post_created_at(n);
        // One post in five was edited a while after it was written.
        let updated_at = if n % 5 == 2 {
            created_at + TimeDelta::seconds(7_200 + (rng.below(86_400) as i64))
        } else {
            created_at
        };
        post::ActiveModel {
            id: NotSet,
            author_id: Set(user_ids[author]),
            title: Set(title),
            body: Set(body),
            created_at: Set(created_at),
            updated_at: Set(updated_at),
        }
    }

    /// When photo `n` was published; laid out like [`Demo::post_created_at`],
    /// at a different pace, so photos and posts interleave too.
    fn photo_created_at(&self, n: u64) -> DateTime<Utc> {
        if (n / self.users) % TIE_EVERY == TIE_EVERY - 1 {
            return self.photo_created_at(n - self.users);
        }
        let seconds = self.activity_start() + 45 + n as i64 * PHOTO_STEP;
        at(self.base, seconds, &mut Rng::new(5, n))
    }

    /// The file name of photo `n`: unique, since it names the owner and the
    /// photo's rank among the owner's photos.
    fn photo_filename(&self, n: u64) -> String {
        let mut rng = Rng::new(6, n);
        format!(
            "{}-{:03}-{}.jpg",
            username(n % self.users),
            n / self.users + 1,
            rng.pick(SUBJECTS).replace(' ', "-")
        )
    }

    fn photo(&self, n: u64, user_ids: &[i32]) -> photo::ActiveModel {
        let owner = (n % self.users) as usize;
        let mut rng = Rng::new(7, n);
        // Three photos in four have a caption.
        let caption = (n % 4 != 3).then(|| {
            format!(
                "{} {}, {}.",
                rng.pick(ADJECTIVES),
                rng.pick(SUBJECTS),
                rng.pick(CITIES)
            )
        });
        let created_at = self.photo_created_at(n);
        photo::ActiveModel {
            id: NotSet,
            owner_id: Set(user_ids[owner]),
            filename: Set(self.photo_filename(n)),
            caption: Set(caption),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        }
    }

    fn tag(&self, t: u64) -> tag::ActiveModel {
        tag::ActiveModel {
            id: NotSet,
            name: Set(tag_name(t)),
            created_at: Set(at(self.base, t as i64 * TAG_STEP, &mut Rng::new(8, t))),
        }
    }
}

/// 2026-01-01T00:00:00Z.
fn base_time() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + TimeDelta::seconds(BASE_UNIX_SECONDS)
}

/// `base` plus `seconds` plus a sub-second jitter in whole microseconds, which
/// keeps the order the seconds give while making the values less regular.
fn at(base: DateTime<Utc>, seconds: i64, rng: &mut Rng) -> DateTime<Utc> {
    base + TimeDelta::seconds(seconds) + TimeDelta::microseconds(rng.below(1_000_000) as i64)
}

/// The username of user `i`: `user0001`, `user0002`, …
fn username(i: u64) -> String {
    format!("user{:04}", i + 1)
}

/// The name of tag `t`: a word, then the same words with `-2`, `-3`, … once
/// the words run out.
fn tag_name(t: u64) -> String {
    let words = TAG_WORDS.len() as u64;
    let word = TAG_WORDS[(t % words) as usize];
    match t / words {
        0 => word.to_owned(),
        round => format!("{word}-{}", round + 1),
    }
}

/// Chooses the distinct tags of each photo, skewed so that a few tags are on
/// many photos and many tags on few.
///
/// A draw picks a popularity rank with a density falling like `-ln(x)` (the
/// product of two uniform numbers), and maps ranks onto tag indices with a
/// stride coprime to the tag count, so popular tags are spread through the
/// names. A rank already taken on this photo moves to the next free one,
/// found through `next_free` with path compression so that even
/// `--tags-per-photo` equal to `--tags` stays linear.
struct TagDraw {
    tags: u32,
    stride: u64,
    /// `next_free[r] == r` when rank `r` is free on the current photo; the
    /// extra last entry is a sentinel that sends the search back to rank 0.
    next_free: Vec<u32>,
    taken: Vec<u32>,
}

impl TagDraw {
    fn new(tags: u32) -> Self {
        Self {
            tags,
            stride: coprime_stride(tags),
            next_free: (0..=tags).collect(),
            taken: Vec::new(),
        }
    }

    /// The tag indices of photo `n`: `count` distinct ones, `count <= tags`.
    fn tags_of_photo(&mut self, n: u64, count: u32) -> Vec<u32> {
        for rank in self.taken.drain(..) {
            self.next_free[rank as usize] = rank;
        }
        let tags = u64::from(self.tags);
        let mut rng = Rng::new(9, n);
        let mut chosen = Vec::with_capacity(count as usize);
        for _ in 0..count.min(self.tags) {
            let skewed = ((u128::from(rng.next()) * u128::from(rng.next())) >> 64) as u64;
            let wanted = ((u128::from(skewed) * u128::from(tags)) >> 64) as u32;
            let mut rank = self.find_free(wanted);
            if rank == self.tags {
                rank = self.find_free(0);
            }
            self.next_free[rank as usize] = rank + 1;
            self.taken.push(rank);
            chosen.push((u64::from(rank) * self.stride % tags) as u32);
        }
        chosen
    }

    fn find_free(&mut self, rank: u32) -> u32 {
        let mut root = rank;
        while self.next_free[root as usize] != root {
            root = self.next_free[root as usize];
        }
        let mut at = rank;
        while at != root {
            let next = self.next_free[at as usize];
            self.next_free[at as usize] = root;
            at = next;
        }
        root
    }
}

/// A stride near 5/8 of `n` that shares no factor with `n`, so that
/// `rank * stride % n` visits every index once.
fn coprime_stride(n: u32) -> u64 {
    let n = u64::from(n.max(1));
    let mut stride = n * 5 / 8 + 1;
    while gcd(stride, n) != 1 {
        stride += 1;
    }
    stride
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// splitmix64: a tiny, well-mixed generator, seeded per row (`stream`, `index`)
/// so that a row never depends on how many rows were generated before it.
struct Rng(u64);

impl Rng {
    fn new(stream: u64, index: u64) -> Self {
        Self(mix(stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ index))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Katherine",
    "John",
    "Hedy",
    "Tim",
    "Sophie",
    "Niklaus",
    "Annie",
    "Bjarne",
];

const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Wirth",
    "Easley",
    "Stroustrup",
];

const ROLES: &[&str] = &[
    "Street photographer",
    "Travel writer",
    "Weekend hiker",
    "Home cook",
    "Architecture nerd",
    "Amateur astronomer",
    "Film shooter",
    "Urban cyclist",
];

const CITIES: &[&str] = &[
    "Lisbon",
    "Oslo",
    "Kyoto",
    "Montreal",
    "Valparaiso",
    "Tbilisi",
    "Porto",
    "Hanoi",
    "Reykjavik",
    "Marseille",
    "Cape Town",
    "Edinburgh",
];

const INTERESTS: &[&str] = &[
    "long walks",
    "old cameras",
    "night markets",
    "brutalist buildings",
    "sourdough",
    "mountain huts",
    "tram lines",
    "harbour fog",
    "used bookshops",
    "coffee",
];

const ADJECTIVES: &[&str] = &[
    "Quiet",
    "Golden",
    "Rainy",
    "Early",
    "Forgotten",
    "Crowded",
    "Windy",
    "Late",
    "Blue",
    "Small",
    "Hidden",
    "Bright",
];

const SUBJECTS: &[&str] = &[
    "mornings",
    "rooftops",
    "harbour lights",
    "side streets",
    "markets",
    "bridges",
    "train stations",
    "gardens",
    "staircases",
    "cafes",
    "shorelines",
    "courtyards",
];

const SENTENCES: &[&str] = &[
    "The light changed twice before I could set up the tripod.",
    "Nobody else seemed to notice how the shadows lined up.",
    "I went back the next day and it was gone.",
    "A tram rattled past and the whole street hummed.",
    "The best frames happened between the planned ones.",
    "It rained, then it didn't, then it rained harder.",
    "An old man told me this corner used to be a cinema.",
    "I shot the whole roll in twenty minutes.",
    "The coffee was terrible and the view made up for it.",
    "Some places only make sense at walking speed.",
    "Fog rolled in from the water just after six.",
    "I still don't know the name of that street.",
];

const TAG_WORDS: &[&str] = &[
    "sunset",
    "street",
    "portrait",
    "nature",
    "travel",
    "city",
    "film",
    "blackandwhite",
    "landscape",
    "macro",
    "night",
    "architecture",
    "food",
    "people",
    "ocean",
    "mountains",
    "forest",
    "autumn",
    "winter",
    "spring",
    "summer",
    "rain",
    "snow",
    "bridge",
    "market",
    "cafe",
    "bicycle",
    "harbour",
    "garden",
    "museum",
    "light",
    "shadow",
    "reflection",
    "minimal",
    "vintage",
    "colour",
    "sky",
    "river",
    "desert",
    "festival",
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn is_username(s: &str) -> bool {
        (3..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }

    fn is_tag_name(s: &str) -> bool {
        (1..=50).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    }

    #[test]
    fn base_time_is_new_year_2026() {
        assert_eq!(base_time().to_rfc3339(), "2026-01-01T00:00:00+00:00");
    }

    #[test]
    fn usernames_are_valid_and_unique() {
        assert_eq!(username(0), "user0001");
        assert_eq!(username(999), "user1000");
        let names: HashSet<_> = (0..20_000).map(username).collect();
        assert_eq!(names.len(), 20_000);
        assert!(names.iter().all(|n| is_username(n)));
        assert!(is_username(&username(u64::from(u32::MAX))));
    }

    #[test]
    fn tag_names_are_valid_and_unique() {
        assert_eq!(tag_name(0), "sunset");
        assert_eq!(tag_name(TAG_WORDS.len() as u64), "sunset-2");
        let names: HashSet<_> = (0..5_000).map(tag_name).collect();
        assert_eq!(names.len(), 5_000);
        assert!(names.iter().all(|n| is_tag_name(n)));
        assert!(is_tag_name(&tag_name(u64::from(u32::MAX))));
    }

    #[test]
    fn photo_filenames_are_unique() {
        let demo = Demo::new(&SeedOptions::default());
        let names: HashSet<_> = (0..10_000).map(|n| demo.photo_filename(n)).collect();
        assert_eq!(names.len(), 10_000);
        assert!(names.iter().all(|n| (1..=255).contains(&n.len())));
    }

    #[test]
    fn timestamps_are_whole_microseconds_and_repeatable() {
        let demo = Demo::new(&SeedOptions::default());
        for n in 0..2_000 {
            let t = demo.post_created_at(n);
            assert_eq!(t.timestamp_subsec_nanos() % 1_000, 0);
            assert_eq!(t, demo.post_created_at(n));
            assert!(t > base_time());
        }
    }

    #[test]
    fn each_users_posts_are_ordered_with_some_exact_ties() {
        let options = SeedOptions::default();
        let demo = Demo::new(&options);
        let posts = u64::from(options.posts_per_user);
        let users = u64::from(options.users);
        for author in [0, 1, 500, 999] {
            let times: Vec<_> = (0..posts)
                .map(|j| demo.post_created_at(j * users + author))
                .collect();
            let ties = times.windows(2).filter(|w| w[0] == w[1]).count();
            assert_eq!(ties, (posts / TIE_EVERY) as usize);
            assert!(times.windows(2).all(|w| w[0] <= w[1]));
            assert!(times.iter().all(|t| *t > demo.user_created_at(author)));
        }
        // Authors interleave: user 1's first post falls between user 0's first two.
        assert!(demo.post_created_at(0) < demo.post_created_at(1));
        assert!(demo.post_created_at(1) < demo.post_created_at(users));
    }

    #[test]
    fn photos_get_distinct_tags_with_a_skew() {
        let mut draw = TagDraw::new(500);
        let mut uses = vec![0u32; 500];
        for n in 0..10_000 {
            let tags = draw.tags_of_photo(n, 5);
            let distinct: HashSet<_> = tags.iter().collect();
            assert_eq!(distinct.len(), 5);
            for t in tags {
                uses[t as usize] += 1;
            }
        }
        uses.sort_unstable();
        let most = uses[uses.len() - 1];
        let median = uses[uses.len() / 2];
        assert!(most > 5 * median.max(1), "most {most}, median {median}");
    }

    #[test]
    fn a_photo_can_carry_every_tag() {
        let mut draw = TagDraw::new(7);
        for n in 0..50 {
            let mut tags = draw.tags_of_photo(n, 7);
            tags.sort_unstable();
            assert_eq!(tags, (0..7).collect::<Vec<_>>());
        }
    }

    #[test]
    fn tag_choice_is_repeatable() {
        let a: Vec<_> = {
            let mut draw = TagDraw::new(30);
            (0..100).map(|n| draw.tags_of_photo(n, 3)).collect()
        };
        let mut draw = TagDraw::new(30);
        let b: Vec<_> = (0..100).map(|n| draw.tags_of_photo(n, 3)).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn more_tags_per_photo_than_tags_is_refused() {
        let options = SeedOptions {
            tags: 3,
            tags_per_photo: 4,
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
        };
        assert_eq!(
            report.to_string(),
            "1 users, 1 profiles, 2 posts, 3 photos, 4 tags, 5 photo tags"
        );
    }
}
