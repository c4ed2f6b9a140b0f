//! GraphQL over HTTP as the ecosystem's own tools see it: graphql-http's
//! conformance audit, graphql-js' introspection query, the GraphiQL page
//! and its assets, content negotiation and status codes, CORS for browser
//! partners, compression, and `graphql_errors_total` for every refusal.
//! The npm packages are pinned in tests/http-client/package-lock.json.
mod common;

use std::{io::Read, path::PathBuf};

use common::{Backend, TestApp, code, realtime::npm_ci};
use serde_json::{Value, json};

fn http_client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/http-client")
}

/// Runs `node <script> <args…>` in tests/http-client; its one JSON line.
async fn node(script: &str, args: &[&str]) -> Value {
    let dir = http_client_dir();
    npm_ci(&dir, "graphql-http");
    let out = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(&dir)
        .output()
        .await
        .expect("node must be installed to run the HTTP client tests");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node {script} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script} printed {stdout}: {e}"))
}

async fn post(app: &TestApp, accept: Option<&str>, body: &str) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    req.send().await.unwrap()
}

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_over_http_audit_passes() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let results = node("audit.mjs", &[&app.url("/graphql")]).await;
    let results = results.as_array().expect("an array of audit results");
    assert!(results.len() > 60, "only {} audits ran", results.len());
    // Every MUST (error), SHOULD (warn) and MAY (notice) passes.
    let failed: Vec<&Value> = results.iter().filter(|r| r["status"] != "ok").collect();
    assert!(failed.is_empty(), "audits failed: {failed:#?}");
    assert_eq!(
        app.metric("graphql_errors_total{code=\"INTERNAL\"}").await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_chooses_the_media_type_and_the_status_code() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let ok = r#"{"query":"{ __typename }"}"#;
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/graphql-response+json;q=0.5, application/json"),
            "application/json",
        ),
    ] {
        let resp = post(&app, accept, ok).await;
        assert_eq!(resp.status(), 200, "{accept:?}");
        let ct = content_type(&resp);
        assert!(
            ct.starts_with(expected) && ct.contains("charset=utf-8"),
            "{accept:?} → {ct}"
        );
    }
    // Nothing acceptable: 406, with a code.
    let resp = post(&app, Some("text/html"), ok).await;
    assert_eq!(resp.status(), 406);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "NOT_ACCEPTABLE");
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }")])
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 406);

    // Request errors: 400 without `data` for graphql-response+json, 200
    // with `data: null` for application/json.
    for (document, expected) in [
        (r#"{"query":"{"}"#, "GRAPHQL_PARSE_FAILED"),
        (r#"{"query":"{ nope }"}"#, "GRAPHQL_VALIDATION_FAILED"),
        (
            r#"{"query":"query($id: ID!) { node(id: $id) { id } }","variables":{"id":null}}"#,
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        let resp = post(&app, Some(GRAPHQL_RESPONSE), document).await;
        assert_eq!(resp.status(), 400, "{document}");
        assert!(content_type(&resp).starts_with(GRAPHQL_RESPONSE));
        let body: Value = resp.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(code(&body), expected, "{body}");
        let resp = post(&app, Some("application/json"), document).await;
        assert_eq!(resp.status(), 200, "{document}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["data"], Value::Null);
        assert_eq!(code(&body), expected);
    }
    // A resolver error is no request error: 200 with partial data either way.
    let partial = r#"{"query":"{ __typename me { id } }"}"#;
    let resp = post(&app, Some(GRAPHQL_RESPONSE), partial).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query");
    assert_eq!(code(&body), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_introspection_works_in_development_only() {
    let Some(dev) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let report = node("introspect.mjs", &[&dev.url("/graphql")]).await;
    for run in report["runs"].as_array().unwrap() {
        assert_eq!(run["status"], 200, "{run:#}");
        assert_eq!(run["errors"], Value::Null, "{run:#}");
        assert_eq!(run["built"], Value::Null, "{run:#}");
        assert!(run["types"].as_u64().unwrap() > 50, "{run:#}");
    }
    // The fan-out introspection allows no more than its own shape needs.
    let resp = post(
        &dev,
        Some(GRAPHQL_RESPONSE),
        &json!({ "query": "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }" }).to_string(),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(code(&resp.json::<Value>().await.unwrap()), "QUERY_TOO_DEEP");

    let Some(prod) = TestApp::spawn_production().await else {
        return;
    };
    let report = node("introspect.mjs", &[&prod.url("/graphql")]).await;
    for run in report["runs"].as_array().unwrap() {
        assert_eq!(run["status"], 400, "{run:#}");
        assert_eq!(
            run["errors"][0]["extensions"]["code"], "INTROSPECTION_DISABLED",
            "{run:#}"
        );
        assert_eq!(run["types"], Value::Null);
    }
}

/// `src="…"` and `href="…"` values of an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            let end = rest.find('"').unwrap();
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_from_this_server() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let resp = app
        .http
        .get(app.url("/graphql"))
        .header("accept", browser_accept)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(content_type(&resp).starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    // `data:` URIs (the empty favicon) are inline, fetched from nowhere.
    let assets: Vec<String> = references(&html)
        .into_iter()
        .filter(|r| !r.starts_with("data:"))
        .collect();
    assert_eq!(assets.len(), 6, "{assets:?}");
    let mut scripts = String::new();
    for asset in &assets {
        assert!(
            asset.starts_with('/') && !asset.starts_with("//"),
            "not local: {asset}"
        );
        let resp = app.http.get(app.url(asset)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{asset}");
        let ct = content_type(&resp);
        let expected = if asset.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(ct.starts_with(expected), "{asset}: {ct}");
        let text = resp.text().await.unwrap();
        assert!(text.len() > 100, "{asset} is empty");
        scripts.push_str(&text);
    }
    // React, GraphiQL, the graphql-ws client, and the start script wiring
    // queries to /graphql and subscriptions to /graphql/ws.
    assert!(scripts.contains("createFetcher"));
    assert!(scripts.contains("graphql-transport-ws"));
    assert!(scripts.contains("'/graphql/ws'") && scripts.contains(".iterate(params)"));
    // A GET with a query is still an API call, for browsers too.
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }")])
        .header("accept", browser_accept)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["data"]["__typename"],
        "Query"
    );

    // Production serves neither the page nor its assets.
    let Some(prod) = TestApp::spawn_production().await else {
        return;
    };
    let resp = prod
        .http
        .get(prod.url("/graphql"))
        .header("accept", browser_accept)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = prod.http.get(prod.url(&assets[0])).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

/// The committed assets are the npm packages the lockfile pins, byte for
/// byte (`make graphiql-assets` writes them).
#[test]
fn graphiql_assets_match_their_lockfile() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/graphiql");
    npm_ci(&dir, "graphiql");
    for (installed, committed) in [
        ("graphiql/graphiql.min.css", "graphiql.min.css"),
        ("graphiql/graphiql.min.js", "graphiql.min.js"),
        (
            "react/umd/react.production.min.js",
            "react.production.min.js",
        ),
        (
            "react-dom/umd/react-dom.production.min.js",
            "react-dom.production.min.js",
        ),
        ("graphql-ws/umd/graphql-ws.min.js", "graphql-ws.min.js"),
    ] {
        let a = std::fs::read(dir.join("node_modules").join(installed)).unwrap();
        let b = std::fs::read(dir.join("dist").join(committed)).unwrap();
        assert!(
            a == b,
            "assets/graphiql/dist/{committed} differs from the lockfile's {installed}: run `make graphiql-assets`"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_may_send_every_header_the_api_reads() {
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        &[("VITRINE_CORS_ORIGINS", "https://partner.example")],
    )
    .await
    else {
        return;
    };
    let resp = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://partner.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "x-api-key,idempotency-key,authorization,content-type,apollo-require-preflight",
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let allowed = resp
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in [
        "x-api-key",
        "idempotency-key",
        "authorization",
        "content-type",
        "apollo-require-preflight",
    ] {
        assert!(allowed.contains(header), "{header} not in {allowed}");
    }
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://partner.example"
    );
    // Another origin is not allowed.
    let resp = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_responses_are_compressed_as_negotiated() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let big = json!({ "query": "{ __schema { types { name description fields { name description } } } }" }).to_string();
    // A client that leaves bodies as they come (the test build may enable
    // reqwest's own decompression through another crate's features).
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .build()
        .unwrap();
    let send = |encoding: &'static str, body: String| {
        raw.post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept-encoding", encoding)
            .body(body)
            .send()
    };
    let plain = send("identity", big.clone()).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    assert!(plain.len() > 10_000);

    let gzip = send("gzip", big.clone()).await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let packed = gzip.bytes().await.unwrap();
    assert!(
        packed.len() * 3 < plain.len(),
        "{} vs {}",
        packed.len(),
        plain.len()
    );
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);

    let br = send("br;q=1.0, gzip;q=0.5", big).await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    // Small answers go as they are.
    let small = send("gzip", json!({ "query": "{ __typename }" }).to_string())
        .await
        .unwrap();
    assert!(small.headers().get("content-encoding").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_counted_under_its_code() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let metric = |code: &str| format!("graphql_errors_total{{code=\"{code}\"}}");
    let url = app.url("/graphql");
    // No connection reuse: a 413 answered before the body is read leaves
    // its connection unusable.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let json_post = |body: String| {
        http.post(&url)
            .header("content-type", "application/json")
            .body(body)
    };
    let deep = format!("{}{}", "{ me ".repeat(14), "}".repeat(14));
    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let cases: Vec<(&str, u16, reqwest::RequestBuilder)> = vec![
        (
            "PERSISTED_QUERY_NOT_FOUND",
            200,
            json_post(json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "ab".repeat(32) } } }).to_string()),
        ),
        (
            "UNSUPPORTED_MEDIA_TYPE",
            415,
            http.post(&url).header("content-type", "text/plain").body("{}"),
        ),
        (
            "PAYLOAD_TOO_LARGE",
            413,
            json_post(format!("{{\"query\":\"{}\"}}", " ".repeat(1024 * 1024 + 10))),
        ),
        ("BATCH_TOO_LARGE", 400, json_post(Value::Array(batch).to_string())),
        ("QUERY_TOO_DEEP", 200, json_post(json!({ "query": deep }).to_string())),
        ("NOT_ACCEPTABLE", 406, json_post("{}".into()).header("accept", "text/csv")),
        (
            "METHOD_NOT_ALLOWED",
            405,
            http.get(&url).query(&[("query", "mutation { logout }")]),
        ),
        ("BAD_REQUEST", 400, json_post("{ not json".into())),
        (
            "PARTNER_KEY_INVALID",
            401,
            json_post(json!({ "query": "{ __typename }" }).to_string()).header("x-api-key", "nope"),
        ),
        (
            "GRAPHQL_PARSE_FAILED",
            200,
            json_post(json!({ "query": "{" }).to_string()),
        ),
    ];
    for (expected, status, request) in cases {
        let before = app.metric(&metric(expected)).await;
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{expected}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(code(&body), expected, "{body}");
        let after = app.metric(&metric(expected)).await;
        assert_eq!(after - before, 1.0, "{expected} counted {}", after - before);
    }
}

