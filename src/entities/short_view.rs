//! `short_views`: one row per counted view (signals for the recommender).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "short_views")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub short_id: i64,
    pub user_id: Option<i64>,
    pub viewed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
