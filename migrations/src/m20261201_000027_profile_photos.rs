//! Profile photos and store logos: `users.profile_photo_upload_id` and
//! `stores.logo_upload_id`, each naming one of the owner's confirmed
//! uploads (the URL is built from the upload when read, like product
//! photos). No foreign key: SQLite cannot add one to an existing table, and
//! a missing upload reads as no photo.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    ProfilePhotoUploadId,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    LogoUploadId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Users::ProfilePhotoUploadId, 36))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Stores::Table)
                    .add_column(string_len_null(Stores::LogoUploadId, 36))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::ProfilePhotoUploadId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Stores::Table)
                    .drop_column(Stores::LogoUploadId)
                    .to_owned(),
            )
            .await
    }
}
