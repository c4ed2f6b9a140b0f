//! Partner webhooks (issue 22):
//! - `partner_webhook_subscriptions`: a partner's target URL, the event
//!   types it wants, the signing secret (kept to sign, never shown again),
//!   whether it is enabled, and since when it has been failing (a day of
//!   failures disables it).
//! - `partner_webhook_deliveries`: one event for one subscription, with its
//!   exact body (every attempt sends the same bytes), its state and when
//!   the next attempt is due; one row per (subscription, event id).
//! - `partner_webhook_attempts`: every HTTP attempt of a delivery (status
//!   code or error, duration, time), for `partnerWebhookDeliveries`.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PartnerWebhookSubscriptions {
    Table,
    Id,
    PartnerId,
    Url,
    EventTypes,
    Secret,
    StockLowThreshold,
    Enabled,
    FailingSince,
    DisabledAt,
    DisabledReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PartnerWebhookDeliveries {
    Table,
    Id,
    SubscriptionId,
    EventId,
    EventType,
    Payload,
    Status,
    Attempts,
    FirstAttemptAt,
    LastAttemptAt,
    NextAttemptAt,
    DeliveredAt,
    LastStatusCode,
    LastError,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PartnerWebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    StatusCode,
    Error,
    DurationMs,
    Success,
    Manual,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PartnerWebhookSubscriptions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PartnerWebhookSubscriptions::Id))
                    .col(big_integer(PartnerWebhookSubscriptions::PartnerId))
                    .col(string_len(PartnerWebhookSubscriptions::Url, 2048))
                    .col(text(PartnerWebhookSubscriptions::EventTypes))
                    .col(string_len(PartnerWebhookSubscriptions::Secret, 80))
                    .col(big_integer(PartnerWebhookSubscriptions::StockLowThreshold))
                    .col(boolean(PartnerWebhookSubscriptions::Enabled))
                    .col(timestamp_with_time_zone_null(
                        PartnerWebhookSubscriptions::FailingSince,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PartnerWebhookSubscriptions::DisabledAt,
                    ))
                    .col(string_len_null(
                        PartnerWebhookSubscriptions::DisabledReason,
                        500,
                    ))
                    .col(big_integer(PartnerWebhookSubscriptions::CreatedBy))
                    .col(timestamp_with_time_zone(
                        PartnerWebhookSubscriptions::CreatedAt,
                    ))
                    .col(timestamp_with_time_zone(
                        PartnerWebhookSubscriptions::UpdatedAt,
                    ))
                    .foreign_key(&mut fk(
                        "fk_partner_webhook_subscriptions_partner",
                        (
                            PartnerWebhookSubscriptions::Table,
                            PartnerWebhookSubscriptions::PartnerId,
                        ),
                        (Partners::Table, Partners::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_partner_webhook_subscriptions_partner",
            PartnerWebhookSubscriptions::Table,
            &["partner_id", "id"],
            false,
        )
        .await?;
        // Emitting reads the enabled subscriptions only.
        index(
            manager,
            "ix_partner_webhook_subscriptions_enabled",
            PartnerWebhookSubscriptions::Table,
            &["enabled"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PartnerWebhookDeliveries::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PartnerWebhookDeliveries::Id))
                    .col(big_integer(PartnerWebhookDeliveries::SubscriptionId))
                    .col(string_len(PartnerWebhookDeliveries::EventId, 64))
                    .col(string_len(PartnerWebhookDeliveries::EventType, 32))
                    .col(text(PartnerWebhookDeliveries::Payload))
                    .col(string_len(PartnerWebhookDeliveries::Status, 16))
                    .col(integer(PartnerWebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(
                        PartnerWebhookDeliveries::FirstAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PartnerWebhookDeliveries::LastAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PartnerWebhookDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PartnerWebhookDeliveries::DeliveredAt,
                    ))
                    .col(integer_null(PartnerWebhookDeliveries::LastStatusCode))
                    .col(string_len_null(PartnerWebhookDeliveries::LastError, 500))
                    .col(timestamp_with_time_zone(
                        PartnerWebhookDeliveries::CreatedAt,
                    ))
                    .foreign_key(&mut fk(
                        "fk_partner_webhook_deliveries_subscription",
                        (
                            PartnerWebhookDeliveries::Table,
                            PartnerWebhookDeliveries::SubscriptionId,
                        ),
                        (
                            PartnerWebhookSubscriptions::Table,
                            PartnerWebhookSubscriptions::Id,
                        ),
                    ))
                    .to_owned(),
            )
            .await?;
        // One delivery of an event per subscription; also the list's key.
        index(
            manager,
            "ux_partner_webhook_deliveries_event",
            PartnerWebhookDeliveries::Table,
            &["subscription_id", "event_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_partner_webhook_deliveries_subscription",
            PartnerWebhookDeliveries::Table,
            &["subscription_id", "id"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PartnerWebhookAttempts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PartnerWebhookAttempts::Id))
                    .col(big_integer(PartnerWebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(
                        PartnerWebhookAttempts::AttemptedAt,
                    ))
                    .col(integer_null(PartnerWebhookAttempts::StatusCode))
                    .col(string_len_null(PartnerWebhookAttempts::Error, 500))
                    .col(big_integer(PartnerWebhookAttempts::DurationMs))
                    .col(boolean(PartnerWebhookAttempts::Success))
                    .col(boolean(PartnerWebhookAttempts::Manual))
                    .foreign_key(&mut fk(
                        "fk_partner_webhook_attempts_delivery",
                        (
                            PartnerWebhookAttempts::Table,
                            PartnerWebhookAttempts::DeliveryId,
                        ),
                        (
                            PartnerWebhookDeliveries::Table,
                            PartnerWebhookDeliveries::Id,
                        ),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_partner_webhook_attempts_delivery",
            PartnerWebhookAttempts::Table,
            &["delivery_id", "id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PartnerWebhookAttempts::Table.into_iden(),
            PartnerWebhookDeliveries::Table.into_iden(),
            PartnerWebhookSubscriptions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
