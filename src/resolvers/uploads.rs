//! Stored images over GraphQL (OPS-4): the one `Image` type every image
//! field returns, and direct uploads (`createUploadUrl`, `confirmUpload`).
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{loaders, state, viewer};
use crate::{
    domain::uploads::{self, direct},
    entities::upload::{self, UploadStatus as Status},
};

/// The public URL of a stored file.
pub fn file_url(ctx: &Context<'_>, key: &str) -> String {
    uploads::url_of(&state(ctx).config.public_url, key)
}

/// The public URL of upload `id` (loaded in a batch), if it still exists.
pub async fn upload_url(ctx: &Context<'_>, id: Option<&String>) -> Result<Option<String>> {
    Ok(Image::of_upload(ctx, id, 0).await?.map(|i| i.url))
}

/// An image: a stored upload (with its variants once made), or an external
/// URL where a field accepts one (then only `url` and `position`).
pub struct Image {
    url: String,
    position: i32,
    upload: Option<upload::Model>,
}

impl Image {
    /// Its URL (as served: absolute when `VITRINE_PUBLIC_URL` is set).
    pub fn href(&self) -> &str {
        &self.url
    }

    pub fn stored(ctx: &Context<'_>, upload: upload::Model, position: i32) -> Self {
        Self {
            url: file_url(ctx, &upload.storage_key),
            position,
            upload: Some(upload),
        }
    }

    pub fn external(url: String, position: i32) -> Self {
        Self {
            url,
            position,
            upload: None,
        }
    }

    /// The image of `upload_id` (loaded in a batch), if it still exists.
    pub async fn of_upload(
        ctx: &Context<'_>,
        upload_id: Option<&String>,
        position: i32,
    ) -> Result<Option<Self>> {
        let Some(id) = upload_id else {
            return Ok(None);
        };
        let found = loaders(ctx).uploads.load_one(id.clone()).await?;
        Ok(found.map(|u| Self::stored(ctx, u, position)))
    }

    /// The images of `upload_ids`, in order (loaded in one batch).
    pub async fn of_uploads(ctx: &Context<'_>, upload_ids: &[String]) -> Result<Vec<Self>> {
        let found = loaders(ctx)
            .uploads
            .load_many(upload_ids.iter().cloned())
            .await?;
        Ok(upload_ids
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .enumerate()
            .map(|(i, u)| Self::stored(ctx, u, i as i32))
            .collect())
    }
}

#[Object]
impl Image {
    /// The original.
    async fn url(&self) -> &str {
        &self.url
    }
    /// Place among its siblings, from 0.
    async fn position(&self) -> i32 {
        self.position
    }
    /// A WebP at most 320 px on its longer edge; null until made (a job,
    /// seconds after upload) and for external images.
    async fn thumbnail_url(&self, ctx: &Context<'_>) -> Option<String> {
        let key = self.upload.as_ref()?.thumbnail_key.as_ref()?;
        Some(file_url(ctx, key))
    }
    /// The full-size image as WebP; null until made and for external images.
    async fn webp_url(&self, ctx: &Context<'_>) -> Option<String> {
        let key = self.upload.as_ref()?.webp_key.as_ref()?;
        Some(file_url(ctx, key))
    }
    /// Pixels; null for external images.
    async fn width(&self) -> Option<i32> {
        self.upload.as_ref()?.width
    }
    async fn height(&self) -> Option<i32> {
        self.upload.as_ref()?.height
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::upload::UploadStatus")]
pub enum UploadStatus {
    /// Waiting for the PUT and `confirmUpload`; nothing may use it yet.
    Pending,
    /// Checked and usable.
    Confirmed,
}

/// One of the caller's uploads.
pub struct StoredUpload(upload::Model);

#[Object]
impl StoredUpload {
    /// Give it where an input asks for an upload id (`imageUploadIds`,
    /// `photoUploadIds`, `thumbnailUploadId`, `sourceUploadId`).
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn status(&self) -> UploadStatus {
        self.0.status.into()
    }
    /// Sniffed from the bytes once confirmed; the announced type before.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Bytes stored (before confirmation: the most the PUT may send).
    async fn size(&self) -> i64 {
        self.0.byte_size
    }
    /// When an unconfirmed upload is removed; null once confirmed.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// The image, once confirmed.
    async fn image(&self, ctx: &Context<'_>) -> Option<Image> {
        (self.0.status == Status::Confirmed).then(|| Image::stored(ctx, self.0.clone(), 0))
    }
}

#[derive(SimpleObject)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// Where and how to PUT the file of a direct upload.
#[derive(SimpleObject)]
pub struct UploadTicket {
    pub upload: StoredUpload,
    /// Absolute for S3; on local storage a URL of this API (relative when
    /// `VITRINE_PUBLIC_URL` is unset).
    pub url: String,
    /// Always `PUT`, with the file as the whole body.
    pub method: String,
    /// Send exactly these headers with the PUT.
    pub headers: Vec<HttpHeader>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct UploadsMutation;

#[Object]
impl UploadsMutation {
    /// A direct upload (OPS-4): PUT the file to `url` with `headers` before
    /// `expiresAt`, then call `confirmUpload`. JPEG, PNG or WebP, at most
    /// `size` bytes (and `VITRINE_UPLOAD_MAX_BYTES`).
    async fn create_upload_url(
        &self,
        ctx: &Context<'_>,
        content_type: String,
        size: i64,
    ) -> Result<UploadTicket> {
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let rules = direct::Rules {
            max_bytes: s.config.upload_max_bytes,
            ttl: s.config.upload_url_ttl,
            public_url: &s.config.public_url,
        };
        let ticket = direct::create(
            &s.db,
            s.storage.as_ref(),
            &rules,
            me.user.id,
            &content_type,
            size,
        )
        .await?;
        let expires_at = ticket.upload.expires_at.unwrap_or_else(Utc::now);
        Ok(UploadTicket {
            upload: StoredUpload(ticket.upload),
            url: ticket.url,
            method: "PUT".to_owned(),
            headers: ticket
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader {
                    name: name.to_owned(),
                    value,
                })
                .collect(),
            expires_at,
        })
    }

    /// Checks what was PUT (size, type sniffed from the bytes, dimensions)
    /// and makes the upload usable; a rejected file is deleted and may be
    /// PUT again until the upload expires. Confirming twice is harmless.
    async fn confirm_upload(&self, ctx: &Context<'_>, id: ID) -> Result<StoredUpload> {
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let id = uploads::parse_id("id", &id)?;
        let confirmed = direct::confirm(
            &s.db,
            s.storage.as_ref(),
            &s.jobs,
            me.user.id,
            &id,
            s.config.upload_max_bytes,
        )
        .await?;
        Ok(StoredUpload(confirmed))
    }
}
