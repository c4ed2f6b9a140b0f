//! Exact top-k by inner product over every item vector, in libtorch (ML-3):
//! one matrix-vector product, excluded rows set to −∞, `topk`, then a greedy
//! walk that keeps at most `per_group` items of one store. When the walk runs
//! out (exclusions, diversification), it asks `topk` for more, so the answer
//! always equals the brute-force one.
use std::collections::HashMap;

use tch::{Device, Kind, Tensor};

/// A tensor shared read-only between threads. libtorch's reading ops
/// (`mv`, `mm`, `index_select`) do not mutate their inputs; the vectors are
/// written once, before the index is shared, and never after.
pub struct SharedTensor(Tensor);

// SAFETY: see the type's doc: only immutable, thread-safe reads after build.
unsafe impl Sync for SharedTensor {}

impl SharedTensor {
    /// Wraps a tensor that nothing writes to after this.
    pub fn new(tensor: Tensor) -> Self {
        Self(tensor)
    }
}

impl std::ops::Deref for SharedTensor {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        &self.0
    }
}

/// Item vectors with the id and group (store) of each row.
pub struct ItemIndex {
    vectors: SharedTensor,
    pub ids: Vec<i64>,
    pub groups: Vec<i64>,
    rows: HashMap<i64, usize>,
}

/// What a query leaves out and how it spreads results.
#[derive(Clone, Debug, Default)]
pub struct TopKQuery<'a> {
    pub k: usize,
    /// Rows never returned.
    pub exclude: &'a [usize],
    /// At most this many results share a group; `None` = no limit.
    pub per_group: Option<usize>,
}

