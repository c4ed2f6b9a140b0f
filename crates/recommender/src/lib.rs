//! vitrine's recommender on libtorch (ML-1 … ML-5), free of the web stack:
//! it knows nothing of axum, sea-orm or async-graphql. The app builds its
//! [`data::Dataset`] and [`data::CatalogItem`]s from the database and serves
//! [`served::Served`]; the evaluation reads a dataset file.
//!
//! - [`data`]: interactions, one representation for training, evaluation
//!   and serving; [`retail`] reads the evaluation dataset format.
//! - [`features`], [`model`]: the item tower (64-d feature embedding + id
//!   embedding → normalised item vector).
//! - [`train`]: triplet-loss training; [`pipeline`]: train and store a
//!   version; [`store`]: versioned model directories.
//! - [`index`], [`profile`], [`served`]: exact top-k over every item vector,
//!   the viewer's vector, a stored version indexed over a catalogue.
//! - [`bpr`], [`eval`], [`chart`]: the offline evaluation against baselines.
//! - [`runtime`]: the libtorch this process loaded.
//!
//! [`tch`] is re-exported so that callers use the same libtorch binding.
pub use tch;

/// Tests that seed or draw from libtorch's process-global RNG hold this, so
/// that one test's draws cannot fall between another's seed and its use
/// (libtest runs tests on parallel threads).
#[cfg(test)]
pub(crate) fn torch_rng() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

pub mod bpr;
pub mod chart;
pub mod data;
pub mod eval;
pub mod features;
pub mod hybrid;
pub mod index;
pub mod infer;
pub mod model;
pub mod pipeline;
pub mod profile;
pub mod retail;
pub mod runtime;
pub mod served;
pub mod store;
pub mod train;
