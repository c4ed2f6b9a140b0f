//! `payments`: a shop order's payment through a provider PaymentIntent,
//! and its refund.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub buyer_id: i64,
    pub payment_intent_id: String,
    /// Handed to the buyer's app to confirm the payment with the provider.
    pub client_secret: String,
    /// In the currency's smallest unit (won for KRW, a zero-decimal one).
    pub amount: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub failure_message: Option<String>,
    pub refund_id: Option<String>,
    pub refunded_amount: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum PaymentStatus {
    /// Created; the buyer has not paid (or is paying).
    #[sea_orm(string_value = "REQUIRES_PAYMENT")]
    RequiresPayment,
    /// The last attempt failed; the buyer may try again.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    /// The order was cancelled; the refund is asked for.
    #[sea_orm(string_value = "REFUND_PENDING")]
    RefundPending,
    /// The provider confirmed the refund (`charge.refunded`).
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
