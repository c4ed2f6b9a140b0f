//! `make bench-seo` (COMM-10): the sitemap of a catalogue of 200,000
//! products (the demo shop scaled by bulk copies) and 20,000 posts, served
//! by the running server. Measured from an HTTP client: the index (cold:
//! one pass over every section's ids; warm: from the cache), then every
//! partition cold (read in keyset pages and streamed) and warm, with the
//! bytes and URLs of each; the baseline is the same rows read with one
//! plain `SELECT id, updated_at … ORDER BY id` in the same process, so the
//! ratio is what writing XML and HTTP add to reading the data. Peak memory
//! is the process's high-water mark (`VmHWM`). Results:
//! `bench/results/seo.md`.
use std::{path::PathBuf, time::Instant};

mod harness;
mod scale;

use clap::Parser;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use vitrine::entities::product::{self, ProductStatus};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "bench/results/seo.md")]
    out: PathBuf,
    #[arg(long, default_value_t = 200_000)]
    products: usize,
    #[arg(long, default_value_t = 20_000)]
    posts: usize,
}

/// The process's peak resident memory in MiB (Linux), or 0.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

struct Fetched {
    secs: f64,
    bytes: usize,
    urls: usize,
    cache: String,
}

async fn fetch(http: &reqwest::Client, url: &str) -> anyhow::Result<Fetched> {
    let started = Instant::now();
    let resp = http.get(url).send().await?;
    anyhow::ensure!(resp.status().is_success(), "{url}: {}", resp.status());
    let cache = resp
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let body = resp.text().await?;
    Ok(Fetched {
        secs: started.elapsed().as_secs_f64(),
        bytes: body.len(),
        urls: body.matches("<loc>").count(),
        cache,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("seo.db").display());
    let data_dir = dir.path().join("data").display().to_string();
    let (app, _) = harness::demo_app(&url, &data_dir).await?;
    let state = app.state.clone();
    eprintln!(
        "scaling to {} products and {} posts…",
        args.products, args.posts
    );
    scale::scale(&state.db, args.products, args.posts).await?;
    let rss_before = peak_rss_mib();
    let served = harness::serve(app).await?;
    let origin = served.endpoint.trim_end_matches("/graphql").to_owned();
    let http = reqwest::Client::new();

    let index_cold = fetch(&http, &format!("{origin}/sitemap.xml")).await?;
    let index_warm = fetch(&http, &format!("{origin}/sitemap.xml")).await?;
    let body = http
        .get(format!("{origin}/sitemap.xml"))
        .send()
        .await?
        .text()
        .await?;
    let files: Vec<String> = body
        .split("<loc>")
        .skip(1)
        .filter_map(|s| s.split("</loc>").next())
        .filter_map(|loc| loc.rsplit('/').next())
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for file in &files {
        let url = format!("{origin}/sitemaps/{file}");
        let cold = fetch(&http, &url).await?;
        let warm = fetch(&http, &url).await?;
        eprintln!(
            "{file}: {} URLs, {:.1} MiB, cold {:.0} ms ({}), warm {:.0} ms ({})",
            cold.urls,
            cold.bytes as f64 / 1_048_576.0,
            cold.secs * 1e3,
            cold.cache,
            warm.secs * 1e3,
            warm.cache
        );
        rows.push((file.clone(), cold, warm));
    }
    // The floor: the first products partition's rows, read plainly.
    let started = Instant::now();
    let plain: Vec<(i64, chrono::DateTime<chrono::Utc>)> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::UpdatedAt)
        .filter(product::Column::Status.eq(ProductStatus::Active))
        .order_by_asc(product::Column::Id)
        .limit(vitrine::domain::seo::URLS_PER_SITEMAP)
        .into_tuple()
        .all(&state.db)
        .await?;
    let floor = started.elapsed().as_secs_f64();
    let first = rows
        .iter()
        .find(|(f, ..)| f == "products-1.xml")
        .ok_or_else(|| anyhow::anyhow!("no products-1.xml"))?;
    let ratio = first.1.secs / floor;
    let peak = peak_rss_mib();
    served.stop().await?;

    let mut md = format!(
        "# Sitemap benchmark (`make bench-seo`)\n\n\
         {} products (demo shop scaled by bulk copies) and {} posts on SQLite, served by the \
         release build on this machine, fetched from an HTTP client in the same process. \
         Generated by `bench/src/seo.rs`.\n\n\
         | file | URLs | size | cold | warm (cache) |\n|---|---:|---:|---:|---:|\n\
         | `sitemap.xml` (index) | {} | {:.1} KiB | {:.0} ms | {:.1} ms ({}) |\n",
        args.products,
        args.posts,
        index_cold.urls,
        index_cold.bytes as f64 / 1024.0,
        index_cold.secs * 1e3,
        index_warm.secs * 1e3,
        index_warm.cache,
    );
    for (file, cold, warm) in &rows {
        md.push_str(&format!(
            "| `{file}` | {} | {:.1} MiB | {:.0} ms | {:.0} ms ({}) |\n",
            cold.urls,
            cold.bytes as f64 / 1_048_576.0,
            cold.secs * 1e3,
            warm.secs * 1e3,
            warm.cache
        ));
    }
    md.push_str(&format!(
        "\n- Partitions: {} ({} of products).\n\
         - Baseline: reading `products-1.xml`'s {} rows with one plain `SELECT id, updated_at` \
         takes {:.0} ms; serving the partition cold takes **{ratio:.2}×** that (keyset pages of \
         5,000, XML, HTTP).\n\
         - Peak memory of the whole process: {peak:.0} MiB (after seeding, before serving: \
         {rss_before:.0} MiB).\n",
        files.len(),
        files.iter().filter(|f| f.starts_with("products")).count(),
        plain.len(),
        floor * 1e3,
    ));
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &md)?;
    println!("{md}");
    Ok(())
}
