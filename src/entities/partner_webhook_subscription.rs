//! `partner_webhook_subscriptions`: where a partner wants its events, which
//! ones, and the secret they are signed with (issue 22).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_webhook_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: i64,
    pub url: String,
    /// JSON array of wire names (`order.paid`, …), sorted.
    pub event_types: String,
    /// `whsec_…`: kept to sign deliveries; shown once, never read back.
    pub secret: String,
    /// `stock.low` is sent when a sale leaves this many or fewer in stock.
    pub stock_low_threshold: i64,
    pub enabled: bool,
    /// The first failed attempt since the last success; `None` when healthy.
    pub failing_since: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
