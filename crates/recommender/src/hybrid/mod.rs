//! The served recommender (ML-3): one item × item model fused from four
//! parts, kept as each item's strongest neighbours.
//!
//! - EASE on co-occurrence ([`fit::ease`]): what is bought together;
//! - next-items regression ([`fit::next_items`]): from what a user had to
//!   what they bought next that they had not had, trained on cuts of each
//!   history like the evaluation's split;
//! - item-kNN ([`fit::knn`]): cosine neighbours, for breadth;
//! - content ([`fit::content`]): TF-IDF over the item features (category,
//!   colours, fibres, seasons, tags, seller-entered or inferred), which is
//!   also how items with no interactions (new products) get neighbours.
//!
//! Each part is scaled by the spread of the scores it gives users, weighted
//! (weights chosen on a validation split), summed, and each item keeps its
//! [`HybridConfig::neighbours`] largest entries. A user's scores are the sum
//! of the neighbour rows of what they touched ([`score`]); items nobody
//! scores fall back to popularity, so a page is always full.
pub mod fit;
pub mod score;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::{
    data::{Dataset, DatasetBuilder, Item},
    profile::Touch,
};

/// How much each part counts in the sum (each already scaled to unit spread).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub ease: f32,
    pub next: f32,
    pub knn: f32,
    pub content: f32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HybridConfig {
    pub ease_lambda: f64,
    pub next_lambda: f64,
    /// History shares held out to make next-items training rows.
    pub next_fracs: Vec<f64>,
    pub knn_k: usize,
    pub content_k: usize,
    pub weights: Weights,
    /// Neighbours kept per item.
    pub neighbours: usize,
    /// Most items fitted (the most bought); the rest are placed by content.
    pub max_items: usize,
    /// A touch's weight halves every this many days (ML-3's recency
    /// weighting); `None`: every touch counts at its signal's weight.
    pub half_life_days: Option<f64>,
}

/// What `vitrine ml eval` chose on the validation split of the evaluation
/// data (README, "Offline evaluation").
impl Default for HybridConfig {
    fn default() -> Self {
        Self {
            ease_lambda: 500.0,
            next_lambda: 2000.0,
            next_fracs: vec![0.1, 0.2, 0.3],
            knn_k: 100,
            content_k: 10,
            weights: Weights {
                ease: 0.55,
                next: 0.25,
                knn: 0.05,
                content: 0.05,
            },
            neighbours: 200,
            max_items: 8000,
            half_life_days: Some(90.0),
        }
    }
}

/// A viewer's history as the hybrid reads it: each touched row once, at
/// the largest of its touches' weights, each the signal's weight halved
/// every `half_life_days` before `now`.
pub fn history(touches: &[Touch], now: i64, half_life_days: Option<f64>) -> Vec<(usize, f32)> {
    let mut by_row: HashMap<usize, f32> = HashMap::new();
    for t in touches {
        let decay = half_life_days.map_or(1.0, |days| {
            let age = (now - t.at).max(0) as f64 / 86_400.0;
            0.5f64.powf(age / days.max(1e-9)) as f32
        });
        let w = by_row.entry(t.row).or_default();
        *w = w.max(t.weight * decay);
    }
    let mut out: Vec<(usize, f32)> = by_row.into_iter().collect();
    out.sort_by_key(|&(row, _)| row);
    out
}

/// The four parts over one dataset, and the spread of each one's user scores.
pub struct Components {
    pub ease: Tensor,
    pub next: Tensor,
    pub knn: Tensor,
    pub content: Tensor,
    pub scales: [f64; 4],
    pub content_vectors: fit::ContentVectors,
}

/// The standard deviation of users' scores under `m` (`[n, n]`), over up
/// to 256 users spread through the data.
fn spread(m: &Tensor, users: &[Vec<u32>]) -> f64 {
    let with: Vec<&Vec<u32>> = users.iter().filter(|u| !u.is_empty()).collect();
    if with.is_empty() {
        return 1.0;
    }
    let step = (with.len() / 256).max(1);
    let rows: Vec<Tensor> = with
        .iter()
        .step_by(step)
        .map(|items| {
            let idx: Vec<i64> = items.iter().map(|&i| i64::from(i)).collect();
            m.index_select(0, &Tensor::from_slice(&idx))
                .sum_dim_intlist([0i64].as_slice(), false, Kind::Float)
        })
        .collect();
    let s = Tensor::stack(&rows, 0).std(true).double_value(&[]);
    if s.is_finite() && s > 0.0 { s } else { 1.0 }
}

