//! Train on a dataset and store the result as a new version: the one path
//! `vitrine ml train` and the background training job share.
use std::path::Path;

use chrono::Utc;
use tch::Device;

use crate::{
    data::Dataset,
    hybrid::{HybridConfig, HybridModel},
    store::{self, ModelMeta},
    train::{self, TrainConfig, TrainProgress},
};

/// CUDA when libtorch sees a GPU, else the CPU.
pub fn device() -> Device {
    Device::cuda_if_available()
}

/// Trains the item tower and fits the hybrid, saves both under `root` as
/// one version and makes it current.
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
    let started = std::time::Instant::now();
    let hybrid = HybridModel::fit(dataset, &HybridConfig::default());
    metrics.insert(
        "hybrid_fit_secs".into(),
        started.elapsed().as_secs_f64().into(),
    );
    metrics.insert("hybrid_items".into(), hybrid.meta.ids.len().into());
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
    let version = store::save(root, &trained, &ids, Some(&hybrid), meta.clone())?;
    Ok(ModelMeta { version, ..meta })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        served::Served,
        train::tests::{clustered, small},
    };

    #[test]
    fn a_stored_version_carries_the_hybrid_and_older_ones_load_without() {
        let _rng = crate::torch_rng();
        let dir = std::env::temp_dir().join(format!("vitrine-pipeline-{}", std::process::id()));
        let data = clustered();
        let config = TrainConfig {
            epochs: 1,
            ..small()
        };
        let meta = train_and_save(&data, &config, &dir, &mut |_| {}).unwrap();
        assert_eq!(store::current(&dir).as_deref(), Some(meta.version.as_str()));
        let stored = store::load(&dir, &meta.version).unwrap();
        let hybrid = stored.hybrid.as_ref().expect("stored with its hybrid");
        let fitted = HybridModel::fit(&data, &HybridConfig::default());
        assert_eq!(hybrid.meta.ids, fitted.meta.ids);
        assert!(hybrid.neighbours.equal(&fitted.neighbours));
        assert!(hybrid.weights.allclose(&fitted.weights, 1e-6, 1e-6, false));

        // Served over the catalogue: the hybrid indexes the same rows.
        let catalogue = data.catalogue();
        let served = Served::build(stored, meta.version.clone(), &catalogue);
        let index = served.hybrid.as_ref().expect("indexed");
        assert_eq!(index.len(), served.index.len());
        assert_eq!(index.fitted, data.items.len());

        // A version written before the hybrid existed loads without one.
        std::fs::remove_file(dir.join(&meta.version).join("hybrid.json")).unwrap();
        assert!(store::load(&dir, &meta.version).unwrap().hybrid.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
