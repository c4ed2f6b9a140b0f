//! Colour intelligence (COMM-3): every palette colour of a design or product
//! image as a row (hue, saturation and lightness as numbers, so a colour
//! search narrows candidates by range before the weighted distance ranks
//! them), and the palette and theme on `products` as `designs` has them.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ColorSwatches {
    Table,
    Id,
    SubjectType,
    SubjectId,
    Rank,
    Hex,
    Hue,
    Saturation,
    Lightness,
    Share,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Palette,
    ColorTheme,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ColorSwatches::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ColorSwatches::Id))
                    .col(string_len(ColorSwatches::SubjectType, 16))
                    .col(big_integer(ColorSwatches::SubjectId))
                    .col(integer(ColorSwatches::Rank))
                    .col(string_len(ColorSwatches::Hex, 7))
                    .col(double(ColorSwatches::Hue))
                    .col(double(ColorSwatches::Saturation))
                    .col(double(ColorSwatches::Lightness))
                    .col(double(ColorSwatches::Share))
                    .to_owned(),
            )
            .await?;
        // Replacing a subject's palette.
        index(
            manager,
            "idx_color_swatches_subject",
            ColorSwatches::Table,
            &["subject_type", "subject_id"],
            false,
        )
        .await?;
        // Colour search: a hue window of one subject type.
        index(
            manager,
            "idx_color_swatches_hue",
            ColorSwatches::Table,
            &["subject_type", "hue"],
            false,
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(text_null(Products::Palette))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(string_len_null(Products::ColorTheme, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Products::Palette, Products::ColorTheme] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Products::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ColorSwatches::Table).to_owned())
            .await
    }
}
