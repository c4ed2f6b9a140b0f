//! Returns: requested within 7 days of delivery with photos, approved
//! (stock back, refund through the payments module, once under concurrent
//! approvals) or rejected, and refused when they should be.
use super::*;

with_stripe!(
    a_return_is_approved_restocked_and_refunded,
    returns_are_refused_rejected_and_never_refund_twice,
);

/// A paid, delivered line of `quantity` × 10,000 won (store fee 3,000); the
/// buyer, the order, its line and the product.
async fn delivered(
    app: &TestApp,
    fake: &FakeStripe,
    shop: &Shop,
    buyer_email: &str,
    quantity: i64,
) -> (SignedIn, Value, Value, Value) {
    app.gql_ok(
        "mutation { updateStoreShipping(input: { shippingFee: 3000 }) { shippingFee } }",
        json!({}),
        Some(&shop.seller.access),
    )
    .await;
    let coat = product(
        app,
        shop,
        json!({ "variants": [{ "size": "M", "stock": 10 }] }),
    )
    .await;
    let buyer = app
        .register(buyer_email, buyer_email.split('@').next().unwrap())
        .await;
    let placed = place_ok(
        app,
        &buyer,
        json!({ "from": { "lines": [line(&coat, "M", quantity)] }, "shipping": free_form() }),
        &format!("ret-{}", buyer_email.replace('@', "-at-")),
    )
    .await;
    common::stripe::pay_order(app, fake, &buyer, &placed["id"]).await;
    let line_id = placed["lines"][0]["id"].clone();
    for (s, c, t) in [
        ("SHIPPED", json!("LOTTE"), json!("123456789012")),
        ("DELIVERED", Value::Null, Value::Null),
    ] {
        app.gql_ok(
            ADVANCE,
            json!({ "id": line_id, "s": s, "c": c, "t": t }),
            Some(&shop.seller.access),
        )
        .await;
    }
    (buyer, placed, line_id, coat)
}

const REQUEST: &str = "mutation($i: RequestReturnInput!) { requestReturn(input: $i) { return { id status reason note refundAmount photos { url } } } }";
const APPROVE: &str = "mutation($i: DecideReturnInput!) { approveReturn(input: $i) { return { id status refundAmount } } }";
const REJECT: &str = "mutation($i: DecideReturnInput!) { rejectReturn(input: $i) { return { id status decisionNote } } }";

