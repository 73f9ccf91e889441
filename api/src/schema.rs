//! Builds the async-graphql schema and says what a request must pass before
//! it runs: the limits, the parse, and which of the document's operations
//! runs.
//!
//! Nothing per request lives here: the HTTP handler attaches the viewer and a
//! fresh set of loaders to each request. The handler parses each document
//! once with [`parse`], which also checks the alias limit, and hands the
//! parsed document to async-graphql, which checks depth and complexity with
//! its own `limit_depth` and `limit_complexity`. No schema extension is
//! registered: with one, async-graphql sends every field of every response
//! through the extension chain. Errors raised before execution get their
//! codes in [`code_request_errors`], the one place that knows async-graphql's
//! wording.

use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::{ErrorExtensionValues, SDLExportOptions, Schema, ServerError};

use crate::auth::{SignInLimits, Tokens};
use crate::mutation::Mutation;
use crate::query::Query;
use crate::subscription::Subscription;

/// Folio's schema type.
pub type FolioSchema = Schema<Query, Mutation, Subscription>;

pub use crate::config::QueryLimits;

/// Builds the schema with `limits`, signing tokens with `tokens` and
/// counting sign-in attempts against `sign_in`.
pub fn build(
    limits: QueryLimits,
    tokens: Arc<Tokens>,
    sign_in: SignInLimits,
    media: Arc<crate::media::Media>,
) -> FolioSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(DATE_TIME_DESCRIPTION)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .data(limits)
        .data(tokens)
        .data(sign_in)
        .data(media)
        .data(Documents::default())
        .finish()
}

/// The most text the parsed-document cache keeps, summed over its documents.
const CACHED_DOCUMENT_TEXT: u64 = 1024 * 1024;

/// Parsed documents by their text, so that a document clients send again and
/// again (every generated client does) is parsed once. Bounded by the total
/// length of the texts it keeps: a flood of distinct documents evicts the
/// least used, and costs no more than parsing each.
struct Documents(quick_cache::sync::Cache<String, Arc<ExecutableDocument>, TextLength>);

impl Default for Documents {
    fn default() -> Self {
        Documents(quick_cache::sync::Cache::with_weighter(
            1024,
            CACHED_DOCUMENT_TEXT,
            TextLength,
        ))
    }
}

/// A cached document weighs as much as its text is long.
#[derive(Clone)]
struct TextLength;

impl quick_cache::Weighter<String, Arc<ExecutableDocument>> for TextLength {
    fn weight(&self, text: &String, _: &Arc<ExecutableDocument>) -> u64 {
        text.len().max(1) as u64
    }
}

/// The limits `schema` was built with.
fn limits(schema: &FolioSchema) -> QueryLimits {
    // `build`, the only way to make a FolioSchema, stores them.
    schema.data::<QueryLimits>().copied().unwrap_or_default()
}

/// Parses a request's document, once per request, for the executor
/// (`Request::set_parsed_query`) and for everything the handler reads in it.
/// A document that does not parse is `GRAPHQL_PARSE_FAILED`, one nested
/// past the parser's recursion limit `QUERY_TOO_DEEP`; one with more
/// aliases, more selections once its fragments are spread out, or more
/// directives on one field than `schema`'s limits allow is
/// `QUERY_TOO_COMPLEX` ([`check_shape`]). All of it is decided before
/// async-graphql walks the document, whose own walks spread fragments out.
///
/// A document that passed is kept in a bounded cache by its text, and found
/// there the next time (only documents that pass are kept).
pub fn parse(schema: &FolioSchema, query: &str) -> Result<Arc<ExecutableDocument>, ServerError> {
    let cache = schema.data::<Documents>();
    if let Some(document) = cache.and_then(|cache| cache.0.get(query)) {
        return Ok(document);
    }
    let document = async_graphql::parser::parse_query(query).map_err(|err| match err {
        async_graphql::parser::Error::RecursionLimitExceeded => coded(
            ServerError::new("The query is nested too deeply to be read.", None),
            "QUERY_TOO_DEEP",
        ),
        err => coded(ServerError::from(err), "GRAPHQL_PARSE_FAILED"),
    })?;
    check_shape(&document, &limits(schema))
        .map_err(|message| coded(ServerError::new(message, None), "QUERY_TOO_COMPLEX"))?;
    let document = Arc::new(document);
    if let Some(cache) = cache {
        cache.0.insert(query.to_owned(), document.clone());
    }
    Ok(document)
}

