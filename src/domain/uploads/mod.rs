//! Image uploads (OPS-4): size checked, type sniffed from the bytes, stored
//! through [`Storage`], recorded in `uploads`. Everything is validated before
//! a byte is stored, and a write that fails afterwards removes what it stored,
//! so a rejected upload leaves nothing behind.
//!
//! Two ways in: a GraphQL multipart request (checked on arrival), or a
//! direct upload ([`direct`]: a signed URL the client PUTs to, checked by
//! `confirmUpload`). Every stored image then gets a thumbnail and a WebP
//! variant ([`variants`]), and is used by id ([`usable`]) for designs,
//! posts, product photos, review photos and short thumbnails.
pub mod direct;
pub mod variants;

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::{
    entities::upload::{self, UploadStatus},
    error::{AppError, AppResult},
    infra::storage::{Storage, sniff_image},
    jobs::JobQueue,
};

/// An image received from a client, read into memory and checked.
pub struct CheckedImage {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The image types accepted, by MIME type, with the extension they are
/// stored under.
pub const IMAGE_TYPES: [(&str, &str); 3] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];

/// Checks size and type; `field` names the input in errors.
pub fn check_image(field: &str, bytes: Vec<u8>, max_bytes: u64) -> AppResult<CheckedImage> {
    if bytes.len() as u64 > max_bytes {
        return Err(AppError::validation(
            field,
            format!("the image is larger than {} bytes", max_bytes),
        ));
    }
    if bytes.is_empty() {
        return Err(AppError::validation(field, "the file is empty"));
    }
    let (content_type, extension) = sniff_image(&bytes)
        .ok_or_else(|| AppError::validation(field, "only JPEG, PNG or WebP images are accepted"))?;
    let (width, height) = check_dimensions(field, &bytes)?;
    Ok(CheckedImage {
        bytes,
        content_type,
        extension,
        width,
        height,
    })
}

/// Most pixels an image may have: a small file can declare a huge canvas
/// (a decompression bomb) that every later decode would have to allocate.
pub const MAX_PIXELS: u64 = 40_000_000;

/// Reads the image header: it must parse, and the canvas stay within
/// [`MAX_PIXELS`]. Returns width and height.
fn check_dimensions(field: &str, bytes: &[u8]) -> AppResult<(u32, u32)> {
    let (width, height) = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.into_dimensions().ok())
        .ok_or_else(|| AppError::validation(field, "the file is not a readable image"))?;
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(AppError::validation(
            field,
            format!("the image is {width}×{height}: at most {MAX_PIXELS} pixels are accepted"),
        ));
    }
    Ok((width, height))
}

/// Files stored by one operation; removed again unless the operation commits.
pub struct StoredFiles<'a> {
    storage: &'a dyn Storage,
    keys: Vec<String>,
    committed: bool,
}

impl<'a> StoredFiles<'a> {
    pub fn new(storage: &'a dyn Storage) -> Self {
        Self {
            storage,
            keys: Vec::new(),
            committed: false,
        }
    }

    /// Stores `image` and returns its upload row (not yet inserted).
    pub async fn store(
        &mut self,
        owner_id: i64,
        image: CheckedImage,
    ) -> AppResult<upload::ActiveModel> {
        let id = uuid::Uuid::new_v4().to_string();
        let key = format!("{id}.{}", image.extension);
        let size = image.bytes.len() as i64;
        let (width, height) = (image.width as i32, image.height as i32);
        self.storage
            .put(&key, image.bytes)
            .await
            .map_err(AppError::internal)?;
        self.keys.push(key.clone());
        Ok(upload::ActiveModel {
            id: Set(id),
            owner_id: Set(owner_id),
            content_type: Set(image.content_type.to_owned()),
            byte_size: Set(size),
            storage_key: Set(key),
            status: Set(UploadStatus::Confirmed),
            expires_at: Set(None),
            width: Set(Some(width)),
            height: Set(Some(height)),
            thumbnail_key: Set(None),
            webp_key: Set(None),
            created_at: Set(Utc::now()),
        })
    }

    /// The rows are in the database and the transaction committed.
    pub fn commit(mut self) {
        self.committed = true;
    }

    /// Removes every stored file (the operation failed).
    pub async fn discard(mut self) {
        for key in std::mem::take(&mut self.keys) {
            if let Err(e) = self.storage.delete(&key).await {
                tracing::warn!(key, error = %e, "could not remove an orphaned upload");
            }
        }
        self.committed = true;
    }
}

impl Drop for StoredFiles<'_> {
    fn drop(&mut self) {
        if !self.committed && !self.keys.is_empty() {
            tracing::error!(keys = ?self.keys, "stored files neither committed nor discarded");
        }
    }
}

/// Records a stored upload and queues its variants, in the caller's
/// transaction (the caller wakes the queue after commit).
pub async fn insert_upload(
    db: &impl ConnectionTrait,
    jobs: &JobQueue,
    row: upload::ActiveModel,
) -> AppResult<upload::Model> {
    let stored = row.insert(db).await?;
    variants::enqueue(jobs, db, &stored.id, stored.owner_id).await?;
    Ok(stored)
}

/// The caller's confirmed uploads named by `ids`, in that order, for the
/// input `field`: an unknown id or someone else's is NOT_FOUND (whether
/// another user's upload exists is not revealed), a pre-signed upload not
/// yet confirmed UPLOAD_NOT_CONFIRMED, one past its time UPLOAD_EXPIRED.
pub async fn usable(
    db: &impl ConnectionTrait,
    owner_id: i64,
    field: &str,
    ids: &[String],
) -> AppResult<Vec<upload::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut seen = HashSet::new();
    if let Some(twice) = ids.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(AppError::validation(
            field,
            format!("upload {twice} is named twice"),
        ));
    }
    let found = upload::Entity::find()
        .filter(upload::Column::Id.is_in(ids.iter().cloned()))
        .filter(upload::Column::OwnerId.eq(owner_id))
        .all(db)
        .await?;
    let now = Utc::now();
    ids.iter()
        .map(|id| {
            let upload = found
                .iter()
                .find(|u| &u.id == id)
                .ok_or_else(|| AppError::not_found("Upload"))?;
            match upload.status {
                UploadStatus::Confirmed => Ok(upload.clone()),
                UploadStatus::Pending if upload.expires_at.is_some_and(|at| at <= now) => {
                    Err(AppError::UploadExpired {
                        field: field.to_owned(),
                    })
                }
                UploadStatus::Pending => Err(AppError::UploadNotConfirmed {
                    field: field.to_owned(),
                }),
            }
        })
        .collect()
}

/// Parses an `Upload` id (the UUID itself) given in `field`.
pub fn parse_id(field: &str, raw: &str) -> AppResult<String> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.to_string())
        .map_err(|_| AppError::validation(field, format!("`{field}` is not an upload id")))
}

/// The public URL of a stored upload.
pub fn url_of(public_url: &str, storage_key: &str) -> String {
    format!("{public_url}/files/{storage_key}")
}
