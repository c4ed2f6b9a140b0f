//! `vitrine ml …`: train on the platform's data, evaluate on a dataset file,
//! list and pick versions. Long steps show progress bars.
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use recommender::{
    eval::{self, Grids, Observer},
    pipeline, retail, store,
    train::{TrainConfig, TrainProgress},
};

use super::source;
use crate::config::Config;

fn training_bar() -> ProgressBar {
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {pos}/{len} triplets {elapsed} | {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb
}

fn show(pb: &ProgressBar, p: &TrainProgress) {
    pb.set_length(p.total as u64);
    pb.set_position(p.done as u64);
    pb.set_prefix(format!("epoch {}/{}", p.epoch, p.epochs));
    pb.set_message(format!(
        "loss {:.4}, {:.0} triplets/s",
        p.loss, p.triplets_per_sec
    ));
}

/// `vitrine ml train`: the platform's activity → a new current version
/// (a running server swaps to it within `VITRINE_ML_RELOAD_INTERVAL`).
pub async fn train(
    config: &Config,
    epochs: Option<usize>,
    seed: Option<u64>,
    threads: i32,
) -> anyhow::Result<()> {
    set_threads(threads);
    let metrics = crate::telemetry::Metrics::new();
    let db = crate::db::connect(config, &metrics).await?;
    crate::db::migrate(&db).await?;
    let (dataset, _) = source::dataset(&db)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    anyhow::ensure!(
        !dataset.interactions.is_empty(),
        "there is no activity to learn from (try `vitrine seed-demo` first)"
    );
    println!(
        "training on {} users, {} products, {} interactions ({:?})",
        dataset.users.len(),
        dataset.items.len(),
        dataset.interactions.len(),
        pipeline::device()
    );
    let train_config = TrainConfig {
        dim: config.ml.dim,
        epochs: epochs.unwrap_or(config.ml.epochs),
        seed: seed.unwrap_or(config.ml.seed),
        ..TrainConfig::default()
    };
    let root = config.ml.dir.clone();
    let meta = tokio::task::spawn_blocking(move || {
        let pb = training_bar();
        let out = pipeline::train_and_save(&dataset, &train_config, &root, &mut |p| show(&pb, p));
        pb.finish();
        out
    })
    .await??;
    println!(
        "model {} saved in {} and made current (final loss {:.4})",
        meta.version,
        config.ml.dir.display(),
        meta.metrics
            .get("final_loss")
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN)
    );
    Ok(())
}

/// `vitrine ml versions`.
pub fn versions(config: &Config) {
    let current = store::current(&config.ml.dir);
    let all = store::versions(&config.ml.dir);
    if all.is_empty() {
        println!("no models in {}", config.ml.dir.display());
    }
    for v in all {
        let mark = if Some(&v) == current.as_ref() {
            "*"
        } else {
            " "
        };
        println!("{mark} {v}");
    }
}

/// `vitrine ml use <version>`: roll forward or back.
pub fn use_version(config: &Config, version: &str) -> anyhow::Result<()> {
    store::set_current(&config.ml.dir, version)?;
    println!("{version} is current; running servers swap to it within their reload interval");
    Ok(())
}

/// `--dataset`: a file, a directory holding one `*.csv.gz`/`*.csv`, or a
/// name under `data_root`.
pub fn resolve_dataset(dataset: &str, data_root: &Path) -> anyhow::Result<PathBuf> {
    let direct = PathBuf::from(dataset);
    let candidate = if direct.exists() {
        direct
    } else {
        data_root.join(dataset)
    };
    if candidate.is_file() {
        return Ok(candidate);
    }
    anyhow::ensure!(
        candidate.is_dir(),
        "no dataset `{dataset}`: neither a file nor a directory under {}",
        data_root.display()
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&candidate)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".csv.gz") || name.ends_with(".csv")
        })
        .collect();
    files.sort();
    match files.as_slice() {
        [one] => Ok(one.clone()),
        [] => anyhow::bail!("no .csv or .csv.gz file in {}", candidate.display()),
        many => anyhow::bail!(
            "several data files in {}: name one ({:?})",
            candidate.display(),
            many
        ),
    }
}

struct BarObserver {
    pb: ProgressBar,
}

impl Observer for BarObserver {
    fn stage(&mut self, message: &str) {
        if self.pb.is_hidden() {
            // Not a terminal (CI, a pipe): plain lines instead of a bar.
            println!(">> {message}");
        } else {
            self.pb.println(format!(">> {message}"));
        }
        self.pb.set_prefix("");
        self.pb.set_message(message.to_owned());
    }

    fn training(&mut self, progress: &TrainProgress) {
        show(&self.pb, progress);
    }
}

/// `vitrine ml eval`.
/// `vitrine ml eval`'s arguments.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// A name under --data-root (e.g. online-retail) or a file path.
    #[arg(long)]
    pub dataset: String,
    #[arg(long, default_value = "../shared/data")]
    pub data_root: PathBuf,
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Share of each user's history held out (the latest).
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// One configuration per model instead of the tuning grids.
    #[arg(long)]
    pub quick: bool,
    /// libtorch threads (small batches: 1 is fastest; results are
    /// reproducible per thread count).
    #[arg(long, default_value_t = 1)]
    pub threads: i32,
}

/// libtorch's intra-op threads for a command. The models' batches are small:
/// one thread is the fastest (more spin in OpenMP barriers, badly so on a
/// busy machine), and results are reproducible per thread count.
fn set_threads(threads: i32) {
    recommender::tch::set_num_threads(threads.max(1));
}

pub fn evaluate(args: &EvalArgs) -> anyhow::Result<()> {
    let EvalArgs {
        dataset,
        data_root,
        out,
        holdout,
        seed,
        quick,
        threads,
    } = args;
    let (holdout, seed, quick) = (*holdout, *seed, *quick);
    set_threads(*threads);
    anyhow::ensure!(
        holdout > 0.0 && holdout < 1.0,
        "--holdout must be between 0 and 1"
    );
    let path = resolve_dataset(dataset, data_root)?;
    println!("reading {}", path.display());
    let (mut data, stats) = retail::load(&path)?;
    // A dataset named by its directory reports under that name.
    if let Some(name) = Path::new(dataset).file_name().and_then(|n| n.to_str())
        && !Path::new(dataset).is_file()
    {
        data.name = name.to_owned();
    }
    println!(
        "{} rows: {} purchases used; skipped {} guest, {} cancelled, {} non-product, {} bad price, {} duplicate lines",
        stats.rows,
        stats.used,
        stats.guest,
        stats.cancelled,
        stats.not_a_product,
        stats.bad_price,
        stats.duplicates
    );
    let grids = if quick {
        Grids::quick(seed)
    } else {
        Grids::standard(seed)
    };
    let mut observer = BarObserver { pb: training_bar() };
    let report = eval::run(
        &data,
        holdout,
        &grids,
        seed,
        pipeline::device(),
        &mut observer,
    )?;
    observer.pb.finish_and_clear();
    let md = report.write(out)?;
    println!("{}", report.markdown(None));
    println!("written: {}", md.display());
    Ok(())
}
