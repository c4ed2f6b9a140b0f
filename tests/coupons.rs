//! Coupons over HTTP (EXT-4), on SQLite and PostgreSQL: who makes them,
//! their validation, the cart's discount and why it does not apply, store
//! coupons covering only their store's lines, the split discount an order
//! stores and ordering the cart with its coupon. `limits`: the total and
//! per-user limits under concurrent orders (exactly k redemptions) and
//! cancellation giving a redemption back; `refunds`: a returned line
//! refunds its share of the discount.
mod common;

use common::{SignedIn, TestApp, category_id, code};
use serde_json::{Value, json};

#[path = "coupons/limits.rs"]
mod limits;
#[path = "coupons/refunds.rs"]
mod refunds;

on_both_databases!(
    admins_and_sellers_make_coupons_buyers_cannot,
    coupon_input_is_validated,
    cart_shows_the_discount_or_why_not,
    cart_order_uses_the_applied_coupon,
    store_coupon_discounts_only_its_store,
    order_stores_the_split_discount,
);

const CREATE: &str = "mutation($i: CreateCouponInput!) { createCoupon(input: $i) { coupon { id code kind value maxDiscount minSpend startsAt endsAt maxRedemptions perUserLimit redeemedCount active store { id } } } }";
const UPDATE: &str = "mutation($i: UpdateCouponInput!) { updateCoupon(input: $i) { coupon { id active maxRedemptions endsAt redeemedCount } } }";
const LIST: &str = "{ coupons(first: 50) { edges { node { code store { id } } } } }";
const BY_CODE: &str =
    "query($c: String!) { coupon(code: $c) { code kind value redeemedCount store { id } } }";
const CART_FIELDS: &str = "subtotal discount couponInvalidReason appliedCoupon { code } items { id lineTotal product { id } }";

fn apply_mutation() -> String {
    format!(
        "mutation($i: ApplyCouponInput!) {{ applyCoupon(input: $i) {{ cart {{ {CART_FIELDS} }} }} }}"
    )
}

fn cart_query() -> String {
    format!("{{ myCart {{ {CART_FIELDS} }} }}")
}

const PLACE_ORDER: &str =
    "mutation($i: PlaceOrderInput!, $k: String!) { placeOrder(input: $i, idempotencyKey: $k) {
    id status totalAmount subtotalAmount discountAmount shippingFee coupon { code }
    lines { id status lineTotal discountAmount shippingFee paidAmount product { id } } } }";

fn shipping() -> Value {
    json!({ "recipient": "김민수", "phone": "010-1234-5678", "address": "서울시 마포구 월드컵로 1", "memo": "" })
}

async fn product(app: &TestApp, seller: &SignedIn, name: &str, price: i64, stock: i64) -> String {
    let shoes = category_id(app, "05shoes").await;
    let data = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "name": name, "price": price, "stock": stock, "categoryId": shoes } }),
            Some(&seller.access),
        )
        .await;
    data["createProduct"]["id"].as_str().unwrap().to_owned()
}

async fn create(app: &TestApp, who: &SignedIn, input: Value) -> Value {
    app.gql_ok(CREATE, json!({ "i": input }), Some(&who.access))
        .await["createCoupon"]["coupon"]
        .clone()
}

/// Places an order of `lines` (product id, quantity), optionally with a code.
async fn place(
    app: &TestApp,
    buyer: &SignedIn,
    lines: &[(&str, i64)],
    coupon: Option<&str>,
    key: &str,
) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(p, q)| json!({ "productId": p, "quantity": q }))
        .collect();
    let mut input = json!({ "from": { "lines": lines }, "shipping": shipping() });
    if let Some(c) = coupon {
        input["couponCode"] = json!(c);
    }
    app.gql(
        PLACE_ORDER,
        json!({ "i": input, "k": key }),
        Some(&buyer.access),
    )
    .await
}

async fn add_to_cart(app: &TestApp, buyer: &SignedIn, product: &str, quantity: i64) {
    app.gql_ok(
        "mutation($id: ID!, $q: Int) { addToCart(productId: $id, quantity: $q) { itemCount } }",
        json!({ "id": product, "q": quantity }),
        Some(&buyer.access),
    )
    .await;
}

