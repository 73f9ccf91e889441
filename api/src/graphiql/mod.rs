//! GraphiQL, served by Folio itself: the HTML page and the static assets it
//! needs (GraphiQL's, React's and the `graphql-ws` client's browser builds,
//! vendored in `assets/`, and `init.js`), embedded in the binary so that
//! GraphiQL works offline and under a strict Content-Security-Policy. Queries
//! and mutations go over HTTP to the endpoint; subscriptions go over a
//! `graphql-transport-ws` WebSocket to the same endpoint (`ws:` or `wss:` as
//! the page's own origin is `http:` or `https:`), set up by `init.js`. It
//! deliberately does not read anything from the file system at runtime, does
//! not link to any CDN, and does not decide where the page itself is mounted:
//! the app's router calls [`page`] and merges [`router`].

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Where GraphiQL 3.9.0's browser (UMD) build is served.
const GRAPHIQL_JS: &str = "/graphiql/graphiql-3.9.0.min.js";
/// Where GraphiQL 3.9.0's stylesheet is served.
const GRAPHIQL_CSS: &str = "/graphiql/graphiql-3.9.0.min.css";
/// Where React 18.3.1's UMD production build is served.
const REACT_JS: &str = "/graphiql/react-18.3.1.production.min.js";
/// Where ReactDOM 18.3.1's UMD production build is served.
const REACT_DOM_JS: &str = "/graphiql/react-dom-18.3.1.production.min.js";
/// Where the `graphql-ws` 6.4.2 client's UMD build is served: the global
/// `graphqlWs` that `init.js` hands GraphiQL as its subscription client.
const GRAPHQL_WS_JS: &str = "/graphiql/graphql-ws-6.4.2.min.js";
/// Where the script that starts GraphiQL is served. It carries no version, so
/// it is revalidated rather than cached for good.
const INIT_JS: &str = "/graphiql/init.js";

/// The URL paths of every asset that [`router`] serves and [`page`] loads.
pub const ASSET_PATHS: &[&str] = &[
    GRAPHIQL_CSS,
    REACT_JS,
    REACT_DOM_JS,
    GRAPHIQL_JS,
    GRAPHQL_WS_JS,
    INIT_JS,
];

/// The `Content-Security-Policy` of the GraphiQL page.
///
/// Scripts come only from this server, and none is inline. GraphiQL's CSS
/// embeds its fonts and images as `data:` URLs. `connect-src 'self'` covers
/// the GraphQL endpoint over HTTP and, as CSP Level 3 has it, its same-origin
/// WebSocket: `ws:` from an `http:` page, `wss:` from an `https:` one
/// (Chromium's, checked by `tests/clients/browser.mjs`, which runs a
/// subscription in GraphiQL and fails on any CSP violation).
/// Styles need `'unsafe-inline'`: the dialogs of GraphiQL (Radix's scroll
/// lock) insert a `<style>` element, and CodeMirror's search and jump-to-line
/// dialogs are HTML with `style` attributes. Inline styles cannot run code.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; \
     script-src 'self'; \
     style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; \
     img-src 'self' data:; \
     connect-src 'self'; \
     base-uri 'none'; \
     form-action 'none'; \
     frame-ancestors 'none'";

/// `Cache-Control` of the versioned assets: a new version gets a new URL.
const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the page and of `init.js`: revalidate every time.
const CACHE_NO_CACHE: &str = "no-cache";
/// `Content-Type` of the scripts.
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
/// `Content-Type` of the stylesheet.
const CSS: &str = "text/css; charset=utf-8";

/// One embedded file and how to serve it.
struct Asset {
    /// The URL path it is served at.
    path: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its `Cache-Control`.
    cache_control: &'static str,
    /// Its contents.
    body: &'static [u8],
}