/// Gives a code to each error async-graphql raised before running anything
/// (those without a path; resolvers' errors carry theirs already):
/// `QUERY_TOO_COMPLEX` and `QUERY_TOO_DEEP` for `schema`'s limits, with a
/// message that names the limit, and `GRAPHQL_VALIDATION_FAILED` for a
/// document that does not validate or does not say which operation to run.
///
/// async-graphql 7.2.1 tells its limit errors apart by their text alone
/// (`check_rules` and `check_recursive_depth`); the version is pinned, and
/// the tests of this module fail if the wording changes.
pub fn code_request_errors(schema: &FolioSchema, errors: &mut [ServerError]) {
    let limits = limits(schema);
    for error in errors.iter_mut().filter(|error| error.path.is_empty()) {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if error.message == "Query is too complex." {
            error.message = format!(
                "The query's complexity is above {}, the most allowed. Ask for smaller pages or fewer fields.",
                limits.max_complexity
            );
            "QUERY_TOO_COMPLEX"
        } else if error.message == "Query is nested too deep." {
            error.message = format!(
                "The query is nested more than {} levels deep.",
                limits.max_depth
            );
            "QUERY_TOO_DEEP"
        } else if error
            .message
            .starts_with("The recursion depth of the query cannot be greater than")
        {
            "QUERY_TOO_DEEP"
        } else if error.message == "Subscriptions are not supported on this transport." {
            error.message = "Subscriptions run over a WebSocket on /graphql (the graphql-transport-ws protocol), not over HTTP.".into();
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "GRAPHQL_VALIDATION_FAILED"
        };
        set_code(error, code);
    }
}

/// What async-graphql 7.2.1 answers to `__schema { description }`: the
/// `__Schema` type's own text, whatever the schema (its `model/schema.rs`;
/// it cannot be told otherwise). [`sdl`] gives the schema the same
/// description, so that the SDL and introspection agree.
const SCHEMA_DESCRIPTION: &str = "A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available types and directives on the server, as well as the entry points for query, mutation, and subscription operations.";

/// The description of the `DateTime` scalar, in place of async-graphql's
/// stock "Implement the DateTime<Utc> scalar" (chrono's `to_rfc3339` out,
/// chrono's RFC 3339 parser in).
const DATE_TIME_DESCRIPTION: &str = "A point in time, as an RFC 3339 date-time string. Answers are in UTC with the offset written out (`2026-11-23T20:16:00+00:00`), with fractional seconds when there are any; inputs may carry any offset (`2026-11-23T21:16:00+01:00` is the same instant).";

/// The SDL of the schema, as committed in `schema.graphql`: exactly what
/// introspection says, `@specifiedBy` and the schema's description included
/// (checked against the running server in `tests/http.rs` and, in full, by
/// graphql-js in `tests/clients/schema.mjs`).
pub fn sdl() -> String {
    let unused = Arc::new(Tokens::new(
        b"the SDL signs nothing",
        std::time::Duration::ZERO,
    ));
    let options = SDLExportOptions::new()
        .sorted_fields()
        .include_specified_by();
    let sdl = build(
        QueryLimits::default(),
        unused,
        SignInLimits::new(1, 1),
        Arc::new(crate::media::Media::in_memory()),
    )
    .sdl_with_options(options);
    // async-graphql writes the `schema { … }` block last, without a description.
    match sdl.rfind("\nschema {") {
        Some(at) => {
            let (types, schema) = sdl.split_at(at + 1);
            format!("{types}\"\"\"\n{SCHEMA_DESCRIPTION}\n\"\"\"\n{schema}")
        }
        None => sdl,
    }
}

/// The operation of `document` that a request naming `operation_name` runs:
/// the operation of that name, or, when no name is given, the document's only
/// operation. `None` when there is no such operation (an unknown name, a name
/// for a document whose one operation is anonymous, or several operations and
/// no name); the executor then answers with an error and runs nothing.
///
/// This is async-graphql 7.2.1's own rule (`prepare_request` in its
/// `schema.rs`), written once here for everything that must agree with what
/// the executor runs: the HTTP handler's "GET never runs a mutation" and the
/// response's field order.
pub fn operation_to_run<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Single(operation), None) => Some(operation),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.map(|operation| &operation.node)
}

/// `error` with `extensions.code` set to `code`.
fn coded(mut error: ServerError, code: &str) -> ServerError {
    set_code(&mut error, code);
    error
}

fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
}

