//! Universal search and autocomplete over GraphQL (SEARCH-1, SEARCH-3):
//! thin resolvers over [`crate::domain::search`]. Hits resolve to the real
//! object types through the request's loaders, and each row's visibility is
//! checked again as it is loaded, so a document the index has not caught up
//! with yet (within its one second) still never reaches a reader who may
//! not see it.
use std::collections::HashMap;

use async_graphql::{
    Context, Enum, ID, Object, OutputType, Result, SimpleObject,
    connection::{Connection, ConnectionNameType, Edge, EdgeNameType, EmptyFields},
};
use serde::{Deserialize, Serialize};

use crate::resolvers::loaders::DataLoader;

use super::{
    accounts::{TotalCount, User},
    commerce::{
        inputs::ProductFilterInput,
        types::{Product, Short, Store},
    },
    community::{Design, Post},
    context::{loaders, state, viewer_user},
    loaders::{ByIdLoader, HasId},
    relay::{PageArgs, decode_cursor, encode_cursor, encode_id},
};
use crate::{
    domain::{
        accounts,
        commerce::{catalog, shorts, stores},
        community::{designs, posts},
        search::{self, MAX_SUGGESTIONS, PageOf},
    },
    entities::{product, short, user},
    error::AppError,
    infra::search::{DocKind, Hits},
};

/// What `search` and `searchSuggestions` look through.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::infra::search::DocKind")]
pub enum SearchType {
    User,
    Post,
    Design,
    Product,
    Store,
    Short,
}

/// Position of a hit: its section and its rank there.
#[derive(Serialize, Deserialize)]
struct SearchCursor {
    k: DocKind,
    o: usize,
}

macro_rules! section_names {
    ($($alias:ident: $node:ty => $conn:ident, $edge:ident, $conn_name:literal, $edge_name:literal;)+) => {$(
        pub struct $conn;
        impl ConnectionNameType for $conn {
            fn type_name<T: OutputType>() -> String {
                $conn_name.into()
            }
        }
        pub struct $edge;
        impl EdgeNameType for $edge {
            fn type_name<T: OutputType>() -> String {
                $edge_name.into()
            }
        }
        pub type $alias = Connection<String, $node, TotalCount, EmptyFields, $conn, $edge>;
    )+};
}

section_names! {
    UserResults: User => UserSearchName, UserSearchEdgeName, "UserSearchConnection", "UserSearchEdge";
    PostResults: Post => PostSearchName, PostSearchEdgeName, "PostSearchConnection", "PostSearchEdge";
    DesignResults: Design => DesignSearchName, DesignSearchEdgeName, "DesignSearchConnection", "DesignSearchEdge";
    ProductResults: Product => ProductSearchName, ProductSearchEdgeName, "ProductSearchConnection", "ProductSearchEdge";
    StoreResults: Store => StoreSearchName, StoreSearchEdgeName, "StoreSearchConnection", "StoreSearchEdge";
    ShortResults: Short => ShortSearchName, ShortSearchEdgeName, "ShortSearchConnection", "ShortSearchEdge";
}

/// The sections of one search, each ranked and paginated on its own.
pub struct SearchResults {
    sections: HashMap<DocKind, (PageOf, Hits)>,
    viewer: Option<user::Model>,
    /// Users hidden from the viewer by blocks: their accounts and content
    /// are left out of every section.
    hidden: std::sync::Arc<std::collections::HashSet<i64>>,
}

/// A section's connection: the hits in rank order whose rows `show` keeps.
fn section<M, N, C, E>(
    kind: DocKind,
    (page, hits, mut rows): (&PageOf, &Hits, HashMap<i64, M>),
    show: impl Fn(&M) -> bool,
    node: impl Fn(M) -> N,
) -> Connection<String, N, TotalCount, EmptyFields, C, E>
where
    N: OutputType,
    C: ConnectionNameType,
    E: EdgeNameType,
{
    let has_next = ((page.offset + hits.ids.len()) as u64) < hits.total;
    let mut conn = Connection::with_additional_fields(
        page.offset > 0,
        has_next,
        TotalCount::new(hits.total as i64),
    );
    conn.edges
        .extend(hits.ids.iter().enumerate().filter_map(|(i, id)| {
            let row = rows.remove(id).filter(|r| show(r))?;
            let cursor = encode_cursor(&SearchCursor {
                k: kind,
                o: page.offset + i,
            });
            Some(Edge::new(cursor, node(row)))
        }));
    conn
}

