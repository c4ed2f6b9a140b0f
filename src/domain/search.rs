//! Search over the domain (SEARCH-1 … SEARCH-4): what each row looks like
//! in the index ([`documents`] and friends) and the concurrent per-kind
//! queries behind `search` and `searchSuggestions`. Keeping the index in
//! step (the indexer, rebuilds, the reindex job) is `search_index`.
//!
//! The database is the only source of truth: the worker treats events as
//! "this row may have changed", re-reads the committed row and writes (or
//! removes) its document; a rebuild can run at any time, while serving.
use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::ExprTrait,
};

use crate::{
    domain::commerce::catalog::{self, ProductFilter},
    entities::{
        category, design, post,
        product::{self, ProductGender, ProductStatus},
        short, store,
        store::StoreStatus,
        user::{self, Role, UserStatus},
    },
    error::{AppError, AppResult},
    infra::search::{
        Audience, Change, DocKind, FacetFilter, Hits, ProductFacets, SearchBackend, SearchDoc,
        SearchRequest, SuggestRequest, Suggestion, analysis, interpret, now_generation,
    },
};

/// Longest accepted query or prefix (characters).
pub const MAX_QUERY_CHARS: usize = 200;
/// Most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 10;
/// Shortest prefix that gets suggestions; shorter ones get none.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Hits of one section reachable by paging (Elasticsearch's default
/// `index.max_result_window`; the same on tantivy, for the same behaviour).
pub const MAX_RESULT_WINDOW: usize = 10_000;

// ---------------------------------------------------------------- documents

fn doc(kind: DocKind, id: i64, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        kind,
        id,
        title: title.to_owned(),
        body: body.to_owned(),
        style: None,
        room_type: None,
        theme: None,
        suggest: None,
        public: true,
        owner_id: 0,
        boost: 1.0,
        product: None,
        generation: now_generation(),
    }
}

fn user_doc(u: &user::Model) -> SearchDoc {
    SearchDoc {
        suggest: Some(u.nickname.clone()),
        // Kicked accounts stay findable by admins only.
        public: u.status == UserStatus::Active,
        owner_id: u.id,
        ..doc(DocKind::User, u.id, &u.nickname, "")
    }
}

fn post_doc(p: &post::Model) -> SearchDoc {
    SearchDoc {
        owner_id: p.author_id,
        boost: 1.0 + crate::domain::community::engagement_score(p.like_count, p.comment_count),
        ..doc(DocKind::Post, p.id, "", &p.body)
    }
}

fn design_doc(d: &design::Model) -> SearchDoc {
    let body = match &d.structure_description {
        Some(s) => format!("{}\n{s}", d.prompt),
        None => d.prompt.clone(),
    };
    SearchDoc {
        style: Some(d.style.clone()),
        room_type: Some(d.room_type.clone()),
        theme: d.color_theme.clone(),
        suggest: Some(d.title.clone()),
        public: d.visibility == design::DesignVisibility::Public,
        owner_id: d.owner_id,
        ..doc(DocKind::Design, d.id, &d.title, &body)
    }
}

fn store_doc(s: &store::Model) -> SearchDoc {
    SearchDoc {
        suggest: Some(s.name.clone()),
        public: s.status == StoreStatus::Approved,
        owner_id: s.owner_id,
        ..doc(DocKind::Store, s.id, &s.name, &s.description)
    }
}

fn gender_name(g: ProductGender) -> &'static str {
    match g {
        ProductGender::Male => "MALE",
        ProductGender::Female => "FEMALE",
        ProductGender::Unisex => "UNISEX",
    }
}

/// Store owners of `store_ids`.
async fn owners(db: &impl ConnectionTrait, store_ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    Ok(store::Entity::find()
        .filter(store::Column::Id.is_in(store_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.owner_id))
        .collect())
}

