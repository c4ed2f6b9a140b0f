//! `product_variants`: what a buyer actually picks (issue 22): a size and/or
//! colour of a product with its own SKU, stock and optional price. Carts,
//! custom carts and order lines name a variant by its `label`, unique per
//! product; `products.stock` is the sum of its variants' stock.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_variants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub sku: String,
    pub size: Option<String>,
    pub color: Option<String>,
    /// "M", "M / Black", or "" for a product without options.
    pub label: String,
    pub stock: i64,
    /// Overrides the product's price when set, KRW.
    pub price: Option<i64>,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    /// What one unit costs: the override, or the product's price.
    pub fn unit_price(&self, product_price: i64) -> i64 {
        self.price.unwrap_or(product_price)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
