//! Local fakes of the three shopping providers for `tests/shopping.rs`: one
//! axum server each (so that each base URL is a bare origin, as in
//! production), at the documented paths, answering in the documented shapes
//! (Naver's `items` with `<b>` marks and string prices, Google's `items`
//! with `pagemap`, Coupang's `rCode` and `data.productData` with the
//! request's `subId` in each link), each as many results as asked, and
//! recording every request (path, raw query, headers) for the tests to
//! check. A fake can be switched to answer 500 or to hang for 5 s.
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

pub const COUPANG_PATH: &str = "/v2/providers/affiliate_open_api/apis/openapi/products/search";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ok,
    Fail500,
    Slow,
}

#[derive(Clone, Debug)]
pub struct Call {
    pub path: String,
    /// The query string exactly as received.
    pub raw_query: String,
    pub headers: HeaderMap,
}

impl Call {
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.raw_query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("<missing>")
    }
}

#[derive(Default)]
struct FakeState {
    modes: HashMap<&'static str, Mode>,
    calls: HashMap<&'static str, Vec<Call>>,
}

#[derive(Clone)]
pub struct Fakes {
    state: Arc<Mutex<FakeState>>,
    addrs: HashMap<&'static str, SocketAddr>,
}

#[derive(Clone)]
struct Fake {
    name: &'static str,
    state: Arc<Mutex<FakeState>>,
}

impl Fakes {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let mut addrs = HashMap::new();
        for (name, path) in [
            ("naver", "/v1/search/shop.json"),
            ("google", "/customsearch/v1"),
            ("coupang", COUPANG_PATH),
        ] {
            let handler = match name {
                "naver" => get(naver),
                "google" => get(google),
                _ => get(coupang),
            };
            let app = Router::new().route(path, handler).with_state(Fake {
                name,
                state: state.clone(),
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addrs.insert(name, listener.local_addr().unwrap());
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        Self { state, addrs }
    }

    pub fn set(&self, provider: &'static str, mode: Mode) {
        self.state.lock().unwrap().modes.insert(provider, mode);
    }

    pub fn calls(&self, provider: &str) -> Vec<Call> {
        self.state
            .lock()
            .unwrap()
            .calls
            .get(provider)
            .cloned()
            .unwrap_or_default()
    }

    /// Every provider configured against its fake, with roomy quotas.
    pub fn env(&self) -> Vec<(String, String)> {
        let base = |name: &str| format!("http://{}", self.addrs[name]);
        vec![
            ("VITRINE_NAVER_BASE_URL".into(), base("naver")),
            ("VITRINE_NAVER_CLIENT_ID".into(), "naver-id".into()),
            ("VITRINE_NAVER_CLIENT_SECRET".into(), "naver-secret".into()),
            ("VITRINE_NAVER_QUOTA".into(), "1000/1d".into()),
            ("VITRINE_GOOGLE_CSE_BASE_URL".into(), base("google")),
            ("VITRINE_GOOGLE_CSE_KEY".into(), "google-key".into()),
            ("VITRINE_GOOGLE_CSE_CX".into(), "cx-123".into()),
            ("VITRINE_GOOGLE_CSE_QUOTA".into(), "1000/1d".into()),
            ("VITRINE_COUPANG_BASE_URL".into(), base("coupang")),
            ("VITRINE_COUPANG_ACCESS_KEY".into(), "coupang-ak".into()),
            ("VITRINE_COUPANG_SECRET_KEY".into(), "coupang-sk".into()),
            ("VITRINE_COUPANG_QUOTA".into(), "1000/1h".into()),
        ]
    }
}

impl Fake {
    /// Records the call; the answer when the fake is not in `Ok` mode.
    async fn enter(&self, uri: &Uri, headers: HeaderMap) -> Option<Response> {
        let mode = {
            let mut s = self.state.lock().unwrap();
            s.calls.entry(self.name).or_default().push(Call {
                path: uri.path().to_owned(),
                raw_query: uri.query().unwrap_or_default().to_owned(),
                headers,
            });
            s.modes.get(self.name).copied().unwrap_or(Mode::Ok)
        };
        match mode {
            Mode::Ok => None,
            Mode::Fail500 => Some(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{\"errorMessage\":\"System error\"}",
                )
                    .into_response(),
            ),
            Mode::Slow => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Some((StatusCode::OK, "{}").into_response())
            }
        }
    }

    fn last(&self) -> Call {
        self.state.lock().unwrap().calls[self.name]
            .last()
            .cloned()
            .unwrap()
    }
}

fn count(call: &Call, name: &str) -> usize {
    call.param(name).and_then(|n| n.parse().ok()).unwrap_or(10)
}

async fn naver(State(fake): State<Fake>, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(r) = fake.enter(&uri, headers).await {
        return r;
    }
    let call = fake.last();
    let n = count(&call, "display");
    let q = call.param("query").unwrap_or_default();
    let items: Vec<Value> = (1..=n)
        .map(|i| {
            json!({
                "title": format!("모던 <b>{q}</b> 네이버 {i}"),
                "link": format!("https://search.shopping.naver.com/gate.nhn?id=N{i}"),
                "image": format!("https://shopping-phinf.pstatic.net/N{i}.jpg"),
                "lprice": (100_000 + i).to_string(), "hprice": "",
                "mallName": "네이버 리빙", "productId": format!("N{i}"), "productType": "2",
                "brand": "", "maker": "", "category1": "가구/인테리어",
            })
        })
        .collect();
    axum::Json(
        json!({ "lastBuildDate": "Mon, 30 Nov 2026 10:00:00 +0900", "total": 1000,
        "start": 1, "display": n, "items": items }),
    )
    .into_response()
}

async fn google(State(fake): State<Fake>, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(r) = fake.enter(&uri, headers).await {
        return r;
    }
    let call = fake.last();
    let n = count(&call, "num");
    let items: Vec<Value> = (1..=n)
        .map(|i| json!({
            "kind": "customsearch#result", "title": format!("구글 소파 {i}"),
            "link": format!("https://living.example/sofa/G{i}"), "displayLink": "living.example",
            "cacheId": format!("G{i}"),
            "pagemap": { "cse_image": [{ "src": format!("https://living.example/G{i}.jpg") }],
                         "offer": [{ "price": format!("{},000", 200 + i), "pricecurrency": "KRW" }] },
        }))
        .collect();
    axum::Json(json!({ "kind": "customsearch#search", "items": items })).into_response()
}

async fn coupang(State(fake): State<Fake>, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(r) = fake.enter(&uri, headers).await {
        return r;
    }
    let call = fake.last();
    let n = count(&call, "limit");
    let sub_id = call.param("subId").unwrap_or_default();
    let products: Vec<Value> = (1..=n)
        .map(|i| json!({
            "productId": 7_000_000 + i, "productName": format!("쿠팡 소파 {i}"),
            "productPrice": 300_000 + i, "productImage": format!("https://static.coupangcdn.com/C{i}.jpg"),
            "productUrl": format!("https://link.coupang.com/re/AFFSDP?itemId={i}&subId={sub_id}"),
            "isRocket": true, "rank": i,
        }))
        .collect();
    axum::Json(json!({ "rCode": "0", "rMessage": "",
        "data": { "landingUrl": "https://link.coupang.com/a/x", "productData": products } }))
    .into_response()
}
