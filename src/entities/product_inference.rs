//! `product_inferences`: a product's inferred attributes (ML-1), one row
//! per product, kept apart from what its seller entered.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_inferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: i64,
    /// A category of the taxonomy; none when nothing fitted.
    pub category_id: Option<i64>,
    /// JSON lists of taxonomy values: catalogue colours (`Red`), seasons
    /// (`WINTER`), fibre names (`cotton`), spec tags (`coat`).
    pub colors: String,
    pub seasons: String,
    pub fibers: String,
    pub spec_tags: String,
    pub source: InferenceSource,
    /// The chat model, for `LLM`.
    pub model: Option<String>,
    /// SHA-256 (hex) of the name, description and first image URL read.
    pub input_hash: String,
    /// Proposed values the taxonomy refused.
    pub dropped: i32,
    pub inferred_at: DateTimeUtc,
}

/// Who inferred.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum InferenceSource {
    /// The offline word rules.
    #[sea_orm(string_value = "RULES")]
    Rules,
    /// An OpenAI-compatible chat model.
    #[sea_orm(string_value = "LLM")]
    Llm,
}

impl InferenceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rules => "RULES",
            Self::Llm => "LLM",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
