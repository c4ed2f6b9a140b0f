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
    /// The tier that made the generated image (`offline`, `placeholder`, …).
    pub provider: Option<String>,
    /// Why generation failed, for the owner to read.
    pub generation_error: Option<String>,
    pub like_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Hidden by an admin after a report (moderation): out of every list
    /// and read but the admins'.
    pub hidden_at: Option<DateTimeUtc>,
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
    /// Generation is queued.
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    /// Stage 1: the room's architecture is being described.
    #[sea_orm(string_value = "ANALYZING")]
    Analyzing,
    /// Stage 2: the new image is being made.
    #[sea_orm(string_value = "GENERATING")]
    Generating,
    /// The generated image is there.
    #[sea_orm(string_value = "READY")]
    Ready,
    /// Every attempt failed; `generation_error` says why.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
