//! Serving (ML-3): the model version `CURRENT` names, with an index of the
//! vectors of every ACTIVE product. Products the model was trained on keep
//! their stored vectors; products listed since get one from their features
//! (the tower with the unknown id row). A new version, or a changed product,
//! builds a new [`Served`] off to the side and swaps it in under a lock held
//! for one pointer write: requests in flight finish on the one they hold.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
};

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tch::{Device, Kind, Tensor};

use super::{
    index::ItemIndex,
    source::{self, CatalogItem},
    store::{self, ModelMeta, StoredModel},
};

/// One model version over the current catalogue.
pub struct Served {
    pub version: String,
    pub meta: ModelMeta,
    pub index: ItemIndex,
    /// Products without a stored vector, placed by their features.
    pub feature_only: usize,
    model: Arc<Mutex<StoredModel>>,
}

pub struct Recommender {
    root: PathBuf,
    served: RwLock<Option<Arc<Served>>>,
    /// Held while a new `Served` is built, so two builds never race.
    building: tokio::sync::Mutex<()>,
}

impl Recommender {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            served: RwLock::new(None),
            building: tokio::sync::Mutex::new(()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The model being served, if any.
    pub fn current(&self) -> Option<Arc<Served>> {
        self.served
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn swap(&self, next: Served) {
        let next = Arc::new(next);
        *self.served.write().unwrap_or_else(|e| e.into_inner()) = Some(next);
    }

    /// Loads the version `CURRENT` names when it is not the one served.
    /// Returns the version now served.
    pub async fn reload(&self, db: &DatabaseConnection) -> anyhow::Result<Option<String>> {
        let _building = self.building.lock().await;
        let Some(version) = store::current(&self.root) else {
            return Ok(self.current().map(|s| s.version.clone()));
        };
        if self.current().is_some_and(|s| s.version == version) {
            return Ok(Some(version));
        }
        let root = self.root.clone();
        let wanted = version.clone();
        let stored = tokio::task::spawn_blocking(move || store::load(&root, &wanted))
            .await
            .context("loading the model")??;
        let served = build(db, Arc::new(Mutex::new(stored)), version.clone()).await?;
        tracing::info!(
            version = %served.version,
            items = served.index.len(),
            feature_only = served.feature_only,
            "recommender model loaded"
        );
        self.swap(served);
        Ok(Some(version))
    }

    /// Rebuilds the index of the served version over the catalogue as it is
    /// now (products listed, changed or taken down since).
    pub async fn refresh_catalogue(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        let _building = self.building.lock().await;
        let Some(current) = self.current() else {
            return Ok(());
        };
        let served = build(db, current.model.clone(), current.version.clone()).await?;
        self.swap(served);
        Ok(())
    }
}

async fn build(
    db: &DatabaseConnection,
    model: Arc<Mutex<StoredModel>>,
    version: String,
) -> anyhow::Result<Served> {
    let catalogue = source::catalog(db, true, None)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    tokio::task::spawn_blocking(move || index_catalogue(model, version, catalogue))
        .await
        .context("building the index")?
}

fn index_catalogue(
    model: Arc<Mutex<StoredModel>>,
    version: String,
    catalogue: Vec<CatalogItem>,
) -> anyhow::Result<Served> {
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
    drop(stored);
    Ok(Served {
        version,
        meta,
        index: ItemIndex::new(
            vectors,
            catalogue.iter().map(|c| c.id).collect(),
            catalogue.iter().map(|c| c.store_id).collect(),
        ),
        feature_only: new_at.len(),
        model,
    })
}
