//! `security_alerts`: what the security monitor raised (AUTH-6, PAY-5).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "security_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `BRUTE_FORCE_ACCOUNT`, `BRUTE_FORCE_IP`, `INVALID_TOKENS`,
    /// `RBAC_MISMATCH`, `SIGNUP_ANOMALY`, …
    pub kind: String,
    /// `LOW`, `MEDIUM` or `HIGH`.
    pub severity: String,
    /// What it is about (`user:42`, `ip:203.0.113.9`, `signups`).
    pub subject: String,
    pub message: String,
    /// JSON with the figures behind it.
    pub data: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
