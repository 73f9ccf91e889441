//! The HTTP surface: GraphiQL served offline, GET queries, health and
//! readiness, request ids, the body limit, and the exported schema.

use folio_tests::{TestApp, data};
use serde_json::{Value, json};

#[tokio::test]
async fn graphiql_is_served_by_the_server_alone() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = response
        .headers()
        .get("content-security-policy")
        .expect("a Content-Security-Policy")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = response.text().await.unwrap();
    assert!(page.contains("GraphiQL"));
    let mut references = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in page.split(attribute).skip(1) {
            references.push(piece.split('"').next().unwrap().to_owned());
        }
    }
    assert!(references.len() >= 4, "scripts and styles: {references:?}");
    for reference in &references {
        assert!(
            reference.starts_with('/') && !reference.starts_with("//"),
            "{reference} points outside the server"
        );
        let asset = app.client.get(app.url(reference)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{reference}");
        assert!(
            asset.headers().get("cache-control").is_some(),
            "{reference}"
        );
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no absolute URL"
    );
}

#[tokio::test]
async fn get_requests_answer_queries() {
    let app = TestApp::seeded(&data::small(2)).await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ users { totalCount } }")])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["users"]["totalCount"], 2);
}

#[tokio::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::spawn().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let id = ready.headers().get("x-request-id").expect("a request id");
    assert!(!id.is_empty());
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn a_database_from_a_newer_folio_is_not_ready_and_is_refused() {
    let app = TestApp::spawn().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db.conn,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)",
    )
    .await
    .unwrap();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let refused = api::db::ensure_known_schema(&app.db.conn)
        .await
        .expect_err("a newer schema is refused");
    let message = refused.to_string();
    assert!(
        message.contains("m20991231_000001_from_the_future"),
        "{message}"
    );
    assert!(message.contains("newer"), "{message}");
}

#[tokio::test]
async fn bodies_above_the_limit_are_refused() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(1024 * 1024 + 1);
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": format!("{{ users {{ totalCount }} }} # {padding}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{body}"
    );
}

#[tokio::test]
async fn chunked_bodies_above_the_limit_are_refused_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = "x".repeat(64 * 1024);
    // 17 chunks of 64 KiB: past the 1 MiB limit, with no length to refuse up front.
    let mut sent = Vec::new();
    let opening = "{\"query\": \"{ users { totalCount } } #";
    sent.extend_from_slice(format!("{:x}\r\n{opening}\r\n", opening.len()).as_bytes());
    for _ in 0..17 {
        sent.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    sent.extend_from_slice(b"2\r\n\"}\r\n0\r\n\r\n");
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(&sent).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
}

#[tokio::test]
async fn parameters_of_the_wrong_json_type_are_a_400_naming_them() {
    let app = TestApp::spawn().await;
    for (body, parameter) in [
        (json!({ "query": 1 }), "query"),
        (json!({ "qeury": "{ __typename }" }), "query"),
        (
            json!({ "query": "{ __typename }", "variables": "x" }),
            "variables",
        ),
        (
            json!({ "query": "{ __typename }", "operationName": 3 }),
            "operationName",
        ),
        (
            json!({ "query": "{ __typename }", "extensions": [] }),
            "extensions",
        ),
        (json!(["{ __typename }"]), "body"),
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        let error = &answer["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{answer}");
        assert_eq!(error["extensions"]["field"], parameter, "{answer}");
    }
    // null stands for none.
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }", "variables": null, "operationName": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_client_request_id_is_kept_only_when_short_and_printable() {
    let app = TestApp::spawn().await;
    let id_for = |given: &'static [u8]| {
        let request = app.client.get(app.url("/healthz")).header(
            "x-request-id",
            reqwest::header::HeaderValue::from_bytes(given).unwrap(),
        );
        async move {
            let response = request.send().await.unwrap();
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(id_for(b"trace-me-42").await, "trace-me-42");
    for hostile in [
        "x".repeat(65).leak().as_bytes(),
        b"two words".as_slice(),
        b"quote\"and\\backslash are fine but not\ttabs".as_slice(),
    ] {
        let replaced = id_for(hostile).await;
        assert_ne!(replaced.as_bytes(), hostile);
        assert_eq!(replaced.len(), 36, "a fresh UUID: {replaced}");
    }
}

#[test]
fn the_committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == api::schema::sdl(),
        "schema.graphql is stale: run `cargo run -- schema --out schema.graphql`"
    );
}

