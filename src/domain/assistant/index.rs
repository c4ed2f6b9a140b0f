//! The in-process help index: every chunk twice, as keyword terms in a
//! tantivy index in memory (analysed like the catalogue's search: stemmed
//! English, Hangul bigrams; BM25 over title ×2, headings ×1.5 and text) and
//! as a vector searched exactly (a dot product with each; the corpus is a
//! few hundred chunks). [`rrf`] merges the two rankings. With
//! Elasticsearch, the vector ranking may come from its kNN search instead
//! ([`HelpIndex::with_vector_ranking`]).
use std::{collections::HashMap, sync::Arc};

use anyhow::Context as _;
use tantivy::{
    Index, IndexReader, TantivyDocument,
    collector::TopDocs,
    query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery},
    schema::{
        FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
    },
    tokenizer::TextAnalyzer,
};

use super::{
    embed::dot,
    text::{self, Passage, Term},
};
use crate::infra::search::{analysis::text_tokens, tantivy::Analyzed};

/// The `k` of reciprocal rank fusion: `Σ 1 / (k + rank)`.
pub const RRF_K: f64 = 60.0;
/// The weight of a word no chunk has (see [`HelpIndex::weight`]).
pub const UNKNOWN_WEIGHT: f64 = 1.5;
/// How deep each ranking goes before fusion.
pub const CANDIDATES: usize = 30;

/// A chunk as the index holds it.
#[derive(Clone, Debug)]
pub struct IndexedChunk {
    pub id: i64,
    pub doc: String,
    pub lang: String,
    pub path: String,
    pub title: String,
    pub heading: String,
    pub position: i32,
    pub text: String,
    pub vector: Vec<f32>,
}

#[derive(Clone, Copy)]
struct Fields {
    slot: Field,
    title: Field,
    heading: Field,
    text: Field,
}

pub struct HelpIndex {
    /// `help_corpora.version`.
    pub version: String,
    pub embedder: String,
    /// Shared (like everything below) with the views of
    /// [`Self::with_vector_ranking`].
    pub chunks: Arc<Vec<IndexedChunk>>,
    passages: Arc<Vec<Passage>>,
    reader: IndexReader,
    fields: Fields,
    /// Chunk id → slot: Elasticsearch's hits name chunks by id.
    slots: Arc<HashMap<i64, usize>>,
    /// Set on a view: the vector ranking (slots, best first) found by
    /// Elasticsearch, used in place of the exact scan.
    vector_ranking: Option<Arc<Vec<usize>>>,
}

/// Which ranking a retrieval uses (the evaluation compares them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retrieval {
    Keyword,
    Vector,
    Hybrid,
}

