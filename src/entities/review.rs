//! `reviews`: one per buyer and product, backed by a DELIVERED order line (COM-5).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub store_id: i64,
    pub user_id: i64,
    pub order_line_id: i64,
    pub rating: i16,
    pub body: String,
    /// JSON array of image URLs.
    pub images: String,
    /// JSON array of the photos' upload ids (stored photos, in order).
    pub photo_upload_ids: Option<String>,
    pub created_at: DateTimeUtc,
    /// Hidden by an admin after a report (moderation): out of every list
    /// and read but the admins'.
    pub hidden_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
