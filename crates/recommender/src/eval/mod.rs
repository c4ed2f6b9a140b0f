//! Offline evaluation (ML-4): a per-user temporal split, then Recall@K,
//! NDCG@10 and coverage for popularity, BPR matrix factorisation and our
//! triplet model on the same split, each tuned on a validation split cut
//! the same way from the training part. Writes a markdown table and a
//! Recall@K chart (K = 1…50).
//!
//! The split: each user's interactions in time order; the last
//! `holdout` share of them (at least one, never cutting through one
//! timestamp, so a basket stays whole) is held out. The targets are the
//! held-out items the user had not touched before: every model ranks the
//! whole catalogue minus the user's training items, as serving excludes
//! what was bought.
use std::{
    collections::HashSet,
    fmt::Write as _,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::Context;
use serde::Serialize;
use tch::{Device, Tensor};

use crate::{
    bpr::{self, BprConfig},
    data::{Dataset, Interaction},
    index::{TopKQuery, top_k_of_scores},
    profile::{Touch, user_vector},
    train::{self, TrainConfig},
};

pub const MAX_K: usize = 50;

pub struct Split {
    pub train: Dataset,
    /// (user, held-out items not seen in training), users with any.
    pub test: Vec<(u32, Vec<u32>)>,
}

/// The per-user temporal split described in the module docs.
pub fn temporal_split(data: &Dataset, holdout: f64) -> Split {
    let mut cut_at = vec![i64::MAX; data.users.len()];
    let mut test = Vec::new();
    for history in data.by_user() {
        let n = history.len();
        if n < 2 {
            continue;
        }
        let held = ((n as f64 * holdout).ceil() as usize).clamp(1, n - 1);
        let boundary = history[n - held].at;
        let cut = history.partition_point(|i| i.at < boundary);
        if cut == 0 {
            continue;
        }
        let user = history[0].user;
        let seen: HashSet<u32> = history[..cut].iter().map(|i| i.item).collect();
        let mut targets: Vec<u32> = history[cut..]
            .iter()
            .map(|i| i.item)
            .filter(|i| !seen.contains(i))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        cut_at[user as usize] = boundary;
        if !targets.is_empty() {
            test.push((user, targets));
        }
    }
    Split {
        train: data.filtered(|i| i.at < cut_at[i.user as usize]),
        test,
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    /// Recall@K for K = 1…MAX_K.
    pub recall: Vec<f64>,
    pub ndcg_10: f64,
    /// Share of the catalogue in at least one user's top 10.
    pub coverage_10: f64,
    pub users: usize,
}

impl Metrics {
    pub fn recall_at(&self, k: usize) -> f64 {
        self.recall[k - 1]
    }
}

/// Scores every test user with `rank(user, history) → top MAX_K items`.
pub fn evaluate(
    split: &Split,
    items: usize,
    mut rank: impl FnMut(u32, &[Interaction]) -> Vec<usize>,
) -> Metrics {
    let by_user = split.train.by_user();
    let mut recall = vec![0.0; MAX_K];
    let mut ndcg = 0.0;
    let mut covered = vec![false; items];
    for (user, targets) in &split.test {
        let top = rank(*user, by_user[*user as usize]);
        let targets: HashSet<usize> = targets.iter().map(|&i| i as usize).collect();
        let mut hits = 0usize;
        let mut dcg = 0.0;
        for (k, recall_at_k) in recall.iter_mut().enumerate() {
            if let Some(item) = top.get(k) {
                if targets.contains(item) {
                    hits += 1;
                    if k < 10 {
                        dcg += 1.0 / ((k + 2) as f64).log2();
                    }
                }
                if k < 10 {
                    covered[*item] = true;
                }
            }
            *recall_at_k += hits as f64 / targets.len() as f64;
        }
        let ideal: f64 = (0..targets.len().min(10))
            .map(|k| 1.0 / ((k + 2) as f64).log2())
            .sum();
        ndcg += dcg / ideal;
    }
    let users = split.test.len().max(1) as f64;
    Metrics {
        recall: recall.into_iter().map(|r| r / users).collect(),
        ndcg_10: ndcg / users,
        coverage_10: covered.iter().filter(|&&c| c).count() as f64 / items.max(1) as f64,
        users: split.test.len(),
    }
}

fn top_excluding(scores: Tensor, history: &[Interaction]) -> Vec<usize> {
    let mut exclude: Vec<usize> = history.iter().map(|i| i.item as usize).collect();
    exclude.sort_unstable();
    exclude.dedup();
    let query = TopKQuery {
        k: MAX_K,
        exclude: &exclude,
        per_group: None,
    };
    top_k_of_scores(scores, &[], &query)
        .into_iter()
        .map(|(row, _)| row)
        .collect()
}

/// Most distinct buyers in training first.
pub fn popularity(split: &Split) -> Metrics {
    let counts: Vec<f32> = split
        .train
        .item_user_counts()
        .into_iter()
        .map(|c| c as f32)
        .collect();
    let scores = Tensor::from_slice(&counts);
    evaluate(split, counts.len(), |_, history| {
        top_excluding(scores.copy(), history)
    })
}

pub fn bpr_metrics(split: &Split, model: &bpr::Bpr) -> Metrics {
    evaluate(split, split.train.items.len(), |user, history| {
        top_excluding(model.scores(user), history)
    })
}

/// Our model: the user's vector from their training history (as serving
/// computes it, `now` = their last training interaction) against every item.
pub fn ours_metrics(split: &Split, vectors: &Tensor, half_life_secs: f64) -> Metrics {
    evaluate(split, split.train.items.len(), |_, history| {
        let touches: Vec<Touch> = history
            .iter()
            .map(|i| Touch {
                row: i.item as usize,
                weight: i.signal.weight(),
                at: i.at,
            })
            .collect();
        let now = history.last().map_or(0, |i| i.at);
        match user_vector(vectors, &touches, &[], now, half_life_secs) {
            Some(u) => top_excluding(vectors.mv(&u), history),
            None => Vec::new(),
        }
    })
}

/// What `vitrine ml eval` varies, per model; each grid point is trained on
/// the validation split's training part and scored on its held-out part.
#[derive(Clone, Debug)]
pub struct Grids {
    pub bpr: Vec<BprConfig>,
    pub ours: Vec<TrainConfig>,
    pub half_lives_days: Vec<f64>,
}

impl Grids {
    /// BPR: dimension × L2 × epochs (18 points, it trains in seconds);
    /// ours: margin × window (4 points, 20 epochs, shared negatives) ×
    /// recency half-life (3 points, free: serving-time only).
    pub fn standard(seed: u64) -> Self {
        let mut bpr = Vec::new();
        for dim in [32, 64, 128] {
            for l2 in [1e-5, 1e-4, 1e-3] {
                for epochs in [15, 40] {
                    bpr.push(BprConfig {
                        dim,
                        l2,
                        epochs,
                        seed,
                        ..BprConfig::default()
                    });
                }
            }
        }
        let mut ours = Vec::new();
        for margin in [0.2, 0.3] {
            for window in [20, 40] {
                ours.push(TrainConfig {
                    margin,
                    window,
                    epochs: 20,
                    seed,
                    ..TrainConfig::default()
                });
            }
        }
        Self {
            bpr,
            ours,
            half_lives_days: vec![3.0, 30.0, 365.0],
        }
    }

    /// One point each (for tests and quick runs).
    pub fn quick(seed: u64) -> Self {
        Self {
            bpr: vec![BprConfig {
                seed,
                epochs: 10,
                ..BprConfig::default()
            }],
            ours: vec![TrainConfig {
                seed,
                epochs: 4,
                ..TrainConfig::default()
            }],
            half_lives_days: vec![30.0],
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelResult {
    pub name: String,
    pub metrics: Metrics,
    pub params: String,
    pub train_secs: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub dataset: String,
    pub data_hash: String,
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    pub test_users: usize,
    pub holdout: f64,
    pub seed: u64,
    pub threads: i32,
    pub device: String,
    pub models: Vec<ModelResult>,
}

/// Reports stages and training progress to the caller (a progress bar).
pub trait Observer {
    fn stage(&mut self, message: &str);
    fn training(&mut self, progress: &train::TrainProgress);
}

/// Tunes BPR and ours on a validation split, then evaluates all three on
/// the test split.
pub fn run(
    data: &Dataset,
    holdout: f64,
    grids: &Grids,
    seed: u64,
    device: Device,
    observer: &mut dyn Observer,
) -> anyhow::Result<Report> {
    let split = temporal_split(data, holdout);
    anyhow::ensure!(
        !split.test.is_empty(),
        "no user has held-out items: the data needs users with interactions at two or more times"
    );
    let validation = temporal_split(&split.train, holdout);
    anyhow::ensure!(!validation.test.is_empty(), "no validation users");
    let mut models = Vec::new();

    observer.stage("popularity");
    let started = Instant::now();
    models.push(ModelResult {
        name: "Popularity".into(),
        metrics: popularity(&split),
        params: "distinct buyers in training".into(),
        train_secs: started.elapsed().as_secs_f64(),
    });

    let mut best_bpr: Option<(f64, BprConfig)> = None;
    for (n, config) in grids.bpr.iter().enumerate() {
        observer.stage(&format!(
            "BPR tuning {}/{}: dim {} l2 {:e} {} epochs",
            n + 1,
            grids.bpr.len(),
            config.dim,
            config.l2,
            config.epochs
        ));
        let model = bpr::train(&validation.train, config, device, &mut |_, _| {})?;
        let r = bpr_metrics(&validation, &model).recall_at(10);
        if best_bpr.as_ref().is_none_or(|(best, _)| r > *best) {
            best_bpr = Some((r, config.clone()));
        }
    }
    let (_, bpr_config) = best_bpr.context("empty BPR grid")?;
    observer.stage("BPR: training the chosen configuration");
    let started = Instant::now();
    let model = bpr::train(&split.train, &bpr_config, device, &mut |_, _| {})?;
    let train_secs = started.elapsed().as_secs_f64();
    models.push(ModelResult {
        name: "BPR-MF".into(),
        metrics: bpr_metrics(&split, &model),
        params: format!(
            "dim {}, l2 {:e}, lr {}, {} epochs",
            bpr_config.dim, bpr_config.l2, bpr_config.learning_rate, bpr_config.epochs
        ),
        train_secs,
    });

    let mut best_ours: Option<(f64, TrainConfig, f64)> = None;
    for (n, config) in grids.ours.iter().enumerate() {
        observer.stage(&format!(
            "ours tuning {}/{}: margin {} window {}",
            n + 1,
            grids.ours.len(),
            config.margin,
            config.window
        ));
        let trained = train::train(&validation.train, config, device, &mut |p| {
            observer.training(p)
        })?;
        for &days in &grids.half_lives_days {
            let r = ours_metrics(&validation, &trained.vectors, days * 86_400.0).recall_at(10);
            if best_ours.as_ref().is_none_or(|(best, _, _)| r > *best) {
                best_ours = Some((r, config.clone(), days));
            }
        }
    }
    let (_, ours_config, days) = best_ours.context("empty grid")?;
    observer.stage("ours: training the chosen configuration");
    let started = Instant::now();
    let trained = train::train(&split.train, &ours_config, device, &mut |p| {
        observer.training(p)
    })?;
    let train_secs = started.elapsed().as_secs_f64();
    models.push(ModelResult {
        name: "Ours (triplet item tower)".into(),
        metrics: ours_metrics(&split, &trained.vectors, days * 86_400.0),
        params: format!(
            "dim {}, margin {}, window {}, {} epochs, {} negatives, half-life {days} d",
            ours_config.dim,
            ours_config.margin,
            ours_config.window,
            ours_config.epochs,
            if ours_config.shared_negatives {
                "shared"
            } else {
                "own"
            }
        ),
        train_secs,
    });

    Ok(Report {
        dataset: data.name.clone(),
        data_hash: data.hash(),
        users: data.users.len(),
        items: data.items.len(),
        interactions: data.interactions.len(),
        test_users: split.test.len(),
        holdout,
        seed,
        threads: tch::get_num_threads(),
        device: format!("{device:?}"),
        models,
    })
}

impl Report {
    /// The markdown table (the README carries a copy).
    pub fn markdown(&self, chart: Option<&str>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Recommender evaluation: `{}`\n", self.dataset);
        let _ = writeln!(
            out,
            "{} users, {} items, {} interactions; per-user temporal split holding out the last {:.0}% of each user's history; {} test users with unseen held-out items. Seed {}, {} libtorch threads on {}. Data sha256 `{}`.\n",
            self.users,
            self.items,
            self.interactions,
            self.holdout * 100.0,
            self.test_users,
            self.seed,
            self.threads,
            self.device,
            &self.data_hash[..16]
        );
        let _ = writeln!(
            out,
            "| model | Recall@10 | Recall@20 | NDCG@10 | Coverage@10 | chosen on validation | training s |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---|---:|");
        for m in &self.models {
            let _ = writeln!(
                out,
                "| {} | {:.4} | {:.4} | {:.4} | {:.3} | {} | {:.1} |",
                m.name,
                m.metrics.recall_at(10),
                m.metrics.recall_at(20),
                m.metrics.ndcg_10,
                m.metrics.coverage_10,
                m.params,
                m.train_secs
            );
        }
        if let [pop, bpr, ours] = self.models.as_slice() {
            let _ = writeln!(
                out,
                "\nRecall@10 ratios: ours / popularity = {:.2}×, ours / BPR = {:.2}×.",
                ours.metrics.recall_at(10) / pop.metrics.recall_at(10).max(1e-12),
                ours.metrics.recall_at(10) / bpr.metrics.recall_at(10).max(1e-12),
            );
        }
        if let Some(chart) = chart {
            let _ = writeln!(out, "\n![Recall@K, K = 1…50]({chart})");
        }
        out
    }

    /// Writes `<dir>/ml-eval-<dataset>.{md,png,json}`; returns the markdown path.
    pub fn write(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let stem = format!("ml-eval-{}", self.dataset);
        let png = dir.join(format!("{stem}.png"));
        let chart = match crate::chart::recall_chart(self, &png) {
            Ok(()) => Some(format!("{stem}.png")),
            Err(e) => {
                tracing::warn!(error = %e, "could not draw the recall chart");
                None
            }
        };
        let md = dir.join(format!("{stem}.md"));
        std::fs::write(&md, self.markdown(chart.as_deref()))?;
        std::fs::write(
            dir.join(format!("{stem}.json")),
            serde_json::to_string_pretty(self)?,
        )?;
        Ok(md)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetBuilder, Item, ItemFeatures, Signal};

    fn data() -> Dataset {
        let mut b = DatasetBuilder::new("t");
        for id in 0..6 {
            b.item(Item {
                id,
                name: String::new(),
                features: ItemFeatures::default(),
            });
        }
        // User 1: 0,1 at t=1, 2 at t=2, 3 and 4 at t=3 (one basket).
        for (item, at) in [(0, 1), (1, 1), (2, 2), (3, 3), (4, 3)] {
            b.interaction(1, item, Signal::Purchase, at);
        }
        // User 2: only one time: no test.
        b.interaction(2, 5, Signal::Purchase, 9);
        b.interaction(2, 4, Signal::Purchase, 9);
        // User 3: re-buys only what they had: no unseen targets.
        b.interaction(3, 0, Signal::Purchase, 1);
        b.interaction(3, 0, Signal::Purchase, 5);
        // User 4: one basket (training only), makes item 4 the most popular.
        b.interaction(4, 4, Signal::Purchase, 2);
        b.interaction(4, 1, Signal::Purchase, 2);
        b.build()
    }

    #[test]
    fn split_keeps_baskets_whole_and_targets_unseen_items() {
        let d = data();
        let split = temporal_split(&d, 0.2);
        assert_eq!(split.test, vec![(0, vec![3, 4])]);
        let train_items: Vec<(u32, u32)> = split
            .train
            .interactions
            .iter()
            .map(|i| (i.user, i.item))
            .collect();
        assert_eq!(
            train_items,
            vec![
                (0, 0),
                (0, 1),
                (0, 2),
                (1, 4),
                (1, 5),
                (2, 0),
                (3, 1),
                (3, 4)
            ]
        );
    }

    #[test]
    fn metrics_by_hand() {
        let d = data();
        let split = temporal_split(&d, 0.2);
        // Ranks item 3 first, then 5, then 4: recall@1 = 1/2, @3 = 1.
        let m = evaluate(&split, 6, |_, _| vec![3, 5, 4]);
        assert_eq!(m.users, 1);
        assert!((m.recall_at(1) - 0.5).abs() < 1e-12);
        assert!((m.recall_at(2) - 0.5).abs() < 1e-12);
        assert!((m.recall_at(3) - 1.0).abs() < 1e-12);
        let dcg = 1.0 + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert!((m.ndcg_10 - dcg / idcg).abs() < 1e-12);
        assert!((m.coverage_10 - 0.5).abs() < 1e-12, "3 of 6 items");
        // Popularity excludes the user's own items: 4 (two buyers) first.
        let pop = popularity(&split);
        assert!((pop.recall_at(1) - 0.5).abs() < 1e-12, "{:?}", pop.recall);
    }
}
