//! Coupang Partners Open API, product search (`partners.coupang.com`, "Open
//! API" help): `GET {base}/v2/providers/affiliate_open_api/apis/openapi/products/search?keyword=&limit=&subId=`.
//!
//! Every request is signed with HMAC: `Authorization: CEA
//! algorithm=HmacSHA256, access-key={access key}, signed-date={yyMMdd'T'HHmmss'Z'
//! in UTC}, signature={hex HMAC-SHA256 keyed by the secret key over
//! signed-date + method + path + query}`, where `query` is the query string
//! exactly as sent, without its `?` ([`signature`]). `subId` is the
//! partner's channel tag: Coupang builds it into each `productUrl`, so the
//! commission of a click is attributed to the viewer's sub-id.
//!
//! The answer is `{rCode, rMessage, data: {landingUrl, productData:
//! [{productId, productName, productPrice, productImage, productUrl,
//! isRocket, categoryName, rank, …}]}}`; `rCode` other than `"0"` is a
//! refusal (a bad signature, the hourly limit) even with HTTP 200.
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::{
    Hit, ProviderError, ProviderName, SearchRequest, ShoppingProvider, collect_hits,
    encode_component, json_of, plain_text, price_of, text_of,
};
use crate::config::shopping::CoupangSettings;

pub const PATH: &str = "/v2/providers/affiliate_open_api/apis/openapi/products/search";
/// The most products one search request asks for (`limit`).
pub const MAX_LIMIT: usize = 10;

pub struct Coupang {
    settings: CoupangSettings,
    http: reqwest::Client,
}

impl Coupang {
    pub fn new(settings: &CoupangSettings, http: reqwest::Client) -> Self {
        Self {
            settings: settings.clone(),
            http,
        }
    }
}

/// `signed-date`: `yyMMdd'T'HHmmss'Z'` in UTC.
pub fn signed_date(at: DateTime<Utc>) -> String {
    at.format("%y%m%dT%H%M%SZ").to_string()
}

