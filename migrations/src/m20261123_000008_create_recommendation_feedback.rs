//! Recommendation feedback (ML-5): a viewer hid a recommended product or
//! said they are not interested. One row per (user, product); the latest
//! reaction wins.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecommendationFeedback {
    Table,
    Id,
    UserId,
    ProductId,
    Reaction,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecommendationFeedback::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RecommendationFeedback::Id))
                    .col(big_integer(RecommendationFeedback::UserId))
                    .col(big_integer(RecommendationFeedback::ProductId))
                    .col(string_len(RecommendationFeedback::Reaction, 16))
                    .col(timestamp_with_time_zone(RecommendationFeedback::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_recommendation_feedback_user_product",
            RecommendationFeedback::Table,
            &["user_id", "product_id"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(RecommendationFeedback::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
