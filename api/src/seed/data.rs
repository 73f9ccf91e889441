//! The demo data set as pure functions: every user, profile, post, photo, tag
//! and tag assignment is computed from its index and the seed options, so the
//! same options always give the same rows.
//!
//! Names come from arithmetic on the index; texts, sub-second jitter and tag
//! choices come from `rand`'s `Xoshiro256PlusPlus`, seeded afresh for every
//! row from the kind of value and the row's index, so a row never depends on
//! how many rows were made before it and can be recomputed on its own. It is
//! one of `rand`'s named generators, whose output is promised to stay the same
//! across platforms and releases (`StdRng` makes no such promise), and it is
//! cheap to seed, which matters at one generator per row; the sampling on top
//! of it is value-stable within a `rand` minor version, which `Cargo.lock`
//! pins.
//!
//! This module deliberately does not touch the database: a row that points at
//! another takes the id the database gave that one as an argument, and
//! [`super::writer`] does the writing.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::{DateTime, TimeDelta, Utc};
use entity::{comment, photo, photo_tag, post, profile, tag, user};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::{IndexedRandom, index};
use rand::{RngExt, SeedableRng};
use sea_orm::ActiveValue::{NotSet, Set};

use super::{DEMO_PASSWORD, SeedOptions};

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

/// Hashes [`DEMO_PASSWORD`] with argon2id's default parameters and a fixed
/// salt, so the hash is the same on every run; it is computed once and shared
/// by every demo user, since hashing is deliberately slow.
pub fn demo_password_hash() -> String {
    // The salt is 16 fixed bytes (within SaltString's 4..=48) and the default
    // parameters are valid, so neither call can fail.
    let salt = SaltString::encode_b64(DEMO_SALT).expect("16 bytes are a valid salt length");
    Argon2::default()
        .hash_password(DEMO_PASSWORD.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password and a valid salt")
        .to_string()
}

/// The username of user `i`: `user0001`, `user0002`, …
pub fn username(i: u64) -> String {
    format!("user{:04}", i + 1)
}

/// The name of tag `t`: a word, then the same words with `-2`, `-3`, … once
/// the words run out.
pub fn tag_name(t: u64) -> String {
    let words = TAG_WORDS.len() as u64;
    let word = TAG_WORDS[(t % words) as usize];
    match t / words {
        0 => word.to_owned(),
        round => format!("{word}-{}", round + 1),
    }
}

/// The demo data set: every row as a pure function of its index. Posts and
/// photos go round the users: post `n` is post `n / users` of user
/// `n % users`, so each user's posts interleave with everyone else's, and ids
/// grow with time.
pub struct Demo {
    /// The number of users, at least 1 so that it can divide.
    users: u64,
    /// The number of tags.
    tags: usize,
    /// The number of distinct tags on each photo, at most `tags`.
    tags_per_photo: usize,
    /// The time every timestamp is an offset from.
    base: DateTime<Utc>,
}

impl Demo {
    /// The data set `options` describe.
    pub fn new(options: &SeedOptions) -> Self {
        Self {
            users: u64::from(options.users.max(1)),
            tags: options.tags as usize,
            tags_per_photo: options.tags_per_photo as usize,
            base: base_time(),
        }
    }

    /// The index of the user who wrote post `n`, or published photo `n`.
    pub fn user_of(&self, n: u64) -> usize {
        (n % self.users) as usize
    }

    /// When user `i` registered.
    fn user_created_at(&self, i: u64) -> DateTime<Utc> {
        at(
            self.base,
            i as i64 * USER_STEP,
            &mut rng(Stream::UserCreated, i),
        )
    }

    /// User `i`, whose password hash is `password_hash`.
    pub fn user(&self, i: u64, password_hash: &str) -> user::ActiveModel {
        let created_at = self.user_created_at(i);
        let email = format!("{}@example.com", username(i));
        user::ActiveModel {
            id: NotSet,
            username: Set(username(i)),
            email_key: Set(user::email_key(&email)),
            email: Set(email),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        }
    }

    /// The profile of user `i`, whose id is `user_id`.
    pub fn profile(&self, i: u64, user_id: i32) -> profile::ActiveModel {
        let mut rng = rng(Stream::Profile, i);
        let first = pick(&mut rng, FIRST_NAMES);
        let last = pick(&mut rng, LAST_NAMES);
        let bio = format!(
            "{} from {}. Into {} and {}.",
            pick(&mut rng, ROLES),
            pick(&mut rng, CITIES),
            pick(&mut rng, INTERESTS),
            pick(&mut rng, INTERESTS)
        );
        // Two users in three set an avatar; the rest show the default one.
        let avatar_url =
            (i % 3 != 2).then(|| format!("https://avatars.example.com/{}.png", username(i)));
        let created_at = self.user_created_at(i) + TimeDelta::seconds(5);
        let updated_at = created_at + TimeDelta::seconds((i % 4) as i64 * 3_600);
        profile::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
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

    /// When post `n` was written.
    fn post_created_at(&self, n: u64) -> DateTime<Utc> {
        if (n / self.users) % TIE_EVERY == TIE_EVERY - 1 {
            return self.post_created_at(n - self.users);
        }
        let seconds = self.activity_start() + n as i64 * POST_STEP;
        at(self.base, seconds, &mut rng(Stream::PostCreated, n))
    }

    /// Post `n`, written by the user whose id is `author_id`.
    pub fn post(&self, n: u64, author_id: i32) -> post::ActiveModel {
        let mut rng = rng(Stream::Post, n);
        let title = format!(
            "{} {} in {}",
            pick(&mut rng, ADJECTIVES),
            pick(&mut rng, SUBJECTS),
            pick(&mut rng, CITIES)
        );
        let paragraphs = rng.random_range(1..=3);
        let body = (0..paragraphs)
            .map(|_| {
                let sentences = rng.random_range(2..=4);
                (0..sentences)
                    .map(|_| pick(&mut rng, SENTENCES))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let created_at = self.post_created_at(n);
        // One post in five was edited a while after it was written.
        let updated_at = if n % 5 == 2 {
            created_at + TimeDelta::seconds(7_200 + rng.random_range(0..86_400))
        } else {
            created_at
        };
        post::ActiveModel {
            id: NotSet,
            author_id: Set(author_id),
            title: Set(title),
            body: Set(body),
            created_at: Set(created_at),
            updated_at: Set(updated_at),
        }
    }

    /// Comment `k`, the comment on post `n` (whose id is `post_id`), by a
    /// user drawn from `user_ids`, written between 10 minutes and a day after
    /// the post and after the post's earlier comments.
    pub fn comment(&self, k: u64, n: u64, post_id: i32, user_ids: &[i32]) -> comment::ActiveModel {
        let mut rng = rng(Stream::Comment, k);
        let author_id = *user_ids
            .choose(&mut rng)
            .expect("a post exists only when a user does");
        let body = (0..rng.random_range(1..=2))
            .map(|_| pick(&mut rng, SENTENCES))
            .collect::<Vec<_>>()
            .join(" ");
        let created_at = self.post_created_at(n)
            + TimeDelta::seconds(600 * (k as i64 % 144 + 1))
            + TimeDelta::microseconds(rng.random_range(0..1_000_000));
        comment::ActiveModel {
            id: NotSet,
            post_id: Set(post_id),
            author_id: Set(author_id),
            body: Set(body),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        }
    }

    /// When photo `n` was published; laid out like [`Demo::post_created_at`],
    /// at a different pace, so photos and posts interleave too.
    fn photo_created_at(&self, n: u64) -> DateTime<Utc> {
        if (n / self.users) % TIE_EVERY == TIE_EVERY - 1 {
            return self.photo_created_at(n - self.users);
        }
        let seconds = self.activity_start() + 45 + n as i64 * PHOTO_STEP;
        at(self.base, seconds, &mut rng(Stream::PhotoCreated, n))
    }

    /// The file name of photo `n`: unique, since it names the owner and the
    /// photo's rank among the owner's photos.
    pub fn photo_filename(&self, n: u64) -> String {
        let subject = pick(&mut rng(Stream::PhotoFilename, n), SUBJECTS);
        format!(
            "{}-{:03}-{}.jpg",
            username(n % self.users),
            n / self.users + 1,
            subject.replace(' ', "-")
        )
    }

    /// Photo `n`, published by the user whose id is `owner_id`, showing
    /// `image` when given.
    pub fn photo(
        &self,
        n: u64,
        owner_id: i32,
        image: Option<&crate::media::Stored>,
    ) -> photo::ActiveModel {
        let mut rng = rng(Stream::Photo, n);
        // Three photos in four have a caption.
        let caption = (n % 4 != 3).then(|| {
            format!(
                "{} {}, {}.",
                pick(&mut rng, ADJECTIVES),
                pick(&mut rng, SUBJECTS),
                pick(&mut rng, CITIES)
            )
        });
        let created_at = self.photo_created_at(n);
        photo::ActiveModel {
            id: NotSet,
            owner_id: Set(owner_id),
            filename: Set(self.photo_filename(n)),
            caption: Set(caption),
            // Without images the columns are left out of the bulk insert
            // altogether (NULL by default): five fewer parameters a row.
            width: set_if(image, |i| i32::try_from(i.width).ok()),
            height: set_if(image, |i| i32::try_from(i.height).ok()),
            byte_size: set_if(image, |i| i64::try_from(i.byte_size).ok()),
            content_type: set_if(image, |i| Some(i.kind.content_type().to_owned())),
            sha256: set_if(image, |i| Some(i.sha256.clone())),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        }
    }

    /// Tag `t`.
    pub fn tag(&self, t: u64) -> tag::ActiveModel {
        tag::ActiveModel {
            id: NotSet,
            name: Set(tag_name(t)),
            created_at: Set(at(
                self.base,
                t as i64 * TAG_STEP,
                &mut rng(Stream::TagCreated, t),
            )),
        }
    }

    /// The indices of the tags on photo `n`: distinct, drawn without
    /// replacement with the weights of [`tag_weight`], so a few tags are on
    /// many photos and many tags on few.
    fn tags_of_photo(&self, n: u64) -> Vec<usize> {
        index::sample_weighted(
            &mut rng(Stream::PhotoTags, n),
            self.tags,
            tag_weight,
            self.tags_per_photo,
        )
        .expect("every tag weight is finite and positive")
        .into_vec()
    }

    /// The tag assignments of photo `n`, whose id is `photo_id`, where tag `t`
    /// has the id `tag_ids[t]`; made when the photo was published.
    pub fn photo_tags(
        &self,
        n: u64,
        photo_id: i32,
        tag_ids: &[i32],
    ) -> Vec<photo_tag::ActiveModel> {
        let created_at = self.photo_created_at(n);
        self.tags_of_photo(n)
            .into_iter()
            .map(|t| photo_tag::ActiveModel {
                photo_id: Set(photo_id),
                tag_id: Set(tag_ids[t]),
                created_at: Set(created_at),
                photo_created_at: Set(Some(created_at)),
            })
            .collect()
    }
}

/// How likely tag `t` is to be chosen, relative to the others: `1/√(t+1)`, a
/// long tail in which the first tag words are the popular ones and every
/// `-2`, `-3`, … round is rarer than the one before.
fn tag_weight(t: usize) -> f64 {
    1.0 / ((t + 1) as f64).sqrt()
}

/// The kinds of random value, each drawn from a generator of its own so that
/// changing how one is made leaves the others as they were.
#[derive(Clone, Copy)]
enum Stream {
    UserCreated = 1,
    Profile,
    PostCreated,
    Post,
    PhotoCreated,
    PhotoFilename,
    Photo,
    TagCreated,
    PhotoTags,
    Comment,
}

/// The generator of the values of kind `stream` for row `index`. The kind
/// fills the seed's high 32 bits and the index its low ones (row indices fit
/// in 31 bits, as ids do), so no two rows share a seed.
fn rng(stream: Stream, index: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64((stream as u64) << 32 | index)
}

/// One of `words`, chosen uniformly.
fn pick<'w>(rng: &mut Xoshiro256PlusPlus, words: &[&'w str]) -> &'w str {
    words
        .choose(rng)
        .copied()
        .expect("the word lists are non-empty constants")
}

/// 2026-01-01T00:00:00Z.
fn base_time() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + TimeDelta::seconds(BASE_UNIX_SECONDS)
}

