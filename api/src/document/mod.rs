//! The document toolkit: what Folio reads in a request's GraphQL document
//! before and after async-graphql runs it. It parses each document once (a
//! bounded cache by text), holds it to the shape limits ([`shape`]), says
//! which of its operations runs, gives every error raised before execution
//! its code, nulls what a field error nulls ([`nulls`]), and puts a
//! response's fields back in selection order ([`order`]).
//!
//! It knows the document, the limits and the types the schema's SDL
//! declares ([`types`]), never the schema's code, the database or a
//! transport: [`crate::operation`] runs what it has read.

pub mod nulls;
pub mod order;
pub mod shape;
pub mod types;

use std::sync::Arc;

use async_graphql::ServerError;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};

use crate::config::QueryLimits;
use async_graphql::ErrorExtensionValues;

pub use shape::estimated_values;

/// The most text the parsed-document cache keeps, summed over its documents.
const CACHED_DOCUMENT_TEXT: u64 = 1024 * 1024;

/// Parsed documents by their text, so that a document clients send again and
/// again (every generated client does) is parsed once. Bounded by the total
/// length of the texts it keeps: a flood of distinct documents evicts the
/// least used, and costs no more than parsing each.
pub struct Documents(quick_cache::sync::Cache<String, Arc<ExecutableDocument>, TextLength>);

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

/// Parses a request's document, once per request, for the executor
/// (`Request::set_parsed_query`) and for everything the pipeline reads in it.
/// A document that does not parse is `GRAPHQL_PARSE_FAILED`, one nested
/// past the parser's recursion limit `QUERY_TOO_DEEP`; one with more
/// aliases, more selections once its fragments are spread out, or more
/// directives on one field than `limits` allow is `QUERY_TOO_COMPLEX`
/// ([`shape`]). All of it is decided before async-graphql walks the
/// document, whose own walks spread fragments out.
///
/// A document that passed is kept in `cache` by its text, and found there
/// the next time (only documents that pass are kept).
pub fn parse(
    cache: &Documents,
    limits: &QueryLimits,
    query: &str,
) -> Result<Arc<ExecutableDocument>, ServerError> {
    if let Some(document) = cache.0.get(query) {
        return Ok(document);
    }
    let document = async_graphql::parser::parse_query(query).map_err(|err| match err {
        async_graphql::parser::Error::RecursionLimitExceeded => coded(
            ServerError::new("The query is nested too deeply to be read.", None),
            "QUERY_TOO_DEEP",
        ),
        err => coded(ServerError::from(err), "GRAPHQL_PARSE_FAILED"),
    })?;
    shape::check_shape(&document, limits)
        .map_err(|message| coded(ServerError::new(message, None), "QUERY_TOO_COMPLEX"))?;
    let document = Arc::new(document);
    cache.0.insert(query.to_owned(), document.clone());
    Ok(document)
}

/// Gives a code to each error async-graphql raised before running anything
/// (those without a path; resolvers' errors carry theirs already):
/// `QUERY_TOO_COMPLEX` and `QUERY_TOO_DEEP` for `limits`, with a
/// message that names the limit, and `GRAPHQL_VALIDATION_FAILED` for a
/// document that does not validate or does not say which operation to run.
///
/// async-graphql 7.2.1 tells its limit errors apart by their text alone
/// (`check_rules` and `check_recursive_depth`); the version is pinned, and
/// the tests of [`crate::operation`] fail if the wording changes.
pub fn code_request_errors(limits: &QueryLimits, errors: &mut [ServerError]) {
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

/// The operation of `document` that a request naming `operation_name` runs:
/// the operation of that name, or, when no name is given, the document's only
/// operation. `None` when there is no such operation (an unknown name, a name
/// for a document whose one operation is anonymous, or several operations and
/// no name); the executor then answers with an error and runs nothing.
///
/// This is async-graphql 7.2.1's own rule (`prepare_request` in its
/// `schema.rs`), written once here for everything that must agree with what
/// the executor runs: "GET never runs a mutation", the budget a request
/// takes and the response's field order.
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

/// Sets `extensions.code` of `error` to `code`.
pub fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
}

#[cfg(test)]
mod tests {
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
}
