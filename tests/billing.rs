//! Plans, quotas and payments (PAY-1 … PAY-4), end to end over HTTP on
//! SQLite and PostgreSQL, against a local fake of the Stripe API
//! (tests/common/stripe.rs) whose webhook deliveries are signed by the
//! official `stripe` npm library's test helper.
mod common;

use std::time::Duration;

use common::{
    SignedIn, TestApp, code,
    stripe::{FakeStripe, stripe_signature},
};
use serde_json::{Value, json};

use common::stripe::WEBHOOK_SECRET as SECRET;
const MY_USAGE: &str = "{ myUsage { plan used limit remaining periodStart } }";
const MY_PLAN: &str =
    "{ myPlan { plan subscribedPlan subscriptionStatus cancelAtPeriodEnd graceUntil } }";
const START: &str = "mutation($p: Plan!) { startSubscription(plan: $p) { id url } }";
const GENERATE: &str = "mutation($i: GenerateDesignInput!, $k: String!) { generateDesign(input: $i, idempotencyKey: $k) { jobId } }";
const PAY: &str = "mutation($id: ID!) { payOrder(orderId: $id) { clientSecret orderId payment { status amount currency } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { status payment { status amount refundedAmount paidAt refundedAt } } }";
const NOTIFICATIONS: &str = "{ notifications(first: 20) { edges { node { kind data } } } }";

with_stripe!(
    quota_is_taken_once_per_unit_under_concurrency,
    subscribe_generate_renew_and_lose_the_plan,
    an_order_is_paid_cancelled_and_refunded,
    webhooks_refuse_forgeries_and_bad_events,
    reconciliation_repairs_a_lost_webhook_once,
    a_dead_generation_gives_its_unit_back,
    ended_periods_start_over,
);

fn room() -> Vec<u8> {
    common::png()
}

