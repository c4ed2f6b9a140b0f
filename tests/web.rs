//! The reference web client (issue 23) in a real browser: Playwright
//! (`playwright-core`, tests/web-e2e) drives Debian's Chromium through the
//! built app (`web/dist`, `make web-build`) served by this server at `/`,
//! on SQLite with the demo shop and community, in persisted-only mode (so
//! an operation outside the frontend contract fails). Screenshots of every
//! page go to reports/web/; axe-core runs on each page; the product list's
//! first contentful paint and the JavaScript it loads are measured.
mod common;

use std::{path::PathBuf, time::Duration};

use common::{Backend, TestApp};
use serde_json::Value;

/// The budgets of the issue: first contentful paint of the product list
/// on loopback, and the gzip size of the JavaScript it loads.
const FCP_BUDGET_MS: f64 = 1500.0;
const BUNDLE_BUDGET_BYTES: f64 = 300.0 * 1024.0;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_web_client_works_end_to_end_in_a_browser() {
    let Some(browser) = common::chromium().or_else(|| {
        common::unavailable(
            "Chromium",
            "no chromium on PATH (make test installs it with apt; or set VITRINE_CHROMIUM)",
        )
    }) else {
        return;
    };
    let dist = root().join("web/dist");
    if !dist.join("index.html").is_file() {
        let _: Option<()> = common::unavailable(
            "web build",
            "web/dist is not built (make test runs `make web-build` first)",
        );
        return;
    }
    let e2e = root().join("tests/web-e2e");
    common::realtime::npm_ci(&e2e, "playwright-core");
    let dist = dist.display().to_string();
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("VITRINE_WEB_DIR", dist.as_str()),
            ("VITRINE_PERSISTED_ONLY", "true"),
            // The help assistant's offline answer streams at its default pace
            // (the test harness sets none).
            ("VITRINE_ASSISTANT_PACE", "15ms"),
            // Several browsers sign in from one address within seconds.
            ("VITRINE_RATE_LIMIT_AUTH", "1000/60s"),
            ("VITRINE_RATE_LIMIT_USER", "1000000/60s"),
            ("VITRINE_RATE_LIMIT_IP", "1000000/60s"),
        ],
    )
    .await
    else {
        return;
    };
    vitrine::demo::seed(&app.state, 42, 12, 6)
        .await
        .expect("the demo seeds");
    // This run's screenshots only (a failure's from an earlier run would
    // mislead).
    let reports = root().join("reports/web");
    let _ = std::fs::remove_dir_all(&reports);
    std::fs::create_dir_all(&reports).unwrap();
    let base = app.url("");
    let run = tokio::process::Command::new("node")
        .arg("run.mjs")
        .arg(base.trim_end_matches('/'))
        .arg(&browser)
        .arg(&reports)
        .current_dir(&e2e)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the browser tests finish within 10 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| {
            panic!("no JSON report from run.mjs\nstdout:\n{stdout}\nstderr:\n{stderr}")
        });
    std::fs::write(
        reports.join("report.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    let scenarios = report["scenarios"].as_object().expect("scenarios");
    let failed: Vec<String> = scenarios
        .iter()
        .filter(|(_, s)| s["ok"] != true)
        .map(|(name, s)| format!("{name}: {}", s["error"]))
        .collect();
    assert!(
        failed.is_empty(),
        "scenarios failed:\n{}\n\nstderr:\n{stderr}",
        failed.join("\n")
    );
    for expected in [
        "shop",
        "community",
        "design",
        "notifications",
        "chat",
        "search",
        "assistant",
        "seller_admin",
        "push",
    ] {
        assert!(
            scenarios.contains_key(expected),
            "scenario {expected} did not run: {report:#}"
        );
    }
    for (page, axe) in report["axe"].as_object().expect("axe results") {
        assert_eq!(axe["serious"], 0, "{page}: {axe}");
        assert_eq!(axe["critical"], 0, "{page}: {axe}");
    }
    let fcp = report["fcpMs"].as_f64().expect("fcpMs");
    assert!(
        fcp > 0.0 && fcp < FCP_BUDGET_MS,
        "first contentful paint {fcp} ms"
    );
    let bundle = report["bundleGzipBytes"].as_f64().expect("bundleGzipBytes");
    assert!(
        bundle > 0.0 && bundle < BUNDLE_BUDGET_BYTES,
        "JavaScript {bundle} bytes gzip"
    );
    assert_eq!(report["ok"], true, "{report:#}");
}

/// The built app is served at `/` with the headers production needs:
/// hashed assets cached for a year, the shell revalidated and under a
/// content-security policy, client-side routes answered with the shell,
/// and the API's paths never swallowed by it.
#[tokio::test]
async fn the_built_app_is_served_with_cache_headers_and_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><head><script type=\"module\" src=\"/assets/app-1a2b3c.js\"></script></head><body><div id=\"root\"></div></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("assets/app-1a2b3c.js"),
        "console.log('app')",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sw.js"),
        "self.addEventListener('push', () => {})",
    )
    .unwrap();
    let web_dir = dir.path().display().to_string();
    let Some(app) =
        TestApp::spawn_with(Backend::Sqlite, &[("VITRINE_WEB_DIR", web_dir.as_str())]).await
    else {
        return;
    };
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(app.url(path)).send();

    let shell = get("/").await.unwrap();
    assert_eq!(shell.status(), 200);
    let headers = shell.headers().clone();
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(shell.text().await.unwrap().contains("id=\"root\""));

    let asset = get("/assets/app-1a2b3c.js").await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(asset.headers().get("content-security-policy").is_none());
    let etag = asset.headers().get("last-modified").cloned();
    assert!(etag.is_some(), "revalidation needs a validator");

    // A client-side route gets the shell; a missing file does not.
    let route = get("/products/UHJvZHVjdDox").await.unwrap();
    assert_eq!(route.status(), 200);
    assert!(route.text().await.unwrap().contains("id=\"root\""));
    assert_eq!(get("/assets/missing-000.js").await.unwrap().status(), 404);
    assert_eq!(get("/favicon.ico").await.unwrap().status(), 404);

    let worker = get("/sw.js").await.unwrap();
    assert_eq!(worker.headers()["cache-control"], "no-cache");
    assert_eq!(worker.headers()["service-worker-allowed"], "/");

    // The API keeps its paths.
    assert_eq!(get("/graphql/nothing").await.unwrap().status(), 404);
    assert_eq!(get("/files/missing-key").await.unwrap().status(), 404);
    let api = http
        .post(app.url("/graphql"))
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
}
