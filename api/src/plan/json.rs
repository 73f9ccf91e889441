//! The JSON a plan writes: each value exactly as async-graphql's response
//! serializer writes it (serde_json's escaping, RFC 3339 timestamps), so
//! that a planned response is byte for byte the executor's.

use chrono::{DateTime, Utc};

/// A value a field writes into the response.
pub(crate) trait ToJson {
    /// Appends the value's JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>);
}

impl ToJson for str {
    fn write_json(&self, out: &mut Vec<u8>) {
        // Writing into a `Vec` cannot fail, and a `str` always serializes.
        let _ = serde_json::to_writer(&mut *out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_str().write_json(out);
    }
}

impl ToJson for async_graphql::ID {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_str().write_json(out);
    }
}

impl ToJson for i32 {
    fn write_json(&self, out: &mut Vec<u8>) {
        let _ = serde_json::to_writer(&mut *out, self);
    }
}

impl ToJson for i64 {
    fn write_json(&self, out: &mut Vec<u8>) {
        let _ = serde_json::to_writer(&mut *out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

impl ToJson for DateTime<Utc> {
    fn write_json(&self, out: &mut Vec<u8>) {
        // async-graphql's `DateTime<Utc>` scalar is `to_rfc3339`, which
        // needs no escaping.
        out.push(b'"');
        out.extend_from_slice(self.to_rfc3339().as_bytes());
        out.push(b'"');
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut Vec<u8>) {
        T::write_json(self, out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

/// The response key `key` as an object's member name, with its colon.
pub(crate) fn member(key: &str) -> Box<str> {
    let mut out = Vec::with_capacity(key.len() + 3);
    key.write_json(&mut out);
    out.push(b':');
    String::from_utf8(out).unwrap_or_default().into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What async-graphql's serializer writes for `value`.
    fn executor_writes(value: async_graphql::Value) -> String {
        serde_json::to_string(&value).unwrap_or_default()
    }

    fn written(value: &impl ToJson) -> String {
        let mut out = Vec::new();
        value.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn values_are_written_as_the_executor_writes_them() {
        use async_graphql::{ScalarType, Value};
        for text in [
            "plain",
            "quote \" and \\ slash",
            "tab\t nl\n \u{1} é ✓ \u{2028}",
        ] {
            assert_eq!(written(&text), executor_writes(Value::from(text)));
        }
        for n in [0, -1, i32::MAX, i32::MIN] {
            assert_eq!(written(&n), executor_writes(Value::from(n)));
        }
        assert_eq!(written(&i64::MAX), executor_writes(Value::from(i64::MAX)));
        assert_eq!(written(&true), executor_writes(Value::from(true)));
        assert_eq!(written(&None::<i32>), executor_writes(Value::Null));
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678901Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(written(&at), executor_writes(at.to_value()));
        assert_eq!(&*member("displayName"), "\"displayName\":");
    }
}
