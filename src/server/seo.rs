//! `/robots.txt`, `/sitemap.xml` (the sitemap index) and
//! `/sitemaps/<section>-<n>.xml` (COMM-10). Files are cached for an hour in
//! the shared kv under a version that every write to listed content bumps
//! ([`seo::invalidate_on_writes`]); a partition missing from the cache is
//! streamed to the client page by page as it is read, and cached once
//! complete.
use std::time::Duration;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use tokio_stream::wrappers::ReceiverStream;

use super::ServerState;
use crate::{
    domain::seo::{self, Section},
    state::AppState,
};

const CACHE_TTL: Duration = Duration::from_secs(3600);
const XML: &str = "application/xml; charset=utf-8";

/// The public origin of the URLs listed.
fn base(app: &AppState) -> String {
    seo::public_base(&app.config)
}

/// The cache key of `file` at the current version; `None` when the kv
/// cannot be read (then nothing is cached).
async fn cache_key(app: &AppState, file: &str) -> Option<String> {
    let prefix = &app.config.redis_prefix;
    match app.kv.get_text(&seo::version_key(prefix)).await {
        Ok(version) => Some(format!(
            "{prefix}:sitemap:v{}:{file}",
            version.unwrap_or_else(|| "0".into())
        )),
        Err(e) => {
            tracing::warn!(error = %e, "sitemap cache unavailable");
            None
        }
    }
}

async fn cached(app: &AppState, key: Option<&str>) -> Option<String> {
    app.kv.get_text(key?).await.ok().flatten()
}

fn xml(body: impl Into<Body>, hit: bool) -> Response {
    (
        [
            (header::CONTENT_TYPE, XML),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (
                header::HeaderName::from_static("x-cache"),
                if hit { "HIT" } else { "MISS" },
            ),
        ],
        body.into(),
    )
        .into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sitemap failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "sitemap unavailable").into_response()
}

pub async fn robots(State(server): State<ServerState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        seo::robots(&base(&server.app)),
    )
        .into_response()
}

pub async fn index(State(server): State<ServerState>) -> Response {
    let app = &server.app;
    let key = cache_key(app, "index").await;
    if let Some(hit) = cached(app, key.as_deref()).await {
        return xml(hit, true);
    }
    let partitions = match seo::partitions(&app.db).await {
        Ok(p) => p,
        Err(e) => return failed(e.message()),
    };
    let body = seo::index_xml(&base(app), &partitions);
    if let Some(key) = key
        && let Err(e) = app.kv.set_text(&key, &body, CACHE_TTL).await
    {
        tracing::warn!(error = %e, "could not cache the sitemap index");
    }
    xml(body, false)
}

/// `products-3.xml` → (products, 3).
fn parse_file(file: &str) -> Option<(Section, u64)> {
    let stem = file.strip_suffix(".xml")?;
    let (section, number) = stem.rsplit_once('-')?;
    let number = number.parse::<u64>().ok().filter(|n| *n >= 1)?;
    Some((Section::parse(section)?, number))
}

pub async fn partition(State(server): State<ServerState>, Path(file): Path<String>) -> Response {
    let app = server.app.clone();
    if file == seo::PAGES_FILE {
        return xml(seo::pages_xml(&base(&app)), false);
    }
    let Some((section, number)) = parse_file(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match seo::partition_count(&app.db, section).await {
        Ok(n) if number <= n => {}
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return failed(e.message()),
    }
    let key = cache_key(&app, &file).await;
    if let Some(hit) = cached(&app, key.as_deref()).await {
        return xml(hit, true);
    }
    // Streamed as read: one chunk per page of rows.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        let base = base(&app);
        let mut whole = String::from(seo::URLSET_HEAD);
        if tx.send(Ok(whole.clone())).await.is_err() {
            return;
        }
        let streamed = async {
            let Some(mut after) = seo::partition_start(&app.db, section, number).await? else {
                return Ok(());
            };
            let mut written = 0;
            while written < seo::URLS_PER_SITEMAP {
                let want = (seo::URLS_PER_SITEMAP - written).min(seo::PAGE);
                let page = seo::rows(&app.db, section, after, want).await?;
                let Some(last) = page.last() else {
                    break;
                };
                after = last.0;
                written += page.len() as u64;
                let chunk = seo::url_entries(&base, section, &page);
                whole.push_str(&chunk);
                if tx.send(Ok(chunk)).await.is_err() {
                    return Err(crate::error::AppError::internal(anyhow::anyhow!(
                        "the client went away"
                    )));
                }
                if (page.len() as u64) < want {
                    break;
                }
            }
            Ok::<_, crate::error::AppError>(())
        }
        .await;
        if let Err(e) = streamed {
            tracing::warn!(error = %e.message(), "sitemap partition not completed");
            let _ = tx.send(Err(std::io::Error::other("sitemap failed"))).await;
            return;
        }
        whole.push_str(seo::URLSET_TAIL);
        let _ = tx.send(Ok(seo::URLSET_TAIL.to_owned())).await;
        if let Some(key) = key
            && let Err(e) = app.kv.set_text(&key, &whole, CACHE_TTL).await
        {
            tracing::warn!(error = %e, "could not cache a sitemap partition");
        }
    });
    xml(Body::from_stream(ReceiverStream::new(rx)), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_files_parse() {
        assert_eq!(parse_file("products-3.xml"), Some((Section::Products, 3)));
        assert_eq!(parse_file("posts-1.xml"), Some((Section::Posts, 1)));
        assert_eq!(parse_file("posts-0.xml"), None);
        assert_eq!(parse_file("users-1.xml"), None);
        assert_eq!(parse_file("products.xml"), None);
    }
}
