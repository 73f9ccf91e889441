//! Relay cursor connections: the page of a list as clients see it, and the
//! one macro that writes a connection field.
//!
//! One generic `Connection<N>`/`Edge<N>` pair whose GraphQL names follow the
//! node type (`PostConnection`, `PostEdge`, …), so a new node type needs no
//! line here. A connection holds each row once: `nodes` and the cursors are
//! read from the edges when selected. Paging rules live in `paging.rs`; the
//! rows come from the loaders.

use std::borrow::Cow;

use async_graphql::connection::{CursorType, PageInfo};
use async_graphql::{Object, OutputType, TypeName};

use super::columns::{Columns, List, One};
use sea_orm::ModelTrait;

use crate::paging::{Cursor, Page, Sort, SortKey, Window, cursor_of};

/// One page of a list: its items, the cursors to page on, and the list's size.
pub struct Connection<N> {
    edges: Vec<Edge<N>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: i64,
}

/// One page of a list: its items, the cursors to page on, and the list's size.
#[Object(name_type)]
impl<N: Columns> Connection<N> {
    /// The items of this page, each with its cursor.
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }

    /// The items of this page, without cursors.
    async fn nodes(&self) -> List<&N> {
        List(self.edges.iter().map(|edge| &edge.node).collect())
    }

    /// Where this page stands in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|e| e.cursor.encode_cursor()),
            end_cursor: self.edges.last().map(|e| e.cursor.encode_cursor()),
        }
    }

    /// How many items the list holds in all, over every page (with the filter applied).
    #[graphql(complexity = "crate::types::TOTAL_COUNT_COST")]
    async fn total_count(&self) -> i64 {
        self.total_count
    }
}

impl<N: OutputType> TypeName for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

/// An item of a page, with the cursor that points at it.
pub struct Edge<N> {
    cursor: Cursor,
    node: N,
}

/// An item of a page, with the cursor that points at it.
#[Object(name_type)]
impl<N: Columns> Edge<N> {
    /// Pass this as `after` (or `before`) to continue from this item.
    async fn cursor(&self) -> String {
        self.cursor.encode_cursor()
    }

    /// The item.
    async fn node(&self) -> One<&N> {
        One(&self.node)
    }
}

impl<N: OutputType> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", N::type_name()).into()
    }
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
    K: SortKey<M::Entity>,
{
    let (has_previous_page, has_next_page) = if page.backwards {
        (window.has_more, page.cursor.is_some())
    } else {
        (page.cursor.is_some(), window.has_more)
    };
    Connection {
        edges: window
            .rows
            .into_iter()
            .map(|row| Edge {
                cursor: cursor_of(&row, sort.key),
                node: wrap(row),
            })
            .collect(),
        has_previous_page,
        has_next_page,
        total_count: i64::try_from(window.total.unwrap_or(0)).unwrap_or(i64::MAX),
    }
}

/// Writes a GraphQL object's `#[Object]` impl together with its connection
/// fields, one line each.
///
/// ```text
/// object_with_connections! {
///     /// A registered user of Folio.
///     impl User { …ordinary fields… }
///     connections {
///         /// The posts the user wrote, newest first unless `orderBy` says otherwise.
///         posts: Post by user::Entity => post::Entity, PostFilterInput, PostOrder;
///         /// Every user, oldest account first unless `orderBy` says otherwise.
///         users: User roots user::Entity, UserFilterInput, UserOrder;
///     }
/// }
/// ```
///
/// Each field takes `first`/`after`/`last`/`before`, `filter` and `orderBy`,
/// is costed as its page size times what is selected under it, and resolves
/// through the loaders: `by P => C` pages the `C` rows related to this row
/// (the parent's id is [`Row::row_id`](super::Row::row_id)), `roots C` pages
/// every `C` row.
macro_rules! object_with_connections {
    (
        $(#[$object_attr:meta])*
        impl $object:ident { $($body:tt)* }
        connections {
            $(
                $(#[doc = $doc:literal])*
                $field:ident: $node:ident $kind:ident $($entity:path)=>+, $filter:ty, $order:ty;
            )*
        }
    ) => {
        $(#[$object_attr])*
        #[async_graphql::Object]
        impl $object {
            $($body)*

            $(
                $(#[doc = $doc])*
                #[graphql(complexity = "crate::types::connection_complexity(first, last, crate::types::filter_cost(&filter), child_complexity)")]
                #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL argument")]
                async fn $field(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = "Return the first N items (at most 100; default 20).")]
                    first: Option<i32>,
                    #[graphql(desc = "Return the items after this cursor.")]
                    after: Option<String>,
                    #[graphql(desc = "Return the last N items (at most 100).")]
                    last: Option<i32>,
                    #[graphql(desc = "Return the items before this cursor.")]
                    before: Option<String>,
                    #[graphql(desc = "Only the items that match.")]
                    filter: Option<$filter>,
                    #[graphql(desc = "The order of the items.")]
                    order_by: Option<$order>,
                ) -> crate::error::ApiResult<crate::types::Connection<$node>> {
                    let args = crate::paging::PageArgs { first, after, last, before };
                    let filter = <$filter as crate::types::FilterInput>::resolve(filter)?;
                    let sort = <$order as crate::types::OrderInput>::sort(order_by);
                    object_with_connections!(
                        @load self, ctx, args, filter, sort, $node, $kind $($entity)=>+
                    )
                }
            )*
        }
    };
    (@load $self:ident, $ctx:ident, $args:ident, $filter:ident, $sort:ident, $node:ident, by $parent:path => $child:path) => {
        crate::types::load_connection::<$parent, $child, _, _, _>(
            $ctx,
            crate::types::Row::row_id($self),
            $args,
            $filter,
            $sort,
            $node::from,
        )
        .await
    };
    (@load $self:ident, $ctx:ident, $args:ident, $filter:ident, $sort:ident, $node:ident, roots $entity:path) => {
        crate::types::load_roots::<$entity, _, _, _>($ctx, $args, $filter, $sort, $node::from).await
    };
}

pub(crate) use object_with_connections;

#[cfg(test)]
mod tests {
    use crate::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

    /// The page arguments' descriptions are written once, in the macro: they
    /// must state the page sizes `paging.rs` enforces.
    #[test]
    fn page_argument_descriptions_state_the_page_sizes() {
        let sdl = crate::schema::sdl();
        let first = format!(
            "Return the first N items (at most {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE})."
        );
        let last = format!("Return the last N items (at most {MAX_PAGE_SIZE}).");
        assert!(sdl.contains(&first), "{first}");
        assert!(sdl.contains(&last), "{last}");
    }
}
