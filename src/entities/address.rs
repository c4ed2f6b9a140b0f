//! `addresses`: a user's address book (EXT-2), Korean delivery addresses.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "addresses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The owner's name for it ("집", "회사"); may be empty.
    pub label: String,
    pub recipient: String,
    /// Normalised with hyphens: `010-1234-5678`, `02-123-4567`.
    pub phone: String,
    /// The 5-digit postal code (2015 and later).
    pub postal_code: String,
    pub road_address: String,
    pub detail_address: String,
    /// Exactly one per user while the user has any (a partial unique index
    /// keeps it at most one).
    pub is_default: bool,
    /// When an order last used it: deleting the default promotes the most
    /// recently used (else created) other one.
    pub last_used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