async fn generate(app: &TestApp, who: &SignedIn, key: &str) -> Value {
    let (status, body) = app
        .gql_upload(
            GENERATE,
            json!({ "i": { "style": "MODERN", "roomType": "LIVING_ROOM", "prompt": "calm", "sourceImage": null }, "k": key }),
            vec![("variables.i.sourceImage", "room.png", room())],
            Some(&who.access),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn usage(app: &TestApp, who: &SignedIn) -> Value {
    app.gql_ok(MY_USAGE, json!({}), Some(&who.access)).await["myUsage"].clone()
}

async fn plan(app: &TestApp, who: &SignedIn) -> Value {
    app.gql_ok(MY_PLAN, json!({}), Some(&who.access)).await["myPlan"].clone()
}

fn webhook_url(app: &TestApp) -> String {
    app.url("/webhooks/stripe")
}

/// Sends a signed event; asserts 200 and returns the answer.
async fn deliver(app: &TestApp, fake: &FakeStripe, kind: &str, object: Value) -> Value {
    let (status, body) = fake
        .send_event(&webhook_url(app), SECRET, kind, object)
        .await;
    assert_eq!(status, 200, "{kind}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn kinds_of(app: &TestApp, who: &SignedIn) -> Vec<String> {
    app.gql_ok(NOTIFICATIONS, json!({}), Some(&who.access))
        .await["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// FREE has 2 generations: 12 at once → exactly 2 accepted.
async fn quota_is_taken_once_per_unit_under_concurrency(app: TestApp, _fake: FakeStripe) {
    let me = app.register("free@example.com", "free").await;
    let start = usage(&app, &me).await;
    assert_eq!(
        (
            &start["plan"],
            &start["used"],
            &start["limit"],
            &start["remaining"]
        ),
        (&json!("FREE"), &json!(0), &json!(2), &json!(2))
    );
    let attempts = (0..12).map(|i| {
        let (app, me) = (&app, &me);
        async move { generate(app, me, &format!("quota-race-{i:04}")).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let accepted = answers.iter().filter(|b| b.get("errors").is_none()).count();
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|b| b.get("errors").is_some())
        .collect();
    assert_eq!(accepted, 2, "{answers:#?}");
    assert_eq!(refused.len(), 10);
    for body in refused {
        assert_eq!(code(body), "QUOTA_EXCEEDED", "{body}");
        let ext = &body["errors"][0]["extensions"];
        assert_eq!(ext["limit"], 2);
        assert!(ext["resetsAt"].is_string(), "{body}");
    }
    assert_eq!(usage(&app, &me).await["used"], 2);
    // An admin grants ENTERPRISE: no limit, nothing counted.
    let admin = app.user_with_role("ADMIN").await;
    let grant = "mutation($u: ID!, $p: Plan!) { grantPlan(userId: $u, plan: $p) { plan } }";
    assert_eq!(
        code(
            &app.gql(
                grant,
                json!({ "u": me.id, "p": "ENTERPRISE" }),
                Some(&me.access)
            )
            .await
        ),
        "FORBIDDEN"
    );
    app.gql_ok(
        grant,
        json!({ "u": me.id, "p": "ENTERPRISE" }),
        Some(&admin.access),
    )
    .await;
    let body = generate(&app, &me, "quota-enterprise").await;
    assert!(body.get("errors").is_none(), "{body}");
    let unlimited = usage(&app, &me).await;
    assert!(
        unlimited["limit"].is_null() && unlimited["remaining"].is_null(),
        "{unlimited}"
    );
    // A refused request wrote nothing: the same key may be used later.
    let designs = app
        .gql_ok(
            "query($o: ID!) { designs(filter: { ownerId: $o }, first: 50) { edges { node { id } } } }",
            json!({ "o": me.id }),
            Some(&me.access),
        )
        .await;
    assert_eq!(designs["designs"]["edges"].as_array().unwrap().len(), 3);
}

/// Subscribe → webhook → PRO → generate → counted → renewal resets →
/// declined renewal → grace → FREE → paid again → PRO.
async fn subscribe_generate_renew_and_lose_the_plan(app: TestApp, fake: FakeStripe) {
    let admin = app.user_with_role("ADMIN").await;
    let me = app.register("pro@example.com", "pro").await;
    let started = app
        .gql_ok(START, json!({ "p": "PRO" }), Some(&me.access))
        .await["startSubscription"]
        .clone();
    assert!(
        started["url"].as_str().unwrap().starts_with("https://"),
        "{started}"
    );
    let asked = fake.requests_to("POST", "/v1/checkout/sessions");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].get("mode"), Some("subscription"));
    assert_eq!(asked[0].get("line_items[0][price]"), Some("price_pro"));
    assert_eq!(asked[0].get("metadata[plan]"), Some("PRO"));
    assert!(asked[0].idempotency_key.is_some());
    assert_eq!(fake.requests_to("POST", "/v1/customers").len(), 1);
    // Nothing changes before the provider says so.
    assert_eq!(plan(&app, &me).await["plan"], "FREE");

    let session = fake.complete_checkout_session(started["id"].as_str().unwrap());
    deliver(&app, &fake, "checkout.session.completed", session.clone()).await;
    let now = plan(&app, &me).await;
    assert_eq!(now["plan"], "PRO");
    assert_eq!(now["subscriptionStatus"], "active");
    assert_eq!(usage(&app, &me).await["limit"], 200);
    assert!(
        kinds_of(&app, &me)
            .await
            .contains(&"PLAN_CHANGED".to_owned())
    );

    for i in 0..3 {
        let body = generate(&app, &me, &format!("pro-gen-{i:04}")).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    assert_eq!(usage(&app, &me).await["used"], 3);

    // The monthly renewal starts the period over.
    let customer = session["customer"].as_str().unwrap().to_owned();
    let subscription = session["subscription"].as_str().unwrap().to_owned();
    let renewal = fake.add_invoice(
        &customer,
        Some(&subscription),
        9900,
        "subscription_cycle",
        "paid",
        common::stripe::now(),
    );
    deliver(&app, &fake, "invoice.payment_succeeded", renewal.clone()).await;
    assert_eq!(usage(&app, &me).await["used"], 0);
    // The same event again (a redelivery): acknowledged, no second effect.
    generate(&app, &me, "pro-gen-after").await;
    let (_, raw) = fake
        .events()
        .last()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e.to_string()))
        .unwrap();
    let header = stripe_signature(&raw, SECRET, common::stripe::now());
    let (status, body) = fake.send_raw(&webhook_url(&app), &raw, &header).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("duplicate"), "{body}");
    assert_eq!(usage(&app, &me).await["used"], 1);

    // An older subscription event arriving late changes nothing.
    let mut stale = fake.object(&subscription).unwrap();
    stale["status"] = json!("canceled");
    let (id, raw) = fake.event("customer.subscription.updated", stale);
    let mut envelope: Value = serde_json::from_str(&raw).unwrap();
    envelope["created"] = json!(common::stripe::now() - 3600);
    let raw = envelope.to_string();
    let header = stripe_signature(&raw, SECRET, common::stripe::now());
    let (status, body) = fake.send_raw(&webhook_url(&app), &raw, &header).await;
    assert_eq!(status, 200, "{id}: {body}");
    assert!(body.contains("stale"), "{body}");
    assert_eq!(plan(&app, &me).await["plan"], "PRO");

    // A declined renewal: grace, told and mailed; then FREE.
    let declined = fake.add_invoice(
        &customer,
        Some(&subscription),
        9900,
        "subscription_cycle",
        "open",
        common::stripe::now(),
    );
    deliver(&app, &fake, "invoice.payment_failed", declined).await;
    let graced = plan(&app, &me).await;
    assert_eq!(graced["plan"], "PRO");
    assert!(graced["graceUntil"].is_string(), "{graced}");
    assert!(
        kinds_of(&app, &me)
            .await
            .contains(&"PAYMENT_FAILED".to_owned())
    );
    app.sent_mail(&admin, "pro@example.com", "PAYMENT_FAILED")
        .await;
    let before_grace = chrono::Utc::now();
    let restricted = vitrine::domain::billing::reconcile::restrict_unpaid(&app.state, before_grace)
        .await
        .unwrap();
    assert_eq!(restricted, 0, "the grace period is not over");
    let after_grace = chrono::Utc::now() + chrono::Duration::days(4);
    let restricted = vitrine::domain::billing::reconcile::restrict_unpaid(&app.state, after_grace)
        .await
        .unwrap();
    assert_eq!(restricted, 1);
    let now = plan(&app, &me).await;
    assert_eq!(now["plan"], "FREE");
    assert_eq!(now["subscribedPlan"], "PRO");
    app.sent_mail(&admin, "pro@example.com", "PLAN_RESTRICTED")
        .await;
    // The risk report shows it.
    let report = app
        .gql_ok(
            "{ subscriptionRiskReport(first: 10) { edges { node { userId plan failuresLast7Days score } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let row = &report["subscriptionRiskReport"]["edges"][0]["node"];
    assert_eq!(row["userId"], me.id.as_str());
    assert_eq!(row["failuresLast7Days"], 1);
    assert!(row["score"].as_i64().unwrap() >= 25, "{row}");
    // Paying restores the plan.
    let paid = fake.add_invoice(
        &customer,
        Some(&subscription),
        9900,
        "subscription_update",
        "paid",
        common::stripe::now(),
    );
    deliver(&app, &fake, "invoice.payment_succeeded", paid).await;
    let back = plan(&app, &me).await;
    assert_eq!(back["plan"], "PRO");
    assert!(back["graceUntil"].is_null(), "{back}");

    // Cancel at period end, then the provider ends it.
    let cancelled = app
        .gql_ok(
            "mutation { cancelSubscription { plan cancelAtPeriodEnd } }",
            json!({}),
            Some(&me.access),
        )
        .await;
    assert_eq!(cancelled["cancelSubscription"]["cancelAtPeriodEnd"], true);
    assert_eq!(cancelled["cancelSubscription"]["plan"], "PRO");
    let portal = app
        .gql_ok("mutation { billingPortalUrl }", json!({}), Some(&me.access))
        .await;
    assert!(
        portal["billingPortalUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let mut ended = fake.object(&subscription).unwrap();
    ended["status"] = json!("canceled");
    deliver(&app, &fake, "customer.subscription.deleted", ended).await;
    assert_eq!(plan(&app, &me).await["plan"], "FREE");
}

/// A buyer's order of `quantity` of a 10,000 won product; (order id, product id, seller).
async fn order(app: &TestApp, quantity: i64) -> (SignedIn, String, String, SignedIn) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Pay Shop", "111-22-33333")
        .await;
    let categories = app.gql_ok("{ categories { id } }", json!({}), None).await;
    let category = categories["categories"][0]["id"].clone();
    let product = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "name": "Linen shirt", "description": "shirt", "price": 10000, "stock": 5,
                "categoryId": category, "gender": "UNISEX", "options": ["M"], "images": ["https://cdn.example.com/s.jpg"] } }),
            Some(&seller.access),
        )
        .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let buyer = app.register("payer@example.com", "payer").await;
    let placed = app
        .gql_ok(
            "mutation($i: PlaceOrderInput!, $k: String!) { placeOrder(input: $i, idempotencyKey: $k) { id totalAmount } }",
            json!({ "i": { "from": { "lines": [{ "productId": product, "option": "M", "quantity": quantity }] },
                "shipping": { "recipient": "Kim", "phone": "010-1234-5678", "address": "Seoul", "memo": "" } },
                "k": format!("pay-order-{quantity}") }),
            Some(&buyer.access),
        )
        .await;
    let id = placed["placeOrder"]["id"].as_str().unwrap().to_owned();
    (buyer, id, product, seller)
}

/// `payOrder`; the PaymentIntent's id (the client secret's prefix).
async fn start_payment(app: &TestApp, buyer: &SignedIn, order_id: &str) -> String {
    let paying = app
        .gql_ok(PAY, json!({ "id": order_id }), Some(&buyer.access))
        .await["payOrder"]
        .clone();
    paying["clientSecret"]
        .as_str()
        .unwrap()
        .split("_secret_")
        .next()
        .unwrap()
        .to_owned()
}

async fn order_state(app: &TestApp, who: &SignedIn, id: &str) -> Value {
    app.gql_ok(ORDER, json!({ "id": id }), Some(&who.access))
        .await["order"]
        .clone()
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

/// Order → pay → webhook → PAID (buyer and seller told) → cancel → refund.
async fn an_order_is_paid_cancelled_and_refunded(app: TestApp, fake: FakeStripe) {
    let (buyer, id, product, seller) = order(&app, 2).await;
    assert!(
        kinds_of(&app, &seller)
            .await
            .contains(&"ORDER_PLACED".to_owned())
    );
    let paying = app
        .gql_ok(PAY, json!({ "id": id }), Some(&buyer.access))
        .await["payOrder"]
        .clone();
    assert_eq!(paying["payment"]["amount"], 20000);
    assert_eq!(paying["payment"]["currency"], "krw");
    assert_eq!(paying["payment"]["status"], "REQUIRES_PAYMENT");
    let secret = paying["clientSecret"].as_str().unwrap();
    let intent_id = secret.split("_secret_").next().unwrap().to_owned();
    let created = fake.requests_to("POST", "/v1/payment_intents");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].get("amount"), Some("20000"));
    assert_eq!(created[0].get("currency"), Some("krw"));
    // Tapping again: the same payment, no second intent.
    let again = app
        .gql_ok(PAY, json!({ "id": id }), Some(&buyer.access))
        .await;
    assert_eq!(again["payOrder"]["clientSecret"], secret);
    // Someone else's order.
    let stranger = app.register("stranger@example.com", "stranger").await;
    assert_eq!(
        code(
            &app.gql(PAY, json!({ "id": id }), Some(&stranger.access))
                .await
        ),
        "NOT_FOUND"
    );

    // A declined card first: the buyer is told and may try again.
    let declined = fake.fail_payment_intent(&intent_id, "Your card was declined.");
    deliver(&app, &fake, "payment_intent.payment_failed", declined).await;
    let failed = order_state(&app, &buyer, &id).await;
    assert_eq!(failed["status"], "PENDING_PAYMENT");
    assert_eq!(failed["payment"]["status"], "FAILED");
    assert!(
        kinds_of(&app, &buyer)
            .await
            .contains(&"PAYMENT_FAILED".to_owned())
    );
    let retry = app
        .gql_ok(PAY, json!({ "id": id }), Some(&buyer.access))
        .await;
    assert_eq!(retry["payOrder"]["clientSecret"], secret);

    let intent = fake.succeed_payment_intent(&intent_id);
    deliver(&app, &fake, "payment_intent.succeeded", intent.clone()).await;
    let paid = order_state(&app, &buyer, &id).await;
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["payment"]["status"], "SUCCEEDED");
    assert!(
        kinds_of(&app, &seller)
            .await
            .contains(&"ORDER_PAID".to_owned())
    );
    // A second payment of a paid order.
    assert_eq!(
        code(&app.gql(PAY, json!({ "id": id }), Some(&buyer.access)).await),
        "CONFLICT"
    );
    assert_eq!(stock(&app, &product).await, 3);

    // Cancelling a paid order refunds it.
    app.gql_ok(
        "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
        json!({ "id": id }),
        Some(&buyer.access),
    )
    .await;
    assert_eq!(stock(&app, &product).await, 5);
    assert_eq!(
        order_state(&app, &buyer, &id).await["payment"]["status"],
        "REFUND_PENDING"
    );
    let mut refunds = Vec::new();
    for _ in 0..100 {
        refunds = fake.requests_to("POST", "/v1/refunds");
        if !refunds.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(refunds.len(), 1, "the refund job asked the provider");
    assert_eq!(refunds[0].get("payment_intent"), Some(intent_id.as_str()));
    let charge = json!({ "id": "ch_test_refund", "object": "charge", "payment_intent": intent_id,
        "amount": 20000, "amount_refunded": 20000, "refunded": true, "currency": "krw" });
    deliver(&app, &fake, "charge.refunded", charge).await;
    let refunded = order_state(&app, &buyer, &id).await;
    assert_eq!(refunded["status"], "CANCELLED");
    assert_eq!(refunded["payment"]["status"], "REFUNDED");
    assert_eq!(refunded["payment"]["refundedAmount"], 20000);

    // An order left unpaid is cancelled after the payment window, stock back.
    let (buyer2, id2, product2, _) = order_by_same_shop(&app, &product).await;
    assert_eq!(stock(&app, &product2).await, 4);
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let n = vitrine::domain::billing::payments::expire_unpaid(&app.state, later)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        order_state(&app, &buyer2, &id2).await["status"],
        "CANCELLED"
    );
    assert_eq!(stock(&app, &product2).await, 5);
}

