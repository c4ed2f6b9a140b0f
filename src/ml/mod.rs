//! The recommender on libtorch (ML-1 … ML-5). For now: which libtorch this
//! process loaded, reported by `/readyz`.
pub mod runtime;
