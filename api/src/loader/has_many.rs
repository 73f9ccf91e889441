//! One-to-many and many-to-many, paged per parent in one statement.
//!
//! `ToMany<P, C, F, K>` asks for one page of the `C` rows related to the `P`
//! row `parent`, filtered by `F` and ordered by `K`. Every key of a batch with
//! the same [`Slice`] (filter, order, page, whether the total is wanted) is
//! answered by one statement, in one of two plans.
//!
//! Without a total, on PostgreSQL and SQLite, a seek per parent
//! ([`run_seeks`]): each parent's page is `… WHERE parent = ? AND <past the
//! cursor> ORDER BY key, id LIMIT n + 1` on the parent's index, joined
//! `LATERAL` to the parent ids on PostgreSQL and put together with `UNION
//! ALL` on SQLite; a page costs the same however many children a parent has.
//! On PostgreSQL the parent ids are one array parameter (`unnest($1)`, and
//! `= ANY($1)` in the other plans, see [`among`]), and when the sort key is
//! a timestamp or an integer the statement has no outer `ORDER BY`: each
//! parent's few rows are put in order here, where PostgreSQL sorted every
//! row of the statement again.
//!
//! A small list, with neither a page nor a total (`Photo.tags`), is one
//! plain statement ordered by parent, key and id ([`run_all`]).
//!
//! Otherwise (a total is wanted, MariaDB, or many parents on SQLite) a window:
//!
//! ```sql
//! SELECT * FROM (
//!   SELECT c.*, <parent column> AS folio_parent,
//!          CASE WHEN <past the cursor> THEN 1 ELSE 0 END AS folio_in_page,
//!          ROW_NUMBER() OVER (PARTITION BY <parent column>, <past the cursor>
//!                             ORDER BY <sort column> DESC, c.id DESC) AS folio_rn,
//!          COUNT(*) OVER (PARTITION BY <parent column>) AS folio_total
//!   FROM c [JOIN join_table ON …]
//!   WHERE <parent column> IN (…) AND <filter>
//! ) AS w
//! WHERE folio_in_page = 1 AND folio_rn <= <page size + 1>
//! ORDER BY folio_parent, folio_rn
//! ```
//!
//! The extra row tells whether a next page exists; the total counts the
//! filtered rows whatever the cursor, because the cursor only splits the
//! window's partitions. Window functions exist on SQLite 3.25+, PostgreSQL and
//! MySQL 8/MariaDB 10.2+. [`page_of_roots`] serves the root
//! lists: the same statement without a parent when the total is selected, a
//! plain seek (`ORDER BY … LIMIT n + 1` past the cursor) when it is not.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use super::Fetch;
use derive_where::derive_where;
use futures_util::TryStreamExt;
use sea_orm::sea_query::{
    Alias, Asterisk, CaseStatement, Condition, Expr, ExprTrait, Func, IntoIden, JoinType, Order,
    OverStatement, Query, SelectStatement, SimpleExpr, UnionType, WindowStatement,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Related, StreamTrait,
};

use super::decode::Skipped;
use super::{
    Decode, Filter, LoadResult, RelationLoader, Shared, among, column_of, qualified,
    select_columns, table_of,
};
use crate::paging::{Page, Sort, SortKey, SortValue, Window, keyset_condition, primary_id_column};

/// Which rows of a list, in which order: everything but the parent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slice<F, K> {
    /// The filter.
    pub filter: F,
    /// The order.
    pub sort: Sort<K>,
    /// The page.
    pub page: Page,
    /// Whether to count the filtered rows (only when `totalCount` is selected).
    pub with_total: bool,
    /// The long text columns nothing selected will show.
    pub unread: super::Unread,
}

impl<F, K> Slice<F, K> {
    /// The direction rows are read in: the sort's, reversed when paging
    /// backwards (the page is flipped back after reading).
    fn read_order(&self) -> Order {
        if self.sort.descending != self.page.backwards {
            Order::Desc
        } else {
            Order::Asc
        }
    }
}

