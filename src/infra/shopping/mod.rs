//! External shopping providers of visual shopping (COMM-8), each a small
//! client of its documented REST API over reqwest (no SDK):
//!
//! - [`naver`]: Naver Search API, shopping (`GET /v1/search/shop.json`);
//! - [`google`]: Google Custom Search JSON API (`GET /customsearch/v1`);
//! - [`coupang`]: Coupang Partners Open API, product search, with its
//!   HMAC-SHA256 `Authorization` header.
//!
//! Every provider answers a [`SearchRequest`] with [`Hit`]s, or a
//! [`ProviderError`] that says whether it timed out. [`Providers`] holds the
//! configured ones in tier order (Naver, Google, Coupang) with their quotas,
//! and derives each user's affiliate sub-id. Concurrency, quotas and the
//! interleaving are the domain's (`domain::shopping`).
pub mod coupang;
pub mod google;
pub mod naver;

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::shopping::{Quota, ShoppingConfig};

/// An external provider, in tier order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    Naver,
    Google,
    Coupang,
}

impl ProviderName {
    /// Every provider, in tier order.
    pub const ALL: [ProviderName; 3] = [Self::Naver, Self::Google, Self::Coupang];

    /// Lower case, for metrics labels and kv keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Naver => "naver",
            Self::Google => "google",
            Self::Coupang => "coupang",
        }
    }
}

/// One product a provider found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The provider's id of the product, when it has one.
    pub external_id: Option<String>,
    /// Plain text (markup removed).
    pub title: String,
    /// Where the shopper goes: tagged with their sub-id.
    pub url: String,
    pub image_url: Option<String>,
    /// In KRW, when the provider gives one.
    pub price: Option<i64>,
    /// The shop selling it (Naver's mall, the site Google found it on).
    pub mall_name: Option<String>,
}

/// What a provider is asked.
#[derive(Clone, Debug)]
pub struct SearchRequest<'a> {
    /// The Korean query (`소파`).
    pub query: &'a str,
    /// How many hits, at most (each client caps it to its API's maximum).
    pub limit: usize,
    /// The viewer's affiliate sub-id ([`Providers::sub_id`]).
    pub sub_id: &'a str,
}

/// Why a provider gave no hits.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Failed(String),
}

impl From<reqwest::Error> for ProviderError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else {
            Self::Failed(format!("request failed: {e}"))
        }
    }
}

#[async_trait::async_trait]
pub trait ShoppingProvider: Send + Sync + 'static {
    fn name(&self) -> ProviderName;
    /// The most hits one request may ask for.
    fn max_results(&self) -> usize;
    async fn search(&self, request: &SearchRequest<'_>) -> Result<Vec<Hit>, ProviderError>;
}

/// A configured provider and its quota.
#[derive(Clone)]
pub struct Configured {
    pub provider: Arc<dyn ShoppingProvider>,
    pub quota: Quota,
}

/// The configured providers, in tier order, and what every search shares.
pub struct Providers {
    pub configured: Vec<Configured>,
    /// Longest wait for one provider.
    pub timeout: Duration,
    /// Keys the sub-ids; never leaves the process.
    sub_id_key: Vec<u8>,
}

impl Providers {
    /// The providers `config` turns on; `sub_id_key` keys the sub-ids
    /// ([`sub_id_key`]).
    pub fn new(config: &ShoppingConfig, sub_id_key: Vec<u8>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("vitrine/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the shopping providers' HTTP client")?;
        let mut configured = Vec::new();
        if let Some(s) = &config.naver {
            configured.push(Configured {
                provider: Arc::new(naver::Naver::new(s, http.clone())),
                quota: s.quota,
            });
        }
        if let Some(s) = &config.google {
            configured.push(Configured {
                provider: Arc::new(google::Google::new(s, http.clone())),
                quota: s.quota,
            });
        }
        if let Some(s) = &config.coupang {
            configured.push(Configured {
                provider: Arc::new(coupang::Coupang::new(s, http.clone())),
                quota: s.quota,
            });
        }
        Ok(Self {
            configured,
            timeout: config.timeout,
            sub_id_key,
        })
    }

    /// The user's affiliate sub-id: 16 hex digits of HMAC-SHA256 keyed by
    /// the server's secret over the user id. Stable for a user, the same on
    /// every instance, and not reversible to the id without the key.
    pub fn sub_id(&self, user_id: i64) -> String {
        sub_id(&self.sub_id_key, user_id)
    }
}

/// [`Providers::sub_id`] with an explicit key.
pub fn sub_id(key: &[u8], user_id: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length; this branch is never taken.
        return String::new();
    };
    mac.update(b"vitrine-shopping-sub-id:");
    mac.update(user_id.to_string().as_bytes());
    let digest = hex::encode(mac.finalize().into_bytes());
    digest[..16].to_owned()
}

