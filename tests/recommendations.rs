//! The recommender over HTTP (ML-2, ML-3, ML-5): training as a job, the
//! served version and its swap without a restart, personalised pages with
//! exclusions and per-store diversification, cold start, anonymous callers,
//! similar products exact against a brute-force scan, feedback, and
//! products listed after training.
mod common;

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use common::TestApp;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use vitrine::{
    demo,
    entities::{
        order,
        product::{self, ProductStatus},
    },
};

const RECOMMENDED: &str = "query($first: Int, $after: String) {
  recommendedProducts(first: $first, after: $after) {
    strategy modelVersion
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id gender store { id } category { id } } }
  }
}";

const SIMILAR: &str = "query($id: ID!, $first: Int) {
  similarProducts(productId: $id, first: $first) {
    strategy modelVersion
    edges { node { id } }
  }
}";

const TRAIN: &str = "mutation { trainRecommender { jobId } }";

const MODEL: &str = "{ recommenderModel { version trainedItems servedItems featureOnlyItems dim epochs finalLoss } }";

fn ids(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn product_id(global: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global)
        .unwrap();
    String::from_utf8(raw).unwrap()["Product:".len()..]
        .parse()
        .unwrap()
}

fn global(id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("Product:{id}"))
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let body = app.login(email, password, "test-device").await;
    common::signed_in(&body["data"]["login"]).access
}