#[tokio::test]
async fn introspection_says_what_the_committed_schema_says() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            "{ __schema { description types { name kind description specifiedByURL } } }",
            json!({}),
        )
        .await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap();
    let described = |description: &str, declaration: &str| {
        format!("\"\"\"\n{description}\n\"\"\"\n{declaration}")
    };
    let schema = data["__schema"]["description"].as_str().unwrap();
    assert!(
        committed.contains(&described(schema, "schema {")),
        "the schema's description differs: {schema}"
    );
    let mut declared = 0;
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Boolean", "ID", "Float"].contains(&name) {
            continue;
        }
        declared += 1;
        let keyword = match ty["kind"].as_str().unwrap() {
            "SCALAR" => "scalar",
            "OBJECT" => "type",
            "INPUT_OBJECT" => "input",
            "ENUM" => "enum",
            "INTERFACE" => "interface",
            "UNION" => "union",
            other => panic!("{name} is a {other}"),
        };
        let mut declaration = format!("{keyword} {name}");
        if let Some(url) = ty["specifiedByURL"].as_str() {
            declaration.push_str(&format!(" @specifiedBy(url: \"{url}\")"));
        }
        // What follows the name: `implements`, `{`, or the end of a scalar's line.
        let declaration = if keyword == "scalar" {
            format!("{declaration}\n")
        } else {
            format!("{declaration} ")
        };
        let description = ty["description"].as_str().unwrap_or_default();
        assert!(
            committed.contains(&described(description, &declaration)),
            "schema.graphql does not declare `{declaration}` as introspection does, described as {description:?}"
        );
    }
    let in_file = committed
        .lines()
        .filter(|line| {
            [
                "scalar ",
                "type ",
                "input ",
                "enum ",
                "interface ",
                "union ",
            ]
            .iter()
            .any(|keyword| line.starts_with(keyword))
        })
        .count();
    assert_eq!(in_file, declared, "schema.graphql declares other types");
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            "{ __schema { types { name description
                fields { name description args { name description } }
                inputFields { name description }
                enumValues { name description } } } }",
            json!({}),
        )
        .await;
    let described = |item: &Value| item["description"].as_str().is_some_and(|d| !d.is_empty());
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Boolean", "ID", "Float"].contains(&name) {
            continue;
        }
        if !described(ty) {
            missing.push(name.to_owned());
        }
        for list in ["fields", "inputFields", "enumValues"] {
            for item in ty[list].as_array().into_iter().flatten() {
                if !described(item) {
                    missing.push(format!("{name}.{}", item["name"]));
                }
                for arg in item["args"].as_array().into_iter().flatten() {
                    if !described(arg) {
                        missing.push(format!("{name}.{}({})", item["name"], arg["name"]));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

#[tokio::test]
async fn get_requests_never_run_mutations() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "mutation { register(input: { username: \"getty\", email: \"g@x.io\", password: \"password123\" }) { token } }",
        )])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let count = sea_orm::PaginatorTrait::count(
        <entity::prelude::User as sea_orm::EntityTrait>::find(),
        &app.db.conn,
    )
    .await
    .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn get_runs_the_named_query_of_a_document_that_also_holds_a_mutation() {
    let app = TestApp::spawn().await;
    let document = "query Count { users { totalCount } } mutation Register { register(input: { username: \"getty\", email: \"g@x.io\", password: \"password123\" }) { token } }";
    let get = |operation: &'static str| {
        app.client
            .get(app.url("/graphql"))
            .query(&[("query", document), ("operationName", operation)])
            .header("accept", "application/json")
            .send()
    };
    let query = get("Count").await.unwrap();
    assert_eq!(query.status(), 200);
    let body: Value = query.json().await.unwrap();
    assert_eq!(body["data"]["users"]["totalCount"], 0, "{body}");
    assert_eq!(get("Register").await.unwrap().status(), 405);
}

#[tokio::test]
async fn get_requests_take_variables_as_a_json_object() {
    let app = TestApp::seeded(&data::small(2)).await;
    let get = |variables: &'static str| {
        app.client
            .get(app.url("/graphql"))
            .query(&[
                (
                    "query",
                    "query($u: String!) { user(username: $u) { username } }",
                ),
                ("variables", variables),
            ])
            .header("accept", "application/json")
            .send()
    };
    let found = get(r#"{"u":"user0001"}"#).await.unwrap();
    let body: Value = found.json().await.unwrap();
    assert_eq!(body["data"]["user"]["username"], "user0001", "{body}");
    assert_eq!(get("not json").await.unwrap().status(), 400);
}

#[tokio::test]
async fn a_document_that_does_not_say_which_operation_to_run_is_coded() {
    let app = TestApp::spawn().await;
    let error = app
        .error("query A { __typename } query B { __typename }", json!({}))
        .await;
    assert_eq!(
        error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{error}"
    );
}

