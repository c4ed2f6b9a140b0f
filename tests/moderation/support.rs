//! What the moderation tests share: filing and resolving reports over
//! GraphQL, the content they report (posts, comments, messages, a shop's
//! short and review), and reading lists, search and notifications back.
use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use super::common::{self, SignedIn, TestApp};

pub const REPORT: &str = "mutation($i: ReportContentInput!) { reportContent(input: $i) { report {
    id targetKind targetId reason note status action targetReportCount reporter { id } } } }";
pub const RESOLVE: &str = "mutation($i: ResolveReportInput!) { resolveReport(input: $i) { report {
    id status action resolutionNote resolvedAt resolvedBy { id } targetReportCount } } }";
pub const QUEUE: &str = "query($s: ReportStatus, $n: Int, $after: String) { reports(status: $s, first: $n, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id targetKind targetId reason status action
    targetReportCount reporter { id } targetAuthor { id } } } } }";
pub const CREATE_POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }";
pub const ADD_COMMENT: &str =
    "mutation($p: ID!, $b: String!) { addComment(postId: $p, body: $b) { id } }";
pub const START_DIRECT: &str =
    "mutation($u: ID!) { startConversation(input: { kind: DIRECT, memberIds: [$u] }) { id } }";
pub const SEND: &str =
    "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }";
pub const NOTIFICATIONS: &str =
    "{ notifications(first: 20) { edges { node { kind subjectId data } } } }";

