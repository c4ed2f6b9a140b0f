//! The cold-item slice: held-out items that have no training interactions
//! (new products). Each model ranks only such items, for the users who
//! bought any; popularity knows nothing of them, so what ranks them is
//! content: the triplet tower's feature path and the hybrid's content part,
//! with the seller-entered features only (category) and with the features
//! inferred from the text ([`crate::infer`]) added.
use serde::Serialize;
use tch::{Device, Kind, Tensor};

use super::{Metrics, Split, evaluate_on, models::distinct};
use crate::{
    data::{Interaction, Item, ItemFeatures},
    features::Vocabulary,
    hybrid::fit,
    infer,
    model::ItemTower,
    profile::user_vector,
};

pub struct ColdSlice {
    /// Item rows with no training interactions.
    pub items: Vec<usize>,
    /// (user, cold held-out items as indexes into `items`).
    pub test: Vec<(u32, Vec<u32>)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColdResult {
    pub name: String,
    pub metrics: Metrics,
}

impl ColdSlice {
    pub fn of(split: &Split) -> Self {
        let counts = split.train.item_user_counts();
        let items: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] == 0).collect();
        let mut at = vec![u32::MAX; counts.len()];
        for (k, &i) in items.iter().enumerate() {
            at[i] = k as u32;
        }
        let test = split
            .test
            .iter()
            .filter_map(|(user, targets)| {
                let cold: Vec<u32> = targets
                    .iter()
                    .map(|&t| at[t as usize])
                    .filter(|&k| k != u32::MAX)
                    .collect();
                (!cold.is_empty()).then_some((*user, cold))
            })
            .collect();
        Self { items, test }
    }

    /// Ranks the cold items by `scores(history)` (`[all items]`).
    pub fn evaluate(
        &self,
        split: &Split,
        mut scores: impl FnMut(&[Interaction]) -> Option<Tensor>,
    ) -> Metrics {
        let rows = Tensor::from_slice(&self.items.iter().map(|&i| i as i64).collect::<Vec<_>>());
        let m = self.items.len();
        evaluate_on(&split.train, &self.test, m, |_, history| {
            let Some(all) = scores(history) else {
                return Vec::new();
            };
            let cold = all.to_kind(Kind::Float).index_select(0, &rows);
            let k = (super::MAX_K.min(m)) as i64;
            let (_, top) = cold.topk(k, 0, true, true);
            Vec::<i64>::try_from(&top)
                .unwrap_or_default()
                .into_iter()
                .map(|r| r as usize)
                .collect()
        })
    }

    /// Popularity: every cold item has no buyers, so this is catalogue order.
    pub fn popularity(&self, split: &Split) -> Metrics {
        let n = split.train.items.len();
        let order = Tensor::arange(n as i64, (Kind::Float, Device::Cpu)).neg();
        self.evaluate(split, |_| Some(order.copy()))
    }

    /// The tower's feature path (the unknown-id row, as serving places a
    /// new product) for cold items, trained vectors for the history.
    pub fn tower(
        &self,
        split: &Split,
        tower: &ItemTower,
        vocabulary: &Vocabulary,
        vectors: &Tensor,
        half_life_secs: f64,
    ) -> Metrics {
        let encoded = vocabulary.encode(split.train.items.iter().map(|i| &i.features));
        let fresh = tower.encode_all(&encoded, &vec![0; split.train.items.len()], Device::Cpu);
        self.evaluate(split, |history| {
            let (touches, now) = super::touches(history);
            user_vector(vectors, &touches, &[], now, half_life_secs).map(|u| fresh.mv(&u))
        })
    }

    /// The hybrid's content part alone over `items`' features.
    pub fn content(&self, split: &Split, items: &[Item], k: usize) -> Metrics {
        let (m, _) = fit::content(items, k);
        self.evaluate(split, |history| {
            let rows: Vec<i64> = distinct(history).into_iter().map(|r| r as i64).collect();
            (!rows.is_empty()).then(|| {
                m.index_select(0, &Tensor::from_slice(&rows))
                    .sum_dim_intlist([0i64].as_slice(), false, Kind::Float)
            })
        })
    }
}

/// `items` with only what a seller enters as structure: the category.
pub fn seller_entered(items: &[Item]) -> Vec<Item> {
    items
        .iter()
        .map(|i| Item {
            features: ItemFeatures {
                category: i.features.category.clone(),
                price: i.features.price,
                store: i.features.store.clone(),
                ..ItemFeatures::default()
            },
            ..i.clone()
        })
        .collect()
}

/// [`seller_entered`] plus the colours, fibres, seasons and type tags
/// inferred from each item's name.
pub fn with_inferred(items: &[Item]) -> Vec<Item> {
    seller_entered(items)
        .into_iter()
        .map(|mut i| {
            let found = infer::infer(&i.name, "");
            i.features.colors = found.colors;
            i.features.fibers = found.fibers;
            i.features.seasons = found.seasons;
            i.features.tags = found.tags;
            i
        })
        .collect()
}
