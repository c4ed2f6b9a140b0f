//! `products` (COM-3) with the seed's attributes. List-valued attributes are
//! JSON text here; colours and seasons are also mirrored into
//! `product_colors` / `product_seasons` so filters are indexed joins.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub store_id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    /// KRW, integer.
    pub price: i64,
    pub stock: i64,
    pub gender: ProductGender,
    /// JSON array of colour names.
    pub colors: String,
    /// JSON array of seasons.
    pub seasons: String,
    /// JSON array of `{fiber, percent}`.
    pub fiber_composition: String,
    pub elasticity: Degree,
    pub transparency: Degree,
    pub fleece: bool,
    /// JSON array of free-form tags ("reinforced features").
    pub spec_tags: String,
    /// JSON array of option values a buyer picks from (sizes); empty = none.
    pub options: String,
    pub status: ProductStatus,
    pub rating_sum: i64,
    pub review_count: i64,
    pub rating_avg: f64,
    pub wishlist_count: i64,
    pub sold_count: i64,
    /// 3·sold + 2·wishlist + reviews: the POPULAR sort key.
    pub popularity: i64,
    /// JSON array of hex colours of the first image (COMM-3); null until
    /// analysed.
    pub palette: Option<String>,
    /// WARM, COOL, PASTEL, EARTH, NEUTRAL or MONOCHROME.
    pub color_theme: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProductGender {
    #[sea_orm(string_value = "MALE")]
    Male,
    #[sea_orm(string_value = "FEMALE")]
    Female,
    #[sea_orm(string_value = "UNISEX")]
    Unisex,
}

/// The seed's five-step scale for elasticity and transparency.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Degree {
    #[sea_orm(string_value = "NONE_AT_ALL")]
    NoneAtAll,
    #[sea_orm(string_value = "NONE")]
    None,
    #[sea_orm(string_value = "CONTAIN_LITTLE")]
    ContainLittle,
    #[sea_orm(string_value = "CONTAIN")]
    Contain,
    #[sea_orm(string_value = "CONTAIN_MUCH")]
    ContainMuch,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProductStatus {
    /// Listed and purchasable.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Hidden by its seller.
    #[sea_orm(string_value = "HIDDEN")]
    Hidden,
    /// Taken down by an admin; only an admin can list it again.
    #[sea_orm(string_value = "BLOCKED")]
    Blocked,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
