//! Session fingerprints (AUTH-6, seed "Device Fingerprinting"): each session
//! keeps a hash of its device id, user-agent family and network, and the
//! two parts a refresh is compared on (the family, and the network: IPv4
//! /24, IPv6 /48). Sessions opened before this migration have none and
//! adopt the first refresh's.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Fingerprint,
    UaFamily,
    Network,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for mut column in [
            string_len_null(Sessions::Fingerprint, 64),
            string_len_null(Sessions::UaFamily, 64),
            string_len_null(Sessions::Network, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Sessions::Network, Sessions::UaFamily, Sessions::Fingerprint] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
