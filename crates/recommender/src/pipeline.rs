//! Train on a dataset and store the result as a new version: the one path
//! `vitrine ml train` and the background training job share.
use std::path::Path;

use chrono::Utc;
use tch::Device;

use crate::{
    data::Dataset,
    store::{self, ModelMeta},
    train::{self, TrainConfig, TrainProgress},
};

/// CUDA when libtorch sees a GPU, else the CPU.
pub fn device() -> Device {
    Device::cuda_if_available()
}

/// Trains, saves under `root` and makes the version current.
pub fn train_and_save(
    dataset: &Dataset,
    config: &TrainConfig,
    root: &Path,
    progress: &mut dyn FnMut(&TrainProgress),
) -> anyhow::Result<ModelMeta> {
    let device = device();
    let started = std::time::Instant::now();
    let trained = train::train(dataset, config, device, progress)?;
    let train_secs = started.elapsed().as_secs_f64();
    let mut metrics = serde_json::Map::new();
    if let (Some(first), Some(last)) = (trained.epochs.first(), trained.epochs.last()) {
        metrics.insert("first_epoch_loss".into(), first.loss.into());
        metrics.insert("final_loss".into(), last.loss.into());
        metrics.insert("triplets_per_sec".into(), last.triplets_per_sec.into());
    }
    metrics.insert("train_secs".into(), train_secs.into());
    let meta = ModelMeta {
        version: String::new(),
        created_at: Utc::now(),
        dataset: dataset.name.clone(),
        data_hash: dataset.hash(),
        users: dataset.users.len(),
        items: dataset.items.len(),
        interactions: dataset.interactions.len(),
        pairs: trained.pairs,
        config: config.clone(),
        epochs: trained.epochs.clone(),
        metrics,
        device: format!("{device:?}"),
        libtorch: crate::runtime::probe().version,
        vocabulary: trained.vocab.clone(),
    };
    let ids: Vec<i64> = dataset.items.iter().map(|i| i.id).collect();
    let version = store::save(root, &trained, &ids, meta.clone())?;
    Ok(ModelMeta { version, ..meta })
}
