//! The size of every text a user writes, named once: validation checks
//! these and a test holds the GraphQL descriptions to them. The columns that
//! store the texts are sized by the migrations, which write each size
//! themselves, so a change here rewrites no migration that has already run:
//! raise a limit here together with a new migration that widens its column.

/// How many characters a text may have after trimming, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length {
    /// The fewest characters.
    pub min: u32,
    /// The most characters.
    pub max: u32,
}

impl Length {
    const fn new(min: u32, max: u32) -> Length {
        Length { min, max }
    }

    /// How a description states the limit: "1 to 200 characters" or "at most 2,000 characters".
    pub fn describe(self) -> String {
        if self.min == 0 {
            format!("at most {} characters", thousands(self.max))
        } else {
            format!("{} to {} characters", self.min, thousands(self.max))
        }
    }
}

/// `n` with a comma between thousands, as the descriptions write numbers.
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A username: a-z, 0-9 and `_`.
pub const USERNAME: Length = Length::new(3, 32);
/// An e-mail address.
pub const EMAIL: Length = Length::new(3, 255);
/// What `login` takes, a username or an e-mail address: as long as the
/// longer of the two can be. No column stores it.
pub const LOGIN: Length = Length::new(
    0,
    if USERNAME.max > EMAIL.max {
        USERNAME.max
    } else {
        EMAIL.max
    },
);
/// A password (its hashing cost is bounded by the maximum).
pub const PASSWORD: Length = Length::new(8, 256);
/// A profile's display name.
pub const DISPLAY_NAME: Length = Length::new(1, 100);
/// A profile's bio.
pub const BIO: Length = Length::new(0, 1_000);
/// An avatar's http(s) address.
pub const AVATAR_URL: Length = Length::new(0, 2_048);
/// A post's title.
pub const POST_TITLE: Length = Length::new(1, 200);
/// A post's text.
pub const POST_BODY: Length = Length::new(0, 100_000);
/// A photo's file name.
pub const FILENAME: Length = Length::new(1, 255);
/// A photo's caption.
pub const CAPTION: Length = Length::new(0, 2_000);
/// A tag's name: a-z, 0-9, `-` and `_`.
pub const TAG_NAME: Length = Length::new(1, 50);
/// A comment's text.
pub const COMMENT_BODY: Length = Length::new(1, 2_000);

/// The most tags one photo may carry.
pub const TAGS_PER_PHOTO: usize = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_describe_themselves() {
        assert_eq!(POST_TITLE.describe(), "1 to 200 characters");
        assert_eq!(CAPTION.describe(), "at most 2,000 characters");
        assert_eq!(POST_BODY.describe(), "at most 100,000 characters");
    }
}
