//! One stored model version over a catalogue (ML-3): an [`ItemIndex`] of
//! every catalogue item's vector. Items the model was trained on keep their
//! stored vectors; items listed since get one from their features (the tower
//! with the unknown id row). Building one is blocking libtorch work; the app
//! decides when (a new version, a changed catalogue) and swaps it in.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tch::{Device, Kind, Tensor};

use crate::{
    data::CatalogItem,
    hybrid::score::HybridIndex,
    index::ItemIndex,
    store::{ModelMeta, StoredModel},
};

/// One model version over the catalogue it was built for.
pub struct Served {
    pub version: String,
    pub meta: ModelMeta,
    pub index: ItemIndex,
    /// Products without a stored vector, placed by their features.
    pub feature_only: usize,
    /// The hybrid over the same rows, when the version has one: what ranks
    /// a viewer's recommendations; the vectors serve similar products and
    /// viewers the hybrid cannot place.
    pub hybrid: Option<HybridIndex>,
    model: Arc<Mutex<StoredModel>>,
}

impl Served {
    /// Indexes `catalogue` with `model` (blocking).
    pub fn build(model: StoredModel, version: String, catalogue: &[CatalogItem]) -> Served {
        index_catalogue(Arc::new(Mutex::new(model)), version, catalogue)
    }

    /// The same version over `catalogue` as it is now (blocking).
    pub fn rebuild(&self, catalogue: &[CatalogItem]) -> Served {
        index_catalogue(self.model.clone(), self.version.clone(), catalogue)
    }
}

fn index_catalogue(
    model: Arc<Mutex<StoredModel>>,
    version: String,
    catalogue: &[CatalogItem],
) -> Served {
    let _guard = tch::no_grad_guard();
    let stored = model.lock().unwrap_or_else(|e| e.into_inner());
    let trained: HashMap<i64, i64> = stored
        .ids
        .iter()
        .enumerate()
        .map(|(row, &id)| (id, row as i64))
        .collect();
    let dim = stored.meta.config.dim;
    let mut vectors = Tensor::zeros([catalogue.len() as i64, dim], (Kind::Float, Device::Cpu));
    let (mut known_at, mut known_rows, mut new_at) = (Vec::new(), Vec::new(), Vec::new());
    for (at, item) in catalogue.iter().enumerate() {
        match trained.get(&item.id) {
            Some(&row) => {
                known_at.push(at as i64);
                known_rows.push(row);
            }
            None => new_at.push(at),
        }
    }
    if !known_at.is_empty() {
        let rows = stored
            .vectors
            .index_select(0, &Tensor::from_slice(&known_rows));
        let _ = vectors.index_copy_(0, &Tensor::from_slice(&known_at), &rows);
    }
    if !new_at.is_empty() {
        let encoded = stored
            .meta
            .vocabulary
            .encode(new_at.iter().map(|&at| &catalogue[at].features));
        let fresh = stored
            .tower
            .encode_all(&encoded, &vec![0; new_at.len()], Device::Cpu);
        let at: Vec<i64> = new_at.iter().map(|&a| a as i64).collect();
        let _ = vectors.index_copy_(0, &Tensor::from_slice(&at), &fresh);
    }
    let meta = stored.meta.clone();
    let hybrid = stored
        .hybrid
        .as_ref()
        .map(|h| HybridIndex::build(h, catalogue));
    drop(stored);
    Served {
        version,
        meta,
        index: ItemIndex::new(
            vectors,
            catalogue.iter().map(|c| c.id).collect(),
            catalogue.iter().map(|c| c.store_id).collect(),
        ),
        feature_only: new_at.len(),
        hybrid,
        model,
    }
}
