//! Direct uploads and image variants (OPS-4).
//! - `uploads` gains a status: a pre-signed upload is PENDING until
//!   `confirmUpload` has checked the stored object, and expires unconfirmed
//!   at `expires_at`; the image's size and its thumbnail and WebP variants
//!   are filled in by a job.
//! - Product photos, review photos and short thumbnails can name uploads.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Status,
    ExpiresAt,
    Width,
    Height,
    ThumbnailKey,
    WebpKey,
}

#[derive(DeriveIden)]
enum ProductImages {
    Table,
    UploadId,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    PhotoUploadIds,
}

#[derive(DeriveIden)]
enum Shorts {
    Table,
    ThumbnailUploadId,
}

const EXPIRY_INDEX: &str = "idx_uploads_status_expires_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let columns = [
            string_len(Uploads::Status, 16)
                .default("CONFIRMED")
                .to_owned(),
            timestamp_with_time_zone_null(Uploads::ExpiresAt),
            integer_null(Uploads::Width),
            integer_null(Uploads::Height),
            string_len_null(Uploads::ThumbnailKey, 120),
            string_len_null(Uploads::WebpKey, 120),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Uploads::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(EXPIRY_INDEX)
                    .table(Uploads::Table)
                    .col(Uploads::Status)
                    .col(Uploads::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductImages::Table)
                    .add_column(string_len_null(ProductImages::UploadId, 36))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Reviews::Table)
                    .add_column(text_null(Reviews::PhotoUploadIds))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Shorts::Table)
                    .add_column(string_len_null(Shorts::ThumbnailUploadId, 36))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Shorts::Table)
                    .drop_column(Shorts::ThumbnailUploadId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Reviews::Table)
                    .drop_column(Reviews::PhotoUploadIds)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductImages::Table)
                    .drop_column(ProductImages::UploadId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(EXPIRY_INDEX)
                    .table(Uploads::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Uploads::WebpKey,
            Uploads::ThumbnailKey,
            Uploads::Height,
            Uploads::Width,
            Uploads::ExpiresAt,
            Uploads::Status,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Uploads::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