impl SearchResults {
    /// The section of `kind` with its rows (through `loader`), or `None`
    /// when it was not asked for.
    async fn load<L>(
        &self,
        kind: DocKind,
        loader: &DataLoader<ByIdLoader<L>>,
    ) -> Result<Option<(&PageOf, &Hits, HashMap<i64, L::Model>)>>
    where
        L: HasId + Send + Sync + 'static,
        L::Model: crate::infra::sqlite_reads::SqliteModel + Clone + Send + Sync + 'static,
    {
        let Some((page, hits)) = self.sections.get(&kind) else {
            return Ok(None);
        };
        let rows = loader.load_many(hits.ids.iter().copied()).await?;
        Ok(Some((page, hits, rows)))
    }

    /// Store owners of `store_ids`, through the loader.
    async fn owners(
        ctx: &Context<'_>,
        store_ids: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, i64>> {
        Ok(loaders(ctx)
            .stores
            .load_many(store_ids)
            .await?
            .into_iter()
            .map(|(id, s)| (id, s.owner_id))
            .collect())
    }
}

#[Object]
impl SearchResults {
    /// Accounts by nickname (`null` when not asked for).
    async fn users(&self, ctx: &Context<'_>) -> Result<Option<UserResults>> {
        let show = |u: &user::Model| {
            accounts::visible_to(u, self.viewer.as_ref()) && !self.hidden.contains(&u.id)
        };
        Ok(self
            .load(DocKind::User, &loaders(ctx).users)
            .await?
            .map(|found| section(DocKind::User, found, show, User::new)))
    }

    /// Posts by text relevance × (1 + ln(1 + 2·likes + 3·comments)).
    async fn posts(&self, ctx: &Context<'_>) -> Result<Option<PostResults>> {
        Ok(self
            .load(DocKind::Post, &loaders(ctx).posts)
            .await?
            .map(|found| {
                let show = |p: &crate::entities::post::Model| {
                    posts::visible(p) && !self.hidden.contains(&p.author_id)
                };
                section(DocKind::Post, found, show, Post)
            }))
    }

    /// Designs; a named style weighs ×3, a named room type ×2.
    async fn designs(&self, ctx: &Context<'_>) -> Result<Option<DesignResults>> {
        let show = |d: &crate::entities::design::Model| {
            designs::visible_to(d, self.viewer.as_ref()) && !self.hidden.contains(&d.owner_id)
        };
        Ok(self
            .load(DocKind::Design, &loaders(ctx).designs)
            .await?
            .map(|found| section(DocKind::Design, found, show, Design)))
    }

    /// Products; the name weighs over the description; `productFilter` applies.
    async fn products(&self, ctx: &Context<'_>) -> Result<Option<ProductResults>> {
        let Some(found) = self.load(DocKind::Product, &loaders(ctx).products).await? else {
            return Ok(None);
        };
        let owners = Self::owners(ctx, found.2.values().map(|p| p.store_id)).await?;
        let show = |p: &product::Model| {
            catalog::visible_to(p, owners.get(&p.store_id).copied(), self.viewer.as_ref())
        };
        Ok(Some(section(DocKind::Product, found, show, Product)))
    }

    /// Stores (brands) by name and description.
    async fn stores(&self, ctx: &Context<'_>) -> Result<Option<StoreResults>> {
        let show = |s: &_| stores::visible_to(s, self.viewer.as_ref());
        Ok(self
            .load(DocKind::Store, &loaders(ctx).stores)
            .await?
            .map(|found| section(DocKind::Store, found, show, Store)))
    }

    /// Shorts by title and description (while their product is listed).
    async fn shorts(&self, ctx: &Context<'_>) -> Result<Option<ShortResults>> {
        let Some(found) = self.load(DocKind::Short, &loaders(ctx).shorts).await? else {
            return Ok(None);
        };
        let products = loaders(ctx)
            .products
            .load_many(found.2.values().map(|s| s.product_id))
            .await?;
        let owners = Self::owners(ctx, found.2.values().map(|s| s.store_id)).await?;
        let show = |s: &short::Model| {
            let owner = owners.get(&s.store_id).copied();
            shorts::visible_to(products.get(&s.product_id), owner, self.viewer.as_ref())
                && !owner.is_some_and(|o| self.hidden.contains(&o))
                // Moderation: hidden shorts drop out before the index catches up.
                && s.hidden_at.is_none()
        };
        Ok(Some(section(DocKind::Short, found, show, Short)))
    }
}

/// One autocomplete entry.
#[derive(SimpleObject)]
pub struct SearchSuggestion {
    /// The name or title to show and to search for.
    text: String,
    #[graphql(name = "type")]
    kind: SearchType,
    /// Global id of the user, product, store or design.
    id: ID,
}

fn global_kind(kind: DocKind) -> &'static str {
    match kind {
        DocKind::User => "User",
        DocKind::Post => "Post",
        DocKind::Design => "Design",
        DocKind::Product => "Product",
        DocKind::Store => "Store",
        DocKind::Short => "Short",
    }
}

