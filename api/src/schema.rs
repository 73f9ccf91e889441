//! Builds the async-graphql schema: the root objects, the limits async-graphql
//! itself checks (`limit_depth`, `limit_complexity`), the data every request
//! shares, and the SDL committed as `schema.graphql`.
//!
//! Nothing per request lives here: the pipeline ([`crate::operation`])
//! attaches the viewer, a fresh set of loaders and the request's share of the
//! values in flight to each request. No schema extension is registered: with
//! one, async-graphql sends every field of every response through the
//! extension chain. The query and mutation roots are [`Gated`], so that a
//! request takes its share of the budget only once it has been validated.

use std::sync::Arc;

use async_graphql::{SDLExportOptions, Schema};

use crate::auth::{SignInLimits, Tokens};
use crate::budget::Gated;
use crate::mutation::Mutation;
use crate::query::Query;
use crate::subscription::Subscription;

/// Folio's schema type.
pub type FolioSchema = Schema<Gated<Query>, Gated<Mutation>, Subscription>;

pub use crate::config::QueryLimits;

/// Builds the schema with `limits`, signing tokens with `tokens` and
/// counting sign-in attempts against `sign_in`.
pub fn build(
    limits: QueryLimits,
    tokens: Arc<Tokens>,
    sign_in: SignInLimits,
    media: Arc<crate::media::Media>,
) -> FolioSchema {
    Schema::build(Gated::default(), Gated::default(), Subscription)
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(DATE_TIME_DESCRIPTION)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .data(tokens)
        .data(sign_in)
        .data(media)
        .finish()
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
