//! Visual shopping (COMM-8): products for an object the client detected in
//! a design image, and the clicks on them.
//!
//! [`suggest`] turns the COCO class into its Korean query ([`coco`]), then
//! at once searches
//! - the platform's own catalogue (the search index, ACTIVE products),
//!   preferring products in the colours of the design's palette
//!   ([`palette`]) and filling up with the rest of the matches; and
//! - every configured external provider (`infra::shopping`: Naver, Google,
//!   Coupang) still within its quota ([`quota`]), each bounded by the
//!   per-provider timeout.
//!
//! The answer lists the own catalogue's products first, then the external
//! results interleaved 1:1:1 in tier order (Naver, Google, Coupang), going
//! on with the others when one runs out. A provider over its quota is not
//! called and its share of the list goes to the next ones (each remaining
//! provider is asked for more); one that fails or times out just leaves
//! its share out. Each provider's outcome is part of the answer, and the
//! whole answer is stored (`shopping_searches`, `shopping_suggestions`) so
//! that later pages read it back without calling anyone again, and a click
//! can name the suggestion it followed.
//!
//! External links carry the viewer's affiliate sub-id (`Providers::sub_id`,
//! an HMAC of the user id, not the id): Coupang receives it as its `subId`
//! parameter and builds it into its links; Naver and Google have no
//! affiliate parameter, so their links get `subId=<sub-id>` appended.
//!
//! [`track_click`] records a click by the user who got the suggestion; a
//! click on an own-catalogue product is also written as a behaviour event
//! (CLICK on the PRODUCT), the interactions the recommender trains on.
pub mod coco;
pub mod palette;
pub mod quota;

use std::{collections::HashSet, time::Duration};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::{
    db::begin_write,
    domain::{
        community::designs,
        search::{self as search_domain, PageOf},
        seo::{self, Section},
    },
    entities::{
        behavior_event,
        product::{self, ProductStatus},
        shopping_click, shopping_search,
        shopping_suggestion::{self, ShoppingPlatform},
        user,
    },
    error::{AppError, AppResult},
    infra::{
        kv::Kv,
        search::{Audience, DocKind, FacetFilter, SearchBackend},
        shopping::{Configured, Hit, ProviderError, ProviderName, Providers, SearchRequest},
    },
    telemetry::Metrics,
};

/// Longest title stored (characters).
const MAX_TITLE_CHARS: usize = 300;
/// Longest link stored.
const MAX_URL_CHARS: usize = 2048;

/// What a search needs from the process.
pub struct Shopping<'a> {
    pub db: &'a DatabaseConnection,
    pub search: &'a dyn SearchBackend,
    pub kv: &'a dyn Kv,
    /// The deployment's kv prefix (`VITRINE_REDIS_PREFIX`).
    pub kv_prefix: &'a str,
    pub providers: &'a Providers,
    pub metrics: &'a Metrics,
    /// Origin of the own products' page links.
    pub public_base: &'a str,
}

/// How an external provider fared in one search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProviderState {
    /// It answered (possibly with nothing).
    Ok,
    /// It did not answer within the timeout.
    Timeout,
    /// It answered with an error, or something unreadable.
    Failed,
    /// Not called: its quota for the current window is spent.
    QuotaExhausted,
    /// Not called: it is not configured on this server.
    NotConfigured,
}

impl ProviderState {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Timeout => "timeout",
            Self::Failed => "failed",
            Self::QuotaExhausted => "quota_exhausted",
            Self::NotConfigured => "not_configured",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatus {
    pub provider: ProviderName,
    pub state: ProviderState,
    /// Suggestions it contributed to the stored list.
    pub results: usize,
    /// How long the call took (none when it was not called).
    pub elapsed_ms: Option<u64>,
}

/// One page of an answer.
pub struct Page {
    pub search: shopping_search::Model,
    /// Up to `first + 1` rows from the requested position (one more than
    /// asked tells whether a next page exists).
    pub rows: Vec<shopping_suggestion::Model>,
}

impl Page {
    pub fn statuses(&self) -> Vec<ProviderStatus> {
        serde_json::from_str(&self.search.providers).unwrap_or_default()
    }