fn kinds_of(types: Option<Vec<SearchType>>, default: &[DocKind]) -> Vec<DocKind> {
    let mut kinds: Vec<DocKind> = match types {
        Some(t) if !t.is_empty() => t.into_iter().map(Into::into).collect(),
        _ => default.to_vec(),
    };
    kinds.sort();
    kinds.dedup();
    kinds
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches users, posts, designs, products, stores and shorts at once
    /// (SEARCH-1): Korean (found inside compounds), English (stemmed) and
    /// mixed queries. One section per type asked for (default: all), each
    /// ranked and paginated on its own, with its total. `after` takes a
    /// cursor of one section and continues that section only (`types` may
    /// then be left out or name just that type). `productFilter` is the
    /// catalogue's filter and applies to the products section.
    // One argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        types: Option<Vec<SearchType>>,
        #[graphql(desc = "Hits per section, 1 to 100 (default 10).")] first: Option<i32>,
        after: Option<String>,
        product_filter: Option<ProductFilterInput>,
        #[graphql(
            desc = "Only designs and products whose colours have this mood (COMM-3); other sections come back empty."
        )]
        theme: Option<super::color::ColorTheme>,
    ) -> Result<SearchResults> {
        let page = PageArgs::new(Some(first.unwrap_or(10)), after)?;
        let (kinds, offset) = match page.after.as_deref() {
            None => (kinds_of(types, &DocKind::ALL), 0),
            Some(raw) => {
                let cursor: SearchCursor = decode_cursor(raw)?;
                let kinds = kinds_of(types, &[cursor.k]);
                if kinds != [cursor.k] {
                    return Err(AppError::validation(
                        "after",
                        "`after` continues one section: leave `types` out or name only its type",
                    )
                    .into());
                }
                (kinds, cursor.o + 1)
            }
        };
        let facets = match product_filter {
            Some(f) => Some(search::facets(&f.into_domain()?)?),
            None => None,
        };
        let viewer = viewer_user(ctx).await?;
        let pages: Vec<PageOf> = kinds
            .into_iter()
            .map(|kind| PageOf {
                kind,
                offset,
                limit: page.first as usize,
            })
            .collect();
        let found = search::search(
            state(ctx).search.as_ref(),
            &query,
            &pages,
            search::audience(viewer.as_ref()),
            facets,
            theme.map(Into::into),
        )
        .await?;
        Ok(SearchResults {
            sections: found.into_iter().map(|(p, h)| (p.kind, (p, h))).collect(),
            viewer,
            hidden: super::blocks::hidden(ctx).await?,
        })
    }

    /// Autocomplete (SEARCH-3): up to `first` (≤ 10) user nicknames, product
    /// names, store names and design titles with a word starting with each
    /// word of `prefix`. A prefix shorter than 2 characters returns an empty
    /// list (not an error), so a client may call this on every keystroke.
    async fn search_suggestions(
        &self,
        ctx: &Context<'_>,
        prefix: String,
        types: Option<Vec<SearchType>>,
        #[graphql(desc = "1 to 10 (default 10).")] first: Option<i32>,
    ) -> Result<Vec<SearchSuggestion>> {
        let viewer = viewer_user(ctx).await?;
        let limit = usize::try_from(first.unwrap_or(MAX_SUGGESTIONS as i32))
            .unwrap_or(0)
            .min(MAX_SUGGESTIONS + 1);
        let found = search::suggest(
            state(ctx).search.as_ref(),
            &prefix,
            kinds_of(types, &DocKind::SUGGESTED),
            search::audience(viewer.as_ref()),
            limit,
        )
        .await?;
        // Blocked users (either way) and their designs are not suggested.
        let hidden = super::blocks::hidden(ctx).await?;
        let design_owners: HashMap<i64, i64> = if hidden.is_empty() {
            HashMap::new()
        } else {
            let ids = found
                .iter()
                .filter(|s| s.kind == DocKind::Design)
                .map(|s| s.id);
            loaders(ctx)
                .designs
                .load_many(ids)
                .await?
                .into_iter()
                .map(|(id, d)| (id, d.owner_id))
                .collect()
        };
        Ok(found
            .into_iter()
            .filter(|s| match s.kind {
                DocKind::User => !hidden.contains(&s.id),
                DocKind::Design => !design_owners.get(&s.id).is_some_and(|o| hidden.contains(o)),
                _ => true,
            })
            .map(|s| SearchSuggestion {
                id: encode_id(global_kind(s.kind), s.id),
                kind: s.kind.into(),
                text: s.text,
            })
            .collect())
    }
}
