//! Input validation: every rule a mutation checks before it writes anything.
//!
//! Each check names the input field at fault, so that the client gets
//! `BAD_USER_INPUT` with `extensions.field`. Pure functions: no database, no
//! GraphQL.

use crate::error::ApiError;

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Passwords longer than this are refused (hashing cost is bounded).
pub const MAX_PASSWORD_CHARS: usize = 256;

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_input(field, message)
}

/// A username: 3 to 32 characters of a-z, 0-9 and `_`.
pub fn username(field: &str, value: &str) -> Result<String, ApiError> {
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let len = value.chars().count();
    if !(3..=32).contains(&len) || !ok_chars {
        return Err(bad(
            field,
            "a username is 3 to 32 characters of a-z, 0-9 and _",
        ));
    }
    Ok(value.to_owned())
}

/// An e-mail address: something@domain.tld, at most 255 characters, trimmed.
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let valid = value.len() <= 255
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if !valid {
        return Err(bad(field, "not a valid e-mail address"));
    }
    Ok(value.to_owned())
}

/// A password: 8 to 256 characters.
pub fn password(field: &str, value: &str) -> Result<(), ApiError> {
    let len = value.chars().count();
    if len < MIN_PASSWORD_CHARS {
        return Err(bad(
            field,
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if len > MAX_PASSWORD_CHARS {
        return Err(bad(
            field,
            format!("a password has at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Text of `min..=max` characters after trimming; returns the trimmed text.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    let len = value.chars().count();
    if len < min || len > max {
        let message = if min == 0 {
            format!("at most {max} characters")
        } else {
            format!("{min} to {max} characters")
        };
        return Err(bad(field, message));
    }
    Ok(value.to_owned())
}

/// An http(s) URL of at most 2,048 characters.
pub fn url(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    match url::Url::parse(value) {
        Ok(parsed) if value.len() <= 2048 && matches!(parsed.scheme(), "http" | "https") => {
            Ok(value.to_owned())
        }
        _ => Err(bad(
            field,
            "an http or https URL of at most 2048 characters",
        )),
    }
}

/// A tag name, normalized (trimmed, lowercased): 1 to 50 of a-z, 0-9, `-`, `_`.
pub fn tag_name(field: &str, value: &str) -> Result<String, ApiError> {
    let name = value.trim().to_lowercase();
    let len = name.chars().count();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !(1..=50).contains(&len) || !ok_chars {
        return Err(bad(
            field,
            format!("`{value}` is not a tag name: 1 to 50 characters of a-z, 0-9, - and _"),
        ));
    }
    Ok(name)
}

/// A list of tag names, normalized and deduplicated, at most `max` of them.
pub fn tag_names(field: &str, values: &[String], max: usize) -> Result<Vec<String>, ApiError> {
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
        let names = tag_names("t", &["B".into(), "a".into(), "b".into()], 10).expect("names");
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn texts_and_urls() {
        assert_eq!(text("t", "  hi ", 1, 200).ok().as_deref(), Some("hi"));
        assert!(text("t", "   ", 1, 200).is_err());
        assert!(text("t", &"x".repeat(201), 1, 200).is_err());
        assert!(url("a", "https://example.com/a.png").is_ok());
        assert!(url("a", "javascript:alert(1)").is_err());
        assert!(password("p", "short").is_err());
        assert!(password("p", "long enough").is_ok());
    }
}
