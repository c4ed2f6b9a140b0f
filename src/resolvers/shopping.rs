//! Visual shopping over GraphQL (COMM-8): `shoppingSuggestions` for an
//! object detected in a design, `shoppingObjectClasses`, and
//! `trackShoppingClick`. The rules are `domain::shopping`'s.
use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, ConnectionNameType, EdgeNameType, EmptyFields, EnableNodesField},
};
use chrono::{DateTime, Utc};

use super::{
    commerce::types::Product,
    context::{loaders, state, viewer},
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::shopping::{self as domain, Page, Shopping},
    entities::{product::ProductStatus, shopping_suggestion},
    infra::shopping::ProviderName,
};

/// Where a suggestion comes from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::shopping_suggestion::ShoppingPlatform")]
pub enum ShoppingPlatform {
    /// The platform's own catalogue (`product` is set).
    Own,
    /// Naver Shopping search.
    Naver,
    /// Google Custom Search.
    Google,
    /// Coupang Partners.
    Coupang,
}

/// How an external provider fared in this answer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::shopping::ProviderState")]
pub enum ShoppingProviderState {
    /// It answered (possibly with nothing).
    Ok,
    /// It did not answer within `VITRINE_SHOPPING_TIMEOUT`; left out.
    Timeout,
    /// It answered with an error; left out.
    Failed,
    /// Not called: its quota for the current window is spent; the other
    /// providers filled its share.
    QuotaExhausted,
    /// Not configured on this server.
    NotConfigured,
}

/// One external provider's outcome.
#[derive(SimpleObject)]
pub struct ShoppingProviderStatus {
    platform: ShoppingPlatform,
    status: ShoppingProviderState,
    /// Suggestions it contributed to the list.
    results: i32,
    /// How long it took to answer; null when it was not called.
    elapsed_ms: Option<i32>,
}

/// What the list was made from (the connection's extra fields).
#[derive(SimpleObject)]
pub struct ShoppingSuggestionsInfo {
    /// The COCO class, normalised (`couch`).
    object_class: String,
    /// The Korean query the providers were asked (`소파`).
    query: String,
    /// Catalogue colours of the design's palette that own products were
    /// preferred in (empty without a palette).
    palette_colors: Vec<String>,
    /// Naver, Google and Coupang, in that (tier) order.
    providers: Vec<ShoppingProviderStatus>,
}

pub struct ShoppingSuggestion(pub shopping_suggestion::Model);

/// A product suggested for an object of a design: from the own catalogue
/// or an external shopping provider.
#[Object]
impl ShoppingSuggestion {
    /// Name it with `trackShoppingClick` when the viewer follows `url`.
    async fn id(&self) -> ID {
        encode_id("ShoppingSuggestion", self.0.id)
    }
    async fn platform(&self) -> ShoppingPlatform {
        self.0.platform.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Where to send the viewer: the product page, or the provider's link
    /// tagged with the viewer's affiliate sub-id.
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    /// In KRW; null when the provider gave none.
    async fn price(&self) -> Option<i64> {
        self.0.price
    }
    /// The shop selling it, for external products.
    async fn mall_name(&self) -> Option<&str> {
        self.0.mall_name.as_deref()
    }
    /// The provider's product id, for external products.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// 0-based position in the list.
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn object_class(&self) -> &str {
        &self.0.object_class
    }
    /// The own catalogue's product (null for external ones, or once the
    /// product is no longer on sale).
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(id) = self.0.product_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .products
            .load_one(id)
            .await?
            .filter(|p| p.status == ProductStatus::Active)
            .map(Product))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ShoppingSuggestionConnectionName;
impl ConnectionNameType for ShoppingSuggestionConnectionName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "ShoppingSuggestionConnection".into()
    }
}
pub struct ShoppingSuggestionEdgeName;
impl EdgeNameType for ShoppingSuggestionEdgeName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "ShoppingSuggestionEdge".into()
    }
}

pub type ShoppingSuggestionConnection = Connection<
    String,
    ShoppingSuggestion,
    ShoppingSuggestionsInfo,
    EmptyFields,
    ShoppingSuggestionConnectionName,
    ShoppingSuggestionEdgeName,
    EnableNodesField,
>;

/// The cursor of a suggestion: (its answer, its position).
type SuggestionCursor = (i64, i32);

fn platform_of_provider(name: ProviderName) -> ShoppingPlatform {
    domain::platform_of(name).into()
}

