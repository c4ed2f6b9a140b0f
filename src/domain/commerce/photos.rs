//! Product photos (COM-3, OPS-4): uploads of the seller's (multipart or
//! direct, confirmed) and, where the seller hosts them elsewhere, external
//! http(s) URLs. Stored photos come first, in the order given, then the
//! external ones. A stored photo's row keeps its upload id and the path
//! `/files/<key>`; its URLs are built from the upload when read. A change
//! queues the colour analysis (COMM-3) in the same transaction.
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    domain::{
        color::store::{self as colors, Subject},
        uploads, url,
    },
    entities::{product, product_image},
    error::{AppError, AppResult},
    jobs::JobQueue,
};

pub const MAX_PHOTOS: usize = 10;

/// One photo, ready to write.
#[derive(Clone, Debug)]
pub struct Photo {
    pub url: String,
    pub upload_id: Option<String>,
}

/// The photos of a create or update: `None` when neither list was given
/// (an update then keeps the photos it has).
pub async fn check(
    db: &impl ConnectionTrait,
    seller_id: i64,
    external: Option<&[String]>,
    upload_ids: Option<&[String]>,
) -> AppResult<Option<Vec<Photo>>> {
    if external.is_none() && upload_ids.is_none() {
        return Ok(None);
    }
    let (external, upload_ids) = (external.unwrap_or_default(), upload_ids.unwrap_or_default());
    if external.len() + upload_ids.len() > MAX_PHOTOS {
        return Err(AppError::validation(
            "images",
            format!("at most {MAX_PHOTOS} photos, stored and external together"),
        ));
    }
    let ids = upload_ids
        .iter()
        .map(|id| uploads::parse_id("imageUploadIds", id))
        .collect::<AppResult<Vec<_>>>()?;
    let stored = uploads::usable(db, seller_id, "imageUploadIds", &ids).await?;
    let mut photos: Vec<Photo> = stored
        .into_iter()
        .map(|u| Photo {
            url: uploads::url_of("", &u.storage_key),
            upload_id: Some(u.id),
        })
        .collect();
    for raw in external {
        photos.push(Photo {
            url: url("images", raw)?,
            upload_id: None,
        });
    }
    Ok(Some(photos))
}

/// Replaces a product's photos (in the caller's transaction).
pub async fn write(txn: &impl ConnectionTrait, product_id: i64, photos: &[Photo]) -> AppResult<()> {
    product_image::Entity::delete_many()
        .filter(product_image::Column::ProductId.eq(product_id))
        .exec(txn)
        .await?;
    if !photos.is_empty() {
        product_image::Entity::insert_many(photos.iter().enumerate().map(|(i, p)| {
            product_image::ActiveModel {
                product_id: Set(product_id),
                url: Set(p.url.clone()),
                upload_id: Set(p.upload_id.clone()),
                position: Set(i as i32),
                ..Default::default()
            }
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}

/// Queues the colour analysis of a product whose photos changed, in the
/// transaction that changed them: when its first photo is a stored file, or
/// when it had colours that may no longer be right. Whether a job was
/// queued.
pub async fn analyse_colours(
    jobs: &JobQueue,
    txn: &impl ConnectionTrait,
    product_id: i64,
    photos: Option<&[Photo]>,
    before: Option<&product::Model>,
) -> AppResult<bool> {
    let Some(photos) = photos else {
        return Ok(false);
    };
    let stored = photos
        .first()
        .is_some_and(|p| colors::stored_key(&p.url).is_some());
    let had_colours = before.is_some_and(|p| p.color_theme.is_some());
    if !(stored || had_colours) {
        return Ok(false);
    }
    colors::enqueue(jobs, txn, Subject::Product, product_id, None).await?;
    Ok(true)
}
