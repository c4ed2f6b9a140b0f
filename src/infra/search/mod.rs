//! Search (SEARCH-1 … SEARCH-5) behind one small trait with two backends:
//! an embedded tantivy index on disk (the default) and Elasticsearch /
//! OpenSearch (at scale). Both index the same [`SearchDoc`]s, analyse text
//! the same way ([`analysis`]) and compute the same score:
//!
//! - relevance = Σ over fields of field weight × BM25 of the query's terms
//!   (`multi_match`, `most_fields`): titles/names weigh 3, bodies and
//!   descriptions 1 (designs: title and description both 1);
//! - designs: + 1 when the query names the design's style, + 1 when it names
//!   its room type (so a design is found by "모던" or "living room" alone),
//!   then × 3 for the style and × 2 for the room type;
//! - × the document's `boost`: `1 + ln(1 + 2·likes + 3·comments)` for posts,
//!   1 otherwise;
//! - ties broken by id, newest first.
//!
//! Visibility is part of every query: a document is `public` or visible to
//! its `owner_id` (and to admins); deleted rows are not in the index at all.
pub mod analysis;
pub mod elastic;
pub mod help_vectors;
pub mod tantivy;

use serde::{Deserialize, Serialize};

/// What a search or suggestion can return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DocKind {
    User,
    Post,
    Design,
    Product,
    Store,
    Short,
}

impl DocKind {
    pub const ALL: [DocKind; 6] = [
        Self::User,
        Self::Post,
        Self::Design,
        Self::Product,
        Self::Store,
        Self::Short,
    ];
    /// Kinds with suggestions (SEARCH-3).
    pub const SUGGESTED: [DocKind; 4] = [Self::User, Self::Product, Self::Store, Self::Design];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Post => "post",
            Self::Design => "design",
            Self::Product => "product",
            Self::Store => "store",
            Self::Short => "short",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Weight of the title field in relevance.
    pub fn title_weight(self) -> f32 {
        match self {
            Self::Design => 1.0,
            _ => 3.0,
        }
    }

    /// The document id in the index: `product:42`.
    pub fn key(self, id: i64) -> String {
        format!("{}:{id}", self.as_str())
    }
}

/// The catalogue facets of a product, for the catalogue's filters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductFacets {
    pub price: i64,
    pub store_id: i64,
    /// The product's category and every ancestor: a filter on a category
    /// includes its subtree.
    pub category_ids: Vec<i64>,
    pub colors: Vec<String>,
    /// MALE, FEMALE or UNISEX.
    pub gender: String,
    pub seasons: Vec<String>,
}

/// One indexed row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub kind: DocKind,
    pub id: i64,
    /// Name, nickname or title.
    pub title: String,
    /// Description, body or prompt.
    pub body: String,
    /// Designs: the style and room type (canonical, `MODERN`, `LIVING_ROOM`).
    pub style: Option<String>,
    pub room_type: Option<String>,
    /// Designs and products: the COMM-3 mood of their image (`WARM`, …).
    pub theme: Option<String>,
    /// What autocomplete offers, for suggested kinds.
    pub suggest: Option<String>,
    pub public: bool,
    /// Who sees it while it is not public (0: nobody but admins).
    pub owner_id: i64,
    pub boost: f64,
    pub product: Option<ProductFacets>,
    /// When this version was written (ms since the epoch): a full reindex
    /// removes everything older than its start.
    pub generation: i64,
}

/// Who is asking, for visibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Only public documents.
    Public,
    /// Public documents and those owned by this user.
    User(i64),
    /// Everything indexed (admins).
    All,
}

/// The catalogue's product filters, resolved (colours canonical, genders
/// expanded with UNISEX, category as an id whose subtree matches).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FacetFilter {
    pub category_id: Option<i64>,
    pub store_id: Option<i64>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// Any of these.
    pub colors: Vec<String>,
    /// Any of these.
    pub genders: Vec<String>,
    pub season: Option<String>,
    /// The COMM-3 mood of the product's image.
    pub theme: Option<String>,
}

