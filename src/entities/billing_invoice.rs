//! `billing_invoices`: subscription invoices paid or failed (PAY-3, PAY-4).
//! One row per invoice and outcome: applying the same outcome twice (a
//! webhook, then reconciliation) finds the row and does nothing.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub invoice_id: String,
    /// `PAID` or `FAILED`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: String,
    pub user_id: i64,
    pub amount: i64,
    pub currency: String,
    /// Stripe's `billing_reason` (`subscription_create`, `subscription_cycle`, …).
    pub billing_reason: String,
    /// When the provider created the invoice.
    pub created_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
