//! The total and per-user limits under concurrent orders (exactly k
//! redemptions), cancellation giving a redemption back, and cancellations
//! racing new orders.
use std::sync::Arc;

use super::*;

on_both_databases!(
    concurrent_orders_redeem_exactly_the_limit,
    per_user_limit_holds_under_concurrent_orders,
    cancelling_gives_the_redemption_back,
    cancellations_racing_orders_never_exceed_the_limit,
);

/// One order of `item` per buyer (a buyer may appear more than once), all
/// at once, with `coupon`; each its own idempotency key. The answers.
async fn place_all(
    app: &Arc<TestApp>,
    buyers: Vec<SignedIn>,
    item: &str,
    coupon: &'static str,
    key: &str,
) -> Vec<Value> {
    let attempts = buyers.into_iter().enumerate().map(|(i, buyer)| {
        let (app, item, key) = (app.clone(), item.to_owned(), format!("{key}-{i:04}"));
        tokio::spawn(async move { place(&app, &buyer, &[(&item, 1)], Some(coupon), &key).await })
    });
    futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// THE limit: 16 buyers order at once with one coupon of total limit 5:
/// exactly 5 orders go through with the discount, the 11 others fail with
/// COUPON_EXHAUSTED and write nothing (stock shows it).
async fn concurrent_orders_redeem_exactly_the_limit(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Rush Shop", "40404040").await;
    let item = product(&app, &seller, "Rush sneaker", 50_000, 100).await;
    create(
        &app,
        &admin,
        json!({ "code": "FIRST5", "kind": "FIXED", "value": 5000, "maxRedemptions": 5 }),
    )
    .await;
    let mut buyers = Vec::new();
    for i in 0..16 {
        buyers.push(
            app.register(&format!("rush{i}@example.com"), &format!("rush{i}"))
                .await,
        );
    }
    let app = Arc::new(app);
    let results = place_all(&app, buyers, &item, "FIRST5", "rush-key").await;
    let ok: Vec<&Value> = results.iter().filter(|b| b["errors"].is_null()).collect();
    let exhausted = results
        .iter()
        .filter(|b| code(b) == "COUPON_EXHAUSTED" && scope_of(b) == "TOTAL")
        .count();
    assert_eq!(ok.len(), 5, "{results:?}");
    assert_eq!(exhausted, 11, "{results:?}");
    for body in ok {
        assert_eq!(body["data"]["placeOrder"]["discountAmount"], 5_000);
    }
    assert_eq!(redeemed(&app, &admin, "FIRST5").await, 5);
    assert_eq!(stock(&app, &item).await, 95);
}

/// A per-user limit of 2 with 8 concurrent orders of one buyer (each its own
/// idempotency key): exactly 2 redeem it; another buyer still can.
async fn per_user_limit_holds_under_concurrent_orders(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Twice Shop", "50505050").await;
    let item = product(&app, &seller, "Twice sneaker", 30_000, 100).await;
    create(
        &app,
        &admin,
        json!({ "code": "TWICE", "kind": "PERCENT", "value": 10, "perUserLimit": 2 }),
    )
    .await;
    let buyer = app.register("twice@example.com", "twice").await;
    let app = Arc::new(app);
    let results = place_all(&app, vec![buyer; 8], &item, "TWICE", "twice-key").await;
    let ok = results.iter().filter(|b| b["errors"].is_null()).count();
    let per_user = results
        .iter()
        .filter(|b| code(b) == "COUPON_EXHAUSTED" && scope_of(b) == "PER_USER")
        .count();
    assert_eq!(ok, 2, "{results:?}");
    assert_eq!(per_user, 6, "{results:?}");
    assert_eq!(stock(&app, &item).await, 98);

    let other = app.register("other@example.com", "other").await;
    let theirs = place(&app, &other, &[(&item, 1)], Some("TWICE"), "twice-other-1").await;
    assert!(theirs["errors"].is_null(), "{theirs}");
    assert_eq!(redeemed(&app, &admin, "TWICE").await, 3);
}

/// Cancelling an order gives its redemption back: with a limit of 1, a
/// second order fails until the first is cancelled, then succeeds.
async fn cancelling_gives_the_redemption_back(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Once Shop", "60606060").await;
    let item = product(&app, &seller, "Once sneaker", 20_000, 100).await;
    create(
        &app,
        &admin,
        json!({ "code": "ONLYONE", "kind": "FIXED", "value": 2000, "maxRedemptions": 1, "perUserLimit": 1 }),
    )
    .await;
    let buyer = app.register("once@example.com", "once").await;
    let first = place(
        &app,
        &buyer,
        &[(&item, 1)],
        Some("ONLYONE"),
        "once-key-0001",
    )
    .await;
    assert!(first["errors"].is_null(), "{first}");
    let first_id = first["data"]["placeOrder"]["id"].clone();
    // Replaying the same key answers the same order and redeems nothing more.
    let replayed = place(
        &app,
        &buyer,
        &[(&item, 1)],
        Some("ONLYONE"),
        "once-key-0001",
    )
    .await;
    assert_eq!(replayed["data"]["placeOrder"]["id"], first_id, "{replayed}");
    assert_eq!(redeemed(&app, &admin, "ONLYONE").await, 1);
    let second = place(
        &app,
        &buyer,
        &[(&item, 1)],
        Some("ONLYONE"),
        "once-key-0002",
    )
    .await;
    assert_eq!(code(&second), "COUPON_EXHAUSTED", "{second}");
    assert_eq!(redeemed(&app, &admin, "ONLYONE").await, 1);

    let cancelled = app
        .gql_ok(
            "mutation($id: ID!) { cancelOrder(id: $id) { status discountAmount } }",
            json!({ "id": first_id }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(cancelled["cancelOrder"]["status"], "CANCELLED");
    assert_eq!(redeemed(&app, &admin, "ONLYONE").await, 0);
    // Cancelling twice gives nothing more back.
    let again = app
        .gql(
            "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
            json!({ "id": first_id }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT");
    assert_eq!(redeemed(&app, &admin, "ONLYONE").await, 0);

    let third = place(
        &app,
        &buyer,
        &[(&item, 1)],
        Some("ONLYONE"),
        "once-key-0003",
    )
    .await;
    assert!(third["errors"].is_null(), "{third}");
    assert_eq!(third["data"]["placeOrder"]["discountAmount"], 2_000);
    assert_eq!(redeemed(&app, &admin, "ONLYONE").await, 1);
}

/// Live (not released) redemptions of `code`, counted in the database.
async fn live_redemptions(app: &TestApp, code: &str) -> i64 {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id \
             WHERE c.code = $1 AND r.released_at IS NULL"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id \
             WHERE c.code = ? AND r.released_at IS NULL"
        }
    };
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [code.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Any interleaving: a coupon of limit 3 is used up, then 2 of its orders
/// are cancelled while 10 other buyers order with it at once. However the
/// tasks interleave, at most 2 new orders get it, the counter equals the
/// live redemptions, and it never exceeds the limit.
async fn cancellations_racing_orders_never_exceed_the_limit(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Race Shop", "90909090").await;
    let item = product(&app, &seller, "Race sneaker", 20_000, 100).await;
    create(
        &app,
        &admin,
        json!({ "code": "RACE3", "kind": "FIXED", "value": 1000, "maxRedemptions": 3 }),
    )
    .await;
    let mut first = Vec::new();
    for i in 0..3 {
        let buyer = app
            .register(&format!("early{i}@example.com"), &format!("early{i}"))
            .await;
        let body = place(
            &app,
            &buyer,
            &[(&item, 1)],
            Some("RACE3"),
            &format!("early-key-{i:04}"),
        )
        .await;
        assert!(body["errors"].is_null(), "{body}");
        first.push((buyer, body["data"]["placeOrder"]["id"].clone()));
    }
    let mut late = Vec::new();
    for i in 0..10 {
        late.push(
            app.register(&format!("late{i}@example.com"), &format!("late{i}"))
                .await,
        );
    }
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for (buyer, order) in first.into_iter().take(2) {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let body = app
                .gql(
                    "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
                    json!({ "id": order }),
                    Some(&buyer.access),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            false
        }));
    }
    for (i, buyer) in late.into_iter().enumerate() {
        let (app, item) = (app.clone(), item.clone());
        tasks.push(tokio::spawn(async move {
            let body = place(
                &app,
                &buyer,
                &[(&item, 1)],
                Some("RACE3"),
                &format!("late-key-{i:04}"),
            )
            .await;
            if body["errors"].is_null() {
                true
            } else {
                assert_eq!(code(&body), "COUPON_EXHAUSTED", "{body}");
                false
            }
        }));
    }
    let placed = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .filter(|ok| *ok)
        .count() as i64;
    assert!(placed <= 2, "{placed} late orders got a coupon of limit 3");
    let count = redeemed(&app, &admin, "RACE3").await;
    assert_eq!(count, 1 + placed);
    assert_eq!(live_redemptions(&app, "RACE3").await, count);
    // Freed places are taken by the next orders, up to the limit exactly.
    let mut more = 0;
    for i in 0..3 {
        let buyer = app
            .register(&format!("after{i}@example.com"), &format!("after{i}"))
            .await;
        let body = place(
            &app,
            &buyer,
            &[(&item, 1)],
            Some("RACE3"),
            &format!("after-key-{i:04}"),
        )
        .await;
        if body["errors"].is_null() {
            more += 1;
        }
    }
    assert_eq!(more, 2 - placed);
    assert_eq!(redeemed(&app, &admin, "RACE3").await, 3);
    assert_eq!(live_redemptions(&app, "RACE3").await, 3);
}
