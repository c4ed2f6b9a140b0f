//! The embedded backend: one tantivy index on disk under
//! `$VITRINE_DATA_DIR/search/`. One process writes it (tantivy's writer
//! lock); a second process on the same data directory opens it read-only
//! and follows the writer's commits. Several writing instances need the
//! Elasticsearch backend.
//!
//! A full rebuild writes a fresh index in a directory of its own beside the
//! live one ([`SearchBackend::fresh`]) and then swaps it in: `CURRENT`
//! names the live directory (replaced by rename), searches move to the new
//! index at once, and the old directory is removed.
use std::{
    ops::Bound,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError, RwLock},
};

use anyhow::Context as _;
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader,
    TantivyDocument, Term,
    collector::{Count, TopDocs},
    directory::MmapDirectory,
    query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery},
    schema::{
        FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
        TextOptions, Value,
    },
    tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer},
};

use super::{
    Audience, Change, DocKind, FacetFilter, Hits, SearchBackend, SearchDoc, SearchRequest,
    SuggestRequest, Suggestion, analysis,
};
use crate::domain::community::{ROOM_TYPES, STYLES};

/// Bumped when the schema or analysis changes: a new directory, rebuilt
/// from the database on start.
const LAYOUT: &str = "tantivy-v2";
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// Names the live index directory under the search root.
const CURRENT: &str = "CURRENT";

/// Tokens computed up front by [`analysis`], replayed to tantivy (also the
/// help assistant's keyword index uses it, so help search analyses text as
/// the catalogue's does).
#[derive(Clone, Copy)]
pub struct Analyzed {
    ngrams: bool,
}

impl Analyzed {
    /// Full-text terms ([`analysis::text_tokens`]).
    pub const TEXT: Self = Self { ngrams: false };
}

pub struct Tokens {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for Analyzed {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let words = if self.ngrams {
            analysis::edge_ngrams(text)
        } else {
            analysis::text_tokens(text)
        };
        let tokens = words
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                position,
                text,
                ..Token::default()
            })
            .collect();
        Tokens { tokens, index: 0 }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    title: Field,
    body: Field,
    suggest: Field,
    style: Field,
    room: Field,
    public: Field,
    owner: Field,
    boost: Field,
    price: Field,
    store: Field,
    category: Field,
    color: Field,
    gender: Field,
    season: Field,
    theme: Field,
    generation: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING),
        id: b.add_i64_field("id", INDEXED | FAST | STORED),
        title: b.add_text_field("title", text("vt_text")),
        body: b.add_text_field("body", text("vt_text")),
        suggest: b.add_text_field("suggest", text("vt_prefix") | STORED),
        style: b.add_u64_field("style", INDEXED | FAST),
        room: b.add_u64_field("room", INDEXED | FAST),
        public: b.add_u64_field("public", INDEXED),
        owner: b.add_i64_field("owner", INDEXED),
        boost: b.add_f64_field("boost", FAST),
        price: b.add_i64_field("price", INDEXED | FAST),
        store: b.add_i64_field("store", INDEXED),
        category: b.add_i64_field("category", INDEXED),
        color: b.add_text_field("color", STRING),
        gender: b.add_text_field("gender", STRING),
        season: b.add_text_field("season", STRING),
        theme: b.add_text_field("theme", STRING),
        generation: b.add_i64_field("generation", INDEXED | FAST),
    };
    let _ = b.add_text_field("kind_stored", STORED);
    (b.build(), fields)
}

/// 1-based position in `table`, 0 for none: styles and rooms as numbers.
fn code(table: &[&str], name: Option<&str>) -> u64 {
    name.and_then(|n| table.iter().position(|t| *t == n))
        .map_or(0, |i| i as u64 + 1)
}

struct Inner {
    index: Index,
    reader: IndexReader,
    /// `None` inside: another process holds the writer lock (read-only), or
    /// this one was closed.
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
    read_only: bool,
    fields: Fields,
    kind_stored: Field,
    /// The index's own directory (none in memory).
    dir: Option<PathBuf>,
}

#[derive(Clone)]
pub struct TantivyBackend {
    /// The live index; replaced whole when a rebuilt one is swapped in.
    slot: Arc<RwLock<Arc<Inner>>>,
    /// The directory holding the index directories and `CURRENT` (none for
    /// an in-memory index, or a fresh one not yet swapped in).
    root: Option<PathBuf>,
}

