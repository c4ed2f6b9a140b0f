//! `vitrine ml eval`: tunes every model on a validation split cut from the
//! training part exactly as the test split is cut, trains the chosen
//! configuration on the whole training part, and scores it on the test split.
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use tch::Device;

use super::{
    ColdResult, ColdSlice, Metrics, bpr_metrics, cold, models, popularity, temporal_split,
    tower_metrics,
};
use crate::{
    bpr::{self, BprConfig},
    data::Dataset,
    hybrid::{Components, HybridConfig, HybridModel, Weights, fit, score::HybridIndex},
    train::{self, TrainConfig},
};

/// What `vitrine ml eval` varies, per model; each grid point is trained on
/// the validation split's training part and scored on its held-out part.
#[derive(Clone, Debug, Serialize)]
pub struct Grids {
    /// BPR: every point, then the best one's epochs ×½ and ×2.
    pub bpr: Vec<BprConfig>,
    pub ease_lambdas: Vec<f64>,
    pub knn_ks: Vec<usize>,
    /// The triplet tower: one configuration (the one the evaluation before
    /// this one chose on validation); recency half-lives are free.
    pub tower: TrainConfig,
    pub half_lives_days: Vec<f64>,
    /// The hybrid: next-items λ × weights (EASE's λ and kNN's k are the
    /// ones their baselines chose).
    pub hybrid_next_lambdas: Vec<f64>,
    pub hybrid_weights: Vec<Weights>,
    /// Tried on the best of the points above (`None`: no decay).
    pub hybrid_half_lives_days: Vec<Option<f64>>,
    pub bootstrap_draws: usize,
}

impl Grids {
    pub fn standard(seed: u64) -> Self {
        let mut bpr = Vec::new();
        for dim in [64, 128, 256] {
            for learning_rate in [0.003, 0.01] {
                for l2 in [1e-3, 1e-2] {
                    bpr.push(BprConfig {
                        dim,
                        learning_rate,
                        l2,
                        epochs: 40,
                        seed,
                        ..BprConfig::default()
                    });
                }
            }
        }
        let mut hybrid_weights = Vec::new();
        for next in [0.25, 0.4, 0.55] {
            for content in [0.05, 0.1, 0.2] {
                for knn in [0.0, 0.05, 0.1] {
                    hybrid_weights.push(Weights {
                        ease: 0.55,
                        next,
                        knn,
                        content,
                    });
                }
            }
        }
        Self {
            bpr,
            ease_lambdas: vec![100.0, 250.0, 500.0, 1000.0, 2000.0],
            knn_ks: vec![25, 50, 100, 200, 400],
            tower: TrainConfig {
                margin: 0.2,
                window: 20,
                epochs: 20,
                seed,
                ..TrainConfig::default()
            },
            half_lives_days: vec![3.0, 30.0, 365.0],
            hybrid_next_lambdas: vec![1000.0, 2000.0, 5000.0],
            hybrid_weights,
            hybrid_half_lives_days: vec![None, Some(365.0), Some(90.0), Some(30.0)],
            bootstrap_draws: 1000,
        }
    }

