//! `likes`: one row per (user, target); the target's counter moves with it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "likes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub target_type: LikeTarget,
    pub target_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LikeTarget {
    #[sea_orm(string_value = "POST")]
    Post,
    #[sea_orm(string_value = "DESIGN")]
    Design,
    #[sea_orm(string_value = "SHORT")]
    Short,
    #[sea_orm(string_value = "COMMENT")]
    Comment,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
