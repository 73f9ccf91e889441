//! Relay cursor connections: the page of a list as clients see it.
//!
//! One generic `Connection<N>`/`Edge<N>` pair, instantiated once per node
//! type under the names `UserConnection`, `PostEdge`, …, so that each has a
//! description in the schema. Building a connection from a loader's
//! [`Window`] is the only logic here; paging rules live in `paging.rs`.

use async_graphql::connection::{CursorType, PageInfo};
use async_graphql::{OutputType, SimpleObject};
use sea_orm::ModelTrait;

use super::{Photo, Post, Tag, User};
use crate::paging::{Page, Sort, SortKey, Window, cursor_of};

/// One page of a list: its items, the cursors to page on, and the list's size.
#[derive(SimpleObject)]
#[graphql(concrete(name = "UserConnection", params(User)))]
#[graphql(concrete(name = "PostConnection", params(Post)))]
#[graphql(concrete(name = "PhotoConnection", params(Photo)))]
#[graphql(concrete(name = "TagConnection", params(Tag)))]
pub struct Connection<N: OutputType>
where
    Edge<N>: OutputType,
{
    /// The items of this page, each with its cursor.
    pub edges: Vec<Edge<N>>,
    /// The items of this page, without cursors.
    pub nodes: Vec<N>,
    /// Where this page stands in the list.
    pub page_info: PageInfo,
    /// How many items the list holds in all, over every page (with the filter applied).
    pub total_count: i64,
}

/// An item of a page, with the cursor that points at it.
#[derive(SimpleObject)]
#[graphql(concrete(name = "UserEdge", params(User)))]
#[graphql(concrete(name = "PostEdge", params(Post)))]
#[graphql(concrete(name = "PhotoEdge", params(Photo)))]
#[graphql(concrete(name = "TagEdge", params(Tag)))]
pub struct Edge<N: OutputType> {
    /// Pass this as `after` (or `before`) to continue from this item.
    pub cursor: String,
    /// The item.
    pub node: N,
}

/// Builds the connection of a page: edges with cursors, `pageInfo`, `totalCount`.
pub fn connection<M, N, K>(
    window: Window<M>,
    page: &Page,
    sort: Sort<K>,
    wrap: impl Fn(M) -> N,
) -> Connection<N>
where
    M: ModelTrait,
    N: OutputType + Clone,
    Edge<N>: OutputType,
    K: SortKey<M::Entity>,
{
    let (has_previous_page, has_next_page) = if page.backwards {
        (window.has_more, page.cursor.is_some())
    } else {
        (page.cursor.is_some(), window.has_more)
    };
    let edges: Vec<Edge<N>> = window
        .rows
        .into_iter()
        .map(|row| Edge {
            cursor: cursor_of(&row, sort.key).encode_cursor(),
            node: wrap(row),
        })
        .collect();
    Connection {
        page_info: PageInfo {
            has_previous_page,
            has_next_page,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        nodes: edges.iter().map(|e| e.node.clone()).collect(),
        edges,
        total_count: i64::try_from(window.total.unwrap_or(0)).unwrap_or(i64::MAX),
    }
}