#[tokio::test]
async fn responses_follow_the_graphql_over_http_spec() {
    let app = TestApp::spawn().await;
    let post = |accept: &'static str, query: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header("accept", accept)
            .json(&json!({ "query": query }))
            .send()
    };
    let plain = post("application/json", "{ __typename }").await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["content-type"], "application/json");

    let modern = post("application/graphql-response+json", "{ __typename }")
        .await
        .unwrap();
    assert_eq!(
        modern.headers()["content-type"],
        "application/graphql-response+json"
    );

    let broken = post("application/graphql-response+json", "{")
        .await
        .unwrap();
    assert_eq!(
        broken.status(),
        400,
        "a request error is a 400 in the new media type"
    );
    let body: Value = broken.json().await.unwrap();
    assert!(body.get("data").is_none(), "no data entry: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );

    let legacy = post("application/json", "{").await.unwrap();
    assert_eq!(legacy.status(), 200, "application/json keeps 200");

    let untyped = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status(), 415);
}

#[tokio::test]
async fn response_fields_come_in_the_order_the_query_asked() {
    let app = TestApp::seeded(&data::small(3)).await;
    let query = "{ user(username: \"user0002\") { posts(first: 2) { nodes { title } } photoCount profile { bio } username postCount id } }";
    let expected = [
        "posts",
        "photoCount",
        "profile",
        "username",
        "postCount",
        "id",
    ];
    for _ in 0..10 {
        let body = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let positions: Vec<usize> = expected
            .iter()
            .map(|key| body.find(&format!("\"{key}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");
    }
}

#[tokio::test]
async fn an_unmigrated_database_is_not_ready() {
    let app = TestApp::spawn_on(
        folio_tests::TestDb::empty().await,
        api::config::ServerConfig::default(),
    )
    .await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), "migrations pending");
    assert!(
        app.db.table_names().await.is_empty(),
        "the probe wrote nothing"
    );
}

#[tokio::test]
async fn the_authorization_header_is_a_bearer_token_or_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let viewer = |authorization: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ viewer { username } }" }));
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let anonymous = viewer(None).await;
    assert_eq!(anonymous["data"]["viewer"], Value::Null, "{anonymous}");
    let lowercase = viewer(Some(format!("bearer {token}"))).await;
    assert_eq!(
        lowercase["data"]["viewer"]["username"], "ada",
        "{lowercase}"
    );
    for malformed in ["Basic YWRhOnB3", "Bearer", "Token abc", "Bearertoken"] {
        let body = viewer(Some(malformed.to_owned())).await;
        let error = &body["errors"][0];
        assert_eq!(
            error["extensions"]["code"], "UNAUTHENTICATED",
            "{malformed}: {body}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("Authorization: Bearer"),
            "{malformed}: {message}"
        );
    }
}

#[tokio::test]
async fn media_types_are_read_with_their_parameters_and_qualities() {
    let app = TestApp::spawn().await;
    let post = |content_type: &'static str, accept: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .header("accept", accept)
            .body(r#"{"query":"{ __typename }"}"#)
            .send()
    };
    let with_charset = post("Application/JSON; charset=utf-8", "application/json")
        .await
        .unwrap();
    assert_eq!(with_charset.status(), 200);
    let lookalike = post("application/jsonp", "application/json").await.unwrap();
    assert_eq!(lookalike.status(), 415);
    for (accept, answered) in [
        (
            "application/graphql-response+json",
            "application/graphql-response+json",
        ),
        (
            "application/graphql-response+json, application/json;q=0.9",
            "application/graphql-response+json",
        ),
        (
            "application/json, application/graphql-response+json;q=0.5",
            "application/json",
        ),
        ("application/graphql-response+json;q=0", "application/json"),
        ("*/*", "application/json"),
    ] {
        let response = post("application/json", accept).await.unwrap();
        assert_eq!(response.headers()["content-type"], answered, "{accept}");
    }
}

