//! Inferred product attributes (ML-1, "reinforced features"): when a seller
//! creates a product, or edits its name, description or first image, the
//! `PRODUCT_INFERENCE` job is queued in the same transaction. The job asks
//! the configured [`AttributeInference`] (the offline word rules, or a chat
//! model) what category, colours, seasons, fibres and spec tags the product
//! has, keeps only values of the platform's taxonomy (the `categories`
//! table, the catalogue's colours and seasons as [`catalog`] validates
//! them, the fibre and tag vocabularies of [`recommender::infer`]) and
//! stores them in `product_inferences`, apart from what the seller entered,
//! which is never changed. Refused values are counted
//! (`product_inference_values_total{outcome="dropped"}`) and logged.
//!
//! The job is idempotent: it stores the hash of the text and image it read,
//! and a product whose input (and provider) did not change since its last
//! inference is not inferred again; a retry overwrites its own row.
use std::{collections::BTreeSet, time::Duration};

use chrono::Utc;
use recommender::infer;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{catalog, photos::Photo};
use crate::{
    entities::{category, product, product_image, product_inference},
    error::AppResult,
    infra::inference::{AttributeInference, ProductText, Proposal, Taxonomy, TaxonomyCategory},
    jobs::{Enqueue, HandlerResult, JobKind, JobQueue, KindOptions, permanent},
    telemetry::Metrics,
};

/// Most inferred colours and spec tags kept (as the catalogue allows).
const MAX_COLORS: usize = 10;
const MAX_TAGS: usize = 20;

/// Infers the attributes of one product.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InferProduct {
    pub product_id: i64,
}

impl JobKind for InferProduct {
    const KIND: &'static str = "PRODUCT_INFERENCE";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(120),
            max_attempts: 5,
            ..KindOptions::default()
        }
    }
}

/// SHA-256 (hex) of what an inference reads.
pub fn input_hash(text: &ProductText) -> String {
    let mut hash = Sha256::new();
    hash.update(text.name.as_bytes());
    hash.update([0]);
    hash.update(text.description.as_bytes());
    hash.update([0]);
    hash.update(text.image_url.as_deref().unwrap_or_default().as_bytes());
    hex::encode(hash.finalize())
}

/// The URL of a product's first image.
pub async fn first_image(db: &impl ConnectionTrait, product_id: i64) -> AppResult<Option<String>> {
    Ok(product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .order_by_asc(product_image::Column::Position)
        .one(db)
        .await?
        .map(|i| i.url))
}

/// Queues the inference of `product_id` on `conn` (the write's own
/// transaction). Unkeyed: a job queued while another runs reads the newer
/// text, and one that finds nothing changed does nothing.
pub async fn enqueue(
    jobs: &JobQueue,
    conn: &impl ConnectionTrait,
    product_id: i64,
) -> AppResult<()> {
    jobs.enqueue(conn, &InferProduct { product_id }, Enqueue::default())
        .await?;
    Ok(())
}

/// Whether an update changes what the inference reads: the name, the
/// description, or (when `photos` were given) the first image's URL.
pub async fn input_changed(
    db: &impl ConnectionTrait,
    before: &product::Model,
    after: &product::Model,
    photos: Option<&[Photo]>,
) -> AppResult<bool> {
    if before.name != after.name || before.description != after.description {
        return Ok(true);
    }
    let Some(photos) = photos else {
        return Ok(false);
    };
    let old = first_image(db, before.id).await?;
    Ok(old.as_deref() != photos.first().map(|p| p.url.as_str()))
}

/// Every value an inference may propose.
pub async fn taxonomy(db: &impl ConnectionTrait) -> AppResult<(Taxonomy, Vec<category::Model>)> {
    let categories = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .all(db)
        .await?;
    let taxonomy = Taxonomy {
        categories: categories
            .iter()
            .map(|c| TaxonomyCategory {
                code: c.code.clone(),
                name: c.name.clone(),
                name_ko: c.name_ko.clone(),
            })
            .collect(),
        colors: catalog::COLORS.iter().map(|c| (*c).to_owned()).collect(),
        seasons: catalog::SEASONS.iter().map(|s| (*s).to_owned()).collect(),
        fibers: infer::names(infer::FIBERS)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        spec_tags: infer::names(infer::TAGS)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    Ok((taxonomy, categories))
}

/// A proposal with only taxonomy values, and what was refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub category_id: Option<i64>,
    pub colors: Vec<String>,
    pub seasons: Vec<String>,
    pub fibers: Vec<String>,
    pub spec_tags: Vec<String>,
    /// `field:value` of each refused value.
    pub dropped: Vec<String>,
}

