//! A returned line refunds what it cost: its total less its share of the
//! coupon discount plus its share of the shipping fee, through the
//! payments module (against the local Stripe fake).
use crate::common::{
    Backend,
    stripe::{FakeStripe, pay_order, spawn_app},
};

use super::*;

/// A returned line refunds its share of the discount through the payments
/// module (against the local Stripe fake), on both databases.
mod a_returned_line_refunds_what_it_cost {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        returned_line_refund(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        returned_line_refund(Backend::Postgres).await;
    }
}

/// Two lines (30,000 and 10,000 won) of one store charging 3,000 for
/// shipping, a 4,000 won coupon: the discount splits 3,000 / 1,000 and the
/// shipping 2,250 / 750. Paid, shipped and delivered, the first line's
/// return refunds exactly 30,000 − 3,000 + 2,250 = 29,250 (the provider is
/// asked for that), and the redemption stays used.
async fn returned_line_refund(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn_app(backend, &fake).await else {
        return;
    };
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Refund Shop", "80808080").await;
    app.gql_ok(
        "mutation { updateStoreShipping(input: { shippingFee: 3000 }) { shippingFee } }",
        json!({}),
        Some(&seller.access),
    )
    .await;
    let coat = product(&app, &seller, "Coat", 30_000, 10).await;
    let scarf = product(&app, &seller, "Scarf", 10_000, 10).await;
    create(
        &app,
        &admin,
        json!({ "code": "FOURK", "kind": "FIXED", "value": 4000 }),
    )
    .await;
    let buyer = app.register("refund@example.com", "refund").await;
    let placed = place(
        &app,
        &buyer,
        &[(&coat, 1), (&scarf, 1)],
        Some("FOURK"),
        "refund-key-0001",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let order = &placed["data"]["placeOrder"];
    assert_eq!(order["totalAmount"], 39_000);
    let coat_line = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["product"]["id"] == coat.as_str())
        .unwrap()
        .clone();
    assert_eq!(coat_line["discountAmount"], 3_000);
    assert_eq!(coat_line["shippingFee"], 2_250);
    assert_eq!(coat_line["paidAmount"], 29_250);

    pay_order(&app, &fake, &buyer, &order["id"]).await;
    for (s, c, t) in [
        ("SHIPPED", json!("LOTTE"), json!("123456789012")),
        ("DELIVERED", Value::Null, Value::Null),
    ] {
        app.gql_ok(
            "mutation($id: ID!, $s: OrderStatus!, $c: Carrier, $t: String) { advanceOrderLine(id: $id, status: $s, carrier: $c, trackingNumber: $t) { status } }",
            json!({ "id": coat_line["id"], "s": s, "c": c, "t": t }),
            Some(&seller.access),
        )
        .await;
    }
    let asked = app
        .gql_ok(
            "mutation($i: RequestReturnInput!) { requestReturn(input: $i) { return { id } } }",
            json!({ "i": { "orderLineId": coat_line["id"], "reason": "WRONG_SIZE" } }),
            Some(&buyer.access),
        )
        .await;
    let approved = app
        .gql_ok(
            "mutation($i: DecideReturnInput!) { approveReturn(input: $i) { return { status refundAmount } } }",
            json!({ "i": { "id": asked["requestReturn"]["return"]["id"] } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(approved["approveReturn"]["return"]["refundAmount"], 29_250);
    let mut refunds = Vec::new();
    for _ in 0..100 {
        refunds = fake.requests_to("POST", "/v1/refunds");
        if !refunds.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].get("amount"), Some("29250"));
    // A return is not a cancellation: the coupon stays used.
    assert_eq!(redeemed(&app, &admin, "FOURK").await, 1);
}