/// The demo shop (6 stores, buyers with wishlists, orders and reviews).
async fn shop(app: &TestApp) -> String {
    demo::seed(&app.state, 11, 8, 12).await.expect("demo seed");
    sign_in(app, demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await
}

/// Starts `trainRecommender` and waits until a version other than
/// `previous` is served.
async fn train(app: &TestApp, admin: &str, previous: Option<&str>) -> String {
    let job = app.gql_ok(TRAIN, json!({}), Some(admin)).await;
    assert!(job["trainRecommender"]["jobId"].as_str().is_some());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let model = app.gql_ok(MODEL, json!({}), Some(admin)).await;
        if let Some(v) = model["recommenderModel"]["version"].as_str()
            && Some(v) != previous
        {
            return v.to_owned();
        }
        assert!(Instant::now() < deadline, "no model after 120 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn purchased_by(app: &TestApp, email: &str) -> HashSet<i64> {
    let user = vitrine::entities::user::Entity::find()
        .filter(vitrine::entities::user::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let orders: Vec<i64> = order::Entity::find()
        .filter(order::Column::BuyerId.eq(user.id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    order::line::Entity::find()
        .filter(order::line::Column::OrderId.is_in(orders))
        .filter(order::line::Column::Status.ne(order::OrderStatus::Cancelled))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.product_id)
        .collect()
}

fn assert_diversified(page: &Value, per_store: usize) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for e in page["edges"].as_array().unwrap() {
        *counts
            .entry(e["node"]["store"]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(
        counts.values().all(|&c| c <= per_store),
        "more than {per_store} of one store: {counts:?}"
    );
}

/// Personalised pages: no bought products, at most 3 per store per page,
/// pages that do not overlap; HIDE and NOT_INTERESTED change the next
/// response, and clearing the reaction brings the product back.
async fn personalised_exclusions_diversification_and_feedback(app: TestApp) {
    let admin = shop(&app).await;
    let buyer_email = "buyer01@demo.vitrine.dev";
    let buyer = sign_in(&app, buyer_email, demo::USER_PASSWORD).await;
    let bought = purchased_by(&app, buyer_email).await;
    assert!(!bought.is_empty(), "the demo buyer has orders");
    let version = train(&app, &admin, None).await;
    // The version carries the hybrid, and what the buyer bought has
    // neighbours in it: the hybrid ranks their page.
    let served = app.state.recommender.current().expect("served");
    let hybrid = served.hybrid.as_ref().expect("the version has a hybrid");
    assert!(hybrid.fitted > 0);
    let bought_rows: Vec<(usize, f32)> = bought
        .iter()
        .filter_map(|&id| served.index.row(id).map(|row| (row, 5.0)))
        .collect();
    assert!(hybrid.reaches(&bought_rows));
    drop(served);

    let first = app
        .gql_ok(RECOMMENDED, json!({ "first": 10 }), Some(&buyer))
        .await["recommendedProducts"]
        .clone();
    assert_eq!(first["strategy"], "PERSONALIZED");
    assert_eq!(first["modelVersion"], version.as_str());
    let page1 = ids(&first);
    assert_eq!(page1.len(), 10);
    assert!(page1.iter().all(|id| !bought.contains(&product_id(id))));
    assert_diversified(&first, 3);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);

    let second = app
        .gql_ok(
            RECOMMENDED,
            json!({ "first": 10, "after": first["pageInfo"]["endCursor"] }),
            Some(&buyer),
        )
        .await["recommendedProducts"]
        .clone();
    let page2 = ids(&second);
    assert!(!page2.is_empty());
    assert!(page2.iter().all(|id| !page1.contains(id)), "pages overlap");
    assert!(page2.iter().all(|id| !bought.contains(&product_id(id))));
    assert_diversified(&second, 3);

    // The same request twice gives the same page (nothing changed).
    let again = app
        .gql_ok(RECOMMENDED, json!({ "first": 10 }), Some(&buyer))
        .await;
    assert_eq!(ids(&again["recommendedProducts"]), page1);

    // HIDE: gone from the very next response.
    let hidden = page1[0].clone();
    let reacted = app
        .gql_ok(
            "mutation($id: ID!) { reactToRecommendation(productId: $id, reaction: HIDE) }",
            json!({ "id": hidden }),
            Some(&buyer),
        )
        .await;
    assert_eq!(reacted["reactToRecommendation"], true);
    let after_hide = ids(&app
        .gql_ok(RECOMMENDED, json!({ "first": 30 }), Some(&buyer))
        .await["recommendedProducts"]);
    assert!(!after_hide.contains(&hidden));
    assert_eq!(after_hide[0], page1[1], "the rest moves up");

    // NOT_INTERESTED: excluded, and the vector moves away from it.
    let rejected = after_hide[0].clone();
    app.gql_ok(
        "mutation($id: ID!) { reactToRecommendation(productId: $id, reaction: NOT_INTERESTED) }",
        json!({ "id": rejected }),
        Some(&buyer),
    )
    .await;
    let after_reject = ids(&app
        .gql_ok(RECOMMENDED, json!({ "first": 30 }), Some(&buyer))
        .await["recommendedProducts"]);
    assert!(!after_reject.contains(&rejected) && !after_reject.contains(&hidden));
    let expected_without: Vec<&String> = after_hide.iter().filter(|id| **id != rejected).collect();
    assert_ne!(
        after_reject.iter().collect::<Vec<_>>(),
        expected_without[..after_reject.len().min(expected_without.len())].to_vec(),
        "a negative reaction re-ranks, not only removes"
    );

    // Taking the HIDE back restores the product.
    let cleared = app
        .gql_ok(
            "mutation($id: ID!) { clearRecommendationReaction(productId: $id) }",
            json!({ "id": hidden }),
            Some(&buyer),
        )
        .await;
    assert_eq!(cleared["clearRecommendationReaction"], true);
    let restored = ids(&app
        .gql_ok(RECOMMENDED, json!({ "first": 100 }), Some(&buyer))
        .await["recommendedProducts"]);
    assert!(restored.contains(&hidden));

    // Bad input: a coded error, nothing written.
    let bad = app
        .gql(
            "mutation { reactToRecommendation(productId: \"nope\", reaction: HIDE) }",
            json!({}),
            Some(&buyer),
        )
        .await;
    assert_eq!(common::code(&bad), "VALIDATION");
    let anonymous = app
        .gql(
            "mutation($id: ID!) { reactToRecommendation(productId: $id, reaction: HIDE) }",
            json!({ "id": hidden }),
            None,
        )
        .await;
    assert_eq!(common::code(&anonymous), "UNAUTHENTICATED");
    let missing = app
        .gql(
            "mutation($id: ID!) { reactToRecommendation(productId: $id, reaction: HIDE) }",
            json!({ "id": global(999_999) }),
            Some(&buyer),
        )
        .await;
    assert_eq!(common::code(&missing), "NOT_FOUND");
}

/// No model, no activity: popular products of the viewer's gender; with a
/// viewed product, its category first; anonymous: popular everywhere.
async fn cold_start_and_anonymous(app: TestApp) {
    shop(&app).await;
    let active = product::Entity::find()
        .filter(product::Column::Status.eq(ProductStatus::Active))
        .order_by_desc(product::Column::Popularity)
        .order_by_desc(product::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap();

    let anonymous =
        app.gql_ok(RECOMMENDED, json!({ "first": 10 }), None).await["recommendedProducts"].clone();
    assert_eq!(anonymous["strategy"], "POPULAR");
    assert_eq!(anonymous["modelVersion"], Value::Null);
    let expected: Vec<String> = active.iter().take(10).map(|p| global(p.id)).collect();
    assert_eq!(ids(&anonymous), expected);

    let newcomer = app.register("newcomer@example.com", "newcomer").await;
    app.gql_ok(
        "mutation { updateMe(input: { gender: FEMALE }) { id } }",
        json!({}),
        Some(&newcomer.access),
    )
    .await;
    let cold = app
        .gql_ok(RECOMMENDED, json!({ "first": 20 }), Some(&newcomer.access))
        .await["recommendedProducts"]
        .clone();
    assert_eq!(cold["strategy"], "POPULAR_FOR_YOU");
    let suits: Vec<String> = active
        .iter()
        .filter(|p| p.gender != product::ProductGender::Male)
        .take(20)
        .map(|p| global(p.id))
        .collect();
    assert_eq!(
        ids(&cold),
        suits,
        "FEMALE and UNISEX products by popularity"
    );

    // One view: that product's category comes first (still no model).
    let viewed = active
        .iter()
        .rev()
        .find(|p| p.gender != product::ProductGender::Male)
        .unwrap();
    app.gql_ok(
        "mutation($events: [BehaviorEventInput!]!) { trackEvents(events: $events) { accepted } }",
        json!({ "events": [{
            "clientEventId": "view-1", "type": "VIEW", "targetType": "PRODUCT",
            "targetId": global(viewed.id), "occurredAt": chrono::Utc::now().to_rfc3339()
        }] }),
        Some(&newcomer.access),
    )
    .await;
    let warmed = app
        .gql_ok(RECOMMENDED, json!({ "first": 5 }), Some(&newcomer.access))
        .await["recommendedProducts"]
        .clone();
    assert_eq!(warmed["strategy"], "POPULAR_FOR_YOU");
    let category = viewed.category_id;
    let in_category: Vec<String> = active
        .iter()
        .filter(|p| p.gender != product::ProductGender::Male && p.category_id == category)
        .take(5)
        .map(|p| global(p.id))
        .collect();
    assert_eq!(ids(&warmed)[..in_category.len()], in_category[..]);
}

/// `similarProducts` equals a brute-force scan of the served vectors, and
/// a product listed after training is placed by its features alone.
async fn similar_products_exact_and_new_products(app: TestApp) {
    let admin = shop(&app).await;
    train(&app, &admin, None).await;
    let served = app.state.recommender.current().expect("served");
    let anchor = served.index.ids[3];
    let got = app
        .gql_ok(SIMILAR, json!({ "id": global(anchor), "first": 12 }), None)
        .await["similarProducts"]
        .clone();
    assert_eq!(got["strategy"], "PERSONALIZED");

    // Brute force: every inner product in plain Rust.
    let vectors: Vec<Vec<f32>> = (0..served.index.len())
        .map(|row| Vec::<f32>::try_from(&served.index.vector(row)).unwrap())
        .collect();
    let a = &vectors[3];
    let mut scored: Vec<(i64, f32)> = vectors
        .iter()
        .enumerate()
        .filter(|(row, _)| *row != 3)
        .map(|(row, v)| {
            (
                served.index.ids[row],
                v.iter().zip(a).map(|(x, y)| x * y).sum(),
            )
        })
        .collect();
    scored.sort_by(|x, y| y.1.total_cmp(&x.1));
    let expected: Vec<String> = scored.iter().take(12).map(|(id, _)| global(*id)).collect();
    assert_eq!(ids(&got), expected);

    // A product listed now: indexed within a couple of seconds, by features.
    let seller = sign_in(&app, "seller1@demo.vitrine.dev", demo::USER_PASSWORD).await;
    let like = product::Entity::find_by_id(anchor)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let category = app
        .gql_ok(
            "query($id: ID!) { product(id: $id) { category { id } } }",
            json!({ "id": global(anchor) }),
            None,
        )
        .await["product"]["category"]["id"]
        .clone();
    let created = app
        .gql_ok(
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }",
            json!({ "input": {
                "name": "Brand new coat", "price": like.price, "stock": 5,
                "categoryId": category, "gender": "UNISEX", "colors": ["black"]
            } }),
            Some(&seller),
        )
        .await["createProduct"]["id"]
        .clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let model = app.gql_ok(MODEL, json!({}), Some(&admin)).await;
        if model["recommenderModel"]["featureOnlyItems"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new product was never indexed: {model}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let near_new = app
        .gql_ok(SIMILAR, json!({ "id": created, "first": 5 }), None)
        .await["similarProducts"]
        .clone();
    assert_eq!(near_new["strategy"], "PERSONALIZED");
    assert_eq!(ids(&near_new).len(), 5);
}

/// Retraining swaps the served version while requests keep flowing (none
/// fails, each is answered by one version or the other); `CURRENT` pointed
/// back at the old version (as `vitrine ml use` does) is picked up without a
/// restart; a second training while one runs is a CONFLICT; the admin gets
/// an ADMIN_ALERT.
async fn model_swap_without_restart(app: TestApp) {
    let admin = shop(&app).await;
    let buyer = sign_in(&app, "buyer02@demo.vitrine.dev", demo::USER_PASSWORD).await;
    let v1 = train(&app, &admin, None).await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..8 {
        let http = app.http.clone();
        let url = app.url("/graphql");
        let token = buyer.clone();
        let stop = stop.clone();
        load.push(tokio::spawn(async move {
            let mut versions = HashSet::new();
            let mut n = 0;
            loop {
                // The request after `stop` is seen starts after the swap.
                let stopping = stop.load(std::sync::atomic::Ordering::SeqCst);
                let body: Value = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "query": RECOMMENDED, "variables": { "first": 10 } }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(body.get("errors").is_none(), "{body}");
                let page = &body["data"]["recommendedProducts"];
                assert_eq!(ids(page).len(), 10);
                versions.insert(page["modelVersion"].as_str().unwrap().to_owned());
                n += 1;
                if stopping && n >= 5 {
                    break;
                }
            }
            versions
        }));
    }
    let v2 = train(&app, &admin, Some(&v1)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut seen = HashSet::new();
    for task in load {
        seen.extend(task.await.unwrap());
    }
    assert!(seen.iter().all(|v| *v == v1 || *v == v2), "{seen:?}");
    assert!(
        seen.contains(&v2),
        "requests after the swap use the new version"
    );

    // Roll back by pointing CURRENT at the first version.
    recommender::store::set_current(&app.state.config.ml.dir, &v1).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let model = app.gql_ok(MODEL, json!({}), Some(&admin)).await;
        if model["recommenderModel"]["version"] == v1.as_str() {
            break;
        }
        assert!(Instant::now() < deadline, "CURRENT never picked up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // One training queued or running at a time; admins only.
    let queued = app
        .state
        .jobs
        .enqueue(
            &app.state.db,
            &vitrine::domain::recommendations::TrainRecommender {},
            vitrine::jobs::Enqueue {
                run_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
                active_key: Some(vitrine::domain::recommendations::TRAINING_KEY.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let busy = app.gql(TRAIN, json!({}), Some(&admin)).await;
    assert_eq!(common::code(&busy), "CONFLICT");
    app.state.jobs.cancel(queued).await.unwrap();
    let forbidden = app.gql(TRAIN, json!({}), Some(&buyer)).await;
    assert_eq!(common::code(&forbidden), "FORBIDDEN");

    let alerts = app
        .gql_ok(
            "{ notifications(first: 10) { edges { node { kind } } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let kinds: Vec<&str> = alerts["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "ADMIN_ALERT").count(),
        2,
        "{kinds:?}"
    );
}

on_both_databases!(
    personalised_exclusions_diversification_and_feedback,
    cold_start_and_anonymous,
    similar_products_exact_and_new_products,
    model_swap_without_restart,
);
