//! `shorts`: short-form video ads attached to a product (COM-4).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "shorts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub store_id: i64,
    pub title: String,
    pub description: String,
    pub video_url: String,
    pub thumbnail_url: Option<String>,
    /// The upload behind a stored thumbnail (`thumbnail_url` then points at it).
    pub thumbnail_upload_id: Option<String>,
    pub duration_secs: i32,
    pub source: ShortSource,
    pub view_count: i64,
    pub like_count: i64,
    pub sentiment_label: SentimentLabel,
    pub sentiment_score: f64,
    /// Which provider labelled it (`offline-lexicon`, `http`).
    pub sentiment_provider: String,
    pub created_at: DateTimeUtc,
    /// Hidden by an admin after a report (moderation): out of every list
    /// and read but the admins'.
    pub hidden_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ShortSource {
    #[sea_orm(string_value = "UPLOAD")]
    Upload,
    #[sea_orm(string_value = "YOUTUBE")]
    Youtube,
    #[sea_orm(string_value = "INSTAGRAM")]
    Instagram,
    #[sea_orm(string_value = "TIKTOK")]
    Tiktok,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SentimentLabel {
    #[sea_orm(string_value = "POSITIVE")]
    Positive,
    #[sea_orm(string_value = "NEUTRAL")]
    Neutral,
    #[sea_orm(string_value = "NEGATIVE")]
    Negative,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
