//! Naver Search API, shopping
//! (<https://developers.naver.com/docs/serviceapi/search/shopping/shopping.md>):
//! `GET {base}/v1/search/shop.json?query=&display=&start=1&sort=sim` with the
//! application's `X-Naver-Client-Id` and `X-Naver-Client-Secret` headers;
//! `display` is at most 100. The answer is `{lastBuildDate, total, start,
//! display, items: [{title, link, image, lprice, hprice, mallName,
//! productId, productType, brand, maker, category1…4}]}`, where `title`
//! marks the matched words with `<b>` (removed here) and prices are strings
//! of won. Naver has no affiliate parameter: links carry the sub-id as
//! `subId=` (see `domain::shopping`).
use serde_json::Value;

use super::{
    Hit, ProviderError, ProviderName, SearchRequest, ShoppingProvider, collect_hits, json_of,
    plain_text, price_of, tagged_link, text_of,
};
use crate::config::shopping::NaverSettings;

/// The most items one request may ask for (`display`).
pub const MAX_DISPLAY: usize = 100;
/// The path of the shopping search.
pub const PATH: &str = "/v1/search/shop.json";

pub struct Naver {
    settings: NaverSettings,
    http: reqwest::Client,
}

impl Naver {
    pub fn new(settings: &NaverSettings, http: reqwest::Client) -> Self {
        Self {
            settings: settings.clone(),
            http,
        }
    }
}

/// The hits of a `shop.json` answer.
pub fn hits(answer: &Value, sub_id: &str) -> Result<Vec<Hit>, ProviderError> {
    let items = answer["items"]
        .as_array()
        .ok_or_else(|| ProviderError::Failed("the answer has no `items` list".into()))?;
    Ok(collect_hits(items, |item| {
        Some(Hit {
            title: plain_text(item["title"].as_str()?),
            url: tagged_link(&item["link"], sub_id)?,
            external_id: text_of(&item["productId"]),
            image_url: text_of(&item["image"]),
            price: price_of(&item["lprice"]),
            mall_name: text_of(&item["mallName"]).or_else(|| text_of(&item["brand"])),
        })
    }))
}

#[async_trait::async_trait]
impl ShoppingProvider for Naver {
    fn name(&self) -> ProviderName {
        ProviderName::Naver
    }

    fn max_results(&self) -> usize {
        MAX_DISPLAY
    }

    async fn search(&self, request: &SearchRequest<'_>) -> Result<Vec<Hit>, ProviderError> {
        let display = request.limit.clamp(1, MAX_DISPLAY).to_string();
        let response = self
            .http
            .get(format!("{}{PATH}", self.settings.base_url))
            .header("X-Naver-Client-Id", &self.settings.client_id)
            .header(
                "X-Naver-Client-Secret",
                self.settings.client_secret.expose(),
            )
            .query(&[
                ("query", request.query),
                ("display", display.as_str()),
                ("start", "1"),
                ("sort", "sim"),
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
        let answer = json!({
            "lastBuildDate": "Mon, 01 Dec 2026 10:00:00 +0900", "total": 2, "start": 1, "display": 2,
            "items": [
                { "title": "모던 <b>소파</b> 3인용", "link": "https://search.shopping.naver.com/gate.nhn?id=1",
                  "image": "https://shopping-phinf.pstatic.net/1.jpg", "lprice": "329000", "hprice": "",
                  "mallName": "리빙몰", "productId": "1", "productType": "2", "brand": "", "maker": "" },
                { "title": "", "link": "https://x.example" },
            ]
        });
        let hits = hits(&answer, "ab12").unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].title, "모던 소파 3인용");
        assert_eq!(
            hits[0].url,
            "https://search.shopping.naver.com/gate.nhn?id=1&subId=ab12"
        );
        assert_eq!(hits[0].price, Some(329_000));
        assert_eq!(hits[0].mall_name.as_deref(), Some("리빙몰"));
        assert_eq!(hits[0].external_id.as_deref(), Some("1"));
        assert!(super::hits(&json!({ "errorCode": "SE01" }), "x").is_err());
    }
}
