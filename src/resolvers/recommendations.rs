//! Recommendations (ML-3, ML-5) and the recommender's administration (ML-2).
use async_graphql::{
    Context, Enum, ID, Object, Result, SimpleObject,
    connection::{Connection, ConnectionNameType, Edge, EdgeNameType, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    commerce::types::Product,
    context::{loaders, state},
    relay::{PageArgs, decode_id, encode_cursor},
};
use crate::{
    auth::{RoleGuard, guard::optional_viewer, viewer},
    domain::recommendations::{self as domain, Page, Reaction},
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::recommendations::Strategy")]
pub enum RecommendationStrategy {
    /// From the viewer's activity through the trained model.
    Personalized,
    /// Cold start: popular products of the viewer's gender, their categories first.
    PopularForYou,
    /// No viewer, or no model to place the product: popular products.
    Popular,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::recommendations::Reaction")]
pub enum RecommendationReaction {
    /// Never recommend this product again.
    Hide,
    /// Never recommend it, and recommend less of what is like it.
    NotInterested,
}

#[derive(SimpleObject)]
pub struct RecommendationInfo {
    /// How this list was made.
    strategy: RecommendationStrategy,
    /// The model version that ranked it (null for popularity lists).
    model_version: Option<String>,
}

pub struct RecommendationConnectionName;
impl ConnectionNameType for RecommendationConnectionName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "RecommendationConnection".into()
    }
}
pub struct RecommendationEdgeName;
impl EdgeNameType for RecommendationEdgeName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "RecommendationEdge".into()
    }
}

pub type RecommendationConnection = Connection<
    String,
    Product,
    RecommendationInfo,
    EmptyFields,
    RecommendationConnectionName,
    RecommendationEdgeName,
>;

/// The cursor of a ranked list: (rank, page size the list was paged with).
type RankCursor = (usize, usize);

async fn into_connection(
    ctx: &Context<'_>,
    page: Page,
    page_size: usize,
) -> Result<RecommendationConnection> {
    let loaded = loaders(ctx)
        .products
        .load_many(page.product_ids.iter().copied())
        .await?;
    let mut conn = Connection::with_additional_fields(
        page.start > 0,
        page.has_next,
        RecommendationInfo {
            strategy: page.strategy.into(),
            model_version: page.model_version,
        },
    );
    conn.edges
        .extend(page.product_ids.iter().enumerate().filter_map(|(i, id)| {
            let product = loaded.get(id)?.clone();
            let cursor: RankCursor = (page.start + i, page_size);
            Some(Edge::new(encode_cursor(&cursor), Product(product)))
        }));
    Ok(conn)
}

#[derive(SimpleObject)]
pub struct RecommenderModel {
    version: String,
    created_at: DateTime<Utc>,
    /// Which data it learned from (`platform` or a dataset file) and its sha256.
    dataset: String,
    data_hash: String,
    users: i64,
    /// Items it was trained on.
    trained_items: i64,
    interactions: i64,
    dim: i64,
    epochs: i64,
    final_loss: Option<f64>,
    /// ACTIVE products served now, and how many of them were placed by
    /// their features alone (listed after training).
    served_items: i64,
    feature_only_items: i64,
    device: String,
}

#[derive(SimpleObject)]
pub struct TrainingJob {
    /// Follow it with the `jobProgress(jobId)` subscription.
    job_id: ID,
}

#[derive(Default)]
pub struct RecommendationsQuery;

#[Object]
impl RecommendationsQuery {
    /// Products for the viewer (ML-3): personalised from their activity,
    /// without what they bought, hid or rejected, at most
    /// `VITRINE_ML_MAX_PER_STORE` of one store per page; popular products
    /// for a cold start or an anonymous caller.
    async fn recommended_products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<RecommendationConnection> {
        let page = PageArgs::new(first, after)?;
        let after: Option<RankCursor> = page.after_key()?;
        let viewer = optional_viewer(ctx).await?.map(|v| v.user);
        let first = page.first as usize;
        let result = domain::recommended(recommending(ctx), viewer.as_ref(), first, after).await?;
        into_connection(ctx, result, after.map_or(first, |(_, size)| size)).await
    }

    /// Products closest to one product in the model's item space (the
    /// viewer's hidden ones left out); null when the product is not listed.
    async fn similar_products(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<RecommendationConnection>> {
        let id = decode_id("Product", "productId", &product_id)?;
        let page = PageArgs::new(first, after)?;
        let after: Option<RankCursor> = page.after_key()?;
        let viewer = optional_viewer(ctx).await?.map(|v| v.user);
        let Some(product) = loaders(ctx)
            .products
            .load_one(id)
            .await?
            .filter(|p| p.status == crate::entities::product::ProductStatus::Active)
        else {
            return Ok(None);
        };
        let first = page.first as usize;
        let start = after.map_or(0, |(rank, _)| rank + 1);
        let result =
            domain::similar(recommending(ctx), &product, viewer.as_ref(), first, start).await?;
        Ok(Some(into_connection(ctx, result, first).await?))
    }

    /// The model being served; null before the first one is trained.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn recommender_model(&self, ctx: &Context<'_>) -> Result<Option<RecommenderModel>> {
        Ok(state(ctx).recommender.current().map(|s| RecommenderModel {
            version: s.version.clone(),
            created_at: s.meta.created_at,
            dataset: s.meta.dataset.clone(),
            data_hash: s.meta.data_hash.clone(),
            users: s.meta.users as i64,
            trained_items: s.meta.items as i64,
            interactions: s.meta.interactions as i64,
            dim: s.meta.config.dim,
            epochs: s.meta.config.epochs as i64,
            final_loss: s.meta.metrics.get("final_loss").and_then(|v| v.as_f64()),
            served_items: s.index.len() as i64,
            feature_only_items: s.feature_only as i64,
            device: s.meta.device.clone(),
        }))
    }
}

fn recommending<'a>(ctx: &'a Context<'_>) -> domain::Recommending<'a> {
    let state = state(ctx);
    domain::Recommending {
        db: &state.db,
        recommender: &state.recommender,
        config: &state.config.ml,
    }
}

#[derive(Default)]
pub struct RecommendationsMutation;

#[Object]
impl RecommendationsMutation {
    /// Hide a product from the viewer's recommendations, or say they are not
    /// interested (ML-5); the next `recommendedProducts` reflects it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn react_to_recommendation(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        reaction: RecommendationReaction,
    ) -> Result<bool> {
        let id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        domain::react(&state(ctx).db, me.user.id, id, Reaction::from(reaction)).await?;
        Ok(true)
    }

    /// Takes a reaction back; false when there was none.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn clear_recommendation_reaction(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
    ) -> Result<bool> {
        let id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        Ok(domain::clear_reaction(&state(ctx).db, me.user.id, id).await?)
    }

    /// Trains a new model on the platform's activity in the background
    /// (ML-2). Progress on `jobProgress(jobId)`; the new version is served
    /// when it finishes, and an ADMIN_ALERT says how it went. CONFLICT while
    /// another training runs.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn train_recommender(&self, ctx: &Context<'_>) -> Result<TrainingJob> {
        let me = viewer(ctx).await?;
        let state = state(ctx);
        let job = domain::start_training(&state.jobs, &state.db, Some(me.user.id)).await?;
        Ok(TrainingJob {
            job_id: ID(crate::jobs::public_id(job)),
        })
    }
}