    pub fn colors(&self) -> Vec<String> {
        serde_json::from_str(&self.search.colors).unwrap_or_default()
    }
}

/// The platform of a provider's suggestions.
pub fn platform_of(name: ProviderName) -> ShoppingPlatform {
    match name {
        ProviderName::Naver => ShoppingPlatform::Naver,
        ProviderName::Google => ShoppingPlatform::Google,
        ProviderName::Coupang => ShoppingPlatform::Coupang,
    }
}

/// The class `label` names, or a VALIDATION error on `objectClass`.
pub fn object_class(label: &str) -> AppResult<coco::ObjectClass> {
    coco::lookup(label).ok_or_else(|| {
        let shown: String = label.trim().chars().take(40).collect();
        AppError::validation(
            "objectClass",
            format!(
                "unknown object class `{shown}`: expected one of the 80 COCO classes, such as couch, chair, bed or dining table"
            ),
        )
    })
}

/// Round-robin over `lists`, one item of each in turn, going on with the
/// others when one runs out: `[a1 a2] [b1] [c1 c2 c3]` → `a1 b1 c1 a2 c2 c3`.
pub fn interleave<T>(lists: Vec<Vec<T>>) -> Vec<T> {
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for it in &mut iters {
            if let Some(item) = it.next() {
                out.push(item);
            }
        }
    }
    out
}

/// Each provider's share of `want` external results among `providers`,
/// within its own maximum.
fn share(want: usize, providers: usize, max: usize) -> usize {
    want.div_ceil(providers.max(1)).clamp(1, max.max(1))
}

/// An http(s) URL of reasonable length, else `None` (a provider's
/// `javascript:` link must never reach a client).
fn web_url(raw: &str) -> Option<String> {
    let ok = raw.len() <= MAX_URL_CHARS
        && url::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    ok.then(|| raw.to_owned())
}

/// Calls one provider within the timeout; its outcome and hits.
async fn call(
    configured: &Configured,
    request: SearchRequest<'_>,
    timeout: Duration,
    metrics: &Metrics,
) -> (ProviderStatus, Vec<Hit>) {
    let provider = configured.provider.name();
    let started = Instant::now();
    let outcome = tokio::time::timeout(timeout, configured.provider.search(&request)).await;
    let elapsed = started.elapsed();
    let (state, hits) = match outcome {
        Err(_) | Ok(Err(ProviderError::Timeout)) => {
            tracing::warn!(
                provider = provider.as_str(),
                ?elapsed,
                "shopping provider timed out"
            );
            (ProviderState::Timeout, Vec::new())
        }
        Ok(Err(ProviderError::Failed(reason))) => {
            tracing::warn!(provider = provider.as_str(), %reason, "shopping provider failed");
            (ProviderState::Failed, Vec::new())
        }
        Ok(Ok(mut hits)) => {
            hits.retain(|h| web_url(&h.url).is_some());
            hits.truncate(request.limit);
            (ProviderState::Ok, hits)
        }
    };
    metrics.shopping_call(provider.as_str(), state.label(), Some(elapsed));
    (
        ProviderStatus {
            provider,
            state,
            results: hits.len(),
            elapsed_ms: Some(elapsed.as_millis() as u64),
        },
        hits,
    )
}

/// ACTIVE products matching `query`, those of `colors` first, at most
/// `limit`.
async fn own_catalogue(
    shopping: &Shopping<'_>,
    query: &str,
    colors: &[String],
    limit: usize,
) -> AppResult<Vec<product::Model>> {
    let page = [PageOf {
        kind: DocKind::Product,
        offset: 0,
        limit,
    }];
    let ids_of = |found: Vec<(PageOf, crate::infra::search::Hits)>| -> Vec<i64> {
        found.into_iter().flat_map(|(_, hits)| hits.ids).collect()
    };
    let unfiltered =
        search_domain::search(shopping.search, query, &page, Audience::Public, None, None);
    let in_colors = async {
        if colors.is_empty() {
            return Ok(Vec::new());
        }
        let filter = FacetFilter {
            colors: colors.to_vec(),
            ..Default::default()
        };
        search_domain::search(
            shopping.search,
            query,
            &page,
            Audience::Public,
            Some(filter),
            None,
        )
        .await
    };
    let (unfiltered, in_colors) = tokio::join!(unfiltered, in_colors);
    let mut seen = HashSet::new();
    let ids: Vec<i64> = ids_of(in_colors?)
        .into_iter()
        .chain(ids_of(unfiltered?))
        .filter(|id| seen.insert(*id))
        .take(limit)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = product::Entity::find()
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .filter(product::Column::Status.eq(ProductStatus::Active))
        .all(shopping.db)
        .await?;
    rows.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
    Ok(rows)
}

