//! Ingestion: the documents on disk become `help_chunks` rows (with their
//! embeddings) in one transaction, and every instance's in-process index is
//! rebuilt from those rows. Chunks whose text and embedder are unchanged
//! keep their stored embedding, so re-ingesting after editing one document
//! embeds only that document's chunks. The corpus version is a hash of the
//! embedder and the files: ingesting an unchanged corpus does nothing.
use std::{collections::HashMap, path::Path};

use anyhow::Context as _;
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, sea_query::OnConflict,
};
use sha2::{Digest, Sha256};

use super::{
    corpus::{self, Chunk},
    embed::{self, Embedder},
    index::{HelpIndex, IndexedChunk},
};
use crate::entities::{help_chunk, help_corpus};

/// Inputs per embeddings request.
const EMBED_BATCH: usize = 64;
/// Rows per INSERT.
const INSERT_BATCH: usize = 100;

/// What an ingestion did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestReport {
    pub version: String,
    pub documents: usize,
    pub chunks: usize,
    /// Chunks embedded now (the rest kept their stored vectors).
    pub embedded: usize,
    /// `false`: the corpus was already ingested as it is.
    pub changed: bool,
}

/// The version a corpus gets with an embedder.
pub fn version(corpus_hash: &str, embedder: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{embedder}\n{corpus_hash}").as_bytes(),
    ))
}

fn content_hash(embedder: &str, chunk: &Chunk) -> String {
    hex::encode(Sha256::digest(
        format!("{embedder}\n{}", chunk.embedding_text()).as_bytes(),
    ))
}

/// The corpus in force: the newest ingestion.
pub async fn current(db: &impl ConnectionTrait) -> anyhow::Result<Option<help_corpus::Model>> {
    Ok(help_corpus::Entity::find()
        .order_by_desc(help_corpus::Column::IngestedAt)
        .one(db)
        .await?)
}

