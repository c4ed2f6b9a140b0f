//! Web Push (issue 23) against a local push service (tests/push-service,
//! Node with http_ece) that verifies every request's VAPID signature (RFC
//! 8292) and decrypts its payload (RFC 8291), as a browser's push service
//! and the browser would.
mod common;

use std::{process::Stdio, time::Duration};

use common::{
    Backend, SignedIn, TestApp, code,
    realtime::{npm_ci, raw_next, raw_send, raw_socket},
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

on_both_databases!(
    a_notification_reaches_a_browser_with_no_open_socket,
    nothing_is_pushed_while_a_socket_is_open,
    gone_subscriptions_are_dropped_and_failures_retried,
);

/// The push service: a Node process, stopped when dropped.
struct PushService {
    _child: Child,
    base: String,
    http: reqwest::Client,
}

impl PushService {
    async fn start() -> Self {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/push-service");
        npm_ci(&dir, "http_ece");
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node must be installed");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).await.unwrap();
        let ready: Value = serde_json::from_str(&line).unwrap();
        Self {
            _child: child,
            base: format!("http://127.0.0.1:{}", ready["port"]),
            http: reqwest::Client::new(),
        }
    }

    /// A browser's subscription made for the server's VAPID key.
    async fn subscribe(&self, application_server_key: &str) -> Value {
        self.http
            .post(format!("{}/subscriptions", self.base))
            .json(&json!({ "applicationServerKey": application_server_key }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn answer_next(&self, id: &str, statuses: &[u16]) {
        self.http
            .post(format!("{}/subscriptions/{id}/answers", self.base))
            .json(&json!({ "statuses": statuses }))
            .send()
            .await
            .unwrap();
    }

    async fn state(&self) -> Value {
        self.http
            .get(format!("{}/state", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until `count` messages were received (panics after 30 s).
    async fn messages(&self, count: usize) -> Vec<Value> {
        for _ in 0..300 {
            let state = self.state().await;
            assert_eq!(
                state["rejected"],
                json!([]),
                "the push service refused: {state:#}"
            );
            let messages = state["messages"].as_array().cloned().unwrap_or_default();
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the push service did not get {count} messages: {:#}",
            self.state().await
        );
    }
}

const REGISTER: &str = "mutation($endpoint: String!, $keys: PushSubscriptionKeysInput!) {
  registerPushSubscription(endpoint: $endpoint, keys: $keys) { id endpoint lastSuccessAt } }";
const MINE: &str = "{ myPushSubscriptions { endpoint lastSuccessAt } }";

async fn public_key(app: &TestApp) -> String {
    let body = app.gql_ok("{ webPushPublicKey }", json!({}), None).await;
    body["webPushPublicKey"].as_str().unwrap().to_owned()
}

/// Registers a new subscription of the push service for `user`; its id
/// there.
async fn register(app: &TestApp, push: &PushService, user: &SignedIn) -> (String, String) {
    let sub = push.subscribe(&public_key(app).await).await;
    let endpoint = sub["endpoint"].as_str().unwrap().to_owned();
    app.gql_ok(
        REGISTER,
        json!({ "endpoint": endpoint, "keys": { "p256dh": sub["p256dh"], "auth": sub["auth"] } }),
        Some(&user.access),
    )
    .await;
    (sub["id"].as_str().unwrap().to_owned(), endpoint)
}

async fn follow(app: &TestApp, who: &SignedIn, whom: &SignedIn) {
    app.gql_ok(
        "mutation($id: ID!) { follow(userId: $id) { id } }",
        json!({ "id": whom.id }),
        Some(&who.access),
    )
    .await;
}

/// Waits until `web_push_deliveries_total{outcome}` reaches `n`.
async fn outcome(app: &TestApp, outcome: &str, n: f64) {
    let name = format!("web_push_deliveries_total{{outcome=\"{outcome}\"}}");
    for _ in 0..300 {
        if app.metric(&name).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} never reached {n}:\n{}", app.metrics_text().await);
}

async fn a_notification_reaches_a_browser_with_no_open_socket(app: TestApp) {
    let push = PushService::start().await;
    let ana = app.register("ana-push@example.com", "ana").await;
    let ben = app.register("ben-push@example.com", "ben").await;
    let key = public_key(&app).await;
    let raw = base64_url(&key);
    assert_eq!(raw.len(), 65, "an uncompressed P-256 point");
    assert_eq!(raw[0], 4);
    register(&app, &push, &ana).await;

    follow(&app, &ben, &ana).await;
    let messages = push.messages(1).await;
    let message = &messages[0];
    assert_eq!(message["status"], 201);
    let payload = &message["payload"];
    assert_eq!(payload["kind"], "FOLLOW", "{payload:#}");
    assert_eq!(payload["title"], "vitrine");
    // Korean unless the account says otherwise.
    assert_eq!(
        payload["body"], "ben님이 회원님을 팔로우합니다",
        "{payload:#}"
    );
    assert!(
        payload["url"].as_str().unwrap().starts_with("/users/"),
        "{payload:#}"
    );
    assert!(payload["notificationId"].is_string());
    assert_eq!(message["vapid"]["sub"], "mailto:no-reply@vitrine.local");
    assert_eq!(message["ttl"], 86400);
    outcome(&app, "sent", 1.0).await;
    let mine = app.gql_ok(MINE, json!({}), Some(&ana.access)).await;
    assert!(
        mine["myPushSubscriptions"][0]["lastSuccessAt"].is_string(),
        "{mine}"
    );
    // Ben has no subscription: nothing was queued for his own actions.
    assert_eq!(push.state().await["messages"].as_array().unwrap().len(), 1);
}

async fn nothing_is_pushed_while_a_socket_is_open(app: TestApp) {
    let push = PushService::start().await;
    let ana = app.register("ana-online@example.com", "ana").await;
    let ben = app.register("ben-online@example.com", "ben").await;
    let cy = app.register("cy-online@example.com", "cy").await;
    register(&app, &push, &ana).await;
    let mut socket = raw_socket(&app.ws_url(), "graphql-transport-ws").await;
    raw_send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", ana.access) } }),
    )
    .await;
    assert_eq!(
        raw_next(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );

    follow(&app, &ben, &ana).await;
    outcome(&app, "online", 1.0).await;
    assert_eq!(push.state().await["messages"], json!([]));

    // Once the socket is gone, the next one is pushed.
    drop(socket);
    for _ in 0..100 {
        let online = app
            .gql_ok(
                "query($ids: [ID!]!) { presence(userIds: $ids) { online } }",
                json!({ "ids": [ana.id] }),
                Some(&ana.access),
            )
            .await;
        if online["presence"][0]["online"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    follow(&app, &cy, &ana).await;
    let messages = push.messages(1).await;
    assert_eq!(
        messages[0]["payload"]["body"],
        "cy님이 회원님을 팔로우합니다"
    );
}

async fn gone_subscriptions_are_dropped_and_failures_retried(app: TestApp) {
    let push = PushService::start().await;
    let ana = app.register("ana-gone@example.com", "ana").await;
    let ben = app.register("ben-gone@example.com", "ben").await;
    let (flaky, flaky_endpoint) = register(&app, &push, &ana).await;
    let (gone, gone_endpoint) = register(&app, &push, &ana).await;
    push.answer_next(&flaky, &[503]).await;
    push.answer_next(&gone, &[410]).await;

    follow(&app, &ben, &ana).await;
    outcome(&app, "gone", 1.0).await;
    outcome(&app, "retried", 1.0).await;
    let mine = app.gql_ok(MINE, json!({}), Some(&ana.access)).await;
    let endpoints: Vec<&str> = mine["myPushSubscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        [flaky_endpoint.as_str()],
        "the 410 one is dropped"
    );
    assert!(!endpoints.contains(&gone_endpoint.as_str()));
    // The 503 is retried (backoff from 5 s) and then accepted.
    outcome(&app, "sent", 1.0).await;
    let messages = push.messages(3).await;
    let flaky_statuses: Vec<&Value> = messages
        .iter()
        .filter(|m| m["subscription"] == flaky.as_str())
        .map(|m| &m["status"])
        .collect();
    assert_eq!(flaky_statuses, [&json!(503), &json!(201)]);
}

/// Bad subscriptions are refused with VALIDATION; an endpoint registered
/// again moves to the new user; removing works only on one's own.
#[tokio::test]
async fn subscriptions_are_validated_moved_and_removed() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let push = PushService::start().await;
    let ana = app.register("ana-val@example.com", "ana").await;
    let ben = app.register("ben-val@example.com", "ben").await;
    let sub = push.subscribe(&public_key(&app).await).await;
    let keys = json!({ "p256dh": sub["p256dh"], "auth": sub["auth"] });
    for (endpoint, keys, field) in [
        ("http://push.example.com/x", keys.clone(), "plain http"),
        ("nonsense", keys.clone(), "not a URL"),
        (
            "https://push.example.com/x",
            json!({ "p256dh": "AAAA", "auth": sub["auth"] }),
            "bad key",
        ),
        (
            "https://push.example.com/x",
            json!({ "p256dh": sub["p256dh"], "auth": "AAAA" }),
            "short auth",
        ),
    ] {
        let body = app
            .gql(
                REGISTER,
                json!({ "endpoint": endpoint, "keys": keys }),
                Some(&ana.access),
            )
            .await;
        assert_eq!(code(&body), "VALIDATION", "{field}: {body}");
    }
    let anonymous = app
        .gql(
            REGISTER,
            json!({ "endpoint": sub["endpoint"], "keys": keys }),
            None,
        )
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{anonymous}");

    let endpoint = sub["endpoint"].as_str().unwrap();
    let vars = json!({ "endpoint": endpoint, "keys": keys });
    app.gql_ok(REGISTER, vars.clone(), Some(&ana.access)).await;
    app.gql_ok(REGISTER, vars, Some(&ben.access)).await;
    let count = |body: Value| body["myPushSubscriptions"].as_array().unwrap().len();
    assert_eq!(
        count(app.gql_ok(MINE, json!({}), Some(&ana.access)).await),
        0
    );
    assert_eq!(
        count(app.gql_ok(MINE, json!({}), Some(&ben.access)).await),
        1
    );

    let remove = "mutation($e: String!) { removePushSubscription(endpoint: $e) }";
    let by_ana = app
        .gql_ok(remove, json!({ "e": endpoint }), Some(&ana.access))
        .await;
    assert_eq!(by_ana["removePushSubscription"], false);
    let by_ben = app
        .gql_ok(remove, json!({ "e": endpoint }), Some(&ben.access))
        .await;
    assert_eq!(by_ben["removePushSubscription"], true);
    assert_eq!(
        count(app.gql_ok(MINE, json!({}), Some(&ben.access)).await),
        0
    );
}

fn base64_url(raw: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .unwrap()
}
