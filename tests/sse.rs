//! GraphQL over Server-Sent Events (`/graphql/stream`, the graphql-sse
//! protocol's distinct connections mode) driven by the reference
//! `graphql-sse` client (npm, pinned in tests/http-client/package-lock.json)
//! and, for the wire format, by raw HTTP. The WebSocket transport's rules
//! hold: auth, limits, replay after a cursor, kicks and expiry.
mod common;

use std::{path::PathBuf, time::Duration};

use common::{
    Backend, SignedIn, TestApp, code,
    realtime::{NodeClient, comment_in_background, npm_ci},
};
use futures::StreamExt;
use serde_json::{Value, json};

/// A keep-alive each second: a stream whose client left is noticed (and
/// its slot freed) at the next write.
const FAST_KEEPALIVE: &[(&str, &str)] = &[("VITRINE_WS_PING_INTERVAL", "1s")];

const NOTIFICATIONS: &str = "subscription($after: String) { notificationReceived(after: $after) { id cursor kind data actor { id } } }";
const FOLLOW: &str = "mutation($u: ID!) { follow(userId: $u) { id } }";
const CREATE_POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }";
const COMMENT: &str = "mutation($p: ID!, $b: String!) { addComment(postId: $p, body: $b) { id } }";

async fn sse_client() -> NodeClient {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/http-client");
    npm_ci(&dir, "graphql-sse");
    NodeClient::spawn_script(&dir, "sse.mjs").await
}

async fn subscribe(
    client: &mut NodeClient,
    app: &TestApp,
    sub: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) {
    client
        .send(json!({
            "op": "subscribe", "sub": sub, "url": app.url("/graphql/stream"),
            "token": token, "query": query, "variables": variables,
        }))
        .await;
}

async fn user(app: &TestApp, name: &str) -> SignedIn {
    app.register(
        &format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple()),
        name,
    )
    .await
}

async fn comment(app: &TestApp, who: &SignedIn, post_id: &str, body: &str) {
    app.gql_ok(
        COMMENT,
        json!({ "p": post_id, "b": body }),
        Some(&who.access),
    )
    .await;
}

fn notification(next: &Value) -> &Value {
    assert!(next.get("errors").is_none(), "errors: {next:#}");
    &next["data"]["notificationReceived"]
}

/// Waits until the app holds `n` open streams.
async fn wait_for_streams(app: &TestApp, n: f64) {
    for _ in 0..100 {
        if app.metric("sse_streams").await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "sse_streams stayed at {} (expected {n})",
        app.metric("sse_streams").await
    );
}

async fn notifications_arrive_and_replay_after_the_cursor(app: TestApp) {
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let mut client = sse_client().await;
    subscribe(
        &mut client,
        &app,
        "n1",
        Some(&ana.access),
        NOTIFICATIONS,
        json!({}),
    )
    .await;
    wait_for_streams(&app, 1.0).await;
    app.gql_ok(FOLLOW, json!({ "u": ana.id }), Some(&ben.access))
        .await;
    let next = client.next("n1").await;
    assert_eq!(notification(&next)["kind"], "FOLLOW");
    assert_eq!(notification(&next)["actor"]["id"], ben.id.as_str());
    let cursor = notification(&next)["cursor"].as_str().unwrap().to_owned();

    // Offline: the client leaves, three notifications are stored.
    client
        .send(json!({ "op": "unsubscribe", "sub": "n1" }))
        .await;
    wait_for_streams(&app, 0.0).await;
    let post_id = app
        .gql_ok(
            CREATE_POST,
            json!({ "i": { "body": "거실 living room" } }),
            Some(&ana.access),
        )
        .await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in ["second", "third", "fourth"] {
        comment(&app, &ben, &post_id, body).await;
    }
    // Back after the cursor while more keep coming: no gap, no duplicate.
    let writer =
        comment_in_background(app.url("/graphql"), ben.access.clone(), post_id.clone(), 15);
    subscribe(
        &mut client,
        &app,
        "n2",
        Some(&ana.access),
        NOTIFICATIONS,
        json!({ "after": cursor }),
    )
    .await;
    writer.await.unwrap();
    client
        .assert_replayed("n2", &["second", "third", "fourth"], 15)
        .await;
    client
        .send(json!({ "op": "unsubscribe", "sub": "n2" }))
        .await;
    wait_for_streams(&app, 0.0).await;
}

