//! `coupons` (EXT-4): platform-wide (`store_id` None, made by an admin) or
//! store coupons (made by the store's seller, discounting only that store's
//! lines). The rules that read these rows live in
//! `domain::commerce::coupons`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Upper-cased: codes are case-insensitive and unique.
    pub code: String,
    pub store_id: Option<i64>,
    pub created_by: i64,
    pub description: String,
    pub kind: CouponKind,
    /// The percentage (1-100) for PERCENT, the amount in KRW for FIXED.
    pub value: i64,
    /// A PERCENT coupon's largest discount, KRW.
    pub max_discount: Option<i64>,
    /// The least eligible subtotal the coupon applies to, KRW.
    pub min_spend: i64,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub max_redemptions: Option<i32>,
    pub per_user_limit: Option<i32>,
    /// Live redemptions (released ones are given back).
    pub redeemed_count: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CouponKind {
    #[sea_orm(string_value = "PERCENT")]
    Percent,
    #[sea_orm(string_value = "FIXED")]
    Fixed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
