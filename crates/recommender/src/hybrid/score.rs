//! A fitted hybrid over the live catalogue: neighbour lists by catalogue
//! row, with items the model was not fitted on (listed since, or beyond its
//! item cap) linked in by content similarity to the fitted items, and a
//! popularity prior that orders what no neighbour reaches.
//!
//! [`HybridIndex::top_k`] touches only the neighbours of the history (a few
//! thousand entries), whatever the catalogue's size; it returns exactly
//! what ranking [`HybridIndex::scores`] over every row would.
use std::collections::{HashMap, HashSet};

use tch::{Kind, Tensor};

use super::{HybridModel, fit::ContentVectors};
use crate::{
    data::{CatalogItem, Item},
    index::{SharedTensor, TopKQuery},
};

/// Popularity's share of a score: below any neighbour's weight, so it only
/// orders items that no neighbour reaches (or that tie).
pub const PRIOR: f32 = 1e-4;

/// How strongly a negative reaction pushes its neighbours down, against the
/// mean weight of the history.
pub const NEGATIVE_SHARE: f32 = 0.5;

pub struct HybridIndex {
    /// `[rows, width]`; `rows` pads.
    neighbours: SharedTensor,
    weights: SharedTensor,
    /// `[rows + 1]`: popularity prior, 0 for the padding row.
    prior: SharedTensor,
    prior_values: Vec<f32>,
    /// Rows by prior, highest first.
    popular: Vec<usize>,
    groups: Vec<i64>,
    /// Rows with at least one neighbour.
    has_neighbours: Vec<bool>,
    /// Catalogue rows the model was fitted on.
    pub fitted: usize,
    /// The model's recency weighting of a history ([`super::history`]).
    pub half_life_days: Option<f64>,
}

