//! `order_returns`: a buyer's return of one delivered order line (issue 22)
//! and its refund.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_line_id: i64,
    pub order_id: i64,
    pub buyer_id: i64,
    pub store_id: i64,
    pub reason: ReturnReason,
    pub note: String,
    /// JSON array of the buyer's confirmed upload ids.
    pub photo_upload_ids: String,
    pub status: ReturnStatus,
    /// What the approval refunds, KRW: the line's total − its discount
    /// share + its shipping share, capped by what the payment still holds.
    pub refund_amount: i64,
    /// The provider's refund, once asked for.
    pub refund_id: Option<String>,
    pub decided_by: Option<i64>,
    pub decision_note: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ReturnReason {
    #[sea_orm(string_value = "CHANGED_MIND")]
    ChangedMind,
    #[sea_orm(string_value = "WRONG_SIZE")]
    WrongSize,
    #[sea_orm(string_value = "DEFECTIVE")]
    Defective,
    #[sea_orm(string_value = "DAMAGED_IN_TRANSIT")]
    DamagedInTransit,
    #[sea_orm(string_value = "NOT_AS_DESCRIBED")]
    NotAsDescribed,
    #[sea_orm(string_value = "WRONG_ITEM")]
    WrongItem,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReturnStatus {
    /// Asked for; the seller decides.
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Approved: stock restored, the refund is being asked for.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// The provider took the refund (or nothing was paid to refund).
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
