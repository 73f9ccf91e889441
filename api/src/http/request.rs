//! GraphQL requests as HTTP carries them: a POSTed JSON body (each
//! parameter of the right JSON type), or the query string of a GET, both
//! read into an `async_graphql::Request`; a 400 that says what is wrong
//! otherwise.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Reads a POSTed JSON body into a GraphQL request: 413 past the body
/// limit, 400 for a body that is not a GraphQL request in JSON.
///
/// Read here rather than by async-graphql-axum's extractor, which turns the
/// body limit's error into text and a 400.
#[allow(
    clippy::result_large_err,
    reason = "the error is the response itself, made once per refused request"
)]
pub async fn read_json(body: axum::body::Body) -> Result<async_graphql::Request, Response> {
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) if super::body::over_the_limit(&err) => {
            return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
        }
        Err(err) if super::body::too_slow(&err) => {
            return Err(StatusCode::REQUEST_TIMEOUT.into_response());
        }
        Err(_) => {
            return Err((
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            )
                .into_response());
        }
    };
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|err| {
        let message = format!("the body is not a GraphQL request in JSON: {err}");
        (StatusCode::BAD_REQUEST, message).into_response()
    })?;
    graphql_request(body)
}

/// The GraphQL request a POSTed JSON body holds, or the 400 that says why
/// it is none.
#[allow(
    clippy::result_large_err,
    reason = "the error is the response itself, made once per refused request"
)]
pub fn graphql_request(body: serde_json::Value) -> Result<async_graphql::Request, Response> {
    if let Some((parameter, message)) = misshapen(&body) {
        let body = serde_json::json!({ "errors": [{
            "message": message,
            "extensions": { "code": "BAD_USER_INPUT", "field": parameter },
        }] });
        return Err((
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, mime::APPLICATION_JSON.essence_str())],
            body.to_string(),
        )
            .into_response());
    }
    serde_json::from_value(body).map_err(|err| {
        let message = format!("the body is not a GraphQL request in JSON: {err}");
        (StatusCode::BAD_REQUEST, message).into_response()
    })
}

/// The parameter of a POSTed request that has the wrong JSON type, and
/// what it should be: `query` and `operationName` are strings, `variables`
/// and `extensions` objects (`null` or absent stand for none), and `query`
/// must be there. async-graphql would read a wrong type, or no query, as an
/// empty document.
fn misshapen(body: &serde_json::Value) -> Option<(&'static str, &'static str)> {
    use serde_json::Value;
    let Value::Object(parameters) = body else {
        return Some(("body", "a GraphQL request is a JSON object"));
    };
    /// A parameter's name, the test its value must pass, and what it should be.
    type Expected = (&'static str, fn(&Value) -> bool, &'static str);
    let expected: [Expected; 4] = [
        ("query", Value::is_string, "`query` must be a string"),
        (
            "operationName",
            Value::is_string,
            "`operationName` must be a string or null",
        ),
        (
            "variables",
            Value::is_object,
            "`variables` must be an object or null",
        ),
        (
            "extensions",
            Value::is_object,
            "`extensions` must be an object or null",
        ),
    ];
    if parameters.get("query").is_none_or(Value::is_null) {
        return Some(("query", "a GraphQL request needs a `query`"));
    }
    expected.into_iter().find_map(|(name, fits, message)| {
        let value = parameters.get(name)?;
        (!value.is_null() && !fits(value)).then_some((name, message))
    })
}

/// The parameters of a GraphQL request sent with GET, named as the
/// GraphQL-over-HTTP spec names them. (async-graphql-axum 7.2.1 reads
/// `operation_name` instead of `operationName`, so it would run a GET's
/// document as if no operation had been named.)
#[derive(Debug, serde::Deserialize)]
pub struct GetParams {
    /// The document.
    pub query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    /// A JSON object, as text.
    variables: Option<String>,
    /// A JSON object, as text.
    extensions: Option<String>,
}

impl GetParams {
    /// The GraphQL request these parameters spell.
    pub fn into_request(self) -> Result<async_graphql::Request, serde_json::Error> {
        let mut request = async_graphql::Request::new(self.query.unwrap_or_default());
        request.operation_name = self.operation_name;
        if let Some(variables) = self.variables {
            request.variables = serde_json::from_str(&variables)?;
        }
        if let Some(extensions) = self.extensions {
            request.extensions = serde_json::from_str(&extensions)?;
        }
        Ok(request)
    }
}
