//! `coupon_cart_choices`: the coupon a buyer applied to their cart (one per
//! buyer), used by `placeOrder` from the cart when no code is given.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_cart_choices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique.
    pub user_id: i64,
    pub coupon_id: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
