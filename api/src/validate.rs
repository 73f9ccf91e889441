//! Input validation: every rule a mutation checks before it writes anything.
//!
//! Each check names the input field at fault, so that the client gets
//! `BAD_USER_INPUT` with `extensions.field`. Pure functions: no database, no
//! GraphQL.

use entity::limits::{self, Length};

use crate::error::ApiError;

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_input(field, message)
}

/// Whether `len` characters fit `limit`.
fn fits(len: usize, limit: Length) -> bool {
    (limit.min as usize..=limit.max as usize).contains(&len)
}

/// The one normal form of names users type for lookups (usernames, tags):
/// trimmed and lowercased.
pub fn normalize(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A username: a-z, 0-9 and `_`, [`limits::USERNAME`] long.
pub fn username(field: &str, value: &str) -> Result<String, ApiError> {
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !fits(value.chars().count(), limits::USERNAME) || !ok_chars {
        return Err(bad(
            field,
            format!(
                "a username is {} of a-z, 0-9 and _",
                limits::USERNAME.describe()
            ),
        ));
    }
    Ok(value.to_owned())
}

/// An e-mail address: something@domain.tld, [`limits::EMAIL`] long, trimmed.
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let valid = fits(value.chars().count(), limits::EMAIL)
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    // Lowercasing may lengthen a few letters (`İ` becomes two); the key
    // must still fit its column.
    if !valid || entity::user::email_key(value).chars().count() > entity::user::EMAIL_KEY_MAX {
        return Err(bad(field, "not a valid e-mail address"));
    }
    Ok(value.to_owned())
}

/// A username or e-mail address as typed to sign in, normalised
/// ([`normalize`]) and at most [`limits::LOGIN`] long: what the
/// sign-in limiter counts attempts by, so that no key it keeps is longer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Login(String);

