//! `designs`: room designs (COMM-1). Created from an uploaded image here; AI
//! generation and colour analysis fill the remaining fields later.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "designs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub title: String,
    pub prompt: String,
    pub style: String,
    pub room_type: String,
    pub source_upload_id: Option<String>,
    pub generated_upload_id: Option<String>,
    pub structure_description: Option<String>,
    /// JSON array of hex colours.
    pub palette: Option<String>,
    pub color_theme: Option<String>,
    pub visibility: DesignVisibility,
    pub generation_status: GenerationStatus,
    pub like_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DesignVisibility {
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    #[sea_orm(string_value = "PRIVATE")]
    Private,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum GenerationStatus {
    /// Made from an uploaded image, nothing to generate.
    #[sea_orm(string_value = "UPLOADED")]
    Uploaded,
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
