//! Direct uploads (OPS-4), as the seed describes them: the client asks for a
//! URL ([`create`]), PUTs the file there itself, and asks the API to check
//! what arrived ([`confirm`]) before anything may use it.
//!
//! - On S3 the URL is a pre-signed PUT of the bucket: the bytes never pass
//!   through the API. Local storage signs a URL of the API instead
//!   (`PUT /uploads/<key>`, [`receive`]).
//! - A pre-signed PUT cannot bound the size it accepts, so `confirm` reads
//!   the object and applies the multipart rules to it: at most the announced
//!   size and `VITRINE_UPLOAD_MAX_BYTES`, a sniffed JPEG/PNG/WebP, a readable
//!   header, at most 40 MP. A rejected object is deleted; the upload stays
//!   PENDING, so the client may PUT again until it expires.
//! - Unconfirmed uploads expire after `VITRINE_UPLOAD_URL_TTL`;
//!   [`ExpireUploads`] removes them and their objects every few minutes.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{IMAGE_TYPES, check_image, variants};
use crate::{
    db::begin_write,
    entities::upload::{self, UploadStatus},
    error::{AppError, AppResult},
    infra::storage::{SignedPut, Storage},
    jobs::{
        JobQueue,
        kind::{JobKind, KindOptions},
    },
};

/// What `createUploadUrl` hands out.
pub struct Ticket {
    pub upload: upload::Model,
    /// Absolute (S3), or relative to the API (local storage, no
    /// `VITRINE_PUBLIC_URL`).
    pub url: String,
    /// Headers the PUT must carry.
    pub headers: Vec<(&'static str, String)>,
}

/// The deployment's rules for direct uploads.
pub struct Rules<'a> {
    /// `VITRINE_UPLOAD_MAX_BYTES`.
    pub max_bytes: u64,
    /// `VITRINE_UPLOAD_URL_TTL`.
    pub ttl: std::time::Duration,
    /// `VITRINE_PUBLIC_URL`, prefixed to URLs of this API.
    pub public_url: &'a str,
}

