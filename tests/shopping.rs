//! Visual shopping (COMM-8) over HTTP, on SQLite and PostgreSQL: the
//! external providers are played by three local fakes (one server each, so
//! that each base URL is a bare origin as in production) that speak their
//! documented APIs and record every request: Naver's shopping search,
//! Google's Custom Search JSON API and Coupang Partners' product search,
//! whose HMAC signature is recomputed here from what the fake received.
//! Also the order of the list (own catalogue first, the palette's colours
//! first, then one result of each provider in turn), paging a stored list,
//! quota fallback (memory and Redis kv, and the Redis counter itself),
//! partial failure (a 500 and a timeout), refusals, and clicks reaching the
//! recommender's interactions.
mod common;
#[path = "shopping/fakes.rs"]
mod fakes;

use std::{
    collections::HashMap,
    io::Cursor,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Backend, SignedIn, TEST_JWT_SECRET, TestApp, code};
use hmac::{Hmac, Mac};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};
use sha2::Sha256;

use fakes::{COUPANG_PATH, Fakes, Mode};

// ------------------------------------------------------------------ helpers

/// Spawns the app with every provider on its fake, then `extra` on top.
async fn spawn(backend: Backend, fakes: &Fakes, extra: &[(&str, &str)]) -> Option<TestApp> {
    let env = fakes.env();
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    vars.extend_from_slice(extra);
    TestApp::spawn_with(backend, &vars).await
}

macro_rules! with_fakes_on_both_databases {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    )+};
}

with_fakes_on_both_databases!(
    providers_receive_their_documented_requests,
    own_catalogue_first_in_palette_order_then_one_result_of_each_provider,
    a_provider_over_its_quota_is_skipped_and_the_others_fill_its_share,
    a_failing_and_a_slow_provider_leave_the_others_results,
    without_providers_the_own_catalogue_answers_alone,
    unknown_classes_and_hidden_designs_are_refused,
    clicks_are_recorded_and_feed_the_recommender,
);

const SUGGEST: &str = "query($c: String!, $d: ID!, $first: Int, $after: String) {
  shoppingSuggestions(objectClass: $c, designId: $d, first: $first, after: $after) {
    objectClass query paletteColors
    providers { platform status results elapsedMs }
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id platform title url imageUrl price mallName externalId position objectClass product { id name } } }
  }
}";

const CLICK: &str = "mutation($i: TrackShoppingClickInput!) {
  trackShoppingClick(input: $i) { clickedAt suggestion { id platform externalId product { id } } }
}";

async fn suggest(app: &TestApp, who: &SignedIn, design: &str, first: i32) -> Value {
    app.gql_ok(
        SUGGEST,
        json!({ "c": "couch", "d": design, "first": first }),
        Some(&who.access),
    )
    .await["shoppingSuggestions"]
        .clone()
}

