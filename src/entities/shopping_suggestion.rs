//! `shopping_suggestions`: one item of a visual-shopping answer (COMM-8), at
//! its position: an own-catalogue product or an external provider's
//! product, as it was shown (the link tagged with the viewer's sub-id).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shopping_suggestions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub search_id: i64,
    /// Who got it: the only user who may click it.
    pub user_id: i64,
    pub design_id: i64,
    pub object_class: String,
    pub platform: ShoppingPlatform,
    /// The own catalogue's product (platform OWN).
    pub product_id: Option<i64>,
    /// The provider's product id, when it has one.
    pub external_id: Option<String>,
    pub title: String,
    pub url: String,
    pub image_url: Option<String>,
    /// KRW.
    pub price: Option<i64>,
    pub mall_name: Option<String>,
    /// 0-based, in the answer's order.
    pub position: i32,
    pub created_at: DateTimeUtc,
}

/// Where a suggestion comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ShoppingPlatform {
    /// The platform's own catalogue.
    #[sea_orm(string_value = "OWN")]
    Own,
    #[sea_orm(string_value = "NAVER")]
    Naver,
    #[sea_orm(string_value = "GOOGLE")]
    Google,
    #[sea_orm(string_value = "COUPANG")]
    Coupang,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