/// Another buyer's unpaid order of the same product.
async fn order_by_same_shop(app: &TestApp, product: &str) -> (SignedIn, String, String, ()) {
    let buyer = app.register("late@example.com", "late").await;
    let placed = app
        .gql_ok(
            "mutation($i: PlaceOrderInput!, $k: String!) { placeOrder(input: $i, idempotencyKey: $k) { id } }",
            json!({ "i": { "from": { "lines": [{ "productId": product, "option": "M", "quantity": 1 }] },
                "shipping": { "recipient": "Lee", "phone": "010-2222-3333", "address": "Busan", "memo": "" } },
                "k": "late-order-0001" }),
            Some(&buyer.access),
        )
        .await;
    let id = placed["placeOrder"]["id"].as_str().unwrap().to_owned();
    (buyer, id, product.to_owned(), ())
}

/// Signatures made by the official library are accepted; tampered bodies,
/// other secrets, stale timestamps and bad events are refused with nothing
/// changed.
async fn webhooks_refuse_forgeries_and_bad_events(app: TestApp, fake: FakeStripe) {
    let (buyer, id, _, _) = order(&app, 1).await;
    let intent_id = start_payment(&app, &buyer, &id).await;
    let intent = fake.succeed_payment_intent(&intent_id);
    let url = webhook_url(&app);
    let now = common::stripe::now();
    let (_, raw) = fake.event("payment_intent.succeeded", intent.clone());

    let tampered = raw.replace("10000", "10");
    let header = stripe_signature(&raw, SECRET, now);
    let (status, body) = fake.send_raw(&url, &tampered, &header).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("WEBHOOK_SIGNATURE_INVALID"), "{body}");
    let (status, _) = fake
        .send_raw(
            &url,
            &raw,
            &stripe_signature(&raw, "whsec_someone_else", now),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = fake
        .send_raw(&url, &raw, &stripe_signature(&raw, SECRET, now - 301))
        .await;
    assert_eq!(status, 400);
    let (status, _) = fake.send_raw(&url, &raw, "").await;
    assert_eq!(status, 400);
    let not_json = "this is not json";
    let (status, body) = fake
        .send_raw(&url, not_json, &stripe_signature(not_json, SECRET, now))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        order_state(&app, &buyer, &id).await["status"],
        "PENDING_PAYMENT"
    );

    // An amount that is not the order's.
    let mut wrong = intent.clone();
    wrong["amount"] = json!(1);
    wrong["amount_received"] = json!(1);
    let (status, body) = fake
        .send_event(&url, SECRET, "payment_intent.succeeded", wrong)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        order_state(&app, &buyer, &id).await["status"],
        "PENDING_PAYMENT"
    );
    // An intent of no order of ours; an unknown customer.
    let mut foreign = intent.clone();
    foreign["id"] = json!("pi_not_ours");
    let (status, body) = fake
        .send_event(&url, SECRET, "payment_intent.succeeded", foreign)
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("NOT_FOUND"), "{body}");
    let invoice = fake.add_invoice("cus_nobody", None, 100, "subscription_cycle", "paid", now);
    let (status, _) = fake
        .send_event(&url, SECRET, "invoice.payment_succeeded", invoice)
        .await;
    assert_eq!(status, 422);
    // An event type nobody uses: acknowledged.
    let ignored = deliver(
        &app,
        &fake,
        "customer.tax_id.created",
        json!({ "id": "txi_1", "object": "tax_id" }),
    )
    .await;
    assert!(
        ignored["outcome"].as_str().unwrap().starts_with("ignored"),
        "{ignored}"
    );
    // And the genuine one goes through.
    deliver(&app, &fake, "payment_intent.succeeded", intent).await;
    assert_eq!(order_state(&app, &buyer, &id).await["status"], "PAID");
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("billing_webhook_events_total{outcome=\"bad_signature\",type=\"-\"} 4"),
        "{metrics}"
    );
    assert!(metrics.contains("outcome=\"refused\",type=\"payment_intent.succeeded\"} 2"));
}