/// The suggestion rows of an answer, positions in order.
fn rows_of(
    base: &shopping_suggestion::ActiveModel,
    public_base: &str,
    own: Vec<product::Model>,
    external: Vec<(ProviderName, Hit)>,
) -> Vec<shopping_suggestion::ActiveModel> {
    let title = |t: &str| t.chars().take(MAX_TITLE_CHARS).collect::<String>();
    let own = own.into_iter().map(|p| shopping_suggestion::ActiveModel {
        platform: Set(ShoppingPlatform::Own),
        product_id: Set(Some(p.id)),
        external_id: Set(None),
        title: Set(title(&p.name)),
        url: Set(seo::page_url(public_base, Section::Products, p.id)),
        image_url: Set(None),
        price: Set(Some(p.price)),
        mall_name: Set(None),
        ..base.clone()
    });
    let external = external
        .into_iter()
        .map(|(provider, hit)| shopping_suggestion::ActiveModel {
            platform: Set(platform_of(provider)),
            product_id: Set(None),
            external_id: Set(hit.external_id.map(|id| id.chars().take(255).collect())),
            title: Set(title(&hit.title)),
            url: Set(hit.url),
            image_url: Set(hit.image_url.as_deref().and_then(web_url)),
            price: Set(hit.price),
            mall_name: Set(hit.mall_name.map(|m| m.chars().take(255).collect())),
            ..base.clone()
        });
    own.chain(external)
        .enumerate()
        .map(|(i, mut row)| {
            row.position = Set(i as i32);
            row
        })
        .collect()
}