/// Hex HMAC-SHA256 keyed by `secret_key` over `signed_date + method + path
/// + query` (`query` without its `?`, empty when there is none).
pub fn signature(
    secret_key: &str,
    signed_date: &str,
    method: &str,
    path: &str,
    query: &str,
) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()) else {
        // HMAC takes keys of any length; this branch is never taken.
        return String::new();
    };
    mac.update(signed_date.as_bytes());
    mac.update(method.as_bytes());
    mac.update(path.as_bytes());
    mac.update(query.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `Authorization` header of a request.
pub fn authorization(
    access_key: &str,
    secret_key: &str,
    at: DateTime<Utc>,
    method: &str,
    path: &str,
    query: &str,
) -> String {
    let date = signed_date(at);
    let signature = signature(secret_key, &date, method, path, query);
    format!(
        "CEA algorithm=HmacSHA256, access-key={access_key}, signed-date={date}, signature={signature}"
    )
}

/// The query string of a search, percent-encoded once, here, so that what
/// is signed is what is sent.
pub fn search_query(keyword: &str, limit: usize, sub_id: &str) -> String {
    format!(
        "keyword={}&limit={}&subId={}",
        encode_component(keyword),
        limit.clamp(1, MAX_LIMIT),
        encode_component(sub_id)
    )
}

/// The hits of a search answer.
pub fn hits(answer: &Value) -> Result<Vec<Hit>, ProviderError> {
    let code = text_of(&answer["rCode"]).unwrap_or_default();
    if code != "0" {
        return Err(ProviderError::Failed(format!(
            "Coupang refused (rCode {code}): {}",
            answer["rMessage"].as_str().unwrap_or_default()
        )));
    }
    let products = answer["data"]["productData"]
        .as_array()
        .ok_or_else(|| ProviderError::Failed("the answer has no data.productData list".into()))?;
    Ok(collect_hits(products, |p| {
        Some(Hit {
            title: plain_text(p["productName"].as_str()?),
            // Already tagged by Coupang with the request's subId.
            url: text_of(&p["productUrl"])?,
            external_id: text_of(&p["productId"]),
            image_url: text_of(&p["productImage"]),
            price: price_of(&p["productPrice"]),
            mall_name: Some("쿠팡".to_owned()),
        })
    }))
}

#[async_trait::async_trait]
impl ShoppingProvider for Coupang {
    fn name(&self) -> ProviderName {
        ProviderName::Coupang
    }

    fn max_results(&self) -> usize {
        MAX_LIMIT
    }

    async fn search(&self, request: &SearchRequest<'_>) -> Result<Vec<Hit>, ProviderError> {
        let query = search_query(request.query, request.limit, request.sub_id);
        let authorization = authorization(
            &self.settings.access_key,
            self.settings.secret_key.expose(),
            Utc::now(),
            "GET",
            PATH,
            &query,
        );
        let response = self
            .http
            .get(format!("{}{PATH}?{query}", self.settings.base_url))
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json;charset=UTF-8",
            )
            .send()
            .await?;
        hits(&json_of(response).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 5, 7).unwrap()
    }

    #[test]
    fn the_signed_date_is_two_digit_year_utc() {
        assert_eq!(signed_date(at()), "261130T090507Z");
    }

    /// A known answer: HMAC-SHA256("secret", "261130T090507ZGET/v2/x" +
    /// "keyword=a&limit=1"), computed independently (`openssl dgst -sha256
    /// -hmac secret`).
    #[test]
    fn the_signature_covers_date_method_path_and_query() {
        let sig = signature(
            "secret",
            "261130T090507Z",
            "GET",
            "/v2/x",
            "keyword=a&limit=1",
        );
        assert_eq!(sig, KNOWN);
        assert_eq!(sig.len(), 64);
        // Each part is signed: changing any one changes the signature.
        for other in [
            signature(
                "secret",
                "261130T090508Z",
                "GET",
                "/v2/x",
                "keyword=a&limit=1",
            ),
            signature(
                "secret",
                "261130T090507Z",
                "POST",
                "/v2/x",
                "keyword=a&limit=1",
            ),
            signature(
                "secret",
                "261130T090507Z",
                "GET",
                "/v2/y",
                "keyword=a&limit=1",
            ),
            signature(
                "secret",
                "261130T090507Z",
                "GET",
                "/v2/x",
                "keyword=a&limit=2",
            ),
            signature(
                "secreT",
                "261130T090507Z",
                "GET",
                "/v2/x",
                "keyword=a&limit=1",
            ),
        ] {
            assert_ne!(other, sig);
        }
    }

    const KNOWN: &str = "e42f2d1a8538366d8646008d575906564bda8c122df8c6df1ca6c7fc58639ae5";

    #[test]
    fn the_header_names_the_key_date_and_signature() {
        let query = search_query("소파", 50, "ab12");
        assert_eq!(query, "keyword=%EC%86%8C%ED%8C%8C&limit=10&subId=ab12");
        let header = authorization("AK", "SK", at(), "GET", PATH, &query);
        let expected_sig = signature("SK", "261130T090507Z", "GET", PATH, &query);
        assert_eq!(
            header,
            format!(
                "CEA algorithm=HmacSHA256, access-key=AK, signed-date=261130T090507Z, signature={expected_sig}"
            )
        );
    }

    #[test]
    fn products_become_hits_and_refusals_are_errors() {
        let answer = json!({ "rCode": "0", "rMessage": "", "data": {
            "landingUrl": "https://link.coupang.com/a/x",
            "productData": [
                { "productId": 7_000_001, "productName": "패브릭 소파 3인용", "productPrice": 259000,
                  "productImage": "https://static.coupangcdn.com/1.jpg",
                  "productUrl": "https://link.coupang.com/re/AFFSDP?subId=ab12&itemId=1",
                  "isRocket": true, "rank": 1 }
            ] } });
        let hits = hits(&answer).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].external_id.as_deref(), Some("7000001"));
        assert_eq!(hits[0].price, Some(259_000));
        assert!(hits[0].url.contains("subId=ab12"));
        let refused = json!({ "rCode": "403", "rMessage": "limit exceeded", "data": null });
        assert!(super::hits(&refused).is_err());
    }
}