/// The key of a to-many relation from `P` to `C`: a parent and a slice.
#[derive_where(Clone, PartialEq, Eq, Hash; F, K)]
pub struct ToMany<P, C, F, K> {
    /// The parent row's id.
    pub parent: i32,
    /// Which of its related rows (shared by the keys of a list's items).
    pub slice: Shared<Slice<F, K>>,
    _relation: PhantomData<fn() -> (P, C)>,
}

impl<P, C, F, K> ToMany<P, C, F, K> {
    /// The rows related to `parent` that `slice` selects.
    pub fn new(parent: i32, slice: Shared<Slice<F, K>>) -> Self {
        ToMany {
            parent,
            slice,
            _relation: PhantomData,
        }
    }
}

impl<P, C, F, K> Fetch<ToMany<P, C, F, K>> for RelationLoader
where
    P: EntityTrait + Related<C> + Send + Sync,
    C: EntityTrait + Send + Sync,
    C::Model: Decode + Send + Sync + Clone,
    F: Filter<C>,
    K: SortKey<C>,
{
    /// Shared, not copied: the DataLoader hands each waiter a clone of its
    /// value, and by the time the waiter reads it the batch has let go of
    /// its own, so [`Window::take`] gets the rows without copying them.
    type Value = Arc<Window<C::Model>>;
    async fn fetch(
        &self,
        keys: &[ToMany<P, C, F, K>],
    ) -> LoadResult<HashMap<ToMany<P, C, F, K>, Arc<Window<C::Model>>>> {
        // One statement per distinct slice; siblings share one.
        let mut by_slice: foldhash::HashMap<&Shared<Slice<F, K>>, Vec<i32>> =
            foldhash::HashMap::default();
        for key in keys {
            by_slice.entry(&key.slice).or_default().push(key.parent);
        }
        let (def, via) = super::relation::<P, C>();
        let mut found = HashMap::new();
        for (slice, parents) in by_slice {
            let child = table_of(&def.to_tbl);
            let mut base = Query::select();
            base.from(child.clone());
            let mut mirror = None;
            let parent_column = match &via {
                // Many-to-many: join the join table, whose `via.to_col` names the parent.
                Some(via) => {
                    let join = table_of(&via.to_tbl);
                    mirror = mirrored(&join, sea_orm::IdenStatic::as_str(&slice.sort.key.column()));
                    base.inner_join(
                        join.clone(),
                        Expr::col((join.clone(), column_of(&def.from_col)))
                            .equals((child.clone(), column_of(&def.to_col))),
                    );
                    qualified(join, column_of(&via.to_col))
                }
                None => qualified(child.clone(), column_of(&def.to_col)),
            };
            let backend = self.db.get_database_backend();
            let mut windows = if seeks_per_parent(backend, slice, parents.len()) {
                run_seeks::<C, F, K>(&self.db, base, parent_column, mirror, &parents, slice).await?
            } else if slice.page.limit.is_none() && !slice.with_total {
                base.and_where(among(backend, parent_column.clone(), &parents));
                run_all::<C, F, K>(&self.db, base, parent_column, slice).await?
            } else {
                base.and_where(among(backend, parent_column.clone(), &parents));
                run_window::<C, F, K>(&self.db, base, Some(parent_column), slice).await?
            };
            for parent in parents {
                let window = windows.remove(&parent).unwrap_or_default();
                found.insert(ToMany::new(parent, slice.clone()), Arc::new(window));
            }
        }
        Ok(found)
    }
}

/// Each parent's page, by the parent's id (hashed with foldhash: a row at a
/// time, SipHash showed in the profile).
type Windows<M> = foldhash::HashMap<i32, Window<M>>;