/// Every file that [`router`] serves, in the order [`ASSET_PATHS`] lists them.
const ASSETS: &[Asset] = &[
    Asset {
        path: GRAPHIQL_CSS,
        content_type: CSS,
        cache_control: CACHE_IMMUTABLE,
        body: include_bytes!("assets/graphiql.min.css"),
    },
    Asset {
        path: REACT_JS,
        content_type: JAVASCRIPT,
        cache_control: CACHE_IMMUTABLE,
        body: include_bytes!("assets/react.production.min.js"),
    },
    Asset {
        path: REACT_DOM_JS,
        content_type: JAVASCRIPT,
        cache_control: CACHE_IMMUTABLE,
        body: include_bytes!("assets/react-dom.production.min.js"),
    },
    Asset {
        path: GRAPHIQL_JS,
        content_type: JAVASCRIPT,
        cache_control: CACHE_IMMUTABLE,
        body: include_bytes!("assets/graphiql.min.js"),
    },
    Asset {
        path: GRAPHQL_WS_JS,
        content_type: JAVASCRIPT,
        cache_control: CACHE_IMMUTABLE,
        body: include_bytes!("assets/graphql-ws.min.js"),
    },
    Asset {
        path: INIT_JS,
        content_type: JAVASCRIPT,
        cache_control: CACHE_NO_CACHE,
        body: include_str!("init.js").as_bytes(),
    },
];

/// The routes that serve GraphiQL's static assets, `GET /graphiql/{file}`
/// for every path in [`ASSET_PATHS`], and a 404 for any other file there.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphiql/{file}", get(asset))
}

/// Serves the embedded asset named `file`, or a 404.
async fn asset(Path(file): Path<String>) -> Response {
    let found = ASSETS
        .iter()
        .find(|asset| asset.path.strip_prefix("/graphiql/") == Some(file.as_str()));
    match found {
        Some(asset) => (
            [
                (CONTENT_TYPE, asset.content_type),
                (CACHE_CONTROL, asset.cache_control),
                (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(X_CONTENT_TYPE_OPTIONS, "nosniff")],
            "not found\n",
        )
            .into_response(),
    }
}

/// The GraphiQL page, speaking to the GraphQL endpoint at `endpoint` (a path
/// on this server, such as `/graphql`), with its Content-Security-Policy.
pub fn page(endpoint: &str) -> Response {
    let endpoint = escape_attribute(endpoint);
    let html = format!(
        "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>Folio GraphiQL</title>
<link rel=\"stylesheet\" href=\"{GRAPHIQL_CSS}\">
<script src=\"{REACT_JS}\" defer></script>
<script src=\"{REACT_DOM_JS}\" defer></script>
<script src=\"{GRAPHIQL_JS}\" defer></script>
<script src=\"{GRAPHQL_WS_JS}\" defer></script>
<script src=\"{INIT_JS}\" defer></script>
</head>
<body>
<div id=\"graphiql\" data-endpoint=\"{endpoint}\">Loading GraphiQL…</div>
</body>
</html>
"
    );
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, CACHE_NO_CACHE),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        ],
        html,
    )
        .into_response()
}