/// The first page of a new answer for `label` in design `design_id`
/// (VALIDATION for an unknown class, NOT_FOUND for a design the viewer may
/// not see). `first` is the page size: the own catalogue gives up to
/// `first` products and the providers up to `first` results between them.
pub async fn suggest(
    shopping: &Shopping<'_>,
    viewer: &user::Model,
    label: &str,
    design_id: i64,
    first: usize,
) -> AppResult<Page> {
    let class = object_class(label)?;
    let design = designs::find_visible(shopping.db, design_id, Some(viewer))
        .await?
        .ok_or_else(|| AppError::not_found("Design"))?;
    let colors = palette::catalogue_colors(design.palette.as_deref());
    let sub_id = shopping.providers.sub_id(viewer.id);

    // Quotas first: a provider over its quota is not called, and the
    // others share its part of the list.
    let now = Utc::now();
    let mut statuses: Vec<ProviderStatus> = Vec::new();
    let mut callable: Vec<&Configured> = Vec::new();
    for configured in &shopping.providers.configured {
        let name = configured.provider.name();
        match quota::take(shopping.kv, shopping.kv_prefix, name, configured.quota, now).await {
            quota::Allowance::Allowed(_) => callable.push(configured),
            quota::Allowance::Exhausted => {
                shopping.metrics.shopping_call(
                    name.as_str(),
                    ProviderState::QuotaExhausted.label(),
                    None,
                );
                statuses.push(ProviderStatus {
                    provider: name,
                    state: ProviderState::QuotaExhausted,
                    results: 0,
                    elapsed_ms: None,
                });
            }
        }
    }
    let calls = callable.iter().map(|configured| {
        let limit = share(first, callable.len(), configured.provider.max_results());
        let request = SearchRequest {
            query: class.query,
            limit,
            sub_id: &sub_id,
        };
        call(
            configured,
            request,
            shopping.providers.timeout,
            shopping.metrics,
        )
    });
    let (own, answered) = tokio::join!(
        own_catalogue(shopping, class.query, &colors, first),
        futures::future::join_all(calls)
    );
    let own = own?;
    let mut lists: Vec<Vec<(ProviderName, Hit)>> = Vec::new();
    for (status, hits) in answered {
        statuses.push(status);
        lists.push(hits.into_iter().map(|h| (status.provider, h)).collect());
    }
    for name in ProviderName::ALL {
        if !statuses.iter().any(|s| s.provider == name) {
            statuses.push(ProviderStatus {
                provider: name,
                state: ProviderState::NotConfigured,
                results: 0,
                elapsed_ms: None,
            });
        }
    }
    statuses.sort_by_key(|s| ProviderName::ALL.iter().position(|n| *n == s.provider));
    let mut external: Vec<(ProviderName, Hit)> = interleave(lists);
    external.truncate(first);
    for status in &mut statuses {
        status.results = external
            .iter()
            .filter(|(p, _)| *p == status.provider)
            .count();
    }

    let txn = begin_write(shopping.db).await?;
    let search = shopping_search::ActiveModel {
        user_id: Set(viewer.id),
        design_id: Set(design.id),
        object_class: Set(class.name.to_owned()),
        query: Set(class.query.to_owned()),
        colors: Set(serde_json::to_string(&colors).unwrap_or_else(|_| "[]".into())),
        providers: Set(serde_json::to_string(&statuses).unwrap_or_else(|_| "[]".into())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let base = shopping_suggestion::ActiveModel {
        search_id: Set(search.id),
        user_id: Set(viewer.id),
        design_id: Set(design.id),
        object_class: Set(class.name.to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    let rows = rows_of(&base, shopping.public_base, own, external);
    if !rows.is_empty() {
        shopping_suggestion::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    let rows = page_rows(shopping.db, search.id, None, first).await?;
    Ok(Page { search, rows })
}

/// Up to `first + 1` stored rows of search `search_id` after `position`.
async fn page_rows(
    db: &DatabaseConnection,
    search_id: i64,
    after_position: Option<i32>,
    first: usize,
) -> AppResult<Vec<shopping_suggestion::Model>> {
    let mut query = shopping_suggestion::Entity::find()
        .filter(shopping_suggestion::Column::SearchId.eq(search_id));
    if let Some(position) = after_position {
        query = query.filter(shopping_suggestion::Column::Position.gt(position));
    }
    Ok(query
        .order_by_asc(shopping_suggestion::Column::Position)
        .limit(first as u64 + 1)
        .all(db)
        .await?)
}

/// A later page of a stored answer: the rows after `(search_id,
/// position)`, a cursor of a page of this same list (the viewer's, for the
/// same class and design).
pub async fn page_after(
    db: &DatabaseConnection,
    viewer: &user::Model,
    label: &str,
    design_id: i64,
    (search_id, position): (i64, i32),
    first: usize,
) -> AppResult<Page> {
    let class = object_class(label)?;
    let search = shopping_search::Entity::find_by_id(search_id)
        .one(db)
        .await?
        .filter(|s| {
            s.user_id == viewer.id && s.design_id == design_id && s.object_class == class.name
        })
        .ok_or_else(|| AppError::validation("after", "`after` is not a cursor of this list"))?;
    let rows = page_rows(db, search.id, Some(position), first).await?;
    Ok(Page { search, rows })
}

/// Records the viewer's click on suggestion `suggestion_id` (NOT_FOUND when
/// it is not one they got); an own product's click is also a behaviour
/// event the recommender reads. The suggestion and the click.
pub async fn track_click(
    db: &DatabaseConnection,
    viewer: &user::Model,
    suggestion_id: i64,
) -> AppResult<(shopping_suggestion::Model, shopping_click::Model)> {
    let suggestion = shopping_suggestion::Entity::find_by_id(suggestion_id)
        .one(db)
        .await?
        .filter(|s| s.user_id == viewer.id)
        .ok_or_else(|| AppError::not_found("ShoppingSuggestion"))?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let click = shopping_click::ActiveModel {
        suggestion_id: Set(suggestion.id),
        user_id: Set(viewer.id),
        platform: Set(suggestion.platform),
        product_id: Set(suggestion.product_id),
        external_id: Set(suggestion.external_id.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let (ShoppingPlatform::Own, Some(product_id)) = (suggestion.platform, suggestion.product_id)
    {
        behavior_event::ActiveModel {
            user_id: Set(viewer.id),
            client_event_id: Set(format!("shopping-click:{}", click.id)),
            event_type: Set("CLICK".to_owned()),
            target_type: Set("PRODUCT".to_owned()),
            target_id: Set(product_id),
            value: Set(None),
            occurred_at: Set(now),
            received_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok((suggestion, click))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_is_one_each_in_turn_then_the_rest() {
        let lists = vec![vec!["a1", "a2"], vec!["b1"], vec!["c1", "c2", "c3"]];
        assert_eq!(interleave(lists), vec!["a1", "b1", "c1", "a2", "c2", "c3"]);
        assert!(interleave::<u8>(vec![vec![], vec![]]).is_empty());
        assert_eq!(interleave(vec![vec![1, 2, 3]]), vec![1, 2, 3]);
    }

    #[test]
    fn shares_split_the_list_and_respect_each_maximum() {
        assert_eq!(share(20, 3, 100), 7);
        assert_eq!(share(20, 2, 100), 10);
        assert_eq!(share(20, 2, 10), 10);
        assert_eq!(share(100, 1, 10), 10);
        assert_eq!(share(1, 3, 10), 1);
    }

    #[test]
    fn only_web_links_are_kept() {
        assert!(web_url("https://shop.example/p/1").is_some());
        assert!(web_url("javascript:alert(1)").is_none());
        assert!(web_url("data:text/html,x").is_none());
        assert!(web_url(&format!("https://x.example/{}", "a".repeat(3000))).is_none());
    }

    #[test]
    fn unknown_classes_are_refused_naming_the_field() {
        let err = object_class("spaceship").unwrap_err();
        assert_eq!(err.code(), "VALIDATION");
        assert!(err.message().contains("spaceship"));
        assert_eq!(object_class("Couch").unwrap().query, "소파");
    }
}
