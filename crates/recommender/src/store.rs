//! Versioned model directories (ML-2):
//!
//! ```text
//! <root>/v20261121T101500Z-1a2b3c4d/model.safetensors         tower weights
//!                                   item_vectors.safetensors  `vectors` [items, dim], `ids` [items]
//!                                   meta.json                 config, vocabulary, data hash, metrics, time
//!                                   hybrid.safetensors        the served hybrid: `neighbours`, `weights` [items, k]
//!                                   hybrid.json               its configuration, item ids, popularity, content idf
//! <root>/CURRENT                                              the version served
//! ```
//!
//! A version is written under a temporary name and renamed into place, then
//! `CURRENT` is replaced by rename: a reader sees the old version or the new
//! one, never half of one.
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor, nn};

use crate::{
    features::Vocabulary,
    hybrid::{HybridMeta, HybridModel},
    model::ItemTower,
    train::{EpochStats, TrainConfig, Trained},
};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelMeta {
    pub version: String,
    pub created_at: DateTime<Utc>,
    pub dataset: String,
    pub data_hash: String,
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    pub pairs: usize,
    pub config: TrainConfig,
    pub epochs: Vec<EpochStats>,
    /// `final_loss`, and `validation_recall_at_10` where the data allowed a split.
    pub metrics: serde_json::Map<String, serde_json::Value>,
    pub device: String,
    pub libtorch: Option<String>,
    pub vocabulary: Vocabulary,
}

/// A model read back from its directory.
pub struct StoredModel {
    pub meta: ModelMeta,
    pub tower: ItemTower,
    pub var_store: nn::VarStore,
    pub vectors: Tensor,
    pub ids: Vec<i64>,
    /// The hybrid that ranks personal recommendations (absent from versions
    /// stored before it existed).
    pub hybrid: Option<HybridModel>,
}

pub const CURRENT: &str = "CURRENT";

/// Writes `trained` as a new version and makes it current; returns its name.
pub fn save(
    root: &Path,
    trained: &Trained,
    item_ids: &[i64],
    hybrid: Option<&HybridModel>,
    mut meta: ModelMeta,
) -> anyhow::Result<String> {
    let version = format!(
        "v{}-{}",
        meta.created_at.format("%Y%m%dT%H%M%S%.3fZ"),
        &meta.data_hash[..8.min(meta.data_hash.len())]
    );
    meta.version = version.clone();
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    let staging = root.join(format!(".{version}.tmp"));
    std::fs::create_dir_all(&staging)?;
    trained
        .var_store
        .save(staging.join("model.safetensors"))
        .context("saving the weights")?;
    let ids = Tensor::from_slice(item_ids);
    Tensor::write_safetensors(
        &[("vectors", &trained.vectors), ("ids", &ids)],
        staging.join("item_vectors.safetensors"),
    )
    .context("saving the item vectors")?;
    if let Some(hybrid) = hybrid {
        Tensor::write_safetensors(
            &[
                ("neighbours", &hybrid.neighbours),
                ("weights", &hybrid.weights),
            ],
            staging.join("hybrid.safetensors"),
        )
        .context("saving the hybrid")?;
        std::fs::write(
            staging.join("hybrid.json"),
            serde_json::to_vec(&hybrid.meta)?,
        )?;
    }
    std::fs::write(staging.join("meta.json"), serde_json::to_vec_pretty(&meta)?)?;
    std::fs::rename(&staging, root.join(&version))?;
    set_current(root, &version)?;
    Ok(version)
}

/// Points `CURRENT` at `version` (atomically, by rename).
pub fn set_current(root: &Path, version: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        root.join(version).join("meta.json").is_file(),
        "no model version `{version}` in {}",
        root.display()
    );
    let tmp = root.join(format!(".{CURRENT}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, format!("{version}\n"))?;
    std::fs::rename(&tmp, root.join(CURRENT))?;
    Ok(())
}

/// The version `CURRENT` names, if any.
pub fn current(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(CURRENT)).ok()?;
    let version = text.trim();
    (!version.is_empty()).then(|| version.to_owned())
}

/// Every stored version, oldest first.
pub fn versions(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.starts_with('v') && root.join(name).join("meta.json").is_file())
        .collect();
    out.sort();
    out
}

pub fn load(root: &Path, version: &str) -> anyhow::Result<StoredModel> {
    let dir: PathBuf = root.join(version);
    let meta: ModelMeta = serde_json::from_slice(
        &std::fs::read(dir.join("meta.json"))
            .with_context(|| format!("reading {}", dir.join("meta.json").display()))?,
    )
    .context("meta.json")?;
    let mut var_store = nn::VarStore::new(Device::Cpu);
    let tower = ItemTower::new(
        &var_store.root(),
        &meta.vocabulary.sizes(),
        meta.items as i64,
        meta.config.dim,
    );
    var_store
        .load(dir.join("model.safetensors"))
        .context("loading the weights")?;
    let mut vectors = None;
    let mut ids = None;
    for (name, tensor) in Tensor::read_safetensors(dir.join("item_vectors.safetensors"))? {
        match name.as_str() {
            "vectors" => vectors = Some(tensor.to_kind(Kind::Float)),
            "ids" => ids = Some(Vec::<i64>::try_from(&tensor)?),
            _ => {}
        }
    }
    let vectors = vectors.context("item_vectors.safetensors has no `vectors`")?;
    let ids = ids.context("item_vectors.safetensors has no `ids`")?;
    anyhow::ensure!(
        vectors.size() == [ids.len() as i64, meta.config.dim],
        "item vectors {:?} do not match {} ids of dimension {}",
        vectors.size(),
        ids.len(),
        meta.config.dim
    );
    let hybrid = load_hybrid(&dir)?;
    Ok(StoredModel {
        meta,
        tower,
        var_store,
        vectors,
        ids,
        hybrid,
    })
}

/// The version's hybrid, `None` when it was stored without one.
fn load_hybrid(dir: &Path) -> anyhow::Result<Option<HybridModel>> {
    let json = dir.join("hybrid.json");
    if !json.is_file() {
        return Ok(None);
    }
    let meta: HybridMeta = serde_json::from_slice(&std::fs::read(&json)?).context("hybrid.json")?;
    let mut neighbours = None;
    let mut weights = None;
    for (name, tensor) in Tensor::read_safetensors(dir.join("hybrid.safetensors"))? {
        match name.as_str() {
            "neighbours" => neighbours = Some(tensor.to_kind(Kind::Int64)),
            "weights" => weights = Some(tensor.to_kind(Kind::Float)),
            _ => {}
        }
    }
    let neighbours = neighbours.context("hybrid.safetensors has no `neighbours`")?;
    let weights = weights.context("hybrid.safetensors has no `weights`")?;
    anyhow::ensure!(
        neighbours.size() == weights.size()
            && neighbours.size().first() == Some(&(meta.ids.len() as i64)),
        "hybrid tensors {:?} / {:?} do not match {} items",
        neighbours.size(),
        weights.size(),
        meta.ids.len()
    );
    Ok(Some(HybridModel {
        meta,
        neighbours,
        weights,
    }))
}
