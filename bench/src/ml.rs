//! Recommender benchmark (ML-3, ML-2): exact top-10 by inner product over
//! 10,000, 100,000 and 1,000,000 item vectors (dimension 64) through
//! `ItemIndex`, as serving runs it, single queries and batches of 64, with
//! and without the serving path's exclusions and per-store cap; the
//! baseline is a plain single-threaded Rust scan of the same vectors in the
//! same process. Then the served hybrid's top-10 (`HybridIndex::top_k`,
//! exact: what ranking every row would give) at the same sizes, against
//! the vector index in the same process. Then training throughput:
//! triplets/s of our model next to BPR's pairs/s on one synthetic dataset.
//!
//! `cargo run --release -p vitrine-bench --bin ml-bench` (or `make bench-ml`).
mod stats;

use std::{path::PathBuf, time::Instant};

use clap::Parser;
use rand::{Rng, SeedableRng, rngs::StdRng};
use recommender::{
    bpr::{self, BprConfig},
    data::{CatalogItem, DatasetBuilder, Item, ItemFeatures, Signal},
    hybrid::{HybridConfig, HybridMeta, HybridModel, score::HybridIndex},
    index::{ItemIndex, TopKQuery},
    model::normalize,
    tch::{self, Device, Kind, Tensor},
    train::{self, TrainConfig},
};
use stats::percentile;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sizes: Vec<i64>,
    #[arg(long, default_value_t = 64)]
    dim: i64,
    #[arg(long, default_value_t = 300)]
    queries: usize,
    #[arg(long, default_value = "bench/results/ml.md")]
    out: PathBuf,
}

struct Timing {
    p50: f64,
    p99: f64,
}

fn timing(mut ms: Vec<f64>) -> Timing {
    ms.sort_by(f64::total_cmp);
    Timing {
        p50: percentile(&ms, 0.5),
        p99: percentile(&ms, 0.99),
    }
}

