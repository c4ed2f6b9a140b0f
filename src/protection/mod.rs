//! Protection of the public API (API-1 … API-5): query limits ([`limits`]),
//! rate limits ([`rate_limit`]), both applied by the schema's [`Protection`]
//! extension ([`extension`]); persisted documents ([`persisted`], [`apq`],
//! [`contract`]).
pub mod apq;
pub mod contract;
pub mod extension;
pub mod limits;
pub mod persisted;
pub mod rate_limit;

pub use extension::{PartnerCaller, Protection, RateLimitNotes};
