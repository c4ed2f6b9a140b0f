//! The address book (EXT-2): `addresses`, a user's Korean delivery
//! addresses (at most 20). At most one default per user is enforced by a
//! partial unique index, so no interleaving of writers can leave two; the
//! domain keeps "exactly one while any exist". `last_used_at` is set when an
//! order uses the address, so deleting the default promotes the one used
//! most recently.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Addresses {
    Table,
    Id,
    UserId,
    Label,
    Recipient,
    Phone,
    PostalCode,
    RoadAddress,
    DetailAddress,
    IsDefault,
    LastUsedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Addresses::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Addresses::Id))
                    .col(big_integer(Addresses::UserId))
                    .col(string_len(Addresses::Label, 30).default(""))
                    .col(string_len(Addresses::Recipient, 30))
                    .col(string_len(Addresses::Phone, 16))
                    .col(string_len(Addresses::PostalCode, 5))
                    .col(string_len(Addresses::RoadAddress, 200))
                    .col(string_len(Addresses::DetailAddress, 100).default(""))
                    .col(boolean(Addresses::IsDefault).default(false))
                    .col(timestamp_with_time_zone_null(Addresses::LastUsedAt))
                    .col(timestamp_with_time_zone(Addresses::CreatedAt))
                    .col(timestamp_with_time_zone(Addresses::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_addresses_user",
                        (Addresses::Table, Addresses::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_addresses_user",
            Addresses::Table,
            &["user_id", "id"],
            false,
        )
        .await?;
        // A partial index: both backends accept the same statement, and it
        // makes a second default a constraint violation rather than a state.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS ux_addresses_one_default \
                 ON addresses (user_id) WHERE is_default",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Addresses::Table).if_exists().to_owned())
            .await
    }
}