async fn stock(app: &TestApp, product: &str) -> i64 {
    app.gql_ok(
        "query($id: ID!) { product(id: $id) { stock } }",
        json!({ "id": product }),
        None,
    )
    .await["product"]["stock"]
        .as_i64()
        .unwrap()
}

async fn redeemed(app: &TestApp, admin: &SignedIn, code: &str) -> i64 {
    app.gql_ok(BY_CODE, json!({ "c": code }), Some(&admin.access))
        .await["coupon"]["redeemedCount"]
        .as_i64()
        .unwrap()
}

fn reason_of(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("<no reason>")
}

fn scope_of(body: &Value) -> &str {
    body["errors"][0]["extensions"]["scope"]
        .as_str()
        .unwrap_or("<no scope>")
}

/// Admins make platform coupons, sellers their store's; buyers cannot.
/// Codes are upper-cased and unique whatever their case; each side lists
/// what it manages; anyone reads a coupon by code without its counters.
async fn admins_and_sellers_make_coupons_buyers_cannot(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, store) = app
        .approved_seller(&admin, "Coupon Maker", "11122233")
        .await;
    let (other_seller, _) = app.approved_seller(&admin, "Other Maker", "44455566").await;
    let buyer = app.register("buyer@example.com", "buyer").await;

    let platform = create(
        &app,
        &admin,
        json!({ "code": "welcome10", "kind": "PERCENT", "value": 10, "maxDiscount": 5000 }),
    )
    .await;
    assert_eq!(platform["code"], "WELCOME10");
    assert_eq!(platform["kind"], "PERCENT");
    assert_eq!(platform["maxDiscount"], 5000);
    assert!(platform["store"].is_null());
    assert_eq!(platform["redeemedCount"], 0);
    assert_eq!(platform["active"], true);

    let ours = create(
        &app,
        &seller,
        json!({ "code": "Maker-5000", "kind": "FIXED", "value": 5000, "minSpend": 30000, "maxRedemptions": 10, "perUserLimit": 1 }),
    )
    .await;
    assert_eq!(ours["code"], "MAKER-5000");
    assert_eq!(ours["store"]["id"], store);
    assert_eq!(ours["minSpend"], 30000);

    let refused = app
        .gql(
            CREATE,
            json!({ "i": { "code": "MINE", "kind": "FIXED", "value": 1000 } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let anonymous = app
        .gql(
            CREATE,
            json!({ "i": { "code": "ANON", "kind": "FIXED", "value": 1000 } }),
            None,
        )
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    // The same code in another case is taken.
    let taken = app
        .gql(
            CREATE,
            json!({ "i": { "code": "WELCOME10", "kind": "FIXED", "value": 1000 } }),
            Some(&other_seller.access),
        )
        .await;
    assert_eq!(code(&taken), "CONFLICT", "{taken}");

    let all = app.gql_ok(LIST, json!({}), Some(&admin.access)).await;
    let codes: Vec<&str> = all["coupons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["MAKER-5000", "WELCOME10"]);
    let mine = app.gql_ok(LIST, json!({}), Some(&seller.access)).await;
    assert_eq!(mine["coupons"]["edges"].as_array().unwrap().len(), 1);
    let theirs = app
        .gql_ok(LIST, json!({}), Some(&other_seller.access))
        .await;
    assert_eq!(theirs["coupons"]["edges"].as_array().unwrap().len(), 0);
    let buyer_list = app.gql(LIST, json!({}), Some(&buyer.access)).await;
    assert_eq!(code(&buyer_list), "FORBIDDEN");

    // Anyone reads a coupon by code, without its counters.
    let shown = app
        .gql_ok(BY_CODE, json!({ "c": "maker-5000" }), None)
        .await;
    assert_eq!(shown["coupon"]["code"], "MAKER-5000");
    assert!(shown["coupon"]["redeemedCount"].is_null());
    let shown = app
        .gql_ok(BY_CODE, json!({ "c": "maker-5000" }), Some(&seller.access))
        .await;
    assert_eq!(shown["coupon"]["redeemedCount"], 0);
    let none = app.gql_ok(BY_CODE, json!({ "c": "NOPE-NOPE" }), None).await;
    assert!(none["coupon"].is_null());

    // Only its store's seller (or an admin) changes a coupon.
    let foreign = app
        .gql(
            UPDATE,
            json!({ "i": { "id": ours["id"], "active": false } }),
            Some(&other_seller.access),
        )
        .await;
    assert_eq!(code(&foreign), "NOT_FOUND", "{foreign}");
    let platform_by_seller = app
        .gql(
            UPDATE,
            json!({ "i": { "id": platform["id"], "active": false } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(code(&platform_by_seller), "NOT_FOUND");
    let changed = app
        .gql_ok(
            UPDATE,
            json!({ "i": { "id": ours["id"], "active": false, "maxRedemptions": null } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(changed["updateCoupon"]["coupon"]["active"], false);
    assert!(changed["updateCoupon"]["coupon"]["maxRedemptions"].is_null());
    let by_admin = app
        .gql_ok(
            UPDATE,
            json!({ "i": { "id": ours["id"], "active": true, "maxRedemptions": 3 } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(by_admin["updateCoupon"]["coupon"]["maxRedemptions"], 3);
}

/// Every amount is a positive KRW integer, a percentage 1-100, a window
/// ends after it starts, limits are at least 1, codes are well-formed.
async fn coupon_input_is_validated(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let cases = [
        (
            json!({ "code": "NEG", "kind": "FIXED", "value": -1000 }),
            "value",
        ),
        (
            json!({ "code": "ZERO", "kind": "FIXED", "value": 0 }),
            "value",
        ),
        (
            json!({ "code": "PCT0", "kind": "PERCENT", "value": 0 }),
            "value",
        ),
        (
            json!({ "code": "PCT101", "kind": "PERCENT", "value": 101 }),
            "value",
        ),
        (
            json!({ "code": "CAPFIX", "kind": "FIXED", "value": 1000, "maxDiscount": 500 }),
            "maxDiscount",
        ),
        (
            json!({ "code": "CAPNEG", "kind": "PERCENT", "value": 10, "maxDiscount": -5 }),
            "maxDiscount",
        ),
        (
            json!({ "code": "MINNEG", "kind": "FIXED", "value": 1000, "minSpend": -1 }),
            "minSpend",
        ),
        (
            json!({ "code": "BACKWARDS", "kind": "FIXED", "value": 1000,
                    "startsAt": "2026-12-10T00:00:00Z", "endsAt": "2026-12-01T00:00:00Z" }),
            "endsAt",
        ),
        (
            json!({ "code": "SAMEINSTANT", "kind": "FIXED", "value": 1000,
                    "startsAt": "2026-12-10T00:00:00Z", "endsAt": "2026-12-10T00:00:00Z" }),
            "endsAt",
        ),
        (
            json!({ "code": "LIMIT0", "kind": "FIXED", "value": 1000, "maxRedemptions": 0 }),
            "maxRedemptions",
        ),
        (
            json!({ "code": "USER0", "kind": "FIXED", "value": 1000, "perUserLimit": -2 }),
            "perUserLimit",
        ),
        (
            json!({ "code": "no spaces", "kind": "FIXED", "value": 1000 }),
            "code",
        ),
        (
            json!({ "code": "AB", "kind": "FIXED", "value": 1000 }),
            "code",
        ),
    ];
    for (input, field) in cases {
        let body = app
            .gql(CREATE, json!({ "i": input.clone() }), Some(&admin.access))
            .await;
        assert_eq!(code(&body), "VALIDATION", "{input}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{input}: {body}"
        );
    }
    // Nothing was made.
    let all = app.gql_ok(LIST, json!({}), Some(&admin.access)).await;
    assert_eq!(all["coupons"]["edges"].as_array().unwrap().len(), 0);

    // An update is checked against the coupon's other terms.
    let made = create(
        &app,
        &admin,
        json!({ "code": "WINDOW", "kind": "FIXED", "value": 1000, "startsAt": "2026-12-10T00:00:00Z" }),
    )
    .await;
    let body = app
        .gql(
            UPDATE,
            json!({ "i": { "id": made["id"], "endsAt": "2026-12-09T00:00:00Z" } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
}

/// `applyCoupon` shows the discount in the cart; below the minimum spend
/// the coupon stays with the reason and no discount; an expired coupon is
/// refused, and one that expires after being applied shows EXPIRED.
async fn cart_shows_the_discount_or_why_not(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Cart Shop", "77788899").await;
    let buyer = app.register("cart@example.com", "cart").await;
    let tee = product(&app, &seller, "Tee", 25_000, 50).await;
    add_to_cart(&app, &buyer, &tee, 2).await;

    let pct = create(
        &app,
        &admin,
        json!({ "code": "TENOFF", "kind": "PERCENT", "value": 10, "maxDiscount": 4000 }),
    )
    .await;
    let applied = app
        .gql_ok(
            &apply_mutation(),
            json!({ "i": { "code": "tenoff" } }),
            Some(&buyer.access),
        )
        .await;
    let cart = &applied["applyCoupon"]["cart"];
    assert_eq!(cart["subtotal"], 50_000);
    // 10 % of 50,000 is 5,000, capped at 4,000.
    assert_eq!(cart["discount"], 4_000);
    assert_eq!(cart["appliedCoupon"]["code"], "TENOFF");
    assert!(cart["couponInvalidReason"].is_null());

    // Below the minimum spend: kept on the cart, no discount, the reason.
    create(
        &app,
        &admin,
        json!({ "code": "BIGSPEND", "kind": "FIXED", "value": 10000, "minSpend": 60000 }),
    )
    .await;
    let applied = app
        .gql_ok(
            &apply_mutation(),
            json!({ "i": { "code": "BIGSPEND" } }),
            Some(&buyer.access),
        )
        .await;
    let cart = &applied["applyCoupon"]["cart"];
    assert_eq!(cart["appliedCoupon"]["code"], "BIGSPEND");
    assert_eq!(cart["discount"], 0);
    assert_eq!(cart["couponInvalidReason"], "BELOW_MINIMUM_SPEND");
    // Ordering with it fails and writes nothing.
    let refused = place(
        &app,
        &buyer,
        &[(&tee, 2)],
        Some("BIGSPEND"),
        "below-min-0001",
    )
    .await;
    assert_eq!(code(&refused), "COUPON_NOT_APPLICABLE", "{refused}");
    assert_eq!(reason_of(&refused), "BELOW_MINIMUM_SPEND");
    assert_eq!(stock(&app, &tee).await, 50);
    // One more tee reaches it.
    add_to_cart(&app, &buyer, &tee, 1).await;
    let cart = app
        .gql_ok(&cart_query(), json!({}), Some(&buyer.access))
        .await;
    assert_eq!(cart["myCart"]["discount"], 10_000);
    assert!(cart["myCart"]["couponInvalidReason"].is_null());

    // An expired coupon is refused outright; an unknown code is NOT_FOUND.
    create(
        &app,
        &admin,
        json!({ "code": "OLDONE", "kind": "FIXED", "value": 1000,
                "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2020-02-01T00:00:00Z" }),
    )
    .await;
    let expired = app
        .gql(
            &apply_mutation(),
            json!({ "i": { "code": "OLDONE" } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&expired), "COUPON_NOT_APPLICABLE", "{expired}");
    assert_eq!(reason_of(&expired), "EXPIRED");
    let unknown = app
        .gql(
            &apply_mutation(),
            json!({ "i": { "code": "NO-SUCH-CODE" } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&unknown), "NOT_FOUND");
    // The refused ones did not replace the applied coupon.
    let cart = app
        .gql_ok(&cart_query(), json!({}), Some(&buyer.access))
        .await;
    assert_eq!(cart["myCart"]["appliedCoupon"]["code"], "BIGSPEND");

    // A coupon that expires while on the cart shows EXPIRED; a deactivated
    // one INACTIVE.
    app.gql_ok(
        &apply_mutation(),
        json!({ "i": { "code": "TENOFF" } }),
        Some(&buyer.access),
    )
    .await;
    app.gql_ok(
        UPDATE,
        json!({ "i": { "id": pct["id"], "endsAt": "2021-01-01T00:00:00Z" } }),
        Some(&admin.access),
    )
    .await;
    let cart = app
        .gql_ok(&cart_query(), json!({}), Some(&buyer.access))
        .await;
    assert_eq!(cart["myCart"]["couponInvalidReason"], "EXPIRED");
    assert_eq!(cart["myCart"]["discount"], 0);
    app.gql_ok(
        UPDATE,
        json!({ "i": { "id": pct["id"], "endsAt": null, "active": false } }),
        Some(&admin.access),
    )
    .await;
    let cart = app
        .gql_ok(&cart_query(), json!({}), Some(&buyer.access))
        .await;
    assert_eq!(cart["myCart"]["couponInvalidReason"], "INACTIVE");

    let removed = app
        .gql_ok(
            &format!("mutation {{ removeCoupon {{ cart {{ {CART_FIELDS} }} }} }}"),
            json!({}),
            Some(&buyer.access),
        )
        .await;
    assert!(removed["removeCoupon"]["cart"]["appliedCoupon"].is_null());
    assert_eq!(removed["removeCoupon"]["cart"]["discount"], 0);
}

/// A store coupon discounts only its store's lines, in the cart and in the
/// order; its minimum spend counts only those lines; without a line of its
/// store it does not apply.
async fn store_coupon_discounts_only_its_store(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller_a, _) = app.approved_seller(&admin, "Store A", "10101010").await;
    let (seller_b, _) = app.approved_seller(&admin, "Store B", "20202020").await;
    let buyer = app.register("mixed@example.com", "mixed").await;
    let a = product(&app, &seller_a, "A shoe", 40_000, 20).await;
    let b = product(&app, &seller_b, "B shoe", 100_000, 20).await;
    create(
        &app,
        &seller_a,
        json!({ "code": "ASTORE20", "kind": "PERCENT", "value": 20, "minSpend": 50000 }),
    )
    .await;

    add_to_cart(&app, &buyer, &a, 1).await;
    add_to_cart(&app, &buyer, &b, 1).await;
    let applied = app
        .gql_ok(
            &apply_mutation(),
            json!({ "i": { "code": "ASTORE20" } }),
            Some(&buyer.access),
        )
        .await;
    // 140,000 in the cart, but only A's 40,000 counts: below 50,000.
    assert_eq!(
        applied["applyCoupon"]["cart"]["couponInvalidReason"],
        "BELOW_MINIMUM_SPEND"
    );
    add_to_cart(&app, &buyer, &a, 1).await;
    let cart = app
        .gql_ok(&cart_query(), json!({}), Some(&buyer.access))
        .await;
    assert_eq!(cart["myCart"]["discount"], 16_000);

    let placed = place(
        &app,
        &buyer,
        &[(&a, 2), (&b, 1)],
        Some("astore20"),
        "store-coupon-1",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let order = &placed["data"]["placeOrder"];
    assert_eq!(order["discountAmount"], 16_000);
    assert_eq!(order["coupon"]["code"], "ASTORE20");
    for line in order["lines"].as_array().unwrap() {
        let expected = if line["product"]["id"] == a.as_str() {
            16_000
        } else {
            0
        };
        assert_eq!(line["discountAmount"], expected, "{line}");
    }
    assert_eq!(order["subtotalAmount"], 180_000);
    assert_eq!(
        order["totalAmount"].as_i64().unwrap(),
        180_000 - 16_000 + order["shippingFee"].as_i64().unwrap()
    );

    // Only B's lines: the coupon has nothing to discount.
    let none = place(&app, &buyer, &[(&b, 1)], Some("ASTORE20"), "store-coupon-2").await;
    assert_eq!(code(&none), "COUPON_NOT_APPLICABLE", "{none}");
    assert_eq!(reason_of(&none), "NO_ELIGIBLE_LINES");
}

/// A fixed discount split over three lines pro rata (largest remainder):
/// the shares sum to the discount, each is stored on its line, the total
/// is the lines less the discount plus shipping.
async fn order_stores_the_split_discount(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Split Shop", "30303030").await;
    let buyer = app.register("split@example.com", "split").await;
    let p1 = product(&app, &seller, "One", 10_000, 10).await;
    let p2 = product(&app, &seller, "Two", 10_000, 10).await;
    let p3 = product(&app, &seller, "Three", 10_000, 10).await;
    create(
        &app,
        &admin,
        json!({ "code": "THIRDS", "kind": "FIXED", "value": 10000 }),
    )
    .await;
    let placed = place(
        &app,
        &buyer,
        &[(&p1, 1), (&p2, 1), (&p3, 1)],
        Some("THIRDS"),
        "split-order-1",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let order = &placed["data"]["placeOrder"];
    assert_eq!(order["discountAmount"], 10_000);
    let mut shares: Vec<i64> = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["discountAmount"].as_i64().unwrap())
        .collect();
    shares.sort_unstable();
    assert_eq!(shares, [3_333, 3_333, 3_334]);
    assert_eq!(
        order["totalAmount"].as_i64().unwrap(),
        30_000 - 10_000 + order["shippingFee"].as_i64().unwrap()
    );
    // What each line cost (the most its return refunds) adds up to the
    // order's total and is never negative.
    let paid: Vec<i64> = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let n = |k: &str| l[k].as_i64().unwrap();
            assert_eq!(
                n("paidAmount"),
                n("lineTotal") - n("discountAmount") + n("shippingFee")
            );
            n("paidAmount")
        })
        .collect();
    assert!(paid.iter().all(|p| *p >= 0), "{paid:?}");
    assert_eq!(
        paid.iter().sum::<i64>(),
        order["totalAmount"].as_i64().unwrap()
    );

    // A fixed coupon larger than the order discounts the whole of it and
    // no line goes negative.
    create(
        &app,
        &admin,
        json!({ "code": "HUGE", "kind": "FIXED", "value": 1000000 }),
    )
    .await;
    let placed = place(
        &app,
        &buyer,
        &[(&p1, 1), (&p2, 2)],
        Some("HUGE"),
        "split-order-2",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let order = &placed["data"]["placeOrder"];
    assert_eq!(order["discountAmount"], 30_000);
    for line in order["lines"].as_array().unwrap() {
        assert_eq!(line["discountAmount"], line["lineTotal"], "{line}");
    }
    assert_eq!(order["totalAmount"], order["shippingFee"]);
}

/// Ordering the cart without a code uses the coupon applied to it; the
/// cart's choice is then cleared with the ordered lines.
async fn cart_order_uses_the_applied_coupon(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Cart Order", "70707070").await;
    let buyer = app.register("cartorder@example.com", "cartorder").await;
    let item = product(&app, &seller, "Cart sneaker", 45_000, 10).await;
    create(
        &app,
        &admin,
        json!({ "code": "CARTFIVE", "kind": "FIXED", "value": 5000 }),
    )
    .await;
    add_to_cart(&app, &buyer, &item, 2).await;
    app.gql_ok(
        &apply_mutation(),
        json!({ "i": { "code": "cartfive" } }),
        Some(&buyer.access),
    )
    .await;
    let placed = app
        .gql(
            PLACE_ORDER,
            json!({ "i": { "from": { "cart": true }, "shipping": shipping() }, "k": "cart-coupon-0001" }),
            Some(&buyer.access),
        )
        .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let order = &placed["data"]["placeOrder"];
    assert_eq!(order["discountAmount"], 5_000);
    assert_eq!(order["coupon"]["code"], "CARTFIVE");
    assert_eq!(
        order["totalAmount"].as_i64().unwrap(),
        90_000 - 5_000 + order["shippingFee"].as_i64().unwrap()
    );
    let cart = app
        .gql_ok(&cart_query(), json!({}), Some(&buyer.access))
        .await;
    assert!(cart["myCart"]["appliedCoupon"].is_null(), "{cart}");
    assert_eq!(cart["myCart"]["items"].as_array().unwrap().len(), 0);
    assert_eq!(redeemed(&app, &admin, "CARTFIVE").await, 1);
}