fn nodes(list: &Value) -> Vec<Value> {
    list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// `PLATFORM:externalId` (or `OWN:<name>`) of each item, in order.
fn labels(list: &Value) -> Vec<String> {
    nodes(list)
        .iter()
        .map(|n| match n["platform"].as_str().unwrap() {
            "OWN" => format!("OWN:{}", n["product"]["name"].as_str().unwrap()),
            p => format!("{p}:{}", n["externalId"].as_str().unwrap()),
        })
        .collect()
}

/// `platform → (status, results)`.
fn statuses(list: &Value) -> HashMap<String, (String, i64)> {
    list["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["platform"].as_str().unwrap().to_owned(),
                (
                    p["status"].as_str().unwrap().to_owned(),
                    p["results"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

fn row_id(global: &str) -> i64 {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(global).unwrap()).unwrap();
    raw.split_once(':').unwrap().1.parse().unwrap()
}

/// The sub-id the API must derive for `user_id`, computed independently:
/// 16 hex digits of HMAC-SHA256 keyed by the JWT secret.
fn expected_sub_id(user_id: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(TEST_JWT_SECRET.as_bytes()).unwrap();
    mac.update(format!("vitrine-shopping-sub-id:{user_id}").as_bytes());
    hex::encode(mac.finalize().into_bytes())[..16].to_owned()
}

fn png(rgb: [u8; 3]) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(160, 120, |x, y| {
        let d = ((x / 40 + y / 40) % 2) as u8 * 4;
        Rgb(rgb.map(|c| c.saturating_sub(d)))
    }));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A design whose photo is `rgb`, once its palette is analysed.
async fn design(app: &TestApp, who: &SignedIn, rgb: [u8; 3], visibility: &str) -> String {
    let (status, body) = app
        .gql_upload(
            "mutation($i: CreateDesignInput!) { createDesign(input: $i) { id } }",
            json!({ "i": { "title": "living room", "style": "MODERN", "roomType": "LIVING_ROOM",
                           "sourceImage": null, "visibility": visibility } }),
            vec![("variables.i.sourceImage", "room.png", png(rgb))],
            Some(&who.access),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["createDesign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    for _ in 0..150 {
        let d = app
            .gql_ok(
                "query($id: ID!) { design(id: $id) { palette } }",
                json!({ "id": id }),
                Some(&who.access),
            )
            .await;
        if !d["design"]["palette"].as_array().unwrap().is_empty() {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("design {id} was not analysed");
}

/// Sofas in the own catalogue: `(name, colour)`; returns their ids once
/// they are searchable.
async fn sofas(app: &TestApp, items: &[(&str, &str)]) -> Vec<String> {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Sofa House", "6234567890")
        .await;
    let category = app
        .gql_ok("{ categories { id children { id } } }", json!({}), None)
        .await["categories"][0]["children"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for (name, color) in items {
        let data = app
            .gql_ok(
                "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
                json!({ "i": { "name": name, "description": "거실 소파", "price": 490000, "stock": 5,
                               "categoryId": category, "colors": [color] } }),
                Some(&seller.access),
            )
            .await;
        ids.push(data["createProduct"]["id"].as_str().unwrap().to_owned());
    }
    for _ in 0..100 {
        let found = app
            .gql_ok(
                "{ search(query: \"소파\", types: [PRODUCT]) { products { totalCount } } }",
                json!({}),
                None,
            )
            .await;
        if found["search"]["products"]["totalCount"] == items.len() {
            return ids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sofas were not indexed");
}

// ------------------------------------------------------------------ tests

/// Each provider gets the request its documentation describes: Naver's
/// headers and parameters, Google's key/cx/q/num, Coupang's keyword, limit
/// and subId with a valid HMAC signature; every external link carries the
/// viewer's sub-id, which is stable and not the user id.
async fn providers_receive_their_documented_requests(backend: Backend) {
    let fakes = Fakes::start().await;
    let Some(app) = spawn(backend, &fakes, &[]).await else {
        return;
    };
    let ana = app.register("ana-shop@example.com", "ana").await;
    let ben = app.register("ben-shop@example.com", "ben").await;
    let room = design(&app, &ana, [120, 85, 72], "PUBLIC").await;
    let list = suggest(&app, &ana, &room, 6).await;
    assert_eq!(list["objectClass"], "couch");
    assert_eq!(list["query"], "소파");
    let sub_id = expected_sub_id(row_id(&ana.id));
    assert_ne!(sub_id, expected_sub_id(row_id(&ben.id)));
    assert_ne!(sub_id, row_id(&ana.id).to_string(), "not the raw user id");

    let naver = fakes.calls("naver");
    assert_eq!(naver.len(), 1);
    let n = &naver[0];
    assert_eq!(n.path, "/v1/search/shop.json");
    assert_eq!(n.header("x-naver-client-id"), "naver-id");
    assert_eq!(n.header("x-naver-client-secret"), "naver-secret");
    assert_eq!(n.param("query").as_deref(), Some("소파"));
    assert_eq!(n.param("display").as_deref(), Some("2"));
    assert_eq!(n.param("start").as_deref(), Some("1"));
    assert_eq!(n.param("sort").as_deref(), Some("sim"));

    let google = fakes.calls("google");
    assert_eq!(google.len(), 1);
    let g = &google[0];
    assert_eq!(g.path, "/customsearch/v1");
    assert_eq!(g.param("key").as_deref(), Some("google-key"));
    assert_eq!(g.param("cx").as_deref(), Some("cx-123"));
    assert_eq!(g.param("q").as_deref(), Some("소파"));
    assert_eq!(g.param("num").as_deref(), Some("2"));

    let coupang = fakes.calls("coupang");
    assert_eq!(coupang.len(), 1);
    let c = &coupang[0];
    assert_eq!(c.path, COUPANG_PATH);
    assert_eq!(
        c.raw_query,
        format!("keyword=%EC%86%8C%ED%8C%8C&limit=2&subId={sub_id}")
    );
    // Authorization: CEA algorithm=HmacSHA256, access-key=…, signed-date=…, signature=…
    let auth = c.header("authorization");
    let rest = auth.strip_prefix("CEA ").expect(auth);
    let fields: HashMap<&str, &str> = rest
        .split(", ")
        .map(|kv| kv.split_once('=').expect(auth))
        .collect();
    assert_eq!(fields["algorithm"], "HmacSHA256");
    assert_eq!(fields["access-key"], "coupang-ak");
    let signed = chrono::NaiveDateTime::parse_from_str(fields["signed-date"], "%y%m%dT%H%M%SZ")
        .expect("signed-date is yyMMddTHHmmssZ")
        .and_utc();
    assert!((chrono::Utc::now() - signed).num_seconds().abs() < 120);
    let mut mac = Hmac::<Sha256>::new_from_slice(b"coupang-sk").unwrap();
    mac.update(format!("{}GET{}{}", fields["signed-date"], c.path, c.raw_query).as_bytes());
    assert_eq!(
        fields["signature"],
        hex::encode(mac.finalize().into_bytes()),
        "Coupang's signature must cover signed-date + method + path + query"
    );
    assert!(c.header("content-type").starts_with("application/json"));

    // Every external link carries the sub-id; Naver's markup is gone.
    let items = nodes(&list);
    assert_eq!(items.len(), 6);
    for item in &items {
        let url = item["url"].as_str().unwrap();
        assert!(url.contains(&format!("subId={sub_id}")), "{url}");
        assert!(!item["title"].as_str().unwrap().contains('<'));
    }
    let first_naver = items.iter().find(|i| i["platform"] == "NAVER").unwrap();
    assert_eq!(first_naver["title"], "모던 소파 네이버 1");
    assert_eq!(first_naver["price"], 100_001);
    assert_eq!(first_naver["mallName"], "네이버 리빙");
    let first_google = items.iter().find(|i| i["platform"] == "GOOGLE").unwrap();
    assert_eq!(first_google["price"], 201_000);
    assert_eq!(first_google["imageUrl"], "https://living.example/G1.jpg");

    // The same viewer gets the same sub-id next time.
    suggest(&app, &ana, &room, 3).await;
    let again = fakes.calls("coupang");
    assert_eq!(again[1].param("subId").as_deref(), Some(sub_id.as_str()));
}

/// Own products first (those in the design palette's colours first), then
/// one result of each provider in turn; `after` pages through the stored
/// list without calling any provider again.
async fn own_catalogue_first_in_palette_order_then_one_result_of_each_provider(backend: Backend) {
    let fakes = Fakes::start().await;
    let Some(app) = spawn(backend, &fakes, &[]).await else {
        return;
    };
    let ana = app.register("ana-order@example.com", "ana").await;
    let ids = sofas(
        &app,
        &[("블랙 가죽 소파", "Black"), ("브라운 패브릭 소파", "Brown")],
    )
    .await;
    let brown_room = design(&app, &ana, [120, 85, 72], "PRIVATE").await;
    let black_room = design(&app, &ana, [40, 40, 40], "PRIVATE").await;

    let list = suggest(&app, &ana, &brown_room, 10).await;
    assert_eq!(list["paletteColors"][0], "Brown", "{list:#}");
    assert_eq!(
        labels(&list),
        [
            "OWN:브라운 패브릭 소파",
            "OWN:블랙 가죽 소파",
            "NAVER:N1",
            "GOOGLE:G1",
            "COUPANG:7000001",
            "NAVER:N2",
            "GOOGLE:G2",
            "COUPANG:7000002",
            "NAVER:N3",
            "GOOGLE:G3",
        ]
    );
    let own = &nodes(&list)[0];
    assert_eq!(own["product"]["id"], ids[1].as_str());
    assert_eq!(own["price"], 490000);
    assert!(
        own["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/products/{}", row_id(&ids[1])))
    );
    let positions: Vec<i64> = nodes(&list)
        .iter()
        .map(|n| n["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (0..10).collect::<Vec<i64>>());
    // Each provider was asked for its share of ten: four.
    assert_eq!(
        fakes.calls("naver")[0].param("display").as_deref(),
        Some("4")
    );
    assert_eq!(fakes.calls("google")[0].param("num").as_deref(), Some("4"));
    assert_eq!(
        fakes.calls("coupang")[0].param("limit").as_deref(),
        Some("4")
    );
    let s = statuses(&list);
    assert_eq!(s["NAVER"], ("OK".to_owned(), 4));
    assert_eq!(s["GOOGLE"], ("OK".to_owned(), 3));
    assert_eq!(s["COUPANG"], ("OK".to_owned(), 3));
    assert_eq!(list["pageInfo"]["hasNextPage"], true);

    // Page two: the rest of the same list, from the store.
    let next = app
        .gql_ok(
            SUGGEST,
            json!({ "c": "couch", "d": brown_room, "first": 10, "after": list["pageInfo"]["endCursor"] }),
            Some(&ana.access),
        )
        .await["shoppingSuggestions"]
        .clone();
    assert_eq!(labels(&next), ["COUPANG:7000003", "NAVER:N4"]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    assert_eq!(next["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(next["providers"], list["providers"]);
    assert_eq!(fakes.calls("naver").len(), 1, "paging calls no provider");
    // A cursor of this list does not page another class's.
    let body = app
        .gql(
            SUGGEST,
            json!({ "c": "chair", "d": brown_room, "after": list["pageInfo"]["endCursor"] }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");

    // A black room: the black sofa first.
    let list = suggest(&app, &ana, &black_room, 3).await;
    assert_eq!(list["paletteColors"][0], "Black", "{list:#}");
    assert_eq!(
        labels(&list)[..2],
        ["OWN:블랙 가죽 소파", "OWN:브라운 패브릭 소파"]
    );
}

/// A provider whose quota is spent is not called; the others are asked
/// for more, and the list goes on with them.
async fn a_provider_over_its_quota_is_skipped_and_the_others_fill_its_share(backend: Backend) {
    let fakes = Fakes::start().await;
    let Some(app) = spawn(backend, &fakes, &[("VITRINE_GOOGLE_CSE_QUOTA", "1/1d")]).await else {
        return;
    };
    quota_fallback(&app, &fakes).await;
}

/// The same with the quota counted in Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_fallback_with_redis() {
    let fakes = Fakes::start().await;
    let env = fakes.env();
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    vars.push(("VITRINE_GOOGLE_CSE_QUOTA", "1/1d"));
    let Some(app) = TestApp::spawn_with_redis(Backend::Sqlite, &vars).await else {
        return;
    };
    assert_eq!(app.state.kv.backend(), "redis");
    quota_fallback(&app, &fakes).await;
}

/// The kv's windowed counter on Redis: concurrent increments are each
/// counted once, and the key gets its expiry (so a window's count resets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_windowed_counters_are_atomic_and_expire() {
    use vitrine::infra::kv::{Kv, RedisKv};
    let url = common::redis_url();
    let manager = match redis::Client::open(url.as_str()) {
        Ok(client) => tokio::time::timeout(Duration::from_secs(2), client.get_connection_manager())
            .await
            .map_err(|_| "timed out".to_owned())
            .and_then(|r| r.map_err(|e| e.to_string())),
        Err(e) => Err(e.to_string()),
    };
    let manager = match manager {
        Ok(m) => m,
        Err(e) => {
            common::unavailable::<()>("Redis", e);
            return;
        }
    };
    let kv = RedisKv::new(manager.clone());
    let key = format!("vitrine-test-quota-{}", uuid::Uuid::new_v4().simple());
    let ttl = Duration::from_secs(60);
    let counts = futures::future::join_all((0..20).map(|_| kv.incr_with_ttl(&key, ttl))).await;
    let mut counts: Vec<i64> = counts.into_iter().map(Result::unwrap).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<i64>>());
    let mut conn = manager.clone();
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(pttl > 0 && pttl <= 60_000, "{pttl}");
    kv.delete(&key).await.unwrap();
}

async fn quota_fallback(app: &TestApp, fakes: &Fakes) {
    let ana = app.register("ana-quota@example.com", "ana").await;
    let room = design(app, &ana, [120, 85, 72], "PUBLIC").await;
    let first = suggest(app, &ana, &room, 6).await;
    assert_eq!(statuses(&first)["GOOGLE"], ("OK".to_owned(), 2));
    assert_eq!(
        fakes.calls("naver")[0].param("display").as_deref(),
        Some("2")
    );

    let second = suggest(app, &ana, &room, 6).await;
    let s = statuses(&second);
    assert_eq!(s["GOOGLE"], ("QUOTA_EXHAUSTED".to_owned(), 0));
    assert_eq!(s["NAVER"], ("OK".to_owned(), 3));
    assert_eq!(s["COUPANG"], ("OK".to_owned(), 3));
    assert_eq!(fakes.calls("google").len(), 1, "Google is not called again");
    // Its share went to the next tiers.
    assert_eq!(
        fakes.calls("naver")[1].param("display").as_deref(),
        Some("3")
    );
    assert_eq!(
        fakes.calls("coupang")[1].param("limit").as_deref(),
        Some("3")
    );
    assert_eq!(
        labels(&second),
        [
            "NAVER:N1",
            "COUPANG:7000001",
            "NAVER:N2",
            "COUPANG:7000002",
            "NAVER:N3",
            "COUPANG:7000003"
        ]
    );
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(
            "shopping_provider_calls_total{outcome=\"quota_exhausted\",provider=\"google\"} 1"
        ),
        "{metrics}"
    );
}

/// One provider answers 500, one does not answer within the timeout: the
/// answer comes back within about the timeout, with the third's results
/// and each outcome reported.
async fn a_failing_and_a_slow_provider_leave_the_others_results(backend: Backend) {
    let fakes = Fakes::start().await;
    let Some(app) = spawn(backend, &fakes, &[("VITRINE_SHOPPING_TIMEOUT", "700ms")]).await else {
        return;
    };
    fakes.set("naver", Mode::Fail500);
    fakes.set("google", Mode::Slow);
    let ana = app.register("ana-partial@example.com", "ana").await;
    let room = design(&app, &ana, [120, 85, 72], "PUBLIC").await;
    let started = Instant::now();
    let list = suggest(&app, &ana, &room, 6).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(2500),
        "answered after {took:?}, not within the 700ms timeout (the slow fake takes 5s)"
    );
    let s = statuses(&list);
    assert_eq!(s["NAVER"], ("FAILED".to_owned(), 0));
    assert_eq!(s["GOOGLE"], ("TIMEOUT".to_owned(), 0));
    assert_eq!(s["COUPANG"], ("OK".to_owned(), 2));
    assert_eq!(labels(&list), ["COUPANG:7000001", "COUPANG:7000002"]);
    let google = list["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == "GOOGLE")
        .unwrap()
        .clone();
    let waited = google["elapsedMs"].as_i64().unwrap();
    assert!((650..2000).contains(&waited), "{waited}");
    let metrics = app.metrics_text().await;
    for line in [
        "shopping_provider_calls_total{outcome=\"failed\",provider=\"naver\"} 1",
        "shopping_provider_calls_total{outcome=\"timeout\",provider=\"google\"} 1",
        "shopping_provider_calls_total{outcome=\"ok\",provider=\"coupang\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

/// The default configuration (`make run`): no provider, the own catalogue.
async fn without_providers_the_own_catalogue_answers_alone(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ana = app.register("ana-offline@example.com", "ana").await;
    sofas(&app, &[("원목 소파", "Brown")]).await;
    let room = design(&app, &ana, [120, 85, 72], "PUBLIC").await;
    let list = suggest(&app, &ana, &room, 20).await;
    assert_eq!(labels(&list), ["OWN:원목 소파"]);
    for (_, (status, results)) in statuses(&list) {
        assert_eq!((status.as_str(), results), ("NOT_CONFIGURED", 0));
    }
    assert_eq!(list["providers"].as_array().unwrap().len(), 3);
}

/// Unknown classes, designs the viewer may not see, anonymous callers and
/// oversized pages are refused; the 80 classes are listed.
async fn unknown_classes_and_hidden_designs_are_refused(backend: Backend) {
    let fakes = Fakes::start().await;
    let Some(app) = spawn(backend, &fakes, &[]).await else {
        return;
    };
    let ana = app.register("ana-refused@example.com", "ana").await;
    let ben = app.register("ben-refused@example.com", "ben").await;
    let private = design(&app, &ben, [120, 85, 72], "PRIVATE").await;
    let public = design(&app, &ben, [120, 85, 72], "PUBLIC").await;

    let body = app
        .gql(
            SUGGEST,
            json!({ "c": "spaceship", "d": public }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "objectClass");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("spaceship")
    );

    let body = app
        .gql(
            SUGGEST,
            json!({ "c": "couch", "d": private }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = app
        .gql(SUGGEST, json!({ "c": "couch", "d": public }), None)
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    let body = app
        .gql(
            SUGGEST,
            json!({ "c": "couch", "d": public, "first": 101 }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    assert!(fakes.calls("naver").is_empty(), "refusals call no provider");

    // Someone else's public design is fine; detector spellings are accepted.
    let list = app
        .gql_ok(
            SUGGEST,
            json!({ "c": "Sofa", "d": public, "first": 3 }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(list["shoppingSuggestions"]["objectClass"], "couch");

    let classes = app
        .gql_ok("{ shoppingObjectClasses { name query } }", json!({}), None)
        .await;
    let classes = classes["shoppingObjectClasses"].as_array().unwrap();
    assert_eq!(classes.len(), 80);
    assert!(classes.contains(&json!({ "name": "couch", "query": "소파" })));
}

/// A click is recorded for the user who got the suggestion only; an own
/// product's click shows in the activity the recommender trains on.
async fn clicks_are_recorded_and_feed_the_recommender(backend: Backend) {
    use sea_orm::EntityTrait;
    use vitrine::ml::source::{ActivityFilter, activity};

    let fakes = Fakes::start().await;
    let Some(app) = spawn(backend, &fakes, &[]).await else {
        return;
    };
    let ana = app.register("ana-click@example.com", "ana").await;
    let ben = app.register("ben-click@example.com", "ben").await;
    let ids = sofas(&app, &[("벨벳 소파", "Green")]).await;
    let room = design(&app, &ana, [120, 85, 72], "PUBLIC").await;
    let list = suggest(&app, &ana, &room, 4).await;
    let items = nodes(&list);
    let own = items.iter().find(|n| n["platform"] == "OWN").unwrap();
    let external = items.iter().find(|n| n["platform"] == "COUPANG").unwrap();
    let product_id = row_id(&ids[0]);
    let ana_id = row_id(&ana.id);

    // What the recommender reads of a user (`ml::source::activity`).
    let activity_of = |user_id: i64| {
        activity(
            &app.state.db,
            ActivityFilter {
                user_id: Some(user_id),
                limit: None,
            },
        )
    };
    let before = activity_of(ana_id).await.unwrap();
    assert!(before.iter().all(|a| a.product_id != product_id));

    let clicked = app
        .gql_ok(
            CLICK,
            json!({ "i": { "suggestionId": own["id"] } }),
            Some(&ana.access),
        )
        .await["trackShoppingClick"]
        .clone();
    assert_eq!(clicked["suggestion"]["id"], own["id"]);
    assert_eq!(clicked["suggestion"]["platform"], "OWN");
    assert_eq!(clicked["suggestion"]["product"]["id"], ids[0].as_str());
    assert!(clicked["clickedAt"].is_string());
    let after = activity_of(ana_id).await.unwrap();
    assert!(
        after
            .iter()
            .any(|a| a.product_id == product_id && a.user_id == ana_id),
        "the click is an interaction the recommender reads: {after:?}"
    );

    app.gql_ok(
        CLICK,
        json!({ "i": { "suggestionId": external["id"] } }),
        Some(&ana.access),
    )
    .await;
    // Someone else may not click ana's suggestion.
    let body = app
        .gql(
            CLICK,
            json!({ "i": { "suggestionId": own["id"] } }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = app
        .gql(
            CLICK,
            json!({ "i": { "suggestionId": "bm9wZQ" } }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    let body = app
        .gql(CLICK, json!({ "i": { "suggestionId": own["id"] } }), None)
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");

    let mut clicks = vitrine::entities::shopping_click::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    clicks.sort_by_key(|c| c.id);
    assert_eq!(clicks.len(), 2);
    assert!(clicks.iter().all(|c| c.user_id == ana_id));
    assert_eq!(clicks[0].product_id, Some(product_id));
    assert_eq!(clicks[0].suggestion_id, row_id(own["id"].as_str().unwrap()));
    assert_eq!(
        clicks[1].platform,
        vitrine::entities::shopping_suggestion::ShoppingPlatform::Coupang
    );
    assert_eq!(
        clicks[1].external_id.as_deref(),
        external["externalId"].as_str()
    );
    assert_eq!(clicks[1].product_id, None);
}