/// One page of one kind.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub kind: DocKind,
    /// The query as typed (Elasticsearch analyses it itself).
    pub query: String,
    /// Analysed query terms ([`analysis::text_tokens`]).
    pub terms: Vec<String>,
    /// Styles and room types the query names (designs).
    pub styles: Vec<String>,
    pub room_types: Vec<String>,
    pub audience: Audience,
    pub filter: Option<FacetFilter>,
    /// Only documents of this COMM-3 mood (designs and products).
    pub theme: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hits {
    pub total: u64,
    pub ids: Vec<i64>,
}

#[derive(Clone, Debug)]
pub struct SuggestRequest {
    pub kinds: Vec<DocKind>,
    /// Lower-cased prefix words ([`analysis::prefix_tokens`]); all must match.
    pub prefixes: Vec<String>,
    pub audience: Audience,
    pub limit: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: DocKind,
    pub id: i64,
    pub text: String,
}

/// A change to apply.
#[derive(Clone, Debug)]
pub enum Change {
    Upsert(Box<SearchDoc>),
    Delete(DocKind, i64),
}

/// A search engine the application can index into and query.
#[async_trait::async_trait]
pub trait SearchBackend: Send + Sync {
    fn name(&self) -> &'static str;
    /// Applies changes; with `visible_now` they are searchable when this
    /// returns (a commit or refresh), otherwise by the next one (bulk loads).
    async fn apply(&self, changes: Vec<Change>, visible_now: bool) -> anyhow::Result<()>;
    /// Removes documents written before `generation` (the end of a rebuild)
    /// and makes everything written so far searchable.
    async fn delete_older_than(&self, generation: i64) -> anyhow::Result<()>;
    async fn search(&self, request: &SearchRequest) -> anyhow::Result<Hits>;
    async fn suggest(&self, request: &SuggestRequest) -> anyhow::Result<Vec<Suggestion>>;
    /// Documents in the index.
    async fn count(&self) -> anyhow::Result<u64>;
    /// Drops every document (and, for Elasticsearch, the index itself,
    /// recreated empty with the current mappings).
    async fn drop_all(&self) -> anyhow::Result<()>;
    /// Whether searches can be served (`/readyz`).
    async fn health(&self) -> anyhow::Result<()>;
    /// True when this process may only read the index (another one writes it).
    fn read_only(&self) -> bool {
        false
    }
    /// Releases what another instance would need (tantivy's writer lock);
    /// called when the server stops.
    async fn close(&self) {}
    fn as_any(&self) -> &dyn std::any::Any;
    /// An empty index beside the live one, for a full rebuild to fill and
    /// [`Self::swap_in`] to make live; `None` where the backend rebuilds in
    /// place (newer generation written over the live index, older
    /// documents removed at the end).
    async fn fresh(&self) -> anyhow::Result<Option<std::sync::Arc<dyn SearchBackend>>> {
        Ok(None)
    }
    /// Makes `fresh` (from [`Self::fresh`]) the live index at once.
    async fn swap_in(&self, _fresh: std::sync::Arc<dyn SearchBackend>) -> anyhow::Result<()> {
        anyhow::bail!(
            "{} rebuilds in place; there is nothing to swap",
            self.name()
        )
    }
}

/// The backend `config` names: the tantivy index under the data directory,
/// or Elasticsearch (its template and index are created when missing).
pub async fn connect(
    config: &crate::config::Config,
) -> anyhow::Result<std::sync::Arc<dyn SearchBackend>> {
    Ok(match &config.search {
        crate::config::SearchConfig::Tantivy => {
            let dir = config.data_dir.join("search");
            std::sync::Arc::new(
                tokio::task::spawn_blocking(move || self::tantivy::TantivyBackend::open(&dir))
                    .await??,
            )
        }
        crate::config::SearchConfig::Elasticsearch { url, index } => {
            std::sync::Arc::new(self::elastic::ElasticBackend::connect(url.expose(), index).await?)
        }
    })
}

