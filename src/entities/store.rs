//! `stores`: brands that sell (COM-1). One per owner; APPROVED stores sell.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stores")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    /// Lower-cased, whitespace-collapsed name: brand names are unique.
    pub name_key: String,
    pub license_number: String,
    pub description: String,
    pub status: StoreStatus,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub rating_sum: i64,
    pub review_count: i64,
    /// Charged once per order with lines of this store, KRW.
    pub shipping_fee: i64,
    /// From this subtotal (of the store's lines) on, shipping is free.
    pub free_shipping_threshold: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The owner's upload shown as the store's logo.
    pub logo_upload_id: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum StoreStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
