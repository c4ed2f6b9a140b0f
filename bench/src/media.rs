//! `make bench-media` (issue 16): what the media jobs cost per image, and
//! how long a design generation takes from request to notification.
//!
//! 1. Colour analysis, as `COLOR_ANALYSIS` does it per image
//!    (`image::load_from_memory`, then `color::analyze`), on a synthetic
//!    photo-like 4000×3000 JPEG built here (a wall lit from a window, a
//!    planked floor, a sofa, a rug, a plant, sensor noise).
//! 2. Offline generation, as `DESIGN_GENERATION`'s offline tier does it
//!    (decode, stage 1 `describe`, stage 2 `generate`, PNG encode), on a
//!    1600×1200 room photo and on the 4000×3000 one.
//! 3. Image variants, as `IMAGE_VARIANTS` does it
//!    (`uploads::variants::encode`: 320 px WebP thumbnail and full-size
//!    WebP), on the 4000×3000 JPEG.
//!
//!    Baseline of 1–3: decoding the same JPEG, in the same process. All on
//!    one thread, as a job runs them (on one blocking thread each).
//! 4. `generateDesign` → DESIGN_READY: the server in this process on a fresh
//!    SQLite database, its only provider `openai`, played by a fake OpenAI
//!    on loopback that answers each call after 200 ms; per user, a
//!    graphql-transport-ws socket subscribed to `notificationReceived`.
//!    Latency = the multipart mutation sent → DESIGN_READY received on the
//!    owner's socket, at 1 request at a time and at 20 at once. Baseline:
//!    the provider floor, the fake's own measured sleep per design (2 calls
//!    × 200 ms). The job's queue wait (enqueue → claim) and run (claim →
//!    done) are read from the `jobs` table afterwards.
//!
//! Results: `bench/results/media.md`.
use std::{hint::black_box, io::Cursor, path::PathBuf, time::Instant};

#[allow(dead_code)] // `demo_app` is for the HTTP benchmarks.
mod harness;
mod media_e2e;
mod stats;
mod upload;

use clap::Parser;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, codecs::jpeg::JpegEncoder};
use media_e2e::E2eRow;
use vitrine::domain::{
    color,
    community::generation::offline,
    uploads::variants::{self, THUMBNAIL_EDGE},
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "bench/results/media.md")]
    out: PathBuf,
    /// Timed runs of each per-image measure (after `--warmup` untimed ones).
    #[arg(long, default_value_t = 40)]
    iterations: usize,
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Timed runs of the offline generation of the 4000×3000 photo.
    #[arg(long, default_value_t = 10)]
    large_generation_iterations: usize,
    /// How long the fake provider takes to answer each call, in ms.
    #[arg(long, default_value_t = 200)]
    provider_ms: u64,
    /// Designs generated one at a time.
    #[arg(long, default_value_t = 10)]
    sequential: usize,
    /// Users sending one request each at the same moment, per round.
    #[arg(long, default_value_t = 20)]
    concurrency: usize,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Only the per-image measures (1–3), no server.
    #[arg(long)]
    no_server: bool,
}

// ------------------------------------------------------------ per image

/// p50/p99 (nearest rank) of a series of milliseconds.
#[derive(Clone, Copy)]
struct Timing {
    p50: f64,
    p99: f64,
    n: usize,
}

impl Timing {
    fn of(mut ms: Vec<f64>) -> Self {
        ms.sort_by(f64::total_cmp);
        Self {
            p50: stats::percentile(&ms, 0.5),
            p99: stats::percentile(&ms, 0.99),
            n: ms.len(),
        }
    }
}

/// Runs `f` `warmup` times, then times it `iterations` times.
fn timed(
    label: &str,
    warmup: usize,
    iterations: usize,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Timing> {
    for _ in 0..warmup {
        f()?;
    }
    let mut ms = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let started = Instant::now();
        f()?;
        ms.push(started.elapsed().as_secs_f64() * 1e3);
        eprint!("\r   {label}: {}/{iterations}", i + 1);
    }
    eprintln!();
    Ok(Timing::of(ms))
}