/// GraphiQL in a real browser: it renders from local assets, takes the
/// header editor's token, runs a subscription over /graphql/ws with it and
/// shows the notification when it comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_a_signed_in_subscription_in_a_browser() {
    let Some(browser) = common::chromium().or_else(|| {
        common::unavailable(
            "Chromium",
            "no chromium on PATH (make test installs it with apt; or set VITRINE_CHROMIUM)",
        )
    }) else {
        return;
    };
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let ana = app.register("ana-graphiql@example.com", "ana").await;
    let ben = app.register("ben-graphiql@example.com", "ben").await;
    let base = app.url("");
    let report = node(
        "graphiql.mjs",
        &[
            base.trim_end_matches('/'),
            &browser.display().to_string(),
            &ana.access,
            &ben.access,
            &ana.id,
        ],
    )
    .await;
    assert_eq!(report["rendered"], true, "{report:#}");
    assert_eq!(report["headers"], true, "{report:#}");
    assert_eq!(report["transport"], "ws", "{report:#}");
    let notification = &report["response"]["data"]["notificationReceived"];
    assert_eq!(notification["kind"], "FOLLOW", "{report:#}");
    assert_eq!(notification["actor"]["nickname"], "ben", "{report:#}");
    // Everything the page loaded came from this server.
    assert_eq!(
        app.metric("http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}")
            .await,
        0.0
    );
}
