//! The shop's everyday features of issue 22, end to end over HTTP on SQLite
//! and PostgreSQL: variants with their own stock and price, addresses
//! copied onto orders, shipping fees and free-shipping thresholds in the
//! cart and the order, carrier tracking, and returns refunded through the
//! payments module (against the local Stripe fake).
mod common;

use std::time::Duration;

use common::{SignedIn, TestApp, code, stripe::FakeStripe};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id stock options variants { id sku size color label stock price priceOverride } } }";
const PLACE: &str = "mutation($i: PlaceOrderInput!, $k: String!) { placeOrder(input: $i, idempotencyKey: $k) { id totalAmount subtotalAmount shippingFee discountAmount recipient phone address postalCode roadAddress detailAddress memo lines { id option unitPrice quantity lineTotal shippingFee paidAmount variant { sku size color } } } }";
const ADVANCE: &str = "mutation($id: ID!, $s: OrderStatus!, $c: Carrier, $t: String) { advanceOrderLine(id: $id, status: $s, carrier: $c, trackingNumber: $t) { status carrier trackingNumber trackingUrl shippedAt deliveredAt } }";
const PRODUCT: &str =
    "query($id: ID!) { product(id: $id) { stock options variants { label stock } } }";

with_stripe!(
    variants_carry_their_own_stock_and_price,
    concurrent_orders_never_oversell_a_variant,
    addresses_are_copied_onto_orders,
    shipping_fees_follow_each_store_and_its_threshold,
    shipped_lines_carry_tracking,
);

#[path = "fulfilment/returns.rs"]
mod returns;

struct Shop {
    admin: SignedIn,
    seller: SignedIn,
    category: Value,
}

async fn shop(app: &TestApp, name: &str, license: &str) -> Shop {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, name, license).await;
    let categories = app.gql_ok("{ categories { id } }", json!({}), None).await;
    Shop {
        admin,
        seller,
        category: categories["categories"][0]["id"].clone(),
    }
}

async fn product(app: &TestApp, shop: &Shop, extra: Value) -> Value {
    let mut input = json!({ "name": "Wool coat", "description": "coat", "price": 10000,
        "categoryId": shop.category, "gender": "UNISEX", "images": ["https://cdn.example.com/c.jpg"] });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    app.gql_ok(CREATE, json!({ "i": input }), Some(&shop.seller.access))
        .await["createProduct"]
        .clone()
}

fn free_form() -> Value {
    json!({ "recipient": "Kim", "phone": "010-1234-5678", "address": "Seoul Mapo-gu 1", "memo": "" })
}

async fn place(app: &TestApp, buyer: &SignedIn, input: Value, key: &str) -> Value {
    // Keys are 8+ characters; the tests name them briefly.
    let key = format!("fulfilment-{key}");
    app.gql(PLACE, json!({ "i": input, "k": key }), Some(&buyer.access))
        .await
}

async fn place_ok(app: &TestApp, buyer: &SignedIn, input: Value, key: &str) -> Value {
    let body = place(app, buyer, input, key).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["placeOrder"].clone()
}

fn line(product: &Value, option: &str, quantity: i64) -> Value {
    json!({ "productId": product["id"], "option": option, "quantity": quantity })
}

async fn variants_of(app: &TestApp, product: &Value) -> Value {
    app.gql_ok(PRODUCT, json!({ "id": product["id"] }), None)
        .await["product"]
        .clone()
}