/// A payment whose webhook was lost: the daily reconciliation finds it at
/// the provider and applies it once; the late webhook then changes nothing.
async fn reconciliation_repairs_a_lost_webhook_once(app: TestApp, fake: FakeStripe) {
    let admin = app.user_with_role("ADMIN").await;
    let (buyer, id, _, seller) = order(&app, 1).await;
    let intent_id = start_payment(&app, &buyer, &id).await;
    let intent = fake.succeed_payment_intent(&intent_id);
    // 120 other intents at the provider: reconciliation pages through them.
    for i in 0..120 {
        let _ = i;
        fake.add_invoice(
            "cus_other_system",
            None,
            100,
            "manual",
            "paid",
            common::stripe::now(),
        );
    }
    let repaired = vitrine::domain::billing::reconcile::reconcile(&app.state, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(repaired.payments, vec![intent_id.clone()]);
    assert_eq!(repaired.skipped, 120);
    assert!(
        fake.requests_to("GET", "/v1/invoices").len() >= 2,
        "followed starting_after to the last page"
    );
    assert_eq!(order_state(&app, &buyer, &id).await["status"], "PAID");
    let admin_notes = kinds_of(&app, &admin).await;
    assert!(
        admin_notes.contains(&"ADMIN_ALERT".to_owned()),
        "{admin_notes:?}"
    );
    let paid_notes = kinds_of(&app, &seller)
        .await
        .iter()
        .filter(|k| *k == "ORDER_PAID")
        .count();
    assert_eq!(paid_notes, 1);
    // Again: nothing left to repair.
    let again = vitrine::domain::billing::reconcile::reconcile(&app.state, chrono::Utc::now())
        .await
        .unwrap();
    assert!(again.payments.is_empty());
    // The lost webhook arrives at last: no second effect.
    let late = deliver(&app, &fake, "payment_intent.succeeded", intent).await;
    assert!(
        late["outcome"].as_str().unwrap().contains("already"),
        "{late}"
    );
    let paid_notes = kinds_of(&app, &seller)
        .await
        .iter()
        .filter(|k| *k == "ORDER_PAID")
        .count();
    assert_eq!(paid_notes, 1);
}

/// A generation that ends DEAD (its source image vanished before the job
/// ran) gives its unit back. Generated on an API-only instance; the job runs
/// on a worker sibling once the image is gone.
async fn a_dead_generation_gives_its_unit_back(app: TestApp, _fake: FakeStripe) {
    let api = app.sibling(&[("VITRINE_JOBS_WORKERS", "false")]).await;
    drop(app);
    let me = api.register("unlucky@example.com", "unlucky").await;
    let body = generate(&api, &me, "dead-gen-0001").await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(usage(&api, &me).await["used"], 1);
    use sea_orm::EntityTrait;
    let designs = vitrine::entities::design::Entity::find()
        .all(&api.state.db)
        .await
        .unwrap();
    let upload_id = designs[0].source_upload_id.clone().unwrap();
    let upload = vitrine::entities::upload::Entity::find_by_id(upload_id)
        .one(&api.state.db)
        .await
        .unwrap()
        .unwrap();
    api.state.storage.delete(&upload.storage_key).await.unwrap();
    let worker = api.sibling(&[("VITRINE_JOBS_WORKERS", "true")]).await;
    let mut used = json!(null);
    for _ in 0..100 {
        used = usage(&api, &me).await["used"].clone();
        if used == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(used, 0, "the DEAD generation's unit came back");
    let design = vitrine::entities::design::Entity::find_by_id(designs[0].id)
        .one(&api.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        design.generation_status,
        vitrine::entities::design::GenerationStatus::Failed
    );
    drop(worker);
}

/// The daily reset starts ended periods over.
async fn ended_periods_start_over(app: TestApp, _fake: FakeStripe) {
    let me = app.register("monthly@example.com", "monthly").await;
    generate(&app, &me, "monthly-0001").await;
    generate(&app, &me, "monthly-0002").await;
    let full = usage(&app, &me).await;
    assert_eq!(full["remaining"], 0);
    let body = generate(&app, &me, "monthly-0003").await;
    assert_eq!(code(&body), "QUOTA_EXCEEDED");
    let next_month = chrono::Utc::now() + chrono::Duration::days(32);
    let reset = vitrine::domain::billing::reconcile::reset_usage(&app.state, next_month)
        .await
        .unwrap();
    assert_eq!(reset, 1);
    let fresh = usage(&app, &me).await;
    assert_eq!(fresh["used"], 0, "{fresh}");
    assert_ne!(fresh["periodStart"], full["periodStart"]);
    // Resetting again in the same period does nothing.
    let again = vitrine::domain::billing::reconcile::reset_usage(&app.state, next_month)
        .await
        .unwrap();
    assert_eq!(again, 0);
}