/// A photo-like room: a warm wall lit from a window on the left, a planked
/// floor, a teal sofa, a terracotta rug, a plant, and sensor noise (so the
/// JPEG is photo-sized and the palette is not trivial).
fn room(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = seed | 1;
    let inside = |fx: f32, fy: f32, [x0, y0, x1, y1]: [f32; 4]| {
        (x0..x1).contains(&fx) && (y0..y1).contains(&fy)
    };
    let planks = (w / 14).max(1);
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let light = 1.0 - 0.45 * fx;
        let mut c: [f32; 3] = if fy < 0.62 {
            [214.0, 200.0, 178.0].map(|v| v * (0.72 + 0.28 * light))
        } else {
            let plank = ((x / planks) % 2) as f32 * 14.0 + ((y / 7) % 3) as f32 * 2.0;
            [150.0, 104.0, 66.0].map(|v| (v - plank) * (0.7 + 0.35 * fy) * (0.85 + 0.15 * light))
        };
        if inside(fx, fy, [0.06, 0.10, 0.28, 0.52]) {
            c = [196.0, 218.0, 242.0].map(|v| v * (0.92 + 0.08 * fy));
        } else if inside(fx, fy, [0.42, 0.46, 0.86, 0.74]) {
            let shade = if fy < 0.56 { 1.0 } else { 0.82 };
            c = [38.0, 112.0, 120.0].map(|v| v * shade * (0.8 + 0.2 * light));
        } else if ((fx - 0.6) / 0.24).powi(2) + ((fy - 0.86) / 0.08).powi(2) < 1.0 {
            c = [178.0, 76.0, 54.0];
        } else if inside(fx, fy, [0.88, 0.36, 0.96, 0.66]) {
            c = [58.0, 112.0, 48.0].map(|v| v * (0.7 + 0.3 * ((x / 9 + y / 13) % 3) as f32 / 2.0));
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let common = ((rng >> 8) % 21) as f32 - 10.0;
        let [a, b, d] = [(rng >> 20) % 7, (rng >> 28) % 7, (rng >> 36) % 7].map(|n| n as f32 - 3.0);
        Rgb([c[0] + common + a, c[1] + common + b, c[2] + common + d]
            .map(|v| v.round().clamp(0.0, 255.0) as u8))
    })
}

fn jpeg(image: &RgbImage, quality: u8) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(image)?;
    Ok(out)
}

