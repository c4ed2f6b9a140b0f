//! The web client (issue 23) at `/`: the built files of `web/dist`
//! (`VITRINE_WEB_DIR`). Hashed files under `assets/` never change, so they
//! are cached for a year; everything else (`index.html`, the service
//! worker, the manifest) is revalidated on every use (ETag and
//! Last-Modified from the file). Every HTML answer carries a
//! content-security policy that allows only this origin's scripts and
//! connections. A path without a file of its own that names no file (no
//! extension) is a client-side route and gets `index.html`.
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::ServerState;

/// Paths the API owns: never the web client's, whatever the router lacks.
const API_PREFIXES: [&str; 9] = [
    "/graphql",
    "/graphiql",
    "/files/",
    "/uploads/",
    "/webhooks/",
    "/sitemaps/",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// Cache-Control of the hashed build output.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of everything else: use it, but ask first.
pub const REVALIDATE: &str = "no-cache";

/// The policy of the app's HTML. `connect-src` names the page's own
/// host for WebSockets too (`'self'` covers ws: only in newer browsers);
/// images may come from shops' CDNs (visual shopping's results).
pub fn content_security_policy(host: Option<&str>) -> String {
    let sockets = host
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; \
         media-src 'self' blob:; font-src 'self'; connect-src 'self'{sockets}; worker-src 'self'; \
         manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The router's fallback: the web client's files, or 404.
pub async fn serve(State(state): State<ServerState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let readable = req.method() == Method::GET || req.method() == Method::HEAD;
    if !readable || API_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let dir = state.app.config.web.dir.clone();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let names_a_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    let headers = req.headers().clone();
    let mut response = match ServeDir::new(&dir).oneshot(req).await {
        Ok(found) if found.status() != StatusCode::NOT_FOUND || names_a_file => {
            found.map(Body::new)
        }
        _ => {
            // A client-side route: the app's shell.
            let mut shell = Request::new(Body::empty());
            *shell.uri_mut() = axum::http::Uri::from_static("/index.html");
            *shell.headers_mut() = headers;
            match ServeDir::new(&dir).oneshot(shell).await {
                Ok(found) if found.status() == StatusCode::NOT_FOUND => {
                    return not_built(&dir);
                }
                Ok(found) => found.map(Body::new),
                Err(never) => match never {},
            }
        }
    };
    let immutable = path.starts_with("/assets/") && response.status().is_success();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable { IMMUTABLE } else { REVALIDATE }),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(host.as_deref())) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if path == "/sw.js" {
        // The service worker may control the whole origin.
        headers.insert("service-worker-allowed", HeaderValue::from_static("/"));
    }
    response
}

/// No `index.html` in the web directory: say how to build it.
fn not_built(dir: &std::path::Path) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "The web client is not built ({} is missing): run `make web-build`, or `make web` for the development server. The API is at /graphql.",
            dir.join("index.html").display()
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_only_this_origin() {
        let policy = content_security_policy(Some("127.0.0.1:8080"));
        assert!(policy.contains("script-src 'self';"));
        assert!(policy.contains("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080;"));
        assert!(policy.contains("frame-ancestors 'none'"));
        // A Host header cannot smuggle directives in.
        let forged = content_security_policy(Some("evil.com; script-src *"));
        assert!(forged.contains("connect-src 'self';"));
        assert!(!forged.contains("evil"));
    }
}
