//! The platform's database as recommender input: product features (ML-1)
//! and commerce activity as [`Signal`]s (orders, wishlist, reviews, likes
//! and views of a product's shorts, tracked product and short events).
//!
//! A product's features are what its seller entered; where the seller left
//! colours, seasons, fibres or spec tags empty, the product's inferred
//! attributes (`product_inferences`) fill them in. Seller values always
//! win, list by list; the seller's category is always there.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use recommender::data::{CatalogItem, Dataset, DatasetBuilder, Item, ItemFeatures, Signal};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement, Value,
};

use crate::{
    domain::placeholders,
    entities::{
        category,
        product::{self, ProductStatus},
        product_inference, product_variant,
    },
    error::AppResult,
};

fn json_list(raw: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(raw).unwrap_or_default()
}

/// Fibres, largest share first.
fn fibers(raw: &str) -> Vec<String> {
    let mut parts: Vec<(String, f64)> = serde_json::from_str::<Vec<serde_json::Value>>(raw)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            Some((
                v.get("fiber")?.as_str()?.to_lowercase(),
                v.get("percent").and_then(|p| p.as_f64()).unwrap_or(0.0),
            ))
        })
        .collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    parts.into_iter().map(|(f, _)| f).collect()
}

/// `seller`'s list, or `inferred`'s when the seller's is empty.
fn seller_first(seller: Vec<String>, inferred: impl FnOnce() -> Vec<String>) -> Vec<String> {
    if seller.is_empty() {
        inferred()
    } else {
        seller
    }
}

/// The item features of `p` in `category_path`, with `inferred`'s values
/// where the seller left a list empty.
pub fn features(
    p: &product::Model,
    category_path: &str,
    inferred: Option<&product_inference::Model>,
) -> ItemFeatures {
    let lower =
        |list: Vec<String>| -> Vec<String> { list.into_iter().map(|v| v.to_lowercase()).collect() };
    let from_inference =
        |raw: Option<&String>| raw.map_or_else(Vec::new, |raw| lower(json_list(raw)));
    let mut tags = seller_first(lower(json_list(&p.spec_tags)), || {
        from_inference(inferred.map(|i| &i.spec_tags))
    });
    tags.push(format!("elasticity:{:?}", p.elasticity));
    tags.push(format!("transparency:{:?}", p.transparency));
    if p.fleece {
        tags.push("fleece".into());
    }
    ItemFeatures {
        category: category_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        gender: Some(format!("{:?}", p.gender).to_uppercase()),
        // Stored as the catalogue spells them (`WINTER`), as the seller's.
        seasons: seller_first(json_list(&p.seasons), || {
            inferred.map_or_else(Vec::new, |i| json_list(&i.seasons))
        }),
        fibers: seller_first(fibers(&p.fiber_composition), || {
            from_inference(inferred.map(|i| &i.fibers))
        }),
        colors: seller_first(lower(json_list(&p.colors)), || {
            from_inference(inferred.map(|i| &i.colors))
        }),
        tags,
        price: p.price as f64,
        store: Some(p.store_id.to_string()),
    }
}

/// What a product's variants add to its features (issue 22): the sizes
/// and colours that are in stock (`size:m` tags; colours joined to the
/// product's), and the lowest price a buyer pays today. A product whose
/// every variant is sold out keeps its features: it is filtered out of
/// recommendations by its stock, not forgotten.
pub fn with_variants(mut f: ItemFeatures, variants: &[product_variant::Model]) -> ItemFeatures {
    let in_stock: Vec<&product_variant::Model> = variants.iter().filter(|v| v.stock > 0).collect();
    for v in &in_stock {
        if let Some(size) = &v.size {
            let tag = format!("size:{}", size.to_lowercase());
            if !f.tags.contains(&tag) {
                f.tags.push(tag);
            }
        }
        if let Some(color) = &v.color {
            let color = color.to_lowercase();
            if !f.colors.contains(&color) {
                f.colors.push(color);
            }
        }
    }
    if let Some(lowest) = in_stock.iter().filter_map(|v| v.price).min() {
        f.price = f.price.min(lowest as f64);
    }
    f
}