/// `(canonical, words that name it)`: English and Korean.
pub const STYLE_NAMES: &[(&str, &[&str])] = &[
    ("MODERN", &["modern", "모던"]),
    ("MINIMALIST", &["minimalist", "minimal", "미니멀"]),
    ("SCANDINAVIAN", &["scandinavian", "nordic", "북유럽"]),
    ("INDUSTRIAL", &["industrial", "인더스트리얼"]),
    ("CLASSIC", &["classic", "클래식"]),
    ("NATURAL", &["natural", "내추럴"]),
    ("BOHEMIAN", &["bohemian", "boho", "보헤미안"]),
    ("VINTAGE", &["vintage", "빈티지"]),
    ("JAPANDI", &["japandi", "재팬디"]),
    ("COASTAL", &["coastal", "코스탈"]),
];

pub const ROOM_NAMES: &[(&str, &[&str])] = &[
    ("LIVING_ROOM", &["living room", "livingroom", "거실"]),
    ("BEDROOM", &["bedroom", "침실", "안방"]),
    ("KITCHEN", &["kitchen", "주방", "부엌"]),
    ("DINING_ROOM", &["dining room", "다이닝룸"]),
    ("BATHROOM", &["bathroom", "욕실", "화장실"]),
    ("HOME_OFFICE", &["home office", "study", "서재", "홈오피스"]),
    ("KIDS_ROOM", &["kids room", "아이방", "키즈룸"]),
    ("ENTRYWAY", &["entryway", "현관"]),
    ("BALCONY", &["balcony", "발코니", "베란다"]),
];

/// The canonical names of `table` that `query` names: Latin names as whole
/// words, Hangul names anywhere (they may sit inside a compound).
pub fn named_in(query: &str, table: &[(&str, &[&str])]) -> Vec<String> {
    let words: String = query
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let padded = format!(" {words} ");
    table
        .iter()
        .filter(|(_, names)| {
            names.iter().any(|name| {
                if name.is_ascii() {
                    padded.contains(&format!(" {name} "))
                } else {
                    words.contains(name)
                }
            })
        })
        .map(|(canonical, _)| (*canonical).to_owned())
        .collect()
}

/// The request for `query` over `kind`, before paging and audience.
pub fn interpret(kind: DocKind, query: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut terms = analysis::text_tokens(query);
    terms.truncate(analysis::MAX_QUERY_TOKENS);
    terms.sort();
    terms.dedup();
    let (styles, rooms) = if kind == DocKind::Design {
        (named_in(query, STYLE_NAMES), named_in(query, ROOM_NAMES))
    } else {
        (Vec::new(), Vec::new())
    };
    (terms, styles, rooms)
}

/// At most `limit` suggestions, one per distinct (case-insensitive) text.
pub fn dedupe_suggestions(found: Vec<Suggestion>, limit: usize) -> Vec<Suggestion> {
    let mut seen = std::collections::HashSet::new();
    found
        .into_iter()
        .filter(|s| seen.insert(s.text.to_lowercase()))
        .take(limit)
        .collect()
}

/// Milliseconds since the epoch: document generations.
pub fn now_generation() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_and_rooms_are_found_in_either_language() {
        assert_eq!(named_in("Modern living room", STYLE_NAMES), vec!["MODERN"]);
        assert_eq!(
            named_in("Modern living room", ROOM_NAMES),
            vec!["LIVING_ROOM"]
        );
        assert_eq!(named_in("모던거실 sofa", STYLE_NAMES), vec!["MODERN"]);
        assert_eq!(named_in("모던거실 sofa", ROOM_NAMES), vec!["LIVING_ROOM"]);
        assert!(named_in("modernist bedrooms", STYLE_NAMES).is_empty());
        assert_eq!(named_in("LIVING_ROOM", ROOM_NAMES), vec!["LIVING_ROOM"]);
    }

    #[test]
    fn kinds_round_trip() {
        for k in DocKind::ALL {
            assert_eq!(DocKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocKind::Product.key(7), "product:7");
    }
}
