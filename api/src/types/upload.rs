//! `Upload`: the input scalar of a file sent by the GraphQL multipart
//! request spec. In the variables it is `null`, which the handler
//! (`crate::http::multipart`) replaces with a reference to the file part that
//! `map` names.
//!
//! Folio's own rather than async-graphql's `Upload`, which panics on a
//! reference a client forged (`"#__graphql_file__:x"`, or one past the
//! files sent) in a plain JSON request, dropping the connection: here a
//! forged or dangling reference is `BAD_USER_INPUT` naming the argument.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::registry::{MetaType, MetaTypeId, Registry};
use async_graphql::{Context, InputType, InputValueError, InputValueResult, UploadValue, Value};

use crate::error::ApiError;

/// What `async_graphql::Request::set_upload` writes where a file goes,
/// before the file's index.
const REFERENCE: &str = "#__graphql_file__:";

/// A file the request uploaded: the index of its part, when the value
/// was a well-formed reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upload(Option<usize>);

impl Upload {
    /// The file, or `BAD_USER_INPUT` on `field` when the request sent no
    /// file for this value. Each call opens a handle of its own (the request
    /// holds one per file, however many values refer to it), closed when
    /// the caller drops it; handles share the file's offset.
    pub fn file(&self, ctx: &Context<'_>, field: &str) -> Result<UploadValue, ApiError> {
        let file = self
            .0
            .and_then(|index| ctx.query_env.uploads.get(index))
            .ok_or_else(|| {
                ApiError::bad_input(
                    field,
                    "send the file as a part of a multipart request (the GraphQL multipart \
                     request spec), with `null` here and its path in `map`",
                )
            })?;
        file.try_clone()
            .map_err(|err| ApiError::Internal(format!("could not open an uploaded file: {err}")))
    }
}

impl InputType for Upload {
    type RawValueType = Self;

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("Upload")
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_input_type::<Self, _>(MetaTypeId::Scalar, |_| MetaType::Scalar {
            name: Self::type_name().to_string(),
            description: Some(
                "A file sent by the GraphQL multipart request spec: `null` in the \
                 variables, its part named in `map`."
                    .to_owned(),
            ),
            is_valid: Some(Arc::new(|value| matches!(value, Value::String(_)))),
            visible: None,
            inaccessible: false,
            tags: Default::default(),
            specified_by_url: Some(
                "https://github.com/jaydenseric/graphql-multipart-request-spec".to_owned(),
            ),
            directive_invocations: Default::default(),
            requires_scopes: Default::default(),
        })
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(Upload(
                text.strip_prefix(REFERENCE)
                    .and_then(|index| index.parse().ok()),
            )),
            other => Err(InputValueError::expected_type(other.unwrap_or_default())),
        }
    }

    fn to_value(&self) -> Value {
        Value::Null
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }
}