impl Components {
    pub fn fit(data: &Dataset, config: &HybridConfig) -> Self {
        let _guard = tch::no_grad_guard();
        let gram = fit::gram(data);
        let ease = fit::ease(&gram, config.ease_lambda);
        let knn = fit::knn(&gram, config.knn_k);
        drop(gram);
        let next = fit::next_items(data, &config.next_fracs, config.next_lambda);
        let (content, content_vectors) = fit::content(&data.items, config.content_k);
        let users = fit::user_items(data);
        let scales = [
            spread(&ease, &users),
            spread(&next, &users),
            spread(&knn, &users),
            spread(&content, &users),
        ];
        Self {
            ease,
            next,
            knn,
            content,
            scales,
            content_vectors,
        }
    }

    /// Refits next-items with another λ (the other parts do not depend on it).
    pub fn with_next_lambda(mut self, data: &Dataset, config: &HybridConfig) -> Self {
        self.next = fit::next_items(data, &config.next_fracs, config.next_lambda);
        self.scales[1] = spread(&self.next, &fit::user_items(data));
        self
    }

    /// The weighted sum, each part divided by its spread, dense `[n, n]`.
    pub fn fused(&self, w: &Weights) -> Tensor {
        let _guard = tch::no_grad_guard();
        let [se, sn, sk, sc] = self.scales;
        &self.ease * (f64::from(w.ease) / se)
            + &self.next * (f64::from(w.next) / sn)
            + &self.knn * (f64::from(w.knn) / sk)
            + &self.content * (f64::from(w.content) / sc)
    }
}

/// A fitted hybrid: item ids, each item's neighbour rows and weights.
pub struct HybridModel {
    pub meta: HybridMeta,
    /// `[items, neighbours]`: rows of `ids`; `items` pads a short list.
    pub neighbours: Tensor,
    /// `[items, neighbours]`, 0 where padded.
    pub weights: Tensor,
}

/// What serving needs besides the tensors.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HybridMeta {
    pub config: HybridConfig,
    pub scales: [f64; 4],
    /// External ids of the fitted items, by row.
    pub ids: Vec<i64>,
    /// Distinct users per fitted item.
    pub popularity: Vec<u32>,
    /// Inverse document frequency of each content token.
    pub idf: HashMap<String, f32>,
}

impl HybridMeta {
    /// The weight a content similarity of 1 carries in the fused sum.
    pub fn content_weight(&self) -> f32 {
        (f64::from(self.config.weights.content) / self.scales[3]) as f32
    }
}

/// Keeps each row's `k` largest positive entries of `fused` (`[n, n]`).
pub fn sparsify(fused: &Tensor, k: usize) -> (Tensor, Tensor) {
    let _guard = tch::no_grad_guard();
    let n = fused.size()[0];
    let k = (k as i64).min(n).max(1);
    let (values, rows) = fused.topk(k, 1, true, true);
    let positive = values.gt(0.0);
    let rows = rows.where_self(&positive, &Tensor::from(n));
    let values = values.where_self(&positive, &Tensor::from(0f32));
    (rows, values.to_kind(Kind::Float))
}

/// The `max` items with the most distinct users (all of them when fewer),
/// as a dataset of only those items, in their original order.
fn most_bought(data: &Dataset, max: usize) -> Dataset {
    if data.items.len() <= max {
        return data.clone();
    }
    let counts = data.item_user_counts();
    let mut order: Vec<usize> = (0..data.items.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(counts[i]), i));
    let mut keep = vec![false; data.items.len()];
    for &i in order.iter().take(max) {
        keep[i] = true;
    }
    let mut b = DatasetBuilder::new(data.name.clone());
    for (i, item) in data.items.iter().enumerate() {
        if keep[i] {
            b.item(item.clone());
        }
    }
    for i in &data.interactions {
        if keep[i.item as usize] {
            let item: &Item = &data.items[i.item as usize];
            b.interaction(data.users[i.user as usize], item.id, i.signal, i.at);
        }
    }
    b.build()
}

impl HybridModel {
    /// Fits every part on `data` (blocking libtorch work).
    pub fn fit(data: &Dataset, config: &HybridConfig) -> Self {
        let data = most_bought(data, config.max_items);
        let components = Components::fit(&data, config);
        Self::from_components(&data, config, &components)
    }

