//! `custom_carts` and their items: curated, shareable carts (COM-8).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_carts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub title: String,
    pub description: String,
    pub visibility: Visibility,
    /// Random, unguessable; the link an UNLISTED cart is shared by.
    pub share_slug: String,
    pub item_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Visibility {
    /// Only the owner.
    #[sea_orm(string_value = "PRIVATE")]
    Private,
    /// Anyone with the share slug; not listed.
    #[sea_orm(string_value = "UNLISTED")]
    Unlisted,
    /// Anyone, by id or slug.
    #[sea_orm(string_value = "PUBLIC")]
    Public,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "custom_cart_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub custom_cart_id: i64,
        pub product_id: i64,
        pub option_value: String,
        pub quantity: i32,
        pub note: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