/// Products with their features; `ids` limits the read (None = all).
pub async fn catalog(
    db: &DatabaseConnection,
    only_active: bool,
    ids: Option<&[i64]>,
) -> AppResult<Vec<CatalogItem>> {
    let paths: HashMap<i64, String> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.path))
        .collect();
    let mut query = product::Entity::find();
    if only_active {
        query = query.filter(product::Column::Status.eq(ProductStatus::Active));
    }
    if let Some(ids) = ids {
        query = query.filter(product::Column::Id.is_in(ids.iter().copied()));
    }
    let mut rows = query.all(db).await?;
    rows.sort_by_key(|p| p.id);
    let mut inferred = product_inference::Entity::find();
    if let Some(ids) = ids {
        inferred = inferred.filter(product_inference::Column::ProductId.is_in(ids.iter().copied()));
    }
    let inferred: HashMap<i64, product_inference::Model> = inferred
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.product_id, i))
        .collect();
    let product_ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let mut variants = HashMap::new();
    for chunk in product_ids.chunks(900) {
        variants.extend(crate::domain::commerce::variants::of_products(db, chunk).await?);
    }
    Ok(rows
        .into_iter()
        .map(|p| CatalogItem {
            features: with_variants(
                features(
                    &p,
                    paths.get(&p.category_id).map_or("", String::as_str),
                    inferred.get(&p.id),
                ),
                variants.get(&p.id).map_or(&[], Vec::as_slice),
            ),
            id: p.id,
            name: p.name,
            store_id: p.store_id,
        })
        .collect())
}

/// (user, product, signal, when), one statement over every source.
const ACTIVITY: &str = "
SELECT o.buyer_id AS user_id, l.product_id AS product_id, 5 AS signal, o.created_at AS at
  FROM order_lines l JOIN orders o ON o.id = l.order_id
 WHERE l.status <> 'CANCELLED' AND {user:o.buyer_id}
UNION ALL
SELECT w.user_id, w.product_id, 4, w.created_at FROM wishlist_items w WHERE {user:w.user_id}
UNION ALL
SELECT r.user_id, r.product_id, 3, r.created_at FROM reviews r WHERE {user:r.user_id}
UNION ALL
SELECT k.user_id, s.product_id, 2, k.created_at
  FROM likes k JOIN shorts s ON s.id = k.target_id
 WHERE k.target_type = 'SHORT' AND {user:k.user_id}
UNION ALL
SELECT v.user_id, s.product_id, 1, v.viewed_at
  FROM short_views v JOIN shorts s ON s.id = v.short_id
 WHERE v.user_id IS NOT NULL AND {user:v.user_id}
UNION ALL
SELECT e.user_id, e.target_id, CASE e.event_type WHEN 'PURCHASE' THEN 5 WHEN 'SAVE' THEN 2 WHEN 'SHARE' THEN 2 ELSE 1 END, e.occurred_at
  FROM behavior_events e
 WHERE e.target_type = 'PRODUCT' AND {user:e.user_id}
UNION ALL
SELECT e.user_id, s.product_id, CASE e.event_type WHEN 'PURCHASE' THEN 5 WHEN 'SAVE' THEN 2 WHEN 'SHARE' THEN 2 ELSE 1 END, e.occurred_at
  FROM behavior_events e JOIN shorts s ON s.id = e.target_id
 WHERE e.target_type = 'SHORT' AND {user:e.user_id}
";

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Activity {
    pub user_id: i64,
    pub product_id: i64,
    pub signal: Signal,
    pub at: DateTime<Utc>,
}

/// Whose activity, and how much of it.
#[derive(Clone, Copy, Debug, Default)]
pub struct ActivityFilter {
    /// One user's, or everyone's when `None`.
    pub user_id: Option<i64>,
    /// The most recent this many, or all.
    pub limit: Option<u64>,
}

/// Activity matching `filter`, most recent first.
pub async fn activity(
    db: &impl ConnectionTrait,
    filter: ActivityFilter,
) -> AppResult<Vec<Activity>> {
    let ActivityFilter { user_id, limit } = filter;
    let mut sql = String::with_capacity(ACTIVITY.len() + 64);
    let mut values: Vec<Value> = Vec::new();
    let mut rest = ACTIVITY;
    while let Some(start) = rest.find("{user:") {
        let end = start + rest[start..].find('}').unwrap_or(0);
        sql.push_str(&rest[..start]);
        match user_id {
            Some(id) => {
                sql.push_str(&rest[start + 6..end]);
                sql.push_str(" = ?");
                values.push(id.into());
            }
            None => sql.push_str("1 = 1"),
        }
        rest = &rest[end + 1..];
    }
    sql.push_str(rest);
    sql = format!("SELECT user_id, product_id, signal, at FROM ({sql}) activity ORDER BY at DESC");
    if let Some(limit) = limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, &sql),
            values,
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let signal: i32 = row.try_get_by_index(2)?;
        out.push(Activity {
            user_id: row.try_get_by_index(0)?,
            product_id: row.try_get_by_index(1)?,
            signal: Signal::from_code(signal.into()).unwrap_or(Signal::View),
            at: row.try_get_by_index(3)?,
        });
    }
    Ok(out)
}