impl Login {
    /// The normalised login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login (a username or an e-mail address), normalised; `BAD_USER_INPUT`
/// when it is longer than any username or e-mail can be. Whether it names
/// a user is for the database to say.
pub fn login(field: &str, value: &str) -> Result<Login, ApiError> {
    let most = limits::LOGIN.max as usize;
    // Counted up to one past the most, so a huge value costs no more.
    if value.trim().chars().take(most + 1).count() > most {
        return Err(bad(
            field,
            format!(
                "a username or e-mail address has {}",
                limits::LOGIN.describe()
            ),
        ));
    }
    Ok(Login(normalize(value)))
}

/// A password, [`limits::PASSWORD`] long (the maximum bounds the hashing cost).
pub fn password(field: &str, value: &str) -> Result<(), ApiError> {
    if !fits(value.chars().count(), limits::PASSWORD) {
        return Err(bad(
            field,
            format!("a password has {}", limits::PASSWORD.describe()),
        ));
    }
    Ok(())
}

/// Text that fits `limit` after trimming; returns the trimmed text.
pub fn text(field: &str, value: &str, limit: Length) -> Result<String, ApiError> {
    let value = value.trim();
    if !fits(value.chars().count(), limit) {
        return Err(bad(field, limit.describe()));
    }
    Ok(value.to_owned())
}

/// Optional text to change: `None` leaves it, `Some(None)` clears it (an
/// empty string), `Some(Some(text))` sets it.
pub fn clearable_text(
    field: &str,
    value: Option<String>,
    limit: Length,
) -> Result<Option<Option<String>>, ApiError> {
    value
        .map(|v| {
            let text = text(field, &v, limit)?;
            Ok(if text.is_empty() { None } else { Some(text) })
        })
        .transpose()
}

/// An http(s) URL, [`limits::AVATAR_URL`] long.
pub fn url(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    match url::Url::parse(value) {
        Ok(parsed)
            if fits(value.chars().count(), limits::AVATAR_URL)
                && matches!(parsed.scheme(), "http" | "https") =>
        {
            Ok(value.to_owned())
        }
        _ => Err(bad(
            field,
            format!("an http or https URL of {}", limits::AVATAR_URL.describe()),
        )),
    }
}

/// A tag name, [normalized](normalize): a-z, 0-9, `-`, `_`, [`limits::TAG_NAME`] long.
pub fn tag_name(field: &str, value: &str) -> Result<String, ApiError> {
    let name = normalize(value);
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !fits(name.chars().count(), limits::TAG_NAME) || !ok_chars {
        return Err(bad(
            field,
            format!(
                "`{value}` is not a tag name: {} of a-z, 0-9, - and _",
                limits::TAG_NAME.describe()
            ),
        ));
    }
    Ok(name)
}

/// A filter's text, normalised: no longer than the column it is compared
/// with can hold (`limit.max` characters), since a longer one could match
/// nothing and only costs the database.
pub fn filter_text(field: &str, value: &str, limit: Length) -> Result<String, ApiError> {
    let value = normalize(value);
    let length = value.chars().count();
    if length > limit.max as usize {
        return Err(bad(
            field,
            format!("at most {} characters (got {length})", limit.max),
        ));
    }
    Ok(value)
}

/// The most names a filter may list (`taggedAny`, `taggedAll`).
pub const FILTER_NAMES: usize = 50;

/// A filter's list of names, each as [`filter_text`] checks it: normalised,
/// sorted and without repeats, at most [`FILTER_NAMES`] of them.
pub fn filter_names(field: &str, names: &[String], limit: Length) -> Result<Vec<String>, ApiError> {
    if names.len() > FILTER_NAMES {
        return Err(bad(
            field,
            format!("at most {FILTER_NAMES} names (got {})", names.len()),
        ));
    }
    let mut checked = Vec::with_capacity(names.len());
    for name in names {
        checked.push(filter_text(field, name, limit)?);
    }
    checked.sort();
    checked.dedup();
    Ok(checked)
}

/// A photo's tag names, checked, normalized and deduplicated, at most
/// [`limits::TAGS_PER_PHOTO`] of them.
pub fn tag_names(field: &str, values: &[String]) -> Result<Vec<String>, ApiError> {
    let max = limits::TAGS_PER_PHOTO;
    if values.len() > max {
        return Err(bad(field, format!("at most {max} tags")));
    }
    let mut names = values
        .iter()
        .map(|v| tag_name(field, v))
        .collect::<Result<Vec<_>, _>>()?;
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(username("u", "ada_99").is_ok());
        for bad in ["ab", "Ada", "a-b", "with space", &"x".repeat(33)] {
            assert_eq!(
                username("u", bad).map_err(|e| e.code()),
                Err("BAD_USER_INPUT"),
                "{bad}"
            );
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            email("e", " Ada@Example.com ").ok().as_deref(),
            Some("Ada@Example.com")
        );
        for bad in [
            "", "ada", "ada@", "@x.io", "a@b", "a b@c.io", "a@@b.io", "a@b..io",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_names_are_normalized() {
        assert_eq!(
            tag_name("t", "  Sea-Side_2 ").ok().as_deref(),
            Some("sea-side_2")
        );
        assert!(tag_name("t", "no spaces").is_err());
        assert!(tag_name("t", "  ").is_err());
        let names = tag_names("t", &["B".into(), "a".into(), "b".into()]).expect("names");
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn texts_and_urls() {
        let title = limits::POST_TITLE;
        assert_eq!(text("t", "  hi ", title).ok().as_deref(), Some("hi"));
        assert!(text("t", "   ", title).is_err());
        assert!(text("t", &"x".repeat(201), title).is_err());
        assert!(url("a", "https://example.com/a.png").is_ok());
        assert!(url("a", "javascript:alert(1)").is_err());
        assert!(password("p", "short").is_err());
        let email = format!("{}@example.com", "a".repeat(243));
        let padded = login("l", &format!(" {} ", email.to_uppercase())).expect("255 fit");
        assert_eq!(padded.as_str(), email);
        assert!(login("l", &format!("a{email}")).is_err());
        assert!(password("p", "long enough").is_ok());
    }
}

#[cfg(test)]
mod described_limits {
    use entity::limits::{self, Length};

    /// The description of `type_name.field` in the exported schema: the
    /// `"""` block right above the field's line inside the type's block.
    fn description(sdl: &str, type_name: &str, field: &str) -> String {
        let lines: Vec<&str> = sdl.lines().collect();
        let Some(start) = lines.iter().position(|l| {
            let head = l
                .split(" implements ")
                .next()
                .unwrap_or(l)
                .trim_end_matches(" {");
            head == format!("type {type_name}") || head == format!("input {type_name}")
        }) else {
            return String::new();
        };
        let prefix = format!("\t{field}");
        let Some(at) = lines[start..]
            .iter()
            .take_while(|l| **l != "}")
            .position(|l| l.starts_with(&prefix) && l[prefix.len()..].starts_with([':', '(']))
        else {
            return String::new();
        };
        let mut text = Vec::new();
        for line in lines[..start + at].iter().rev().skip(1) {
            if line.trim() == "\"\"\"" {
                break;
            }
            text.push(line.trim());
        }
        text.reverse();
        text.join(" ")
    }

    #[test]
    fn the_schema_states_the_limits_validation_checks() {
        let sdl = crate::schema::sdl();
        let cases: [(&str, &str, Length); 19] = [
            ("Comment", "body", limits::COMMENT_BODY),
            ("LoginInput", "login", limits::LOGIN),
            ("RegisterInput", "username", limits::USERNAME),
            ("RegisterInput", "password", limits::PASSWORD),
            ("User", "username", limits::USERNAME),
            ("ProfileInput", "displayName", limits::DISPLAY_NAME),
            ("ProfileInput", "bio", limits::BIO),
            ("CreatePostInput", "title", limits::POST_TITLE),
            ("CreatePostInput", "body", limits::POST_BODY),
            ("UpdatePostInput", "title", limits::POST_TITLE),
            ("UpdatePostInput", "body", limits::POST_BODY),
            ("Post", "title", limits::POST_TITLE),
            ("CreatePhotoInput", "filename", limits::FILENAME),
            ("CreatePhotoInput", "caption", limits::CAPTION),
            ("CreatePhotoInput", "tags", limits::TAG_NAME),
            ("UpdatePhotoInput", "filename", limits::FILENAME),
            ("UpdatePhotoInput", "caption", limits::CAPTION),
            ("Photo", "filename", limits::FILENAME),
            ("Tag", "name", limits::TAG_NAME),
        ];
        for (type_name, field, limit) in cases {
            let text = description(&sdl, type_name, field);
            assert!(
                text.contains(&limit.describe()),
                "{type_name}.{field} should say {:?}, says {text:?}",
                limit.describe()
            );
        }
    }
}
