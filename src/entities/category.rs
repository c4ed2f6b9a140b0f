//! `categories`: the clothing taxonomy as a tree (COM-2), seeded by migration.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "categories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The seed's code, e.g. `01outer_01coat`.
    pub code: String,
    pub name: String,
    pub name_ko: String,
    pub parent_id: Option<i64>,
    /// `/01outer/01outer_01coat/`: a subtree is every path with this prefix.
    pub path: String,
    pub depth: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
