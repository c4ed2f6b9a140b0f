//! SEO (COMM-10): the sitemap of public content, partitioned as the
//! sitemaps.org protocol requires (at most 50,000 URLs per file, listed by a
//! sitemap index), and `robots.txt`.
//!
//! Only what a stranger may see is listed: ACTIVE products, APPROVED stores,
//! PUBLIC designs, posts not deleted. Each section is cut into partitions in
//! id order; a partition's `lastmod` is the newest change among its rows.
//! Partitions are read in pages by id (keyset), so a file of 50,000 URLs is
//! written as it is read ([`partition_start`], [`rows`]).
pub mod structured;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{
    entities::{
        design::{self, DesignVisibility},
        post,
        product::{self, ProductStatus},
        store::{self, StoreStatus},
    },
    error::AppResult,
};

/// The most URLs one sitemap file may hold (sitemaps.org).
pub const URLS_PER_SITEMAP: u64 = 50_000;
/// Rows read per query while writing a partition.
pub const PAGE: u64 = 5_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Products,
    Stores,
    Designs,
    Posts,
}

impl Section {
    pub const ALL: [Self; 4] = [Self::Products, Self::Stores, Self::Designs, Self::Posts];

    /// The name in partition file names and in the public URLs' paths.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Products => "products",
            Self::Stores => "stores",
            Self::Designs => "designs",
            Self::Posts => "posts",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One row to list: its id and when it last changed.
pub type Row = (i64, DateTime<Utc>);

/// Visible rows of `section` with id > `after`, in id order, at most `limit`.
pub async fn rows(
    db: &DatabaseConnection,
    section: Section,
    after: i64,
    limit: u64,
) -> AppResult<Vec<Row>> {
    macro_rules! page {
        ($entity:ident, $changed:expr, $visible:expr) => {
            $entity::Entity::find()
                .select_only()
                .column($entity::Column::Id)
                .column($changed)
                .filter($visible)
                .filter($entity::Column::Id.gt(after))
                .order_by_asc($entity::Column::Id)
                .limit(limit)
                .into_tuple::<Row>()
                .all(db)
                .await?
        };
    }
    Ok(match section {
        Section::Products => page!(
            product,
            product::Column::UpdatedAt,
            product::Column::Status.eq(ProductStatus::Active)
        ),
        Section::Stores => page!(
            store,
            store::Column::UpdatedAt,
            store::Column::Status.eq(StoreStatus::Approved)
        ),
        Section::Designs => page!(
            design,
            design::Column::UpdatedAt,
            sea_orm::Condition::all()
                .add(design::Column::Visibility.eq(DesignVisibility::Public))
                .add(design::Column::HiddenAt.is_null())
        ),
        Section::Posts => page!(
            post,
            post::Column::CreatedAt,
            sea_orm::Condition::all()
                .add(post::Column::DeletedAt.is_null())
                .add(post::Column::HiddenAt.is_null())
        ),
    })
}

async fn count(db: &DatabaseConnection, section: Section) -> AppResult<u64> {
    Ok(match section {
        Section::Products => {
            product::Entity::find()
                .filter(product::Column::Status.eq(ProductStatus::Active))
                .count(db)
                .await?
        }
        Section::Stores => {
            store::Entity::find()
                .filter(store::Column::Status.eq(StoreStatus::Approved))
                .count(db)
                .await?
        }
        Section::Designs => {
            design::Entity::find()
                .filter(design::Column::Visibility.eq(DesignVisibility::Public))
                .filter(design::Column::HiddenAt.is_null())
                .count(db)
                .await?
        }
        Section::Posts => {
            post::Entity::find()
                .filter(post::Column::DeletedAt.is_null())
                .filter(post::Column::HiddenAt.is_null())
                .count(db)
                .await?
        }
    })
}

/// How many partitions `section` has now.
pub async fn partition_count(db: &DatabaseConnection, section: Section) -> AppResult<u64> {
    Ok(count(db, section).await?.div_ceil(URLS_PER_SITEMAP))
}

/// Whether a domain event changes what the sitemap lists.
pub fn changes_sitemap(event: &crate::events::DomainEvent) -> bool {
    use crate::events::DomainEvent as E;
    matches!(
        event,
        E::ProductChanged { .. }
            | E::StoreReviewed { .. }
            | E::PostCreated { .. }
            | E::PostDeleted { .. }
            | E::DesignChanged { .. }
            | E::ContentHidden { .. }
    )
}

/// The shared key of the sitemap cache's version; bumping it invalidates
/// every cached file on every instance.
pub fn version_key(prefix: &str) -> String {
    format!("{prefix}:sitemap:version")
}

/// Bumps the cache version on every write that changes the sitemap (a
/// background task per instance).
pub async fn invalidate_on_writes(
    kv: std::sync::Arc<dyn crate::infra::kv::Kv>,
    prefix: String,
    mut events: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::events::DomainEvent>>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let bump = match events.recv().await {
            Ok(event) => changes_sitemap(&event),
            // Missed some: they may have changed it.
            Err(RecvError::Lagged(_)) => true,
            Err(RecvError::Closed) => return,
        };
        if bump && let Err(e) = kv.incr(&version_key(&prefix)).await {
            tracing::warn!(error = %e, "could not invalidate the sitemap cache");
        }
    }
}

/// One file of the sitemap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub section: Section,
    /// 1-based.
    pub number: u64,
    pub lastmod: Option<DateTime<Utc>>,
}

