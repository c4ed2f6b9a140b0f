//! Keeping the search index in step with the database (SEARCH-4): the
//! indexer that follows the domain event bus, the full rebuild, and the
//! reindex job that builds a fresh index beside the live one and swaps it
//! in while the server serves.
//!
//! The database is the only source of truth: the indexer treats events as
//! "this row may have changed", re-reads the committed row and writes (or
//! removes) its document. While a reindex fills a fresh index, the indexer
//! keeps the live one current and notes every row it touched; just before
//! the swap (with the indexer held) those rows are re-read and written to
//! the fresh index, so no write made during the rebuild is lost.
use std::{collections::BTreeSet, sync::Arc, time::Duration};

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, sea_query::ExprTrait,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{
    broadcast::{self, error::RecvError},
    watch,
};

use crate::{
    domain::search::{changes_for, documents, id_column, indexable_counts, short_docs},
    entities::short,
    error::{AppError, AppResult},
    events::DomainEvent,
    infra::search::{Change, DocKind, SearchBackend, now_generation},
    jobs::{JobContext, JobKind, JobQueue, KindOptions},
};

/// Rows read per page by a rebuild.
const REBUILD_PAGE: u64 = 2_000;

// ------------------------------------------------------------------ rebuild

/// Progress of a rebuild, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct RebuildProgress {
    pub kind: DocKind,
    pub done: u64,
    pub total: u64,
}

/// Rewrites every document from the database, then removes what the
/// database no longer has. Searches keep working throughout; writes made
/// meanwhile are kept (they are newer than the rebuild's start).
pub async fn rebuild(
    db: &DatabaseConnection,
    backend: &dyn SearchBackend,
    progress: &(dyn Fn(RebuildProgress) + Send + Sync),
) -> anyhow::Result<u64> {
    let started = now_generation();
    let mut written = 0;
    for (kind, total) in indexable_counts(db).await.map_err(app_error)? {
        let mut after = 0_i64;
        let mut done = 0;
        progress(RebuildProgress { kind, done, total });
        loop {
            let cond = Condition::all().add(id_column(kind).gt(after));
            let docs = documents(db, kind, cond, Some(REBUILD_PAGE))
                .await
                .map_err(app_error)?;
            let Some(last) = docs.last() else { break };
            after = last.id;
            done += docs.len() as u64;
            backend
                .apply(
                    docs.into_iter()
                        .map(|d| Change::Upsert(Box::new(d)))
                        .collect(),
                    false,
                )
                .await?;
            progress(RebuildProgress { kind, done, total });
        }
        written += done;
    }
    backend.delete_older_than(started).await?;
    Ok(written)
}

fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Internal(e) => e,
        other => anyhow::anyhow!("{}", other.message()),
    }
}

/// At start: rebuilds when the index does not hold as many documents as the
/// database has indexable rows (a new or dropped index, a new layout, rows
/// written by another process such as `seed-demo`).
pub async fn sync_on_start(
    db: &DatabaseConnection,
    backend: &dyn SearchBackend,
) -> anyhow::Result<()> {
    let expected: u64 = indexable_counts(db)
        .await
        .map_err(app_error)?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let indexed = backend.count().await?;
    if expected != indexed {
        tracing::info!(
            expected,
            indexed,
            backend = backend.name(),
            "search index out of step with the database; rebuilding"
        );
        let started = std::time::Instant::now();
        let written = rebuild(db, backend, &|_| {}).await?;
        tracing::info!(written, elapsed = ?started.elapsed(), "search index rebuilt");
    }
    Ok(())
}

// ------------------------------------------------------------------- worker

/// What an event may have changed.
#[derive(Default)]
struct Dirty {
    docs: BTreeSet<(DocKind, i64)>,
    /// Products whose shorts follow their visibility.
    shorts_of_products: BTreeSet<i64>,
}

