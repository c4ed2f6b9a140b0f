//! The hybrid's parts, each an item × item matrix over the fitted items
//! (dense, in libtorch): EASE and item-kNN on co-occurrence, next-items
//! ridge regression from a user's past to what they bought later, and
//! content similarity over the items' features. EASE and item-kNN are also
//! the evaluation's baselines on their own.
use std::collections::HashMap;

use tch::{Device, Kind, Tensor};

use crate::data::{Dataset, Item};

/// Each user's distinct items (dataset rows), sorted.
pub fn user_items(data: &Dataset) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); data.users.len()];
    for i in &data.interactions {
        out[i.user as usize].push(i.item);
    }
    for items in &mut out {
        items.sort_unstable();
        items.dedup();
    }
    out
}

/// `Σ xᵀy` over rows whose `x` and `y` are sets of item rows, as a dense
/// `[n, n]` double matrix (the sums are exact counts).
fn cross<'a>(rows: impl Iterator<Item = (&'a [u32], &'a [u32])>, n: usize) -> Tensor {
    let mut g = vec![0f64; n * n];
    for (x, y) in rows {
        for &i in x {
            let row = &mut g[i as usize * n..(i as usize + 1) * n];
            for &j in y {
                row[j as usize] += 1.0;
            }
        }
    }
    Tensor::from_slice(&g).view([n as i64, n as i64])
}

/// `XᵀX` of the binary user × item matrix: how many users have both items.
pub fn gram(data: &Dataset) -> Tensor {
    let users = user_items(data);
    cross(
        users
            .iter()
            .map(|items| (items.as_slice(), items.as_slice())),
        data.items.len(),
    )
}

/// EASE (Steck, 2019): `B = I − P·diagMat(1 / diag(P))`, `P = (XᵀX + λI)⁻¹`,
/// so that `B` has a zero diagonal. A user's scores are `x_u B`.
pub fn ease(gram: &Tensor, lambda: f64) -> Tensor {
    let _guard = tch::no_grad_guard();
    let n = gram.size()[0];
    let g = gram.to_kind(Kind::Double) + Tensor::eye(n, (Kind::Double, Device::Cpu)) * lambda;
    let p = Tensor::linalg_inv(&g);
    let diag = p.diagonal(0, 0, 1).unsqueeze(0);
    let mut b = -(p / diag);
    let _ = b.fill_diagonal_(0.0, false);
    b.to_kind(Kind::Float)
}

/// Item-kNN: cosine similarity of the items' user columns; each item keeps
/// its `k` most similar items as the ones that score it (column-wise), so
/// a user's score for `i` sums the similarities of `i`'s neighbours they have.
pub fn knn(gram: &Tensor, k: usize) -> Tensor {
    let _guard = tch::no_grad_guard();
    let g = gram.to_kind(Kind::Double);
    let norms = g.diagonal(0, 0, 1).sqrt().clamp_min(1e-12);
    let mut cos = &g / norms.unsqueeze(0) / norms.unsqueeze(1);
    let _ = cos.fill_diagonal_(0.0, false);
    keep_top_per_column(&cos.to_kind(Kind::Float), k)
}

/// Zeroes all but the `k` largest entries of each column.
pub fn keep_top_per_column(m: &Tensor, k: usize) -> Tensor {
    let n = m.size()[0];
    let k = (k as i64).min(n);
    let (values, rows) = m.topk(k, 0, true, false);
    m.zeros_like().scatter(0, &rows, &values)
}

/// The training rows of next-items regression: for each user and each
/// share in `fracs`, the items before the cut that holds out that share of
/// their history (as the evaluation's split cuts) → the items after it
/// that they had not had before. Cuts never split a timestamp.
pub fn next_item_rows(data: &Dataset, fracs: &[f64]) -> Vec<(Vec<u32>, Vec<u32>)> {
    let mut rows = Vec::new();
    for history in data.by_user() {
        let n = history.len();
        if n < 2 {
            continue;
        }
        let mut cuts: Vec<usize> = fracs
            .iter()
            .filter_map(|&f| {
                let held = ((n as f64 * f).ceil() as usize).clamp(1, n - 1);
                let boundary = history[n - held].at;
                let cut = history.partition_point(|i| i.at < boundary);
                (cut > 0).then_some(cut)
            })
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let mut past: Vec<u32> = history[..cut].iter().map(|i| i.item).collect();
            past.sort_unstable();
            past.dedup();
            let mut future: Vec<u32> = history[cut..]
                .iter()
                .map(|i| i.item)
                .filter(|i| past.binary_search(i).is_err())
                .collect();
            future.sort_unstable();
            future.dedup();
            if !future.is_empty() {
                rows.push((past, future));
            }
        }
    }
    rows
}