/// One page of every `C` row: the root lists (`posts`, `photos`, …).
pub async fn page_of_roots<C, F, K>(
    db: &DatabaseConnection,
    slice: &Slice<F, K>,
) -> Result<Window<C::Model>, DbErr>
where
    C: EntityTrait,
    C::Model: Decode,
    F: Filter<C>,
    K: SortKey<C>,
{
    let mut base = Query::select();
    base.from(C::default());
    if slice.with_total {
        // The total must ignore the cursor: the windowed statement counts it in passing.
        let mut windows = run_window::<C, F, K>(db, base, None, slice).await?;
        return Ok(windows.remove(&0).unwrap_or_default());
    }
    // Without a total, a plain seek (`WHERE past the cursor ORDER BY … LIMIT n + 1`)
    // reads only the page from the index instead of numbering every row.
    select_in_order::<C, F, K>(&mut base, None, slice);
    if let Some(limit) = slice.page.limit {
        base.limit(limit + 1);
    }
    let statement = db.get_database_backend().build(&base);
    let skipped = Skipped::of::<C::Model>(slice.unread);
    let mut rows = Vec::new();
    let mut read = db.stream_raw(statement).await?;
    while let Some(row) = read.try_next().await? {
        rows.push(C::Model::decode(&row, skipped)?);
    }
    let has_more = slice
        .page
        .limit
        .is_some_and(|limit| rows.len() as u64 > limit);
    if let Some(limit) = slice.page.limit {
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    if slice.page.backwards {
        rows.reverse();
    }
    Ok(Window {
        rows,
        has_more,
        total: None,
    })
}

/// The most parents one per-parent seek statement takes on SQLite, one
/// `UNION ALL` term each (SQLite allows 500 terms).
const MAX_UNION_TERMS: usize = 400;

/// Whether a level's pages are read by one seek per parent (`ORDER BY …
/// LIMIT n + 1` on the parent's index) rather than by numbering every row of
/// every parent in a window. Only when no total is wanted (the window counts
/// it in passing), and where it measures better: on PostgreSQL through
/// `LATERAL`; on SQLite through a `UNION ALL` of per-parent subqueries, while
/// there are few enough parents. MariaDB runs such a `UNION ALL` several
/// times slower than the window (the benchmark's nested queries went from
/// 128 to 50 requests per second), so it keeps the window.
fn seeks_per_parent<F, K>(backend: DbBackend, slice: &Slice<F, K>, parents: usize) -> bool {
    if slice.with_total || slice.page.limit.is_none() {
        return false;
    }
    match backend {
        DbBackend::Postgres => true,
        DbBackend::Sqlite => parents <= MAX_UNION_TERMS,
        _ => false,
    }
}

/// Columns a join table copies from its child rows, so that a parent's
/// children are read in order from the join table's own index: (join table,
/// the child's sort column, the join table's copy of it, the join table's
/// child id). `photo_tags.photo_created_at` is the photo's `created_at`.
const MIRRORED: &[(&str, &str, &str, &str)] =
    &[("photo_tags", "created_at", "photo_created_at", "photo_id")];

/// The join table `join`'s copies of the child's sort column `sort` and of
/// the child's id, when it keeps one ([`MIRRORED`]).
fn mirrored(join: &sea_orm::sea_query::DynIden, sort: &str) -> Option<(SimpleExpr, SimpleExpr)> {
    let join_name = join.to_string();
    MIRRORED
        .iter()
        .find(|(table, column, _, _)| *table == join_name && *column == sort)
        .map(|(_, _, copy, id)| {
            (
                qualified(join.clone(), Alias::new(*copy).into_iden()),
                qualified(join.clone(), Alias::new(*id).into_iden()),
            )
        })
}

/// Whether Rust orders the values of `column` as the database does:
/// integers and timestamps do; text follows the database's collation, and
/// where `NULL`s go depends on the database and the direction.
fn ordered_alike<C: ColumnTrait>(column: C) -> bool {
    use sea_orm::ColumnType;
    let def = column.def();
    !def.is_null()
        && matches!(
            def.get_column_type(),
            ColumnType::TinyInteger
                | ColumnType::SmallInteger
                | ColumnType::Integer
                | ColumnType::BigInteger
                | ColumnType::DateTime
                | ColumnType::Timestamp
                | ColumnType::TimestampWithTimeZone
        )
}

/// One page per parent, each read by a seek: `base` names the tables,
/// `parent` the column that holds the parent's id; `mirror`, the join
/// table's copies of the sort column and of the child's id, to seek on in
/// place of the child's own. Every parent's subquery
/// is `… WHERE parent = ? AND <filter> AND <past the cursor> ORDER BY key,
/// id LIMIT n + 1`, joined to the parent ids `LATERAL` on PostgreSQL and
/// put together by `UNION ALL` elsewhere (SQLite lacks LATERAL).
async fn run_seeks<C, F, K>(
    db: &DatabaseConnection,
    base: SelectStatement,
    parent: SimpleExpr,
    mirror: Option<(SimpleExpr, SimpleExpr)>,
    parents: &[i32],
    slice: &Slice<F, K>,
) -> Result<Windows<C::Model>, DbErr>
where
    C: EntityTrait,
    C::Model: Decode,
    F: Filter<C>,
    K: SortKey<C>,
{
    let table = C::default().into_iden();
    let sort_name = slice.sort.key.column().into_iden();
    let id_name = primary_id_column::<C>().into_iden();
    let (sort_col, id_col) = mirror.unwrap_or_else(|| {
        (
            qualified(table.clone(), sort_name.clone()),
            qualified(table, id_name.clone()),
        )
    });
    let order = slice.read_order();
    let limit = slice.page.limit.unwrap_or(u64::MAX);
    // The subquery of one parent, whose id is `parent_value`.
    let seek = |parent_value: SimpleExpr| {
        let mut query = base.clone();
        select_columns::<C>(&mut query, slice.unread);
        query
            .expr_as(parent.clone(), Alias::new("folio_parent"))
            .and_where(Expr::expr(parent.clone()).eq(parent_value))
            .cond_where(slice.filter.condition());
        if let Some(past_cursor) =
            keyset_condition(&slice.page, slice.sort, sort_col.clone(), id_col.clone())
        {
            query.cond_where(past_cursor);
        }
        query
            .order_by_expr(sort_col.clone(), order.clone())
            .order_by_expr(id_col.clone(), order.clone())
            .limit(limit + 1);
        query
    };
    let backend = db.get_database_backend();
    let mut outer = Query::select();
    if backend == DbBackend::Postgres {
        // The parent ids are one array parameter, as in [`among`].
        outer
            .column((Alias::new("w"), Asterisk))
            .from_function(
                Func::cust(Alias::new("unnest")).arg(Expr::val(parents.to_vec())),
                Alias::new("p"),
            )
            .join_lateral(
                JoinType::InnerJoin,
                seek(Expr::col((Alias::new("p"), Alias::new("p")))),
                Alias::new("w"),
                Expr::cust("TRUE"),
            );
    } else {
        let mut terms = parents.iter().enumerate().map(|(i, id)| {
            let mut term = Query::select();
            term.column(Asterisk)
                .from_subquery(seek(Expr::val(*id)), Alias::new(format!("w{i}")));
            term
        });
        let Some(mut union) = terms.next() else {
            return Ok(Windows::default());
        };
        union.unions(terms.map(|term| (UnionType::All, term)));
        outer.column(Asterisk).from_subquery(union, Alias::new("u"));
    }
    // The seeks read each parent's rows in order, but without an `ORDER BY`
    // SQL promises no order, and sorting the statement's rows was about 8 %
    // of PostgreSQL's time on the nested queries. Rust orders integers and
    // timestamps as the database does; text keys keep the database's
    // collation, and SQLite its `ORDER BY` (its sort is in this process anyway).
    let sort_column = slice.sort.key.column();
    let ordered_here = backend == DbBackend::Postgres && ordered_alike(sort_column);
    if !ordered_here {
        outer
            .order_by(Alias::new("folio_parent"), Order::Asc)
            .order_by(sort_name, order.clone())
            .order_by(id_name, order.clone());
    }

    let statement = backend.build(&outer);
    // On SQLite the statement tree holds a seek per parent, up to hundreds of
    // them, about a MiB in all; the request may wait for a connection next,
    // and must not hold the tree while it waits.
    drop(outer);
    let skipped = Skipped::of::<C::Model>(slice.unread);
    let mut windows: Windows<C::Model> = Windows::default();
    let mut rows = db.stream_raw(statement).await?;
    while let Some(row) = rows.try_next().await? {
        let parent: i32 = C::Model::after(&row, 0)?;
        let window = windows.entry(parent).or_default();
        if ordered_here || (window.rows.len() as u64) < limit {
            window.rows.push(C::Model::decode(&row, skipped)?);
        } else {
            window.has_more = true;
        }
    }
    if ordered_here {
        let id_column = primary_id_column::<C>();
        for window in windows.values_mut() {
            window.rows.sort_by_cached_key(|model| {
                (
                    SortValue::of(model, sort_column),
                    SortValue::of(model, id_column),
                )
            });
            if matches!(order, Order::Desc) {
                window.rows.reverse();
            }
            if window.rows.len() as u64 > limit {
                window
                    .rows
                    .truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                window.has_more = true;
            }
        }
    }
    Ok(in_order(windows, slice))
}

/// The slice's sort column and `C`'s id, qualified by `C`'s table.
fn order_columns<C, F, K>(slice: &Slice<F, K>) -> (SimpleExpr, SimpleExpr)
where
    C: EntityTrait,
    K: SortKey<C>,
{
    let table = C::default().into_iden();
    let sort_col = qualified(table.clone(), slice.sort.key.column().into_iden());
    let id_col = qualified(table, primary_id_column::<C>().into_iden());
    (sort_col, id_col)
}

/// `windows` in the slice's order: a page read backwards (`last`,
/// `before`) is flipped back.
fn in_order<M, F, K>(mut windows: Windows<M>, slice: &Slice<F, K>) -> Windows<M> {
    if slice.page.backwards {
        for window in windows.values_mut() {
            window.rows.reverse();
        }
    }
    windows
}

/// Makes `base` select the rows of `slice` past its cursor, in its order:
/// the entity's columns (and the parent, as `folio_parent`, first in the
/// order when there is one), the filter, the cursor's condition, and
/// `ORDER BY [parent,] key, id` in the direction the page is read.
fn select_in_order<C, F, K>(
    base: &mut SelectStatement,
    parent: Option<SimpleExpr>,
    slice: &Slice<F, K>,
) where
    C: EntityTrait,
    F: Filter<C>,
    K: SortKey<C>,
{
    let (sort_col, id_col) = order_columns::<C, F, K>(slice);
    select_columns::<C>(base, slice.unread);
    base.cond_where(slice.filter.condition());
    if let Some(past_cursor) =
        keyset_condition(&slice.page, slice.sort, sort_col.clone(), id_col.clone())
    {
        base.cond_where(past_cursor);
    }
    if let Some(parent) = parent {
        base.expr_as(parent.clone(), Alias::new("folio_parent"))
            .order_by_expr(parent, Order::Asc);
    }
    let order = slice.read_order();
    base.order_by_expr(sort_col, order.clone())
        .order_by_expr(id_col, order);
}

/// Every row of each parent, in order, when there is neither a page nor a
/// total to count (a small list such as `Photo.tags`): one plain statement
/// over `base` (which names the tables and the parent condition), sorted
/// once. Numbering the rows in a window, as a page needs, made PostgreSQL
/// sort them twice.
async fn run_all<C, F, K>(
    db: &DatabaseConnection,
    mut base: SelectStatement,
    parent: SimpleExpr,
    slice: &Slice<F, K>,
) -> Result<Windows<C::Model>, DbErr>
where
    C: EntityTrait,
    C::Model: Decode,
    F: Filter<C>,
    K: SortKey<C>,
{
    select_in_order::<C, F, K>(&mut base, Some(parent), slice);
    let statement = db.get_database_backend().build(&base);
    let skipped = Skipped::of::<C::Model>(slice.unread);
    let mut windows = Windows::default();
    let mut rows = db.stream_raw(statement).await?;
    while let Some(row) = rows.try_next().await? {
        let parent: i32 = C::Model::after(&row, 0)?;
        let model = C::Model::decode(&row, skipped)?;
        windows.entry(parent).or_default().rows.push(model);
    }
    Ok(in_order(windows, slice))
}

/// Runs the windowed statement over `base` (which names the tables and the
/// parent condition) and splits its rows by parent (0 when there is none).
async fn run_window<C, F, K>(
    db: &DatabaseConnection,
    mut base: SelectStatement,
    parent: Option<SimpleExpr>,
    slice: &Slice<F, K>,
) -> Result<Windows<C::Model>, DbErr>
where
    C: EntityTrait,
    C::Model: Decode,
    F: Filter<C>,
    K: SortKey<C>,
{
    let (sort_col, id_col) = order_columns::<C, F, K>(slice);
    base.cond_where(slice.filter.condition());
    select_columns::<C>(&mut base, slice.unread);

    let parent = parent.unwrap_or_else(|| Expr::val(0));
    let in_page: SimpleExpr =
        match keyset_condition(&slice.page, slice.sort, sort_col.clone(), id_col.clone()) {
            Some(past_cursor) => CaseStatement::new()
                .case(past_cursor, Expr::val(1))
                .finally(Expr::val(0))
                .into(),
            None => Expr::val(1),
        };
    let order = slice.read_order();
    let mut rank = WindowStatement::new();
    rank.add_partition_by(parent.clone());
    rank.add_partition_by(in_page.clone());
    rank.order_by_expr(sort_col, order.clone());
    rank.order_by_expr(id_col, order);
    base.expr_as(parent.clone(), Alias::new("folio_parent"))
        .expr_as(in_page, Alias::new("folio_in_page"))
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            rank,
            Alias::new("folio_rn"),
        );
    if slice.with_total {
        let mut all = WindowStatement::new();
        all.add_partition_by(parent);
        base.expr_window_as(
            Func::count(Expr::col(Asterisk)),
            all,
            Alias::new("folio_total"),
        );
    }

    let mut outer = Query::select();
    outer.column(Asterisk).from_subquery(base, Alias::new("w"));
    let mut in_page = Condition::all().add(Expr::col(Alias::new("folio_in_page")).eq(1));
    if let Some(limit) = slice.page.limit {
        // One row more than the page tells whether another page follows.
        in_page = in_page.add(Expr::col(Alias::new("folio_rn")).lte(limit + 1));
    }
    if slice.with_total {
        // A page past the end has no row to carry the total: the first row
        // before the cursor carries it instead, and is not part of the page.
        outer.cond_where(
            Condition::any().add(in_page).add(
                Condition::all()
                    .add(Expr::col(Alias::new("folio_in_page")).eq(0))
                    .add(Expr::col(Alias::new("folio_rn")).eq(1)),
            ),
        );
    } else {
        outer.cond_where(in_page);
    }
    outer
        .order_by(Alias::new("folio_parent"), Order::Asc)
        .order_by(Alias::new("folio_rn"), Order::Asc);

    let statement = db.get_database_backend().build(&outer);
    let mut rows = db.stream_raw(statement).await?;
    let skipped = Skipped::of::<C::Model>(slice.unread);
    let mut windows = Windows::default();
    while let Some(row) = rows.try_next().await? {
        let parent: i32 = C::Model::after(&row, 0)?;
        let window = windows.entry(parent).or_default();
        if slice.with_total {
            let total: i64 = row.try_get("", "folio_total")?;
            window.total = Some(u64::try_from(total).unwrap_or(0));
            // An integer of the backend's choosing: 4 bytes on PostgreSQL, 8 on MySQL.
            let in_page = row
                .try_get::<i64>("", "folio_in_page")
                .or_else(|_| row.try_get::<i32>("", "folio_in_page").map(i64::from))?;
            if in_page == 0 {
                continue;
            }
        }
        match slice.page.limit {
            Some(limit) if window.rows.len() as u64 >= limit => window.has_more = true,
            _ => window.rows.push(C::Model::decode(&row, skipped)?),
        }
    }
    Ok(in_order(windows, slice))
}

#[cfg(test)]
mod tests {
    use entity::{photo_tag, post, tag, user};

    use super::ordered_alike;

    #[test]
    fn only_non_null_integers_and_timestamps_are_put_in_order_here() {
        assert!(ordered_alike(post::Column::CreatedAt));
        assert!(ordered_alike(post::Column::UpdatedAt));
        assert!(ordered_alike(user::Column::CreatedAt));
        assert!(ordered_alike(post::Column::Id));
        assert!(!ordered_alike(post::Column::Title), "text: the collation");
        assert!(!ordered_alike(tag::Column::Name), "text: the collation");
        assert!(
            !ordered_alike(photo_tag::Column::PhotoCreatedAt),
            "nullable: where NULLs go"
        );
    }
}
