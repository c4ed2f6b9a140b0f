//! `make bench-search` (SEARCH-1 … SEARCH-4): the demo shop, scaled by bulk
//! copies of its products and posts to 100,000 of each, indexed from
//! scratch by the full rebuild (`vitrine search reindex`'s code) to measure
//! indexing throughput; then `search` and `searchSuggestions` are timed
//! from an HTTP client against the running server on the default (tantivy)
//! backend. Results: `bench/results/search.md`.
use std::{path::PathBuf, time::Instant};

mod harness;
mod scale;
mod stats;

use clap::Parser;
use serde_json::{Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "bench/results/search.md")]
    out: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    products: usize,
    #[arg(long, default_value_t = 100_000)]
    posts: usize,
    /// Timed requests per query (after 20 warm-up requests).
    #[arg(long, default_value_t = 500)]
    iterations: usize,
}

/// Words of the demo data (so every query and prefix finds something; the
/// run stops if one does not).
const QUERIES: &[&str] = &[
    "linen",
    "모던 거실 sofa",
    "오버핏 코튼",
    "캐시미어",
    "minimal vintage",
    "거실 조명",
];

const PREFIXES: &[&str] = &["li", "모던", "오버", "캐시", "ma", "je"];

const SEARCH: &str = "query($q: String!) { search(query: $q, first: 10) {
  users { totalCount edges { node { id nickname } } }
  posts { totalCount edges { node { id body likeCount } } }
  designs { totalCount edges { node { id title } } }
  products { totalCount edges { node { id name price } } }
  stores { totalCount edges { node { id name } } }
  shorts { totalCount edges { node { id title } } } } }";

const SUGGEST: &str =
    "query($p: String!) { searchSuggestions(prefix: $p, first: 10) { text type id } }";

struct Timing {
    p50: f64,
    p99: f64,
    mean: f64,
    requests: usize,
}

/// Round-robins `bodies`: 20 warm-up requests each, then `iterations` timed
/// requests each, one at a time.
async fn measure(
    http: &reqwest::Client,
    endpoint: &str,
    bodies: &[Value],
    iterations: usize,
) -> anyhow::Result<Timing> {
    for body in bodies {
        for _ in 0..20 {
            http.post(endpoint).json(body).send().await?.bytes().await?;
        }
    }
    let mut latencies = Vec::new();
    for i in 0..iterations * bodies.len() {
        let body = &bodies[i % bodies.len()];
        let started = Instant::now();
        let resp: Value = http.post(endpoint).json(body).send().await?.json().await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        if resp.get("errors").is_some() {
            anyhow::bail!("{resp}");
        }
    }
    latencies.sort_by(f64::total_cmp);
    Ok(Timing {
        p50: stats::percentile(&latencies, 0.5),
        p99: stats::percentile(&latencies, 0.99),
        mean: latencies.iter().sum::<f64>() / latencies.len() as f64,
        requests: latencies.len(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let data_dir = dir.path().join("data").display().to_string();
    let (app, _) = harness::demo_app(&url, &data_dir).await?;
    let state = app.state.clone();
    eprintln!(
        "scaling to {} products and {} posts…",
        args.products, args.posts
    );
    scale::scale(&state.db, args.products, args.posts).await?;

    eprintln!("indexing from scratch…");
    let backend = state.search.clone();
    backend.drop_all().await?;
    let started = Instant::now();
    let documents =
        vitrine::domain::search_index::rebuild(&state.db, backend.as_ref(), &|_| {}).await?;
    let index_secs = started.elapsed().as_secs_f64();
    let throughput = documents as f64 / index_secs;
    eprintln!("{documents} documents in {index_secs:.1}s ({throughput:.0}/s)");

    let served = harness::serve(app).await?;
    let http = reqwest::Client::new();
    let endpoint = served.endpoint.clone();
    let search_bodies: Vec<Value> = QUERIES
        .iter()
        .map(|q| json!({ "query": SEARCH, "variables": { "q": q } }))
        .collect();
    let suggest_bodies: Vec<Value> = PREFIXES
        .iter()
        .map(|p| json!({ "query": SUGGEST, "variables": { "p": p } }))
        .collect();
    // Nothing is timed that finds nothing.
    let mut found_per_query = Vec::new();
    for body in &search_bodies {
        let resp: Value = http.post(&endpoint).json(body).send().await?.json().await?;
        let total: u64 = ["users", "posts", "designs", "products", "stores", "shorts"]
            .iter()
            .map(|s| {
                resp["data"]["search"][s]["totalCount"]
                    .as_u64()
                    .unwrap_or(0)
            })
            .sum();
        anyhow::ensure!(total > 0, "no hits for {body}: {resp}");
        found_per_query.push(total);
    }
    for body in &suggest_bodies {
        let resp: Value = http.post(&endpoint).json(body).send().await?.json().await?;
        let n = resp["data"]["searchSuggestions"]
            .as_array()
            .map_or(0, Vec::len);
        anyhow::ensure!(n > 0, "no suggestions for {body}: {resp}");
    }
    let per_query = (args.iterations / QUERIES.len()).max(1);
    eprintln!("timing search…");
    let search = measure(&http, &endpoint, &search_bodies, per_query).await?;
    eprintln!("timing searchSuggestions…");
    let suggest = measure(&http, &endpoint, &suggest_bodies, per_query).await?;
    served.stop().await?;

    let verdict = |p99: f64, target: f64| if p99 <= target { "met" } else { "missed" };
    let report = format!(
        "# Search benchmark\n\n\
Generated by `make bench-search` (`cargo run --release -p vitrine-bench --bin search-bench`) on {date}, \
tantivy backend, SQLite, one client sending one request at a time over HTTP to the server in the same process.\n\n\
Dataset: the demo shop (`seed-demo`) with its products and posts copied until there are \
{products} products and {posts} posts; {documents} documents in all (users, posts, designs, products, stores, shorts).\n\n\
| measure | value |\n|---|---|\n\
| full index build (`vitrine search reindex` code path) | {documents} documents in {index_secs:.1} s = **{throughput:.0} documents/s** |\n\
| `search` (all six sections, first 10 each) p50 / p99 | **{s50:.2} ms / {s99:.2} ms** (mean {smean:.2} ms, {sn} requests; target p99 ≤ 50 ms: {sv}) |\n\
| `searchSuggestions` (≤ 10) p50 / p99 | **{g50:.2} ms / {g99:.2} ms** (mean {gmean:.2} ms, {gn} requests; target p99 ≤ 10 ms: {gv}) |\n\n\
Queries, round-robin: {queries:?} (hits over all sections: {found:?}). \
Prefixes: {prefixes:?} (each returns suggestions; checked before timing).\n",
        date = chrono::Utc::now().format("%Y-%m-%d"),
        products = args.products,
        posts = args.posts,
        s50 = search.p50,
        s99 = search.p99,
        smean = search.mean,
        sn = search.requests,
        sv = verdict(search.p99, 50.0),
        g50 = suggest.p50,
        g99 = suggest.p99,
        gmean = suggest.mean,
        gn = suggest.requests,
        gv = verdict(suggest.p99, 10.0),
        queries = QUERIES,
        prefixes = PREFIXES,
        found = found_per_query,
    );
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &report)?;
    println!("{report}");
    Ok(())
}
