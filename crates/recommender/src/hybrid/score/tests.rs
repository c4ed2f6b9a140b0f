use rand::{Rng, SeedableRng, rngs::StdRng};

use super::*;
use crate::{
    data::ItemFeatures,
    hybrid::{HybridConfig, HybridMeta, HybridModel, Weights},
    index::top_k_of_scores,
};

fn item(id: i64, store: i64, tags: &[&str]) -> CatalogItem {
    CatalogItem {
        id,
        name: format!("item {id}"),
        store_id: store,
        features: ItemFeatures {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..ItemFeatures::default()
        },
    }
}

/// A model over ids 100.. with random neighbours and distinct popularity.
fn random_model(n: usize, width: usize, seed: u64) -> HybridModel {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    let mut weights = Vec::new();
    for from in 0..n {
        for k in 0..width {
            if k + 1 == width {
                rows.push(n as i64);
                weights.push(0.0f32);
            } else {
                let mut to = rng.random_range(0..n);
                if to == from {
                    to = (to + 1) % n;
                }
                rows.push(to as i64);
                weights.push(rng.random_range(0.01..1.0));
            }
        }
    }
    HybridModel {
        meta: HybridMeta {
            config: HybridConfig::default(),
            scales: [1.0; 4],
            ids: (0..n as i64).map(|i| i + 100).collect(),
            // A permutation: no two items tie.
            popularity: (0..n as u32).map(|i| (i * 7919) % n as u32).collect(),
            idf: HashMap::new(),
        },
        neighbours: Tensor::from_slice(&rows).view([n as i64, width as i64]),
        weights: Tensor::from_slice(&weights).view([n as i64, width as i64]),
    }
}

fn catalogue(n: usize, stores: i64) -> Vec<CatalogItem> {
    (0..n as i64)
        .map(|i| item(i + 100, i % stores, &[]))
        .collect()
}

#[test]
fn top_k_equals_ranking_every_row() {
    let model = random_model(500, 12, 1);
    let cat = catalogue(500, 9);
    let index = HybridIndex::build(&model, &cat);
    assert_eq!(index.fitted, 500);
    let mut rng = StdRng::seed_from_u64(3);
    for case in 0..40 {
        let history: Vec<(usize, f32)> = (0..1 + case % 7)
            .map(|_| (rng.random_range(0..500), rng.random_range(0.5..5.0)))
            .collect();
        let negatives: Vec<usize> = (0..case % 3).map(|_| rng.random_range(0..500)).collect();
        let exclude: Vec<usize> = (0..case * 3).map(|_| rng.random_range(0..500)).collect();
        let query = TopKQuery {
            k: [1, 10, 20, 50][case % 4],
            exclude: &exclude,
            per_group: [None, Some(1), Some(2), Some(3)][case % 4],
        };
        let got = index.top_k(&history, &negatives, &query);
        let groups: Vec<i64> = cat.iter().map(|c| c.store_id).collect();
        let want = top_k_of_scores(index.scores(&history, &negatives), &groups, &query);
        assert_eq!(got.len(), want.len(), "case {case}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.0, "case {case}: {got:?} vs {want:?}");
            assert!((g.1 - w.1).abs() < 1e-5);
        }
        assert!(got.iter().all(|(r, _)| !exclude.contains(r)));
    }
}

#[test]
fn no_history_is_popularity_and_negatives_push_neighbours_down() {
    let model = random_model(50, 4, 2);
    let index = HybridIndex::build(&model, &catalogue(50, 50));
    let query = TopKQuery {
        k: 5,
        ..TopKQuery::default()
    };
    let top = index.top_k(&[], &[], &query);
    let mut by_pop: Vec<usize> = (0..50).collect();
    by_pop.sort_by_key(|&r| std::cmp::Reverse(model.meta.popularity[r]));
    assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), by_pop[..5]);
    assert!(!index.reaches(&[]));

    let history = [(0usize, 1.0f32), (1, 1.0)];
    let plain = index.scores(&history, &[]);
    let pushed = index.scores(&history, &[2]);
    let neighbours_of_2: Vec<i64> = Vec::try_from(model.neighbours.get(2)).unwrap();
    for to in neighbours_of_2.into_iter().filter(|&t| t < 50) {
        assert!(pushed.double_value(&[to]) < plain.double_value(&[to]));
    }
}

#[test]
fn new_items_join_by_content_and_delisted_items_drop_out() {
    // Fitted: 0 → 1. Item 2 ("teacup") is new: it should be reached from
    // item 0, which shares its tags, and not from item 1.
    let model = HybridModel {
        meta: HybridMeta {
            config: HybridConfig {
                content_k: 1,
                weights: Weights {
                    ease: 1.0,
                    next: 0.0,
                    knn: 0.0,
                    content: 1.0,
                },
                ..HybridConfig::default()
            },
            scales: [1.0; 4],
            ids: vec![10, 11],
            popularity: vec![5, 3],
            idf: [
                ("tag:teacup", 1.0f32),
                ("tag:regency", 0.5),
                ("tag:lantern", 1.0),
            ]
            .into_iter()
            .map(|(t, w)| (t.to_owned(), w))
            .collect(),
        },
        neighbours: Tensor::from_slice(&[1i64, 2, 2, 2]).view([2, 2]),
        weights: Tensor::from_slice(&[0.8f32, 0.0, 0.0, 0.0]).view([2, 2]),
    };
    let cat = vec![
        item(10, 1, &["teacup", "regency"]),
        item(11, 2, &["lantern"]),
        item(12, 3, &["teacup"]),
    ];
    let index = HybridIndex::build(&model, &cat);
    assert_eq!(index.fitted, 2);
    let scores = index.scores(&[(0, 1.0)], &[]);
    assert!(scores.double_value(&[2]) > 0.5, "{scores}");
    let from_lantern = index.scores(&[(1, 1.0)], &[]);
    assert!(from_lantern.double_value(&[2]) < 1e-3);
    let top = index.top_k(
        &[(0, 1.0)],
        &[],
        &TopKQuery {
            k: 2,
            exclude: &[0],
            per_group: None,
        },
    );
    // Item 12 (cosine 0.89 with item 10) outranks item 11 (0.8).
    assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![2, 1]);

    // Item 11 delisted: the catalogue no longer has it, nothing points at it.
    let fewer = vec![item(10, 1, &["teacup"]), item(12, 3, &["teacup"])];
    let index = HybridIndex::build(&model, &fewer);
    assert_eq!(index.fitted, 1);
    let top = index.top_k(
        &[(0, 1.0)],
        &[],
        &TopKQuery {
            k: 5,
            exclude: &[0],
            per_group: None,
        },
    );
    assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1]);
}
