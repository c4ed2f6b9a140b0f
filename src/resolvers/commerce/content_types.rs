//! GraphQL output types of shorts and reviews (COM-4, COM-5).
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::types::*;
use crate::{
    domain::commerce::catalog::json_list,
    entities::{like::LikeTarget, review, short},
    resolvers::{
        accounts::User,
        context::{in_viewer_set, loaders},
        loaders::ViewerSet,
        relay::encode_id,
        uploads::{Image, upload_url},
    },
};

#[derive(SimpleObject)]
pub struct Sentiment {
    label: SentimentLabel,
    /// Polarity in [-1, 1].
    score: f64,
    /// Which provider labelled it.
    provider: String,
}

/// A short-form video ad (COM-4).
pub struct Short(pub short::Model);

#[Object]
impl Short {
    async fn id(&self) -> ID {
        encode_id("Short", self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn video_url(&self) -> &str {
        &self.0.video_url
    }
    /// The thumbnail's URL, stored or external.
    async fn thumbnail_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        match &self.0.thumbnail_upload_id {
            Some(id) => upload_url(ctx, Some(id)).await,
            None => Ok(self.0.thumbnail_url.clone()),
        }
    }
    /// The thumbnail as an image (variants for stored ones).
    async fn thumbnail(&self, ctx: &Context<'_>) -> Result<Option<Image>> {
        if self.0.thumbnail_upload_id.is_some() {
            return Image::of_upload(ctx, self.0.thumbnail_upload_id.as_ref(), 0).await;
        }
        Ok(self.0.thumbnail_url.clone().map(|u| Image::external(u, 0)))
    }
    async fn duration_secs(&self) -> i32 {
        self.0.duration_secs
    }
    async fn source(&self) -> ShortSource {
        self.0.source.into()
    }
    async fn view_count(&self) -> i64 {
        self.0.view_count
    }
    async fn like_count(&self) -> i64 {
        self.0.like_count
    }
    async fn sentiment(&self) -> Sentiment {
        Sentiment {
            label: self.0.sentiment_label.into(),
            score: self.0.sentiment_score,
            provider: self.0.sentiment_provider.clone(),
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)
            .products
            .load_one(self.0.product_id)
            .await?
            .map(Product))
    }
    async fn liked_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        in_viewer_set(ctx, ViewerSet::Liked(LikeTarget::Short), self.0.id).await
    }
}

/// A product review (COM-5).
pub struct Review(pub review::Model);

#[Object]
impl Review {
    async fn id(&self) -> ID {
        encode_id("Review", self.0.id)
    }
    async fn rating(&self) -> i32 {
        self.0.rating.into()
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// External image URLs.
    async fn images(&self) -> Vec<String> {
        json_list(&self.0.images)
    }
    /// Photos the buyer uploaded, with their variants.
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Image>> {
        let ids = self
            .0
            .photo_upload_ids
            .as_deref()
            .map(json_list)
            .unwrap_or_default();
        Image::of_uploads(ctx, &ids).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.user_id)
            .await?
            .map(User::new))
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)
            .products
            .load_one(self.0.product_id)
            .await?
            .map(Product))
    }
}