impl Dirty {
    fn note(&mut self, event: &DomainEvent) {
        use DomainEvent as E;
        match event {
            E::UserRegistered { user_id }
            | E::UserUpdated { user_id }
            | E::UserDeleted { user_id }
            | E::UserKicked { user_id, .. } => {
                self.docs.insert((DocKind::User, *user_id));
            }
            E::StoreApplied { store_id, .. } | E::StoreReviewed { store_id, .. } => {
                self.docs.insert((DocKind::Store, *store_id));
            }
            E::ProductChanged { product_id } => {
                self.docs.insert((DocKind::Product, *product_id));
                self.shorts_of_products.insert(*product_id);
            }
            E::ShortAdded { short_id, .. } => {
                self.docs.insert((DocKind::Short, *short_id));
            }
            E::Liked {
                target_type,
                target_id,
                ..
            }
            | E::Unliked {
                target_type,
                target_id,
                ..
            } if target_type == "POST" => {
                self.docs.insert((DocKind::Post, *target_id));
            }
            E::Commented { post_id, .. }
            | E::CommentDeleted { post_id, .. }
            | E::PostCreated { post_id, .. }
            | E::PostDeleted { post_id } => {
                self.docs.insert((DocKind::Post, *post_id));
            }
            E::DesignCreated { design_id, .. } | E::DesignChanged { design_id } => {
                self.docs.insert((DocKind::Design, *design_id));
            }
            // Moderation: a hidden row is not indexable, so re-reading it
            // removes its document (a hidden comment changes its post's).
            E::ContentHidden {
                target_type,
                target_id,
                post_id,
            } => match (target_type.as_str(), post_id) {
                ("DESIGN", _) => {
                    self.docs.insert((DocKind::Design, *target_id));
                }
                ("SHORT", _) => {
                    self.docs.insert((DocKind::Short, *target_id));
                }
                (_, Some(post_id)) => {
                    self.docs.insert((DocKind::Post, *post_id));
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.docs.is_empty() && self.shorts_of_products.is_empty()
    }

    fn merge(&mut self, other: Dirty) {
        self.docs.extend(other.docs);
        self.shorts_of_products.extend(other.shorts_of_products);
    }

    async fn changes(&self, db: &DatabaseConnection) -> AppResult<Vec<Change>> {
        let mut changes = Vec::new();
        for kind in DocKind::ALL {
            let ids: Vec<i64> = self
                .docs
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, id)| *id)
                .collect();
            if !ids.is_empty() {
                changes.extend(changes_for(db, kind, &ids).await?);
            }
        }
        if !self.shorts_of_products.is_empty() {
            let shorts = short::Entity::find()
                .filter(short::Column::ProductId.is_in(self.shorts_of_products.iter().copied()))
                // Moderation: a hidden short stays out when its product changes.
                .filter(short::Column::HiddenAt.is_null())
                .all(db)
                .await?;
            changes.extend(
                short_docs(db, &shorts)
                    .await?
                    .into_iter()
                    .map(|d| Change::Upsert(Box::new(d))),
            );
        }
        Ok(changes)
    }
}

/// Events folded into one batch at most.
const BATCH: usize = 1_000;

async fn apply_with_retry(db: &DatabaseConnection, backend: &dyn SearchBackend, dirty: &Dirty) {
    let mut delay = Duration::from_millis(100);
    for attempt in 1..=5 {
        let result = match dirty.changes(db).await {
            Ok(changes) => backend.apply(changes, true).await,
            Err(e) => Err(app_error(e)),
        };
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(attempt, error = %format!("{e:#}"), "search: indexing failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    tracing::error!(
        documents = dirty.docs.len(),
        "search: giving up on a batch; a reindex (`reindexSearch`, `vitrine search reindex`) repairs the index"
    );
}

/// The indexer of this instance and the coordination a reindex needs.
pub struct Indexing {
    db: DatabaseConnection,
    backend: Arc<dyn SearchBackend>,
    /// Held while a batch is applied. `Some` while a reindex runs: the rows
    /// touched since it started, to be replayed onto the fresh index.
    journal: tokio::sync::Mutex<Option<Dirty>>,
}

impl Indexing {
    /// `db` should be a small pool of its own: indexing never waits for
    /// (nor adds to the statement counts of) the requests' pool.
    pub fn new(db: DatabaseConnection, backend: Arc<dyn SearchBackend>) -> Arc<Self> {
        Arc::new(Self {
            db,
            backend,
            journal: tokio::sync::Mutex::new(None),
        })
    }

    /// The indexing loop: brings the index in line with the database, then
    /// applies every batch of domain events as they arrive (one commit or
    /// `_bulk` per batch). `events` is subscribed before the start-up sync,
    /// so nothing published meanwhile is missed. On `stop` it applies what
    /// is already queued and returns.
    pub async fn run(
        self: Arc<Self>,
        mut rx: broadcast::Receiver<Arc<DomainEvent>>,
        mut stop: watch::Receiver<bool>,
    ) {
        if let Err(e) = sync_on_start(&self.db, self.backend.as_ref()).await {
            tracing::error!(error = %format!("{e:#}"), "search: start-up sync failed");
        }
        loop {
            let mut dirty = Dirty::default();
            let first = tokio::select! {
                event = rx.recv() => event,
                _ = stopped(&mut stop) => {
                    while let Ok(event) = rx.try_recv() {
                        dirty.note(&event);
                    }
                    if !dirty.is_empty() {
                        self.apply(dirty).await;
                    }
                    return;
                }
            };
            match first {
                Ok(event) => dirty.note(&event),
                Err(RecvError::Closed) => return,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "search: indexer fell behind; rebuilding");
                    if let Err(e) = rebuild(&self.db, self.backend.as_ref(), &|_| {}).await {
                        tracing::error!(error = %format!("{e:#}"), "search: rebuild failed");
                    }
                    continue;
                }
            }
            let mut folded = 1;
            while folded < BATCH {
                match rx.try_recv() {
                    Ok(event) => dirty.note(&event),
                    Err(_) => break,
                }
                folded += 1;
            }
            if !dirty.is_empty() {
                self.apply(dirty).await;
            }
        }
    }

