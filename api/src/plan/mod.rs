//! Planned reads: a query document is planned once, and each request that
//! sends it again runs the plan instead of async-graphql's executor.
//!
//! A plan ([`Plan`]) is built once per distinct (document, operation) and
//! kept in a bounded cache ([`Plans`]). It says, for each object of the
//! response, which fields it writes and in which order (selection order,
//! fragments spread in place, aliases as keys), and for each relation field
//! which loader key serves it. Running it has three steps, none of which
//! boxes a future per field or builds a `Value` tree:
//!
//! 1. **bind**: every relation field's arguments are read, with the
//!    request's variables, into the slice it loads (page, filter, order,
//!    columns). This is before any SQL, so a request whose arguments the
//!    plan cannot use costs no statement before it falls back.
//! 2. **load**: level by level, each relation field asks the generic
//!    loaders for every key of its level at once (one batch per relation
//!    and slice, through [`crate::loader::Batches`], as the resolvers'
//!    `DataLoader` would): the same statements as async-graphql's path.
//! 3. **write**: the response's JSON bytes, straight from the rows.
//!
//! Each object type declares its fields once for the plan ([`Declared`],
//! implemented with [`declare!`] in the type's file under `types/`).
//!
//! What a plan does not cover (introspection, `node`, directives, fields
//! with arguments other than a list's, mutations, subscriptions) and what
//! it cannot bind (an argument that does not parse, a page too large) runs
//! through async-graphql's executor as before: a [`Fallback`], counted
//! and logged at debug level with its reason. The executor also remains the
//! reference: with `check_plans` on (the test suite turns it on), every
//! planned response is compared byte for byte with the executor's.

pub(crate) mod columns;
pub(crate) mod fields;
pub(crate) mod json;
pub(crate) mod root;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{InputType, Name, Variables};
use futures_util::future::{BoxFuture, join_all};
use sea_orm::DatabaseConnection;

use crate::loader::Loaders;
use crate::media::Media;
use crate::viewer::Viewer;

/// Why a request runs through async-graphql's executor instead of its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback(pub &'static str);

/// The type parameters a plan names but holds no value of.
pub(crate) type Marker<T> = std::marker::PhantomData<fn() -> T>;

/// What a field's value is written with: the row, the request.
pub(crate) type ValueFn<M> = fn(&M, &Env<'_>, &mut Vec<u8>);

/// What a declared field is, for the plan.
pub(crate) enum Planned<M> {
    /// A value read from the row (and the request's viewer) alone.
    Value(ValueFn<M>),
    /// A field that loads rows.
    Relation(Box<dyn RelationPlan<M>>),
}

/// An object type whose fields are declared for the plan.
pub(crate) trait Declared: Send + Sync + 'static {
    /// The value the object is written from (its row).
    type Model: Send + Sync + 'static;
    /// The GraphQL type name (`__typename`).
    const NAME: &'static str;
    /// The interfaces it implements, which fragments may name.
    const INTERFACES: &'static [&'static str];
    /// The field `name`, selected as `field`, for the plan; `None` when the
    /// plan does not cover it.
    fn plan_field(planner: &Planner<'_>, name: &str, field: &Field)
    -> Option<Planned<Self::Model>>;
}

/// What the plan of one object writes, in selection order.
enum Entry {
    /// `__typename`.
    Typename(Box<str>),
    /// A value of the row: the member's key, and the field's writer (an
    /// index into `values`).
    Value(Box<str>, usize),
    /// A relation: the member's key and an index into `relations`.
    Relation(Box<str>, usize),
}

/// The plan of an object selected with one selection set.
pub(crate) struct ObjectPlan<M> {
    type_name: &'static str,
    entries: Vec<Entry>,
    values: Vec<ValueFn<M>>,
    relations: Vec<Box<dyn RelationPlan<M>>>,
    /// The names of the fields selected (which on-demand columns to read).
    names: Vec<Name>,
}

impl<M: Send + Sync + 'static> ObjectPlan<M> {
    /// The names of the fields the object selects.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(Name::as_str)
    }
}

/// A relation field of objects of `M`, as planned.
pub(crate) trait RelationPlan<M>: Send + Sync {
    /// The field bound to a request: its arguments read with `env`'s variables.
    fn bind<'p>(&'p self, env: &Env<'_>) -> Result<Box<dyn Bound<M> + 'p>, Fallback>;
}

/// A relation field bound to a request: it loads its level, then writes
/// each parent's value.
pub(crate) trait Bound<M>: Send {
    /// Loads what the field shows for every one of `rows`, and below.
    fn load<'a>(
        &'a mut self,
        env: &'a Env<'a>,
        rows: &'a [&'a M],
    ) -> BoxFuture<'a, Result<(), Fallback>>;

    /// Writes the field's value for `row`.
    fn write(&self, row: &M, env: &Env<'_>, out: &mut Vec<u8>) -> Result<(), Fallback>;
}

