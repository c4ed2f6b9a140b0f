//! Durable background jobs (`src/jobs/`): one row per job with its typed
//! payload, state, attempts, lease and outcome. `unique_key` makes a
//! scheduler period enqueue once across instances; `active_key` allows at
//! most one queued-or-running job per key and is cleared when the job ends.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    State,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseToken,
    LeaseUntil,
    Worker,
    OwnerId,
    UniqueKey,
    ActiveKey,
    Progress,
    Message,
    LastError,
    Result,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Jobs::Id))
                    .col(string_len(Jobs::Kind, 64))
                    .col(text(Jobs::Payload))
                    .col(string_len(Jobs::State, 16))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(string_len_null(Jobs::LeaseToken, 36))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(string_len_null(Jobs::Worker, 128))
                    .col(big_integer_null(Jobs::OwnerId))
                    .col(string_len_null(Jobs::UniqueKey, 191))
                    .col(string_len_null(Jobs::ActiveKey, 191))
                    .col(double(Jobs::Progress).default(0.0))
                    .col(text_null(Jobs::Message))
                    .col(text_null(Jobs::LastError))
                    .col(text_null(Jobs::Result))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        // Claiming: due jobs of a kind, oldest first; lease expiry scans the
        // RUNNING ones by the same index.
        index(
            manager,
            "idx_jobs_kind_state_run_at",
            Jobs::Table,
            &["kind", "state", "run_at"],
            false,
        )
        .await?;
        // The admin list (newest first, optionally by state) and retention.
        index(
            manager,
            "idx_jobs_state_id",
            Jobs::Table,
            &["state", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "ux_jobs_unique_key",
            Jobs::Table,
            &["unique_key"],
            true,
        )
        .await?;
        index(
            manager,
            "ux_jobs_active_key",
            Jobs::Table,
            &["active_key"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Jobs::Table).if_exists().to_owned())
            .await
    }
}
