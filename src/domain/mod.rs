//! Business rules, one module per domain. Functions take a connection (or
//! `&impl ConnectionTrait` inside a transaction) and plain inputs, return
//! entities or [`crate::error::AppError`], and publish domain events after commit.
pub mod accounts;
