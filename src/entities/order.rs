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
    /// What the buyer pays: subtotal − discount + shipping fee, KRW.
    pub total_amount: i64,
    /// Sum of the lines at the prices ordered.
    pub subtotal_amount: i64,
    /// Sum of each store's shipping fee (free above its threshold).
    pub shipping_fee: i64,
    /// The coupon's discount, split over the eligible lines.
    pub discount_amount: i64,
    pub coupon_id: Option<i64>,
    pub recipient: String,
    pub phone: String,
    /// One line: "(postal code) road address, detail".
    pub address: String,
    /// A copy of the address as it was when ordered: later edits of the
    /// address book do not change it.
    pub postal_code: String,
    pub road_address: String,
    pub detail_address: String,
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

/// The carriers Korean shops ship with, and OTHER.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Carrier {
    #[sea_orm(string_value = "CJ_LOGISTICS")]
    CjLogistics,
    #[sea_orm(string_value = "HANJIN")]
    Hanjin,
    #[sea_orm(string_value = "LOTTE")]
    Lotte,
    #[sea_orm(string_value = "LOGEN")]
    Logen,
    #[sea_orm(string_value = "EPOST")]
    Epost,
    #[sea_orm(string_value = "CU_POST")]
    CuPost,
    #[sea_orm(string_value = "GS_POSTBOX")]
    GsPostbox,
    #[sea_orm(string_value = "KYUNGDONG")]
    Kyungdong,
    #[sea_orm(string_value = "COUPANG")]
    Coupang,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

pub mod line {
    use super::{Carrier, OrderStatus};
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
        /// The variant's label ("" for a product without options).
        pub option_value: String,
        /// `None` only for lines of variants since deleted.
        pub variant_id: Option<i64>,
        pub unit_price: i64,
        pub quantity: i32,
        pub line_total: i64,
        /// This line's share of the order's coupon discount.
        pub discount_amount: i64,
        /// This line's share of its store's shipping fee.
        pub shipping_fee: i64,
        pub status: OrderStatus,
        pub carrier: Option<Carrier>,
        pub tracking_number: Option<String>,
        pub shipped_at: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
