//! Accounts: one row per person, soft-deleted (AUTH-4) rather than removed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    /// Lower-cased and trimmed, so uniqueness is case-insensitive on every backend.
    Email,
    PasswordHash,
    Nickname,
    Role,
    Status,
    Gender,
    BirthDate,
    StatusReason,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(text_null(Users::PasswordHash))
                    .col(string_len(Users::Nickname, 40))
                    .col(string_len(Users::Role, 16))
                    .col(string_len(Users::Status, 16))
                    .col(string_len_null(Users::Gender, 16))
                    .col(date_null(Users::BirthDate))
                    .col(text_null(Users::StatusReason))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::DeletedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_users_role", Users::Role),
            ("idx_users_status", Users::Status),
            ("idx_users_created_at", Users::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Users::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}
