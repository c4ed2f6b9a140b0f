//! The matrix-factorisation baseline of the evaluation (ML-4): BPR
//! (Rendle et al., 2009) in libtorch. User and item factors plus an item
//! bias; for each observed (user, item) a uniformly drawn item the user has
//! not touched; loss `−ln σ(x̂ui − x̂uj)` + L2 on the factors used; Adam.
use std::collections::HashSet;

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor, nn, nn::OptimizerConfig};

use crate::data::Dataset;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BprConfig {
    pub dim: i64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub l2: f64,
    pub seed: u64,
}

impl Default for BprConfig {
    fn default() -> Self {
        Self {
            dim: 64,
            epochs: 30,
            batch_size: 1024,
            learning_rate: 0.01,
            l2: 1e-4,
            seed: 42,
        }
    }
}

pub struct Bpr {
    pub users: Tensor,
    pub items: Tensor,
    pub bias: Tensor,
}

impl Bpr {
    /// Scores of every item for `user`.
    pub fn scores(&self, user: u32) -> Tensor {
        self.items.mv(&self.users.get(i64::from(user))) + &self.bias
    }
}

/// Trains on the distinct (user, item) pairs of `data`. `on_epoch(epoch, loss)`.
pub fn train(
    data: &Dataset,
    config: &BprConfig,
    device: Device,
    on_epoch: &mut dyn FnMut(usize, f64),
) -> anyhow::Result<Bpr> {
    tch::manual_seed(config.seed as i64);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let n_items = data.items.len() as u32;
    anyhow::ensure!(n_items >= 2, "BPR needs at least 2 items");
    let mut positives: Vec<HashSet<u32>> = vec![HashSet::new(); data.users.len()];
    for i in &data.interactions {
        positives[i.user as usize].insert(i.item);
    }
    let mut pairs: Vec<(u32, u32)> = positives
        .iter()
        .enumerate()
        .flat_map(|(u, items)| {
            let mut items: Vec<u32> = items.iter().copied().collect();
            items.sort_unstable();
            items.into_iter().map(move |i| (u as u32, i))
        })
        .collect();
    let vs = nn::VarStore::new(device);
    let root = vs.root();
    let users = root.randn("users", &[data.users.len() as i64, config.dim], 0.0, 0.1);
    let items = root.randn("items", &[i64::from(n_items), config.dim], 0.0, 0.1);
    let bias = root.zeros("bias", &[i64::from(n_items)]);
    let mut opt = nn::Adam::default().build(&vs, config.learning_rate)?;
    for epoch in 1..=config.epochs {
        pairs.shuffle(&mut rng);
        let (mut loss_sum, mut batches) = (0.0, 0usize);
        for batch in pairs.chunks(config.batch_size) {
            let u: Vec<i64> = batch.iter().map(|p| i64::from(p.0)).collect();
            let i: Vec<i64> = batch.iter().map(|p| i64::from(p.1)).collect();
            let j: Vec<i64> = batch
                .iter()
                .map(|&(user, _)| {
                    let seen = &positives[user as usize];
                    let mut j = rng.random_range(0..n_items);
                    for _ in 0..16 {
                        if !seen.contains(&j) {
                            break;
                        }
                        j = rng.random_range(0..n_items);
                    }
                    i64::from(j)
                })
                .collect();
            let (u, i, j) = (
                Tensor::from_slice(&u).to_device(device),
                Tensor::from_slice(&i).to_device(device),
                Tensor::from_slice(&j).to_device(device),
            );
            let (pu, qi, qj) = (
                users.index_select(0, &u),
                items.index_select(0, &i),
                items.index_select(0, &j),
            );
            let x = (&pu * (&qi - &qj)).sum_dim_intlist([1i64].as_slice(), false, Kind::Float)
                + bias.index_select(0, &i)
                - bias.index_select(0, &j);
            let l2 = (pu.square() + qi.square() + qj.square())
                .sum_dim_intlist([1i64].as_slice(), false, Kind::Float)
                .mean(Kind::Float);
            let loss = -x.log_sigmoid().mean(Kind::Float) + l2 * config.l2;
            opt.backward_step(&loss);
            loss_sum += loss.double_value(&[]);
            batches += 1;
        }
        on_epoch(epoch, loss_sum / batches.max(1) as f64);
    }
    let _guard = tch::no_grad_guard();
    Ok(Bpr {
        users: users.detach().to_device(Device::Cpu),
        items: items.detach().to_device(Device::Cpu),
        bias: bias.detach().to_device(Device::Cpu),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetBuilder, Item, ItemFeatures, Signal};

    #[test]
    fn learns_which_cluster_a_user_belongs_to() {
        let _rng = crate::torch_rng();
        let mut b = DatasetBuilder::new("bpr");
        for id in 0..10 {
            b.item(Item {
                id,
                name: String::new(),
                features: ItemFeatures::default(),
            });
        }
        // Users 0..20 buy items 0..4 except item (u % 5); others 5..9.
        for u in 0..40i64 {
            let base = if u < 20 { 0 } else { 5 };
            for k in 0..5 {
                if k != u % 5 {
                    b.interaction(u, base + k, Signal::Purchase, k);
                }
            }
        }
        let data = b.build();
        let config = BprConfig {
            dim: 8,
            epochs: 40,
            batch_size: 32,
            ..BprConfig::default()
        };
        let model = train(&data, &config, Device::Cpu, &mut |_, _| {}).unwrap();
        // User 0 never bought item 0 but its cluster did: it outranks item 5..9.
        let scores: Vec<f32> = Vec::try_from(&model.scores(0)).unwrap();
        let best_other = scores[5..].iter().copied().fold(f32::MIN, f32::max);
        assert!(scores[0] > best_other, "{scores:?}");
    }
}