/// `createUploadUrl`: a PENDING upload and where to PUT its bytes.
pub async fn create(
    db: &DatabaseConnection,
    storage: &dyn Storage,
    rules: &Rules<'_>,
    owner_id: i64,
    content_type: &str,
    size: i64,
) -> AppResult<Ticket> {
    let content_type = content_type.trim().to_ascii_lowercase();
    let Some(&(content_type, extension)) = IMAGE_TYPES.iter().find(|(t, _)| *t == content_type)
    else {
        return Err(AppError::validation(
            "contentType",
            "only image/jpeg, image/png or image/webp are accepted",
        ));
    };
    if size <= 0 {
        return Err(AppError::validation("size", "the size must be positive"));
    }
    if size as u64 > rules.max_bytes {
        return Err(AppError::validation(
            "size",
            format!("the image is larger than {} bytes", rules.max_bytes),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let key = format!("{id}.{extension}");
    let now = Utc::now();
    let expires_at = now + Duration::from_std(rules.ttl).map_err(AppError::internal)?;
    let signed = storage
        .signed_put(&key, expires_at)
        .await
        .map_err(AppError::internal)?;
    let url = match signed {
        SignedPut::Url(url) => url,
        SignedPut::ApiPath(path) => format!("{}{path}", rules.public_url),
    };
    let upload = upload::ActiveModel {
        id: Set(id),
        owner_id: Set(owner_id),
        content_type: Set(content_type.to_owned()),
        byte_size: Set(size),
        storage_key: Set(key),
        status: Set(UploadStatus::Pending),
        expires_at: Set(Some(expires_at)),
        width: Set(None),
        height: Set(None),
        thumbnail_key: Set(None),
        webp_key: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(Ticket {
        upload,
        url,
        headers: vec![("Content-Type", content_type.to_owned())],
    })
}

/// Why a PUT to `/uploads/<key>` was refused (HTTP status and message).
#[derive(Debug)]
pub enum Refused {
    /// Bad, foreign or expired signature; or no such pending upload.
    Forbidden(&'static str),
    TooLarge(i64),
}

/// The pending upload a local-storage PUT may write: the signature must be
/// ours for this key and expiry, the expiry not past, and the upload still
/// PENDING. Returns it, so the caller can bound the body by its size.
pub async fn authorize_put(
    db: &DatabaseConnection,
    storage: &dyn Storage,
    key: &str,
    expires: i64,
    signature: &str,
) -> AppResult<Result<upload::Model, Refused>> {
    if !storage.verify_signed_put(key, expires, signature) {
        return Ok(Err(Refused::Forbidden("the signature does not match")));
    }
    if expires <= Utc::now().timestamp() {
        return Ok(Err(Refused::Forbidden("the upload URL has expired")));
    }
    // Keys are `<upload id>.<ext>`: found by primary key, then compared.
    let id = key.split_once('.').map_or(key, |(id, _)| id);
    let pending = upload::Entity::find_by_id(id.to_owned())
        .filter(upload::Column::Status.eq(UploadStatus::Pending))
        .one(db)
        .await?
        .filter(|u| u.storage_key == key);
    Ok(pending.ok_or(Refused::Forbidden("no pending upload has this key")))
}

/// Stores the body of an authorized PUT (at most the announced size).
pub async fn receive(
    storage: &dyn Storage,
    upload: &upload::Model,
    bytes: Vec<u8>,
) -> AppResult<Result<(), Refused>> {
    if bytes.len() as i64 > upload.byte_size {
        return Ok(Err(Refused::TooLarge(upload.byte_size)));
    }
    storage
        .put(&upload.storage_key, bytes)
        .await
        .map_err(AppError::internal)?;
    Ok(Ok(()))
}

/// `confirmUpload`: checks the stored object and makes the upload usable
/// (queuing its variants). Confirming a confirmed upload returns it.
pub async fn confirm(
    db: &DatabaseConnection,
    storage: &dyn Storage,
    jobs: &JobQueue,
    owner_id: i64,
    id: &str,
    max_bytes: u64,
) -> AppResult<upload::Model> {
    let upload = upload::Entity::find_by_id(id.to_owned())
        .filter(upload::Column::OwnerId.eq(owner_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Upload"))?;
    if upload.status == UploadStatus::Confirmed {
        return Ok(upload);
    }
    if upload.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AppError::UploadExpired {
            field: "id".to_owned(),
        });
    }
    let bytes = storage
        .get(&upload.storage_key)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::validation("id", "nothing was uploaded to this URL yet"))?;
    let limit = max_bytes.min(upload.byte_size as u64);
    let checked = check_image("id", bytes, limit);
    let extension = upload.storage_key.rsplit_once('.').map(|(_, e)| e);
    let image = match checked {
        Ok(image) if Some(image.extension) == extension => image,
        rejected => {
            // Nothing unchecked stays stored; the client may PUT again.
            if let Err(e) = storage.delete(&upload.storage_key).await {
                tracing::warn!(key = upload.storage_key, error = %e, "could not remove a rejected upload");
            }
            return Err(rejected.err().unwrap_or_else(|| {
                AppError::validation(
                    "id",
                    format!("the file is not the announced {}", upload.content_type),
                )
            }));
        }
    };
    let txn = begin_write(db).await?;
    // Conditional: of two concurrent confirmations one writes.
    let updated = upload::Entity::update_many()
        .col_expr(upload::Column::Status, Expr::value(UploadStatus::Confirmed))
        .col_expr(
            upload::Column::ExpiresAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(upload::Column::ContentType, Expr::value(image.content_type))
        .col_expr(
            upload::Column::ByteSize,
            Expr::value(image.bytes.len() as i64),
        )
        .col_expr(upload::Column::Width, Expr::value(image.width as i32))
        .col_expr(upload::Column::Height, Expr::value(image.height as i32))
        .filter(upload::Column::Id.eq(upload.id.as_str()))
        .filter(upload::Column::Status.eq(UploadStatus::Pending))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 1 {
        variants::enqueue(jobs, &txn, &upload.id, owner_id).await?;
    }
    txn.commit().await?;
    jobs.wake();
    upload::Entity::find_by_id(upload.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Upload"))
}

/// Removes expired unconfirmed uploads and their objects, every 5 minutes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExpireUploads {}

impl JobKind for ExpireUploads {
    const KIND: &'static str = "UPLOADS_EXPIRY";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 1,
            timeout: std::time::Duration::from_secs(600),
            max_attempts: 3,
            ..KindOptions::default()
        }
    }
}

/// Most uploads one pass removes (the next pass takes the rest).
const EXPIRY_BATCH: u64 = 500;

/// The job: each expired row is deleted only while still PENDING (a
/// confirmation racing the expiry wins or loses as a whole), then its
/// object. Returns how many were removed.
pub async fn expire(db: &DatabaseConnection, storage: &dyn Storage) -> AppResult<u64> {
    let expired = upload::Entity::find()
        .filter(upload::Column::Status.eq(UploadStatus::Pending))
        .filter(upload::Column::ExpiresAt.lte(Utc::now()))
        .limit(EXPIRY_BATCH)
        .all(db)
        .await?;
    let mut removed = 0;
    for upload in expired {
        let deleted = upload::Entity::delete_many()
            .filter(upload::Column::Id.eq(upload.id.as_str()))
            .filter(upload::Column::Status.eq(UploadStatus::Pending))
            .exec(db)
            .await?;
        if deleted.rows_affected == 1 {
            if let Err(e) = storage.delete(&upload.storage_key).await {
                tracing::warn!(key = upload.storage_key, error = %e, "could not remove an expired upload's object");
            }
            removed += 1;
        }
    }
    Ok(removed)
}
