//! `partners`: integrators calling with `X-Api-Key` (API-2).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// SHA-256 (hex) of the API key; the key itself is shown once.
    pub key_hash: String,
    /// The key's first characters, to tell keys apart in lists.
    pub key_prefix: String,
    /// JSON array of manifest ids, or `["*"]` for every partner operation.
    pub allowed_operations: String,
    pub rate_tier: RateTier,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// The one store this partner integrates with (a seller's own ERP or
    /// fulfilment service): it reads that store's orders and gets their
    /// `order.*` webhooks. `None` for catalogue partners.
    pub store_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RateTier {
    #[sea_orm(string_value = "FREE")]
    Free,
    #[sea_orm(string_value = "STANDARD")]
    Standard,
    #[sea_orm(string_value = "PREMIUM")]
    Premium,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