async fn variants_carry_their_own_stock_and_price(app: TestApp, _fake: FakeStripe) {
    let shop = shop(&app, "Variant Shop", "111-22-44444").await;
    let coat = product(
        &app,
        &shop,
        json!({ "variants": [
            { "size": "S", "color": "Black", "stock": 2 },
            { "size": "M", "color": "Black", "stock": 0, "sku": "COAT-M-BLK" },
            { "size": "L", "color": "Camel", "stock": 3, "price": 12000 },
        ] }),
    )
    .await;
    assert_eq!(coat["stock"], 5);
    assert_eq!(
        coat["options"],
        json!(["S / Black", "M / Black", "L / Camel"])
    );
    assert_eq!(coat["variants"][1]["sku"], "COAT-M-BLK");
    assert_eq!(coat["variants"][2]["price"], 12000);
    assert_eq!(coat["variants"][0]["price"], 10000);
    assert!(coat["variants"][0]["priceOverride"].is_null());

    // Bad variant lists.
    for (bad, field) in [
        (json!({ "variants": [] }), "variants"),
        (
            json!({ "variants": [{ "size": "S", "stock": 1 }, { "size": "s", "stock": 1 }] }),
            "variants",
        ),
        (
            json!({ "variants": [{ "size": "S", "stock": -1 }] }),
            "stock",
        ),
        (
            json!({ "variants": [{ "size": "S", "stock": 1 }], "stock": 3 }),
            "variants",
        ),
        (
            json!({ "variants": [{ "size": "S", "stock": 1, "sku": "no spaces" }] }),
            "sku",
        ),
    ] {
        let mut input = json!({ "name": "Bad", "price": 1000, "categoryId": shop.category });
        for (k, v) in bad.as_object().unwrap() {
            input[k] = v.clone();
        }
        let body = app
            .gql(CREATE, json!({ "i": input }), Some(&shop.seller.access))
            .await;
        assert_eq!(code(&body), "VALIDATION", "{bad}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }

    // "In stock in size M" sees only variant stock.
    let in_size = |size: &str| json!({ "f": { "inStockSize": size } });
    let q = "query($f: ProductFilterInput) { products(filter: $f, first: 50) { edges { node { id } } } }";
    let ids = |v: Value| -> Vec<Value> {
        v["products"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    assert!(ids(app.gql_ok(q, in_size("S"), None).await).contains(&coat["id"]));
    assert!(!ids(app.gql_ok(q, in_size("m"), None).await).contains(&coat["id"]));
    let camel = json!({ "f": { "inStockSize": "L", "inStockColor": "camel" } });
    assert!(ids(app.gql_ok(q, camel, None).await).contains(&coat["id"]));
    let black_l = json!({ "f": { "inStockSize": "L", "inStockColor": "Black" } });
    assert!(!ids(app.gql_ok(q, black_l, None).await).contains(&coat["id"]));

    // The cart prices and checks the variant.
    let buyer = app.register("variant-buyer@example.com", "vb").await;
    let add = "mutation($p: ID!, $o: String, $q: Int!) { addToCart(productId: $p, option: $o, quantity: $q) { itemCount } }";
    let out = app
        .gql(
            add,
            json!({ "p": coat["id"], "o": "M / Black", "q": 1 }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&out), "OUT_OF_STOCK", "{out}");
    app.gql_ok(
        add,
        json!({ "p": coat["id"], "o": "l / camel", "q": 2 }),
        Some(&buyer.access),
    )
    .await;
    let cart = app
        .gql_ok(
            "{ myCart { subtotal shippingFee total items { option unitPrice lineTotal available variant { sku stock } } } }",
            json!({}),
            Some(&buyer.access),
        )
        .await["myCart"]
        .clone();
    assert_eq!(cart["items"][0]["option"], "L / Camel");
    assert_eq!(cart["items"][0]["unitPrice"], 12000);
    assert_eq!(cart["subtotal"], 24000);
    assert_eq!(cart["total"], 24000);

    // An order takes stock from the variant and the product's total alike.
    let placed = place_ok(
        &app,
        &buyer,
        json!({ "from": { "cart": true }, "shipping": free_form() }),
        "variant-order-1",
    )
    .await;
    assert_eq!(placed["totalAmount"], 24000);
    assert_eq!(placed["lines"][0]["variant"]["size"], "L");
    assert_eq!(placed["lines"][0]["unitPrice"], 12000);
    let after = variants_of(&app, &coat).await;
    assert_eq!(after["stock"], 3);
    assert_eq!(after["variants"][2]["stock"], 1);
    let over = place(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&coat, "L / Camel", 2)] }, "shipping": free_form() }),
        "variant-order-2",
    )
    .await;
    assert_eq!(code(&over), "OUT_OF_STOCK");
    // Cancelling gives the variant its stock back.
    app.gql_ok(
        "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
        json!({ "id": placed["id"] }),
        Some(&buyer.access),
    )
    .await;
    let back = variants_of(&app, &coat).await;
    assert_eq!(back["stock"], 5);
    assert_eq!(back["variants"][2]["stock"], 3);

    // The seller manages variants one by one; the product mirrors them.
    let v_m = coat["variants"][1]["id"].clone();
    let upd = "mutation($i: UpdateProductVariantInput!) { updateProductVariant(input: $i) { variant { stock price } product { stock } } }";
    let updated = app
        .gql_ok(
            upd,
            json!({ "i": { "id": v_m, "stock": 4, "price": 9000 } }),
            Some(&shop.seller.access),
        )
        .await["updateProductVariant"]
        .clone();
    assert_eq!(updated["variant"]["stock"], 4);
    assert_eq!(updated["variant"]["price"], 9000);
    assert_eq!(updated["product"]["stock"], 9);
    let stranger = app.register("not-the-seller@example.com", "nts").await;
    let denied = app
        .gql(
            upd,
            json!({ "i": { "id": v_m, "stock": 1 } }),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(code(&denied), "FORBIDDEN");
    let added = app
        .gql_ok(
            "mutation($i: AddProductVariantInput!) { addProductVariant(input: $i) { variant { label stock } product { stock options } } }",
            json!({ "i": { "productId": coat["id"], "variant": { "size": "XL", "color": "Black", "stock": 1 } } }),
            Some(&shop.seller.access),
        )
        .await["addProductVariant"]
        .clone();
    assert_eq!(added["variant"]["label"], "XL / Black");
    assert_eq!(added["product"]["stock"], 10);
    let removed = app
        .gql_ok(
            "mutation($i: RemoveProductVariantInput!) { removeProductVariant(input: $i) { product { stock options } } }",
            json!({ "i": { "id": v_m } }),
            Some(&shop.seller.access),
        )
        .await["removeProductVariant"]
        .clone();
    assert_eq!(removed["product"]["stock"], 6);
    assert_eq!(
        removed["product"]["options"],
        json!(["S / Black", "L / Camel", "XL / Black"])
    );

    // A product created the old way gets one variant per option, stock split.
    let shirt = product(
        &app,
        &shop,
        json!({ "stock": 7, "options": ["S", "M", "L"] }),
    )
    .await;
    let split: Vec<i64> = shirt["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["stock"].as_i64().unwrap())
        .collect();
    assert_eq!(split, vec![3, 2, 2]);
    // Several variants: stock is set per variant, not on the product.
    let per_variant = app
        .gql(
            "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { stock } }",
            json!({ "id": shirt["id"], "i": { "stock": 10 } }),
            Some(&shop.seller.access),
        )
        .await;
    assert_eq!(code(&per_variant), "VALIDATION");
    // Options edited on the product: new sizes start empty, removed ones go.
    let synced = app
        .gql_ok(
            "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { stock options variants { label stock } } }",
            json!({ "id": shirt["id"], "i": { "options": ["M", "L", "XL"] } }),
            Some(&shop.seller.access),
        )
        .await["updateProduct"]
        .clone();
    assert_eq!(synced["options"], json!(["M", "L", "XL"]));
    assert_eq!(synced["stock"], 4);
    let plain = product(&app, &shop, json!({ "stock": 4 })).await;
    assert_eq!(plain["variants"][0]["label"], Value::Null);
    assert_eq!(plain["variants"][0]["stock"], 4);
    drop(shop.admin);
}

async fn concurrent_orders_never_oversell_a_variant(app: TestApp, _fake: FakeStripe) {
    let shop = shop(&app, "Race Shop", "111-22-55555").await;
    let tee = product(
        &app,
        &shop,
        json!({ "variants": [{ "size": "M", "stock": 5 }, { "size": "L", "stock": 50 }] }),
    )
    .await;
    let mut buyers = Vec::new();
    for i in 0..16 {
        buyers.push(
            app.register(&format!("racer{i}@example.com"), &format!("racer{i}"))
                .await,
        );
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (i, buyer) in buyers.into_iter().enumerate() {
        let app = app.clone();
        let tee = tee.clone();
        tasks.push(tokio::spawn(async move {
            let input = json!({ "from": { "lines": [line(&tee, "M", 1), line(&tee, "L", 1)] }, "shipping": free_form() });
            place(&app, &buyer, input, &format!("race-{i}")).await
        }));
    }
    let mut placed = 0;
    for t in tasks {
        let body = t.await.unwrap();
        if body["errors"].is_null() {
            placed += 1;
        } else {
            assert_eq!(code(&body), "OUT_OF_STOCK", "{body}");
        }
    }
    assert_eq!(placed, 5, "exactly the M stock");
    let after = variants_of(&app, &tee).await;
    assert_eq!(after["variants"][0]["stock"], 0);
    assert_eq!(
        after["variants"][1]["stock"], 45,
        "failed orders took nothing"
    );
    assert_eq!(after["stock"], 45);
}

async fn addresses_are_copied_onto_orders(app: TestApp, _fake: FakeStripe) {
    let shop = shop(&app, "Address Shop", "111-22-66666").await;
    let cup = product(&app, &shop, json!({ "stock": 20 })).await;
    let buyer = app.register("addr-buyer@example.com", "ab").await;
    // No address at all: a clear error.
    let none = place(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&cup, "", 1)] } }),
        "addr-0",
    )
    .await;
    assert_eq!(code(&none), "VALIDATION");
    let save = "mutation($i: SaveAddressInput!) { saveAddress(input: $i) { address { id } } }";
    let home = app
        .gql_ok(
            save,
            json!({ "i": { "label": "집", "isDefault": true, "address": { "recipient": "김민지", "phone": "01012345678",
                "postalCode": "06236", "roadAddress": "서울특별시 강남구 테헤란로 152", "detailAddress": "12층" } } }),
            Some(&buyer.access),
        )
        .await["saveAddress"]["address"]["id"]
        .clone();
    // The default address when none is named.
    let by_default = place_ok(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&cup, "", 1)] }, "memo": "문 앞" }),
        "addr-1",
    )
    .await;
    assert_eq!(by_default["postalCode"], "06236");
    assert_eq!(by_default["recipient"], "김민지");
    assert_eq!(by_default["phone"], "010-1234-5678");
    assert_eq!(
        by_default["address"],
        "(06236) 서울특별시 강남구 테헤란로 152, 12층"
    );
    assert_eq!(by_default["memo"], "문 앞");
    // By id; a later edit of the book leaves the order alone.
    let by_id = place_ok(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&cup, "", 1)] }, "addressId": home }),
        "addr-2",
    )
    .await;
    app.gql_ok(
        save,
        json!({ "i": { "id": home, "label": "집", "address": { "recipient": "김민지", "phone": "010-1234-5678",
            "postalCode": "04750", "roadAddress": "서울특별시 성동구 왕십리로 83", "detailAddress": "" } } }),
        Some(&buyer.access),
    )
    .await;
    let reread = app
        .gql_ok(
            "query($id: ID!) { order(id: $id) { postalCode roadAddress } }",
            json!({ "id": by_id["id"] }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(reread["order"]["postalCode"], "06236");
    assert_eq!(
        reread["order"]["roadAddress"],
        "서울특별시 강남구 테헤란로 152"
    );
    // Typed in at checkout, checked like the book's.
    let typed = json!({ "recipient": "Lee", "phone": "02-123-4567", "postalCode": "03187",
        "roadAddress": "서울특별시 종로구 세종대로 172", "detailAddress": "" });
    let inline = place_ok(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&cup, "", 1)] }, "address": typed }),
        "addr-3",
    )
    .await;
    assert_eq!(inline["address"], "(03187) 서울특별시 종로구 세종대로 172");
    let mut bad = typed.clone();
    bad["postalCode"] = json!("1234");
    let refused = place(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&cup, "", 1)] }, "address": bad }),
        "addr-4",
    )
    .await;
    assert_eq!(code(&refused), "VALIDATION");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "postalCode");
    // Someone else's address, and two sources at once.
    let other = app.register("addr-other@example.com", "ao").await;
    let theirs = place(
        &app,
        &other,
        json!({ "from": { "lines": [line(&cup, "", 1)] }, "addressId": home }),
        "addr-5",
    )
    .await;
    assert_eq!(code(&theirs), "NOT_FOUND");
    let both = place(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&cup, "", 1)] }, "addressId": home, "shipping": free_form() }),
        "addr-6",
    )
    .await;
    assert_eq!(code(&both), "VALIDATION");
    // Nothing was taken by the refused orders: 3 placed.
    assert_eq!(variants_of(&app, &cup).await["stock"], 17);
}

