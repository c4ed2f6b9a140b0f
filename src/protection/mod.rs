//! Protection of the public API (API-1 … API-5): query limits, and (as they
//! land) persisted queries, partner allow-lists, rate limits and idempotency.
pub mod apq;
pub mod contract;
pub mod limits;
pub mod persisted;
pub mod rate_limit;