impl Partition {
    /// `products-1.xml`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.xml", self.section.as_str(), self.number)
    }
}

/// Every partition with its `lastmod`: one pass over each section's ids.
pub async fn partitions(db: &DatabaseConnection) -> AppResult<Vec<Partition>> {
    let mut out = Vec::new();
    for section in Section::ALL {
        // An empty section ends at its first (empty) page and lists nothing.
        let (mut number, mut after, mut in_part) = (1, 0, 0u64);
        let mut lastmod: Option<DateTime<Utc>> = None;
        loop {
            let page = rows(db, section, after, PAGE).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.0;
            for (_, changed) in &page {
                lastmod = lastmod.max(Some(*changed));
                in_part += 1;
                if in_part == URLS_PER_SITEMAP {
                    out.push(Partition {
                        section,
                        number,
                        lastmod: lastmod.take(),
                    });
                    number += 1;
                    in_part = 0;
                }
            }
            if (page.len() as u64) < PAGE {
                break;
            }
        }
        if in_part > 0 {
            out.push(Partition {
                section,
                number,
                lastmod,
            });
        }
    }
    Ok(out)
}

/// The id partition `number` of `section` starts after (its rows are the
/// next [`URLS_PER_SITEMAP`] visible ones, read with [`rows`]); `None` when
/// there is no such partition.
pub async fn partition_start(
    db: &DatabaseConnection,
    section: Section,
    number: u64,
) -> AppResult<Option<i64>> {
    let Some(skip) = number
        .checked_sub(1)
        .and_then(|n| n.checked_mul(URLS_PER_SITEMAP))
    else {
        return Ok(None);
    };
    // Skip whole pages by keyset.
    let (mut after, mut skipped) = (0, 0);
    while skipped < skip {
        let want = (skip - skipped).min(PAGE);
        let page = rows(db, section, after, want).await?;
        match page.last() {
            Some(last) if page.len() as u64 == want => {
                after = last.0;
                skipped += want;
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(after))
}

/// XML text with the five predefined entities escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The partition of the site's own pages (the home page), always listed:
/// an index and a urlset must each hold at least one entry, even on a
/// platform with no public content yet.
pub const PAGES_FILE: &str = "pages-1.xml";

pub fn pages_xml(base: &str) -> String {
    format!(
        "{URLSET_HEAD}  <url><loc>{}</loc></url>\n{URLSET_TAIL}",
        escape(&format!("{base}/"))
    )
}

/// The sitemap index: [`PAGES_FILE`], then `partitions`, each at
/// `{base}/sitemaps/<file>`.
pub fn index_xml(base: &str, partitions: &[Partition]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    xml.push_str("  <sitemap>\n    <loc>");
    xml.push_str(&escape(&format!("{base}/sitemaps/{PAGES_FILE}")));
    xml.push_str("</loc>\n  </sitemap>\n");
    for p in partitions {
        xml.push_str("  <sitemap>\n    <loc>");
        xml.push_str(&escape(&format!("{base}/sitemaps/{}", p.file_name())));
        xml.push_str("</loc>\n");
        if let Some(t) = p.lastmod {
            xml.push_str(&format!("    <lastmod>{}</lastmod>\n", w3c(t)));
        }
        xml.push_str("  </sitemap>\n");
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

pub const URLSET_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
pub const URLSET_TAIL: &str = "</urlset>\n";

/// The `<url>` entries of `rows` of `section` under `base`.
pub fn url_entries(base: &str, section: Section, rows: &[Row]) -> String {
    let mut xml = String::with_capacity(rows.len() * 120);
    for (id, changed) in rows {
        xml.push_str("  <url><loc>");
        xml.push_str(&escape(&page_url(base, section, *id)));
        xml.push_str("</loc><lastmod>");
        xml.push_str(&w3c(*changed));
        xml.push_str("</lastmod></url>\n");
    }
    xml
}

/// The public origin pages and sitemaps are addressed under:
/// `VITRINE_PUBLIC_URL`, else the address the server listens on.
pub fn public_base(config: &crate::config::Config) -> String {
    if config.public_url.is_empty() {
        format!("http://{}", config.bind)
    } else {
        config.public_url.clone()
    }
}

/// The public page of row `id` of `section`.
pub fn page_url(base: &str, section: Section, id: i64) -> String {
    format!("{base}/{}/{id}", section.as_str())
}

/// `robots.txt`: everything may be crawled but the API itself; where the
/// sitemap is.
pub fn robots(base: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /graphql\nDisallow: /uploads/\nDisallow: /webhooks/\n\nSitemap: {base}/sitemap.xml\n"
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn xml_is_escaped_and_dated_in_w3c_form() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 9, 5, 0).unwrap();
        let entries = url_entries("https://a.example/?x=1&y=<2>", Section::Posts, &[(7, t)]);
        assert!(
            entries.contains("https://a.example/?x=1&amp;y=&lt;2&gt;/posts/7"),
            "{entries}"
        );
        assert!(entries.contains("<lastmod>2026-11-30T09:05:00Z</lastmod>"));
        let index = index_xml(
            "https://a.example",
            &[Partition {
                section: Section::Products,
                number: 2,
                lastmod: Some(t),
            }],
        );
        assert!(index.contains("<loc>https://a.example/sitemaps/products-2.xml</loc>"));
        assert!(robots("https://a.example").ends_with("Sitemap: https://a.example/sitemap.xml\n"));
        assert_eq!(Section::parse("designs"), Some(Section::Designs));
        assert_eq!(Section::parse("users"), None);
    }
}
