//! AI design generation (COMM-2): which provider tier made a design's image,
//! and why its generation failed (for its owner to read).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Designs {
    Table,
    Provider,
    GenerationError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Designs::Table)
                    .add_column(string_len_null(Designs::Provider, 24))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Designs::Table)
                    .add_column(text_null(Designs::GenerationError))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Designs::Provider, Designs::GenerationError] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Designs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