impl TantivyBackend {
    /// Opens (or creates) the live index under `root`; an index written
    /// with another layout is removed (the caller rebuilds it from the
    /// database).
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("VITRINE_DATA_DIR: cannot create {}", root.display()))?;
        let live = std::fs::read_to_string(root.join(CURRENT))
            .ok()
            .map(|name| name.trim().to_owned())
            .filter(|name| name.starts_with(LAYOUT) && root.join(name).is_dir())
            .unwrap_or_else(|| LAYOUT.to_owned());
        let path: PathBuf = root.join(&live);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("VITRINE_DATA_DIR: cannot create {}", path.display()))?;
        let (schema, fields) = schema();
        let kind_stored = schema.get_field("kind_stored")?;
        let directory = MmapDirectory::open(&path)?;
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            Err(e) => {
                tracing::warn!(error = %e, "search index unreadable; recreating it");
                std::fs::remove_dir_all(&path)?;
                std::fs::create_dir_all(&path)?;
                Index::create_in_dir(&path, schema)?
            }
        };
        let inner = Self::inner_for(index, fields, kind_stored, Some(path))?;
        if !inner.read_only {
            // Only the writer tidies: old layouts, and rebuilds that never
            // got swapped in (a reader must not remove a rebuild in flight).
            remove_other_indexes(root, &live);
        }
        Ok(Self {
            slot: Arc::new(RwLock::new(Arc::new(inner))),
            root: Some(root.to_owned()),
        })
    }

    /// An index in memory (tests, the Elasticsearch fake's reference).
    pub fn in_memory() -> anyhow::Result<Self> {
        let (schema, fields) = schema();
        let kind_stored = schema.get_field("kind_stored")?;
        let inner = Self::inner_for(Index::create_in_ram(schema), fields, kind_stored, None)?;
        Ok(Self {
            slot: Arc::new(RwLock::new(Arc::new(inner))),
            root: None,
        })
    }

    fn inner_for(
        index: Index,
        fields: Fields,
        kind_stored: Field,
        dir: Option<PathBuf>,
    ) -> anyhow::Result<Inner> {
        index
            .tokenizers()
            .register("vt_text", TextAnalyzer::from(Analyzed { ngrams: false }));
        index
            .tokenizers()
            .register("vt_prefix", TextAnalyzer::from(Analyzed { ngrams: true }));
        let writer = match index.writer_with_num_threads(1, WRITER_MEMORY) {
            Ok(w) => Some(w),
            Err(tantivy::TantivyError::LockFailure(..)) => {
                tracing::warn!(
                    "the search index is written by another process; this one only reads it"
                );
                None
            }
            Err(e) => return Err(e.into()),
        };
        let policy = if writer.is_some() {
            ReloadPolicy::Manual
        } else {
            ReloadPolicy::OnCommitWithDelay
        };
        let reader = index.reader_builder().reload_policy(policy).try_into()?;
        Ok(Inner {
            index,
            reader,
            read_only: writer.is_none(),
            writer: Mutex::new(writer),
            fields,
            kind_stored,
            dir,
        })
    }

    /// The live index (a cheap handle; a swap does not disturb its users).
    fn inner(&self) -> Arc<Inner> {
        self.slot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let inner = self.inner();
        tokio::task::spawn_blocking(move || f(&inner)).await?
    }

    /// A new, empty index in its own directory under the root.
    fn create_fresh(root: &Path) -> anyhow::Result<Self> {
        let name = format!("{LAYOUT}.{}", chrono::Utc::now().timestamp_millis());
        let path = root.join(name);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let (schema, fields) = schema();
        let kind_stored = schema.get_field("kind_stored")?;
        let index = Index::create_in_dir(&path, schema)?;
        let inner = Self::inner_for(index, fields, kind_stored, Some(path))?;
        Ok(Self {
            slot: Arc::new(RwLock::new(Arc::new(inner))),
            root: None,
        })
    }

    /// Makes `fresh`'s index the live one: `CURRENT` first (so a restart
    /// opens the new index), then the slot; the old index's writer is
    /// closed and its directory removed.
    fn swap_in_blocking(&self, fresh: &TantivyBackend) -> anyhow::Result<()> {
        let root = self
            .root
            .as_ref()
            .context("an in-memory index has nothing to swap")?;
        let new = fresh.inner();
        let name = new
            .dir
            .as_ref()
            .and_then(|d| d.file_name())
            .context("the fresh index has no directory")?
            .to_string_lossy()
            .into_owned();
        let tmp = root.join(format!("{CURRENT}.tmp"));
        std::fs::write(&tmp, &name)?;
        std::fs::rename(&tmp, root.join(CURRENT))?;
        let old = std::mem::replace(
            &mut *self.slot.write().unwrap_or_else(PoisonError::into_inner),
            new,
        );
        let writer = old
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            writer.wait_merging_threads()?;
        }
        if let Some(dir) = &old.dir {
            // Searches still holding the old index keep their open files.
            if let Err(e) = std::fs::remove_dir_all(dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "old search index not removed");
            }
        }
        Ok(())
    }
}

