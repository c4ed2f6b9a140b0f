//! Serving glue (ML-3): the model version `CURRENT` names, indexed over
//! every ACTIVE product of the database ([`Served`], built by the
//! recommender crate). A new version, or a changed product, builds a new
//! [`Served`] off to the side and swaps it in under a lock held for one
//! pointer write: requests in flight finish on the one they hold.
use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use anyhow::Context;
use recommender::{data::CatalogItem, served::Served, store};
use sea_orm::DatabaseConnection;

use super::source;

/// The served model of this process, reloaded and refreshed in place.
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
        let served = build(db, move |catalogue| {
            Served::build(stored, version, catalogue)
        })
        .await?;
        tracing::info!(
            version = %served.version,
            items = served.index.len(),
            feature_only = served.feature_only,
            "recommender model loaded"
        );
        let version = served.version.clone();
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
        let served = build(db, move |catalogue| current.rebuild(catalogue)).await?;
        self.swap(served);
        Ok(())
    }
}

async fn build(
    db: &DatabaseConnection,
    index: impl FnOnce(&[CatalogItem]) -> Served + Send + 'static,
) -> anyhow::Result<Served> {
    let catalogue = source::catalog(db, true, None)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    tokio::task::spawn_blocking(move || index(&catalogue))
        .await
        .context("building the index")
}
