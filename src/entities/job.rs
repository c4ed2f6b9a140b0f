//! `jobs`: one durable background job (see `src/jobs/`).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What the job is (`RECOMMENDER_TRAINING`, `SEARCH_REINDEX`, …).
    pub kind: String,
    /// The kind's payload, JSON.
    pub payload: String,
    pub state: JobState,
    /// Attempts started so far (a claim counts one).
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not before this time (now, or the next retry).
    pub run_at: DateTimeUtc,
    /// The running attempt's lease: only its holder may settle the job.
    pub lease_token: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    /// Which instance holds the lease.
    pub worker: Option<String>,
    /// The user who asked for it: receives progress and the outcome.
    pub owner_id: Option<i64>,
    /// Kept for good: a second job with the same key is never enqueued.
    pub unique_key: Option<String>,
    /// Held while QUEUED or RUNNING: at most one such job per key.
    pub active_key: Option<String>,
    /// 0.0 to 1.0, as last reported.
    pub progress: f64,
    pub message: Option<String>,
    pub last_error: Option<String>,
    /// What a SUCCEEDED job returned (JSON).
    pub result: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

/// QUEUED (waiting for its time or a worker, including a retry after a
/// failed attempt) → RUNNING → SUCCEEDED, or DEAD after the kind's last
/// attempt failed; CANCELLED by an admin before it ran.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "DEAD")]
    Dead,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl JobState {
    /// Nothing more will happen to a job in this state (unless an admin
    /// retries a DEAD one).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Dead | Self::Cancelled)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Dead => "DEAD",
            Self::Cancelled => "CANCELLED",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
