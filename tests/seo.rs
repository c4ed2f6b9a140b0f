//! SEO (COMM-10) over HTTP on SQLite and PostgreSQL (+ Redis for the
//! shared cache): `/robots.txt`, the sitemap index and its partitions,
//! validated with `xmllint` against the sitemaps.org schemas
//! (tests/fixtures/sitemaps/), listing only public content, cached and
//! invalidated by writes.
mod common;

use std::{path::Path, process::Command};

use common::{Backend, SignedIn, TestApp};
use serde_json::{Value, json};

const BASE: &str = "https://vitrine.example";

async fn on_both(test: impl AsyncFn(TestApp)) {
    let public = [("VITRINE_PUBLIC_URL", BASE)];
    if let Some(app) = TestApp::spawn_with(Backend::Sqlite, &public).await {
        test(app).await;
    }
    if let Some(app) = TestApp::spawn_with_redis(Backend::Postgres, &public).await {
        test(app).await;
    }
}

/// Validates `xml` against the schema `xsd` with xmllint.
fn assert_valid(xml: &str, xsd: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sitemaps")
        .join(xsd);
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint must be installed (make test installs libxml2-utils)");
    assert!(
        out.status.success(),
        "{xsd}: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn get(app: &TestApp, path: &str) -> (u16, String, Option<String>, String) {
    let resp = app.http.get(app.url(path)).send().await.unwrap();
    let status = resp.status().as_u16();
    let cache = resp
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned());
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, resp.text().await.unwrap(), cache, kind)
}

