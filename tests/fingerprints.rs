//! Session fingerprints (seed "Device Fingerprinting", issue 17) over HTTP
//! and WebSocket, on SQLite and on PostgreSQL + Redis: a refresh from the
//! same device and browser family slides the session; from another network
//! it is recorded and the user told (notification and mail); from another
//! browser or device id the session is revoked, its socket closed, and the
//! admins alerted. The app trusts 127.0.0.1 as its load balancer, so each
//! request names its client in `X-Forwarded-For`, the way a deployment
//! behind a proxy does.
mod common;

use std::time::Duration;

use common::{Backend, SignedIn, TestApp, code, realtime::NodeClient, reason};
use serde_json::{Value, json};

const TRUST_LOCALHOST: (&str, &str) = ("VITRINE_TRUSTED_PROXIES", "127.0.0.1, ::1");
const CHROME_WIN_120: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const CHROME_WIN_131: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p, deviceId: \"laptop\" }) { accessToken refreshToken } }";
const REFRESH: &str = "mutation($t: String!, $d: String) { refreshToken(token: $t, deviceId: $d) { accessToken refreshToken } }";
const SESSIONS: &str = "{ mySessions(first: 10) { edges { node { ip expiresAt current } } } }";
const NOTIFICATIONS: &str = "{ notifications(first: 10) { edges { node { kind data } } } }";
const ALERTS: &str = "{ securityAlerts(kind: \"SESSION_FINGERPRINT\", first: 10) { edges { node { severity subject message } } } }";

async fn on_both(test: impl AsyncFn(TestApp)) {
    if let Some(app) = TestApp::spawn_with(Backend::Sqlite, &[TRUST_LOCALHOST]).await {
        test(app).await;
    }
    if let Some(app) = TestApp::spawn_with_redis(Backend::Postgres, &[TRUST_LOCALHOST]).await {
        test(app).await;
    }
}

/// A GraphQL POST as a browser at `ip` behind the proxy.
async fn from(app: &TestApp, ip: &str, ua: &str, query: &str, variables: Value) -> Value {
    app.http
        .post(app.url("/graphql"))
        .header("user-agent", ua)
        .header("x-forwarded-for", ip)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json body")
}

fn pair(body: &Value, field: &str) -> SignedIn {
    assert!(body.get("errors").is_none(), "{body:#}");
    let tokens = &body["data"][field];
    SignedIn {
        id: String::new(),
        email: String::new(),
        access: tokens["accessToken"].as_str().unwrap().to_owned(),
        refresh: tokens["refreshToken"].as_str().unwrap().to_owned(),
    }
}

async fn sign_in(app: &TestApp, email: &str, ip: &str, ua: &str) -> SignedIn {
    app.register(email, email.split('@').next().unwrap()).await;
    let body = from(
        app,
        ip,
        ua,
        LOGIN,
        json!({ "e": email, "p": common::PASSWORD }),
    )
    .await;
    pair(&body, "login")
}

async fn refresh(app: &TestApp, ip: &str, ua: &str, token: &str, device: Option<&str>) -> Value {
    from(app, ip, ua, REFRESH, json!({ "t": token, "d": device })).await
}

