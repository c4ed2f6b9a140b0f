//! `help_chunks`: one chunk of the ingested help corpus (COMM-9) with its
//! embedding.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "help_chunks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The `help_corpora.version` this chunk belongs to.
    pub corpus_version: String,
    /// The document's slug (its file name without extension), shared by its
    /// translations: `cancellation-refunds`.
    pub doc: String,
    /// `ko` or `en`.
    pub lang: String,
    /// The file, relative to the documents directory.
    pub path: String,
    /// The document's title (its first heading).
    pub title: String,
    /// The headings above the chunk, joined with ` > `.
    pub heading: String,
    /// The chunk's place in its document (0-based).
    pub position: i32,
    pub text: String,
    /// SHA-256 (hex) of the embedder's name and the embedded text: unchanged
    /// chunks keep their embedding when the corpus is ingested again.
    pub content_hash: String,
    /// Little-endian `f32`s.
    pub embedding: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