/// An object plan bound to a request.
pub(crate) struct BoundObject<'p, M> {
    plan: &'p ObjectPlan<M>,
    relations: Vec<Box<dyn Bound<M> + 'p>>,
}

impl<'p, M: Send + Sync + 'static> BoundObject<'p, M> {
    /// `plan` with its relations bound to `env`.
    pub(crate) fn bind(plan: &'p ObjectPlan<M>, env: &Env<'_>) -> Result<Self, Fallback> {
        Ok(BoundObject {
            plan,
            relations: plan
                .relations
                .iter()
                .map(|relation| relation.bind(env))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Loads every relation of `rows`, siblings together.
    pub(crate) async fn load<'a>(
        &'a mut self,
        env: &'a Env<'a>,
        rows: &'a [&'a M],
    ) -> Result<(), Fallback> {
        if rows.is_empty() || self.relations.is_empty() {
            return Ok(());
        }
        join_all(
            self.relations
                .iter_mut()
                .map(|relation| relation.load(env, rows)),
        )
        .await
        .into_iter()
        .collect()
    }

    /// Writes `row` as the object.
    pub(crate) fn write(&self, row: &M, env: &Env<'_>, out: &mut Vec<u8>) -> Result<(), Fallback> {
        out.push(b'{');
        for (i, entry) in self.plan.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match entry {
                Entry::Typename(key) => {
                    out.extend_from_slice(key.as_bytes());
                    json::ToJson::write_json(self.plan.type_name, out);
                }
                Entry::Value(key, index) => {
                    out.extend_from_slice(key.as_bytes());
                    (self.plan.values[*index])(row, env, out);
                }
                Entry::Relation(key, index) => {
                    out.extend_from_slice(key.as_bytes());
                    self.relations[*index].write(row, env, out)?;
                }
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// What a plan is built from: the document, for its fragments.
pub(crate) struct Planner<'d> {
    document: &'d ExecutableDocument,
}

impl<'d> Planner<'d> {
    /// The plan of an object of type `T` selected with `set`; `None` when
    /// the selection uses something the plan does not cover.
    pub(crate) fn object<T: Declared>(&self, set: &SelectionSet) -> Option<ObjectPlan<T::Model>> {
        let mut fields = Vec::new();
        self.spread(set, T::NAME, T::INTERFACES, &mut fields)?;
        let mut plan = ObjectPlan {
            type_name: T::NAME,
            entries: Vec::with_capacity(fields.len()),
            values: Vec::new(),
            relations: Vec::new(),
            names: Vec::with_capacity(fields.len()),
        };
        for field in fields {
            let key = json::member(field.response_key().node.as_str());
            let name = field.name.node.as_str();
            if name == "__typename" {
                plan.entries.push(Entry::Typename(key));
                continue;
            }
            match T::plan_field(self, name, field)? {
                Planned::Value(write) => {
                    if !field.arguments.is_empty() {
                        return None;
                    }
                    plan.entries.push(Entry::Value(key, plan.values.len()));
                    plan.values.push(write);
                }
                Planned::Relation(relation) => {
                    plan.entries
                        .push(Entry::Relation(key, plan.relations.len()));
                    plan.relations.push(relation);
                }
            }
            plan.names.push(field.name.node.clone());
        }
        Some(plan)
    }

    /// Adds the fields `set` selects on an object of type `type_name` to
    /// `fields`, in selection order with fragments spread in place; `None`
    /// for what the plan does not cover: a directive, a fragment on another
    /// type, a response key selected twice (whose selections would merge).
    pub(crate) fn spread<'s>(
        &'s self,
        set: &'s SelectionSet,
        type_name: &str,
        interfaces: &[&str],
        fields: &mut Vec<&'s Field>,
    ) -> Option<()>
    where
        'd: 's,
    {
        let applies = |condition: &Name| {
            condition.as_str() == type_name || interfaces.contains(&condition.as_str())
        };
        for selection in &set.items {
            if !selection.node.directives().is_empty() {
                return None;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.as_str();
                    if fields
                        .iter()
                        .any(|seen| seen.response_key().node.as_str() == key)
                    {
                        return None;
                    }
                    fields.push(&field.node);
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = self
                        .document
                        .fragments
                        .get(&spread.node.fragment_name.node)?;
                    if !applies(&fragment.node.type_condition.node.on.node) {
                        return None;
                    }
                    self.spread(
                        &fragment.node.selection_set.node,
                        type_name,
                        interfaces,
                        fields,
                    )?;
                }
                Selection::InlineFragment(inline) => {
                    if let Some(condition) = &inline.node.type_condition
                        && !applies(&condition.node.on.node)
                    {
                        return None;
                    }
                    self.spread(
                        &inline.node.selection_set.node,
                        type_name,
                        interfaces,
                        fields,
                    )?;
                }
            }
        }
        Some(())
    }
}

