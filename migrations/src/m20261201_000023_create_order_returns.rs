//! Returns (issue 22): a buyer asks to return a DELIVERED line within 7
//! days with a reason, a note and photos; the line's seller approves or
//! rejects; approval restores the line's stock and refunds what the line
//! cost (its total, less its share of the discount, plus its share of the
//! shipping fee) through the payments module. One return per order line
//! (unique), the refund's provider id once asked for.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrderReturns {
    Table,
    Id,
    OrderLineId,
    OrderId,
    BuyerId,
    StoreId,
    Reason,
    Note,
    PhotoUploadIds,
    Status,
    RefundAmount,
    RefundId,
    DecidedBy,
    DecisionNote,
    DecidedAt,
    RefundedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderReturns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OrderReturns::Id))
                    .col(big_integer(OrderReturns::OrderLineId).unique_key())
                    .col(big_integer(OrderReturns::OrderId))
                    .col(big_integer(OrderReturns::BuyerId))
                    .col(big_integer(OrderReturns::StoreId))
                    .col(string_len(OrderReturns::Reason, 24))
                    .col(text(OrderReturns::Note))
                    .col(text(OrderReturns::PhotoUploadIds))
                    .col(string_len(OrderReturns::Status, 16))
                    .col(big_integer(OrderReturns::RefundAmount).default(0))
                    .col(string_len_null(OrderReturns::RefundId, 255))
                    .col(big_integer_null(OrderReturns::DecidedBy))
                    .col(text_null(OrderReturns::DecisionNote))
                    .col(timestamp_with_time_zone_null(OrderReturns::DecidedAt))
                    .col(timestamp_with_time_zone_null(OrderReturns::RefundedAt))
                    .col(timestamp_with_time_zone(OrderReturns::CreatedAt))
                    .col(timestamp_with_time_zone(OrderReturns::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_order_returns_line",
                        (OrderReturns::Table, OrderReturns::OrderLineId),
                        (OrderLines::Table, OrderLines::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_order_returns_store", OrderReturns::StoreId),
            ("ix_order_returns_buyer", OrderReturns::BuyerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OrderReturns::Table)
                        .col(col)
                        .col(OrderReturns::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrderReturns::Table).to_owned())
            .await
    }
}