/// GETs `path` until the cache answers (at most 2 s); its body.
async fn hit_within(app: &TestApp, path: &str) -> String {
    for _ in 0..20 {
        let (status, body, cache, _) = get(app, path).await;
        assert_eq!(status, 200);
        if cache.as_deref() == Some("HIT") {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} was never served from the cache");
}

fn numeric(global: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(global.trim_end_matches('='))
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    text.rsplit(':').next().unwrap().parse().unwrap()
}

async fn product(app: &TestApp, seller: &SignedIn, category: &Value, name: &str) -> String {
    app.gql_ok(
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({ "i": { "name": name, "price": 10000, "stock": 5, "categoryId": category,
            "images": ["https://cdn.example.com/p.jpg"] } }),
        Some(&seller.access),
    )
    .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sitemap_lists_public_content_and_validates() {
    on_both(async |app: TestApp| {
        let admin = app.user_with_role("ADMIN").await;
        let (seller, store) = app.approved_seller(&admin, "Map Shop", "123-45-00000").await;
        let categories = app.gql_ok("{ categories { id } }", json!({}), None).await;
        let category = categories["categories"][0]["id"].clone();
        let shown = product(&app, &seller, &category, "Shown coat").await;
        let hidden = product(&app, &seller, &category, "Hidden coat").await;
        app.gql_ok(
            "mutation($id: ID!) { setProductStatus(id: $id, status: HIDDEN) { status } }",
            json!({ "id": hidden }),
            Some(&seller.access),
        )
        .await;
        let author = app.register("author@example.com", "author").await;
        let public = app
            .create_design(&author, json!({ "title": "Calm", "style": "MODERN", "roomType": "LIVING_ROOM", "visibility": "PUBLIC" }))
            .await;
        let private = app
            .create_design(&author, json!({ "title": "Mine", "style": "MODERN", "roomType": "BEDROOM", "visibility": "PRIVATE" }))
            .await;
        let post = app
            .gql_ok(
                "mutation { createPost(input: { body: \"hello\" }) { id } }",
                json!({}),
                Some(&author.access),
            )
            .await["createPost"]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let (status, robots, _, kind) = get(&app, "/robots.txt").await;
        assert_eq!(status, 200);
        assert!(kind.starts_with("text/plain"), "{kind}");
        assert!(robots.contains(&format!("Sitemap: {BASE}/sitemap.xml")), "{robots}");
        assert!(robots.contains("Disallow: /graphql"));

        let (status, index, cache, kind) = get(&app, "/sitemap.xml").await;
        assert_eq!(status, 200);
        assert!(kind.starts_with("application/xml"), "{kind}");
        assert_eq!(cache.as_deref(), Some("MISS"));
        assert_valid(&index, "siteindex.xsd");
        let (status, pages, _, _) = get(&app, "/sitemaps/pages-1.xml").await;
        assert_eq!(status, 200);
        assert_valid(&pages, "sitemap.xsd");
        assert!(pages.contains(&format!("<loc>{BASE}/</loc>")), "{pages}");
        for file in ["pages-1.xml", "products-1.xml", "stores-1.xml", "designs-1.xml", "posts-1.xml"] {
            assert!(index.contains(&format!("{BASE}/sitemaps/{file}")), "{file}: {index}");
        }
        // Cached (once the writes above have all been seen: each one bumps
        // the cache's version as its event is handled).
        assert_eq!(hit_within(&app, "/sitemap.xml").await, index);

        let (status, products, _, _) = get(&app, "/sitemaps/products-1.xml").await;
        assert_eq!(status, 200);
        assert_valid(&products, "sitemap.xsd");
        assert!(products.contains(&format!("{BASE}/products/{}<", numeric(&shown))), "{products}");
        assert!(!products.contains(&format!("{BASE}/products/{}<", numeric(&hidden))), "{products}");
        let (_, stores, _, _) = get(&app, "/sitemaps/stores-1.xml").await;
        assert_valid(&stores, "sitemap.xsd");
        assert!(stores.contains(&format!("{BASE}/stores/{}<", numeric(&store))));
        let (_, designs, _, _) = get(&app, "/sitemaps/designs-1.xml").await;
        assert_valid(&designs, "sitemap.xsd");
        assert!(designs.contains(&format!("{BASE}/designs/{}<", numeric(&public))));
        assert!(!designs.contains(&format!("{BASE}/designs/{}<", numeric(&private))));
        let (_, posts, _, _) = get(&app, "/sitemaps/posts-1.xml").await;
        assert_valid(&posts, "sitemap.xsd");
        assert!(posts.contains(&format!("{BASE}/posts/{}<", numeric(&post))));
        assert_eq!(hit_within(&app, "/sitemaps/products-1.xml").await, products);

        // A write invalidates: the new product is listed at once.
        let fresh = product(&app, &seller, &category, "New coat").await;
        let mut listed = String::new();
        for _ in 0..50 {
            listed = get(&app, "/sitemaps/products-1.xml").await.1;
            if listed.contains(&format!("/products/{}<", numeric(&fresh))) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(listed.contains(&format!("/products/{}<", numeric(&fresh))), "{listed}");
        assert_valid(&listed, "sitemap.xsd");

        for missing in ["/sitemaps/products-2.xml", "/sitemaps/users-1.xml", "/sitemaps/products-0.xml"] {
            assert_eq!(get(&app, missing).await.0, 404, "{missing}");
        }
        app.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_platform_has_a_valid_sitemap() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, &[("VITRINE_PUBLIC_URL", BASE)]).await
    else {
        return;
    };
    let (status, index, _, _) = get(&app, "/sitemap.xml").await;
    assert_eq!(status, 200);
    assert_valid(&index, "siteindex.xsd");
    assert_eq!(get(&app, "/sitemaps/products-1.xml").await.0, 404);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_types_carry_json_ld() {
    on_both(async |app: TestApp| {
        let admin = app.user_with_role("ADMIN").await;
        let (seller, store) = app.approved_seller(&admin, "Ld Shop", "123-45-11111").await;
        let categories = app.gql_ok("{ categories { id } }", json!({}), None).await;
        let category = categories["categories"][0]["id"].clone();
        let coat = product(&app, &seller, &category, "LD coat").await;
        let author = app.register("ld@example.com", "ld author").await;
        let design = app
            .create_design(&author, json!({ "title": "Calm", "prompt": "warm wood", "style": "MODERN", "roomType": "LIVING_ROOM", "visibility": "PUBLIC" }))
            .await;
        let private = app
            .create_design(&author, json!({ "title": "Mine", "style": "MODERN", "roomType": "BEDROOM", "visibility": "PRIVATE" }))
            .await;
        let post = app
            .gql_ok("mutation { createPost(input: { body: \"my new living room\" }) { id } }", json!({}), Some(&author.access))
            .await["createPost"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let q = "query($p: ID!, $s: ID!, $d: ID!, $x: ID!, $t: ID!) {
            product(id: $p) { structuredData } store(id: $s) { structuredData }
            design(id: $d) { structuredData } mine: design(id: $x) { structuredData }
            post(id: $t) { structuredData } }";
        let data = app
            .gql_ok(q, json!({ "p": coat, "s": store, "d": design, "x": private, "t": post }), Some(&author.access))
            .await;
        // Google's product snippet: name, and offers with price and currency.
        let p = &data["product"]["structuredData"];
        assert_eq!(p["@context"], "https://schema.org");
        assert_eq!(p["@type"], "Product");
        assert_eq!(p["name"], "LD coat");
        assert_eq!(p["offers"]["@type"], "Offer");
        assert_eq!(p["offers"]["price"], 10000);
        assert_eq!(p["offers"]["priceCurrency"], "KRW");
        assert_eq!(p["offers"]["availability"], "https://schema.org/InStock");
        assert_eq!(p["brand"]["name"], "Ld Shop");
        assert_eq!(p["image"][0], "https://cdn.example.com/p.jpg");
        assert_eq!(p["url"], format!("{BASE}/products/{}", numeric(&coat)));
        assert!(p.get("aggregateRating").is_none(), "no reviews, no rating: {p}");
        let s = &data["store"]["structuredData"];
        assert_eq!(s["@type"], json!(["Organization", "Brand"]));
        assert_eq!(s["name"], "Ld Shop");
        let d = &data["design"]["structuredData"];
        assert_eq!(d["@type"], "VisualArtwork");
        assert_eq!(d["name"], "Calm");
        assert_eq!(d["creator"]["name"], "ld author");
        assert!(d["image"].as_str().unwrap().starts_with(BASE), "{d}");
        assert!(data["mine"]["structuredData"].is_null(), "private designs have none");
        let t = &data["post"]["structuredData"];
        assert_eq!(t["@type"], "SocialMediaPosting");
        assert_eq!(t["text"], "my new living room");
        assert_eq!(t["author"]["name"], "ld author");
        assert!(t["datePublished"].is_string());
        app.stop().await.unwrap();
    })
    .await;
}
