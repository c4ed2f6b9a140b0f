//! Partners (API-2): API keys (stored as SHA-256 only), allow-lists of
//! persisted operations and rate tiers.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
    Name,
    KeyHash,
    KeyPrefix,
    AllowedOperations,
    RateTier,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Partners::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Partners::Id))
                    .col(string_len(Partners::Name, 120))
                    .col(string_len(Partners::KeyHash, 64))
                    .col(string_len(Partners::KeyPrefix, 16))
                    .col(text(Partners::AllowedOperations))
                    .col(string_len(Partners::RateTier, 16))
                    .col(big_integer(Partners::CreatedBy))
                    .col(timestamp_with_time_zone(Partners::CreatedAt))
                    .col(timestamp_with_time_zone_null(Partners::RevokedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_partners_key_hash",
            Partners::Table,
            &["key_hash"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Partners::Table).if_exists().to_owned())
            .await
    }
}