/// The key of the sub-ids: the JWT signing secret (or private key), so that
/// every instance of a deployment derives the same sub-ids without one more
/// secret to configure.
pub fn sub_id_key(jwt: &crate::config::JwtConfig) -> anyhow::Result<Vec<u8>> {
    use crate::config::JwtKeySource;
    Ok(match &jwt.keys {
        JwtKeySource::Secret(secret) => secret.expose().as_bytes().to_vec(),
        JwtKeySource::GeneratedSecretFile(path) => crate::auth::jwt::read_or_create_secret(
            path,
            "development JWT secret; set VITRINE_JWT_SECRET in production",
        )?,
        JwtKeySource::KeyFiles { private, .. } => std::fs::read(private).with_context(|| {
            format!(
                "VITRINE_JWT_PRIVATE_KEY_FILE: cannot read {}",
                private.display()
            )
        })?,
    })
}

/// The JSON body of a successful response; an error naming the status and
/// the start of the body otherwise.
pub(crate) async fn json_of(
    response: reqwest::Response,
) -> Result<serde_json::Value, ProviderError> {
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        let snippet: String = text.chars().take(200).collect();
        return Err(ProviderError::Failed(format!("HTTP {status}: {snippet}")));
    }
    serde_json::from_str(&text).map_err(|_| {
        let snippet: String = text.chars().take(120).collect();
        ProviderError::Failed(format!("the response is not JSON: {snippet}"))
    })
}

/// Removes markup (`<b>소파</b>` → `소파`) and decodes the common entities.
pub fn plain_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url` with `name=value` appended to its query (how links of providers
/// without an affiliate parameter carry the sub-id); `url` unchanged when
/// it is not an http(s) URL.
pub fn with_query_param(url: &str, name: &str, value: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if matches!(parsed.scheme(), "http" | "https") => {
            parsed.query_pairs_mut().append_pair(name, value);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The hits of a provider's result list: `hit` reads one item (`None`
/// skips it), and items whose title is empty once markup is removed are
/// dropped.
pub(crate) fn collect_hits(
    items: &[serde_json::Value],
    hit: impl Fn(&serde_json::Value) -> Option<Hit>,
) -> Vec<Hit> {
    items
        .iter()
        .filter_map(hit)
        .filter(|h| !h.title.is_empty())
        .collect()
}

/// The link `value` holds, tagged with `subId=<sub_id>` (for providers
/// without an affiliate parameter); `None` without a link.
pub(crate) fn tagged_link(value: &serde_json::Value, sub_id: &str) -> Option<String> {
    Some(with_query_param(&text_of(value)?, "subId", sub_id))
}

/// A price as providers write it (`"129000"`, `129000`, `"129,000원"`);
/// `None` when there is no positive whole number of won in it.
pub fn price_of(value: &serde_json::Value) -> Option<i64> {
    let n = match value {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        serde_json::Value::String(s) => {
            let digits: String = s
                .split('.')
                .next()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            digits.parse::<i64>().ok()
        }
        _ => None,
    }?;
    (n > 0).then_some(n)
}

/// A text field, trimmed, `None` when empty.
pub(crate) fn text_of(value: &serde_json::Value) -> Option<String> {
    let text = match value {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markup_is_removed_and_entities_decoded() {
        assert_eq!(
            plain_text("모던 <b>소파</b> 3인용 &amp; 스툴 &quot;A&quot;"),
            "모던 소파 3인용 & 스툴 \"A\""
        );
        assert_eq!(plain_text("  a \n b "), "a b");
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode_component("소파"), "%EC%86%8C%ED%8C%8C");
        assert_eq!(encode_component("a b&c=d~"), "a%20b%26c%3Dd~");
    }

    #[test]
    fn sub_ids_are_stable_distinct_and_opaque() {
        let a = sub_id(b"key", 42);
        assert_eq!(a, sub_id(b"key", 42));
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, sub_id(b"key", 43));
        assert_ne!(a, sub_id(b"other key", 42));
        assert!(!a.contains("42"));
    }

    #[test]
    fn links_get_the_sub_id_appended() {
        assert_eq!(
            with_query_param("https://shop.example/p/1?x=1", "subId", "ab12"),
            "https://shop.example/p/1?x=1&subId=ab12"
        );
        assert_eq!(
            with_query_param("https://shop.example/p", "subId", "ab12"),
            "https://shop.example/p?subId=ab12"
        );
        assert_eq!(with_query_param("not a url", "subId", "x"), "not a url");
    }

    #[test]
    fn prices_in_their_several_spellings() {
        assert_eq!(price_of(&json!("129000")), Some(129_000));
        assert_eq!(price_of(&json!(129000)), Some(129_000));
        assert_eq!(price_of(&json!(12900.0)), Some(12_900));
        assert_eq!(price_of(&json!("129,000원")), Some(129_000));
        assert_eq!(price_of(&json!("₩12,900.00")), Some(12_900));
        assert_eq!(price_of(&json!("0")), None);
        assert_eq!(price_of(&json!("")), None);
        assert_eq!(price_of(&json!(null)), None);
    }
}
