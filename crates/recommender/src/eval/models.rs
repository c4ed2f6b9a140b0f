//! Metrics of the item × item models on a split: EASE and item-kNN
//! (dense, a user's scores are the sum of their items' rows) and the hybrid
//! exactly as serving ranks with it ([`HybridIndex::top_k`]).
use tch::{Kind, Tensor};

use super::{MAX_K, Metrics, Split, evaluate, top_excluding, touches};
use crate::{
    data::Interaction,
    hybrid::{self, score::HybridIndex},
    index::TopKQuery,
};

/// The distinct items of a history, sorted.
pub(super) fn distinct(history: &[Interaction]) -> Vec<usize> {
    let mut rows: Vec<usize> = history.iter().map(|i| i.item as usize).collect();
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// A dense `[n, n]` model: scores = Σ rows of the user's items.
pub fn item_item_metrics(split: &Split, m: &Tensor) -> Metrics {
    let _guard = tch::no_grad_guard();
    evaluate(split, split.train.items.len(), |_, history| {
        let rows: Vec<i64> = distinct(history).into_iter().map(|r| r as i64).collect();
        if rows.is_empty() {
            return Vec::new();
        }
        let scores = m
            .index_select(0, &Tensor::from_slice(&rows))
            .sum_dim_intlist([0i64].as_slice(), false, Kind::Float);
        top_excluding(scores, history)
    })
}

/// A history as the hybrid weighs it (`now` = the last interaction).
pub fn hybrid_history(history: &[Interaction], half_life_days: Option<f64>) -> Vec<(usize, f32)> {
    let (touches, now) = touches(history);
    hybrid::history(&touches, now, half_life_days)
}

/// The hybrid's ranking of a history as serving computes it, without what
/// the user had.
pub fn hybrid_top(
    index: &HybridIndex,
    history: &[Interaction],
    half_life_days: Option<f64>,
    k: usize,
) -> Vec<usize> {
    let rows = distinct(history);
    let weighted = hybrid_history(history, half_life_days);
    let query = TopKQuery {
        k,
        exclude: &rows,
        per_group: None,
    };
    index
        .top_k(&weighted, &[], &query)
        .into_iter()
        .map(|(row, _)| row)
        .collect()
}

pub fn hybrid_metrics(split: &Split, index: &HybridIndex, half_life_days: Option<f64>) -> Metrics {
    evaluate(split, split.train.items.len(), |_, history| {
        if history.is_empty() {
            return Vec::new();
        }
        hybrid_top(index, history, half_life_days, MAX_K)
    })
}
