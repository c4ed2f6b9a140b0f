//! `notifications`: every notification is stored before it is pushed (RT-2);
//! the id is the replay cursor of `notificationReceived(after:)`.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub recipient_id: i64,
    pub kind: NotificationKind,
    /// Who caused it (none for system notices).
    pub actor_id: Option<i64>,
    /// What it is about: `Post`, `Order`, `Inquiry`, `Store`, `Conversation`, …
    pub subject_type: Option<String>,
    pub subject_id: Option<i64>,
    /// Kind-specific details as a JSON object (status, excerpt, …).
    pub data: String,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum NotificationKind {
    #[sea_orm(string_value = "LIKE")]
    Like,
    #[sea_orm(string_value = "COMMENT")]
    Comment,
    #[sea_orm(string_value = "FOLLOW")]
    Follow,
    #[sea_orm(string_value = "ORDER_STATUS")]
    OrderStatus,
    #[sea_orm(string_value = "INQUIRY_ANSWERED")]
    InquiryAnswered,
    #[sea_orm(string_value = "STORE_REVIEWED")]
    StoreReviewed,
    #[sea_orm(string_value = "MESSAGE")]
    Message,
    #[sea_orm(string_value = "ADMIN_ALERT")]
    AdminAlert,
    #[sea_orm(string_value = "DESIGN_READY")]
    DesignReady,
    /// One of the user's sessions was refreshed from another network.
    #[sea_orm(string_value = "NEW_SIGN_IN_LOCATION")]
    NewSignInLocation,
    /// A seller's store received an order (not paid yet).
    #[sea_orm(string_value = "ORDER_PLACED")]
    OrderPlaced,
    /// A seller's lines of an order were paid.
    #[sea_orm(string_value = "ORDER_PAID")]
    OrderPaid,
    /// An order payment or a subscription renewal was declined.
    #[sea_orm(string_value = "PAYMENT_FAILED")]
    PaymentFailed,
    /// The account's plan changed (subscribed, cancelled, restricted).
    #[sea_orm(string_value = "PLAN_CHANGED")]
    PlanChanged,
    /// A return moved a step (requested, approved, rejected, refunded);
    /// its status in `data`. Buyer and seller each hear of the other's step.
    #[sea_orm(string_value = "RETURN_STATUS")]
    ReturnStatus,
    /// A partner webhook subscription failed for 24 h and was disabled.
    #[sea_orm(string_value = "PARTNER_WEBHOOK_DISABLED")]
    PartnerWebhookDisabled,
    /// An admin resolved the recipient's report (the action in `data`).
    #[sea_orm(string_value = "REPORT_RESOLVED")]
    ReportResolved,
    /// An admin hid the recipient's content after a report.
    #[sea_orm(string_value = "CONTENT_HIDDEN")]
    ContentHidden,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