async fn shipping_fees_follow_each_store_and_its_threshold(app: TestApp, _fake: FakeStripe) {
    let a = shop(&app, "Fee Shop", "111-22-77777").await;
    let b_seller = app.register("fee-b@example.com", "Other Fee Shop").await;
    let b_store = app
        .gql_ok(
            "mutation($i: ApplyForStoreInput!) { applyForStore(input: $i) { id } }",
            json!({ "i": { "name": "Other Fee Shop", "licenseNumber": "111-22-88888", "description": "b" } }),
            Some(&b_seller.access),
        )
        .await["applyForStore"]["id"]
        .clone();
    app.gql_ok(
        "mutation($id: ID!) { reviewStore(id: $id, decision: APPROVE) { status } }",
        json!({ "id": b_store }),
        Some(&a.admin.access),
    )
    .await;
    let b = Shop {
        admin: a.admin.clone(),
        seller: b_seller,
        category: a.category.clone(),
    };
    let ship = "mutation($i: UpdateStoreShippingInput!) { updateStoreShipping(input: $i) { shippingFee freeShippingThreshold } }";
    let set = app
        .gql_ok(
            ship,
            json!({ "i": { "shippingFee": 3000, "freeShippingThreshold": 30000 } }),
            Some(&a.seller.access),
        )
        .await;
    assert_eq!(set["updateStoreShipping"]["shippingFee"], 3000);
    app.gql_ok(
        ship,
        json!({ "i": { "shippingFee": 2500, "freeShippingThreshold": null } }),
        Some(&b.seller.access),
    )
    .await;
    let negative = app
        .gql(
            ship,
            json!({ "i": { "shippingFee": -1 } }),
            Some(&a.seller.access),
        )
        .await;
    assert_eq!(code(&negative), "VALIDATION");
    let buyer_only = app.register("fee-buyer@example.com", "fb").await;
    let not_seller = app
        .gql(
            ship,
            json!({ "i": { "shippingFee": 0 } }),
            Some(&buyer_only.access),
        )
        .await;
    assert_eq!(code(&not_seller), "FORBIDDEN");

    let pa = product(&app, &a, json!({ "stock": 50, "price": 10000 })).await;
    let pa2 = product(&app, &a, json!({ "stock": 50, "price": 5000 })).await;
    let pb = product(&app, &b, json!({ "stock": 50, "price": 7000 })).await;
    let buyer = buyer_only;
    let add =
        "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { itemCount } }";
    for (p, q) in [(&pa, 1), (&pa2, 1), (&pb, 1)] {
        app.gql_ok(add, json!({ "p": p["id"], "q": q }), Some(&buyer.access))
            .await;
    }
    let cart = app
        .gql_ok(
            "{ myCart { subtotal shippingFee total } }",
            json!({}),
            Some(&buyer.access),
        )
        .await["myCart"]
        .clone();
    assert_eq!(cart["subtotal"], 22000);
    assert_eq!(
        cart["shippingFee"], 5500,
        "3000 (A, under 30000) + 2500 (B)"
    );
    assert_eq!(cart["total"], 27500);
    let placed = place_ok(
        &app,
        &buyer,
        json!({ "from": { "cart": true }, "shipping": free_form() }),
        "fee-1",
    )
    .await;
    assert_eq!(placed["subtotalAmount"], 22000);
    assert_eq!(placed["shippingFee"], 5500);
    assert_eq!(placed["totalAmount"], 27500);
    // Store A's fee split over its two lines in proportion (10000 : 5000).
    let shares: Vec<(i64, i64)> = placed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["lineTotal"].as_i64().unwrap(),
                l["shippingFee"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(shares.contains(&(10000, 2000)), "{shares:?}");
    assert!(shares.contains(&(5000, 1000)), "{shares:?}");
    assert!(shares.contains(&(7000, 2500)), "{shares:?}");
    let paid: i64 = placed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["paidAmount"].as_i64().unwrap())
        .sum();
    assert_eq!(paid, 27500);
    // From the threshold on, A ships free.
    let free = place_ok(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&pa, "", 3)] }, "shipping": free_form() }),
        "fee-2",
    )
    .await;
    assert_eq!(free["shippingFee"], 0);
    assert_eq!(free["totalAmount"], 30000);
}