impl ItemIndex {
    /// `vectors` is `[ids.len(), dim]` float.
    pub fn new(vectors: Tensor, ids: Vec<i64>, groups: Vec<i64>) -> Self {
        assert_eq!(vectors.size()[0] as usize, ids.len());
        assert_eq!(ids.len(), groups.len());
        let rows = ids.iter().enumerate().map(|(row, &id)| (id, row)).collect();
        let vectors = vectors
            .to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .contiguous();
        Self {
            vectors: SharedTensor(vectors),
            ids,
            groups,
            rows,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn row(&self, id: i64) -> Option<usize> {
        self.rows.get(&id).copied()
    }

    /// The vector of a row (a copy).
    pub fn vector(&self, row: usize) -> Tensor {
        self.vectors.get(row as i64)
    }

    pub fn vectors(&self) -> &Tensor {
        &self.vectors
    }

    /// Scores of every row for one query vector `[dim]`.
    pub fn scores(&self, query: &Tensor) -> Tensor {
        self.vectors.mv(&query.to_kind(Kind::Float))
    }

    /// The best `query.k` rows (row, score), best first.
    pub fn top_k(&self, query_vector: &Tensor, query: &TopKQuery<'_>) -> Vec<(usize, f32)> {
        let _guard = tch::no_grad_guard();
        let scores = self.scores(query_vector);
        self.top_k_of_scores(scores, query)
    }

    /// Top-k of precomputed scores `[len]` (see [`top_k_of_scores`]).
    pub fn top_k_of_scores(&self, scores: Tensor, query: &TopKQuery<'_>) -> Vec<(usize, f32)> {
        top_k_of_scores(scores, &self.groups, query)
    }

    /// Top-k (no exclusions, no diversification) of many queries at once:
    /// `[queries, dim]` → rows and scores per query.
    pub fn top_k_batch(&self, queries: &Tensor, k: usize) -> Vec<Vec<(usize, f32)>> {
        let _guard = tch::no_grad_guard();
        let k = k.min(self.len()) as i64;
        let scores = queries
            .to_kind(Kind::Float)
            .mm(&self.vectors.transpose(0, 1));
        let (values, rows) = scores.topk(k, 1, true, true);
        let b = values.size()[0];
        (0..b)
            .map(|q| {
                let values: Vec<f32> = Vec::try_from(&values.get(q)).unwrap_or_default();
                let rows: Vec<i64> = Vec::try_from(&rows.get(q)).unwrap_or_default();
                rows.into_iter().map(|r| r as usize).zip(values).collect()
            })
            .collect()
    }
}

/// The best `query.k` rows of `scores` (`[rows]`, consumed: exclusions are
/// written as −∞), best first; `groups[row]` is what `per_group` limits.
pub fn top_k_of_scores(
    mut scores: Tensor,
    groups: &[i64],
    query: &TopKQuery<'_>,
) -> Vec<(usize, f32)> {
    let n = scores.size()[0] as usize;
    if query.k == 0 || n == 0 {
        return Vec::new();
    }
    if !query.exclude.is_empty() {
        let rows: Vec<i64> = query.exclude.iter().map(|&r| r as i64).collect();
        let _ = scores.index_fill_(0, &Tensor::from_slice(&rows), f64::NEG_INFINITY);
    }
    let mut fetch = match query.per_group {
        None => query.k,
        Some(_) => query.k * 4,
    }
    .min(n);
    loop {
        let (values, rows) = scores.topk(fetch as i64, 0, true, true);
        let values: Vec<f32> = Vec::try_from(&values).unwrap_or_default();
        let rows: Vec<i64> = Vec::try_from(&rows).unwrap_or_default();
        let mut out = Vec::with_capacity(query.k);
        let mut per_group: HashMap<i64, usize> = HashMap::new();
        for (&row, &score) in rows.iter().zip(&values) {
            if score == f32::NEG_INFINITY {
                break;
            }
            let row = row as usize;
            if let Some(limit) = query.per_group {
                let used = per_group.entry(groups[row]).or_default();
                if *used >= limit {
                    continue;
                }
                *used += 1;
            }
            out.push((row, score));
            if out.len() == query.k {
                return out;
            }
        }
        // Every row scanned: this is all there is.
        if fetch >= n {
            return out;
        }
        fetch = (fetch * 4).min(n);
    }
}

/// The reference answer: every score in plain Rust, sorted, filtered.
#[cfg(test)]
pub fn brute_force(
    vectors: &[Vec<f32>],
    groups: &[i64],
    query_vector: &[f32],
    query: &TopKQuery<'_>,
) -> Vec<(usize, f32)> {
    let mut scored: Vec<(usize, f32)> = vectors
        .iter()
        .enumerate()
        .filter(|(row, _)| !query.exclude.contains(row))
        .map(|(row, v)| (row, v.iter().zip(query_vector).map(|(a, b)| a * b).sum()))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut per_group: HashMap<i64, usize> = HashMap::new();
    scored
        .into_iter()
        .filter(|(row, _)| match query.per_group {
            None => true,
            Some(limit) => {
                let used = per_group.entry(groups[*row]).or_default();
                *used += 1;
                *used <= limit
            }
        })
        .take(query.k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn random_index(n: usize, dim: usize, groups: i64, seed: u64) -> (ItemIndex, Vec<Vec<f32>>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|_| (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect())
            .collect();
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let tensor = Tensor::from_slice(&flat).view([n as i64, dim as i64]);
        let ids = (0..n as i64).map(|i| i + 1000).collect();
        let group_of = (0..n as i64).map(|i| i % groups).collect();
        (ItemIndex::new(tensor, ids, group_of), rows)
    }

    fn same(got: &[(usize, f32)], want: &[(usize, f32)]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.0, w.0, "{got:?} vs {want:?}");
            assert!((g.1 - w.1).abs() < 1e-4);
        }
    }

    #[test]
    fn exact_against_brute_force_with_exclusions_and_diversification() {
        let (index, rows) = random_index(2000, 16, 7, 1);
        let groups = index.groups.clone();
        let mut rng = StdRng::seed_from_u64(2);
        for case in 0..40 {
            let q: Vec<f32> = (0..16).map(|_| rng.random_range(-1.0..1.0)).collect();
            let exclude: Vec<usize> = (0..case * 5).map(|_| rng.random_range(0..2000)).collect();
            let per_group = [None, Some(1), Some(2), Some(3)][case % 4];
            let query = TopKQuery {
                k: [1, 10, 20, 50][case % 4],
                exclude: &exclude,
                per_group,
            };
            let got = index.top_k(&Tensor::from_slice(&q), &query);
            same(&got, &brute_force(&rows, &groups, &q, &query));
            if let Some(limit) = per_group {
                let mut counts: HashMap<i64, usize> = HashMap::new();
                for (row, _) in &got {
                    *counts.entry(groups[*row]).or_default() += 1;
                }
                assert!(counts.values().all(|&c| c <= limit));
            }
            assert!(got.iter().all(|(row, _)| !exclude.contains(row)));
        }
    }

    #[test]
    fn diversification_that_cannot_fill_k_returns_what_exists() {
        let (index, rows) = random_index(50, 4, 3, 5);
        let query = TopKQuery {
            k: 10,
            exclude: &[],
            per_group: Some(2),
        };
        let q = [0.3f32, -0.2, 0.9, 0.1];
        let got = index.top_k(&Tensor::from_slice(&q), &query);
        assert_eq!(got.len(), 6, "3 stores × 2");
        same(&got, &brute_force(&rows, &index.groups, &q, &query));
        let everything: Vec<usize> = (0..50).collect();
        let none = index.top_k(
            &Tensor::from_slice(&q),
            &TopKQuery {
                k: 5,
                exclude: &everything,
                per_group: None,
            },
        );
        assert!(none.is_empty());
    }

    #[test]
    fn batched_matches_single() {
        let (index, rows) = random_index(500, 8, 10, 9);
        let mut rng = StdRng::seed_from_u64(4);
        let queries: Vec<Vec<f32>> = (0..6)
            .map(|_| (0..8).map(|_| rng.random_range(-1.0..1.0)).collect())
            .collect();
        let flat: Vec<f32> = queries.iter().flatten().copied().collect();
        let batch = index.top_k_batch(&Tensor::from_slice(&flat).view([6, 8]), 10);
        for (q, got) in queries.iter().zip(&batch) {
            let query = TopKQuery {
                k: 10,
                ..TopKQuery::default()
            };
            same(got, &brute_force(&rows, &index.groups, q, &query));
        }
    }
}