async fn kinds(app: &TestApp, who: &SignedIn) -> Vec<Value> {
    app.gql_ok(
        "{ notifications(first: 30) { edges { node { kind data } } } }",
        json!({}),
        Some(&who.access),
    )
    .await["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["kind"] == "RETURN_STATUS")
        .map(|e| e["node"]["data"]["status"].clone())
        .collect()
}

async fn a_return_is_approved_restocked_and_refunded(app: TestApp, fake: FakeStripe) {
    let shop = shop(&app, "Return Shop", "222-33-11111").await;
    let (buyer, placed, line_id, coat) =
        delivered(&app, &fake, &shop, "returner@example.com", 2).await;
    assert_eq!(placed["totalAmount"], 23000);
    assert_eq!(variants_of(&app, &coat).await["stock"], 8);
    let photo = app.direct_upload(&buyer, "image/png", common::png()).await;
    let asked = app
        .gql_ok(
            REQUEST,
            json!({ "i": { "orderLineId": line_id, "reason": "WRONG_SIZE", "note": "too small", "photoUploadIds": [photo] } }),
            Some(&buyer.access),
        )
        .await["requestReturn"]["return"]
        .clone();
    assert_eq!(asked["status"], "REQUESTED");
    assert_eq!(asked["photos"].as_array().unwrap().len(), 1);
    assert_eq!(kinds(&app, &shop.seller).await, vec![json!("REQUESTED")]);
    let listed = app
        .gql_ok(
            "{ myStoreReturns(status: REQUESTED) { edges { node { id reason buyer { id } } } } }",
            json!({}),
            Some(&shop.seller.access),
        )
        .await;
    assert_eq!(
        listed["myStoreReturns"]["edges"][0]["node"]["id"],
        asked["id"]
    );
    // Another seller cannot decide it.
    let (other, _) = app
        .approved_seller(&shop.admin, "Nosy Shop", "222-33-22222")
        .await;
    let nosy = app
        .gql(
            APPROVE,
            json!({ "i": { "id": asked["id"] } }),
            Some(&other.access),
        )
        .await;
    assert_eq!(code(&nosy), "NOT_FOUND");
    // Approved twice at once: one wins, stock comes back once, one refund.
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let app = app.clone();
            let token = shop.seller.access.clone();
            let id = asked["id"].clone();
            tokio::spawn(async move {
                app.gql(APPROVE, json!({ "i": { "id": id } }), Some(&token))
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        let body = t.await.unwrap();
        if body["errors"].is_null() {
            won += 1;
            assert_eq!(
                body["data"]["approveReturn"]["return"]["refundAmount"],
                23000
            );
        } else {
            assert_eq!(code(&body), "CONFLICT", "{body}");
        }
    }
    assert_eq!(won, 1);
    assert_eq!(variants_of(&app, &coat).await["stock"], 10);
    let mut refunds = Vec::new();
    for _ in 0..100 {
        refunds = fake.requests_to("POST", "/v1/refunds");
        if !refunds.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(refunds.len(), 1, "the refund job asked the provider once");
    assert_eq!(refunds[0].get("amount"), Some("23000"));
    let mut status = Value::Null;
    for _ in 0..100 {
        status = app
            .gql_ok(
                "{ myReturns { edges { node { status refundAmount line { id } } } } }",
                json!({}),
                Some(&buyer.access),
            )
            .await["myReturns"]["edges"][0]["node"]["status"]
            .clone();
        if status == "REFUNDED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "REFUNDED");
    let buyer_heard = kinds(&app, &buyer).await;
    assert!(
        buyer_heard.contains(&json!("APPROVED")) && buyer_heard.contains(&json!("REFUNDED")),
        "{buyer_heard:?}"
    );
    assert!(kinds(&app, &shop.seller).await.contains(&json!("REFUNDED")));
    // The line shows its return.
    let seen = app
        .gql_ok(
            "query($id: ID!) { order(id: $id) { lines { return { status refundAmount } } } }",
            json!({ "id": placed["id"] }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(seen["order"]["lines"][0]["return"]["status"], "REFUNDED");
    // One return per line.
    let again = app
        .gql(
            REQUEST,
            json!({ "i": { "orderLineId": line_id, "reason": "OTHER" } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT");
}

async fn returns_are_refused_rejected_and_never_refund_twice(app: TestApp, fake: FakeStripe) {
    let shop = shop(&app, "Strict Shop", "222-33-33333").await;
    let (buyer, _placed, line_id, _coat) =
        delivered(&app, &fake, &shop, "strict@example.com", 1).await;
    // Not the buyer's line; bad ids.
    let stranger = app.register("strict-stranger@example.com", "ss").await;
    let theirs = app
        .gql(
            REQUEST,
            json!({ "i": { "orderLineId": line_id, "reason": "OTHER" } }),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(code(&theirs), "NOT_FOUND");
    // A line not delivered yet cannot be returned.
    let coat = product(&app, &shop, json!({ "stock": 3 })).await;
    let fresh = place_ok(
        &app,
        &buyer,
        json!({ "from": { "lines": [line(&coat, "", 1)] }, "shipping": free_form() }),
        "strict-2",
    )
    .await;
    let early = app
        .gql(
            REQUEST,
            json!({ "i": { "orderLineId": fresh["lines"][0]["id"], "reason": "OTHER" } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&early), "CONFLICT");
    // Rejected, with the seller's reason.
    let asked = app
        .gql_ok(
            REQUEST,
            json!({ "i": { "orderLineId": line_id, "reason": "CHANGED_MIND" } }),
            Some(&buyer.access),
        )
        .await["requestReturn"]["return"]["id"]
        .clone();
    let no_reason = app
        .gql(
            REJECT,
            json!({ "i": { "id": asked } }),
            Some(&shop.seller.access),
        )
        .await;
    assert_eq!(code(&no_reason), "VALIDATION");
    let rejected = app
        .gql_ok(
            REJECT,
            json!({ "i": { "id": asked, "note": "worn" } }),
            Some(&shop.seller.access),
        )
        .await["rejectReturn"]["return"]
        .clone();
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["decisionNote"], "worn");
    assert!(kinds(&app, &buyer).await.contains(&json!("REJECTED")));
    let late = app
        .gql(
            APPROVE,
            json!({ "i": { "id": asked } }),
            Some(&shop.seller.access),
        )
        .await;
    assert_eq!(code(&late), "CONFLICT");
    // Past the window: delivered 8 days ago.
    let (buyer2, _, line2, _) = delivered(&app, &fake, &shop, "late-returner@example.com", 1).await;
    let raw = vitrine::conventions::decode_id(
        "OrderLine",
        &async_graphql::ID(line2.as_str().unwrap().to_owned()),
    )
    .unwrap();
    let sql = match app.state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "UPDATE order_lines SET delivered_at = $1 WHERE id = $2",
        _ => "UPDATE order_lines SET delivered_at = ? WHERE id = ?",
    };
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.state.db.get_database_backend(),
            sql,
            [
                (chrono::Utc::now() - chrono::Duration::days(8)).into(),
                raw.into(),
            ],
        ))
        .await
        .unwrap();
    let closed = app
        .gql(
            REQUEST,
            json!({ "i": { "orderLineId": line2, "reason": "DEFECTIVE" } }),
            Some(&buyer2.access),
        )
        .await;
    assert_eq!(code(&closed), "CONFLICT");
    assert!(fake.requests_to("POST", "/v1/refunds").is_empty());
}
