//! Product attribute inference (ML-1, "reinforced features"):
//! - `product_inferences`: one row per product, what a provider inferred
//!   from its name, description and first image (category, colours,
//!   seasons, fibres, spec tags, each already checked against the
//!   taxonomy), kept apart from what the seller entered; which provider
//!   (`RULES` or `LLM`) and model; how many proposed values the taxonomy
//!   refused; and the hash of the input, so that an edit that leaves the
//!   text and first image alone does not infer again.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductInferences {
    Table,
    ProductId,
    CategoryId,
    Colors,
    Seasons,
    Fibers,
    SpecTags,
    Source,
    Model,
    InputHash,
    Dropped,
    InferredAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductInferences::Table)
                    .if_not_exists()
                    .col(big_integer(ProductInferences::ProductId).primary_key())
                    .col(big_integer_null(ProductInferences::CategoryId))
                    .col(text(ProductInferences::Colors))
                    .col(text(ProductInferences::Seasons))
                    .col(text(ProductInferences::Fibers))
                    .col(text(ProductInferences::SpecTags))
                    .col(string_len(ProductInferences::Source, 8))
                    .col(string_len_null(ProductInferences::Model, 100))
                    .col(string_len(ProductInferences::InputHash, 64))
                    .col(integer(ProductInferences::Dropped).default(0))
                    .col(timestamp_with_time_zone(ProductInferences::InferredAt))
                    .foreign_key(&mut fk(
                        "fk_product_inferences_product",
                        (ProductInferences::Table, ProductInferences::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_inferences_category")
                            .from(ProductInferences::Table, ProductInferences::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ProductInferences::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