/// Ridge regression from past items to new future items:
/// `S = (PᵀP + λI)⁻¹ PᵀY` with a zero diagonal.
pub fn next_items(data: &Dataset, fracs: &[f64], lambda: f64) -> Tensor {
    let _guard = tch::no_grad_guard();
    let n = data.items.len();
    let rows = next_item_rows(data, fracs);
    let ptp = cross(rows.iter().map(|(p, _)| (p.as_slice(), p.as_slice())), n);
    let pty = cross(rows.iter().map(|(p, y)| (p.as_slice(), y.as_slice())), n);
    let a = ptp + Tensor::eye(n as i64, (Kind::Double, Device::Cpu)) * lambda;
    let mut s = Tensor::linalg_solve(&a, &pty, true);
    let _ = s.fill_diagonal_(0.0, false);
    s.to_kind(Kind::Float)
}

/// An item's feature tokens, each field prefixed (`color:red`).
pub fn tokens(item: &Item) -> Vec<String> {
    let f = &item.features;
    let mut out: Vec<String> = Vec::new();
    let mut add = |field: &str, values: &[String]| {
        for v in values {
            out.push(format!("{field}:{}", v.to_lowercase()));
        }
    };
    add("category", &f.category);
    add("season", &f.seasons);
    add("fiber", &f.fibers);
    add("color", &f.colors);
    add("tag", &f.tags);
    if let Some(g) = &f.gender {
        out.push(format!("gender:{}", g.to_lowercase()));
    }
    out.sort();
    out.dedup();
    out
}

/// TF-IDF vectors of items' feature tokens (unit length), with the idf of
/// each token the catalogue it was built over had.
#[derive(Clone, Debug, Default)]
pub struct ContentVectors {
    pub idf: HashMap<String, f32>,
    /// Per item: (token id, weight), unit length; token ids are local to
    /// this set.
    pub vectors: Vec<Vec<(u32, f32)>>,
}

impl ContentVectors {
    pub fn fit(items: &[Item]) -> Self {
        let docs: Vec<Vec<String>> = items.iter().map(tokens).collect();
        let mut df: HashMap<&str, u32> = HashMap::new();
        for doc in &docs {
            for t in doc {
                *df.entry(t.as_str()).or_default() += 1;
            }
        }
        let n = items.len().max(1) as f32;
        let idf = df
            .into_iter()
            .map(|(t, c)| (t.to_owned(), (n / c as f32).ln().max(0.0)))
            .collect();
        Self::with_idf(idf, items)
    }

    /// Vectors of `items` with a stored idf (tokens it lacks weigh nothing).
    pub fn with_idf(idf: HashMap<String, f32>, items: &[Item]) -> Self {
        let mut vocabulary: HashMap<String, u32> = HashMap::new();
        let vectors = items
            .iter()
            .map(|item| {
                let mut v: Vec<(u32, f32)> = tokens(item)
                    .into_iter()
                    .filter_map(|t| {
                        let w = *idf.get(&t)?;
                        (w > 0.0).then_some((t, w))
                    })
                    .map(|(t, w)| {
                        let next = vocabulary.len() as u32;
                        (*vocabulary.entry(t).or_insert(next), w)
                    })
                    .collect();
                let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
                if norm > 0.0 {
                    for (_, w) in &mut v {
                        *w /= norm;
                    }
                }
                v
            })
            .collect();
        Self { idf, vectors }
    }

    /// The inverted index of these vectors: token → (item, weight).
    pub fn postings(&self) -> Postings {
        self.postings_of(0..self.vectors.len())
    }

    /// The inverted index of the vectors in `items` only.
    pub fn postings_of(&self, items: std::ops::Range<usize>) -> Postings {
        let mut index: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
        for item in items {
            for &(t, w) in &self.vectors[item] {
                index.entry(t).or_default().push((item as u32, w));
            }
        }
        Postings(index)
    }
}

/// Token → items having it, with their weights.
pub struct Postings(HashMap<u32, Vec<(u32, f32)>>);

impl Postings {
    /// Cosine similarity of the vector `of` with every item indexed here
    /// that shares a token with it.
    pub fn similarities(&self, of: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for &(t, w) in of {
            if let Some(list) = self.0.get(&t) {
                for &(item, w2) in list {
                    *acc.entry(item).or_default() += w * w2;
                }
            }
        }
        acc.into_iter().collect()
    }
}