/// `text` escaped for use inside a double- or single-quoted HTML attribute.
fn escape_attribute(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use std::error::Error;
    use tower::ServiceExt;

    type TestResult = Result<(), Box<dyn Error>>;

    /// The page's body as a string.
    async fn page_html(endpoint: &str) -> Result<String, Box<dyn Error>> {
        let bytes = to_bytes(page(endpoint).into_body(), usize::MAX).await?;
        Ok(String::from_utf8(bytes.to_vec())?)
    }

    /// Every `src="…"` and `href="…"` value in `html`.
    fn references(html: &str) -> Vec<String> {
        let mut found = Vec::new();
        for attribute in ["src=\"", "href=\""] {
            for (start, _) in html.match_indices(attribute) {
                let rest = &html[start + attribute.len()..];
                let end = rest.find('"').unwrap_or(rest.len());
                found.push(rest[..end].to_owned());
            }
        }
        found
    }

    /// Sends `GET path` to [`router`].
    async fn get_asset(path: &str) -> Result<Response, Box<dyn Error>> {
        let request = Request::builder().uri(path).body(Body::empty())?;
        Ok(router::<()>().oneshot(request).await?)
    }

    #[tokio::test]
    async fn page_references_only_this_server() -> TestResult {
        let html = page_html("/graphql").await?;
        let references = references(&html);
        assert_eq!(references.len(), ASSET_PATHS.len(), "{references:?}");
        for reference in &references {
            assert!(
                reference.starts_with('/') && !reference.starts_with("//"),
                "{reference} is not a path on this server"
            );
            assert!(ASSET_PATHS.contains(&reference.as_str()), "{reference}");
        }
        assert!(!html.contains("http:") && !html.contains("https:"));
        assert!(!html.contains("<script>"), "no inline script");
        Ok(())
    }

    #[test]
    fn page_has_a_strict_csp() -> TestResult {
        let response = page("/graphql");
        let headers = response.headers();
        let csp = headers
            .get(CONTENT_SECURITY_POLICY)
            .ok_or("no Content-Security-Policy")?
            .to_str()?;
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        let script_src = directives
            .iter()
            .find(|directive| directive.starts_with("script-src "))
            .ok_or("no script-src")?;
        assert_eq!(*script_src, "script-src 'self'");
        assert!(directives.contains(&"default-src 'none'"));
        assert!(directives.contains(&"connect-src 'self'"));
        assert!(directives.contains(&"frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-eval"));
        assert_eq!(
            headers.get(CONTENT_TYPE).ok_or("no Content-Type")?,
            "text/html; charset=utf-8"
        );
        assert_eq!(
            headers.get(CACHE_CONTROL).ok_or("no Cache-Control")?,
            "no-cache"
        );
        Ok(())
    }

    #[tokio::test]
    async fn page_escapes_the_endpoint() -> TestResult {
        let html = page_html("/graphql?a=1&b=\"><script>x</script>").await?;
        assert!(html.contains(
            "data-endpoint=\"/graphql?a=1&amp;b=&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""
        ));
        assert!(html.contains("<title>Folio GraphiQL</title>"));
        Ok(())
    }

    #[tokio::test]
    async fn router_serves_every_referenced_asset() -> TestResult {
        let html = page_html("/graphql").await?;
        for reference in references(&html) {
            let response = get_asset(&reference).await?;
            assert_eq!(response.status(), StatusCode::OK, "{reference}");
            let headers = response.headers();
            let content_type = headers.get(CONTENT_TYPE).ok_or("no Content-Type")?;
            let expected = if reference.ends_with(".css") {
                CSS
            } else {
                JAVASCRIPT
            };
            assert_eq!(content_type, expected, "{reference}");
            assert_eq!(
                headers.get(X_CONTENT_TYPE_OPTIONS).ok_or("no nosniff")?,
                "nosniff"
            );
            let cache_control = headers.get(CACHE_CONTROL).ok_or("no Cache-Control")?;
            if reference == INIT_JS {
                assert_eq!(cache_control, CACHE_NO_CACHE);
            } else {
                assert_eq!(cache_control, CACHE_IMMUTABLE, "{reference}");
            }
            let body = to_bytes(response.into_body(), usize::MAX).await?;
            assert!(body.len() > 100, "{reference} is nearly empty");
        }
        Ok(())
    }

    #[tokio::test]
    async fn router_answers_404_for_unknown_files() -> TestResult {
        for path in [
            "/graphiql/graphiql.min.js",
            "/graphiql/graphql-ws.min.js",
            "/graphiql/LICENSE-graphql-ws",
            "/graphiql/index.umd.js.map",
            "/graphiql/LICENSE-react",
            "/graphiql/",
        ] {
            let response = get_asset(path).await?;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        Ok(())
    }
}