/// The baseline: every dot product in a plain loop, then a partial sort.
fn naive_top10(flat: &[f32], dim: usize, q: &[f32]) -> Vec<(usize, f32)> {
    let mut scores: Vec<(usize, f32)> = flat
        .chunks_exact(dim)
        .enumerate()
        .map(|(row, v)| (row, v.iter().zip(q).map(|(a, b)| a * b).sum()))
        .collect();
    let k = 10.min(scores.len());
    scores.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
    scores.truncate(k);
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

/// Returns (items, single p50 ms) per size.
fn top_k_section(args: &Args, out: &mut String) -> Vec<(i64, f64)> {
    let mut p50s = Vec::new();
    out.push_str(&format!(
        "## Top-10 latency (dimension {}, {} libtorch threads)\n\n",
        args.dim,
        tch::get_num_threads()
    ));
    out.push_str("| items | single p50 ms | single p99 ms | serving path¹ p50 / p99 ms | batch of 64: p50 ms per batch (per query) | p99 ms per batch | naive Rust scan p50 ms | naive / single p50 |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for &n in &args.sizes {
        tch::manual_seed(n);
        let vectors = normalize(&Tensor::randn([n, args.dim], (Kind::Float, Device::Cpu)));
        let ids: Vec<i64> = (0..n).collect();
        let groups: Vec<i64> = (0..n).map(|i| i % 1000).collect();
        let index = ItemIndex::new(vectors.copy(), ids, groups);
        let queries = if n >= 1_000_000 {
            args.queries / 3
        } else {
            args.queries
        };
        let qs = normalize(&Tensor::randn(
            [queries as i64, args.dim],
            (Kind::Float, Device::Cpu),
        ));
        let plain = TopKQuery {
            k: 10,
            ..TopKQuery::default()
        };
        // Warm-up (first-touch of the pages, libtorch's thread pool).
        for i in 0..5 {
            index.top_k(&qs.get(i % queries as i64), &plain);
        }
        let single: Vec<f64> = (0..queries as i64)
            .map(|i| {
                let q = qs.get(i);
                let t = Instant::now();
                let top = index.top_k(&q, &plain);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert_eq!(top.len(), 10);
                ms
            })
            .collect();
        let mut rng = StdRng::seed_from_u64(7);
        let serving: Vec<f64> = (0..queries as i64)
            .map(|i| {
                let exclude: Vec<usize> =
                    (0..50).map(|_| rng.random_range(0..n as usize)).collect();
                let query = TopKQuery {
                    k: 10,
                    exclude: &exclude,
                    per_group: Some(3),
                };
                let q = qs.get(i);
                let t = Instant::now();
                let top = index.top_k(&q, &query);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert_eq!(top.len(), 10);
                ms
            })
            .collect();
        let batches = (queries / 64).max(3);
        let batch: Vec<f64> = (0..batches)
            .map(|b| {
                let start = ((b * 64) % queries.saturating_sub(64).max(1)) as i64;
                let chunk = qs.narrow(0, start, 64.min(queries as i64));
                let t = Instant::now();
                let tops = index.top_k_batch(&chunk, 10);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert_eq!(tops.len(), chunk.size()[0] as usize);
                ms
            })
            .collect();
        let flat: Vec<f32> = Vec::try_from(&vectors.reshape([-1])).expect("vectors");
        let naive_runs = (queries / 10).max(5);
        let naive: Vec<f64> = (0..naive_runs as i64)
            .map(|i| {
                let q: Vec<f32> = Vec::try_from(&qs.get(i)).expect("query");
                let t = Instant::now();
                let top = naive_top10(&flat, args.dim as usize, &q);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert_eq!(top.len(), 10);
                ms
            })
            .collect();
        let (single, serving, batch, naive) = (
            timing(single),
            timing(serving),
            timing(batch),
            timing(naive),
        );
        out.push_str(&format!(
            "| {n} | {:.3} | {:.3} | {:.3} / {:.3} | {:.2} ({:.3}) | {:.2} | {:.2} | {:.1}× |\n",
            single.p50,
            single.p99,
            serving.p50,
            serving.p99,
            batch.p50,
            batch.p50 / 64.0,
            batch.p99,
            naive.p50,
            naive.p50 / single.p50
        ));
        println!(
            "top-10 over {n}: single p50 {:.3} ms, p99 {:.3} ms",
            single.p50, single.p99
        );
        p50s.push((n, single.p50));
    }
    out.push_str("\n¹ 50 excluded rows and at most 3 results per store (1,000 stores), as `recommendedProducts` asks.\n\n");
    p50s
}

/// A hybrid over `n` items with `width` random neighbours each, 1,000 stores.
fn synthetic_hybrid(n: usize, width: usize) -> (HybridModel, Vec<CatalogItem>) {
    tch::manual_seed(n as i64);
    let neighbours = Tensor::randint(
        n as i64,
        [n as i64, width as i64],
        (Kind::Int64, Device::Cpu),
    );
    let weights = Tensor::rand([n as i64, width as i64], (Kind::Float, Device::Cpu));
    let mut rng = StdRng::seed_from_u64(n as u64);
    let model = HybridModel {
        meta: HybridMeta {
            config: HybridConfig::default(),
            scales: [1.0; 4],
            ids: (0..n as i64).collect(),
            popularity: (0..n).map(|_| rng.random_range(0..10_000)).collect(),
            idf: Default::default(),
        },
        neighbours,
        weights,
    };
    let catalogue = (0..n as i64)
        .map(|id| CatalogItem {
            id,
            name: String::new(),
            store_id: id % 1000,
            features: ItemFeatures::default(),
        })
        .collect();
    (model, catalogue)
}

fn hybrid_section(args: &Args, out: &mut String, vector_p50: &[(i64, f64)]) {
    let width = HybridConfig::default().neighbours;
    out.push_str(&format!(
        "## The served hybrid: top-10 latency ({width} neighbours per item)\n\n"
    ));
    out.push_str("A history of 20 items; the serving path excludes them and 30 more rows and keeps at most 3 results per store (1,000 stores). `top_k` reads only the history's neighbour lists and merges them with the rest of the catalogue in popularity order: exact, the same answer as ranking every row (a unit test checks this), so its cost does not grow with the catalogue. Dense: every row's score, then the vector index's `top_k_of_scores`.\n\n");
    out.push_str("| items | top_k p50 ms | top_k p99 ms | serving path p50 / p99 ms | dense (every row) p50 ms | vector index single p50 ms | vector / hybrid p50 |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|\n");
    for &n in &args.sizes {
        let n = n as usize;
        let (model, catalogue) = synthetic_hybrid(n, width);
        let index = HybridIndex::build(&model, &catalogue);
        drop(model);
        let groups: Vec<i64> = catalogue.iter().map(|c| c.store_id).collect();
        let mut rng = StdRng::seed_from_u64(11);
        let queries = args.queries;
        let histories: Vec<Vec<(usize, f32)>> = (0..queries)
            .map(|_| {
                (0..20)
                    .map(|_| (rng.random_range(0..n), rng.random_range(1.0..5.0)))
                    .collect()
            })
            .collect();
        let plain = TopKQuery {
            k: 10,
            ..TopKQuery::default()
        };
        for h in histories.iter().take(5) {
            index.top_k(h, &[], &plain);
        }
        let single: Vec<f64> = histories
            .iter()
            .map(|h| {
                let t = Instant::now();
                let top = index.top_k(h, &[], &plain);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert_eq!(top.len(), 10);
                ms
            })
            .collect();
        let serving: Vec<f64> = histories
            .iter()
            .map(|h| {
                let mut exclude: Vec<usize> = h.iter().map(|x| x.0).collect();
                exclude.extend((0..30).map(|_| rng.random_range(0..n)));
                let query = TopKQuery {
                    k: 10,
                    exclude: &exclude,
                    per_group: Some(3),
                };
                let t = Instant::now();
                let top = index.top_k(h, &[], &query);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert_eq!(top.len(), 10);
                ms
            })
            .collect();
        let dense: Vec<f64> = histories
            .iter()
            .take((queries / 3).max(5))
            .map(|h| {
                let t = Instant::now();
                let scores = index.scores(h, &[]);
                let top = recommender::index::top_k_of_scores(scores, &groups, &plain);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert_eq!(top.len(), 10);
                ms
            })
            .collect();
        let (single, serving, dense) = (timing(single), timing(serving), timing(dense));
        let vector = vector_p50
            .iter()
            .find(|(size, _)| *size as usize == n)
            .map_or(f64::NAN, |v| v.1);
        out.push_str(&format!(
            "| {n} | {:.3} | {:.3} | {:.3} / {:.3} | {:.3} | {:.3} | {:.1}× |\n",
            single.p50,
            single.p99,
            serving.p50,
            serving.p99,
            dense.p50,
            vector,
            vector / single.p50
        ));
        println!(
            "hybrid top-10 over {n}: p50 {:.3} ms, p99 {:.3} ms",
            single.p50, single.p99
        );
    }
    out.push('\n');
}

fn training_section(out: &mut String) -> anyhow::Result<()> {
    // 5,000 items in 50 clusters, 3,000 users buying 30 items in one cluster.
    let mut b = DatasetBuilder::new("synthetic");
    for id in 0..5000i64 {
        b.item(Item {
            id,
            name: String::new(),
            features: ItemFeatures {
                category: vec![format!("c{}", id % 50)],
                colors: vec![format!("colour{}", id % 7)],
                price: 1000.0 + (id % 97) as f64 * 100.0,
                store: Some(format!("s{}", id % 40)),
                ..ItemFeatures::default()
            },
        });
    }
    let mut rng = StdRng::seed_from_u64(1);
    for user in 0..3000i64 {
        let cluster = rng.random_range(0..50i64);
        for step in 0..30 {
            let item = cluster + 50 * rng.random_range(0..100i64);
            b.interaction(user, item, Signal::Purchase, step * 3600);
        }
    }
    let data = b.build();
    let config = TrainConfig {
        epochs: 2,
        ..TrainConfig::default()
    };
    let started = Instant::now();
    let trained = train::train(&data, &config, Device::Cpu, &mut |_| {})?;
    let ours_secs = started.elapsed().as_secs_f64();
    let ours = trained.epochs.last().map_or(0.0, |e| e.triplets_per_sec);
    let bpr_config = BprConfig {
        epochs: 2,
        ..BprConfig::default()
    };
    let pairs = {
        let mut set = std::collections::HashSet::new();
        for i in &data.interactions {
            set.insert((i.user, i.item));
        }
        set.len()
    };
    let started = Instant::now();
    bpr::train(&data, &bpr_config, Device::Cpu, &mut |_, _| {})?;
    let bpr_secs = started.elapsed().as_secs_f64();
    let bpr_rate = (pairs * bpr_config.epochs) as f64 / bpr_secs;
    out.push_str("## Training throughput (CPU)\n\n");
    out.push_str(&format!(
        "Synthetic: {} users, {} items, {} interactions, {} (anchor, positive) pairs; 2 epochs each.\n\n",
        data.users.len(),
        data.items.len(),
        data.interactions.len(),
        trained.pairs
    ));
    out.push_str("| model | samples/s | wall s | relative |\n|---|---:|---:|---:|\n");
    out.push_str(&format!(
        "| ours: triplets (3 tower passes, sampled negatives) | {ours:.0} | {ours_secs:.1} | {:.2}× BPR |\n",
        ours / bpr_rate
    ));
    out.push_str(&format!(
        "| BPR-MF: (user, item, negative) samples | {bpr_rate:.0} | {bpr_secs:.1} | 1.00× |\n"
    ));
    println!("training: ours {ours:.0} triplets/s, BPR {bpr_rate:.0} samples/s");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut out = String::from("# Recommender benchmark\n\n");
    out.push_str(&format!(
        "`cargo run --release -p vitrine-bench --bin ml-bench`; {} CPU threads available, CUDA {}.\n\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if tch::Cuda::is_available() { "available (not used here)" } else { "not available" }
    ));
    let vector_p50 = top_k_section(&args, &mut out);
    hybrid_section(&args, &mut out, &vector_p50);
    training_section(&mut out)?;
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &out)?;
    println!("written: {}", args.out.display());
    Ok(())
}