/// What a plan runs with: the request's viewer, variables and loaders.
pub(crate) struct Env<'a> {
    /// Who asks.
    pub viewer: Viewer,
    /// The image store, which photo URLs name.
    pub media: &'a Media,
    /// The request's loaders.
    pub loaders: &'a Loaders,
    /// The pool root lists read through.
    pub db: &'a DatabaseConnection,
    /// The request's variables.
    variables: &'a Variables,
    /// The operation, for its variables' defaults.
    operation: &'a OperationDefinition,
}

impl Env<'_> {
    /// The argument `name` of `field` as a `T`, the request's variables
    /// substituted: `None` when it is not given; a fallback when it does not
    /// parse (the executor then says why) or names a variable the request
    /// lacks.
    pub(crate) fn argument<T: InputType>(
        &self,
        field: &Field,
        name: &str,
    ) -> Result<Option<T>, Fallback> {
        let Some(value) = field.get_argument(name) else {
            return Ok(None);
        };
        let value = value
            .node
            .clone()
            .into_const_with(|variable| self.variable(&variable).ok_or(()))
            .map_err(|()| Fallback("an argument names a variable the request lacks"))?;
        <Option<T> as InputType>::parse(Some(value))
            .map_err(|_| Fallback("an argument does not parse"))
    }

    /// The value of `$name`: the request's, else the operation's default.
    fn variable(&self, name: &Name) -> Option<async_graphql::Value> {
        if let Some(value) = self.variables.get(name) {
            return Some(value.clone());
        }
        self.operation
            .variable_definitions
            .iter()
            .find(|definition| definition.node.name.node == *name)
            .and_then(|definition| definition.node.default_value.as_ref())
            .map(|default| default.node.clone())
    }
}

/// The plan of one operation of a document.
pub struct Plan {
    root: ObjectPlan<()>,
}

/// How many requests ran their plan, and how many fell back.
#[derive(Debug, Default)]
pub struct PlanCounts {
    /// Requests answered by their plan.
    pub planned: AtomicU64,
    /// Requests that fell back to async-graphql's executor.
    pub fell_back: AtomicU64,
}

/// Plans by document text and operation name, bounded by the text's length
/// as the parsed-document cache is; a document the plan does not cover is
/// kept too, as `None`, so it is not planned again.
pub struct Plans {
    cache: quick_cache::sync::Cache<(String, Option<String>), Option<Arc<Plan>>, TextLength>,
    /// What ran how.
    pub counts: PlanCounts,
}

/// The most text the plan cache keeps, summed over its documents.
const CACHED_PLAN_TEXT: u64 = 1024 * 1024;

impl Default for Plans {
    fn default() -> Self {
        Plans {
            cache: quick_cache::sync::Cache::with_weighter(1024, CACHED_PLAN_TEXT, TextLength),
            counts: PlanCounts::default(),
        }
    }
}

/// A cached plan weighs as much as its document's text is long.
#[derive(Clone)]
struct TextLength;

impl quick_cache::Weighter<(String, Option<String>), Option<Arc<Plan>>> for TextLength {
    fn weight(&self, key: &(String, Option<String>), _: &Option<Arc<Plan>>) -> u64 {
        key.0.len().max(1) as u64
    }
}

impl Plans {
    /// The plan of the operation `operation_name` of `document` (whose text
    /// is `text`), from the query root `Root`: built on first use, then cached; `None` when the plan
    /// does not cover it.
    pub(crate) fn plan<Root: Declared<Model = ()>>(
        &self,
        text: &str,
        operation_name: Option<&str>,
        document: &ExecutableDocument,
    ) -> Option<Arc<Plan>> {
        let key = (text.to_owned(), operation_name.map(str::to_owned));
        if let Some(plan) = self.cache.get(&key) {
            return plan;
        }
        let plan = build::<Root>(document, operation_name).map(Arc::new);
        self.cache.insert(key, plan.clone());
        plan
    }

    /// Counts a request that fell back, and logs why.
    pub fn fell_back(&self, why: Fallback) {
        self.counts.fell_back.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(reason = why.0, "the request runs through the executor");
    }

    /// Counts a request its plan answered.
    pub fn planned(&self) {
        self.counts.planned.fetch_add(1, Ordering::Relaxed);
    }
}

