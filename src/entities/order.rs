//! `orders` and `order_lines` (COM-9). Each line moves through
//! PENDING_PAYMENT → PAID → SHIPPED → DELIVERED (or CANCELLED); the order's
//! status summarises its lines.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub buyer_id: i64,
    pub status: OrderStatus,
    pub source: OrderSource,
    pub custom_cart_id: Option<i64>,
    pub total_amount: i64,
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub memo: String,
    /// Client-chosen key, unique per buyer (API-5).
    pub idempotency_key: String,
    /// SHA-256 of the normalised request; a reused key must match it.
    pub request_fingerprint: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum OrderStatus {
    #[sea_orm(string_value = "PENDING_PAYMENT")]
    PendingPayment,
    #[sea_orm(string_value = "PAID")]
    Paid,
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrderSource {
    #[sea_orm(string_value = "CART")]
    Cart,
    #[sea_orm(string_value = "CUSTOM_CART")]
    CustomCart,
    #[sea_orm(string_value = "LINES")]
    Lines,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub mod line {
    use super::OrderStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_lines")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub product_id: i64,
        pub store_id: i64,
        /// Name and price as they were when ordered.
        pub product_name: String,
        pub option_value: String,
        pub unit_price: i64,
        pub quantity: i32,
        pub line_total: i64,
        pub status: OrderStatus,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
