//! `structuredData` of public types (COMM-10): gathers what the JSON-LD
//! builders of `domain::seo::structured` need, through the request's
//! DataLoaders. `null` for what is not public (a hidden product, a private
//! design, a store not approved): search engines see only public pages.
use async_graphql::{Context, Json, Result};
use serde_json::Value;

use super::{
    commerce::types::{Product, Store},
    community::{Design, Post},
    context::{loaders, state},
    uploads::Image,
};
use crate::domain::seo::{
    self, Section,
    structured::{self, absolute},
};

fn base(ctx: &Context<'_>) -> String {
    seo::public_base(&state(ctx).config)
}

fn urls(base: &str, images: &[Image]) -> Vec<String> {
    images.iter().map(|i| absolute(base, i.href())).collect()
}

pub async fn product(ctx: &Context<'_>, p: &Product) -> Result<Option<Json<Value>>> {
    use crate::entities::product::ProductStatus;
    let m = &p.0;
    if m.status != ProductStatus::Active {
        return Ok(None);
    }
    let base = base(ctx);
    let images = p.images(ctx).await?;
    let store = loaders(ctx).stores.load_one(m.store_id).await?;
    Ok(Some(Json(structured::product(&structured::ProductData {
        url: seo::page_url(&base, Section::Products, m.id),
        id: m.id,
        name: &m.name,
        description: &m.description,
        price: m.price,
        in_stock: m.stock > 0,
        images: urls(&base, &images),
        brand: store.as_ref().map(|s| s.name.as_str()),
        rating: (m.rating_avg, m.review_count),
        updated_at: m.updated_at,
    }))))
}

pub fn store(ctx: &Context<'_>, s: &Store) -> Option<Json<Value>> {
    use crate::entities::store::StoreStatus;
    let m = &s.0;
    if m.status != StoreStatus::Approved {
        return None;
    }
    let average = if m.review_count > 0 {
        m.rating_sum as f64 / m.review_count as f64
    } else {
        0.0
    };
    Some(Json(structured::store(&structured::StoreData {
        url: seo::page_url(&base(ctx), Section::Stores, m.id),
        name: &m.name,
        description: &m.description,
        rating: (average, m.review_count),
    })))
}

pub async fn design(ctx: &Context<'_>, d: &Design) -> Result<Option<Json<Value>>> {
    use crate::entities::design::DesignVisibility;
    let m = &d.0;
    if m.visibility != DesignVisibility::Public {
        return Ok(None);
    }
    let base = base(ctx);
    let shown = m
        .generated_upload_id
        .as_ref()
        .or(m.source_upload_id.as_ref());
    let image = Image::of_upload(ctx, shown, 0)
        .await?
        .map(|i| absolute(&base, i.href()));
    let owner = loaders(ctx).users.load_one(m.owner_id).await?;
    Ok(Some(Json(structured::design(&structured::DesignData {
        url: seo::page_url(&base, Section::Designs, m.id),
        title: &m.title,
        prompt: &m.prompt,
        style: &m.style,
        room_type: &m.room_type,
        image,
        creator: owner.as_ref().map(|u| u.nickname.as_str()),
        created_at: m.created_at,
    }))))
}

pub async fn post(ctx: &Context<'_>, p: &Post) -> Result<Option<Json<Value>>> {
    let m = &p.0;
    if m.deleted_at.is_some() {
        return Ok(None);
    }
    let base = base(ctx);
    let images = p.images(ctx).await?;
    let author = loaders(ctx).users.load_one(m.author_id).await?;
    Ok(Some(Json(structured::post(&structured::PostData {
        url: seo::page_url(&base, Section::Posts, m.id),
        text: &m.body,
        images: urls(&base, &images),
        author: author.as_ref().map(|u| u.nickname.as_str()),
        author_url: author.as_ref().map(|u| format!("{base}/users/{}", u.id)),
        likes: m.like_count,
        comments: m.comment_count,
        published: m.created_at,
    }))))
}