async fn shipped_lines_carry_tracking(app: TestApp, _fake: FakeStripe) {
    let shop = shop(&app, "Track Shop", "111-22-99999").await;
    let bag = product(&app, &shop, json!({ "stock": 5 })).await;
    let buyer = app.register("track-buyer@example.com", "tb").await;
    let placed = place_ok(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&bag, "", 1)] }, "shipping": free_form() }),
        "track-1",
    )
    .await;
    let line_id = placed["lines"][0]["id"].clone();
    let step = |s: &str, c: Value, t: Value| json!({ "id": line_id, "s": s, "c": c, "t": t });
    app.gql_ok(
        ADVANCE,
        step("PAID", Value::Null, Value::Null),
        Some(&shop.seller.access),
    )
    .await;
    let missing = app
        .gql(
            ADVANCE,
            step("SHIPPED", Value::Null, Value::Null),
            Some(&shop.seller.access),
        )
        .await;
    assert_eq!(code(&missing), "VALIDATION");
    let bad = app
        .gql(
            ADVANCE,
            step("SHIPPED", json!("HANJIN"), json!("12")),
            Some(&shop.seller.access),
        )
        .await;
    assert_eq!(code(&bad), "VALIDATION");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "trackingNumber");
    let shipped = app
        .gql_ok(
            ADVANCE,
            step("SHIPPED", json!("CJ_LOGISTICS"), json!("6841-2345-6789")),
            Some(&shop.seller.access),
        )
        .await["advanceOrderLine"]
        .clone();
    assert_eq!(shipped["carrier"], "CJ_LOGISTICS");
    assert_eq!(shipped["trackingNumber"], "684123456789");
    assert!(
        shipped["trackingUrl"]
            .as_str()
            .unwrap()
            .ends_with("684123456789")
    );
    assert!(shipped["shippedAt"].is_string());
    // The buyer sees it on the order, and was told with the carrier.
    let seen = app
        .gql_ok(
            "query($id: ID!) { order(id: $id) { status lines { carrier trackingNumber trackingUrl } } }",
            json!({ "id": placed["id"] }),
            Some(&buyer.access),
        )
        .await["order"]
        .clone();
    assert_eq!(seen["status"], "SHIPPED");
    assert_eq!(seen["lines"][0]["trackingNumber"], "684123456789");
    let notes = app
        .gql_ok(
            "{ notifications(first: 10) { edges { node { kind data } } } }",
            json!({}),
            Some(&buyer.access),
        )
        .await;
    let told = notes["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["node"]["data"]["carrier"] == "CJ_LOGISTICS");
    assert!(told, "{notes}");
    let delivered = app
        .gql_ok(
            ADVANCE,
            step("DELIVERED", Value::Null, Value::Null),
            Some(&shop.seller.access),
        )
        .await["advanceOrderLine"]
        .clone();
    assert!(delivered["deliveredAt"].is_string());
    let late = app
        .gql(
            ADVANCE,
            step("DELIVERED", json!("OTHER"), json!("ABC123456")),
            Some(&shop.seller.access),
        )
        .await;
    assert_eq!(code(&late), "VALIDATION");
}