/// `base` plus `seconds` plus a sub-second jitter in whole microseconds, which
/// keeps the order the seconds give while making the values less regular.
fn at(base: DateTime<Utc>, seconds: i64, rng: &mut Xoshiro256PlusPlus) -> DateTime<Utc> {
    base + TimeDelta::seconds(seconds) + TimeDelta::microseconds(rng.random_range(0..1_000_000))
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

/// `Set(value(image))` when there is an image, otherwise `NotSet`.
fn set_if<T: Into<sea_orm::Value>>(
    image: Option<&crate::media::Stored>,
    value: impl Fn(&crate::media::Stored) -> Option<T>,
) -> sea_orm::ActiveValue<Option<T>>
where
    Option<T>: Into<sea_orm::Value>,
{
    match image {
        Some(image) => Set(value(image)),
        None => NotSet,
    }
}

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

    fn demo_with_tags(tags: u32, tags_per_photo: u32) -> Demo {
        Demo::new(&SeedOptions {
            tags,
            tags_per_photo,
            ..SeedOptions::default()
        })
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
        let again = Demo::new(&SeedOptions::default());
        for n in 0..2_000 {
            let t = demo.post_created_at(n);
            assert_eq!(t.timestamp_subsec_nanos() % 1_000, 0);
            assert_eq!(t, again.post_created_at(n));
            assert!(t > base_time());
        }
    }

    #[test]
    fn rows_are_repeatable_and_independent_of_the_rows_before() {
        let demo = Demo::new(&SeedOptions::default());
        let forwards: Vec<_> = (0..50).map(|n| demo.post(n, 1)).collect();
        let backwards: Vec<_> = (0..50).rev().map(|n| demo.post(n, 1)).collect();
        assert!(forwards.iter().eq(backwards.iter().rev()));
        let titles: HashSet<_> = forwards.iter().map(|p| format!("{:?}", p.title)).collect();
        assert!(titles.len() > 40, "titles vary: {}", titles.len());
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
        let demo = demo_with_tags(500, 5);
        let mut uses = vec![0u32; 500];
        for n in 0..10_000 {
            let tags = demo.tags_of_photo(n);
            let distinct: HashSet<_> = tags.iter().collect();
            assert_eq!(distinct.len(), 5);
            for t in tags {
                uses[t] += 1;
            }
        }
        uses.sort_unstable();
        let most = uses[uses.len() - 1];
        let median = uses[uses.len() / 2];
        assert!(most > 5 * median.max(1), "most {most}, median {median}");
        assert!(uses[0] > 0, "every tag is on some photo");
    }

    #[test]
    fn a_photo_can_carry_every_tag() {
        let demo = demo_with_tags(7, 7);
        for n in 0..50 {
            let mut tags = demo.tags_of_photo(n);
            tags.sort_unstable();
            assert_eq!(tags, (0..7).collect::<Vec<_>>());
        }
    }

    #[test]
    fn tag_choice_is_repeatable() {
        let a: Vec<_> = {
            let demo = demo_with_tags(30, 3);
            (0..100).map(|n| demo.tags_of_photo(n)).collect()
        };
        let demo = demo_with_tags(30, 3);
        let b: Vec<_> = (0..100).map(|n| demo.tags_of_photo(n)).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn tag_assignments_point_at_the_given_ids() {
        let demo = demo_with_tags(12, 2);
        let tag_ids: Vec<i32> = (100..112).collect();
        let rows = demo.photo_tags(3, 42, &tag_ids);
        assert_eq!(rows.len(), 2);
        for row in rows {
            assert_eq!(row.photo_id, Set(42));
            assert!(matches!(row.tag_id.try_as_ref(), Some(id) if tag_ids.contains(id)));
            assert_eq!(row.created_at, Set(demo.photo_created_at(3)));
        }
    }
}
