//! `help_corpora`: one row per ingestion of the help corpus; the newest is
//! in force.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "help_corpora")]
pub struct Model {
    /// SHA-256 (hex) of the embedder and every document's path and bytes.
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: String,
    /// `offline-hash-v1/1024`, `openai/text-embedding-3-small`.
    pub embedder: String,
    pub documents: i32,
    pub chunks: i32,
    pub ingested_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