async fn product_docs(
    db: &impl ConnectionTrait,
    rows: &[product::Model],
) -> AppResult<Vec<SearchDoc>> {
    let store_ids: Vec<i64> = rows.iter().map(|p| p.store_id).collect();
    let owners = owners(db, &store_ids).await?;
    // Every category with its ancestors (the taxonomy is small).
    let categories: HashMap<i64, category::Model> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .iter()
        .map(|p| {
            let mut category_ids = Vec::new();
            let mut at = Some(p.category_id);
            while let Some(id) = at {
                if category_ids.contains(&id) {
                    break;
                }
                category_ids.push(id);
                at = categories.get(&id).and_then(|c| c.parent_id);
            }
            let tags: Vec<String> = catalog::json_list(&p.spec_tags);
            let body = if tags.is_empty() {
                p.description.clone()
            } else {
                format!("{}\n{}", p.description, tags.join(" "))
            };
            SearchDoc {
                suggest: Some(p.name.clone()),
                theme: p.color_theme.clone(),
                public: p.status == ProductStatus::Active,
                owner_id: owners.get(&p.store_id).copied().unwrap_or(0),
                product: Some(ProductFacets {
                    price: p.price,
                    store_id: p.store_id,
                    category_ids,
                    colors: catalog::json_list(&p.colors),
                    gender: gender_name(p.gender).to_owned(),
                    seasons: catalog::json_list(&p.seasons),
                }),
                ..doc(DocKind::Product, p.id, &p.name, &body)
            }
        })
        .collect())
}

