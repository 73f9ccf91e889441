//! Builds the async-graphql schema: the root objects, and the limits every
//! request is checked against before it runs.
//!
//! Nothing per request lives here: the HTTP handler attaches the viewer and a
//! fresh set of loaders to each request. Limit violations and malformed
//! documents get the same coded errors as everything else, through
//! [`Limits`], a validation extension.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    EmptySubscription, ErrorExtensionValues, SDLExportOptions, Schema, ServerError, ServerResult,
    ValidationResult, Variables,
};

use crate::auth::Tokens;
use crate::mutation::Mutation;
use crate::query::Query;

/// Folio's schema type.
pub type FolioSchema = Schema<Query, Mutation, EmptySubscription>;

pub use crate::config::QueryLimits;

/// Builds the schema with `limits`, signing tokens with `tokens`.
pub fn build(limits: QueryLimits, tokens: Arc<Tokens>) -> FolioSchema {
    // Hash the decoy now, so that the first failed login for an unknown user
    // does not take longer than one for a known user.
    std::sync::LazyLock::force(&crate::auth::DECOY_HASH);
    Schema::build(Query, Mutation::default(), EmptySubscription)
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