/// How many fields of `document` carry an alias.
/// Checks the limits a document's text alone decides, and says which it
/// passes over: its aliases, its directives per field, and its selections
/// once every fragment spread is replaced by its fragment. That last count
/// is worked out once per fragment, so a chain of fragments each spreading
/// the next twice (2^n selections in a few hundred bytes) is measured in
/// time proportional to the document's length.
fn check_shape(document: &ExecutableDocument, limits: &QueryLimits) -> Result<(), String> {
    let aliases = count_aliases(document);
    if aliases > limits.max_aliases {
        return Err(format!(
            "The query uses {aliases} aliases; at most {} are allowed.",
            limits.max_aliases
        ));
    }
    let directives = most_directives(document);
    if directives > limits.max_directives {
        return Err(format!(
            "A field of the query carries {directives} directives; at most {} are allowed.",
            limits.max_directives
        ));
    }
    let selections = expanded_selections(document);
    if selections > limits.max_selections as u64 {
        return Err(format!(
            "The query selects {selections} fields once its fragments are spread out; at most {} \
             are allowed.",
            limits.max_selections
        ));
    }
    let sign_ins = count_sign_ins(document);
    if sign_ins > 1 {
        return Err(format!(
            "The request signs in or registers {sign_ins} times; a request may do it once."
        ));
    }
    Ok(())
}

/// Counts the fields of selection sets with every fragment spread replaced
/// by the fragment it names. Each fragment is counted once and its count
/// reused wherever it is spread, so a chain of fragments each spreading the
/// next twice is counted in time proportional to the document's length,
/// not to the 2^n fields it stands for. A spread of an unknown fragment, or
/// of one that spreads itself, counts nothing: validation refuses both
/// before anything runs.
struct ExpandedCount<'a, W> {
    document: &'a ExecutableDocument,
    /// What one field counts, what the count of the fields under it is
    /// multiplied by, and whether they count at all.
    weigh: W,
    /// Each fragment's count, `None` while it is being counted.
    fragments: std::collections::HashMap<&'a str, Option<u64>>,
}

impl<'a, W: Fn(&async_graphql::parser::types::Field) -> (u64, u64, bool)> ExpandedCount<'a, W> {
    fn new(document: &'a ExecutableDocument, weigh: W) -> Self {
        ExpandedCount {
            document,
            weigh,
            fragments: std::collections::HashMap::new(),
        }
    }

    fn set(&mut self, set: &'a async_graphql::parser::types::SelectionSet) -> u64 {
        use async_graphql::parser::types::Selection;
        set.items.iter().fold(0u64, |total, item| {
            let count = match &item.node {
                Selection::Field(field) => {
                    let (own, times, descend) = (self.weigh)(&field.node);
                    let below = if descend {
                        self.set(&field.node.selection_set.node)
                    } else {
                        0
                    };
                    own.saturating_add(times.saturating_mul(below))
                }
                Selection::InlineFragment(fragment) => self.set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            total.saturating_add(count)
        })
    }

    fn fragment(&mut self, name: &'a str) -> u64 {
        match self.fragments.get(name) {
            Some(Some(count)) => return *count,
            Some(None) => return 0, // It spreads itself.
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        self.fragments.insert(name, None);
        let count = self.set(&fragment.node.selection_set.node);
        self.fragments.insert(name, Some(count));
        count
    }
}

/// The most field selections any operation of `document` holds with its
/// fragment spreads replaced by their fragments.
fn expanded_selections(document: &ExecutableDocument) -> u64 {
    let mut count = ExpandedCount::new(document, |_| (1, 1, true));
    document
        .operations
        .iter()
        .map(|(_, operation)| count.set(&operation.node.selection_set.node))
        .max()
        .unwrap_or(0)
}

/// The most values the operation of `document` that runs can return, with
/// `variables`: every selected field counts once per item of each list
/// above it. A connection's list holds its `first` or `last` (a variable's
/// value; the largest page when that does not say), or the default page
/// without either; `nodes(ids:)` one item per id. An estimate for sharing
/// out memory ([`crate::app::ValuesInFlight`]), not a limit: fragments count
/// wherever they are spread, directives are not read.
pub fn estimated_values(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
) -> u64 {
    let Some(operation) = operation_to_run(document, operation_name) else {
        return 0;
    };
    let mut count = ExpandedCount::new(document, |field| {
        let items = list_items(field, variables);
        (items, items, true)
    });
    count.set(&operation.selection_set.node)
}

/// How many items the field `field` returns at most, as
/// [`estimated_values`] counts them.
fn list_items(
    field: &async_graphql::parser::types::Field,
    variables: &async_graphql::Variables,
) -> u64 {
    use crate::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    use async_graphql::Value as Literal;
    use async_graphql::parser::types::Selection;
    let argument = |name: &str| {
        field.get_argument(name).map(|value| {
            let given = |name: async_graphql::Name| {
                Ok::<_, ()>(variables.get(&name).cloned().unwrap_or(Literal::Null))
            };
            value
                .node
                .clone()
                .into_const_with(given)
                .unwrap_or(Literal::Null)
        })
    };
    if let Some(Literal::List(ids)) = argument("ids") {
        return ids.len() as u64;
    }
    if let Some(size) = argument("first").or_else(|| argument("last")) {
        return match size {
            Literal::Number(n) => n.as_u64().unwrap_or(0).min(MAX_PAGE_SIZE),
            _ => MAX_PAGE_SIZE,
        };
    }
    let is_connection = field.selection_set.node.items.iter().any(|item| {
        matches!(&item.node, Selection::Field(f) if matches!(f.node.name.node.as_str(), "nodes" | "edges"))
    });
    if is_connection { DEFAULT_PAGE_SIZE } else { 1 }
}

/// The mutation fields that hash a password, each a deliberately slow
/// piece of work.
const SIGN_IN_FIELDS: [&str; 2] = ["login", "register"];

/// How many [`SIGN_IN_FIELDS`] the mutations of `document` select, aliases
/// and fragments included (a fragment counts each time it is spread).
fn count_sign_ins(document: &ExecutableDocument) -> u64 {
    use async_graphql::parser::types::OperationType;
    let mut count = ExpandedCount::new(document, |field| {
        let signs_in = SIGN_IN_FIELDS.contains(&field.name.node.as_str());
        // Root fields only: what a mutation's result selects is no mutation.
        (u64::from(signs_in), 1, false)
    });
    document
        .operations
        .iter()
        .filter(|(_, operation)| operation.node.ty == OperationType::Mutation)
        .map(|(_, operation)| count.set(&operation.node.selection_set.node))
        .fold(0, u64::saturating_add)
}

/// The most directives on any one field, fragment spread, inline fragment,
/// operation or fragment definition of `document`.
fn most_directives(document: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => field
                    .node
                    .directives
                    .len()
                    .max(walk(&field.node.selection_set.node)),
                Selection::InlineFragment(fragment) => fragment
                    .node
                    .directives
                    .len()
                    .max(walk(&fragment.node.selection_set.node)),
                Selection::FragmentSpread(spread) => spread.node.directives.len(),
            })
            .max()
            .unwrap_or(0)
    }
    let operations = document.operations.iter().map(|(_, operation)| {
        operation
            .node
            .directives
            .len()
            .max(walk(&operation.node.selection_set.node))
    });
    let fragments = document.fragments.values().map(|fragment| {
        fragment
            .node
            .directives
            .len()
            .max(walk(&fragment.node.selection_set.node))
    });
    operations.chain(fragments).max().unwrap_or(0)
}

