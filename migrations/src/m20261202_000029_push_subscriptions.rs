//! `push_subscriptions` (issue 23): the Web Push subscriptions of users'
//! browsers (RFC 8030), one row per push endpoint. `p256dh` and `auth` are
//! the browser's keys that payloads are encrypted to (RFC 8291).
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PushSubscriptions {
    Table,
    Id,
    UserId,
    Endpoint,
    P256dh,
    Auth,
    CreatedAt,
    LastSuccessAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PushSubscriptions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PushSubscriptions::Id))
                    .col(big_integer(PushSubscriptions::UserId))
                    .col(text(PushSubscriptions::Endpoint))
                    .col(string_len(PushSubscriptions::P256dh, 128))
                    .col(string_len(PushSubscriptions::Auth, 64))
                    .col(timestamp_with_time_zone(PushSubscriptions::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        PushSubscriptions::LastSuccessAt,
                    ))
                    .foreign_key(&mut fk(
                        "fk_push_subscriptions_user",
                        (PushSubscriptions::Table, PushSubscriptions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // An endpoint belongs to one browser profile: registering it again
        // (another user signed in there) moves it.
        index(
            manager,
            "uq_push_subscriptions_endpoint",
            PushSubscriptions::Table,
            &["endpoint"],
            true,
        )
        .await?;
        // "Where do I push this user's notifications", on every notification.
        index(
            manager,
            "idx_push_subscriptions_user",
            PushSubscriptions::Table,
            &["user_id", "id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(PushSubscriptions::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
