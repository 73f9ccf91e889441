//! Which on-demand columns each field shows: what a selection reads of a
//! row, from the names of the fields it selects. The loaders read what they
//! are told ([`crate::loader::ON_DEMAND_COLUMNS`]); this table is the one
//! place that ties a GraphQL field to the columns it shows.

use crate::loader::Unread;

/// The on-demand columns each field shows; a field not listed shows none
/// (ids and the columns that relations follow are always read).
const SHOWN_BY: &[(&str, &[&str])] = &[
    ("body", &["body"]),
    ("caption", &["caption"]),
    ("title", &["title"]),
    ("filename", &["filename"]),
    ("name", &["name"]),
    ("username", &["username"]),
    ("email", &["email"]),
    ("displayName", &["display_name"]),
    ("bio", &["bio"]),
    ("avatarUrl", &["avatar_url"]),
    ("createdAt", &["created_at"]),
    ("updatedAt", &["updated_at"]),
    ("width", &["width"]),
    ("height", &["height"]),
    ("byteSize", &["byte_size"]),
    ("contentType", &["content_type"]),
    ("sha256", &["sha256"]),
    ("url", &["content_type", "sha256"]),
];

/// The on-demand columns a row leaves unread when the fields `selected`
/// names are selected on it (a selection's field names, in one pass).
pub fn unread_unless<'a>(selected: impl IntoIterator<Item = &'a str>) -> Unread {
    Unread::all_but(selected.into_iter().flat_map(|name| {
        SHOWN_BY
            .iter()
            .filter(move |(field, _)| *field == name)
            .flat_map(|(_, columns)| columns.iter().copied())
    }))
}

#[cfg(test)]
mod tests {
    use super::{SHOWN_BY, unread_unless};
    use crate::loader::ON_DEMAND_COLUMNS;

    #[test]
    fn a_column_is_read_when_a_field_that_shows_it_is_selected() {
        let nothing = unread_unless([]);
        assert!(
            ON_DEMAND_COLUMNS
                .iter()
                .all(|column| nothing.contains(column))
        );
        // `url` shows the photo's content type and digest; `id` no column.
        let url = unread_unless(["id", "url", "title"]);
        for column in ON_DEMAND_COLUMNS {
            let shown = matches!(*column, "content_type" | "sha256" | "title");
            assert_eq!(url.contains(column), !shown, "{column}");
        }
        assert!(!unread_unless(["displayName"]).contains("display_name"));
    }

    #[test]
    fn every_on_demand_column_is_shown_by_a_field_and_every_shown_column_is_on_demand() {
        for column in ON_DEMAND_COLUMNS {
            assert!(
                SHOWN_BY.iter().any(|(_, shown)| shown.contains(column)),
                "{column} is never read"
            );
        }
        for (field, shown) in SHOWN_BY {
            for column in *shown {
                assert!(ON_DEMAND_COLUMNS.contains(column), "{field}: {column}");
            }
        }
    }
}
