//! Account security over HTTP and WebSocket (AUTH-5, AUTH-6), on SQLite
//! and on PostgreSQL (with Redis where the monitor counts): mail through
//! the outbox and through a fake of Brevo's API, email codes with an
//! injected clock (no 60-second sleeps), verified sign-up, password reset,
//! the brute-force monitor and its alerts, forged tokens and the block
//! list, and RBAC mismatches.
mod common;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use chrono::Utc;
use common::{Backend, SignedIn, TestApp, code, realtime::NodeClient};
use serde_json::{Value, json};
use vitrine::jobs::{Clock, ManualClock};

const REQUEST_CODE: &str = "mutation($e: String!, $p: EmailCodePurpose! = VERIFY_EMAIL) { requestEmailCode(email: $e, purpose: $p) { cooldownSeconds expiresInSeconds } }";
const VERIFY: &str = "mutation($e: String!, $c: String!, $p: EmailCodePurpose! = VERIFY_EMAIL) { verifyEmailCode(email: $e, code: $c, purpose: $p) { token expiresAt } }";
const RESET: &str = "mutation($e: String!, $t: String!, $p: String!) { resetPassword(email: $e, token: $t, newPassword: $p) }";
use common::OUTBOX;
const ALERTS: &str = "query($k: String) { securityAlerts(kind: $k, first: 50) { edges { node { kind severity subject message } } } }";
const REGISTER: &str =
    "mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id email } } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p, deviceId: \"d1\" }) { accessToken } }";

macro_rules! on_both_clocked {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let clock = ManualClock::new(Utc::now());
                    if let Some(app) = TestApp::spawn_with_clock(Backend::Sqlite, &[], clock.clone()).await {
                        super::$name(app, clock).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres_redis() {
                    let clock = ManualClock::new(Utc::now());
                    if let Some(app) = TestApp::spawn_with_redis_and_clock(Backend::Postgres, &[], clock.clone()).await {
                        super::$name(app, clock).await;
                    }
                }
            }
        )+
    };
}

on_both_clocked!(
    a_newcomer_verifies_registers_forgets_and_resets,
    codes_follow_the_clock,
    answers_do_not_tell_whether_an_account_exists,
    failed_logins_raise_one_alert_then_mute,
    forged_tokens_make_candidates_and_blocks_refuse,
    a_stale_role_claim_is_an_alert_and_never_obeyed,
    signup_anomalies_follow_the_history,
);