pub async fn post(app: &TestApp, user: &SignedIn, body: &str) -> String {
    app.gql_ok(
        CREATE_POST,
        json!({ "i": { "body": body } }),
        Some(&user.access),
    )
    .await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn comment(app: &TestApp, user: &SignedIn, post_id: &str, body: &str) -> String {
    app.gql_ok(
        ADD_COMMENT,
        json!({ "p": post_id, "b": body }),
        Some(&user.access),
    )
    .await["addComment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `from`'s direct conversation with `to` and one message in it from `from`.
pub async fn message(
    app: &TestApp,
    from: &SignedIn,
    to: &SignedIn,
    body: &str,
) -> (String, String) {
    let conv = app
        .gql_ok(START_DIRECT, json!({ "u": to.id }), Some(&from.access))
        .await["startConversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = app
        .gql_ok(SEND, json!({ "c": conv, "b": body }), Some(&from.access))
        .await["sendMessage"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (conv, sent)
}

pub async fn report(app: &TestApp, who: &SignedIn, target: &str, id: &str, why: &str) -> Value {
    app.gql(
        REPORT,
        json!({ "i": { "target": target, "targetId": id, "reason": why, "note": "  see this  " } }),
        Some(&who.access),
    )
    .await
}

pub async fn report_ok(app: &TestApp, who: &SignedIn, target: &str, id: &str) -> Value {
    let body = report(app, who, target, id, "SPAM").await;
    assert!(body["errors"].is_null(), "report {target}: {body}");
    body["data"]["reportContent"]["report"].clone()
}

pub async fn resolve(app: &TestApp, admin: &SignedIn, id: &str, action: &str) -> Value {
    app.gql(
        RESOLVE,
        json!({ "i": { "id": id, "action": action, "note": "checked" } }),
        Some(&admin.access),
    )
    .await
}

pub async fn queue(app: &TestApp, admin: &SignedIn, status: &str) -> Vec<Value> {
    app.gql_ok(QUEUE, json!({ "s": status, "n": 100 }), Some(&admin.access))
        .await["reports"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Kinds of `user`'s notifications, newest first, with their data.
pub async fn notifications(app: &TestApp, user: &SignedIn) -> Vec<(String, Value)> {
    app.gql_ok(NOTIFICATIONS, json!({}), Some(&user.access))
        .await["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["kind"].as_str().unwrap().to_owned(),
                e["node"]["data"].clone(),
            )
        })
        .collect()
}

/// Polls `probe` until it holds, for at most `within`.
pub async fn within<F, Fut>(within: Duration, what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !probe().await {
        assert!(started.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A seller's product with a short, and a review of it by `reviewer`
/// written straight into the database (the review rules are tested in
/// commerce; here only its moderation matters), with the aggregates moved as
/// `createReview` moves them. `(product id, short id, review id)`.
pub async fn shop_content(
    app: &TestApp,
    admin: &SignedIn,
    reviewer: &SignedIn,
) -> (String, String, String) {
    let (seller, _) = app
        .approved_seller(admin, "Moderated Brand", "111-22-33333")
        .await;
    let coat = common::category_id(app, "01outer_01coat").await;
    let product = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": {
                "name": "Wool coat", "description": "Warm", "price": 100000, "stock": 5,
                "categoryId": coat, "gender": "FEMALE", "colors": ["black"], "seasons": ["WINTER"],
                "fiberComposition": [{ "fiber": "Wool", "percent": 100 }],
                "elasticity": "NONE", "transparency": "NONE_AT_ALL", "fleece": false,
                "specTags": [], "options": ["M"], "images": ["https://cdn.example.com/c.jpg"]
            } }),
            Some(&seller.access),
        )
        .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let short = app
        .gql_ok(
            "mutation($i: AddShortInput!) { addShort(input: $i) { id } }",
            json!({ "i": { "productId": product, "title": "Coat in the snow",
                "videoUrl": "https://video.example.com/s.mp4", "durationSecs": 20, "source": "UPLOAD" } }),
            Some(&seller.access),
        )
        .await["addShort"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let product_id = raw_id(&product);
    let reviewer_id = raw_id(&reviewer.id);
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sql = |s: &str| vitrine::domain::placeholders(backend, s);
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql("INSERT INTO reviews (product_id, store_id, user_id, order_line_id, rating, body, images, created_at) \
             SELECT id, store_id, ?, 0, 2, 'meh', '[]', created_at FROM products WHERE id = ?"),
        [reviewer_id.into(), product_id.into()],
    ))
    .await
    .unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql("UPDATE products SET rating_sum = rating_sum + 2, review_count = review_count + 1, rating_avg = 2 WHERE id = ?"),
        [product_id.into()],
    ))
    .await
    .unwrap();
    let reviews = app
        .gql_ok(
            "query($p: ID!) { reviews(productId: $p, first: 5) { edges { node { id } } } }",
            json!({ "p": product }),
            None,
        )
        .await;
    let review = reviews["reviews"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (product, short, review)
}

/// The row id inside a global id.
pub fn raw_id(global: &str) -> i64 {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(global).unwrap()).unwrap();
    text.rsplit(':').next().unwrap().parse().unwrap()
}

pub const SEARCH_POSTS: &str =
    "query($q: String!) { search(query: $q, types: [POST]) { posts { edges { node { id } } } } }";
pub const FEED: &str = "{ homeFeed(first: 50) { edges { node { post { id } } } } }";
pub const POST_BY_ID: &str = "query($id: ID!) { post(id: $id) { id body } }";

pub async fn search_hits(app: &TestApp, who: &SignedIn, q: &str) -> Vec<String> {
    app.gql_ok(SEARCH_POSTS, json!({ "q": q }), Some(&who.access))
        .await["search"]["posts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn feed_ids(app: &TestApp, who: &SignedIn) -> Vec<String> {
    app.gql_ok(FEED, json!({}), Some(&who.access)).await["homeFeed"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["post"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Ids of a connection's nodes at `path` in `data`.
pub fn node_ids(data: &Value, path: &[&str]) -> Vec<String> {
    let mut at = data;
    for key in path {
        at = &at[*key];
    }
    at["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges at {path:?}: {data}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Design and short hits of a search for `q`.
pub async fn design_short_hits(
    app: &TestApp,
    who: &SignedIn,
    q: &str,
) -> (Vec<String>, Vec<String>) {
    const SEARCH: &str = "query($q: String!) { search(query: $q, types: [DESIGN, SHORT]) {
        designs { edges { node { id } } } shorts { edges { node { id } } } } }";
    let data = app
        .gql_ok(SEARCH, json!({ "q": q }), Some(&who.access))
        .await;
    (
        node_ids(&data, &["search", "designs"]),
        node_ids(&data, &["search", "shorts"]),
    )
}