impl HelpIndex {
    /// Indexes `chunks` (slots are their positions in the vector).
    pub fn build(
        version: String,
        embedder: String,
        chunks: Vec<IndexedChunk>,
    ) -> anyhow::Result<Self> {
        let mut schema = Schema::builder();
        let text_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("vt_text")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            slot: schema.add_u64_field("slot", STORED | FAST),
            title: schema.add_text_field("title", text_options.clone()),
            heading: schema.add_text_field("heading", text_options.clone()),
            text: schema.add_text_field("text", text_options),
        };
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register("vt_text", TextAnalyzer::from(Analyzed::TEXT));
        let mut writer = index
            .writer_with_num_threads(1, 15_000_000)
            .context("help index writer")?;
        for (slot, chunk) in chunks.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.slot, slot as u64);
            doc.add_text(fields.title, &chunk.title);
            doc.add_text(fields.heading, &chunk.heading);
            doc.add_text(fields.text, &chunk.text);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        let passages = chunks
            .iter()
            .map(|c| Passage::new(&format!("{}\n{}", c.heading, c.text)))
            .collect();
        let slots = chunks.iter().enumerate().map(|(s, c)| (c.id, s)).collect();
        Ok(Self {
            version,
            embedder,
            chunks: Arc::new(chunks),
            passages: Arc::new(passages),
            reader,
            fields,
            slots: Arc::new(slots),
            vector_ranking: None,
        })
    }

    /// The slot of chunk `id`.
    pub fn slot_of(&self, id: i64) -> Option<usize> {
        self.slots.get(&id).copied()
    }

    /// This index (shared, not copied) with `slots` (best first) as its
    /// vector ranking: an approximate kNN search done elsewhere
    /// (Elasticsearch) stands in for [`Self::vector`]'s exact scan in
    /// [`Self::retrieve`].
    pub fn with_vector_ranking(&self, slots: Vec<usize>) -> Self {
        Self {
            version: self.version.clone(),
            embedder: self.embedder.clone(),
            chunks: self.chunks.clone(),
            passages: self.passages.clone(),
            reader: self.reader.clone(),
            fields: self.fields,
            slots: self.slots.clone(),
            vector_ranking: Some(Arc::new(slots)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// BM25 over the query's subject words ([`text::terms`]: no stop words,
    /// Korean words without particles or endings, so "되나요" adds no
    /// bigrams), analysed as the index is: (slot, score), best first.
    pub fn keyword(&self, query: &str, k: usize) -> Vec<(usize, f32)> {
        let mut terms: Vec<String> = text::terms(query)
            .into_iter()
            .flat_map(|t| match t {
                Term::Stem(s) => vec![s],
                Term::Korean(k) => text_tokens(&k),
            })
            .collect();
        if terms.is_empty() {
            terms = text_tokens(query);
        }
        terms.sort();
        terms.dedup();
        if terms.is_empty() {
            return Vec::new();
        }
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &terms {
            for (field, weight) in [(f.title, 2.0), (f.heading, 1.5), (f.text, 1.0)] {
                let q = TermQuery::new(
                    tantivy::Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight)),
                ));
            }
        }
        let searcher = self.reader.searcher();
        let Ok(top) = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(k.max(1)).order_by_score(),
        ) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address).ok()?;
                let slot = doc.get_first(f.slot)?.as_u64()? as usize;
                Some((slot, score))
            })
            .collect()
    }

    /// Exact nearest neighbours by cosine: (slot, similarity), best first.
    pub fn vector(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        let mut scored: Vec<(usize, f32)> = self
            .chunks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.vector.len() == query.len())
            .map(|(slot, c)| (slot, dot(&c.vector, query)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }

    /// Slots, best first, by the chosen ranking (the vector ranking of a
    /// [`Self::with_vector_ranking`] view is the one it was given).
    pub fn retrieve(
        &self,
        how: Retrieval,
        query: &str,
        vector: Option<&[f32]>,
        k: usize,
    ) -> Vec<usize> {
        self.retrieve_with(
            how,
            query,
            vector,
            self.vector_ranking.as_deref().cloned(),
            k,
        )
    }

    /// [`Self::retrieve`] with `vector_hits` (slots, best first), when
    /// given, as the vector ranking instead of the exact scan of `vector`.
    pub fn retrieve_with(
        &self,
        how: Retrieval,
        query: &str,
        vector: Option<&[f32]>,
        vector_hits: Option<Vec<usize>>,
        k: usize,
    ) -> Vec<usize> {
        let keyword = || self.keyword(query, CANDIDATES);
        let vector = || match vector_hits {
            Some(hits) => hits.into_iter().take(CANDIDATES).collect(),
            None => vector
                .map(|v| self.vector(v, CANDIDATES))
                .unwrap_or_default()
                .into_iter()
                .map(|(s, _)| s)
                .collect::<Vec<usize>>(),
        };
        let slots: Vec<usize> = match how {
            Retrieval::Keyword => keyword().into_iter().map(|(s, _)| s).collect(),
            Retrieval::Vector => vector(),
            Retrieval::Hybrid => rrf(&[keyword().into_iter().map(|(s, _)| s).collect(), vector()]),
        };
        slots.into_iter().take(k).collect()
    }

    /// The passage of a slot, for term matching.
    pub fn passage(&self, slot: usize) -> Option<&Passage> {
        self.passages.get(slot)
    }

    /// Inverse document frequency of a term over the chunks, smoothed:
    /// `ln(1 + N / (df + 5))`. A word no chunk has weighs
    /// [`UNKNOWN_WEIGHT`], as much as a common corpus word: users name
    /// their own things ("my parents' house", a brand), which says little
    /// about whether the help can answer them, while a question whose every
    /// word is unknown still scores 0.
    pub fn weight(&self, term: &Term) -> f64 {
        let n = self.passages.len() as f64;
        let df = self.passages.iter().filter(|p| p.has(term)).count() as f64;
        if df == 0.0 {
            return UNKNOWN_WEIGHT;
        }
        (1.0 + n / (df + 5.0)).ln()
    }

    /// Weights of several terms at once.
    pub fn weights(&self, terms: &[Term]) -> HashMap<Term, f64> {
        terms.iter().map(|t| (t.clone(), self.weight(t))).collect()
    }
}

