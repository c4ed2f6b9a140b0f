//! `make bench`: spawns the real server on a random port against a fresh
//! embedded database filled by `seed-demo`, then drives it over HTTP.
//!
//! Product list (issue: commerce): `products(first: N)` with each product's
//! store, images, first 3 shorts, rating and the viewer's wishlist flag, at
//! N = 10 and 100. Reports SQL statements per request (from
//! `db_statements_total`, counted in the same process) and latency
//! percentiles, with every latency also given as a ratio to a baseline
//! request (`{ __typename }`) measured in the same run.
use std::{path::PathBuf, time::Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Markdown file the results are written to.
    #[arg(long, default_value = "bench/results/product-list.md")]
    out: PathBuf,
    /// Timed requests per case (after 20 warm-up requests).
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Database to run against; default: a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
}

const PRODUCT_LIST: &str =
    "query($n: Int!) { products(first: $n) { edges { node { id name price rating inMyWishlist
    store { id name } images { url } shorts(first: 3) { edges { node { id title } } } } } } }";

struct Case {
    name: String,
    statements_per_request: f64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let data_dir = dir.path().join("data").display().to_string();
    let loader_delay = std::env::var("VITRINE_LOADER_DELAY").unwrap_or_else(|_| "1ms".into());
    let vars = [
        ("VITRINE_LOADER_DELAY", loader_delay.as_str()),
        ("DATABASE_URL", url.as_str()),
        ("VITRINE_DATA_DIR", data_dir.as_str()),
        ("VITRINE_LOG", "warn"),
        (
            "VITRINE_JWT_SECRET",
            "bench-secret-bench-secret-bench-secret-0000",
        ),
    ];
    let config = vitrine::config::Config::from_lookup(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    })?;
    let app = vitrine::build(config).await?;
    let state = app.state.clone();
    eprintln!("seeding the demo shop…");
    let summary = vitrine::demo::seed(&state, 42, 50, 40).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::new();
    let endpoint = format!("http://{addr}/graphql");
    let login: Value = http
        .post(&endpoint)
        .json(&json!({ "query": "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken } }",
                       "variables": { "e": "buyer01@demo.vitrine.dev", "p": vitrine::demo::USER_PASSWORD } }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
        .to_owned();

    let mut cases = Vec::new();
    for (name, query, vars) in [
        (
            "baseline `{ __typename }`".to_owned(),
            "{ __typename }",
            json!({}),
        ),
        (
            "products(first: 10)".to_owned(),
            PRODUCT_LIST,
            json!({ "n": 10 }),
        ),
        (
            "products(first: 100)".to_owned(),
            PRODUCT_LIST,
            json!({ "n": 100 }),
        ),
    ] {
        let body = json!({ "query": query, "variables": vars });
        for _ in 0..20 {
            http.post(&endpoint)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
                .bytes()
                .await?;
        }
        let before = state.metrics.db_statements.get();
        let mut latencies = Vec::with_capacity(args.iterations);
        for _ in 0..args.iterations {
            let started = Instant::now();
            let resp: Value = http
                .post(&endpoint)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            if resp.get("errors").is_some() {
                anyhow::bail!("{name}: {resp}");
            }
        }
        let statements =
            (state.metrics.db_statements.get() - before) as f64 / args.iterations as f64;
        latencies.sort_by(f64::total_cmp);
        cases.push(Case {
            name,
            statements_per_request: statements,
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
            mean_ms: latencies.iter().sum::<f64>() / latencies.len() as f64,
        });
    }
    let _ = stop.send(());
    server.await??;

    let baseline = cases[0].p50_ms;
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let mut report = format!(
        "# Product list benchmark\n\n{backend}, demo data ({} products, {} shorts), {} timed requests per case after 20 warm-up, \
         one client, sequential, over HTTP on loopback. Signed in as a buyer (so the viewer is loaded and the wishlist flag is real).\n\n\
         | case | SQL statements / request | p50 ms | p99 ms | mean ms | p50 ÷ baseline p50 |\n|---|---|---|---|---|---|\n",
        summary.products, summary.shorts, args.iterations
    );
    for c in &cases {
        report.push_str(&format!(
            "| {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.1}× |\n",
            c.name,
            c.statements_per_request,
            c.p50_ms,
            c.p99_ms,
            c.mean_ms,
            c.p50_ms / baseline
        ));
    }
    println!("{report}");
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, report)?;
    eprintln!("written to {}", args.out.display());
    Ok(())
}
