//! `shopping_clicks`: a visual-shopping suggestion followed (COMM-8): user,
//! suggestion, platform and product. A click of an own-catalogue product is
//! also a `behavior_events` CLICK, which the recommender reads.
use sea_orm::entity::prelude::*;

use super::shopping_suggestion::ShoppingPlatform;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shopping_clicks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub suggestion_id: i64,
    pub user_id: i64,
    pub platform: ShoppingPlatform,
    pub product_id: Option<i64>,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