/// Reciprocal rank fusion of rankings (each best first): every item scores
/// `Σ 1 / (RRF_K + rank)` over the rankings it appears in (rank from 1).
pub fn rrf(rankings: &[Vec<usize>]) -> Vec<usize> {
    let mut scores: HashMap<usize, f64> = HashMap::new();
    for ranking in rankings {
        for (rank, item) in ranking.iter().enumerate() {
            *scores.entry(*item).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
    }
    let mut out: Vec<(usize, f64)> = scores.into_iter().collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out.into_iter().map(|(item, _)| item).collect()
}

/// Document slugs in the order their chunks first appear.
pub fn documents(index: &HelpIndex, slots: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for slot in slots {
        if let Some(c) = index.chunks.get(*slot)
            && !out.contains(&c.doc)
        {
            out.push(c.doc.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assistant::embed::OfflineEmbedder;

    fn chunk(id: i64, doc: &str, text: &str) -> IndexedChunk {
        IndexedChunk {
            id,
            doc: doc.into(),
            lang: "en".into(),
            path: format!("en/{doc}.md"),
            title: doc.into(),
            heading: doc.into(),
            position: 0,
            text: text.into(),
            vector: OfflineEmbedder.vector(text),
        }
    }

    #[test]
    fn rrf_rewards_agreement() {
        assert_eq!(rrf(&[vec![1, 2, 3], vec![2, 3, 4]]), vec![2, 3, 1, 4]);
        assert_eq!(rrf(&[vec![], vec![5]]), vec![5]);
    }

    #[test]
    fn keyword_and_vector_find_the_matching_chunk() {
        let index = HelpIndex::build(
            "v".into(),
            "offline".into(),
            vec![
                chunk(
                    1,
                    "refunds",
                    "Refunds reach your card within five business days.",
                ),
                chunk(
                    2,
                    "shorts",
                    "Shorts are vertical videos up to sixty seconds.",
                ),
            ],
        )
        .unwrap();
        assert_eq!(index.keyword("when is my refund", 5)[0].0, 0);
        let v = OfflineEmbedder.vector("how long are videos");
        assert_eq!(index.vector(&v, 5)[0].0, 1);
        assert_eq!(documents(&index, &[1, 0, 1]), vec!["shorts", "refunds"]);
    }

    #[test]
    fn help_vectors_from_elasticsearch_replace_the_scan() {
        let index = HelpIndex::build(
            "v".into(),
            "offline".into(),
            vec![
                chunk(10, "refunds", "Refunds reach your card in five days."),
                chunk(20, "shorts", "Shorts are vertical videos."),
            ],
        )
        .unwrap();
        assert_eq!(index.slot_of(20), Some(1));
        assert_eq!(index.slot_of(30), None);
        let v = OfflineEmbedder.vector("how long are videos");
        assert_eq!(index.retrieve(Retrieval::Vector, "", Some(&v), 5)[0], 1);
        let view = index.with_vector_ranking(vec![0]);
        assert_eq!(view.retrieve(Retrieval::Vector, "", Some(&v), 5), vec![0]);
        assert_eq!(
            index.retrieve_with(Retrieval::Vector, "", Some(&v), Some(vec![0]), 5),
            vec![0]
        );
        assert_eq!(view.chunks.len(), 2);
    }
}