    async fn apply(&self, dirty: Dirty) {
        let mut journal = self.journal.lock().await;
        apply_with_retry(&self.db, self.backend.as_ref(), &dirty).await;
        if let Some(journal) = journal.as_mut() {
            journal.merge(dirty);
        }
    }

    /// Rebuilds the whole index from the database while it keeps serving:
    /// into a fresh index swapped in at the end where the backend has
    /// them (tantivy), in place otherwise (Elasticsearch). Returns the
    /// documents written.
    pub async fn reindex(
        &self,
        progress: &(dyn Fn(RebuildProgress) + Send + Sync),
    ) -> anyhow::Result<u64> {
        let Some(fresh) = self.backend.fresh().await? else {
            return rebuild(&self.db, self.backend.as_ref(), progress).await;
        };
        *self.journal.lock().await = Some(Dirty::default());
        let written = match rebuild(&self.db, fresh.as_ref(), progress).await {
            Ok(n) => n,
            Err(e) => {
                self.journal.lock().await.take();
                return Err(e);
            }
        };
        let mut journal = self.journal.lock().await;
        let touched = journal.take().unwrap_or_default();
        if !touched.is_empty() {
            let changes = touched.changes(&self.db).await.map_err(app_error)?;
            fresh.apply(changes, true).await?;
        }
        self.backend.swap_in(fresh).await?;
        tracing::info!(
            written,
            replayed = touched.docs.len(),
            "search: rebuilt index swapped in"
        );
        Ok(written)
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// A full rebuild of the search index (admin `reindexSearch`, or `vitrine
/// search reindex` while a server holds the index).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReindexSearch {}

impl JobKind for ReindexSearch {
    const KIND: &'static str = "SEARCH_REINDEX";

    fn options() -> KindOptions {
        // libtorch or the index writer uses the cores: one at a time.
        KindOptions::long_exclusive(Duration::from_secs(30))
    }
}

/// One reindex queued or running at a time.
pub const REINDEX_KEY: &str = "search-reindex";

/// Queues a full reindex for `owner_id` (who gets its progress); CONFLICT
/// while one is queued or running.
pub async fn start_reindex(
    queue: &JobQueue,
    db: &DatabaseConnection,
    owner_id: Option<i64>,
) -> AppResult<i64> {
    queue
        .start_exclusive(
            db,
            &ReindexSearch {},
            REINDEX_KEY,
            owner_id,
            "a search reindex is already queued or running",
        )
        .await
}

/// Where each kind's documents start in a rebuild's overall count (kinds
/// are rebuilt one after another), for one progress figure.
pub fn kind_offsets(counts: &[(DocKind, u64)]) -> std::collections::HashMap<DocKind, u64> {
    counts
        .iter()
        .scan(0, |acc, (kind, n)| {
            let start = *acc;
            *acc += n;
            Some((*kind, start))
        })
        .collect()
}

/// The reindex job's work, with progress on `jobProgress`.
pub async fn reindex_job(indexing: &Indexing, ctx: &JobContext) -> anyhow::Result<String> {
    let counts = indexable_counts(&indexing.db).await.map_err(app_error)?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let before = kind_offsets(&counts);
    let (tx, mut rx) = watch::channel(0u64);
    let started = std::time::Instant::now();
    let report = move |p: RebuildProgress| {
        tx.send_replace(before.get(&p.kind).copied().unwrap_or(0) + p.done);
    };
    let work = indexing.reindex(&report);
    tokio::pin!(work);
    let written = loop {
        tokio::select! {
            result = &mut work => break result?,
            changed = rx.changed() => {
                if changed.is_err() {
                    continue;
                }
                let done = *rx.borrow_and_update();
                ctx.progress(
                    done as f64 / std::cmp::max(total, 1) as f64 * 0.99,
                    format!("{done} of {total} documents"),
                )
                .await;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    Ok(format!(
        "{} index rebuilt: {written} documents in {:.1}s",
        indexing.backend.name(),
        started.elapsed().as_secs_f64()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_mark_what_they_may_change() {
        let mut dirty = Dirty::default();
        dirty.note(&DomainEvent::ProductChanged { product_id: 3 });
        dirty.note(&DomainEvent::Liked {
            user_id: 1,
            target_type: "DESIGN".into(),
            target_id: 9,
            owner_id: 2,
        });
        dirty.note(&DomainEvent::Liked {
            user_id: 1,
            target_type: "POST".into(),
            target_id: 8,
            owner_id: 2,
        });
        dirty.note(&DomainEvent::Followed {
            follower_id: 1,
            followee_id: 2,
        });
        assert_eq!(
            dirty.docs.iter().copied().collect::<Vec<_>>(),
            vec![(DocKind::Post, 8), (DocKind::Product, 3)]
        );
        assert_eq!(dirty.shorts_of_products.len(), 1);
    }
}
