//! GraphQL output of a product's inferred attributes (ML-1): what a
//! provider inferred from its name, description and first image, apart from
//! what the seller entered.
use async_graphql::{Context, Enum, Object, Result};
use chrono::{DateTime, Utc};

use super::{enums::Season, types::Category};
use crate::{
    domain::commerce::catalog::json_list, entities::product_inference, resolvers::context::loaders,
};

/// Who inferred a product's attributes.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::product_inference::InferenceSource")]
pub enum InferenceSource {
    /// The offline Korean and English word rules.
    Rules,
    /// A chat model.
    Llm,
}

/// Attributes inferred for a product, each a value of the platform's
/// taxonomy; the seller's own values are on `Product` and always win.
pub struct InferredAttributes(pub product_inference::Model);

#[Object]
impl InferredAttributes {
    /// The category its text suggests; null when none fitted.
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        let Some(id) = self.0.category_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).categories.load_one(id).await?.map(Category))
    }
    /// Catalogue colour names (`Red`, `Navy`).
    async fn colors(&self) -> Vec<String> {
        json_list(&self.0.colors)
    }
    async fn seasons(&self) -> Vec<Season> {
        json_list::<String>(&self.0.seasons)
            .iter()
            .filter_map(|s| Season::parse(s))
            .collect()
    }
    /// Fibre names (`cotton`, `wool`), without shares.
    async fn fibers(&self) -> Vec<String> {
        json_list(&self.0.fibers)
    }
    /// Product-type and property tags (`coat`, `water-repellent`).
    async fn spec_tags(&self) -> Vec<String> {
        json_list(&self.0.spec_tags)
    }
    async fn source(&self) -> InferenceSource {
        self.0.source.into()
    }
    /// The chat model, when one inferred.
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }
    /// Proposed values outside the taxonomy, which were not kept.
    async fn dropped_count(&self) -> i32 {
        self.0.dropped
    }
    async fn inferred_at(&self) -> DateTime<Utc> {
        self.0.inferred_at
    }
}
