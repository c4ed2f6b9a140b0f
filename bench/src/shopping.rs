//! `make bench-shopping` (COMM-8): `shoppingSuggestions` latency when one
//! external provider times out, against the same request with every
//! provider answering.
//!
//! The server runs in this process on a fresh SQLite database with the three
//! providers configured against one local fake (Naver, Google and Coupang at
//! their documented paths) that answers each call after `--provider-ms`
//! (20 ms, a near provider), with `VITRINE_SHOPPING_TIMEOUT` at
//! `--timeout-ms` (300 ms). One signed-in client sends one request at a time
//! (`first: 20`, a design with a palette, so the own catalogue is searched
//! twice), in these cases:
//!
//! 1. baseline `{ __typename }` (the HTTP and GraphQL floor);
//! 2. all providers answer;
//! 3. Google never answers (the fake sleeps 30 s): the answer must come after
//!    about the timeout, with the others' results;
//! 4. Google answers 500 at once.
//!
//! Reported: p50/p95/p99/max, each p50 and p99 as a ratio to the baseline's
//! and to case 2's, and case 3's p99 over the timeout itself (what the
//! slow provider costs beyond the wait it is allowed). Results:
//! `bench/results/shopping.md`.
use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

#[allow(dead_code)] // `demo_app` is for the benchmarks that seed the demo.
mod harness;
mod stats;
mod upload;

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use clap::Parser;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};
use stats::percentile;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "bench/results/shopping.md")]
    out: PathBuf,
    /// Timed requests per case (after 10 warm-up requests).
    #[arg(long, default_value_t = 100)]
    iterations: usize,
    /// How long the fake takes to answer each provider call, in ms.
    #[arg(long, default_value_t = 20)]
    provider_ms: u64,
    /// VITRINE_SHOPPING_TIMEOUT, in ms.
    #[arg(long, default_value_t = 300)]
    timeout_ms: u64,
}

/// Google's behaviour in the fake.
const GOOGLE_OK: u8 = 0;
const GOOGLE_SLOW: u8 = 1;
const GOOGLE_500: u8 = 2;

#[derive(Clone)]
struct Fake {
    delay: Duration,
    google: Arc<AtomicU8>,
}

fn count(query: &Option<String>, name: &str) -> usize {
    query
        .as_deref()
        .and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
}