mod notifications_arrive_and_replay {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) = TestApp::spawn_with(Backend::Sqlite, FAST_KEEPALIVE).await {
            notifications_arrive_and_replay_after_the_cursor(app).await;
        }
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_redis() {
        if let Some(app) = TestApp::spawn_with_redis(Backend::Postgres, FAST_KEEPALIVE).await {
            notifications_arrive_and_replay_after_the_cursor(app).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_and_bad_documents_are_refused() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, FAST_KEEPALIVE).await else {
        return;
    };
    let mut client = sse_client().await;
    // A forged token: 401 before any stream, with its reason.
    subscribe(
        &mut client,
        &app,
        "forged",
        Some("not.a.token"),
        NOTIFICATIONS,
        json!({}),
    )
    .await;
    let refused = client
        .expect(|e| e["event"] == "error" && e["sub"] == "forged")
        .await;
    assert_eq!(refused["error"]["status"], 401, "{refused}");
    assert_eq!(code(&refused["error"]["body"]), "UNAUTHENTICATED");
    assert_eq!(
        refused["error"]["body"]["errors"][0]["extensions"]["reason"],
        "TOKEN_INVALID"
    );
    // Anonymous: the subscription itself needs a viewer.
    subscribe(&mut client, &app, "anon", None, NOTIFICATIONS, json!({})).await;
    let next = client.next("anon").await;
    assert_eq!(code(&next), "UNAUTHENTICATED", "{next}");
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "anon")
        .await;
    // A document that does not validate: a `next` with the error, then
    // `complete` (the protocol reports it through the stream).
    let ana = user(&app, "ana").await;
    subscribe(
        &mut client,
        &app,
        "bad",
        Some(&ana.access),
        "subscription { nope }",
        json!({}),
    )
    .await;
    let next = client.next("bad").await;
    assert_eq!(code(&next), "GRAPHQL_VALIDATION_FAILED", "{next}");
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "bad")
        .await;
    // Query limits hold.
    let deep = format!(
        "subscription {}{}",
        "{ notificationReceived ".repeat(14),
        "}".repeat(14)
    );
    subscribe(
        &mut client,
        &app,
        "deep",
        Some(&ana.access),
        &deep,
        json!({}),
    )
    .await;
    assert_eq!(code(&client.next("deep").await), "QUERY_TOO_DEEP");
    wait_for_streams(&app, 0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_cap_refuses_the_extra_one() {
    let Some(base) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let app = base
        .sibling(&[
            ("VITRINE_WS_MAX_SUBSCRIPTIONS", "2"),
            ("VITRINE_WS_PING_INTERVAL", "1s"),
        ])
        .await;
    let bob = user(&app, "bob").await;
    let mut client = sse_client().await;
    for sub in ["c1", "c2"] {
        subscribe(
            &mut client,
            &app,
            sub,
            Some(&bob.access),
            NOTIFICATIONS,
            json!({}),
        )
        .await;
    }
    wait_for_streams(&app, 2.0).await;
    let before = app
        .metric("graphql_errors_total{code=\"SUBSCRIPTION_LIMIT\"}")
        .await;
    subscribe(
        &mut client,
        &app,
        "c3",
        Some(&bob.access),
        NOTIFICATIONS,
        json!({}),
    )
    .await;
    let refused = client.next("c3").await;
    assert_eq!(code(&refused), "SUBSCRIPTION_LIMIT", "{refused}");
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "c3")
        .await;
    assert_eq!(
        app.metric("graphql_errors_total{code=\"SUBSCRIPTION_LIMIT\"}")
            .await
            - before,
        1.0
    );
    // Another user is not affected; a freed slot is usable again.
    let cy = user(&app, "cy").await;
    subscribe(
        &mut client,
        &app,
        "d1",
        Some(&cy.access),
        NOTIFICATIONS,
        json!({}),
    )
    .await;
    wait_for_streams(&app, 3.0).await;
    client
        .send(json!({ "op": "unsubscribe", "sub": "c1" }))
        .await;
    wait_for_streams(&app, 2.0).await;
    subscribe(
        &mut client,
        &app,
        "c4",
        Some(&bob.access),
        NOTIFICATIONS,
        json!({}),
    )
    .await;
    wait_for_streams(&app, 3.0).await;
    app.gql_ok(FOLLOW, json!({ "u": bob.id }), Some(&cy.access))
        .await;
    assert_eq!(notification(&client.next("c4").await)["kind"], "FOLLOW");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kicks_and_expiry_end_the_stream() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, FAST_KEEPALIVE).await else {
        return;
    };
    let mut client = sse_client().await;
    let victim = user(&app, "victim").await;
    subscribe(
        &mut client,
        &app,
        "v",
        Some(&victim.access),
        NOTIFICATIONS,
        json!({}),
    )
    .await;
    wait_for_streams(&app, 1.0).await;
    let admin = app.user_with_role("ADMIN").await;
    app.gql_ok(
        "mutation($id: ID!) { kickUser(id: $id, reason: \"spam\") { id } }",
        json!({ "id": victim.id }),
        Some(&admin.access),
    )
    .await;
    let next = client.next("v").await;
    assert_eq!(code(&next), "UNAUTHENTICATED");
    assert_eq!(next["errors"][0]["extensions"]["reason"], "SESSION_REVOKED");
    assert!(
        next["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("kicked")
    );
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "v")
        .await;

    let short = app.sibling(&[("VITRINE_ACCESS_TOKEN_TTL", "2s")]).await;
    let email = format!("brief-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, "brief").await;
    let login = short.login(&email, common::PASSWORD, "w").await;
    let brief = login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = tokio::time::Instant::now();
    subscribe(
        &mut client,
        &short,
        "b",
        Some(&brief),
        NOTIFICATIONS,
        json!({}),
    )
    .await;
    let next = client.next("b").await;
    assert_eq!(
        next["errors"][0]["extensions"]["reason"], "TOKEN_EXPIRED",
        "{next}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "b")
        .await;
}

/// The wire format, read raw: `event: next` with the result as `data`,
/// then `event: complete` with an empty `data` (which EventSource needs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_format_is_the_protocols() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, FAST_KEEPALIVE).await else {
        return;
    };
    let resp = app
        .http
        .get(app.url("/graphql/stream"))
        .query(&[("query", "{ __typename }")])
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = String::new();
    let mut chunks = resp.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        body.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    assert_eq!(
        body,
        "event: next\ndata: {\"data\":{\"__typename\":\"Query\"}}\n\nevent: complete\ndata: \n\n"
    );
    // Without `Accept: text/event-stream`: 406.
    let resp = app
        .http
        .post(app.url("/graphql/stream"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 406);
    // Mutations are not run from a URL.
    let resp = app
        .http
        .get(app.url("/graphql/stream"))
        .query(&[("query", "mutation { logout }")])
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}
