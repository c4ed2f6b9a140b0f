//! Image variants (OPS-4): every stored image gets, by a job, a thumbnail
//! (at most [`THUMBNAIL_EDGE`] px on its longer edge) and a full-size lossy
//! WebP, both WebP (libwebp), stored beside the original as
//! `<id>-thumb.webp` and `<id>-full.webp`; its width and height are recorded
//! with them. A WebP original is its own WebP variant.
use std::time::Duration;

use image::{DynamicImage, imageops::FilterType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use crate::{
    entities::upload::{self, UploadStatus},
    error::AppResult,
    infra::storage::Storage,
    jobs::{Enqueue, HandlerResult, JobKind, JobQueue, KindOptions, permanent},
};

/// Longer edge of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;
/// libwebp quality (0–100) of thumbnails and full-size variants.
const THUMBNAIL_QUALITY: f32 = 70.0;
const FULL_QUALITY: f32 = 80.0;
/// The largest edge WebP can encode; larger images are scaled to fit.
const WEBP_MAX_EDGE: u32 = 16_383;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MakeVariants {
    pub upload_id: String,
}

impl JobKind for MakeVariants {
    const KIND: &'static str = "IMAGE_VARIANTS";
    fn options() -> KindOptions {
        KindOptions {
            // Decoding and encoding use a core each.
            concurrency: 2,
            timeout: Duration::from_secs(120),
            max_attempts: 3,
            ..KindOptions::default()
        }
    }
}

/// Queues the variants of `upload_id` in the caller's transaction.
pub async fn enqueue(
    jobs: &JobQueue,
    conn: &impl ConnectionTrait,
    upload_id: &str,
    owner_id: i64,
) -> AppResult<()> {
    jobs.enqueue_if_absent(
        conn,
        &MakeVariants {
            upload_id: upload_id.to_owned(),
        },
        Enqueue {
            owner_id: Some(owner_id),
            active_key: Some(format!("variants:{upload_id}")),
            ..Enqueue::default()
        },
    )
    .await?;
    Ok(())
}

/// The two encoded variants of one image.
pub struct Variants {
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    /// `None` when the original is WebP already.
    pub webp: Option<Vec<u8>>,
}

/// Decodes `bytes` and encodes its variants (CPU-bound: call from a
/// blocking thread).
pub fn encode(bytes: &[u8], original_is_webp: bool) -> anyhow::Result<Variants> {
    let image = image::load_from_memory(bytes)?;
    let (width, height) = (image.width(), image.height());
    let thumbnail = to_webp(&fit(&image, THUMBNAIL_EDGE), THUMBNAIL_QUALITY)?;
    let webp = if original_is_webp {
        None
    } else {
        Some(to_webp(&fit(&image, WEBP_MAX_EDGE), FULL_QUALITY)?)
    };
    Ok(Variants {
        width,
        height,
        thumbnail,
        webp,
    })
}

/// `image` scaled down (never up) to fit `edge`×`edge`, aspect kept.
fn fit(image: &DynamicImage, edge: u32) -> std::borrow::Cow<'_, DynamicImage> {
    if image.width().max(image.height()) <= edge {
        std::borrow::Cow::Borrowed(image)
    } else {
        std::borrow::Cow::Owned(image.resize(edge, edge, FilterType::Triangle))
    }
}

/// Lossy WebP, with the alpha channel only where the image has one.
fn to_webp(image: &DynamicImage, quality: f32) -> anyhow::Result<Vec<u8>> {
    let (width, height) = (image.width(), image.height());
    let encoded = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        webp::Encoder::from_rgba(rgba.as_raw(), width, height).encode_simple(false, quality)
    } else {
        let rgb = image.to_rgb8();
        webp::Encoder::from_rgb(rgb.as_raw(), width, height).encode_simple(false, quality)
    };
    encoded
        .map(|memory| memory.to_vec())
        .map_err(|e| anyhow::anyhow!("WebP encoding failed: {e:?}"))
}

/// The job: encodes the variants, stores them, records them on the upload.
pub async fn run(
    db: &DatabaseConnection,
    storage: &dyn Storage,
    job: &MakeVariants,
) -> HandlerResult {
    let Some(upload) = upload::Entity::find_by_id(job.upload_id.clone())
        .one(db)
        .await?
    else {
        return Ok(format!("upload {} is gone", job.upload_id));
    };
    if upload.status != UploadStatus::Confirmed {
        return Err(permanent(format!("upload {} is not confirmed", upload.id)));
    }
    let bytes = storage.get(&upload.storage_key).await?.ok_or_else(|| {
        permanent(format!(
            "the stored image {} is missing",
            upload.storage_key
        ))
    })?;
    let is_webp = upload.content_type == "image/webp";
    let variants = tokio::task::spawn_blocking(move || encode(&bytes, is_webp))
        .await?
        .map_err(|e| permanent(format!("{e:#}")))?;
    let thumbnail_key = format!("{}-thumb.webp", upload.id);
    storage.put(&thumbnail_key, variants.thumbnail).await?;
    let webp_key = match variants.webp {
        Some(webp) => {
            let key = format!("{}-full.webp", upload.id);
            storage.put(&key, webp).await?;
            key
        }
        None => upload.storage_key.clone(),
    };
    upload::Entity::update_many()
        .col_expr(upload::Column::Width, Expr::value(variants.width as i32))
        .col_expr(upload::Column::Height, Expr::value(variants.height as i32))
        .col_expr(upload::Column::ThumbnailKey, Expr::value(thumbnail_key))
        .col_expr(upload::Column::WebpKey, Expr::value(webp_key))
        .filter(upload::Column::Id.eq(upload.id.as_str()))
        .exec(db)
        .await?;
    Ok(format!(
        "variants of {} ({}×{}) stored",
        upload.id, variants.width, variants.height
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(image: &DynamicImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn thumbnails_fit_the_edge_and_keep_the_aspect() {
        let photo = DynamicImage::ImageRgb8(image::RgbImage::from_fn(1200, 800, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        let jpeg = encoded(&photo, image::ImageFormat::Jpeg);
        let v = encode(&jpeg, false).unwrap();
        assert_eq!((v.width, v.height), (1200, 800));
        let thumb = image::load_from_memory(&v.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 213));
        assert!(v.thumbnail.starts_with(b"RIFF") && &v.thumbnail[8..12] == b"WEBP");
        let full = image::load_from_memory(v.webp.as_ref().unwrap()).unwrap();
        assert_eq!((full.width(), full.height()), (1200, 800));
        // Lossy WebP of a photo is smaller than its lossless PNG.
        let png = encoded(&photo, image::ImageFormat::Png);
        assert!(v.webp.unwrap().len() < png.len());
    }

    #[test]
    fn transparency_survives_and_webp_originals_are_their_own_variant() {
        let icon = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(64, 64, |x, _| {
            image::Rgba([200, 10, 10, if x < 32 { 0 } else { 255 }])
        }));
        let png = encoded(&icon, image::ImageFormat::Png);
        let v = encode(&png, true).unwrap();
        assert!(v.webp.is_none());
        let thumb = image::load_from_memory(&v.thumbnail).unwrap().to_rgba8();
        // Small images are not enlarged.
        assert_eq!(thumb.dimensions(), (64, 64));
        assert!(
            thumb.get_pixel(5, 5).0[3] < 20,
            "left half stays transparent"
        );
        assert!(thumb.get_pixel(60, 5).0[3] > 235, "right half stays opaque");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(encode(b"\x89PNG\r\n\x1a\nnot really", false).is_err());
    }
}
