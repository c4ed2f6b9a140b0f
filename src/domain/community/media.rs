//! Image uploads (OPS-4): size checked, type sniffed from the bytes, stored
//! through [`Storage`], recorded in `uploads`. Everything is validated before
//! a byte is stored, and a write that fails afterwards removes what it stored,
//! so a rejected upload leaves nothing behind.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use crate::{
    entities::upload,
    error::{AppError, AppResult},
    infra::storage::{Storage, sniff_image},
};

/// An image received from a client, read into memory and checked.
pub struct CheckedImage {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
}

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
    check_dimensions(field, &bytes)?;
    Ok(CheckedImage {
        bytes,
        content_type,
        extension,
    })
}

/// Most pixels an image may have: a small file can declare a huge canvas
/// (a decompression bomb) that every later decode would have to allocate.
pub const MAX_PIXELS: u64 = 40_000_000;

/// Reads the image header: it must parse, and the canvas stay within
/// [`MAX_PIXELS`].
fn check_dimensions(field: &str, bytes: &[u8]) -> AppResult<()> {
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
    Ok(())
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

pub async fn insert_upload(
    db: &impl ConnectionTrait,
    row: upload::ActiveModel,
) -> AppResult<upload::Model> {
    Ok(row.insert(db).await?)
}

/// The public URL of a stored upload.
pub fn url_of(public_url: &str, storage_key: &str) -> String {
    format!("{public_url}/files/{storage_key}")
}