/// Removes every index directory under `root` but `live`.
fn remove_other_indexes(root: &Path, live: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("tantivy-") && name != live {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Inner {
    fn write(
        &self,
        commit: bool,
        f: impl FnOnce(&mut IndexWriter<TantivyDocument>, &Fields) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        // A panic inside `f` leaves uncommitted operations behind, as an
        // `Err` from `f` does; the next commit carries them either way, so
        // the writer stays usable instead of failing every later write.
        let mut guard = crate::sync::lock(&self.writer);
        let writer = guard
            .as_mut()
            .context("the search index is read-only here: another process writes it")?;
        f(writer, &self.fields)?;
        if commit {
            writer.commit()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.key, doc.kind.key(doc.id));
        d.add_text(f.kind, doc.kind.as_str());
        d.add_text(self.kind_stored, doc.kind.as_str());
        d.add_i64(f.id, doc.id);
        d.add_text(f.title, &doc.title);
        d.add_text(f.body, &doc.body);
        if let Some(s) = &doc.suggest {
            d.add_text(f.suggest, s);
        }
        d.add_u64(f.style, code(STYLES, doc.style.as_deref()));
        d.add_u64(f.room, code(ROOM_TYPES, doc.room_type.as_deref()));
        if let Some(t) = &doc.theme {
            d.add_text(f.theme, t);
        }
        d.add_u64(f.public, u64::from(doc.public));
        d.add_i64(f.owner, doc.owner_id);
        d.add_f64(f.boost, doc.boost);
        d.add_i64(f.generation, doc.generation);
        if let Some(p) = &doc.product {
            d.add_i64(f.price, p.price);
            d.add_i64(f.store, p.store_id);
            for c in &p.category_ids {
                d.add_i64(f.category, *c);
            }
            for c in &p.colors {
                d.add_text(f.color, c);
            }
            d.add_text(f.gender, &p.gender);
            for s in &p.seasons {
                d.add_text(f.season, s);
            }
        }
        d
    }
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

/// A query that restricts without scoring.
fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn any_of(terms: impl IntoIterator<Item = Term>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        terms
            .into_iter()
            .map(|t| (Occur::Should, term_query(t)))
            .collect(),
    ))
}

fn audience_filter(f: &Fields, audience: Audience) -> Option<(Occur, Box<dyn Query>)> {
    match audience {
        Audience::All => None,
        Audience::Public => Some(filter(term_query(Term::from_field_u64(f.public, 1)))),
        Audience::User(id) => Some(filter(Box::new(BooleanQuery::new(vec![
            (Occur::Should, term_query(Term::from_field_u64(f.public, 1))),
            (Occur::Should, term_query(Term::from_field_i64(f.owner, id))),
        ])))),
    }
}

fn facet_filters(f: &Fields, facets: &FacetFilter) -> Vec<(Occur, Box<dyn Query>)> {
    let mut out = Vec::new();
    if facets.min_price.is_some() || facets.max_price.is_some() {
        let bound = |v: Option<i64>| match v {
            Some(v) => Bound::Included(Term::from_field_i64(f.price, v)),
            None => Bound::Unbounded,
        };
        out.push(filter(Box::new(RangeQuery::new(
            bound(facets.min_price),
            bound(facets.max_price),
        ))));
    }
    if let Some(c) = facets.category_id {
        out.push(filter(term_query(Term::from_field_i64(f.category, c))));
    }
    if let Some(s) = facets.store_id {
        out.push(filter(term_query(Term::from_field_i64(f.store, s))));
    }
    if !facets.colors.is_empty() {
        out.push(filter(any_of(
            facets
                .colors
                .iter()
                .map(|c| Term::from_field_text(f.color, c)),
        )));
    }
    if !facets.genders.is_empty() {
        out.push(filter(any_of(
            facets
                .genders
                .iter()
                .map(|g| Term::from_field_text(f.gender, g)),
        )));
    }
    if let Some(s) = &facets.season {
        out.push(filter(term_query(Term::from_field_text(f.season, s))));
    }
    if let Some(t) = &facets.theme {
        out.push(filter(term_query(Term::from_field_text(f.theme, t))));
    }
    out
}

fn search_query(f: &Fields, req: &SearchRequest) -> Box<dyn Query> {
    let field_match = |field: Field, weight: f32| -> Box<dyn Query> {
        Box::new(BoostQuery::new(
            any_of(req.terms.iter().map(|t| Term::from_field_text(field, t))),
            weight,
        ))
    };
    let mut relevance: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !req.terms.is_empty() {
        relevance.push((Occur::Should, field_match(f.title, req.kind.title_weight())));
        relevance.push((Occur::Should, field_match(f.body, 1.0)));
    }
    for (field, table, names) in [
        (f.style, STYLES, &req.styles),
        (f.room, ROOM_TYPES, &req.room_types),
    ] {
        for name in names {
            let code = code(table, Some(name));
            relevance.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    term_query(Term::from_field_u64(field, code)),
                    1.0,
                )),
            ));
        }
    }
    let mut clauses = vec![
        filter(term_query(Term::from_field_text(f.kind, req.kind.as_str()))),
        (Occur::Must, Box::new(BooleanQuery::new(relevance)) as _),
    ];
    clauses.extend(audience_filter(f, req.audience));
    if let Some(facets) = &req.filter {
        clauses.extend(facet_filters(f, facets));
    }
    if let Some(t) = &req.theme {
        clauses.push(filter(term_query(Term::from_field_text(f.theme, t))));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// `(score, id)`: ordered by score, then id (newest first).
type SortKey = (Score, i64);

#[async_trait::async_trait]
impl SearchBackend for TantivyBackend {
    fn name(&self) -> &'static str {
        "tantivy"
    }

    async fn apply(&self, changes: Vec<Change>, visible_now: bool) -> anyhow::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.blocking(move |inner| {
            inner.write(visible_now, |writer, f| {
                for change in &changes {
                    match change {
                        Change::Upsert(doc) => {
                            writer.delete_term(Term::from_field_text(f.key, &doc.kind.key(doc.id)));
                            writer.add_document(inner.document(doc))?;
                        }
                        Change::Delete(kind, id) => {
                            writer.delete_term(Term::from_field_text(f.key, &kind.key(*id)));
                        }
                    }
                }
                Ok(())
            })
        })
        .await
    }

    async fn delete_older_than(&self, generation: i64) -> anyhow::Result<()> {
        self.blocking(move |inner| {
            inner.write(true, |writer, f| {
                writer.delete_query(Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(f.generation, i64::MIN)),
                    Bound::Excluded(Term::from_field_i64(f.generation, generation)),
                )))?;
                Ok(())
            })
        })
        .await
    }

    async fn search(&self, req: &SearchRequest) -> anyhow::Result<Hits> {
        let req = req.clone();
        self.blocking(move |inner| {
            let f = inner.fields;
            let query = search_query(&f, &req);
            let styles: Vec<u64> = req.styles.iter().map(|s| code(STYLES, Some(s))).collect();
            let rooms: Vec<u64> = req
                .room_types
                .iter()
                .map(|s| code(ROOM_TYPES, Some(s)))
                .collect();
            let top = TopDocs::with_limit(req.limit.max(1))
                .and_offset(req.offset)
                .tweak_score(move |segment: &SegmentReader| {
                    let ff = segment.fast_fields();
                    let boost = ff.f64("boost").ok();
                    let id = ff.i64("id").ok();
                    let style = ff.u64("style").ok();
                    let room = ff.u64("room").ok();
                    let (styles, rooms) = (styles.clone(), rooms.clone());
                    move |doc: DocId, score: Score| -> SortKey {
                        let mut factor = boost.as_ref().and_then(|c| c.first(doc)).unwrap_or(1.0);
                        if style
                            .as_ref()
                            .and_then(|c| c.first(doc))
                            .is_some_and(|s| styles.contains(&s))
                        {
                            factor *= 3.0;
                        }
                        if room
                            .as_ref()
                            .and_then(|c| c.first(doc))
                            .is_some_and(|r| rooms.contains(&r))
                        {
                            factor *= 2.0;
                        }
                        let id = id.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                        ((score as f64 * factor) as Score, id)
                    }
                });
            let searcher = inner.reader.searcher();
            let (total, top) = searcher.search(&query, &(Count, top))?;
            Ok(Hits {
                total: total as u64,
                ids: top.into_iter().map(|((_, id), _)| id).collect(),
            })
        })
        .await
    }

    async fn suggest(&self, req: &SuggestRequest) -> anyhow::Result<Vec<Suggestion>> {
        if req.prefixes.is_empty() || req.kinds.is_empty() {
            return Ok(Vec::new());
        }
        let req = req.clone();
        self.blocking(move |inner| {
            let f = inner.fields;
            let mut clauses = vec![filter(any_of(
                req.kinds
                    .iter()
                    .map(|k| Term::from_field_text(f.kind, k.as_str())),
            ))];
            clauses.extend(audience_filter(&f, req.audience));
            for p in &req.prefixes {
                clauses.push((Occur::Must, term_query(Term::from_field_text(f.suggest, p))));
            }
            let query = BooleanQuery::new(clauses);
            let top = TopDocs::with_limit(req.limit.max(1) * 3).tweak_score(
                move |segment: &SegmentReader| {
                    let id = segment.fast_fields().i64("id").ok();
                    move |doc: DocId, score: Score| -> SortKey {
                        (score, id.as_ref().and_then(|c| c.first(doc)).unwrap_or(0))
                    }
                },
            );
            let searcher = inner.reader.searcher();
            let found: Vec<(SortKey, DocAddress)> = searcher.search(&query, &top)?;
            let mut out: Vec<Suggestion> = Vec::new();
            for ((_, id), address) in found {
                let doc: TantivyDocument = searcher.doc(address)?;
                let text = doc
                    .get_first(f.suggest)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned();
                let kind = doc
                    .get_first(inner.kind_stored)
                    .and_then(|v| v.as_str())
                    .and_then(DocKind::parse);
                if let Some(kind) = kind {
                    out.push(Suggestion { kind, id, text });
                }
            }
            Ok(super::dedupe_suggestions(out, req.limit))
        })
        .await
    }

    async fn count(&self) -> anyhow::Result<u64> {
        self.blocking(|inner| Ok(inner.reader.searcher().num_docs()))
            .await
    }

    async fn drop_all(&self) -> anyhow::Result<()> {
        self.blocking(|inner| {
            inner.write(true, |writer, _| {
                writer.delete_all_documents()?;
                Ok(())
            })
        })
        .await
    }

    async fn health(&self) -> anyhow::Result<()> {
        self.blocking(|inner| {
            inner.index.searchable_segment_ids()?;
            Ok(())
        })
        .await
    }

    fn read_only(&self) -> bool {
        self.inner().read_only
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    async fn fresh(&self) -> anyhow::Result<Option<std::sync::Arc<dyn SearchBackend>>> {
        let Some(root) = self.root.clone() else {
            return Ok(None);
        };
        anyhow::ensure!(
            !self.read_only(),
            "the search index is written by another process"
        );
        let fresh = tokio::task::spawn_blocking(move || Self::create_fresh(&root)).await??;
        Ok(Some(std::sync::Arc::new(fresh)))
    }

    async fn swap_in(&self, fresh: std::sync::Arc<dyn SearchBackend>) -> anyhow::Result<()> {
        let fresh = fresh
            .as_any()
            .downcast_ref::<TantivyBackend>()
            .context("only a tantivy index can replace a tantivy index")?
            .clone();
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.swap_in_blocking(&fresh)).await?
    }

    async fn close(&self) {
        let _ = self
            .blocking(|inner| {
                let writer = inner.writer.lock().ok().and_then(|mut w| w.take());
                if let Some(writer) = writer {
                    writer.wait_merging_threads()?;
                }
                Ok(())
            })
            .await;
    }
}