async fn laptop_session(app: &TestApp, me: &SignedIn) -> Value {
    let sessions = app.gql_ok(SESSIONS, json!({}), Some(&me.access)).await;
    sessions["mySessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .find(|s| s["current"] == true)
        .expect("the current session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_browser_slides_and_a_new_network_is_told() {
    on_both(async |app: TestApp| {
        let admin = app.user_with_role("ADMIN").await;
        let me = sign_in(&app, "mover@example.com", "203.0.113.7", CHROME_WIN_120).await;
        let before = laptop_session(&app, &me).await;
        assert_eq!(before["ip"], "203.0.113.7");

        // A browser update, another host of the same /24: the same place.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let body = refresh(&app, "203.0.113.99", CHROME_WIN_131, &me.refresh, None).await;
        let me = pair(&body, "refreshToken");
        let slid = laptop_session(&app, &me).await;
        assert!(
            slid["expiresAt"].as_str() > before["expiresAt"].as_str(),
            "a refresh extends the session: {before} then {slid}"
        );
        let none = app.gql_ok(NOTIFICATIONS, json!({}), Some(&me.access)).await;
        assert_eq!(none["notifications"]["edges"], json!([]), "{none}");

        // Another network, same device and browser: recorded and told.
        let body = refresh(
            &app,
            "198.51.100.23",
            CHROME_WIN_131,
            &me.refresh,
            Some("laptop"),
        )
        .await;
        let me = pair(&body, "refreshToken");
        assert_eq!(laptop_session(&app, &me).await["ip"], "198.51.100.23");
        let told = app.gql_ok(NOTIFICATIONS, json!({}), Some(&me.access)).await;
        let edges = told["notifications"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1, "{told}");
        assert_eq!(edges[0]["node"]["kind"], "NEW_SIGN_IN_LOCATION");
        assert!(
            edges[0]["node"]["data"]
                .to_string()
                .contains("198.51.100.0/24"),
            "{told}"
        );
        let mail = app
            .sent_mail(&admin, "mover@example.com", "NEW_SIGN_IN_LOCATION")
            .await;
        assert!(
            mail["textBody"]
                .as_str()
                .unwrap()
                .contains("198.51.100.0/24"),
            "{mail}"
        );

        // Back on that network: nothing new to tell.
        let body = refresh(&app, "198.51.100.40", CHROME_WIN_131, &me.refresh, None).await;
        let me = pair(&body, "refreshToken");
        let still = app.gql_ok(NOTIFICATIONS, json!({}), Some(&me.access)).await;
        assert_eq!(still["notifications"]["edges"].as_array().unwrap().len(), 1);
        let alerts = app.gql_ok(ALERTS, json!({}), Some(&admin.access)).await;
        assert_eq!(alerts["securityAlerts"]["edges"], json!([]));
        app.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_browser_revokes_the_session_and_alerts() {
    on_both(async |app: TestApp| {
        let admin = app.user_with_role("ADMIN").await;
        let me = sign_in(&app, "victim@example.com", "203.0.113.7", CHROME_WIN_120).await;
        let mut client = NodeClient::spawn().await;
        client.connect("me", &app.ws_url(), Some(&me.access)).await;
        client
            .watch_notifications("admin", &app.ws_url(), &admin.access, "n")
            .await;

        // The refresh token copied into another browser, elsewhere.
        let stolen = refresh(&app, "192.0.2.50", FIREFOX_LINUX, &me.refresh, None).await;
        assert_eq!(code(&stolen), "SESSION_FINGERPRINT_CHANGED", "{stolen}");
        assert_eq!(client.closed("me").await.0, 4403);
        // The session is gone for its owner too: sign in again.
        let owner = refresh(&app, "203.0.113.7", CHROME_WIN_120, &me.refresh, None).await;
        assert_eq!(code(&owner), "UNAUTHENTICATED");
        assert_eq!(reason(&owner), "SESSION_REVOKED");
        let me_now = app.gql("{ me { id } }", json!({}), Some(&me.access)).await;
        assert_eq!(code(&me_now), "UNAUTHENTICATED");

        // The admins see it live, stored and HIGH.
        let live = client.next("n").await;
        let n = &live["data"]["notificationReceived"];
        assert_eq!(n["kind"], "ADMIN_ALERT");
        assert!(n["data"].to_string().contains("SESSION_FINGERPRINT"), "{n}");
        let alerts = app.gql_ok(ALERTS, json!({}), Some(&admin.access)).await;
        let edges = alerts["securityAlerts"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1, "{alerts}");
        assert_eq!(edges[0]["node"]["severity"], "HIGH");
        assert!(
            edges[0]["node"]["message"]
                .as_str()
                .unwrap()
                .contains("Firefox/Linux"),
            "{alerts}"
        );

        // Another device id with the same browser: refused the same way.
        let again = sign_in(&app, "twin@example.com", "203.0.113.7", CHROME_WIN_120).await;
        let other = refresh(
            &app,
            "203.0.113.7",
            CHROME_WIN_120,
            &again.refresh,
            Some("phone"),
        )
        .await;
        assert_eq!(code(&other), "SESSION_FINGERPRINT_CHANGED", "{other}");
        app.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_read_only_from_trusted_proxies() {
    // Without VITRINE_TRUSTED_PROXIES the header is the client's own claim
    // and is ignored: the session records the peer.
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.register("plain@example.com", "plain").await;
    let body = from(
        &app,
        "203.0.113.7",
        CHROME_WIN_120,
        LOGIN,
        json!({ "e": "plain@example.com", "p": common::PASSWORD }),
    )
    .await;
    let me = pair(&body, "login");
    assert_eq!(laptop_session(&app, &me).await["ip"], "127.0.0.1");
    app.stop().await.unwrap();
}
