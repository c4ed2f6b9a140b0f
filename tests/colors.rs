//! Colour intelligence (COMM-3) end to end: a design's image is analysed by
//! the COLOR_ANALYSIS job queued with it; its palette and theme show on
//! `Design`; `designsByColor` ranks by the weighted HSL distance and
//! `designs(filter: {theme})` filters by mood. SQLite and PostgreSQL.
mod common;

use std::{io::Cursor, time::Duration};

use common::{Backend, SignedIn, TestApp, code};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

on_sqlite_and_postgres!(
    designs_are_analysed_and_found_by_colour_and_mood,
    undecodable_images_fail_the_job_not_the_design,
    products_with_stored_images_are_found_by_colour_and_mood,
);

const CREATE: &str =
    "mutation($i: CreateDesignInput!) { createDesign(input: $i) { id colorTheme palette } }";
const DESIGN: &str = "query($id: ID!) { design(id: $id) { id palette colorTheme } }";
const BY_COLOR: &str = "query($c: String!, $first: Int, $after: String) { designsByColor(color: $c, first: $first, after: $after) { edges { cursor node { id palette } } pageInfo { hasNextPage endCursor } } }";

fn png(rgb: [u8; 3]) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(320, 240, |x, y| {
        // A little texture, so the image is not one flat colour.
        let d = ((x / 40 + y / 40) % 2) as u8 * 6;
        Rgb(rgb.map(|c| c.saturating_sub(d)))
    }));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn design(
    app: &TestApp,
    who: &SignedIn,
    title: &str,
    image: Vec<u8>,
    visibility: &str,
) -> String {
    let (status, body) = app
        .gql_upload(
            CREATE,
            json!({ "i": { "title": title, "style": "MODERN", "roomType": "LIVING_ROOM", "sourceImage": null, "visibility": visibility } }),
            vec![("variables.i.sourceImage", "room.png", image)],
            Some(&who.access),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    // Not analysed yet when the mutation answers: that is the job's work.
    body["data"]["createDesign"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until the design's colours are analysed; returns the design.
async fn analysed(app: &TestApp, who: &SignedIn, id: &str) -> Value {
    for _ in 0..100 {
        let d = app
            .gql_ok(DESIGN, json!({ "id": id }), Some(&who.access))
            .await["design"]
            .clone();
        if !d["colorTheme"].is_null() {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("design {id} was not analysed");
}

fn ids(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn designs_are_analysed_and_found_by_colour_and_mood(app: TestApp) {
    let ana = app.register("ana-colour@example.com", "ana").await;
    let ben = app.register("ben-colour@example.com", "ben").await;
    let navy = design(&app, &ana, "navy", png([30, 50, 140]), "PUBLIC").await;
    let blue = design(&app, &ana, "blue", png([40, 90, 200]), "PUBLIC").await;
    let pink = design(&app, &ana, "pink", png([255, 209, 220]), "PUBLIC").await;
    let grey = design(&app, &ana, "grey", png([128, 128, 128]), "PUBLIC").await;
    let hidden = design(&app, &ben, "ben's navy", png([30, 50, 140]), "PRIVATE").await;

    let d = analysed(&app, &ana, &navy).await;
    assert_eq!(d["colorTheme"], "COOL");
    let palette: Vec<&str> = d["palette"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(!palette.is_empty() && palette.len() <= 6, "{palette:?}");
    assert!(palette[0].starts_with('#') && palette[0].len() == 7);
    assert_eq!(analysed(&app, &ana, &blue).await["colorTheme"], "COOL");
    assert_eq!(analysed(&app, &ana, &pink).await["colorTheme"], "PASTEL");
    assert_eq!(
        analysed(&app, &ana, &grey).await["colorTheme"],
        "MONOCHROME"
    );
    analysed(&app, &ben, &hidden).await;

    // Nearest first: navy, then the lighter blue; never pink or grey, and
    // never someone else's private design.
    let found = app
        .gql_ok(BY_COLOR, json!({ "c": "navy" }), Some(&ana.access))
        .await;
    assert_eq!(ids(&found["designsByColor"]), [navy.clone(), blue.clone()]);
    let found = app
        .gql_ok(BY_COLOR, json!({ "c": "#1e328c" }), Some(&ben.access))
        .await;
    let found_ids = ids(&found["designsByColor"]);
    assert!(
        found_ids.contains(&hidden) && found_ids.contains(&navy),
        "{found_ids:?}"
    );
    assert!(!found_ids.contains(&pink));
    let found = app.gql_ok(BY_COLOR, json!({ "c": "분홍" }), None).await;
    assert_eq!(ids(&found["designsByColor"]), vec![pink.clone()]);
    // Pages follow the ranking.
    let first = app
        .gql_ok(
            BY_COLOR,
            json!({ "c": "navy", "first": 1 }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(ids(&first["designsByColor"]), vec![navy.clone()]);
    assert_eq!(first["designsByColor"]["pageInfo"]["hasNextPage"], true);
    let after = first["designsByColor"]["pageInfo"]["endCursor"].clone();
    let second = app
        .gql_ok(
            BY_COLOR,
            json!({ "c": "navy", "first": 1, "after": after }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(ids(&second["designsByColor"]), vec![blue.clone()]);
    assert_eq!(second["designsByColor"]["pageInfo"]["hasNextPage"], false);
    // Not a colour: VALIDATION on `color`.
    let body = app.gql(BY_COLOR, json!({ "c": "rainbow" }), None).await;
    assert_eq!(code(&body), "VALIDATION");
    assert_eq!(body["errors"][0]["extensions"]["field"], "color");

    // Mood filter.
    let pastel = app
        .gql_ok(
            "{ designs(filter: { theme: PASTEL }) { edges { node { id } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(ids(&pastel["designs"]), vec![pink.clone()]);
    let cool = app
        .gql_ok(
            "{ designs(filter: { theme: COOL }) { edges { node { id } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(ids(&cool["designs"]), [blue.clone(), navy]);
    // And in search, once the index has caught up with the analysis.
    let search = "query($t: ColorTheme) { search(query: \"modern\", types: [DESIGN], theme: $t) { designs { edges { node { id } } } } }";
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app.gql_ok(search, json!({ "t": "PASTEL" }), None).await;
        if ids(&last["search"]["designs"]) == vec![pink.clone()] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ids(&last["search"]["designs"]), [pink], "{last:#}");
    // Each analysis reaches the index on its own; wait for the grey one too.
    let mut grey_only = Value::Null;
    for _ in 0..100 {
        grey_only = app.gql_ok(search, json!({ "t": "MONOCHROME" }), None).await;
        if ids(&grey_only["search"]["designs"]) == vec![grey.clone()] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        ids(&grey_only["search"]["designs"]),
        [grey],
        "{grey_only:#}"
    );
}

async fn undecodable_images_fail_the_job_not_the_design(app: TestApp) {
    let ana = app.register("ana-broken@example.com", "ana").await;
    // PNG magic, then nothing an image decoder can read: refused at once.
    let mut garbage = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    garbage.extend_from_slice(&[7u8; 200]);
    let (_, body) = app
        .gql_upload(
            CREATE,
            json!({ "i": { "title": "garbage", "style": "MODERN", "roomType": "LIVING_ROOM", "sourceImage": null } }),
            vec![("variables.i.sourceImage", "room.png", garbage)],
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a readable image")
    );
    // A PNG cut short (a broken upload): the header reads, the pixels do not.
    let mut truncated = png([30, 50, 140]);
    truncated.truncate(120);
    let id = design(&app, &ana, "truncated", truncated, "PUBLIC").await;
    // The job gives up at once (no retry can decode it) with its reason.
    let admin = app.user_with_role("ADMIN").await;
    let mut dead = Value::Null;
    for _ in 0..100 {
        let jobs = app
            .gql_ok(
                "{ adminJobs(state: DEAD, first: 10) { edges { node { kind state attempts lastError } } } }",
                json!({}),
                Some(&admin.access),
            )
            .await;
        if let Some(job) = jobs["adminJobs"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["kind"] == "COLOR_ANALYSIS")
        {
            dead = job["node"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(dead["attempts"], 1, "{dead:#}");
    assert!(
        dead["lastError"]
            .as_str()
            .unwrap()
            .contains("cannot be decoded"),
        "{dead:#}"
    );
    // The design is there, without colours.
    let d = app
        .gql_ok(DESIGN, json!({ "id": id }), Some(&ana.access))
        .await;
    assert_eq!(d["design"]["colorTheme"], Value::Null);
    assert_eq!(d["design"]["palette"], json!([]));
}

/// The URL of a stored file holding `image` (uploaded as a design's source;
/// product photo uploads come with OPS-4).
async fn stored_image_url(app: &TestApp, who: &SignedIn, image: Vec<u8>) -> String {
    let id = design(app, who, "photo", image, "PRIVATE").await;
    app.gql_ok(
        "query($id: ID!) { design(id: $id) { sourceImageUrl } }",
        json!({ "id": id }),
        Some(&who.access),
    )
    .await["design"]["sourceImageUrl"]
        .as_str()
        .map(|url| {
            // Relative without VITRINE_PUBLIC_URL; product images are
            // absolute http(s) URLs.
            if url.starts_with('/') {
                app.url(url)
            } else {
                url.to_owned()
            }
        })
        .unwrap()
}

async fn coat_category(app: &TestApp) -> String {
    let data = app
        .gql_ok("{ categories { children { id code } } }", json!({}), None)
        .await;
    data["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|root| root["children"].as_array().unwrap().iter())
        .find(|c| c["code"] == "01outer_01coat")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .unwrap()
}

const PRODUCT: &str = "query($id: ID!) { product(id: $id) { palette colorTheme } }";
const PRODUCTS_BY_COLOR: &str =
    "query($c: String!) { productsByColor(color: $c) { edges { node { id name } } } }";

async fn products_with_stored_images_are_found_by_colour_and_mood(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Colour Shop", "123-45-67890")
        .await;
    let coat = coat_category(&app).await;
    let red_photo = stored_image_url(&app, &seller, png([200, 40, 30])).await;
    let blue_photo = stored_image_url(&app, &seller, png([30, 60, 190])).await;
    let create = |name: &str, images: Vec<String>| json!({ "i": { "name": name, "price": 10000, "stock": 3, "categoryId": coat, "images": images } });
    let create_product = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let red = app
        .gql_ok(
            create_product,
            create("Red coat", vec![red_photo.clone()]),
            Some(&seller.access),
        )
        .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let blue = app
        .gql_ok(
            create_product,
            create("Blue coat", vec![blue_photo]),
            Some(&seller.access),
        )
        .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Images stored elsewhere are not fetched: no analysis, no job.
    let elsewhere = app
        .gql_ok(
            create_product,
            create("Linked coat", vec!["https://cdn.example/coat.jpg".into()]),
            Some(&seller.access),
        )
        .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut theme = Value::Null;
    for _ in 0..100 {
        let p = app.gql_ok(PRODUCT, json!({ "id": red }), None).await;
        let b = app.gql_ok(PRODUCT, json!({ "id": blue }), None).await;
        if !p["product"]["colorTheme"].is_null() && !b["product"]["colorTheme"].is_null() {
            theme = p["product"]["colorTheme"].clone();
            assert_eq!(b["product"]["colorTheme"], "COOL");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(theme, "WARM");
    let linked = app.gql_ok(PRODUCT, json!({ "id": elsewhere }), None).await;
    assert_eq!(linked["product"]["colorTheme"], Value::Null);
    assert_eq!(linked["product"]["palette"], json!([]));

    let found = app
        .gql_ok(PRODUCTS_BY_COLOR, json!({ "c": "red" }), None)
        .await;
    assert_eq!(ids(&found["productsByColor"]), vec![red.clone()]);
    let found = app
        .gql_ok(PRODUCTS_BY_COLOR, json!({ "c": "#1e3cbe" }), None)
        .await;
    assert_eq!(ids(&found["productsByColor"]), vec![blue.clone()]);
    let warm = app
        .gql_ok(
            "{ products(filter: { theme: WARM }) { edges { node { id } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(ids(&warm["products"]), vec![red.clone()]);
    let search = "{ search(query: \"coat\", types: [PRODUCT], productFilter: { theme: WARM }) { products { edges { node { id } } } } }";
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app.gql_ok(search, json!({}), None).await;
        if ids(&last["search"]["products"]) == vec![red.clone()] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        ids(&last["search"]["products"]),
        vec![red.clone()],
        "{last:#}"
    );

    // New images elsewhere: the old colours go.
    app.gql_ok(
        "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }",
        json!({ "id": red, "i": { "images": ["https://cdn.example/red.jpg"] } }),
        Some(&seller.access),
    )
    .await;
    for _ in 0..100 {
        let p = app.gql_ok(PRODUCT, json!({ "id": red }), None).await;
        if p["product"]["colorTheme"].is_null() {
            let found = app
                .gql_ok(PRODUCTS_BY_COLOR, json!({ "c": "red" }), None)
                .await;
            assert!(ids(&found["productsByColor"]).is_empty());
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replaced image's colours stayed");
}