    /// One point each (for tests and quick runs).
    pub fn quick(seed: u64) -> Self {
        let hybrid = HybridConfig::default();
        Self {
            bpr: vec![BprConfig {
                seed,
                epochs: 10,
                ..BprConfig::default()
            }],
            ease_lambdas: vec![hybrid.ease_lambda],
            knn_ks: vec![hybrid.knn_k],
            tower: TrainConfig {
                seed,
                epochs: 4,
                ..TrainConfig::default()
            },
            half_lives_days: vec![30.0],
            hybrid_next_lambdas: vec![hybrid.next_lambda],
            hybrid_weights: vec![hybrid.weights],
            hybrid_half_lives_days: vec![hybrid.half_life_days],
            bootstrap_draws: 200,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelResult {
    pub name: String,
    pub metrics: Metrics,
    /// 95% bootstrap interval of Recall@10 over test users.
    pub recall_10_ci: (f64, f64),
    pub params: String,
    pub train_secs: f64,
    /// Validation Recall@10 of every grid point, as (parameters, value).
    pub grid: Vec<(String, f64)>,
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
    /// Ours against the best baseline on the same resampled users: 95%
    /// intervals of the Recall@10 and NDCG@10 ratios.
    pub ratio_ci: Option<RatioCi>,
    pub cold_items: usize,
    pub cold_users: usize,
    pub cold: Vec<ColdResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RatioCi {
    pub baseline: String,
    pub recall_10: (f64, f64),
    pub ndcg_10: (f64, f64),
}

/// Reports stages and training progress to the caller (a progress bar).
pub trait Observer {
    fn stage(&mut self, message: &str);
    fn training(&mut self, progress: &train::TrainProgress);
}

pub const OURS: &str = "Ours (hybrid: EASE + next-items + kNN + content)";
const BASELINES: [&str; 4] = ["BPR-MF", "EASE", "Item-kNN (cosine)", "Triplet item tower"];

/// Picks the grid point with the best validation Recall@10.
fn best<T: Clone>(points: &[(T, String, f64)]) -> Option<(T, String)> {
    points
        .iter()
        .fold(None::<&(T, String, f64)>, |b, p| match b {
            Some(b) if b.2 >= p.2 => Some(b),
            _ => Some(p),
        })
        .map(|(t, s, _)| (t.clone(), s.clone()))
}

fn grid_of<T>(points: &[(T, String, f64)]) -> Vec<(String, f64)> {
    points.iter().map(|(_, s, r)| (s.clone(), *r)).collect()
}

/// A hybrid grid point as the report lists it.
fn hybrid_label(c: &HybridConfig) -> String {
    let w = &c.weights;
    format!(
        "next λ {}, weights EASE {} next {} kNN {} content {}, half-life {}",
        c.next_lambda,
        w.ease,
        w.next,
        w.knn,
        w.content,
        c.half_life_days.map_or("none".into(), |d| format!("{d} d"))
    )
}

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
    let draws = grids.bootstrap_draws;
    let mut models = Vec::new();
    let mut push = |name: &str, metrics: Metrics, params: String, secs: f64, grid| {
        let recall_10_ci = super::bootstrap(&metrics, None, |p| p.0, draws, seed);
        models.push(ModelResult {
            name: name.into(),
            metrics,
            recall_10_ci,
            params,
            train_secs: secs,
            grid,
        });
    };

    observer.stage("popularity");
    let started = Instant::now();
    let pop = popularity(&split);
    push(
        "Popularity",
        pop,
        "distinct buyers in training".into(),
        started.elapsed().as_secs_f64(),
        Vec::new(),
    );

    // BPR: the grid, then the best point's epochs halved and doubled.
    let mut points: Vec<(BprConfig, String, f64)> = Vec::new();
    let tune_bpr =
        |config: &BprConfig, observer: &mut dyn Observer| -> anyhow::Result<(String, f64)> {
            let label = format!(
                "dim {} lr {} l2 {:e} {} epochs",
                config.dim, config.learning_rate, config.l2, config.epochs
            );
            observer.stage(&format!("BPR tuning: {label}"));
            let model = bpr::train(&validation.train, config, device, &mut |_, _| {})?;
            Ok((label, bpr_metrics(&validation, &model).recall_at(10)))
        };
    for config in &grids.bpr {
        let (label, r) = tune_bpr(config, observer)?;
        points.push((config.clone(), label, r));
    }
    if grids.bpr.len() > 1 {
        let (chosen, _) = best(&points).context("empty BPR grid")?;
        for epochs in [chosen.epochs / 2, chosen.epochs * 2] {
            let config = BprConfig {
                epochs,
                ..chosen.clone()
            };
            let (label, r) = tune_bpr(&config, observer)?;
            points.push((config, label, r));
        }
    }
    let (bpr_config, bpr_label) = best(&points).context("empty BPR grid")?;
    observer.stage("BPR: training the chosen configuration");
    let started = Instant::now();
    let model = bpr::train(&split.train, &bpr_config, device, &mut |_, _| {})?;
    let secs = started.elapsed().as_secs_f64();
    push(
        BASELINES[0],
        bpr_metrics(&split, &model),
        bpr_label,
        secs,
        grid_of(&points),
    );

    // EASE and item-kNN share the Gram matrix.
    observer.stage("EASE and item-kNN tuning");
    let gram = fit::gram(&validation.train);
    let mut ease_points = Vec::new();
    for &lambda in &grids.ease_lambdas {
        observer.stage(&format!("EASE tuning: λ {lambda}"));
        let r = models::item_item_metrics(&validation, &fit::ease(&gram, lambda)).recall_at(10);
        ease_points.push((lambda, format!("λ {lambda}"), r));
    }
    let mut knn_points = Vec::new();
    for &k in &grids.knn_ks {
        observer.stage(&format!("item-kNN tuning: k {k}"));
        let r = models::item_item_metrics(&validation, &fit::knn(&gram, k)).recall_at(10);
        knn_points.push((k, format!("k {k}"), r));
    }
    drop(gram);
    let (lambda, ease_label) = best(&ease_points).context("empty EASE grid")?;
    let (k, knn_label) = best(&knn_points).context("empty kNN grid")?;
    observer.stage("EASE and item-kNN: fitting the chosen configurations");
    let started = Instant::now();
    let gram = fit::gram(&split.train);
    let ease = fit::ease(&gram, lambda);
    let ease_secs = started.elapsed().as_secs_f64();
    push(
        BASELINES[1],
        models::item_item_metrics(&split, &ease),
        ease_label,
        ease_secs,
        grid_of(&ease_points),
    );
    drop(ease);
    let started = Instant::now();
    let knn = fit::knn(&gram, k);
    let knn_secs = started.elapsed().as_secs_f64();
    push(
        BASELINES[2],
        models::item_item_metrics(&split, &knn),
        format!("{knn_label}, sum of similarities"),
        knn_secs,
        grid_of(&knn_points),
    );
    drop((knn, gram));

    // The triplet tower: one configuration; the half-life on validation.
    let tower = &grids.tower;
    observer.stage("triplet tower: choosing the half-life on validation");
    let trained = train::train(&validation.train, tower, device, &mut |p| {
        observer.training(p)
    })?;
    let tower_points: Vec<(f64, String, f64)> = grids
        .half_lives_days
        .iter()
        .map(|&days| {
            let r = tower_metrics(&validation, &trained.vectors, days * 86_400.0).recall_at(10);
            (days, format!("half-life {days} d"), r)
        })
        .collect();
    let (days, _) = best(&tower_points).context("empty half-life grid")?;
    observer.stage("triplet tower: training on the whole training part");
    let started = Instant::now();
    let trained = train::train(&split.train, tower, device, &mut |p| observer.training(p))?;
    let secs = started.elapsed().as_secs_f64();
    push(
        BASELINES[3],
        tower_metrics(&split, &trained.vectors, days * 86_400.0),
        format!(
            "dim {}, margin {}, window {}, {} epochs, half-life {days} d",
            tower.dim, tower.margin, tower.window, tower.epochs
        ),
        secs,
        grid_of(&tower_points),
    );

    // Ours.
    let base = HybridConfig {
        ease_lambda: lambda,
        knn_k: k,
        ..HybridConfig::default()
    };
    let catalogue = split.train.catalogue();
    let mut hybrid_points: Vec<(HybridConfig, String, f64)> = Vec::new();
    let mut components: Option<Components> = None;
    let mut best_index: Option<HybridIndex> = None;
    for &next_lambda in &grids.hybrid_next_lambdas {
        let config = HybridConfig {
            next_lambda,
            ..base.clone()
        };
        observer.stage(&format!(
            "hybrid tuning: fitting parts, next-items λ {next_lambda}"
        ));
        let parts = match components.take() {
            None => Components::fit(&validation.train, &config),
            Some(parts) => parts.with_next_lambda(&validation.train, &config),
        };
        for (n, weights) in grids.hybrid_weights.iter().enumerate() {
            observer.stage(&format!(
                "hybrid tuning: next-items λ {next_lambda}, weights {}/{}",
                n + 1,
                grids.hybrid_weights.len()
            ));
            let config = HybridConfig {
                weights: *weights,
                ..config.clone()
            };
            let model = HybridModel::from_components(&validation.train, &config, &parts);
            let index = HybridIndex::build(&model, &catalogue);
            let r =
                models::hybrid_metrics(&validation, &index, config.half_life_days).recall_at(10);
            let label = hybrid_label(&config);
            if hybrid_points.iter().all(|p| p.2 < r) {
                best_index = Some(index);
            }
            hybrid_points.push((config, label, r));
        }
        components = Some(parts);
    }
    drop(components);
    let (chosen, _) = best(&hybrid_points).context("empty hybrid grid")?;
    if let Some(index) = best_index.take() {
        for &half_life_days in &grids.hybrid_half_lives_days {
            if half_life_days == chosen.half_life_days {
                continue;
            }
            observer.stage(&format!("hybrid tuning: half-life {half_life_days:?} days"));
            let r = models::hybrid_metrics(&validation, &index, half_life_days).recall_at(10);
            let config = HybridConfig {
                half_life_days,
                ..chosen.clone()
            };
            hybrid_points.push((config.clone(), hybrid_label(&config), r));
        }
    }
    let (hybrid_config, chosen_label) = best(&hybrid_points).context("empty hybrid grid")?;
    observer.stage("hybrid: fitting the chosen configuration");
    let started = Instant::now();
    let model = HybridModel::fit(&split.train, &hybrid_config);
    let index = HybridIndex::build(&model, &catalogue);
    let secs = started.elapsed().as_secs_f64();
    let ours = models::hybrid_metrics(&split, &index, hybrid_config.half_life_days);
    push(
        OURS,
        ours.clone(),
        format!(
            "EASE λ {lambda}, kNN k {k}, content k {}, {} neighbours/item; {chosen_label}",
            hybrid_config.content_k, hybrid_config.neighbours
        ),
        secs,
        grid_of(&hybrid_points),
    );

    let strongest = models
        .iter()
        .filter(|m| BASELINES.contains(&m.name.as_str()))
        .max_by(|a, b| a.metrics.recall_at(10).total_cmp(&b.metrics.recall_at(10)));
    let ratio_ci = strongest.map(|b| RatioCi {
        baseline: b.name.clone(),
        recall_10: super::bootstrap(&ours, Some(&b.metrics), |p| p.0, draws, seed),
        ndcg_10: super::bootstrap(&ours, Some(&b.metrics), |p| p.1, draws, seed),
    });

    observer.stage("cold-item slice");
    let slice = ColdSlice::of(&split);
    let mut cold_results = Vec::new();
    if !slice.test.is_empty() {
        let content_k = hybrid_config.content_k;
        let items = &split.train.items;
        let vocabulary = &trained.vocab;
        for (name, metrics) in [
            (
                "Popularity (no cold item has buyers: catalogue order)",
                slice.popularity(&split),
            ),
            (
                "Triplet item tower, feature path",
                slice.tower(
                    &split,
                    &trained.tower,
                    vocabulary,
                    &trained.vectors,
                    days * 86_400.0,
                ),
            ),
            (
                "Content part, seller-entered features (category)",
                slice.content(&split, &cold::seller_entered(items), content_k),
            ),
            (
                "Content part, category + inferred from the text",
                slice.content(&split, &cold::with_inferred(items), content_k),
            ),
            (
                "Content part, the evaluation's features",
                slice.content(&split, items, content_k),
            ),
            (
                "Ours (the served hybrid)",
                slice.evaluate(&split, |history| {
                    let weighted = models::hybrid_history(history, hybrid_config.half_life_days);
                    (!weighted.is_empty()).then(|| index.scores(&weighted, &[]))
                }),
            ),
        ] {
            cold_results.push(ColdResult {
                name: name.into(),
                metrics,
            });
        }
    }

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
        ratio_ci,
        cold_items: slice.items.len(),
        cold_users: slice.test.len(),
        cold: cold_results,
    })
}