/// The plan of the operation `operation_name` of `document`, if it is a
/// query the plan covers, from the root `Root`.
fn build<Root: Declared<Model = ()>>(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<Plan> {
    let operation = crate::document::operation_to_run(document, operation_name)?;
    if operation.ty != OperationType::Query || !operation.directives.is_empty() {
        return None;
    }
    let planner = Planner { document };
    let root = planner.object::<Root>(&operation.selection_set.node)?;
    Some(Plan { root })
}

impl Plan {
    /// Whether the plan reads anything (a root field other than
    /// `__typename`): only then does it take room among the values in
    /// flight, as the executor's root fields do.
    pub fn reads(&self) -> bool {
        !self.root.relations.is_empty()
    }

    /// Runs the plan for `request` (whose parsed document is `document`),
    /// asked by `viewer`, and returns the response's JSON.
    pub async fn run(
        &self,
        document: &ExecutableDocument,
        request: &async_graphql::Request,
        viewer: Viewer,
        loaders: &Loaders,
        db: &DatabaseConnection,
        media: &Media,
    ) -> Result<Vec<u8>, Fallback> {
        let operation =
            crate::document::operation_to_run(document, request.operation_name.as_deref())
                .ok_or(Fallback("no operation to run"))?;
        let env = Env {
            viewer,
            media,
            loaders,
            db,
            variables: &request.variables,
            operation,
        };
        let mut root = BoundObject::bind(&self.root, &env)?;
        root.load(&env, &[&()]).await?;
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"{\"data\":");
        root.write(&(), &env, &mut out)?;
        out.push(b'}');
        Ok(out)
    }
}

/// Writes one [`Declared`] impl: the object's type name, the interfaces
/// fragments may name, and each field the plan covers, one line each:
///
/// ```text
/// declare! {
///     User: user::Model, interfaces ["Node"] {
///         "username" => value(|row, _| &row.username),
///         "profile" => relation(fields::to_one::<user::Entity, profile::Entity, Profile>),
///         …
///     }
/// }
/// ```
///
/// A `value` reads the row (and the request, [`Env`]) and is written as a
/// [`json::ToJson`]; a `relation` names a constructor in [`fields`], given
/// the planner and the field.
macro_rules! declare {
    (
        $object:ident : $model:ty, interfaces [$($interface:literal),*] {
            $( $name:literal => $kind:ident ( $($args:tt)* ) ),* $(,)?
        }
    ) => {
        impl crate::plan::Declared for $object {
            type Model = $model;
            const NAME: &'static str = stringify!($object);
            const INTERFACES: &'static [&'static str] = &[$($interface),*];

            fn plan_field(
                planner: &crate::plan::Planner<'_>,
                name: &str,
                field: &async_graphql::parser::types::Field,
            ) -> Option<crate::plan::Planned<Self::Model>> {
                let _ = (planner, field);
                match name {
                    $( $name => crate::plan::declare!(@field planner, field, $kind ( $($args)* )), )*
                    _ => None,
                }
            }
        }
    };
    (@field $planner:ident, $field:ident, value ( |$row:tt, $env:tt| $value:expr )) => {
        Some(crate::plan::Planned::Value(|$row, $env, out| {
            crate::plan::json::ToJson::write_json(&$value, out)
        }))
    };
    (@field $planner:ident, $field:ident, relation ( $constructor:expr )) => {
        $constructor($planner, $field).map(crate::plan::Planned::Relation)
    };
}

pub(crate) use declare;

tokio::task_local! {
    /// Set while the executor answers a request its plan answered already
    /// (`--execution checked`).
    static REFERENCE_RUN: ();
}

/// Whether the statement being run belongs to the executor's second answer
/// to a planned request (`--execution checked`): the test suite counts
/// statements without it, so counts are those of the plan alone.
pub fn in_reference_run() -> bool {
    REFERENCE_RUN.try_with(|()| ()).is_ok()
}

/// Runs `execution`, marked as the executor's second answer when `checked`.
pub(crate) async fn reference_run<F: Future>(checked: bool, execution: F) -> F::Output {
    if checked {
        REFERENCE_RUN.scope((), execution).await
    } else {
        execution.await
    }
}

/// Compares a plan's answer with the executor's `response` to the same
/// request: where they differ, the difference is logged and `response`
/// gets a `PLAN_MISMATCH` error, so that no test passes on it.
pub(crate) fn compare(planned: &[u8], response: &mut async_graphql::Response) {
    let reference = serde_json::to_vec(&*response).unwrap_or_default();
    if reference == planned {
        return;
    }
    tracing::error!(
        planned = %String::from_utf8_lossy(planned),
        executor = %String::from_utf8_lossy(&reference),
        "a plan answered differently from the executor"
    );
    let mut error =
        async_graphql::ServerError::new("the planned response differs from the executor's", None);
    crate::document::set_code(&mut error, "PLAN_MISMATCH");
    response.errors.push(error);
}
