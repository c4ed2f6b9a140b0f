//! GraphiQL in development, with no internet needed: the page at
//! `GET /graphql` (for a browser asking for HTML) loads React, GraphiQL and
//! the graphql-ws client from `/graphiql/<asset>`, compiled into the binary
//! from `assets/graphiql/dist`. Those files are the npm packages pinned in
//! `assets/graphiql/package-lock.json` (`make graphiql-assets` refreshes
//! them; a test checks they still match the lockfile). Subscriptions run
//! over `/graphql/ws` with the header editor's headers as `connection_init`
//! payload (`assets/graphiql/start.js`).
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::ServerState;

/// One served file: its name under `/graphiql/`, bytes and media type.
pub struct Asset {
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

macro_rules! asset {
    ($name:literal, $path:literal, $type:literal) => {
        Asset {
            name: $name,
            bytes: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/graphiql/",
                $path
            )),
            content_type: $type,
        }
    };
}

/// Every asset the page references, in the order it loads them.
pub const ASSETS: &[Asset] = &[
    asset!(
        "graphiql.min.css",
        "dist/graphiql.min.css",
        "text/css; charset=utf-8"
    ),
    asset!(
        "react.production.min.js",
        "dist/react.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "react-dom.production.min.js",
        "dist/react-dom.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "graphql-ws.min.js",
        "dist/graphql-ws.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "graphiql.min.js",
        "dist/graphiql.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("start.js", "start.js", "text/javascript; charset=utf-8"),
];

/// Whether a GET without a query is a browser asking for the page.
pub fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The page: styles and scripts from this server only.
pub fn page() -> Response {
    let mut head = String::new();
    let mut body = String::new();
    for asset in ASSETS {
        if asset.content_type.starts_with("text/css") {
            head.push_str(&format!(
                "  <link rel=\"stylesheet\" href=\"/graphiql/{}\">\n",
                asset.name
            ));
        } else {
            body.push_str(&format!(
                "  <script src=\"/graphiql/{}\"></script>\n",
                asset.name
            ));
        }
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n  \
         <title>vitrine GraphiQL</title>\n  <link rel=\"icon\" href=\"data:,\">\n{head}  \
         <style>body {{ margin: 0; }} #graphiql {{ height: 100dvh; }}</style>\n</head>\n<body>\n  \
         <div id=\"graphiql\">Loading GraphiQL…</div>\n{body}</body>\n</html>\n"
    );
    Html(html).into_response()
}

/// `GET /graphiql/<asset>`; 404 in production, where there is no page.
pub async fn asset(State(state): State<ServerState>, Path(name): Path<String>) -> Response {
    if state.app.config.is_production() {
        return StatusCode::NOT_FOUND.into_response();
    }
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
