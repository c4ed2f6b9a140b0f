//! Store-linked partners: `partners.store_id`, the one store a partner
//! integrates with (a seller's own ERP or fulfilment service). Only such a
//! partner reads that store's orders (`partnerStoreOrders`) and receives
//! its `order.*` webhooks. Nullable: catalogue partners have no store. No
//! foreign key: SQLite cannot add one to an existing table; a missing store
//! reads as no orders.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Partners {
    Table,
    StoreId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Partners::Table)
                    .add_column(big_integer_null(Partners::StoreId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_partners_store_id",
            Partners::Table,
            &["store_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_partners_store_id")
                    .table(Partners::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Partners::Table)
                    .drop_column(Partners::StoreId)
                    .to_owned(),
            )
            .await
    }
}
