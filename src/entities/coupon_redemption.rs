//! `coupon_redemptions`: the coupon an order used and its discount; set
//! `released_at` when the order was cancelled and the redemption given back.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub coupon_id: i64,
    pub user_id: i64,
    /// Unique: one coupon per order.
    pub order_id: i64,
    /// The whole discount, KRW (split over the lines in
    /// `order_lines.discount_amount`).
    pub amount: i64,
    pub created_at: DateTimeUtc,
    pub released_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
