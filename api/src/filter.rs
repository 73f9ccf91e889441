//! The filters of Folio's lists, as SQL conditions.
//!
//! Each filter is plain data (hashable, so that equal filters share a loader
//! batch) with the condition it stands for. The GraphQL inputs in `types/`
//! are validated and converted into these; the loaders apply them. Text
//! matching is case-insensitive on every backend.

use chrono::{DateTime, Utc};
use entity::{comment, photo, photo_tag, post, tag, user};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, JoinType, LikeExpr, Query, SelectStatement,
};

use crate::loader::Filter;

/// A list's `filter` input: checked and turned into the filter the loaders apply.
pub trait FilterInput: async_graphql::InputType {
    /// The loaders' filter.
    type Filter;
    /// The filter `input` asks for (none: everything).
    fn resolve(input: Option<Self>) -> crate::error::ApiResult<Self::Filter>;

    /// What this filter adds to its list's complexity beyond the page: a
    /// filter the database cannot answer from an index (a text search)
    /// reads up to the whole list, not one page of it.
    fn cost(&self) -> usize {
        0
    }
}

/// Which posts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PostFilter {
    /// Written by this user.
    pub author_id: Option<i32>,
    /// Whose title contains this text, ignoring case.
    pub title_contains: Option<String>,
    /// Written strictly before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Written strictly after this time.
    pub created_after: Option<DateTime<Utc>>,
}

impl Filter<post::Entity> for PostFilter {
    fn condition(&self) -> Condition {
        let col = |c: post::Column| Expr::col((post::Entity, c));
        Condition::all()
            .add_option(self.author_id.map(|id| col(post::Column::AuthorId).eq(id)))
            .add_option(
                self.title_contains
                    .as_deref()
                    .map(|text| contains(col(post::Column::Title), text)),
            )
            .add_option(
                self.created_before
                    .map(|at| col(post::Column::CreatedAt).lt(at)),
            )
            .add_option(
                self.created_after
                    .map(|at| col(post::Column::CreatedAt).gt(at)),
            )
    }
}

/// Which comments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CommentFilter {
    /// Written by this user.
    pub author_id: Option<i32>,
    /// Written strictly before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Written strictly after this time.
    pub created_after: Option<DateTime<Utc>>,
}

impl Filter<comment::Entity> for CommentFilter {
    fn condition(&self) -> Condition {
        let col = |c: comment::Column| Expr::col((comment::Entity, c));
        Condition::all()
            .add_option(
                self.author_id
                    .map(|id| col(comment::Column::AuthorId).eq(id)),
            )
            .add_option(
                self.created_before
                    .map(|at| col(comment::Column::CreatedAt).lt(at)),
            )
            .add_option(
                self.created_after
                    .map(|at| col(comment::Column::CreatedAt).gt(at)),
            )
    }
}

/// Which photos.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PhotoFilter {
    /// Published by this user.
    pub owner_id: Option<i32>,
    /// Carrying at least one of these (normalized) tag names.
    pub tagged_any: Option<Vec<String>>,
    /// Carrying every one of these (normalized) tag names.
    pub tagged_all: Option<Vec<String>>,
    /// Published strictly before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Published strictly after this time.
    pub created_after: Option<DateTime<Utc>>,
}

impl Filter<photo::Entity> for PhotoFilter {
    fn condition(&self) -> Condition {
        let col = |c: photo::Column| Expr::col((photo::Entity, c));
        Condition::all()
            .add_option(self.owner_id.map(|id| col(photo::Column::OwnerId).eq(id)))
            .add_option(
                self.tagged_any
                    .as_ref()
                    .map(|names| col(photo::Column::Id).in_subquery(photos_tagged(names, false))),
            )
            .add_option(
                self.tagged_all
                    .as_ref()
                    .map(|names| col(photo::Column::Id).in_subquery(photos_tagged(names, true))),
            )
            .add_option(
                self.created_before
                    .map(|at| col(photo::Column::CreatedAt).lt(at)),
            )
            .add_option(
                self.created_after
                    .map(|at| col(photo::Column::CreatedAt).gt(at)),
            )
    }
}

/// `SELECT ft.photo_id FROM photo_tags ft JOIN tags t … WHERE t.name IN (names)`,
/// keeping only photos with every name when `all`.
fn photos_tagged(names: &[String], all: bool) -> SelectStatement {
    // Aliased, so that the subquery never mixes with a `photo_tags` join outside it.
    let (join, tags) = (Alias::new("ft"), Alias::new("ftt"));
    let mut query = Query::select();
    query
        .column((join.clone(), photo_tag::Column::PhotoId))
        .from_as(photo_tag::Entity, join.clone())
        .join_as(
            JoinType::InnerJoin,
            tag::Entity,
            tags.clone(),
            Expr::col((tags.clone(), tag::Column::Id))
                .equals((join.clone(), photo_tag::Column::TagId)),
        )
        .and_where(Expr::col((tags.clone(), tag::Column::Name)).is_in(names.iter().cloned()));
    if all {
        let mut distinct = names.to_vec();
        distinct.sort();
        distinct.dedup();
        query
            .group_by_col((join, photo_tag::Column::PhotoId))
            .and_having(
                Func::count_distinct(Expr::col((tags, tag::Column::Id)))
                    .eq(i64::try_from(distinct.len()).unwrap_or(i64::MAX)),
            );
    }
    query
}

/// Which tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TagFilter {
    /// Whose name starts with this (normalized) prefix.
    pub name_prefix: Option<String>,
}

impl Filter<tag::Entity> for TagFilter {
    fn condition(&self) -> Condition {
        Condition::all().add_option(self.name_prefix.as_deref().map(|prefix| {
            Expr::col((tag::Entity, tag::Column::Name))
                .like(LikeExpr::new(format!("{}%", escape_like(prefix))).escape('\\'))
        }))
    }
}

/// Which users.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UserFilter {
    /// Whose username starts with this prefix.
    pub username_prefix: Option<String>,
}

impl Filter<user::Entity> for UserFilter {
    fn condition(&self) -> Condition {
        Condition::all().add_option(self.username_prefix.as_deref().map(|prefix| {
            Expr::col((user::Entity, user::Column::Username))
                .like(LikeExpr::new(format!("{}%", escape_like(prefix))).escape('\\'))
        }))
    }
}

/// `LOWER(column) LIKE '%text%'`, with the text's own `%`, `_` and `\` matched literally.
fn contains(column: Expr, text: &str) -> Expr {
    let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
    Expr::expr(Func::lower(column)).like(LikeExpr::new(pattern).escape('\\'))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