async fn naver(
    State(fake): State<Fake>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> impl IntoResponse {
    tokio::time::sleep(fake.delay).await;
    let items: Vec<Value> = (1..=count(&q, "display"))
        .map(|i| json!({ "title": format!("<b>소파</b> {i}"), "link": format!("https://n.example/{i}"),
            "image": "https://n.example/i.jpg", "lprice": "100000", "mallName": "몰", "productId": i.to_string() }))
        .collect();
    Json(json!({ "total": 100, "start": 1, "display": items.len(), "items": items }))
}

async fn google(
    State(fake): State<Fake>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> axum::response::Response {
    match fake.google.load(Ordering::Relaxed) {
        GOOGLE_SLOW => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        GOOGLE_500 => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => {}
    }
    tokio::time::sleep(fake.delay).await;
    let items: Vec<Value> = (1..=count(&q, "num"))
        .map(|i| {
            json!({ "title": format!("소파 {i}"), "link": format!("https://g.example/{i}"),
            "displayLink": "g.example", "cacheId": i.to_string() })
        })
        .collect();
    Json(json!({ "items": items })).into_response()
}

async fn coupang(
    State(fake): State<Fake>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> impl IntoResponse {
    tokio::time::sleep(fake.delay).await;
    let products: Vec<Value> = (1..=count(&q, "limit"))
        .map(|i| json!({ "productId": i, "productName": format!("소파 {i}"), "productPrice": 100000,
            "productImage": "https://c.example/i.jpg", "productUrl": format!("https://c.example/{i}") }))
        .collect();
    Json(json!({ "rCode": "0", "rMessage": "", "data": { "productData": products } }))
}

async fn start_fake(fake: Fake) -> anyhow::Result<String> {
    let router = Router::new()
        .route("/v1/search/shop.json", get(naver))
        .route("/customsearch/v1", get(google))
        .route(
            "/v2/providers/affiliate_open_api/apis/openapi/products/search",
            get(coupang),
        )
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}

async fn gql(
    http: &reqwest::Client,
    endpoint: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let mut req = http
        .post(endpoint)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let body: Value = req.send().await?.json().await?;
    anyhow::ensure!(body.get("errors").is_none(), "{body}");
    Ok(body["data"].clone())
}

struct Case {
    name: &'static str,
    ms: Vec<f64>,
    /// Provider statuses of the last answer, e.g. `NAVER OK 7`.
    statuses: String,
}

impl Case {
    fn p(&self, fraction: f64) -> f64 {
        percentile(&self.ms, fraction)
    }
}

const SUGGEST: &str = "query($d: ID!) { shoppingSuggestions(objectClass: \"couch\", designId: $d, first: 20) { providers { platform status results } edges { node { id platform title url } } } }";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let google = Arc::new(AtomicU8::new(GOOGLE_OK));
    let base = start_fake(Fake {
        delay: Duration::from_millis(args.provider_ms),
        google: google.clone(),
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("shopping.db").display()
    );
    let data_dir = dir.path().join("data").display().to_string();
    let timeout = format!("{}ms", args.timeout_ms);
    let config = harness::config_with(
        &url,
        &data_dir,
        &[
            ("VITRINE_SHOPPING_TIMEOUT", &timeout),
            ("VITRINE_NAVER_BASE_URL", &base),
            ("VITRINE_NAVER_CLIENT_ID", "bench"),
            ("VITRINE_NAVER_CLIENT_SECRET", "bench"),
            ("VITRINE_NAVER_QUOTA", "1000000/1d"),
            ("VITRINE_GOOGLE_CSE_BASE_URL", &base),
            ("VITRINE_GOOGLE_CSE_KEY", "bench"),
            ("VITRINE_GOOGLE_CSE_CX", "bench"),
            ("VITRINE_GOOGLE_CSE_QUOTA", "1000000/1d"),
            ("VITRINE_COUPANG_BASE_URL", &base),
            ("VITRINE_COUPANG_ACCESS_KEY", "bench"),
            ("VITRINE_COUPANG_SECRET_KEY", "bench"),
            ("VITRINE_COUPANG_QUOTA", "1000000/1h"),
        ],
    )?;
    let app = vitrine::build(config).await?;
    let served = harness::serve(app).await?;
    let endpoint = served.endpoint.clone();
    let http = reqwest::Client::new();

    let signed = gql(
        &http,
        &endpoint,
        None,
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        json!({ "i": { "email": "bench@bench.vitrine.dev", "password": "correct-horse-battery", "nickname": "bench" } }),
    )
    .await?;
    let token = signed["register"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no access token"))?
        .to_owned();
    let design = design(&http, &endpoint, &token).await?;
    // References the timed closures copy into each run.
    let (http, endpoint, token, design) =
        (&http, endpoint.as_str(), token.as_str(), design.as_str());

    let mut cases = Vec::new();
    let baseline = measure(
        args.iterations,
        "`{ __typename }` (baseline)",
        move || async move {
            gql(http, endpoint, None, "{ __typename }", json!({})).await?;
            Ok(String::new())
        },
    )
    .await?;
    cases.push(baseline);
    for (mode, name) in [
        (GOOGLE_OK, "every provider answers"),
        (GOOGLE_SLOW, "Google times out"),
        (GOOGLE_500, "Google answers 500"),
    ] {
        google.store(mode, Ordering::Relaxed);
        eprintln!("measuring: {name}…");
        let case = measure(args.iterations, name, move || async move {
            let data = gql(http, endpoint, Some(token), SUGGEST, json!({ "d": design })).await?;
            let providers = data["shoppingSuggestions"]["providers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            Ok(providers
                .iter()
                .map(|p| {
                    format!("{} {} {}", p["platform"], p["status"], p["results"]).replace('"', "")
                })
                .collect::<Vec<_>>()
                .join(", "))
        })
        .await?;
        cases.push(case);
    }
    served.stop().await?;

    let md = report(&args, &cases);
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &md)?;
    println!("{md}");
    Ok(())
}

/// A design with an analysed palette (its photo is brown).
async fn design(http: &reqwest::Client, endpoint: &str, token: &str) -> anyhow::Result<String> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(160, 120, |_, _| Rgb([120, 85, 72])));
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png)?;
    let operations = json!({
        "query": "mutation($i: CreateDesignInput!) { createDesign(input: $i) { id } }",
        "variables": { "i": { "title": "bench room", "style": "MODERN", "roomType": "LIVING_ROOM", "sourceImage": null, "visibility": "PRIVATE" } },
    });
    let form = upload::form(
        &operations,
        reqwest::multipart::Part::bytes(png.into_inner()).file_name("room.png"),
    );
    let body: Value = http
        .post(endpoint)
        .header("apollo-require-preflight", "true")
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    let id = body["data"]["createDesign"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("createDesign: {body}"))?
        .to_owned();
    for _ in 0..200 {
        let d = gql(
            http,
            endpoint,
            Some(token),
            "query($id: ID!) { design(id: $id) { palette } }",
            json!({ "id": id }),
        )
        .await?;
        if d["design"]["palette"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
        {
            return Ok(id);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the design's palette was not analysed")
}

/// 10 untimed then `iterations` timed runs of `run`, one at a time.
async fn measure<F, Fut>(iterations: usize, name: &'static str, run: F) -> anyhow::Result<Case>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    let mut statuses = String::new();
    for _ in 0..10 {
        statuses = run().await?;
    }
    let mut ms = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        statuses = run().await?;
        ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Ok(Case { name, ms, statuses })
}

fn report(args: &Args, cases: &[Case]) -> String {
    let base = &cases[0];
    let all_ok = &cases[1];
    let mut md = format!(
        "# Visual shopping benchmark (`make bench-shopping`)\n\n\
         `shoppingSuggestions(objectClass: \"couch\", first: 20)` for a design with a palette, \
         one request at a time from one client, {} timed requests per case after 10 warm-up \
         ones; the server ({} build) and a fake of the three providers in one process, \
         SQLite. Each provider call answers after {} ms; `VITRINE_SHOPPING_TIMEOUT={}ms`. \
         Generated by `bench/src/shopping.rs`.\n\n\
         | case | p50 ms | p95 ms | p99 ms | max ms | p50 / baseline | p99 / all answer | providers (last answer) |\n\
         |---|---:|---:|---:|---:|---:|---:|---|\n",
        args.iterations,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        args.provider_ms,
        args.timeout_ms
    );
    for case in cases {
        md.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1}× | {:.2}× | {} |\n",
            case.name,
            case.p(0.5),
            case.p(0.95),
            case.p(0.99),
            case.p(1.0),
            case.p(0.5) / base.p(0.5),
            case.p(0.99) / all_ok.p(0.99),
            if case.statuses.is_empty() {
                "-"
            } else {
                &case.statuses
            },
        ));
    }
    let slow = &cases[2];
    md.push_str(&format!(
        "\n- With Google timing out, p99 is **{:.2}×** the timeout ({:.0} ms over it): the \
         answer waits for the slowest provider up to the timeout, no longer, and the other \
         providers' calls run during that wait rather than after it.\n\
         - A provider that fails at once costs nothing over the all-answer case \
         (p50 {:.2}× of it).\n",
        slow.p(0.99) / args.timeout_ms as f64,
        slow.p(0.99) - args.timeout_ms as f64,
        cases[3].p(0.5) / all_ok.p(0.5),
    ));
    md
}
