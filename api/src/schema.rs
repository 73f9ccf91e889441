//! Builds the async-graphql schema: the root objects, the limits every
//! request is checked against before it runs, and the rule for which of a
//! document's operations a request runs.
//!
//! Nothing per request lives here: the HTTP handler attaches the viewer and a
//! fresh set of loaders to each request. Limit violations and malformed
//! documents get the same coded errors as everything else, through
//! [`Limits`], a validation extension.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::{
    EmptySubscription, ErrorExtensionValues, SDLExportOptions, Schema, ServerError, ServerResult,
    ValidationResult, Variables,
};

use crate::auth::Tokens;
use crate::mutation::Mutation;
use crate::query::Query;

/// Folio's schema type.
pub type FolioSchema = Schema<Query, Mutation, EmptySubscription>;

/// The limits a request's document must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// The deepest field nesting allowed.
    pub max_depth: usize,
    /// The largest complexity allowed: each field costs 1, and a connection
    /// field costs its page size times what is selected under it.
    pub max_complexity: usize,
    /// The most aliases one document may use.
    pub max_aliases: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_depth: 15,
            max_complexity: 50_000,
            max_aliases: 30,
        }
    }
}

/// Builds the schema with `limits`, signing tokens with `tokens`.
pub fn build(limits: QueryLimits, tokens: Arc<Tokens>) -> FolioSchema {
    // Hash the decoy now, so that the first failed login for an unknown user
    // does not take longer than one for a known user.
    std::sync::LazyLock::force(&crate::auth::DECOY_HASH);
    Schema::build(Query, Mutation, EmptySubscription)
        .extension(Limits(limits))
        .data(tokens)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let unused = Arc::new(Tokens::new(
        b"the SDL signs nothing",
        std::time::Duration::ZERO,
    ));
    build(QueryLimits::default(), unused).sdl_with_options(SDLExportOptions::new().sorted_fields())
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

/// The extension that checks [`QueryLimits`] and codes parse and validation errors.
struct Limits(QueryLimits);

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension(self.0))
    }
}

struct LimitsExtension(QueryLimits);

fn coded(mut error: ServerError, code: &str) -> ServerError {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    extensions.set("code", code);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|err| coded(err, "GRAPHQL_PARSE_FAILED"))?;
        let aliases = count_aliases(&document);
        if aliases > self.0.max_aliases {
            return Err(coded(
                ServerError::new(
                    format!(
                        "The query uses {aliases} aliases; at most {} are allowed.",
                        self.0.max_aliases
                    ),
                    None,
                ),
                "QUERY_TOO_COMPLEX",
            ));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|err| coded(err, "GRAPHQL_VALIDATION_FAILED"))
                .collect::<Vec<_>>()
        })?;
        if result.depth > self.0.max_depth {
            return Err(vec![coded(
                ServerError::new(
                    format!(
                        "The query is nested {} levels deep; at most {} are allowed.",
                        result.depth, self.0.max_depth
                    ),
                    None,
                ),
                "QUERY_TOO_DEEP",
            )]);
        }
        if result.complexity > self.0.max_complexity {
            return Err(vec![coded(
                ServerError::new(
                    format!(
                        "The query's complexity is {}; at most {} is allowed. Ask for smaller pages or fewer fields.",
                        result.complexity, self.0.max_complexity
                    ),
                    None,
                ),
                "QUERY_TOO_COMPLEX",
            )]);
        }
        Ok(result)
    }
}

/// How many fields of `document` carry an alias.
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
        let schema = build(QueryLimits::default(), tokens);
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
}
