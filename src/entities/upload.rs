//! `uploads`: stored images (OPS-4), received in a GraphQL multipart request
//! or PUT by the client to a pre-signed URL.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    /// UUID; also the public file name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_id: i64,
    /// Sniffed from the bytes, never taken from the client (a PENDING
    /// upload holds the type it was announced with until confirmed).
    pub content_type: String,
    /// The stored size (a PENDING upload: the announced size, the most its
    /// object may have).
    pub byte_size: i64,
    /// Where the [`crate::infra::storage::Storage`] keeps it.
    pub storage_key: String,
    pub status: UploadStatus,
    /// When a PENDING upload is removed if still unconfirmed.
    pub expires_at: Option<DateTimeUtc>,
    /// Filled in by the variants job.
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail_key: Option<String>,
    pub webp_key: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UploadStatus {
    /// A pre-signed URL was handed out; nothing may use it yet.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Checked: size, type and dimensions.
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
