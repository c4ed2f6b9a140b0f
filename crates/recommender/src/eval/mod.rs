//! Offline evaluation (ML-4): a per-user temporal split, then Recall@K,
//! NDCG@10 and coverage for popularity, BPR, EASE, item-kNN, the triplet
//! item tower and the served hybrid ([`crate::hybrid`]) on the same split,
//! each tuned on a validation split cut the same way from the training
//! part; per-user bootstrap intervals; a cold-item slice. Writes a markdown
//! table and a Recall@K chart (K = 1…50).
//!
//! The split: each user's interactions in time order; the last
//! `holdout` share of them (at least one, never cutting through one
//! timestamp, so a basket stays whole) is held out. The targets are the
//! held-out items the user had not touched before: every model ranks the
//! whole catalogue minus the user's training items, as serving excludes
//! what was bought.
mod cold;
mod models;
mod report;
mod run;

use std::collections::HashSet;

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;
use tch::Tensor;

pub use cold::{ColdResult, ColdSlice};
pub use run::{Grids, ModelResult, Observer, Report, run};

use crate::{
    bpr,
    data::{Dataset, Interaction},
    index::{TopKQuery, top_k_of_scores},
    profile::{Touch, user_vector},
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
    /// Each test user's Recall@10 and NDCG@10, in test order (for the
    /// bootstrap intervals).
    #[serde(skip)]
    pub per_user: Vec<(f64, f64)>,
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
    rank: impl FnMut(u32, &[Interaction]) -> Vec<usize>,
) -> Metrics {
    evaluate_on(&split.train, &split.test, items, rank)
}

/// [`evaluate`] on any (user, targets) list; coverage is over `items` rows.
pub fn evaluate_on(
    train: &Dataset,
    test: &[(u32, Vec<u32>)],
    items: usize,
    mut rank: impl FnMut(u32, &[Interaction]) -> Vec<usize>,
) -> Metrics {
    let by_user = train.by_user();
    let mut recall = vec![0.0; MAX_K];
    let mut covered = vec![false; items];
    let mut per_user = Vec::with_capacity(test.len());
    for (user, targets) in test {
        let top = rank(*user, by_user[*user as usize]);
        let targets: HashSet<usize> = targets.iter().map(|&i| i as usize).collect();
        let mut hits = 0usize;
        let mut dcg = 0.0;
        let mut recall_10 = 0.0;
        for (k, recall_at_k) in recall.iter_mut().enumerate() {
            if let Some(item) = top.get(k) {
                if targets.contains(item) {
                    hits += 1;
                    if k < 10 {
                        dcg += 1.0 / ((k + 2) as f64).log2();
                    }
                }
                if k < 10
                    && let Some(c) = covered.get_mut(*item)
                {
                    *c = true;
                }
            }
            let r = hits as f64 / targets.len() as f64;
            *recall_at_k += r;
            if k == 9 {
                recall_10 = r;
            }
        }
        let ideal: f64 = (0..targets.len().min(10))
            .map(|k| 1.0 / ((k + 2) as f64).log2())
            .sum();
        per_user.push((recall_10, dcg / ideal));
    }
    let users = test.len().max(1) as f64;
    Metrics {
        recall: recall.into_iter().map(|r| r / users).collect(),
        ndcg_10: per_user.iter().map(|p| p.1).sum::<f64>() / users,
        coverage_10: covered.iter().filter(|&&c| c).count() as f64 / items.max(1) as f64,
        users: test.len(),
        per_user,
    }
}

/// A 95% interval by the percentile bootstrap over users (`draws`
/// resamples, seeded): of the mean of `value`, or with `other` the ratio of
/// the two means on the same resampled users.
pub fn bootstrap(
    a: &Metrics,
    other: Option<&Metrics>,
    value: impl Fn(&(f64, f64)) -> f64,
    draws: usize,
    seed: u64,
) -> (f64, f64) {
    let n = a.per_user.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut stats: Vec<f64> = (0..draws)
        .map(|_| {
            let (mut sa, mut sb) = (0.0, 0.0);
            for _ in 0..n {
                let u = rng.random_range(0..n);
                sa += value(&a.per_user[u]);
                if let Some(b) = other {
                    sb += value(&b.per_user[u]);
                }
            }
            match other {
                Some(_) => sa / sb.max(1e-12),
                None => sa / n as f64,
            }
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    let at = |q: f64| stats[((draws as f64 - 1.0) * q).round() as usize];
    (at(0.025), at(0.975))
}

pub(crate) fn top_excluding(scores: Tensor, history: &[Interaction]) -> Vec<usize> {
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

/// A training history as serving sees a viewer's activity, and its `now`
/// (the last interaction).
pub(crate) fn touches(history: &[Interaction]) -> (Vec<Touch>, i64) {
    let touches = history
        .iter()
        .map(|i| Touch {
            row: i.item as usize,
            weight: i.signal.weight(),
            at: i.at,
        })
        .collect();
    (touches, history.last().map_or(0, |i| i.at))
}

/// The triplet item tower: the user's vector from their training history
/// (`now` = their last training interaction) against every item.
pub fn tower_metrics(split: &Split, vectors: &Tensor, half_life_secs: f64) -> Metrics {
    evaluate(split, split.train.items.len(), |_, history| {
        let (touches, now) = touches(history);
        match user_vector(vectors, &touches, &[], now, half_life_secs) {
            Some(u) => top_excluding(vectors.mv(&u), history),
            None => Vec::new(),
        }
    })
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

    fn metrics(per_user: &[(f64, f64)]) -> Metrics {
        Metrics {
            recall: vec![0.0; MAX_K],
            ndcg_10: 0.0,
            coverage_10: 0.0,
            users: per_user.len(),
            per_user: per_user.to_vec(),
        }
    }

    #[test]
    fn bootstrap_intervals_hold_the_mean_and_pair_users() {
        let a = metrics(
            &(0..200)
                .map(|u| (f64::from(u % 10) / 10.0, 0.5))
                .collect::<Vec<_>>(),
        );
        let (lo, hi) = bootstrap(&a, None, |p| p.0, 500, 1);
        assert!(lo < 0.45 && 0.45 < hi && hi - lo < 0.15, "{lo} {hi}");
        // Twice the other model on every user: the paired ratio is exactly 2.
        let half = metrics(
            &a.per_user
                .iter()
                .map(|p| (p.0 / 2.0, p.1))
                .collect::<Vec<_>>(),
        );
        let (lo, hi) = bootstrap(&a, Some(&half), |p| p.0, 500, 1);
        assert!(
            (lo - 2.0).abs() < 1e-9 && (hi - 2.0).abs() < 1e-9,
            "{lo} {hi}"
        );
        // The same seed gives the same interval.
        assert_eq!(
            bootstrap(&a, None, |p| p.0, 100, 7),
            bootstrap(&a, None, |p| p.0, 100, 7)
        );
    }

    #[test]
    fn the_cold_slice_keeps_only_items_without_training_interactions() {
        let d = data();
        let split = temporal_split(&d, 0.2);
        // Training has items 0, 1, 2, 4, 5: only item 3 is cold, and user 0
        // (external 1) holds it out.
        let slice = ColdSlice::of(&split);
        assert_eq!(slice.items, vec![3]);
        assert_eq!(slice.test, vec![(0, vec![0])]);
        let m = slice.evaluate(&split, |_| Some(Tensor::from_slice(&[0f32; 6])));
        assert!((m.recall_at(1) - 1.0).abs() < 1e-12, "one candidate, found");
    }
}
