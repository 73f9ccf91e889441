//! Objects answered from their row alone.
//!
//! async-graphql resolves an object by boxing one future per selected field
//! and polling them together, even when each field only reads a column of a
//! row already in memory. For the many small objects of a large response
//! (the posts of every user, the tags of every photo) that is most of the
//! server's CPU. An object whose selection names only such fields, and
//! `__typename`, is built here directly instead, with the same values: each
//! column is read through the object's own resolver. Anything else in the
//! selection (a relation, an argument, a directive) sends the object down
//! async-graphql's path, field by field, as before.
//!
//! Columns read here skip async-graphql's extension hooks: the schema runs
//! no extension around fields (`schema::build`), and one that did would
//! have to be run here too.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{
    Context, ContextSelectionSet, ID, Name, OutputType, Positioned, ScalarType, ServerResult, Value,
};
use chrono::{DateTime, Utc};

/// An object some of whose fields only read its row.
pub trait Columns: OutputType {
    /// The value of the field `ctx` names if that field takes no arguments
    /// and only reads the row; `None` for any other field.
    fn column(&self, ctx: &Context<'_>) -> Option<Value>;
}

impl<T: Columns + ?Sized> Columns for &T {
    fn column(&self, ctx: &Context<'_>) -> Option<Value> {
        T::column(self, ctx)
    }
}

/// Writes an object's [`Columns`]: each GraphQL field name with the resolver
/// that answers it (the `#[Object]` method itself), which must do no async
/// work: it is polled once.
macro_rules! columns {
    ($object:ty { $($name:literal => $resolver:ident),+ $(,)? }) => {
        impl crate::types::columns::Columns for $object {
            fn column(&self, ctx: &async_graphql::Context<'_>) -> Option<async_graphql::Value> {
                use futures_util::FutureExt as _;
                use crate::types::columns::IntoColumn as _;
                match ctx.item.node.name.node.as_str() {
                    $( $name => Some(self.$resolver(ctx).now_or_never()?.ok()?.into_column()), )+
                    _ => None,
                }
            }
        }

    };
}

pub(crate) use columns;

/// A resolver's result as the response value async-graphql would make of it.
pub(crate) trait IntoColumn {
    fn into_column(self) -> Value;
}

impl IntoColumn for ID {
    fn into_column(self) -> Value {
        self.to_value()
    }
}

impl IntoColumn for &str {
    fn into_column(self) -> Value {
        Value::String(self.to_owned())
    }
}

impl IntoColumn for i32 {
    fn into_column(self) -> Value {
        self.to_value()
    }
}

impl IntoColumn for i64 {
    fn into_column(self) -> Value {
        self.to_value()
    }
}

impl IntoColumn for DateTime<Utc> {
    fn into_column(self) -> Value {
        self.to_value()
    }
}

impl<T: IntoColumn> IntoColumn for Option<T> {
    fn into_column(self) -> Value {
        self.map_or(Value::Null, IntoColumn::into_column)
    }
}

/// `item` as the object its selection `ctx` asks for, if every field
/// selected is one of its columns.
fn object<T: Columns + ?Sized>(item: &T, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
    let mut fields = IndexMap::with_capacity(ctx.item.node.items.len());
    collect(item, ctx, &ctx.item.node, &mut fields)?;
    Some(Value::Object(fields))
}

/// Adds the fields `set` selects on `item` to `fields`, in selection order
/// with fragments in place, the first of each response key kept; `None` as
/// soon as one of them is not a column.
fn collect<T: Columns + ?Sized>(
    item: &T,
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    fields: &mut IndexMap<Name, Value>,
) -> Option<()> {
    for selection in &set.items {
        if !selection.node.directives().is_empty() {
            return None;
        }
        match &selection.node {
            Selection::Field(positioned) => {
                let field = &positioned.node;
                if !field.arguments.is_empty() {
                    return None;
                }
                let key = &field.response_key().node;
                if fields.contains_key(key) {
                    continue;
                }
                let value = match field.name.node.as_str() {
                    "__typename" => Value::String(item.introspection_type_name().into_owned()),
                    _ => item.column(&ctx.with_field(positioned))?,
                };
                fields.insert(key.clone(), value);
            }
            Selection::FragmentSpread(spread) => {
                let fragment = ctx
                    .query_env
                    .fragments
                    .get(&spread.node.fragment_name.node)?;
                let condition = &fragment.node.type_condition.node.on.node;
                if applies::<T>(ctx, Some(condition)) {
                    collect(item, ctx, &fragment.node.selection_set.node, fields)?;
                }
            }
            Selection::InlineFragment(inline) => {
                let condition = inline.node.type_condition.as_ref().map(|c| &c.node.on.node);
                if applies::<T>(ctx, condition) {
                    collect(item, ctx, &inline.node.selection_set.node, fields)?;
                }
            }
        }
    }
    Some(())
}

/// Whether a fragment on `condition` applies to an object of type `T`.
fn applies<T: OutputType + ?Sized>(
    ctx: &ContextSelectionSet<'_>,
    condition: Option<&Name>,
) -> bool {
    let Some(condition) = condition else {
        return true;
    };
    let own = T::type_name();
    own == condition.as_str()
        || ctx
            .schema_env
            .registry
            .implements
            .get(own.as_ref())
            .is_some_and(|interfaces| interfaces.contains(condition.as_str()))
}

/// One object, built from its row when its selection allows.
pub struct One<T>(pub T);

impl<T: Columns> OutputType for One<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match object(&self.0, ctx) {
            Some(value) => Ok(value),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// A list of objects, each built from its row when their selection allows.
pub struct List<T>(pub Vec<T>);

impl<T: Columns> OutputType for List<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T>>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T>>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T>>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let built: Option<Vec<Value>> = self.0.iter().map(|item| object(item, ctx)).collect();
        match built {
            Some(items) => Ok(Value::List(items)),
            None => resolve_list(ctx, field, &self.0, Some(self.0.len())).await,
        }
    }
}
