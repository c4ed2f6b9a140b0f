//! `billing_accounts` (PAY-1, PAY-2): a user's plan, the subscription
//! behind it, and the quota of the current usage period.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The plan in force (what the quota follows).
    pub plan: Plan,
    /// The plan the subscription pays for; differs from `plan` while the
    /// account is restricted after a failed renewal.
    pub subscribed_plan: Option<Plan>,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// Stripe's status of the subscription (`active`, `past_due`, …).
    pub subscription_status: Option<String>,
    pub cancel_at_period_end: bool,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    /// Generations taken in this period.
    pub quota_used: i32,
    /// After a failed renewal: when the plan falls to FREE unless paid.
    pub grace_until: Option<DateTimeUtc>,
    pub last_payment_failed_at: Option<DateTimeUtc>,
    pub last_payment_succeeded_at: Option<DateTimeUtc>,
    /// `created` (unix seconds) of the newest provider event applied to the
    /// subscription: an older one arriving later changes nothing.
    pub provider_updated_at: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Plan {
    #[sea_orm(string_value = "FREE")]
    Free,
    #[sea_orm(string_value = "PRO")]
    Pro,
    #[sea_orm(string_value = "ENTERPRISE")]
    Enterprise,
}

impl Plan {
    /// Generations a month; `None`: unlimited (the check is skipped).
    pub fn monthly_generations(self) -> Option<i32> {
        match self {
            Self::Free => Some(2),
            Self::Pro => Some(200),
            Self::Enterprise => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "FREE",
            Self::Pro => "PRO",
            Self::Enterprise => "ENTERPRISE",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "FREE" => Some(Self::Free),
            "PRO" => Some(Self::Pro),
            "ENTERPRISE" => Some(Self::Enterprise),
            _ => None,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
