//! `shopping_searches`: one `shoppingSuggestions` answer (COMM-8): who asked,
//! for which design and object class, the query sent, the catalogue colours
//! honoured and each external provider's outcome; its items are
//! `shopping_suggestions`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shopping_searches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub design_id: i64,
    /// The COCO class as asked, normalised (`couch`).
    pub object_class: String,
    /// The Korean query it maps to (`소파`).
    pub query: String,
    /// JSON list of the catalogue colours of the design's palette.
    pub colors: String,
    /// JSON list of `{platform, status, results, elapsedMs}`.
    pub providers: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