fn into_connection(page_args: &PageArgs, page: Page) -> ShoppingSuggestionConnection {
    let info = ShoppingSuggestionsInfo {
        object_class: page.search.object_class.clone(),
        query: page.search.query.clone(),
        palette_colors: page.colors(),
        providers: page
            .statuses()
            .into_iter()
            .map(|s| ShoppingProviderStatus {
                platform: platform_of_provider(s.provider),
                status: s.state.into(),
                results: s.results as i32,
                elapsed_ms: s.elapsed_ms.map(|ms| ms.min(i32::MAX as u64) as i32),
            })
            .collect(),
    };
    connection(
        page_args,
        page.rows,
        info,
        |row| -> SuggestionCursor { (row.search_id, row.position) },
        ShoppingSuggestion,
    )
}

/// One COCO class and its query.
#[derive(SimpleObject)]
pub struct ShoppingObjectClass {
    /// As `shoppingSuggestions(objectClass:)` takes it (`dining table`).
    name: String,
    /// The Korean query it becomes (`식탁`).
    query: String,
}

#[derive(Default)]
pub struct ShoppingQuery;

#[Object]
impl ShoppingQuery {
    /// Products for an object detected in a design image (COMM-8):
    /// `objectClass` is one of the 80 COCO classes (`couch`; see
    /// `shoppingObjectClasses`), VALIDATION otherwise; NOT_FOUND for a
    /// design the viewer may not see. The own catalogue's products come
    /// first (those in the design's palette colours first), then the
    /// external providers' results interleaved one each in turn; a provider
    /// that fails, times out or is over its quota is left out and reported
    /// in `providers`. Each call asks the providers again; `after` pages
    /// through the same stored list.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn shopping_suggestions(
        &self,
        ctx: &Context<'_>,
        object_class: String,
        design_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ShoppingSuggestionConnection> {
        let page_args = PageArgs::new(first, after)?;
        let design_id = decode_id("Design", "designId", &design_id)?;
        let me = viewer(ctx).await?.user;
        let state = state(ctx);
        let first = page_args.first as usize;
        let page = match page_args.after_key::<SuggestionCursor>()? {
            Some(cursor) => {
                domain::page_after(&state.db, &me, &object_class, design_id, cursor, first).await?
            }
            None => {
                let public_base = crate::domain::seo::public_base(&state.config);
                let shopping = Shopping {
                    db: &state.db,
                    search: state.search.as_ref(),
                    kv: state.kv.as_ref(),
                    kv_prefix: &state.config.redis_prefix,
                    providers: &state.shopping,
                    metrics: &state.metrics,
                    public_base: &public_base,
                };
                domain::suggest(&shopping, &me, &object_class, design_id, first).await?
            }
        };
        Ok(into_connection(&page_args, page))
    }

    /// The object classes `shoppingSuggestions` knows, in COCO's order.
    async fn shopping_object_classes(&self) -> Vec<ShoppingObjectClass> {
        domain::coco::all()
            .map(|c| ShoppingObjectClass {
                name: c.name.to_owned(),
                query: c.query.to_owned(),
            })
            .collect()
    }
}

/// The suggestion the viewer followed.
#[derive(InputObject)]
pub struct TrackShoppingClickInput {
    /// A `ShoppingSuggestion.id` the viewer got.
    suggestion_id: ID,
}

/// A recorded click.
#[derive(SimpleObject)]
pub struct TrackShoppingClickPayload {
    /// The suggestion followed.
    suggestion: ShoppingSuggestion,
    /// When the click was recorded.
    clicked_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct ShoppingMutation;

#[Object]
impl ShoppingMutation {
    /// Records that the viewer followed a suggestion they got (NOT_FOUND
    /// for anyone else's): user, product and platform. A click on an own
    /// product also counts as a CLICK in the recommender's interactions.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn track_shopping_click(
        &self,
        ctx: &Context<'_>,
        input: TrackShoppingClickInput,
    ) -> Result<TrackShoppingClickPayload> {
        let id = decode_id(
            "ShoppingSuggestion",
            "input.suggestionId",
            &input.suggestion_id,
        )?;
        let me = viewer(ctx).await?.user;
        let (suggestion, click) = domain::track_click(&state(ctx).db, &me, id).await?;
        Ok(TrackShoppingClickPayload {
            suggestion: ShoppingSuggestion(suggestion),
            clicked_at: click.created_at,
        })
    }
}
