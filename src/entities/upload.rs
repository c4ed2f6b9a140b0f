//! `uploads`: files received through GraphQL multipart requests (OPS-4).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    /// UUID; also the public file name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_id: i64,
    /// Sniffed from the bytes, never taken from the client.
    pub content_type: String,
    pub byte_size: i64,
    /// Where the [`crate::infra::storage::Storage`] keeps it.
    pub storage_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