/// Content similarity of the items, each column keeping its `k` most
/// similar items (as [`knn`] does), dense `[n, n]`.
pub fn content(items: &[Item], k: usize) -> (Tensor, ContentVectors) {
    let vectors = ContentVectors::fit(items);
    let postings = vectors.postings();
    let n = items.len();
    let mut m = vec![0f32; n * n];
    for (i, v) in vectors.vectors.iter().enumerate() {
        for (j, s) in postings.similarities(v) {
            if j as usize != i {
                m[j as usize * n + i] = s;
            }
        }
    }
    let dense = Tensor::from_slice(&m).view([n as i64, n as i64]);
    (keep_top_per_column(&dense, k), vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetBuilder, ItemFeatures, Signal};

    fn close(t: &Tensor, want: &[[f64; 3]; 3]) {
        for (i, row) in want.iter().enumerate() {
            for (j, &w) in row.iter().enumerate() {
                let got = t.double_value(&[i as i64, j as i64]);
                assert!((got - w).abs() < 1e-5, "[{i},{j}] {got} vs {w}");
            }
        }
    }

    /// Three users over three items: {0,1}, {1,2}, {0,1,2}.
    fn tiny() -> Dataset {
        let mut b = DatasetBuilder::new("tiny");
        for id in 0..3 {
            b.item(Item {
                id,
                name: String::new(),
                features: ItemFeatures::default(),
            });
        }
        for (user, items) in [(1, vec![0, 1]), (2, vec![1, 2]), (3, vec![0, 1, 2])] {
            for item in items {
                b.interaction(user, item, Signal::Purchase, 1);
            }
        }
        b.build()
    }

    #[test]
    fn ease_on_a_tiny_matrix_matches_the_hand_computed_answer() {
        let g = gram(&tiny());
        close(&g, &[[2.0, 2.0, 1.0], [2.0, 3.0, 2.0], [1.0, 2.0, 2.0]]);
        // λ = 1: G + I = [[3,2,1],[2,4,2],[1,2,3]], det = 16, and
        // P = (G + I)⁻¹ = [[8,-4,0],[-4,8,-4],[0,-4,8]] / 16.
        // B_ij = −P_ij / P_jj: column 0 ÷ 0.5, column 1 ÷ 0.5, column 2 ÷ 0.5.
        let b = ease(&g, 1.0);
        close(&b, &[[0.0, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.0]]);
    }

    #[test]
    fn knn_keeps_the_most_similar_per_column() {
        let g = gram(&tiny());
        // cos(0,1) = 2/√6, cos(0,2) = 1/2, cos(1,2) = 2/√6.
        let full = knn(&g, 2);
        let c = 2.0 / 6f64.sqrt();
        close(&full, &[[0.0, c, 0.5], [c, 0.0, c], [0.5, c, 0.0]]);
        let one = knn(&g, 1);
        // Column 0 keeps item 1 over item 2, column 2 keeps item 1 over
        // item 0; column 1's two neighbours tie, and one of them stays.
        assert!((one.double_value(&[1, 0]) - c).abs() < 1e-5);
        assert_eq!(one.double_value(&[2, 0]), 0.0);
        assert!((one.double_value(&[1, 2]) - c).abs() < 1e-5);
        assert_eq!(one.double_value(&[0, 2]), 0.0);
        let column_1 = one.select(1, 1).ne(0.0).sum(Kind::Int64).int64_value(&[]);
        assert_eq!(column_1, 1);
    }

    #[test]
    fn next_item_rows_cut_like_the_split_and_keep_only_new_items() {
        let mut b = DatasetBuilder::new("t");
        for id in 0..4 {
            b.item(Item {
                id,
                name: String::new(),
                features: ItemFeatures::default(),
            });
        }
        for (item, at) in [(0, 1), (1, 1), (0, 2), (2, 3), (3, 4)] {
            b.interaction(7, item, Signal::Purchase, at);
        }
        let rows = next_item_rows(&b.build(), &[0.2, 0.5]);
        // 5 interactions: 20% holds out 1 (at 4); 50% holds out 3 (from 2).
        assert_eq!(
            rows,
            vec![(vec![0, 1], vec![2, 3]), (vec![0, 1, 2], vec![3])]
        );
    }

    #[test]
    fn content_similarity_follows_shared_rare_tokens() {
        let item = |id, colors: &[&str], tags: &[&str]| Item {
            id,
            name: String::new(),
            features: ItemFeatures {
                colors: colors.iter().map(|s| s.to_string()).collect(),
                tags: tags.iter().map(|s| s.to_string()).collect(),
                ..ItemFeatures::default()
            },
        };
        let items = vec![
            item(0, &["red"], &["teacup", "regency"]),
            item(1, &["green"], &["teacup", "regency"]),
            item(2, &["red"], &["lantern"]),
            item(3, &["blue"], &["lantern"]),
        ];
        let (m, _) = content(&items, 1);
        // Item 0's nearest is 1 (two shared tokens), not 2 (one).
        assert!(m.double_value(&[1, 0]) > 0.0);
        assert_eq!(m.double_value(&[2, 0]), 0.0);
        assert_eq!(m.double_value(&[0, 0]), 0.0);
    }
}
