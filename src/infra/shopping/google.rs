//! Google Custom Search JSON API
//! (<https://developers.google.com/custom-search/v1/reference/rest/v1/cse/list>):
//! `GET {base}/customsearch/v1?key=&cx=&q=&num=`, `num` from 1 to 10. The
//! answer's `items` are `{title, link, displayLink, snippet, cacheId?,
//! pagemap?}`; the image is `pagemap.cse_image[0].src` (else the
//! thumbnail) and a price, when the page publishes one in KRW, is
//! `pagemap.offer[0].price`. An error is `{error: {code, message}}` with a
//! 4xx/5xx status (429 past the daily quota). Google has no affiliate
//! parameter: links carry the sub-id as `subId=`.
//!
//! Google closed this API to new customers and ends it on 2027-01-01; it
//! stays here, optional, for deployments that have a key.
use serde_json::Value;

use super::{
    Hit, ProviderError, ProviderName, SearchRequest, ShoppingProvider, collect_hits, json_of,
    plain_text, price_of, tagged_link, text_of,
};
use crate::config::shopping::GoogleSettings;

/// The most results one request may ask for (`num`).
pub const MAX_NUM: usize = 10;
pub const PATH: &str = "/customsearch/v1";

pub struct Google {
    settings: GoogleSettings,
    http: reqwest::Client,
}

impl Google {
    pub fn new(settings: &GoogleSettings, http: reqwest::Client) -> Self {
        Self {
            settings: settings.clone(),
            http,
        }
    }
}

fn first_src(pagemap: &Value, key: &str) -> Option<String> {
    text_of(&pagemap[key][0]["src"])
}

/// A KRW price of the page's first offer, if it has one.
fn krw_price(pagemap: &Value) -> Option<i64> {
    let offer = &pagemap["offer"][0];
    let currency = offer["pricecurrency"].as_str().unwrap_or("KRW");
    if currency.eq_ignore_ascii_case("KRW") {
        price_of(&offer["price"])
    } else {
        None
    }
}

/// The hits of a `customsearch/v1` answer (no `items`: nothing was found).
pub fn hits(answer: &Value, sub_id: &str) -> Result<Vec<Hit>, ProviderError> {
    if answer.get("error").is_some() {
        return Err(ProviderError::Failed(format!(
            "Google answered an error: {}",
            answer["error"]["message"]
                .as_str()
                .unwrap_or("(no message)")
        )));
    }
    let Some(items) = answer["items"].as_array() else {
        return Ok(Vec::new());
    };
    Ok(collect_hits(items, |item| {
        let pagemap = &item["pagemap"];
        Some(Hit {
            title: plain_text(item["title"].as_str()?),
            url: tagged_link(&item["link"], sub_id)?,
            external_id: text_of(&item["cacheId"]),
            image_url: first_src(pagemap, "cse_image")
                .or_else(|| first_src(pagemap, "cse_thumbnail")),
            price: krw_price(pagemap),
            mall_name: text_of(&item["displayLink"]),
        })
    }))
}

#[async_trait::async_trait]
impl ShoppingProvider for Google {
    fn name(&self) -> ProviderName {
        ProviderName::Google
    }

    fn max_results(&self) -> usize {
        MAX_NUM
    }

    async fn search(&self, request: &SearchRequest<'_>) -> Result<Vec<Hit>, ProviderError> {
        let num = request.limit.clamp(1, MAX_NUM).to_string();
        let response = self
            .http
            .get(format!("{}{PATH}", self.settings.base_url))
            .query(&[
                ("key", self.settings.key.expose()),
                ("cx", self.settings.cx.as_str()),
                ("q", request.query),
                ("num", num.as_str()),
            ])
            .send()
            .await?;
        hits(&json_of(response).await?, request.sub_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_become_hits() {
        let answer = json!({ "kind": "customsearch#search", "items": [
            { "title": "북유럽 소파 | 리빙샵", "link": "https://living.example/sofa/7", "displayLink": "living.example",
              "cacheId": "c7", "pagemap": {
                "cse_image": [{ "src": "https://living.example/sofa.jpg" }],
                "offer": [{ "price": "459,000", "pricecurrency": "KRW" }] } },
            { "title": "Sofa", "link": "https://us.example/sofa", "pagemap": {
                "cse_thumbnail": [{ "src": "https://us.example/t.jpg" }],
                "offer": [{ "price": "999.00", "pricecurrency": "USD" }] } },
        ]});
        let hits = hits(&answer, "ab12").unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].url, "https://living.example/sofa/7?subId=ab12");
        assert_eq!(hits[0].price, Some(459_000));
        assert_eq!(
            hits[0].image_url.as_deref(),
            Some("https://living.example/sofa.jpg")
        );
        assert_eq!(hits[0].mall_name.as_deref(), Some("living.example"));
        assert_eq!(hits[1].price, None);
        assert_eq!(
            hits[1].image_url.as_deref(),
            Some("https://us.example/t.jpg")
        );
        assert!(super::hits(&json!({}), "x").unwrap().is_empty());
        assert!(
            super::hits(
                &json!({ "error": { "code": 429, "message": "quota" } }),
                "x"
            )
            .is_err()
        );
    }
}