impl HybridIndex {
    /// Indexes `catalogue` (blocking): fitted items keep their neighbours
    /// (those still listed); every other item becomes a neighbour of the
    /// `content_k` fitted items its features are most like.
    pub fn build(model: &HybridModel, catalogue: &[CatalogItem]) -> Self {
        let _guard = tch::no_grad_guard();
        let n = catalogue.len();
        let at: HashMap<i64, usize> = catalogue
            .iter()
            .enumerate()
            .map(|(r, c)| (c.id, r))
            .collect();
        let meta = &model.meta;
        let fitted_at: Vec<Option<usize>> = meta.ids.iter().map(|id| at.get(id).copied()).collect();
        let nbr: Vec<i64> = Vec::try_from(model.neighbours.flatten(0, -1)).unwrap_or_default();
        let wts: Vec<f32> = Vec::try_from(model.weights.flatten(0, -1)).unwrap_or_default();
        // `lists` holds rows as u32: catalogues stay far below 4 billion.
        let width = model.neighbours.size().get(1).copied().unwrap_or(0) as usize;
        let mut lists: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        let mut prior = vec![0f32; n + 1];
        let max_pop = meta.popularity.iter().copied().max().unwrap_or(0).max(1) as f32;
        let mut fitted = 0;
        for (row, catalogue_row) in fitted_at.iter().enumerate() {
            let Some(from) = *catalogue_row else {
                continue;
            };
            fitted += 1;
            prior[from] = PRIOR * meta.popularity.get(row).copied().unwrap_or(0) as f32 / max_pop;
            for k in 0..width {
                let (to, w) = (nbr[row * width + k], wts[row * width + k]);
                if w > 0.0
                    && let Some(&Some(to)) = fitted_at.get(to as usize)
                {
                    lists[from].push((to as u32, w));
                }
            }
        }
        let is_fitted: HashSet<usize> = fitted_at.iter().flatten().copied().collect();
        let cold: Vec<usize> = (0..n).filter(|r| !is_fitted.contains(r)).collect();
        if !cold.is_empty() && meta.config.weights.content > 0.0 {
            let as_item = |c: &CatalogItem| Item {
                id: c.id,
                name: c.name.clone(),
                features: c.features.clone(),
            };
            let fitted_rows: Vec<usize> = fitted_at.iter().flatten().copied().collect();
            let fitted_items: Vec<Item> = fitted_rows
                .iter()
                .map(|&r| as_item(&catalogue[r]))
                .collect();
            let cold_items: Vec<Item> = cold.iter().map(|&r| as_item(&catalogue[r])).collect();
            let both: Vec<Item> = fitted_items.iter().chain(&cold_items).cloned().collect();
            let vectors = ContentVectors::with_idf(meta.idf.clone(), &both);
            let postings = vectors.postings_of(0..fitted_items.len());
            let weight = meta.content_weight();
            for (c, &row) in cold.iter().enumerate() {
                let mut sims = postings.similarities(&vectors.vectors[fitted_items.len() + c]);
                sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                for (f, s) in sims.into_iter().take(meta.config.content_k) {
                    if s > 0.0 {
                        lists[fitted_rows[f as usize]].push((row as u32, weight * s));
                    }
                }
            }
        }
        let width = lists.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut flat_rows = vec![n as i64; n * width];
        let mut flat_weights = vec![0f32; n * width];
        for (from, list) in lists.iter().enumerate() {
            for (k, &(to, w)) in list.iter().enumerate() {
                flat_rows[from * width + k] = to as i64;
                flat_weights[from * width + k] = w;
            }
        }
        let mut popular: Vec<usize> = (0..n).collect();
        popular.sort_by(|&a, &b| prior[b].total_cmp(&prior[a]).then(a.cmp(&b)));
        Self {
            neighbours: SharedTensor::new(
                Tensor::from_slice(&flat_rows).view([n as i64, width as i64]),
            ),
            weights: SharedTensor::new(
                Tensor::from_slice(&flat_weights).view([n as i64, width as i64]),
            ),
            prior: SharedTensor::new(Tensor::from_slice(&prior)),
            prior_values: prior,
            popular,
            groups: catalogue.iter().map(|c| c.store_id).collect(),
            has_neighbours: lists.iter().map(|l| !l.is_empty()).collect(),
            fitted,
            half_life_days: meta.config.half_life_days,
        }
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Whether any row of `history` has neighbours (else the model has
    /// nothing to say about this user beyond popularity).
    pub fn reaches(&self, history: &[(usize, f32)]) -> bool {
        history
            .iter()
            .any(|&(row, _)| self.has_neighbours.get(row).copied().unwrap_or(false))
    }

    /// The neighbour entries of `history` (row, weight) and of `negatives`
    /// (pushed down by [`NEGATIVE_SHARE`] of the history's mean weight):
    /// target rows and contributions, flat.
    fn contributions(&self, history: &[(usize, f32)], negatives: &[usize]) -> (Tensor, Tensor) {
        let mean = if history.is_empty() {
            0.0
        } else {
            history.iter().map(|h| h.1).sum::<f32>() / history.len() as f32
        };
        let mut rows: Vec<i64> = Vec::with_capacity(history.len() + negatives.len());
        let mut weights: Vec<f32> = Vec::with_capacity(rows.capacity());
        for &(row, w) in history {
            if row < self.len() {
                rows.push(row as i64);
                weights.push(w);
            }
        }
        for &row in negatives {
            if row < self.len() {
                rows.push(row as i64);
                weights.push(-NEGATIVE_SHARE * mean);
            }
        }
        let rows = Tensor::from_slice(&rows);
        let targets = self.neighbours.index_select(0, &rows).flatten(0, -1);
        let values = (self.weights.index_select(0, &rows)
            * Tensor::from_slice(&weights).unsqueeze(1))
        .flatten(0, -1);
        (targets, values)
    }

    /// Every row's score `[rows]` for a history of (row, weight).
    pub fn scores(&self, history: &[(usize, f32)], negatives: &[usize]) -> Tensor {
        let _guard = tch::no_grad_guard();
        let (targets, values) = self.contributions(history, negatives);
        let mut scores = self.prior.copy();
        let _ = scores.index_add_(0, &targets, &values);
        scores.narrow(0, 0, self.len() as i64)
    }

    /// The best `query.k` rows for a history, best first: the rows its
    /// neighbours reach, merged with the rest in popularity order.
    pub fn top_k(
        &self,
        history: &[(usize, f32)],
        negatives: &[usize],
        query: &TopKQuery<'_>,
    ) -> Vec<(usize, f32)> {
        let _guard = tch::no_grad_guard();
        let n = self.len();
        let (targets, values) = self.contributions(history, negatives);
        let (unique, inverse, _) = targets.internal_unique2(false, true, false);
        let mut compact = self.prior.index_select(0, &unique);
        let _ = compact.index_add_(0, &inverse, &values);
        let rows: Vec<i64> = Vec::try_from(&unique).unwrap_or_default();
        let scores: Vec<f32> = Vec::try_from(&compact.to_kind(Kind::Float)).unwrap_or_default();
        let excluded: HashSet<usize> = query.exclude.iter().copied().collect();
        let mut reached: Vec<(usize, f32)> = rows
            .iter()
            .zip(&scores)
            .map(|(&r, &s)| (r as usize, s))
            .filter(|(r, _)| *r < n && !excluded.contains(r))
            .collect();
        reached.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let reached_rows: HashSet<usize> = rows.iter().map(|&r| r as usize).collect();
        let mut rest = self
            .popular
            .iter()
            .copied()
            .filter(|r| !reached_rows.contains(r) && !excluded.contains(r))
            .map(|r| (r, self.prior_values[r]))
            .peekable();
        let mut reached = reached.into_iter().peekable();
        let mut out = Vec::with_capacity(query.k);
        let mut per_group: HashMap<i64, usize> = HashMap::new();
        while out.len() < query.k {
            let next = match (reached.peek(), rest.peek()) {
                (Some(a), Some(b)) if a.1 >= b.1 => reached.next(),
                (Some(_), Some(_)) | (None, Some(_)) => rest.next(),
                (Some(_), None) => reached.next(),
                (None, None) => break,
            };
            let Some((row, score)) = next else { break };
            if let Some(limit) = query.per_group {
                let used = per_group.entry(self.groups[row]).or_default();
                if *used >= limit {
                    continue;
                }
                *used += 1;
            }
            out.push((row, score));
        }
        out
    }
}

#[cfg(test)]
mod tests;