pub(crate) async fn short_docs(
    db: &impl ConnectionTrait,
    rows: &[short::Model],
) -> AppResult<Vec<SearchDoc>> {
    let store_ids: Vec<i64> = rows.iter().map(|s| s.store_id).collect();
    let owners = owners(db, &store_ids).await?;
    // A short is public while its product is ACTIVE.
    let active: BTreeSet<i64> = product::Entity::find()
        .filter(product::Column::Id.is_in(rows.iter().map(|s| s.product_id)))
        .filter(product::Column::Status.eq(ProductStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(rows
        .iter()
        .map(|s| SearchDoc {
            public: active.contains(&s.product_id),
            owner_id: owners.get(&s.store_id).copied().unwrap_or(0),
            ..doc(DocKind::Short, s.id, &s.title, &s.description)
        })
        .collect())
}

/// Rows of `kind` that belong in the index (deleted users and posts do not).
fn indexable(kind: DocKind) -> Condition {
    match kind {
        DocKind::User => Condition::all().add(user::Column::Status.ne(UserStatus::Deleted)),
        DocKind::Post => Condition::all()
            .add(post::Column::DeletedAt.is_null())
            .add(post::Column::HiddenAt.is_null()),
        // Moderation: hidden content leaves the index.
        DocKind::Design => Condition::all().add(design::Column::HiddenAt.is_null()),
        DocKind::Short => Condition::all().add(short::Column::HiddenAt.is_null()),
        _ => Condition::all(),
    }
}

/// Documents of the indexable rows of `kind` matching `cond`, by id.
pub(crate) async fn documents(
    db: &impl ConnectionTrait,
    kind: DocKind,
    cond: Condition,
    limit: Option<u64>,
) -> AppResult<Vec<SearchDoc>> {
    let cond = cond.add(indexable(kind));
    macro_rules! rows {
        ($entity:ident) => {
            $entity::Entity::find()
                .filter(cond)
                .order_by_asc($entity::Column::Id)
                .limit(limit)
                .all(db)
                .await?
        };
    }
    Ok(match kind {
        DocKind::User => rows!(user).iter().map(user_doc).collect(),
        DocKind::Post => rows!(post).iter().map(post_doc).collect(),
        DocKind::Design => rows!(design).iter().map(design_doc).collect(),
        DocKind::Store => rows!(store).iter().map(store_doc).collect(),
        DocKind::Product => product_docs(db, &rows!(product)).await?,
        DocKind::Short => short_docs(db, &rows!(short)).await?,
    })
}

pub(crate) fn id_column(kind: DocKind) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::Expr;
    match kind {
        DocKind::User => Expr::col((user::Entity, user::Column::Id)),
        DocKind::Post => Expr::col((post::Entity, post::Column::Id)),
        DocKind::Design => Expr::col((design::Entity, design::Column::Id)),
        DocKind::Product => Expr::col((product::Entity, product::Column::Id)),
        DocKind::Store => Expr::col((store::Entity, store::Column::Id)),
        DocKind::Short => Expr::col((short::Entity, short::Column::Id)),
    }
}

/// The changes that bring `ids` of `kind` in line with the database:
/// upserts for indexable rows, deletes for the rest.
pub async fn changes_for(
    db: &impl ConnectionTrait,
    kind: DocKind,
    ids: &[i64],
) -> AppResult<Vec<Change>> {
    let cond = Condition::all().add(id_column(kind).is_in(ids.iter().copied()));
    let docs = documents(db, kind, cond, None).await?;
    let found: BTreeSet<i64> = docs.iter().map(|d| d.id).collect();
    let mut changes: Vec<Change> = docs
        .into_iter()
        .map(|d| Change::Upsert(Box::new(d)))
        .collect();
    changes.extend(
        ids.iter()
            .filter(|id| !found.contains(id))
            .map(|id| Change::Delete(kind, *id)),
    );
    Ok(changes)
}

async fn count_kind(db: &impl ConnectionTrait, kind: DocKind) -> AppResult<u64> {
    let cond = indexable(kind);
    Ok(match kind {
        DocKind::User => user::Entity::find().filter(cond).count(db).await?,
        DocKind::Post => post::Entity::find().filter(cond).count(db).await?,
        DocKind::Design => design::Entity::find().filter(cond).count(db).await?,
        DocKind::Product => product::Entity::find().filter(cond).count(db).await?,
        DocKind::Store => store::Entity::find().filter(cond).count(db).await?,
        DocKind::Short => short::Entity::find().filter(cond).count(db).await?,
    })
}

/// Rows the index should hold, per kind.
pub async fn indexable_counts(db: &impl ConnectionTrait) -> AppResult<Vec<(DocKind, u64)>> {
    let mut out = Vec::new();
    for kind in DocKind::ALL {
        out.push((kind, count_kind(db, kind).await?));
    }
    Ok(out)
}

// ------------------------------------------------------------------ queries

/// Who the viewer is, for visibility in the index.
pub fn audience(viewer: Option<&user::Model>) -> Audience {
    match viewer {
        None => Audience::Public,
        Some(v) if v.role == Role::Admin => Audience::All,
        Some(v) => Audience::User(v.id),
    }
}

/// The catalogue's product filter in index terms (colours and seasons
/// checked as the catalogue checks them; MALE / FEMALE include UNISEX).
pub fn facets(filter: &ProductFilter) -> AppResult<FacetFilter> {
    if filter.in_stock_size.is_some() || filter.in_stock_color.is_some() {
        // Variant stock moves with every order; the index is not the place
        // to keep it exact.
        return Err(AppError::validation(
            "inStockSize",
            "`inStockSize` and `inStockColor` filter `products`, not search",
        ));
    }
    if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
        && min > max
    {
        return Err(AppError::validation(
            "minPrice",
            "`minPrice` is above `maxPrice`",
        ));
    }
    let genders = match filter.gender {
        None => Vec::new(),
        Some(ProductGender::Unisex) => vec!["UNISEX".to_owned()],
        Some(g) => vec![gender_name(g).to_owned(), "UNISEX".to_owned()],
    };
    Ok(FacetFilter {
        category_id: filter.category_id,
        store_id: filter.store_id,
        min_price: filter.min_price,
        max_price: filter.max_price,
        colors: if filter.colors.is_empty() {
            Vec::new()
        } else {
            catalog::canonical_colors(&filter.colors)?
        },
        genders,
        season: match &filter.season {
            Some(s) => catalog::canonical_seasons(std::slice::from_ref(s))?
                .into_iter()
                .next(),
            None => None,
        },
        theme: filter.theme.map(|t| t.as_str().to_owned()),
    })
}

/// One kind's page to fetch.
#[derive(Clone, Debug)]
pub struct PageOf {
    pub kind: DocKind,
    pub offset: usize,
    pub limit: usize,
}

fn check_query(field: &str, raw: &str) -> AppResult<String> {
    let q = raw.trim();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::validation(
            field,
            format!("`{field}` must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(q.to_owned())
}

/// SEARCH-1: one query per kind, all at once; sections in the order asked.
pub async fn search(
    backend: &dyn SearchBackend,
    query: &str,
    pages: &[PageOf],
    audience: Audience,
    product_filter: Option<FacetFilter>,
    theme: Option<crate::domain::color::Theme>,
) -> AppResult<Vec<(PageOf, Hits)>> {
    let query = check_query("query", query)?;
    if pages.iter().any(|p| p.offset + p.limit > MAX_RESULT_WINDOW) {
        return Err(AppError::validation(
            "after",
            format!(
                "paging reaches the first {MAX_RESULT_WINDOW} hits of a section; refine the query"
            ),
        ));
    }
    let runs = pages.iter().map(|page| {
        let (terms, styles, room_types) = interpret(page.kind, &query);
        let request = SearchRequest {
            kind: page.kind,
            query: query.clone(),
            terms,
            styles,
            room_types,
            audience,
            filter: product_filter
                .clone()
                .filter(|_| page.kind == DocKind::Product),
            theme: theme.map(|t| t.as_str().to_owned()),
            offset: page.offset,
            limit: page.limit,
        };
        async move {
            let nothing = request.terms.is_empty()
                && request.styles.is_empty()
                && request.room_types.is_empty();
            let hits = if nothing {
                Hits::default()
            } else {
                backend.search(&request).await.map_err(AppError::internal)?
            };
            Ok::<_, AppError>((page.clone(), hits))
        }
    });
    futures::future::try_join_all(runs).await
}

/// SEARCH-3: at most `limit` (≤ 10) suggestions whose words start with the
/// prefix's words. A prefix under two characters gets none.
pub async fn suggest(
    backend: &dyn SearchBackend,
    prefix: &str,
    kinds: Vec<DocKind>,
    audience: Audience,
    limit: usize,
) -> AppResult<Vec<Suggestion>> {
    let prefix = check_query("prefix", prefix)?;
    if !(1..=MAX_SUGGESTIONS).contains(&limit) {
        return Err(AppError::validation(
            "first",
            format!("`first` must be between 1 and {MAX_SUGGESTIONS}"),
        ));
    }
    if let Some(k) = kinds.iter().find(|k| !DocKind::SUGGESTED.contains(k)) {
        return Err(AppError::validation(
            "types",
            format!(
                "suggestions cover users, products, stores and designs, not {}s",
                k.as_str()
            ),
        ));
    }
    if prefix.chars().count() < MIN_PREFIX_CHARS {
        return Ok(Vec::new());
    }
    let mut prefixes = analysis::prefix_tokens(&prefix);
    prefixes.truncate(analysis::MAX_QUERY_TOKENS);
    let request = SuggestRequest {
        kinds,
        prefixes,
        audience,
        limit,
    };
    backend.suggest(&request).await.map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_filters_follow_the_catalogue() {
        let f = facets(&ProductFilter {
            gender: Some(ProductGender::Female),
            colors: vec!["black".into()],
            season: Some("summer".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(f.genders, vec!["FEMALE", "UNISEX"]);
        assert_eq!(f.colors, vec!["Black"]);
        assert_eq!(f.season.as_deref(), Some("SUMMER"));
        assert!(
            facets(&ProductFilter {
                min_price: Some(10),
                max_price: Some(5),
                ..Default::default()
            })
            .is_err()
        );
    }
}
