//! `partner_webhook_deliveries`: one event for one subscription, with the
//! exact body every attempt sends, and its attempts
//! (`partner_webhook_attempts`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subscription_id: i64,
    /// `evt_…`, the same for every subscription the event went to; the
    /// receivers' de-duplication key.
    pub event_id: String,
    pub event_type: String,
    /// The JSON body, signed and sent as is on every attempt.
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub first_attempt_at: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    /// When the next automatic attempt is due; `None` once settled.
    pub next_attempt_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryStatus {
    /// Not delivered yet; an attempt is queued.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// A 2xx answer came back.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Given up: 24 h of failures, or the subscription was disabled.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// `partner_webhook_attempts`: one HTTP attempt of a delivery.
pub mod attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "partner_webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub delivery_id: i64,
        pub attempted_at: DateTimeUtc,
        /// The answer's status, when one came.
        pub status_code: Option<i32>,
        /// Why it failed (a non-2xx status, a timeout, a refused connection).
        pub error: Option<String>,
        pub duration_ms: i64,
        pub success: bool,
        /// Sent by `redeliverPartnerWebhook`, not by the retry schedule.
        pub manual: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
