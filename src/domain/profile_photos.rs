//! Profile photos of users and logos of stores, both through the uploads
//! (OPS-4): the row names one of the owner's confirmed uploads (an image by
//! construction: its type was sniffed from the bytes when it was stored or
//! confirmed), and its URL, thumbnail and WebP variant are built from the
//! upload when read, as for product photos.
//!
//! Replacing or removing only drops the reference: uploads keep no
//! reference count and one upload may also be used elsewhere (a post, a
//! product photo), so deleting its file here could break another use.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel};

use crate::{
    domain::{
        commerce::stores,
        uploads::{self, IMAGE_TYPES},
    },
    entities::{store, upload, user},
    error::{AppError, AppResult},
};

/// The caller's confirmed image upload `raw_id`, given in `field`.
async fn usable_image(
    db: &impl ConnectionTrait,
    owner_id: i64,
    field: &str,
    raw_id: &str,
) -> AppResult<upload::Model> {
    let id = uploads::parse_id(field, raw_id)?;
    let found = uploads::usable(db, owner_id, field, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("Upload"))?;
    // Every stored upload is one of these; checked again so that a future
    // kind of upload cannot become a profile photo by accident.
    if !IMAGE_TYPES.iter().any(|(t, _)| *t == found.content_type) {
        return Err(AppError::validation(
            field,
            "only JPEG, PNG or WebP images are accepted",
        ));
    }
    Ok(found)
}

/// Sets (or replaces) the user's profile photo.
pub async fn set_profile_photo(
    db: &impl ConnectionTrait,
    user: &user::Model,
    upload_id: &str,
) -> AppResult<user::Model> {
    let photo = usable_image(db, user.id, "uploadId", upload_id).await?;
    write_profile_photo(db, user, Some(photo.id)).await
}

/// Removes the user's profile photo (the upload itself stays).
pub async fn remove_profile_photo(
    db: &impl ConnectionTrait,
    user: &user::Model,
) -> AppResult<user::Model> {
    write_profile_photo(db, user, None).await
}

async fn write_profile_photo(
    db: &impl ConnectionTrait,
    user: &user::Model,
    upload_id: Option<String>,
) -> AppResult<user::Model> {
    let fresh = user::Entity::find_by_id(user.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("User"))?;
    let mut row = fresh.into_active_model();
    row.profile_photo_upload_id = Set(upload_id);
    row.updated_at = Set(Utc::now());
    Ok(row.update(db).await?)
}

/// The store whose logo `user` changes: `store_id`, which must be theirs
/// (FORBIDDEN otherwise; admins included, the logo being the owner's
/// upload), or else the store they own.
async fn own_store(
    db: &impl ConnectionTrait,
    user: &user::Model,
    store_id: Option<i64>,
) -> AppResult<store::Model> {
    let found = match store_id {
        Some(id) => store::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("Store"))?,
        None => stores::owned_by(db, user.id)
            .await?
            .ok_or_else(|| AppError::not_found("Store"))?,
    };
    if found.owner_id != user.id {
        return Err(AppError::forbidden(
            "only the store's owner can change its logo",
        ));
    }
    Ok(found)
}

/// Sets (or replaces) a store's logo; the caller must own the store and
/// the upload.
pub async fn set_store_logo(
    db: &impl ConnectionTrait,
    user: &user::Model,
    store_id: Option<i64>,
    upload_id: &str,
) -> AppResult<store::Model> {
    let target = own_store(db, user, store_id).await?;
    let logo = usable_image(db, user.id, "uploadId", upload_id).await?;
    write_logo(db, target, Some(logo.id)).await
}

/// Removes a store's logo (the upload itself stays).
pub async fn remove_store_logo(
    db: &impl ConnectionTrait,
    user: &user::Model,
    store_id: Option<i64>,
) -> AppResult<store::Model> {
    let target = own_store(db, user, store_id).await?;
    write_logo(db, target, None).await
}

async fn write_logo(
    db: &impl ConnectionTrait,
    target: store::Model,
    upload_id: Option<String>,
) -> AppResult<store::Model> {
    let mut row = target.into_active_model();
    row.logo_upload_id = Set(upload_id);
    row.updated_at = Set(Utc::now());
    Ok(row.update(db).await?)
}