/// Ingests the documents under `dir` unless they are ingested already
/// (`force`: again anyway). `progress` hears (fraction, what).
pub async fn ingest(
    db: &DatabaseConnection,
    dir: &Path,
    embedder: &dyn Embedder,
    force: bool,
    progress: &(dyn Fn(f64, String) + Sync),
) -> anyhow::Result<IngestReport> {
    let loaded = corpus::load_dir(dir).with_context(|| format!("loading {}", dir.display()))?;
    if loaded.documents.is_empty() {
        anyhow::bail!(
            "{} has no help documents (<lang>/*.md or *.html)",
            dir.display()
        );
    }
    let name = embedder.name();
    let version = version(&loaded.hash, &name);
    let chunks: Vec<Chunk> = loaded.documents.iter().flat_map(corpus::chunks).collect();
    let mut report = IngestReport {
        version: version.clone(),
        documents: loaded.documents.len(),
        chunks: chunks.len(),
        embedded: 0,
        changed: false,
    };
    if !force && current(db).await?.is_some_and(|c| c.version == version) {
        return Ok(report);
    }
    progress(
        0.05,
        format!("{} documents, {} chunks", report.documents, report.chunks),
    );
    let stored: HashMap<String, Vec<u8>> = help_chunk::Entity::find()
        .select_only()
        .column(help_chunk::Column::ContentHash)
        .column(help_chunk::Column::Embedding)
        .into_tuple::<(String, Vec<u8>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let hashes: Vec<String> = chunks.iter().map(|c| content_hash(&name, c)).collect();
    let missing: Vec<usize> = (0..chunks.len())
        .filter(|i| !stored.contains_key(&hashes[*i]))
        .collect();
    let mut vectors: HashMap<usize, Vec<u8>> = HashMap::new();
    for (n, batch) in missing.chunks(EMBED_BATCH).enumerate() {
        let texts: Vec<String> = batch.iter().map(|i| chunks[*i].embedding_text()).collect();
        let embedded = embedder
            .embed(&texts)
            .await
            .with_context(|| format!("embedding with {name}"))?;
        for (i, v) in batch.iter().zip(embedded) {
            vectors.insert(*i, embed::to_bytes(&v));
        }
        let done = ((n + 1) * EMBED_BATCH).min(missing.len());
        progress(
            0.1 + 0.7 * done as f64 / missing.len().max(1) as f64,
            format!("embedded {done}/{}", missing.len()),
        );
    }
    report.embedded = missing.len();
    let rows: Vec<help_chunk::ActiveModel> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| help_chunk::ActiveModel {
            corpus_version: Set(version.clone()),
            doc: Set(c.doc.clone()),
            lang: Set(c.lang.clone()),
            path: Set(c.path.clone()),
            title: Set(c.title.chars().take(255).collect()),
            heading: Set(c.heading.clone()),
            position: Set(c.position),
            text: Set(c.text.clone()),
            content_hash: Set(hashes[i].clone()),
            embedding: Set(vectors
                .remove(&i)
                .or_else(|| stored.get(&hashes[i]).cloned())
                .unwrap_or_default()),
            ..Default::default()
        })
        .collect();
    let txn = db.begin().await?;
    help_chunk::Entity::delete_many().exec(&txn).await?;
    for batch in rows.chunks(INSERT_BATCH) {
        help_chunk::Entity::insert_many(batch.to_vec())
            .exec(&txn)
            .await?;
    }
    help_corpus::Entity::insert(help_corpus::ActiveModel {
        version: Set(version.clone()),
        embedder: Set(name),
        documents: Set(report.documents as i32),
        chunks: Set(report.chunks as i32),
        ingested_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(help_corpus::Column::Version)
            .update_columns([help_corpus::Column::IngestedAt, help_corpus::Column::Chunks])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    txn.commit().await?;
    progress(
        1.0,
        format!(
            "ingested {} chunks ({} embedded)",
            report.chunks, report.embedded
        ),
    );
    report.changed = true;
    Ok(report)
}

/// The index of `corpus` (the one in force, [`current`]), from its rows.
pub async fn load(
    db: &impl ConnectionTrait,
    corpus: help_corpus::Model,
) -> anyhow::Result<HelpIndex> {
    let rows = help_chunk::Entity::find()
        .filter(help_chunk::Column::CorpusVersion.eq(&corpus.version))
        .order_by_asc(help_chunk::Column::Id)
        .all(db)
        .await?;
    let chunks = rows
        .into_iter()
        .map(|r| IndexedChunk {
            id: r.id,
            vector: embed::from_bytes(&r.embedding),
            doc: r.doc,
            lang: r.lang,
            path: r.path,
            title: r.title,
            heading: r.heading,
            position: r.position,
            text: r.text,
        })
        .collect();
    HelpIndex::build(corpus.version, corpus.embedder, chunks)
}

/// An index straight from the documents, without a database (evaluation,
/// benchmarks).
pub async fn in_memory(dir: &Path, embedder: &dyn Embedder) -> anyhow::Result<HelpIndex> {
    let loaded = corpus::load_dir(dir)?;
    let chunks: Vec<Chunk> = loaded.documents.iter().flat_map(corpus::chunks).collect();
    let texts: Vec<String> = chunks.iter().map(Chunk::embedding_text).collect();
    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(EMBED_BATCH) {
        vectors.extend(embedder.embed(batch).await?);
    }
    let indexed = chunks
        .into_iter()
        .zip(vectors)
        .enumerate()
        .map(|(i, (c, vector))| IndexedChunk {
            id: i as i64,
            doc: c.doc,
            lang: c.lang,
            path: c.path,
            title: c.title,
            heading: c.heading,
            position: c.position,
            text: c.text,
            vector,
        })
        .collect();
    HelpIndex::build(
        version(&loaded.hash, &embedder.name()),
        embedder.name(),
        indexed,
    )
}