/// The 6-digit code in a mail.
fn code_in(mail: &Value) -> String {
    let text = mail["textBody"].as_str().unwrap();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

async fn code_for(app: &TestApp, admin: &SignedIn, email: &str, purpose: &str) -> String {
    let asked = app
        .gql_ok(REQUEST_CODE, json!({ "e": email, "p": purpose }), None)
        .await;
    assert_eq!(asked["requestEmailCode"]["cooldownSeconds"], 60);
    assert_eq!(asked["requestEmailCode"]["expiresInSeconds"], 600);
    code_in(&app.sent_mail(admin, email, "EMAIL_CODE").await)
}

async fn a_newcomer_verifies_registers_forgets_and_resets(app: TestApp, _clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    let app = app
        .sibling(&[("VITRINE_REQUIRE_EMAIL_VERIFICATION", "true")])
        .await;
    let email = "newcomer@example.com";
    let register = |token: Option<&str>| json!({ "i": { "email": email, "password": common::PASSWORD, "nickname": "newbie", "emailVerificationToken": token } });
    // Without a verified address there is no account.
    let body = app.gql(REGISTER, register(None), None).await;
    assert_eq!(code(&body), "VALIDATION");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "emailVerificationToken"
    );
    let code_ = code_for(&app, &admin, email, "VERIFY_EMAIL").await;
    // The mail is also an .eml file in the data directory.
    let outbox = std::fs::read_dir(app.data_dir.join("outbox"))
        .unwrap()
        .count();
    assert!(outbox >= 1);
    let verified = app
        .gql_ok(VERIFY, json!({ "e": email, "c": code_ }), None)
        .await;
    let token = verified["verifyEmailCode"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A token of another address does not do.
    let other = app
        .gql(REGISTER, json!({ "i": { "email": "else@example.com", "password": common::PASSWORD, "nickname": "else", "emailVerificationToken": token } }), None)
        .await;
    assert_eq!(code(&other), "VALIDATION");
    let created = app.gql_ok(REGISTER, register(Some(&token)), None).await;
    assert_eq!(created["register"]["user"]["email"], email);
    let access = created["register"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // Used once.
    let again = app.gql(REGISTER, register(Some(&token)), None).await;
    assert_ne!(again.get("errors"), None);

    // Forgot the password: a live socket closes, the old password stops
    // working, the new one works, a notice is mailed.
    let mut client = NodeClient::spawn().await;
    client.connect("me", &app.ws_url(), Some(&access)).await;
    let reset_code = {
        app.gql_ok(
            "mutation($e: String!) { requestPasswordReset(email: $e) { cooldownSeconds } }",
            json!({ "e": email }),
            None,
        )
        .await;
        // The newest code mail once it went out (not the sign-up's).
        loop {
            let mail = app.sent_mail(&admin, email, "EMAIL_CODE").await;
            if mail["subject"].as_str().unwrap().contains("비밀번호") {
                break code_in(&mail);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let reset_token = app
        .gql_ok(
            VERIFY,
            json!({ "e": email, "c": reset_code, "p": "PASSWORD_RESET" }),
            None,
        )
        .await["verifyEmailCode"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let weak = app
        .gql(
            RESET,
            json!({ "e": email, "t": reset_token, "p": "short" }),
            None,
        )
        .await;
    assert_eq!(code(&weak), "VALIDATION");
    let done = app
        .gql_ok(
            RESET,
            json!({ "e": email, "t": reset_token, "p": "a-brand-new-passphrase-42" }),
            None,
        )
        .await;
    assert_eq!(done["resetPassword"], true);
    assert_eq!(client.closed("me").await.0, 4403);
    let old = app
        .gql(LOGIN, json!({ "e": email, "p": common::PASSWORD }), None)
        .await;
    assert_eq!(code(&old), "INVALID_CREDENTIALS");
    let fresh = app
        .gql_ok(
            LOGIN,
            json!({ "e": email, "p": "a-brand-new-passphrase-42" }),
            None,
        )
        .await;
    let fresh = fresh["login"]["accessToken"].as_str().unwrap().to_owned();
    let old_session = app.gql("{ me { id } }", json!({}), Some(&access)).await;
    assert_eq!(code(&old_session), "UNAUTHENTICATED");
    let notice = app.sent_mail(&admin, email, "PASSWORD_CHANGED").await;
    assert_eq!(notice["locale"], "ko");
    assert_eq!(notice["provider"], "outbox");
    // The token was used.
    let twice = app
        .gql(
            RESET,
            json!({ "e": email, "t": reset_token, "p": "another-passphrase-4242" }),
            None,
        )
        .await;
    assert_eq!(code(&twice), "VALIDATION");

    // A new address needs its own verification.
    let update = "mutation($i: UpdateMeInput!) { updateMe(input: $i) { email } }";
    let moved = "moved@example.com";
    let body = app
        .gql(update, json!({ "i": { "email": moved } }), Some(&fresh))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let move_code = code_for(&app, &admin, moved, "VERIFY_EMAIL").await;
    let move_token = app
        .gql_ok(VERIFY, json!({ "e": moved, "c": move_code }), None)
        .await["verifyEmailCode"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = app
        .gql(
            update,
            json!({ "i": { "email": "other@example.com", "emailVerificationToken": move_token } }),
            Some(&fresh),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "a token of another address");
    let changed = app
        .gql_ok(
            update,
            json!({ "i": { "email": moved, "emailVerificationToken": move_token } }),
            Some(&fresh),
        )
        .await;
    assert_eq!(changed["updateMe"]["email"], moved);
}

async fn codes_follow_the_clock(app: TestApp, clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    let email = "clock@example.com";
    let first = code_for(&app, &admin, email, "VERIFY_EMAIL").await;
    // Cooldown: 59 s refused with how long to wait, 60 s allowed.
    clock.advance(Duration::from_secs(59));
    let body = app.gql(REQUEST_CODE, json!({ "e": email }), None).await;
    assert_eq!(code(&body), "COOLDOWN");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], 1);
    clock.advance(Duration::from_secs(1));
    app.gql_ok(REQUEST_CODE, json!({ "e": email }), None).await;
    // The first code no longer works: a new one voids it.
    let body = app
        .gql(VERIFY, json!({ "e": email, "c": first }), None)
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let current = loop {
        let mail = app.sent_mail(&admin, email, "EMAIL_CODE").await;
        let c = code_in(&mail);
        if c != first {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Five wrong attempts (the one above counted against the new code
    // too), the fifth voids it; the sixth fails even with the right code.
    let wrong = if current == "000000" {
        "111111"
    } else {
        "000000"
    };
    for attempt in 2..=5 {
        let body = app
            .gql(VERIFY, json!({ "e": email, "c": wrong }), None)
            .await;
        assert_eq!(code(&body), "VALIDATION", "attempt {attempt}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        if attempt == 5 {
            assert!(message.contains("void"), "{message}");
        } else {
            assert!(
                message.contains(&format!("{} attempts left", 5 - attempt)),
                "{message}"
            );
        }
    }
    let body = app
        .gql(VERIFY, json!({ "e": email, "c": current }), None)
        .await;
    assert_eq!(code(&body), "VALIDATION");

    // A fresh code; its token expires after 3 minutes.
    clock.advance(Duration::from_secs(60));
    app.gql_ok(REQUEST_CODE, json!({ "e": email }), None).await;
    let fresh = loop {
        let c = code_in(&app.sent_mail(&admin, email, "EMAIL_CODE").await);
        if c != current && c != first {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let token = app
        .gql_ok(VERIFY, json!({ "e": email, "c": fresh }), None)
        .await["verifyEmailCode"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    clock.advance(Duration::from_secs(181));
    let strict = app
        .sibling(&[("VITRINE_REQUIRE_EMAIL_VERIFICATION", "true")])
        .await;
    let late = strict
        .gql(REGISTER, json!({ "i": { "email": email, "password": common::PASSWORD, "nickname": "late", "emailVerificationToken": token } }), None)
        .await;
    assert_eq!(code(&late), "VALIDATION");
    // Codes expire after 10 minutes.
    clock.advance(Duration::from_secs(60));
    app.gql_ok(REQUEST_CODE, json!({ "e": email }), None).await;
    let expiring = loop {
        let c = code_in(&app.sent_mail(&admin, email, "EMAIL_CODE").await);
        if c != fresh && c != current && c != first {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    clock.advance(Duration::from_secs(601));
    let body = app
        .gql(VERIFY, json!({ "e": email, "c": expiring }), None)
        .await;
    assert_eq!(code(&body), "VALIDATION");
}

async fn answers_do_not_tell_whether_an_account_exists(app: TestApp, _clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    let known = app.register("known@example.com", "known").await;
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) { cooldownSeconds expiresInSeconds } }";
    let mut timings = Vec::new();
    let mut answers = Vec::new();
    for email in ["known@example.com", "nobody@example.com"] {
        let started = std::time::Instant::now();
        let body = app.gql(ask, json!({ "e": email }), None).await;
        timings.push(started.elapsed());
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].get("errors").is_none(), "{:#}", answers[0]);
    // Same cooldown for both.
    for email in ["known@example.com", "nobody@example.com"] {
        assert_eq!(
            code(&app.gql(ask, json!({ "e": email }), None).await),
            "COOLDOWN"
        );
    }
    // Similar timing: the unknown address does the same writes.
    let (a, b) = (timings[0].as_secs_f64(), timings[1].as_secs_f64());
    assert!(a.max(b) < 10.0 * a.min(b) + 0.05, "{timings:?}");
    // Only the account is mailed.
    app.sent_mail(&admin, "known@example.com", "EMAIL_CODE")
        .await;
    let none = app
        .gql_ok(
            OUTBOX,
            json!({ "to": "nobody@example.com" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(none["adminOutbox"]["edges"].as_array().unwrap().len(), 0);
    // Outbox and alerts are for admins.
    assert_eq!(
        code(&app.gql(OUTBOX, json!({}), Some(&known.access)).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&app.gql(ALERTS, json!({}), None).await),
        "UNAUTHENTICATED"
    );
}

async fn alerts_of(app: &TestApp, admin: &SignedIn, kind: &str) -> Vec<Value> {
    app.gql_ok(ALERTS, json!({ "k": kind }), Some(&admin.access))
        .await["securityAlerts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn failed_logins_raise_one_alert_then_mute(app: TestApp, clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    app.register("target@example.com", "target").await;
    let mut client = NodeClient::spawn().await;
    client
        .watch_notifications("admin", &app.ws_url(), &admin.access, "n")
        .await;
    let fail = |email: &'static str| {
        let app = &app;
        async move {
            let body = app
                .gql(
                    LOGIN,
                    json!({ "e": email, "p": "wrong-password-123" }),
                    None,
                )
                .await;
            assert_eq!(code(&body), "INVALID_CREDENTIALS");
        }
    };
    for _ in 0..4 {
        fail("target@example.com").await;
    }
    assert!(
        alerts_of(&app, &admin, "BRUTE_FORCE_ACCOUNT")
            .await
            .is_empty()
    );
    fail("target@example.com").await;
    // Live to the subscribed admin.
    let next = client.next("n").await;
    let n = &next["data"]["notificationReceived"];
    assert_eq!(n["kind"], "ADMIN_ALERT");
    assert!(n["data"].to_string().contains("BRUTE_FORCE_ACCOUNT"), "{n}");
    let alerts = alerts_of(&app, &admin, "BRUTE_FORCE_ACCOUNT").await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["subject"], "account:target@example.com");
    assert_eq!(alerts[0]["severity"], "HIGH");
    // The sixth within 30 minutes: muted.
    fail("target@example.com").await;
    assert_eq!(
        alerts_of(&app, &admin, "BRUTE_FORCE_ACCOUNT").await.len(),
        1
    );
    // After 30 minutes, a new wave: a new alert.
    clock.advance(Duration::from_secs(31 * 60));
    for _ in 0..5 {
        fail("target@example.com").await;
    }
    assert_eq!(
        alerts_of(&app, &admin, "BRUTE_FORCE_ACCOUNT").await.len(),
        2
    );
    // From one address too (every failure above came from 127.0.0.1).
    assert!(!alerts_of(&app, &admin, "BRUTE_FORCE_IP").await.is_empty());
    // A success starts the account's count over.
    app.register("careful@example.com", "careful").await;
    for _ in 0..4 {
        fail("careful@example.com").await;
    }
    app.gql_ok(
        LOGIN,
        json!({ "e": "careful@example.com", "p": common::PASSWORD }),
        None,
    )
    .await;
    for _ in 0..4 {
        fail("careful@example.com").await;
    }
    let careful: Vec<Value> = alerts_of(&app, &admin, "BRUTE_FORCE_ACCOUNT")
        .await
        .into_iter()
        .filter(|a| a["subject"] == "account:careful@example.com")
        .collect();
    assert!(careful.is_empty(), "{careful:?}");
    // A HIGH alert is mailed to the admins.
    app.sent_mail(&admin, &admin.email, "SECURITY_ALERT").await;
}

async fn forged_tokens_make_candidates_and_blocks_refuse(app: TestApp, _clock: ManualClock) {
    let app = app
        .sibling(&[("VITRINE_SECURITY_TOKEN_THRESHOLD", "3")])
        .await;
    let admin = app.user_with_role("ADMIN").await;
    // Forged: a valid-looking token signed with another key.
    let forged = {
        let other = app
            .sibling(&[(
                "VITRINE_JWT_SECRET",
                "another-secret-another-secret-another-0000",
            )])
            .await;
        other.register("forger@example.com", "forger").await.access
    };
    for _ in 0..2 {
        let body = app.gql("{ me { id } }", json!({}), Some(&forged)).await;
        assert_eq!(code(&body), "UNAUTHENTICATED");
    }
    // The third on a WebSocket's connection_init counts the same.
    let mut client = NodeClient::spawn().await;
    client
        .send(json!({ "op": "connect", "conn": "forged", "url": app.ws_url(), "token": forged }))
        .await;
    assert_eq!(client.closed("forged").await.0, 4403);
    let candidates = app
        .gql_ok(
            "{ securityCandidates { ip alert { kind } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let list = candidates["securityCandidates"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["ip"], "127.0.0.1");
    assert_eq!(list[0]["alert"]["kind"], "INVALID_TOKENS");
    // Bad input.
    let block = "mutation($ip: String!, $r: String!, $u: DateTime) { blockIp(ip: $ip, reason: $r, until: $u) { ip until } }";
    let body = app
        .gql(
            block,
            json!({ "ip": "not-an-ip", "r": "x" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let past = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let body = app
        .gql(
            block,
            json!({ "ip": "127.0.0.1", "r": "x", "u": past }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let someone = app.register("someone@example.com", "someone").await;
    let body = app
        .gql(
            block,
            json!({ "ip": "127.0.0.1", "r": "x" }),
            Some(&someone.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    // Blocked: every request from it is refused before any work.
    app.gql_ok(
        block,
        json!({ "ip": "127.0.0.1", "r": "forged tokens" }),
        Some(&admin.access),
    )
    .await;
    let refused = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(code(&body), "FORBIDDEN");
    let files = app.http.get(app.url("/files/x.png")).send().await.unwrap();
    assert_eq!(files.status().as_u16(), 403);
    // Probes stay open to the orchestrator.
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    // Unblocked (from another address: here, directly).
    assert!(
        app.state
            .blocklist
            .unblock(&app.state.db, "127.0.0.1")
            .await
            .unwrap()
    );
    app.gql_ok("{ __typename }", json!({}), None).await;
}

async fn a_stale_role_claim_is_an_alert_and_never_obeyed(app: TestApp, _clock: ManualClock) {
    use sea_orm::{ConnectionTrait, Statement};
    let admin = app.user_with_role("ADMIN").await;
    let seller = app.user_with_role("SELLER").await;
    // Demoted while the token (claiming SELLER) is still valid.
    let db = &app.state.db;
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "UPDATE users SET role = 'BUYER' WHERE email = $1",
        _ => "UPDATE users SET role = 'BUYER' WHERE email = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [seller.email.clone().into()],
    ))
    .await
    .unwrap();
    // Served as the BUYER it is now, never as the token's SELLER.
    let body = app
        .gql(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "name": "x", "price": 1000, "stock": 1, "categoryId": "Q2F0ZWdvcnk6MQ" } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let me = app
        .gql_ok("{ me { role } }", json!({}), Some(&seller.access))
        .await;
    assert_eq!(me["me"]["role"], "BUYER");
    let alerts = alerts_of(&app, &admin, "RBAC_MISMATCH").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0]["message"].as_str().unwrap().contains("SELLER"));
}

/// Signs up `n` accounts and dates them `at`.
async fn signups_at(app: &TestApp, n: usize, at: chrono::DateTime<Utc>) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "UPDATE users SET created_at = $1::timestamptz WHERE email = $2"
        }
        _ => "UPDATE users SET created_at = ? WHERE email = ?",
    };
    for _ in 0..n {
        let email = format!("s-{}@example.com", uuid::Uuid::new_v4().simple());
        app.register(&email, "signup").await;
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [at.to_rfc3339().into(), email.into()],
        ))
        .await
        .unwrap();
    }
}

async fn signup_anomalies_follow_the_history(app: TestApp, clock: ManualClock) {
    use vitrine::domain::security::{anomaly, monitor::Outlets};
    let admin = app.user_with_role("ADMIN").await;
    let now = clock.now();
    let today = now.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let (yesterday, before) = (
        today - chrono::Duration::hours(12),
        today - chrono::Duration::hours(36),
    );
    let out = Outlets {
        db: &app.state.db,
        events: &app.state.events,
        jobs: &app.state.jobs,
    };
    let check = || anomaly::daily(&app.state.security, &out, clock.now());
    // 2 → 7: +250%, within bounds.
    signups_at(&app, 2, before).await;
    signups_at(&app, 7, yesterday).await;
    let report = check().await.unwrap_or_else(|e| panic!("{}", e.message()));
    assert!(report.contains("sign-ups 2 → 7"), "{report}");
    assert!(alerts_of(&app, &admin, "SIGNUP_ANOMALY").await.is_empty());
    // 2 → 9: +350%, an alert.
    signups_at(&app, 2, yesterday).await;
    check().await.unwrap_or_else(|e| panic!("{}", e.message()));
    let alerts = alerts_of(&app, &admin, "SIGNUP_ANOMALY").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0]["message"].as_str().unwrap().contains("+350%"),
        "{alerts:?}"
    );
    // Muted for 24 hours.
    clock.advance(Duration::from_secs(23 * 3600));
    check().await.unwrap_or_else(|e| panic!("{}", e.message()));
    assert_eq!(alerts_of(&app, &admin, "SIGNUP_ANOMALY").await.len(), 1);
    // A burst: the last hour far above the day's hourly average.
    clock.set(now);
    signups_at(&app, 12, now - chrono::Duration::minutes(10)).await;
    let report = anomaly::burst(&app.state.security, &out, clock.now())
        .await
        .unwrap_or_else(|e| panic!("{}", e.message()));
    assert!(report.contains("sign-ups in the last hour"), "{report}");
    assert_eq!(alerts_of(&app, &admin, "SIGNUP_BURST").await.len(), 1);
}

/// A fake of Brevo's transactional email endpoint: records each request,
/// answers as told.
#[derive(Clone, Default)]
struct Brevo {
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    answer: Arc<Mutex<Vec<u16>>>,
}

async fn brevo_send(
    State(b): State<Brevo>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> (axum::http::StatusCode, axum::Json<Value>) {
    b.seen.lock().unwrap().push((headers, body.0));
    let status = b.answer.lock().unwrap().pop().unwrap_or(201);
    let reply = if status == 201 {
        json!({ "messageId": "<202611301200.123456@smtp-relay.mailin.fr>" })
    } else {
        json!({ "code": "invalid_parameter", "message": "bad" })
    };
    (
        axum::http::StatusCode::from_u16(status).unwrap(),
        axum::Json(reply),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brevo_mailer_speaks_the_api() {
    let fake = Brevo::default();
    let router = Router::new()
        .route("/v3/smtp/email", post(brevo_send))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let base = format!("http://{addr}/v3");
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("VITRINE_MAIL", "brevo"),
            ("VITRINE_BREVO_BASE_URL", &base),
            ("VITRINE_BREVO_API_KEY", "xkeysib-test"),
            ("VITRINE_MAIL_FROM", "vitrine <no-reply@vitrine.example>"),
        ],
    )
    .await
    else {
        return;
    };
    let admin = app.user_with_role("ADMIN").await;
    app.gql_ok(REQUEST_CODE, json!({ "e": "brevo@example.com" }), None)
        .await;
    let mail = app
        .sent_mail(&admin, "brevo@example.com", "EMAIL_CODE")
        .await;
    assert_eq!(mail["provider"], "brevo");
    let (headers, body) = fake.seen.lock().unwrap()[0].clone();
    assert_eq!(headers["api-key"], "xkeysib-test");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        body["sender"],
        json!({ "name": "vitrine", "email": "no-reply@vitrine.example" })
    );
    assert_eq!(body["to"], json!([{ "email": "brevo@example.com" }]));
    assert_eq!(body["subject"], mail["subject"]);
    assert_eq!(body["textContent"], mail["textBody"]);
    assert_eq!(body["htmlContent"], mail["htmlBody"]);
    // A refusal (400) fails the message at once, without retries.
    fake.answer.lock().unwrap().push(400);
    app.gql_ok(REQUEST_CODE, json!({ "e": "refused@example.com" }), None)
        .await;
    let mut failed = Value::Null;
    for _ in 0..100 {
        let data = app
            .gql_ok(
                OUTBOX,
                json!({ "to": "refused@example.com" }),
                Some(&admin.access),
            )
            .await;
        failed = data["adminOutbox"]["edges"][0]["node"].clone();
        if failed["status"] == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(fake.seen.lock().unwrap().len(), 2);
}

/// Redis goes away mid-count: failed logins keep being counted (in this
/// instance's memory), nothing fails, and the alert still comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_counts_through_a_redis_outage() {
    let (proxy, proxied) = common::realtime::TcpProxy::to_redis().await;
    let Some(app) =
        TestApp::spawn_with_redis(Backend::Postgres, &[("REDIS_URL", proxied.as_str())]).await
    else {
        return;
    };
    let admin = app.user_with_role("ADMIN").await;
    app.register("outage@example.com", "outage").await;
    let fail = || async {
        let body = app
            .gql(
                LOGIN,
                json!({ "e": "outage@example.com", "p": "wrong-password-123" }),
                None,
            )
            .await;
        assert_eq!(code(&body), "INVALID_CREDENTIALS", "{body}");
    };
    fail().await;
    fail().await;
    proxy.cut();
    for _ in 0..5 {
        fail().await;
    }
    let alerts = alerts_of(&app, &admin, "BRUTE_FORCE_ACCOUNT").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["subject"], "account:outage@example.com");
    proxy.restore();
}
