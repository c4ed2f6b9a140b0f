//! The app's side of the recommender (ML-1 … ML-5). The model itself —
//! features, the item tower, training, top-k, the offline evaluation, the
//! model store — is the `recommender` crate (`crates/recommender`), which
//! knows nothing of the database or the API. Here:
//!
//! - [`source`]: the platform's database as the crate's dataset and
//!   catalogue (product features, commerce activity as signals).
//! - [`serving`]: the served version over the live catalogue, its reload
//!   and its atomic swap.
//! - [`commands`]: `vitrine ml …` (train, eval, versions, use).
pub mod commands;
pub mod serving;
pub mod source;
