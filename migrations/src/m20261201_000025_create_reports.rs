//! Community safety (issue 22): `reports` (the moderation queue: who
//! reported what, why, and how an admin resolved it) and a nullable
//! `hidden_at` on every kind of user content an admin can hide (posts,
//! comments, designs, shorts, reviews, messages). Hidden rows stay in place
//! (hiding is a moderation state, not a deletion) and every read that lists
//! or shows content filters on `hidden_at IS NULL`.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    ReporterId,
    TargetKind,
    TargetId,
    TargetUserId,
    Reason,
    Note,
    Status,
    Action,
    ResolutionNote,
    ResolvedBy,
    ResolvedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// The content tables that get `hidden_at`.
const HIDEABLE: &[&str] = &[
    "posts", "comments", "designs", "shorts", "reviews", "messages",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Reports::Id))
                    .col(big_integer(Reports::ReporterId))
                    .col(string_len(Reports::TargetKind, 16))
                    .col(big_integer(Reports::TargetId))
                    .col(big_integer_null(Reports::TargetUserId))
                    .col(string_len(Reports::Reason, 16))
                    .col(text_null(Reports::Note))
                    .col(string_len(Reports::Status, 16).default("OPEN"))
                    .col(string_len_null(Reports::Action, 16))
                    .col(text_null(Reports::ResolutionNote))
                    .col(big_integer_null(Reports::ResolvedBy))
                    .col(timestamp_with_time_zone_null(Reports::ResolvedAt))
                    .col(timestamp_with_time_zone(Reports::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_reports_reporter",
                        (Reports::Table, Reports::ReporterId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The queue: oldest first within a status.
        index(
            manager,
            "idx_reports_status_created",
            Reports::Table,
            &["status", "created_at", "id"],
            false,
        )
        .await?;
        // Every report on one target (counts, resolving them together).
        index(
            manager,
            "idx_reports_target",
            Reports::Table,
            &["target_kind", "target_id", "status"],
            false,
        )
        .await?;
        // One open report per reporter and target, enforced by the database
        // so two concurrent reports cannot both get in (a partial index:
        // SQLite and PostgreSQL both have them).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS idx_reports_open_per_reporter \
                 ON reports (reporter_id, target_kind, target_id) WHERE status = 'OPEN'",
            )
            .await?;
        // SQLite alters one column per statement.
        for table in HIDEABLE {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .add_column(timestamp_with_time_zone_null(Alias::new("hidden_at")))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in HIDEABLE {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .drop_column(Alias::new("hidden_at"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Reports::Table).to_owned())
            .await
    }
}