fn png(image: &RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image.clone()).write_to(&mut out, ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// One per-image row: the work and its decode baseline.
struct ImageRow {
    work: &'static str,
    input: String,
    timing: Timing,
    decode: Timing,
}

/// The same as `generation::offline_tiers` (private) on a decodable image:
/// decode, describe, generate, PNG.
fn offline_generation(bytes: &[u8], style: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let image = image::load_from_memory(bytes)?;
    let description = offline::describe(&image);
    Ok((description, png(&offline::generate(&image, style))?))
}

fn per_image(args: &Args, large: &[u8], medium: &[u8]) -> anyhow::Result<(Vec<ImageRow>, String)> {
    let (it, wu) = (args.iterations, args.warmup);
    let decode = |bytes: &[u8]| -> anyhow::Result<()> {
        black_box(image::load_from_memory(bytes)?);
        Ok(())
    };
    eprintln!(">> per image, one thread: decode baselines");
    let decode_large = timed("decode 4000×3000 JPEG", wu, it, || decode(large))?;
    let decode_medium = timed("decode 1600×1200 JPEG", wu, it, || decode(medium))?;

    eprintln!(">> colour analysis (COLOR_ANALYSIS's work per image)");
    // As `color::store::run`: decode, then analyse.
    let analysis = image::load_from_memory(large)
        .map(|image| color::analyze(&image))?
        .ok_or_else(|| anyhow::anyhow!("the synthetic photo has no palette"))?;
    anyhow::ensure!(
        analysis.palette.len() >= 3,
        "the synthetic photo's palette is trivial: {:?}",
        analysis.palette
    );
    let palette = format!(
        "{} colours ({}), theme {}",
        analysis.palette.len(),
        analysis
            .palette
            .iter()
            .map(|s| format!("{} {:.0}%", s.hex(), s.share * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
        analysis.theme.as_str()
    );
    let colours = timed("decode + color::analyze 4000×3000", wu, it, || {
        black_box(image::load_from_memory(large).map(|image| color::analyze(&image))?);
        Ok(())
    })?;

    eprintln!(">> offline generation (DESIGN_GENERATION's offline tier)");
    let (_, generated) = offline_generation(medium, "SCANDINAVIAN")?;
    let out = image::load_from_memory(&generated)?;
    anyhow::ensure!(
        out.width().max(out.height()) == offline::MAX_SIDE,
        "offline generation made {}×{}",
        out.width(),
        out.height()
    );
    let gen_medium = timed("offline generation 1600×1200", wu, it, || {
        black_box(offline_generation(medium, "SCANDINAVIAN")?);
        Ok(())
    })?;
    let gen_large = timed(
        "offline generation 4000×3000",
        1,
        args.large_generation_iterations,
        || {
            black_box(offline_generation(large, "SCANDINAVIAN")?);
            Ok(())
        },
    )?;

    eprintln!(">> image variants (IMAGE_VARIANTS's work per image)");
    let v = variants::encode(large, false)?;
    let thumb = image::load_from_memory(&v.thumbnail)?;
    anyhow::ensure!(
        (v.width, v.height) == (4000, 3000)
            && thumb.width().max(thumb.height()) == THUMBNAIL_EDGE
            && v.webp.is_some(),
        "unexpected variants"
    );
    let sizes = format!(
        "thumbnail {:.1} KB, full-size WebP {:.0} KB",
        v.thumbnail.len() as f64 / 1e3,
        v.webp.as_ref().map_or(0, Vec::len) as f64 / 1e3
    );
    let variants_large = timed("uploads::variants::encode 4000×3000", wu, it, || {
        black_box(variants::encode(large, false)?);
        Ok(())
    })?;

    let rows = vec![
        ImageRow {
            work: "colour analysis (decode + `color::analyze`)",
            input: "4000×3000 JPEG".into(),
            timing: colours,
            decode: decode_large,
        },
        ImageRow {
            work: "offline generation (decode + `describe` + `generate` + PNG)",
            input: "1600×1200 JPEG".into(),
            timing: gen_medium,
            decode: decode_medium,
        },
        ImageRow {
            work: "offline generation (decode + `describe` + `generate` + PNG)",
            input: "4000×3000 JPEG".into(),
            timing: gen_large,
            decode: decode_large,
        },
        ImageRow {
            work: "image variants (`uploads::variants::encode`: 320 px + full-size WebP)",
            input: "4000×3000 JPEG".into(),
            timing: variants_large,
            decode: decode_large,
        },
    ];
    Ok((
        rows,
        format!("Palette of the 4000×3000 photo: {palette}. Variants: {sizes}."),
    ))
}

// ------------------------------------------------------------ report

fn report(
    args: &Args,
    sizes: [usize; 3],
    image_rows: &[ImageRow],
    notes: &str,
    e2e: &[E2eRow],
) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut out = format!(
        "# Media benchmark\n\n\
         Generated by `make bench-media` (`cargo run --release -p vitrine-bench --bin media-bench`) \
         on {}, {cores} cores, release build.\n\n\
         ## Per image, one thread\n\n\
         Synthetic photo-like room images (a lit wall, a planked floor, a sofa, a rug, a plant, \
         sensor noise), JPEG quality 88: 4000×3000 = {} KB, 1600×1200 = {} KB. Each measure \
         is run as its job runs it (one blocking thread); {} warm-up runs, then {} timed \
         (the 4000×3000 offline generation: 1 warm-up, {} timed); with fewer than 100 \
         runs, p99 is the slowest run. Baseline: decoding the same JPEG \
         (`image::load_from_memory`) in the same process.\n\n\
         | work | input | p50 ms | p99 ms | n | decode p50 ms | p50 ÷ decode |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        sizes[0] / 1000,
        sizes[1] / 1000,
        args.warmup,
        args.iterations,
        args.large_generation_iterations,
    );
    for (input, t) in [
        ("4000×3000 JPEG", image_rows[0].decode),
        ("1600×1200 JPEG", image_rows[1].decode),
    ] {
        out.push_str(&format!(
            "| decode alone (baseline) | {input} | {:.1} | {:.1} | {} | {:.1} | 1.00 |\n",
            t.p50, t.p99, t.n, t.p50
        ));
    }
    for r in image_rows {
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {} | {:.1} | {:.2} |\n",
            r.work,
            r.input,
            r.timing.p50,
            r.timing.p99,
            r.timing.n,
            r.decode.p50,
            r.timing.p50 / r.decode.p50
        ));
    }
    out.push_str(&format!("\n{notes}\n"));
    if e2e.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "\n## generateDesign → DESIGN_READY\n\n\
         The server in this process (SQLite, local storage, default job settings: \
         DESIGN_GENERATION runs 2 at a time per instance); its only provider is `openai`, \
         played by a fake OpenAI on loopback (its own thread and runtime) that answers \
         `/chat/completions` (stage 1) and `/images/edits` (stage 2, a 1536×1024 PNG of {} KB) \
         each after {} ms, so the floor is 2 × {} ms a design. One \
         graphql-transport-ws socket per user subscribed to `notificationReceived`; latency = \
         multipart `generateDesign` (the 1600×1200 JPEG) sent → DESIGN_READY received on the \
         owner's socket. Every design was checked to come from the fake (`provider: openai`). \
         The media jobs (generation, image variants, colour analysis) are drained between \
         requests (1 at a time) and between rounds (20 at once). Provider floor: the fake's own \
         measured sleep per design (its 2 calls, timer and scheduling included). Queue wait (enqueue → claimed) and run \
         (claimed → finished) come from the `jobs` table.\n\n\
         | concurrent requests | designs | p50 ms | p99 ms | provider floor ms | p50 ÷ floor | p99 ÷ floor | mutation answered p50 ms | queue wait p50 / p99 ms | queue wait share | job run p50 / p99 ms | designs/s |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        sizes[2] / 1000,
        args.provider_ms,
        args.provider_ms
    ));
    for r in e2e {
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0} | {:.0} / {:.0} | {:.0}% | {:.0} / {:.0} | {:.2} |\n",
            r.concurrency,
            r.total.n,
            r.total.p50,
            r.total.p99,
            r.floor_ms,
            r.total.p50 / r.floor_ms,
            r.total.p99 / r.floor_ms,
            r.answered.p50,
            r.queue_wait.p50,
            r.queue_wait.p99,
            r.queue_share * 100.0,
            r.run.p50,
            r.run.p99,
            r.designs_per_s,
        ));
    }
    let retried: usize = e2e.iter().map(|r| r.retried).sum();
    if let Some(burst) = e2e.iter().find(|r| r.concurrency > 2) {
        out.push_str(&format!(
            "\nAt {} at once, DESIGN_GENERATION's concurrency of 2 per instance makes the \
             requests queue: {:.0}% of their latency is waiting for a worker slot \
             (p50 {:.0} ms), and a job's own run takes {:.0} ms at p50 against {:.0} ms \
             alone. Throughput, not latency, is what a burst measures here: \
             {:.2} designs/s with 2 slots and a {:.0} ms provider floor (at most \
             2 ÷ floor = {:.2}/s).\n",
            burst.concurrency,
            burst.queue_share * 100.0,
            burst.queue_wait.p50,
            burst.run.p50,
            e2e[0].run.p50,
            burst.designs_per_s,
            burst.floor_ms,
            2000.0 / burst.floor_ms,
        ));
    }
    if retried > 0 {
        out.push_str(&format!(
            "\n{retried} generation job(s) needed more than one attempt.\n"
        ));
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    eprintln!(">> building the synthetic photos");
    let large = jpeg(&room(4000, 3000, 0x5eed_0001), 88)?;
    let medium = jpeg(&room(1600, 1200, 0x5eed_0002), 88)?;
    let answer = png(&room(1536, 1024, 0x5eed_0003))?;
    eprintln!(
        "   4000×3000 JPEG {} KB, 1600×1200 JPEG {} KB, provider's PNG {} KB",
        large.len() / 1000,
        medium.len() / 1000,
        answer.len() / 1000
    );
    let (image_rows, notes) = per_image(&args, &large, &medium)?;
    let e2e = if args.no_server {
        Vec::new()
    } else {
        tokio::runtime::Runtime::new()?.block_on(media_e2e::end_to_end(&args, &medium, &answer))?
    };
    let out = report(
        &args,
        [large.len(), medium.len(), answer.len()],
        &image_rows,
        &notes,
        &e2e,
    );
    std::fs::create_dir_all(args.out.parent().unwrap_or(std::path::Path::new(".")))?;
    std::fs::write(&args.out, &out)?;
    print!("{out}");
    Ok(())
}