#[tokio::test]
async fn nul_characters_are_bad_user_input_on_every_backend() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let filter = "query($t: String) { posts(filter: { titleContains: $t }) { totalCount } }";
    let error = app.error(filter, json!({ "t": "a\u{0}b" })).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], "t", "{error}");
    let inline = r#"{ posts(filter: { titleContains: "a\u0000b" }) { totalCount } }"#;
    let error = app.error(inline, json!({})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    let login =
        "mutation($l: String!) { login(input: { login: $l, password: \"whatever1\" }) { token } }";
    let error = app.error(login, json!({ "l": "ada\u{0}" })).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    let create = "mutation($t: String!) { createPost(input: { title: $t, body: \"b\" }) { id } }";
    let body = app
        .graphql_as(Some(&token), create, json!({ "t": "nul\u{0}title" }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let posts = app.data("{ posts { totalCount } }", json!({})).await;
    assert_eq!(posts["posts"]["totalCount"], 0, "nothing written");
}

/// POSTs `query` with `variables`: the response's status and headers.
async fn post_headers(
    app: &TestApp,
    query: &str,
    variables: Value,
) -> (u16, reqwest::header::HeaderMap) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.headers().clone())
}

#[tokio::test]
async fn every_response_is_nosniff_and_every_mutation_answer_is_not_stored() {
    let app = TestApp::spawn().await;
    let register = "mutation($input: RegisterInput!) { register(input: $input) { token } }";
    let input = json!({ "input": {
        "username": "ada", "email": "ada@example.com", "password": "password123",
    } });
    let login = "mutation($input: LoginInput!) { login(input: $input) { token } }";
    let credentials = json!({ "input": { "login": "ada", "password": "password123" } });
    for (query, variables) in [(register, input), (login, credentials)] {
        let (status, headers) = post_headers(&app, query, variables).await;
        assert_eq!(status, 200);
        assert_eq!(headers["cache-control"], "no-store", "{query}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{query}");
    }
    // A query's answer may be kept; it is nosniff as every response is.
    let (_, headers) = post_headers(&app, "{ __typename }", json!({})).await;
    assert!(headers.get("cache-control").is_none(), "{headers:?}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    for path in [
        "/healthz",
        "/readyz",
        "/graphql?query=%7B__typename%7D",
        "/nowhere",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
}

/// `query`'s answer from `app` to a client that accepts `encodings`: its
/// `Content-Encoding` (if any) and its body as sent.
async fn encoded(app: &TestApp, query: &str, encodings: &str) -> (Option<String>, Vec<u8>) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept-encoding", encodings)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let encoding = response
        .headers()
        .get("content-encoding")
        .map(|value| value.to_str().unwrap().to_owned());
    (encoding, response.bytes().await.unwrap().to_vec())
}

const LARGE: &str =
    "{ users(first: 20) { nodes { username posts(first: 10) { nodes { title body } } } } }";

#[tokio::test]
async fn large_responses_are_compressed_and_small_ones_are_not() {
    let app = TestApp::seeded(&data::small(20)).await;
    let (none, plain) = encoded(&app, LARGE, "identity").await;
    assert_eq!(none, None);
    assert!(
        plain.len() > 1024,
        "a large response: {} bytes",
        plain.len()
    );

    let (gzip, compressed) = encoded(&app, LARGE, "gzip").await;
    assert_eq!(gzip.as_deref(), Some("gzip"));
    assert!(
        compressed.len() < plain.len() / 2,
        "{} of {} bytes",
        compressed.len(),
        plain.len()
    );
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, plain, "the same answer once decoded");

    // What browsers send: the encoding is one of them.
    let (chosen, _) = encoded(&app, LARGE, "gzip, deflate, br, zstd").await;
    assert!(
        matches!(chosen.as_deref(), Some("zstd" | "br" | "gzip" | "deflate")),
        "{chosen:?}"
    );

    // Below --compression-min-bytes (1 KiB), a response goes as it is.
    let (small, body) = encoded(&app, "{ __typename }", "gzip, deflate, br, zstd").await;
    assert_eq!(small, None, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, br#"{"data":{"__typename":"Query"}}"#);
}

#[tokio::test]
async fn compression_level_zero_sends_every_response_as_it_is() {
    let config = api::config::ServerConfig {
        compression_level: 0,
        ..api::config::ServerConfig::default()
    };
    let db = folio_tests::TestDb::new().await;
    db.seed(&data::small(20)).await;
    let app = TestApp::spawn_on(db, config).await;
    let (encoding, body) = encoded(&app, LARGE, "gzip, deflate, br, zstd").await;
    assert_eq!(encoding, None);
    assert!(body.len() > 1024);
    let min_bytes = api::config::ServerConfig {
        compression_min_bytes: 60_000,
        ..api::config::ServerConfig::default()
    };
    let db = folio_tests::TestDb::new().await;
    db.seed(&data::small(20)).await;
    let app = TestApp::spawn_on(db, min_bytes).await;
    let (encoding, body) = encoded(&app, LARGE, "gzip").await;
    assert!(body.len() < 60_000, "{} bytes", body.len());
    assert_eq!(encoding, None, "below the configured size");
}