fn count_aliases(document: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + walk(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => walk(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| walk(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

#[cfg(test)]
mod tests {

    /// The values each request can return, as the memory in flight is
    /// shared out: the SPEC's first query and the benchmark's large one.
    #[test]
    fn estimated_values_multiply_each_field_by_the_pages_above_it() {
        let estimate = |query: &str, variables: serde_json::Value| {
            let document = async_graphql::parser::parse_query(query).expect("the query parses");
            let variables = async_graphql::Variables::from_json(variables);
            estimated_values(&document, None, &variables)
        };
        // 50 users × (1 + username, profile and bio, 10 posts × 2 + 10, nodes).
        let users = "{ users(first: 50) { nodes { username profile { bio } posts(first: 10) { nodes { title } } } } }";
        assert_eq!(estimate(users, serde_json::json!({})), 1_750);
        let large = "{ tags(first: 10) { nodes { name photos(first: 100) { nodes { filename owner { username posts(first: 20) { nodes { title } } } } } } } }";
        assert_eq!(estimate(large, serde_json::json!({})), 65_030);
        // A variable counts as its value; one that does not say, as the largest page.
        let paged = "query($n: Int) { posts(first: $n) { nodes { title } } }";
        assert_eq!(estimate(paged, serde_json::json!({ "n": 3 })), 3 + 3 * 2);
        assert_eq!(estimate(paged, serde_json::json!({})), 100 + 100 * 2);
        // No page size: the default page.
        assert_eq!(
            estimate("{ posts { nodes { title } } }", serde_json::json!({})),
            20 + 20 * 2
        );
        let nodes = r#"{ nodes(ids: ["a", "b", "c"]) { id } }"#;
        assert_eq!(estimate(nodes, serde_json::json!({})), 3 + 3);
    }

    use super::*;
    use async_graphql::parser::types::OperationType;

    /// The operation `query` runs under `name`, as the executor would pick it.
    fn chosen(query: &str, name: Option<&str>) -> Option<OperationType> {
        let document = async_graphql::parser::parse_query(query).ok()?;
        operation_to_run(&document, name).map(|operation| operation.ty)
    }

    #[test]
    fn the_operation_to_run_is_the_named_one_or_the_only_one() {
        use OperationType::{Mutation, Query};
        assert_eq!(chosen("{ a }", None), Some(Query));
        assert_eq!(chosen("mutation { a }", None), Some(Mutation));
        assert_eq!(chosen("mutation M { a }", None), Some(Mutation));
        assert_eq!(
            chosen("query Q { a } mutation M { a }", Some("M")),
            Some(Mutation)
        );
        assert_eq!(
            chosen("query Q { a } mutation M { a }", Some("Q")),
            Some(Query)
        );
        // The executor refuses these, so nothing runs.
        assert_eq!(chosen("query Q { a } mutation M { a }", None), None);
        assert_eq!(chosen("query Q { a } mutation M { a }", Some("X")), None);
        assert_eq!(chosen("mutation { a }", Some("M")), None);
        // Several anonymous operations do not parse at all.
        assert_eq!(chosen("{ a } mutation { a }", None), None);
    }

    #[tokio::test]
    async fn the_executor_runs_exactly_what_the_rule_chooses() {
        let tokens = Arc::new(Tokens::new(
            b"tests sign nothing",
            std::time::Duration::ZERO,
        ));
        let schema = build(
            QueryLimits::default(),
            tokens,
            SignInLimits::new(1, 1),
            Arc::new(crate::media::Media::in_memory()),
        );
        for (query, name) in [
            ("{ __typename }", None),
            ("{ __typename }", Some("Q")),
            ("query Q { __typename }", None),
            ("query Q { __typename }", Some("R")),
            ("query Q { __typename } query R { __typename }", None),
            ("query Q { __typename } query R { __typename }", Some("R")),
        ] {
            let chosen = chosen(query, name).is_some();
            let mut request = async_graphql::Request::new(query);
            request.operation_name = name.map(str::to_owned);
            let ran = schema.execute(request).await.is_ok();
            assert_eq!(chosen, ran, "{query} as {name:?}");
        }
    }

    /// The code and message of the first error `query` gets from a schema
    /// with small limits, run as the HTTP handler runs it.
    async fn request_error(query: &str, name: Option<&str>) -> (String, String) {
        let limits = QueryLimits {
            max_depth: 3,
            max_complexity: 5,
            max_aliases: 2,
            ..QueryLimits::default()
        };
        let tokens = Arc::new(Tokens::new(
            b"tests sign nothing",
            std::time::Duration::ZERO,
        ));
        let schema = build(
            limits,
            tokens,
            SignInLimits::new(1, 1),
            Arc::new(crate::media::Media::in_memory()),
        );
        let mut errors = match parse(&schema, query) {
            Err(error) => vec![error],
            Ok(document) => {
                let mut request = async_graphql::Request::new(query);
                request.operation_name = name.map(str::to_owned);
                request.set_parsed_query(ExecutableDocument::clone(&document));
                schema.execute(request).await.errors
            }
        };
        code_request_errors(&schema, &mut errors);
        let error = errors.first().unwrap_or_else(|| panic!("{query} ran"));
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .map(ToString::to_string)
            .unwrap_or_default();
        (code.trim_matches('"').to_owned(), error.message.clone())
    }

    #[tokio::test]
    async fn every_error_before_execution_is_coded() {
        let cases = [
            ("{ __typename", None, "GRAPHQL_PARSE_FAILED"),
            (
                "{ a: __typename b: __typename c: __typename }",
                None,
                "QUERY_TOO_COMPLEX",
            ),
            (
                "{ __schema { types { fields { type { name } } } } }",
                None,
                "QUERY_TOO_DEEP",
            ),
            (
                "{ __typename __schema { description queryType { name description kind } } }",
                None,
                "QUERY_TOO_COMPLEX",
            ),
            ("{ nothingHere }", None, "GRAPHQL_VALIDATION_FAILED"),
            (
                "query Q { __typename } query R { __typename }",
                None,
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "query Q { __typename }",
                Some("R"),
                "GRAPHQL_VALIDATION_FAILED",
            ),
        ];
        for (query, name, expected) in cases {
            let (code, message) = request_error(query, name).await;
            assert_eq!(code, expected, "{query}: {message}");
        }
        let (_, message) =
            request_error("{ __schema { types { fields { type { name } } } } }", None).await;
        assert_eq!(message, "The query is nested more than 3 levels deep.");
        let (_, message) = request_error(
            "{ __typename __schema { description queryType { name description kind } } }",
            None,
        )
        .await;
        assert!(message.contains("above 5"), "{message}");
    }
}