impl Checked {
    fn kept(&self) -> usize {
        usize::from(self.category_id.is_some())
            + self.colors.len()
            + self.seasons.len()
            + self.fibers.len()
            + self.spec_tags.len()
    }
}

/// Keeps `value` (as `canonical` makes it) in `out` unless it is refused,
/// repeated, or over `max`.
fn keep(
    field: &str,
    value: &str,
    canonical: Option<String>,
    max: usize,
    out: &mut Vec<String>,
    dropped: &mut Vec<String>,
) {
    match canonical {
        Some(v) if out.contains(&v) => {}
        Some(v) if out.len() < max => out.push(v),
        _ => dropped.push(format!("{field}:{value}")),
    }
}

/// The canonical lower-case name of `value` when `vocabulary` has it and
/// the catalogue's rule for the field (`valid`) accepts it.
fn in_vocabulary(
    value: &str,
    vocabulary: &[String],
    valid: impl Fn(&str) -> bool,
) -> Option<String> {
    let value = value.trim().to_lowercase();
    (vocabulary.contains(&value) && valid(&value)).then_some(value)
}

/// Checks `proposal` against the taxonomy: colours and seasons as the
/// catalogue validates them, fibres and tags against their vocabularies
/// and the catalogue's rules, the category by its code.
pub fn check(proposal: &Proposal, taxonomy: &Taxonomy, categories: &[category::Model]) -> Checked {
    let mut out = Checked::default();
    if let Some(code) = &proposal.category {
        let wanted = code.trim();
        match categories
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(wanted))
        {
            Some(c) => out.category_id = Some(c.id),
            None => out.dropped.push(format!("category:{code}")),
        }
    }
    for c in &proposal.colors {
        let canonical = catalog::canonical_colors(std::slice::from_ref(c))
            .ok()
            .and_then(|v| v.into_iter().next());
        keep(
            "colors",
            c,
            canonical,
            MAX_COLORS,
            &mut out.colors,
            &mut out.dropped,
        );
    }
    for s in &proposal.seasons {
        let canonical = catalog::canonical_seasons(std::slice::from_ref(s))
            .ok()
            .and_then(|v| v.into_iter().next());
        let max = catalog::SEASONS.len();
        keep(
            "seasons",
            s,
            canonical,
            max,
            &mut out.seasons,
            &mut out.dropped,
        );
    }
    for f in &proposal.fibers {
        let canonical = in_vocabulary(f, &taxonomy.fibers, |v| catalog::fiber_name(v).is_ok());
        keep(
            "fibers",
            f,
            canonical,
            usize::MAX,
            &mut out.fibers,
            &mut out.dropped,
        );
    }
    for t in &proposal.spec_tags {
        let canonical = in_vocabulary(t, &taxonomy.spec_tags, |v| catalog::spec_tag(v).is_ok());
        keep(
            "specTags",
            t,
            canonical,
            MAX_TAGS,
            &mut out.spec_tags,
            &mut out.dropped,
        );
    }
    out
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// Stores (or replaces) the inference of `product_id`.
async fn save(
    db: &DatabaseConnection,
    product_id: i64,
    checked: &Checked,
    provider: &dyn AttributeInference,
    hash: String,
) -> AppResult<()> {
    let row = product_inference::ActiveModel {
        product_id: Set(product_id),
        category_id: Set(checked.category_id),
        colors: Set(json(&checked.colors)),
        seasons: Set(json(&checked.seasons)),
        fibers: Set(json(&checked.fibers)),
        spec_tags: Set(json(&checked.spec_tags)),
        source: Set(provider.source()),
        model: Set(provider.model().map(str::to_owned)),
        input_hash: Set(hash),
        dropped: Set(i32::try_from(checked.dropped.len()).unwrap_or(i32::MAX)),
        inferred_at: Set(Utc::now()),
    };
    use product_inference::Column as C;
    product_inference::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::ProductId)
                .update_columns([
                    C::CategoryId,
                    C::Colors,
                    C::Seasons,
                    C::Fibers,
                    C::SpecTags,
                    C::Source,
                    C::Model,
                    C::InputHash,
                    C::Dropped,
                    C::InferredAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The job: infers, checks and stores the product's attributes.
pub async fn run(
    db: &DatabaseConnection,
    provider: &dyn AttributeInference,
    metrics: &Metrics,
    job: &InferProduct,
) -> HandlerResult {
    let id = job.product_id;
    let Some(product) = product::Entity::find_by_id(id).one(db).await? else {
        return Ok(format!("product {id} is gone"));
    };
    let text = ProductText {
        image_url: first_image(db, id).await.map_err(|e| e.into_anyhow())?,
        name: product.name,
        description: product.description,
    };
    let hash = input_hash(&text);
    let previous = product_inference::Entity::find_by_id(id).one(db).await?;
    if previous.is_some_and(|p| {
        p.input_hash == hash
            && p.source == provider.source()
            && p.model.as_deref() == provider.model()
    }) {
        return Ok(format!("product {id}: unchanged since its last inference"));
    }
    let (taxonomy, categories) = taxonomy(db).await.map_err(|e| e.into_anyhow())?;
    let proposal = provider.infer(&text, &taxonomy).await.map_err(|e| {
        if e.is_retryable() {
            anyhow::Error::new(e)
        } else {
            permanent(e.to_string())
        }
    })?;
    let checked = check(&proposal, &taxonomy, &categories);
    save(db, id, &checked, provider, hash)
        .await
        .map_err(|e| e.into_anyhow())?;
    let source = provider.source().as_str();
    metrics.count_inferred_values(source, checked.kept(), checked.dropped.len());
    if !checked.dropped.is_empty() {
        tracing::info!(
            product_id = id,
            source,
            dropped = ?checked.dropped,
            "inferred values outside the taxonomy were dropped"
        );
    }
    Ok(format!(
        "product {id}: {} values inferred by {source}, {} dropped",
        checked.kept(),
        checked.dropped.len()
    ))
}

/// The inferences of `product_ids` (those that have one).
pub async fn inferences_of(
    db: &impl ConnectionTrait,
    product_ids: &[i64],
) -> AppResult<Vec<product_inference::Model>> {
    let unique: BTreeSet<i64> = product_ids.iter().copied().collect();
    Ok(product_inference::Entity::find()
        .filter(product_inference::Column::ProductId.is_in(unique))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coat() -> category::Model {
        category::Model {
            id: 7,
            code: "01outer_01coat".into(),
            name: "Coats".into(),
            name_ko: "코트".into(),
            parent_id: Some(1),
            path: "/01outer/01outer_01coat/".into(),
            depth: 1,
            position: 2,
        }
    }

    fn taxonomy() -> Taxonomy {
        Taxonomy {
            fibers: vec!["cotton".into(), "wool".into()],
            spec_tags: vec!["coat".into()],
            ..Taxonomy::default()
        }
    }

    #[test]
    fn only_taxonomy_values_are_kept() {
        let proposal = Proposal {
            category: Some("01outer_99cape".into()),
            colors: vec![
                "red".into(),
                "Ultraviolet".into(),
                "RED".into(),
                "navy".into(),
            ],
            seasons: vec!["winter".into(), "monsoon".into()],
            fibers: vec!["Wool".into(), "vibranium".into()],
            spec_tags: vec!["coat".into(), "x".repeat(40)],
        };
        let checked = check(&proposal, &taxonomy(), &[coat()]);
        assert_eq!(checked.category_id, None);
        assert_eq!(checked.colors, ["Red", "Navy"]);
        assert_eq!(checked.seasons, ["WINTER"]);
        assert_eq!(checked.fibers, ["wool"]);
        assert_eq!(checked.spec_tags, ["coat"]);
        assert_eq!(
            checked.dropped,
            [
                "category:01outer_99cape".to_owned(),
                "colors:Ultraviolet".into(),
                "seasons:monsoon".into(),
                "fibers:vibranium".into(),
                format!("specTags:{}", "x".repeat(40)),
            ]
        );
        let good = Proposal {
            category: Some("01OUTER_01COAT".into()),
            ..Proposal::default()
        };
        assert_eq!(check(&good, &taxonomy(), &[coat()]).category_id, Some(7));
    }

    #[test]
    fn the_hash_covers_name_description_and_image() {
        let text = ProductText {
            name: "코트".into(),
            description: "울".into(),
            image_url: None,
        };
        let same = input_hash(&text);
        assert_eq!(same, input_hash(&text.clone()));
        let moved = ProductText {
            name: "코트울".into(),
            description: String::new(),
            image_url: None,
        };
        assert_ne!(same, input_hash(&moved));
        let with_image = ProductText {
            image_url: Some("https://img.example/1.jpg".into()),
            ..text
        };
        assert_ne!(same, input_hash(&with_image));
    }
}
