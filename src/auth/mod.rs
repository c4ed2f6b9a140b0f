//! Accounts' security: access tokens ([`jwt`]), password hashing
//! ([`password`]), sessions with rotating refresh tokens ([`sessions`]) and
//! their device fingerprints ([`fingerprint`]), and the
//! per-request viewer with its role guards ([`guard`]).
pub mod fingerprint;
pub mod guard;
pub mod jwt;
pub mod password;
pub mod sessions;

pub use guard::{ClientInfo, Credentials, RoleGuard, Viewer, viewer};
pub use jwt::{AccessClaims, JwtKeys};
