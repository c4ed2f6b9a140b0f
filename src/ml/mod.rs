//! The recommender on libtorch (ML-1 … ML-5).
//!
//! - [`data`]: interactions, one representation for training, evaluation
//!   and serving; built by [`source`] (the platform's database) or
//!   [`retail`] (the evaluation dataset format).
//! - [`features`], [`model`]: the item tower (64-d feature embedding + id
//!   embedding → normalised item vector).
//! - [`train`]: triplet-loss training; [`store`]: versioned model directories.
//! - [`index`], [`profile`], [`serving`]: exact top-k over every item vector,
//!   the viewer's vector, the served version and its atomic swap.
//! - [`bpr`], [`eval`], [`chart`]: the offline evaluation against baselines.
pub mod bpr;
pub mod chart;
pub mod commands;
pub mod data;
pub mod eval;
pub mod features;
pub mod index;
pub mod model;
pub mod pipeline;
pub mod profile;
pub mod retail;
pub mod runtime;
pub mod serving;
pub mod source;
pub mod store;
pub mod train;