    /// Fuses already fitted parts with `config`'s weights.
    pub fn from_components(data: &Dataset, config: &HybridConfig, c: &Components) -> Self {
        let fused = c.fused(&config.weights);
        let (neighbours, weights) = sparsify(&fused, config.neighbours);
        Self {
            meta: HybridMeta {
                config: config.clone(),
                scales: c.scales,
                ids: data.items.iter().map(|i| i.id).collect(),
                popularity: data.item_user_counts(),
                idf: c.content_vectors.idf.clone(),
            },
            neighbours,
            weights,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        data::{ItemFeatures, Signal},
        index::TopKQuery,
    };

    /// 40 users buy teacup (0) then saucer (1) a week later; 40 buy lantern
    /// (2) and candle (3) together; a new user who bought a teacup should
    /// be offered the saucer first; one who bought a candle, the lantern.
    #[test]
    fn fitted_on_baskets_it_ranks_what_comes_next_and_what_goes_together() {
        let names = ["teacup", "saucer", "lantern", "candle", "doormat"];
        let mut b = DatasetBuilder::new("t");
        for (id, name) in names.iter().enumerate() {
            b.item(Item {
                id: id as i64,
                name: name.to_string(),
                features: ItemFeatures {
                    tags: vec![name.to_string()],
                    ..ItemFeatures::default()
                },
            });
        }
        for user in 0..40 {
            b.interaction(user, 0, Signal::Purchase, 1_000);
            b.interaction(user, 1, Signal::Purchase, 1_000 + 7 * 86_400);
            b.interaction(100 + user, 2, Signal::Purchase, 5_000);
            b.interaction(100 + user, 3, Signal::Purchase, 5_000);
            if user % 4 == 0 {
                b.interaction(200 + user, 4, Signal::Purchase, 9_000);
            }
        }
        let data = b.build();
        let config = HybridConfig {
            ease_lambda: 1.0,
            next_lambda: 1.0,
            ..HybridConfig::default()
        };
        let model = HybridModel::fit(&data, &config);
        assert_eq!(model.meta.ids, vec![0, 1, 2, 3, 4]);
        assert_eq!(model.meta.popularity, vec![40, 40, 40, 40, 10]);
        let catalogue = data.catalogue();
        let index = score::HybridIndex::build(&model, &catalogue);
        let top = |row: usize| {
            index.top_k(
                &[(row, 5.0)],
                &[],
                &TopKQuery {
                    k: 1,
                    exclude: &[row],
                    per_group: None,
                },
            )[0]
            .0
        };
        assert_eq!(top(0), 1, "teacup → saucer");
        assert_eq!(top(3), 2, "candle → lantern");
        assert_eq!(top(4), 0, "doormat has no neighbours: the most popular");
    }

    #[test]
    fn history_keeps_each_row_once_at_its_strongest_recent_weight() {
        let day = 86_400;
        let touches = [
            Touch {
                row: 3,
                weight: 1.0,
                at: 10 * day,
            },
            Touch {
                row: 3,
                weight: 5.0,
                at: 0,
            },
            Touch {
                row: 1,
                weight: 2.0,
                at: 10 * day,
            },
        ];
        assert_eq!(history(&touches, 10 * day, None), vec![(1, 2.0), (3, 5.0)]);
        // Ten days with a ten-day half-life: the purchase counts 2.5, the
        // view of today 1.0.
        let decayed = history(&touches, 10 * day, Some(10.0));
        assert_eq!(decayed.len(), 2);
        assert!((decayed[1].1 - 2.5).abs() < 1e-5, "{decayed:?}");
        assert!((decayed[0].1 - 2.0).abs() < 1e-5);
    }

    #[test]
    fn sparsify_keeps_the_largest_positive_entries_and_pads() {
        let m =
            Tensor::from_slice(&[0.0f32, 3.0, -1.0, 2.0, 0.0, 1.0, -2.0, -3.0, 0.0]).view([3, 3]);
        let (rows, weights) = sparsify(&m, 2);
        let rows: Vec<i64> = Vec::try_from(rows.flatten(0, -1)).unwrap();
        let weights: Vec<f32> = Vec::try_from(weights.flatten(0, -1)).unwrap();
        assert_eq!(rows, vec![1, 3, 0, 2, 3, 3]);
        assert_eq!(weights, vec![3.0, 0.0, 2.0, 1.0, 0.0, 0.0]);
    }
}
