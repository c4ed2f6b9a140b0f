//! `reports`: a user's report of content or of an account, and how an admin
//! resolved it (the moderation queue, issue 22).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reporter_id: i64,
    pub target_kind: ReportTarget,
    pub target_id: i64,
    /// Who wrote the target (the account itself for a USER target), read
    /// when the report is filed: whom SUSPEND_USER suspends.
    pub target_user_id: Option<i64>,
    pub reason: ReportReason,
    pub note: Option<String>,
    pub status: ReportStatus,
    pub action: Option<ReportAction>,
    /// The admin's note on the resolution.
    pub resolution_note: Option<String>,
    pub resolved_by: Option<i64>,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReportTarget {
    #[sea_orm(string_value = "POST")]
    Post,
    #[sea_orm(string_value = "COMMENT")]
    Comment,
    #[sea_orm(string_value = "DESIGN")]
    Design,
    #[sea_orm(string_value = "SHORT")]
    Short,
    #[sea_orm(string_value = "REVIEW")]
    Review,
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "MESSAGE")]
    Message,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReportReason {
    #[sea_orm(string_value = "SPAM")]
    Spam,
    #[sea_orm(string_value = "HARASSMENT")]
    Harassment,
    #[sea_orm(string_value = "HATE")]
    Hate,
    #[sea_orm(string_value = "NUDITY")]
    Nudity,
    #[sea_orm(string_value = "VIOLENCE")]
    Violence,
    #[sea_orm(string_value = "COPYRIGHT")]
    Copyright,
    #[sea_orm(string_value = "SCAM")]
    Scam,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReportStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Closed with HIDE_CONTENT or SUSPEND_USER.
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    /// Closed with DISMISS: nothing was done.
    #[sea_orm(string_value = "DISMISSED")]
    Dismissed,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReportAction {
    #[sea_orm(string_value = "DISMISS")]
    Dismiss,
    #[sea_orm(string_value = "HIDE_CONTENT")]
    HideContent,
    #[sea_orm(string_value = "SUSPEND_USER")]
    SuspendUser,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