/// Everything the platform knows, as a training dataset over all products.
pub async fn dataset(db: &DatabaseConnection) -> AppResult<(Dataset, Vec<CatalogItem>)> {
    let items = catalog(db, false, None).await?;
    let mut builder = DatasetBuilder::new("platform");
    for item in &items {
        builder.item(Item {
            id: item.id,
            name: item.name.clone(),
            features: item.features.clone(),
        });
    }
    for a in activity(db, ActivityFilter::default()).await? {
        builder.interaction(a.user_id, a.product_id, a.signal, a.at.timestamp());
    }
    Ok((builder.build(), items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::{
        product::{Degree, ProductGender},
        product_inference::InferenceSource,
    };

    fn product(colors: &str, fibers: &str, tags: &str) -> product::Model {
        let now = Utc::now();
        product::Model {
            id: 1,
            store_id: 2,
            category_id: 3,
            name: "코트".into(),
            description: String::new(),
            price: 10_000,
            stock: 1,
            gender: ProductGender::Unisex,
            colors: colors.into(),
            seasons: "[]".into(),
            fiber_composition: fibers.into(),
            elasticity: Degree::None,
            transparency: Degree::None,
            fleece: false,
            spec_tags: tags.into(),
            options: "[]".into(),
            status: ProductStatus::Active,
            rating_sum: 0,
            review_count: 0,
            rating_avg: 0.0,
            wishlist_count: 0,
            sold_count: 0,
            popularity: 0,
            palette: None,
            color_theme: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn inferred() -> product_inference::Model {
        product_inference::Model {
            product_id: 1,
            category_id: None,
            colors: r#"["Red","Navy"]"#.into(),
            seasons: r#"["WINTER"]"#.into(),
            fibers: r#"["wool"]"#.into(),
            spec_tags: r#"["coat"]"#.into(),
            source: InferenceSource::Rules,
            model: None,
            input_hash: String::new(),
            dropped: 0,
            inferred_at: Utc::now(),
        }
    }

    #[test]
    fn inferred_values_fill_only_what_the_seller_left_empty() {
        let seller = product(
            r#"["Black"]"#,
            r#"[{"fiber":"Cotton","percent":100}]"#,
            "[]",
        );
        let f = features(&seller, "/01outer/01outer_01coat/", Some(&inferred()));
        assert_eq!(f.colors, ["black"]);
        assert_eq!(f.fibers, ["cotton"]);
        assert_eq!(f.seasons, ["WINTER"]);
        assert_eq!(f.tags[0], "coat");
        assert_eq!(f.category, ["01outer", "01outer_01coat"]);
        let empty = product("[]", "[]", r#"["Limited"]"#);
        let f = features(&empty, "", Some(&inferred()));
        assert_eq!(f.colors, ["red", "navy"]);
        assert_eq!(f.fibers, ["wool"]);
        assert_eq!(f.tags[0], "limited");
        assert!(!f.tags.contains(&"coat".to_owned()));
        let none = features(&empty, "", None);
        assert!(none.colors.is_empty() && none.seasons.is_empty() && none.fibers.is_empty());
    }

    #[test]
    fn variants_in_stock_add_sizes_colours_and_the_lowest_price() {
        let p = product(r#"["Black"]"#, "[]", "[]");
        let variant = |size: &str, color: Option<&str>, stock: i64, price: Option<i64>| {
            product_variant::Model {
                id: 1,
                product_id: 1,
                sku: "S".into(),
                size: Some(size.into()),
                color: color.map(Into::into),
                label: size.into(),
                stock,
                price,
                position: 0,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            }
        };
        let base = features(&p, "", None);
        let f = with_variants(
            base.clone(),
            &[
                variant("M", Some("Camel"), 2, Some(p.price - 1000)),
                variant("L", Some("Navy"), 0, Some(1)),
            ],
        );
        assert!(f.tags.contains(&"size:m".to_owned()));
        assert!(!f.tags.contains(&"size:l".to_owned()), "sold out");
        assert_eq!(f.colors, ["black", "camel"]);
        assert_eq!(f.price, (p.price - 1000) as f64);
        assert_eq!(with_variants(base.clone(), &[]), base);
    }
}
