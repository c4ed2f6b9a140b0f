//! `user_blocks`: `blocker_id` blocked `blocked_id` (issue 22). Visibility is
//! symmetric: neither side sees the other's content in any list.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_blocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub blocker_id: i64,
    pub blocked_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
